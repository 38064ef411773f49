#!/usr/bin/env bash
# A study in PostgreSQL survives what happens to clusters: the server
# restarting in the middle of a study (pg_ctl restart: the worker's
# connection drops, it reconnects and goes on; no trial lost or counted
# twice), and a worker killed with kill -9 in the middle of a trial (another
# worker declares the trial stale once its heartbeat is old, and runs its
# params again). Each event is placed by the trial program itself, waiting
# for a file, never by timing. The server is the test's own
# (tests/support/pg_server.sh; skipped with 77 when none can be installed).
if [[ -z "${DIAL_TEST_POSTGRES:-}" ]]; then
    exec bash "$(dirname "$0")/../support/pg_server.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh" "$@"

URL="$DIAL_TEST_POSTGRES"
as_server=()
[[ $(id -u) -ne 0 ]] || as_server=(runuser -u nobody --)

# The number of trials of study $1 in state $2.
count() {
    psql -tAq "$URL" -c "SELECT count(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = '$1' AND t.state = '$2'"
}
# Waits (without a deadline: CTest's timeout is the test's) until trial $2
# of study $1 is running.
wait_running() {
    until [[ "$(psql -tAq "$URL" -c "SELECT count(*) FROM trials t JOIN studies s USING (study_id) WHERE s.name = '$1' AND t.number = $2 AND t.state = 'running'" 2>/dev/null)" == 1 ]]; do
        sleep 0.1
    done
}

# ---- the server restarts while trial 3 runs; it finishes after the restart
# Trial 3's program waits for $TMP/go.
"$DIAL" run --study "$URL" --study-name restart --trials 8 --space x=float:0..1 --sampler random \
    --quiet -- sh -c "if [ {trial} = 3 ]; then while [ ! -e $TMP/go ]; do sleep 0.05; done; fi; echo {x}" \
    >"$TMP/restart.out" 2>"$TMP/restart.err" &
worker=$!
wait_running restart 3
"${as_server[@]}" "$DIAL_TEST_POSTGRES_BIN/pg_ctl" -D "$DIAL_TEST_POSTGRES_DIR/data" -m fast -w -s restart \
    >/dev/null || fail "pg_ctl restart"
touch "$TMP/go"
wait $worker
status=$?
current="dial run across a server restart"
[[ $status -eq 0 ]] || fail "exit status $status: $(cat "$TMP/restart.err")"
passed=$((passed + 1))
check 0 "" trials "$URL" --study-name restart --json
json_ok 'sorted(t["number"] for t in j["trials"]) == list(range(8))'
json_ok 'all(t["state"] == "complete" for t in j["trials"])'

# ---- a worker killed with kill -9 while trial 2 runs
# Its trial 2 never ends by itself (the program waits for a file that never
# comes); the worker is killed, then another worker with a 1 s heartbeat
# takes the trial for stale once it is 2 s old, and runs its params again.
"$DIAL" run --study "$URL" --study-name killed --trials 5 --space x=float:0..1 --sampler random \
    --quiet -- sh -c "if [ {trial} = 2 ]; then while [ ! -e $TMP/never ]; do sleep 0.05; done; fi; echo {x}" \
    >"$TMP/killed.out" 2>"$TMP/killed.err" &
worker=$!
wait_running killed 2
program=$(pgrep -P $worker) # the trial's program, which kill -9 of its worker leaves behind
kill -9 $worker
wait $worker 2>/dev/null
kill -9 $program 2>/dev/null
current="the killed worker's trial stays running"
[[ "$(count killed running)" == 1 && "$(count killed complete)" == 2 ]] || fail "$(count killed running) running, $(count killed complete) complete"
passed=$((passed + 1))
sleep 2 # past the 1 s heartbeat the next worker asks for
check 0 "dial: warning: study 'killed': 1 running trial(s) sent no heartbeat for 1 s; marked them failed and queued their params to run again" \
    run --study "$URL" --study-name killed --trials 5 --space x=float:0..1 --sampler random \
    --heartbeat 1s --quiet -- sh -c "echo {x}"
check 0 "" trials "$URL" --study-name killed --json
json_ok 'sorted(t["number"] for t in j["trials"]) == list(range(6))'
json_ok '[t["state"] for t in j["trials"]].count("complete") == 5'
json_ok 'j["trials"][2]["state"] == "failed" and j["trials"][2]["message"].startswith("stale: no heartbeat for 1 s")'
# the stale trial's params ran again in the next trial started
json_ok 'j["trials"][3]["knobs"] == j["trials"][2]["knobs"]'
finish
