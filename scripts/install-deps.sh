#!/usr/bin/env bash
# Installs the Debian packages dial needs, and only those that are missing.
#   scripts/install-deps.sh build|test|bench|fuzz|format|browser ...
# Called by `make`, `make test`, `make demo` and `make bench`, so the README's
# commands work on a machine that has only gcc, make and cmake.
set -euo pipefail

declare -A groups=(
  [build]="gcc make cmake pkg-config libjansson-dev libopenblas-dev liblapacke-dev libsqlite3-dev libpq-dev libopenmpi-dev openmpi-bin"
  # postgresql: the server the tests start on loopback (tests/support/pg_server.sh)
  # mpich: MPICH beside Open MPI (Debian keeps Open MPI the `mpicc`/`mpirun`
  # alternative); the test build adds dial-mpich for tests/cli/test_mpi_mpich.sh
  [test]="libcmocka-dev python3 strace sqlite3 postgresql mpich libmpich-dev"
  [bench]="python3 python3-sklearn python3-pandas python3-optuna python3-psycopg2 libsvm-tools liblinear-tools python3-xgboost time"
  [fuzz]="clang libclang-rt-14-dev"
  [format]="clang-format"
  # headless Chromium renders `dial report` pages in the tests (tests/report/)
  # and makes the screenshots in docs/; DejaVu gives its text a font.
  [browser]="chromium fonts-dejavu-core"
)

wanted=()
for group in "${@:-build}"; do
  if [[ -z "${groups[$group]+x}" ]]; then
    echo "install-deps: unknown group '$group' (known: ${!groups[*]})" >&2
    exit 2
  fi
  wanted+=(${groups[$group]})
done

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
