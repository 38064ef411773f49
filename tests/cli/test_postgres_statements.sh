#!/usr/bin/env bash
# The statements one trial costs in PostgreSQL, counted in the server's
# log (log_statement = all): a trial of knn (one knob, 5 folds, so five
# intermediate values) is 15 statements: its start (BEGIN, the study's row
# lock with the stale check and the queue's head, the trial and the
# counters in one INSERT, COMMIT), its knob (1), each intermediate value
# with its heartbeat in one statement (5), its finish (BEGIN, the row
# locks, the trial and the counters in one UPDATE, COMMIT, and the write
# that waits for the disk outside the lock). Before statements were
# merged it was 33 (an intermediate value cost 4, a start 7, a finish 5).
# No schema or version query and no read of the history run per trial
# with the random sampler. The server is the test's own
# (tests/support/pg_server.sh; skipped with 77 without one).
if [[ -z "${DIAL_TEST_POSTGRES:-}" ]]; then
    exec bash "$(dirname "$0")/../support/pg_server.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh" "$@"

URL="$DIAL_TEST_POSTGRES"
LOG="$DIAL_TEST_POSTGRES_DIR/server.log"
port="${URL##*:}"
port="${port%%/*}"
IRIS=(knn data/iris.csv --target species --sampler random --seed 3 --space k=1..30 --study "$URL" --quiet)

check 0 "" tune "${IRIS[@]}" --trials 2
psql -h "$DIAL_TEST_POSTGRES_DIR" -p "$port" -U dial dial_test -qc "ALTER DATABASE dial_test SET log_statement = 'all'" ||
    fail "could not turn the statement log on"

# The statements logged so far, but for the reads of whole trials by id
# (the row and its params, values and path: 4 statements per trial) that
# the end of a run makes for its leaderboard and result, which are not a
# trial's own cost.
statements() {
    grep "LOG:  \(statement\|execute\)" "$LOG" |
        grep -vc "message FROM trials WHERE trial_id = \$1\|WHERE trial_id = \$1 ORDER BY" || true
}
# the statements of a run that brings the study to $1 trials
run_to() {
    local before
    before=$(statements)
    check 0 "" tune "${IRIS[@]}" --trials "$1"
    echo $(($(statements) - before))
}
ten=$(run_to 12)
twenty=$(run_to 32)
# the run's own statements (opening, the leaderboard) cancel out
per_trial=$(((twenty - ten) / 10))
current="statements per trial"
[[ $per_trial -eq 15 ]] || fail "a trial cost $per_trial statements (10 trials: $ten, 20 trials: $twenty), expected 15"
passed=$((passed + 1))
grep -E "LOG:  (statement|execute)" "$LOG" | tail -n 600 >"$TMP/run.log"
# the schema's version is read once per connection (a run opens 3), not per trial
[[ $(grep -c "dial_schema" "$TMP/run.log") -le 6 ]] || fail "the schema was read $(grep -c dial_schema "$TMP/run.log") times in two runs of 30 trials"
! grep -q "FROM trials WHERE study_id = \$1 AND number >= \$2" "$TMP/run.log" || fail "the random sampler read the history"
passed=$((passed + 1))
# prepared once per connection: each executed statement is a named one
! grep -q "execute <unnamed>" "$TMP/run.log" || fail "a statement ran unprepared: $(grep -m1 "execute <unnamed>" "$TMP/run.log")"
passed=$((passed + 1))

finish
