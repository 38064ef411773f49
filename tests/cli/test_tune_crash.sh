#!/usr/bin/env bash
# dial tune right after a worker was killed (kill -9) in the middle of a
# trial: its trial still looks alive until its heartbeat (60 s) expires, and
# it holds a place in --trials. The next run says it waits for it instead of
# running nothing and ending as if the study were done; here --timeout ends
# the wait (the suite cannot wait a minute; tests/tune/test_optimize_wait.c
# waits out a short heartbeat and checks the dead trial's knobs run again).
source "$(dirname "$0")/lib.sh" "$@"

STUDY="$TMP/crash.db"
MLP=(mlp data/digits.csv --target digit --study "$STUDY" --jobs 1 --sampler random)

# counts FIELD: the number of trials of the study in state FIELD (running, finished).
counts() {
    "$DIAL" trials "$STUDY" --json 2>/dev/null | "$PYTHON" -c 'import json, sys
t = json.load(sys.stdin)["trials"]
running = sum(x["state"] == "running" for x in t)
print(running if sys.argv[1] == "running" else
      sum(x["state"] != "running" and not x.get("stale") for x in t))' "$1"
}

# A worker killed while a trial runs (an mlp on digits takes about a second a trial). It
# runs in a subshell whose stderr takes the shell's "Killed" notice.
(
    "$DIAL" tune "${MLP[@]}" --trials 20 --quiet >/dev/null 2>&1 &
    echo $! >"$TMP/worker.pid"
    wait
) 2>/dev/null &
subshell=$!
until [[ -s $TMP/worker.pid ]]; do sleep 0.01; done
worker=$(cat "$TMP/worker.pid")
for _ in $(seq 600); do
    [[ -f $STUDY && $(counts running 2>/dev/null) == 1 ]] && break
    sleep 0.05
done
kill -9 "$worker"
wait $subshell
current="a worker killed mid-trial"
[[ $(counts running) == 1 ]] || fail "no trial was running when the worker was killed"
passed=$((passed + 1))
finished=$(counts finished)
total=$((finished + 1))

waiting="study mlp: waiting for 1 trial running in another worker; if it died, it runs here once its heartbeat expires (within 60 s)"
if [[ $finished == 0 ]]; then
    check 1 "sampler: random
$waiting
dial: study 'mlp' was stopped before any trial completed" tune "${MLP[@]}" --trials $total --timeout 1
else
    check 0 "sampler: random
study mlp holds $finished finished trials; continuing to $total
$waiting" tune "${MLP[@]}" --trials $total --timeout 1
    has "stopped early: run the same command again to continue the study"
fi
# Nothing ran over the dead trial's place, and it is still there to wait for.
current="the dead trial after the run"
[[ $(counts running) == 1 && $(counts finished) == "$finished" ]] ||
    fail "expected $finished finished and 1 running trials"
passed=$((passed + 1))
finish
