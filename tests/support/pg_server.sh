#!/usr/bin/env bash
# Runs a command beside a PostgreSQL server of its own, then stops the server.
#   tests/support/pg_server.sh COMMAND [ARGS...]
# The server lives in a temporary directory (data, socket, log), listens on
# loopback only, on a free port, and runs as an unprivileged user: initdb
# refuses root, so as root it runs as `nobody`. The command sees the
# database's URL in DIAL_TEST_POSTGRES (postgresql://dial@127.0.0.1:PORT/dial_test,
# trust authentication, so any password in a URL is accepted) and the server's
# directory in DIAL_TEST_POSTGRES_DIR (pg_ctl -D "$DIR/data" restarts it).
# Exit status: the command's; 77 (CTest's skip) with the reason when the
# server binaries are absent and scripts/install-deps.sh test cannot install
# them.
set -euo pipefail

bin=""
find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && bin="$dir"
  done
  return 0
}
find_bin
if [[ -z "$bin" ]]; then
  here=$(cd "$(dirname "$0")/../.." && pwd)
  "$here/scripts/install-deps.sh" test >/dev/null 2>&1 || true
  find_bin
fi
if [[ -z "$bin" ]]; then
  echo "pg_server: skipped: no PostgreSQL server (initdb, pg_ctl) and install-deps.sh test could not install it" >&2
  exit 77
fi

dir=$(mktemp -d /tmp/dial-pg.XXXXXX)
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  chown nobody "$dir"
  as_server=(runuser -u nobody --)
fi
chmod 700 "$dir"

stop() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# DIAL_TEST_POSTGRES_INITDB_ARGS: more initdb options (--wal-segsize=1 for
# a test that caps the server's file size below the 16 MB of a WAL segment).
# shellcheck disable=SC2086
"${as_server[@]}" "$bin/initdb" -D "$dir/data" -U dial -A trust --no-sync -E UTF8 ${DIAL_TEST_POSTGRES_INITDB_ARGS:-} >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
# fsync off: the tests kill workers, not the machine; the server restarts
# cleanly either way.
"${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start || {
  cat "$dir/server.log" >&2
  exit 1
}
"${as_server[@]}" "$bin/createdb" -h "$dir" -p "$port" -U dial dial_test

export DIAL_TEST_POSTGRES="postgresql://dial@127.0.0.1:$port/dial_test"
export DIAL_TEST_POSTGRES_DIR="$dir"
export DIAL_TEST_POSTGRES_BIN="$bin"
status=0
"$@" || status=$?
exit "$status"
