#!/usr/bin/env bash
# Peak memory of `dial tune` against its timeout: a search of a fast
# objective (knn on iris, in memory) for each TIME given, default 10 s and
# 600 s. Memory should be bounded by the work (the kept trials), not by the
# time: the peak at 10 minutes should match the peak at 10 seconds.
#
#   bench/tune_memory.sh [DIAL] [TIME ...]     e.g. bench/tune_memory.sh build/dial 10 600
#   JOBS=1 bench/tune_memory.sh ...            trials at once (default: the number of CPUs)
#
# Prints one line per TIME: the timeout, the trials run, the peak resident
# memory (/usr/bin/time -v) and the wall time. Not part of `make bench`
# (which runs bench/*.py): the 10-minute run is too long for it.
set -euo pipefail
dial=${1:-build/dial}
shift || true
times=("$@")
[[ ${#times[@]} -gt 0 ]] || times=(10 600)
cd "$(dirname "$0")/.."
[[ -x $dial ]] || { echo "no dial program at $dial: build it first (make)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT
printf '%8s  %10s  %12s  %8s\n' timeout trials "peak (MB)" "wall (s)"
for t in "${times[@]}"; do
    /usr/bin/time -v -o "$out.time" "$dial" tune knn data/iris.csv --target species \
        --timeout "$t" ${JOBS:+--jobs "$JOBS"} --quiet >"$out"
    trials=$(sed -n 's/^study: knn in memory (\([0-9]*\) trials)$/\1/p' "$out")
    peak_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$out.time")
    wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out.time")
    printf '%8s  %10s  %12s  %8s\n' "${t}s" "$trials" \
        "$(awk -v kb="$peak_kb" 'BEGIN { printf "%.1f", kb / 1024 }')" "$wall"
done
