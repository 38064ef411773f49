#!/usr/bin/env bash
# dial tune's memory is bounded by the work, not by the time: a search of a
# fast objective under --timeout keeps a bounded set of trials, so its peak
# stays far under 250 MB (it was 600 MB at 10 s and grew with the timeout),
# and the leaderboard's counts are still exact. The ten-minute figure is a
# benchmark: bench/tune_memory.sh.
source "$(dirname "$0")/lib.sh" "$@"

# peak_kb ARGS...: runs dial ARGS (stdout to $TMP/out, stderr to $TMP/err) and prints the
# peak resident memory of the run in kB.
peak_kb() {
    "$PYTHON" -c 'import resource, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    status = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
if status != 0:
    sys.exit("exit status %d: %s" % (status, open(sys.argv[2]).read()))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$TMP/out" "$TMP/err" "$DIAL" "$@"
}

current="dial tune knn data/iris.csv --timeout 10 --sampler random"
# Under AddressSanitizer (make sanitize), freed blocks wait in a quarantine of 256 MB that
# the peak would measure instead of dial; a small one keeps its checks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=16"
# Random search: a sampler that learns spends its time on proposals, where
# this test needs many fast trials.
peak=$(peak_kb tune knn data/iris.csv --target species --timeout 10 --sampler random --quiet) || fail "the run failed"
[[ $peak -lt 256000 ]] || fail "peak memory $peak kB, over 250 MB"
passed=$((passed + 1))
# Every trial of knn on iris completes: the counts come from the storage, not from the
# trials it kept, so they add up to the total.
has_line '^Top 10 of ([0-9]+) trials \(\1 complete, 0 pruned, 0 failed\)$'
trials=$(sed -n 's/^study: knn in memory (\([0-9]*\) trials)$/\1/p' "$TMP/out")
[[ $trials -gt 2000 ]] || fail "only $trials trials in 10 s: too few to tell a bounded study"
passed=$((passed + 1))
finish
