#!/usr/bin/env bash
# A full disk on the PostgreSQL server: the server runs under a file size
# limit (ulimit -f, which PostgreSQL turns into a failed write, as a full
# disk: it ignores SIGXFSZ) with 1 MB WAL segments, and the table of
# trials is filled to that limit, so inserting a trial fails with "could
# not extend file ...: File too large" (the error of a full disk, with its
# hint to check free disk space). A worker retries with a growing pause:
# when space returns within the bound it goes on, and the study has
# exactly its --trials trials, none lost or counted twice; when it does not
# return it stops after 60 s with one line, and the same command resumes
# the study once space is back. A full disk proper (ENOSPC) would need a
# small filesystem, which only root can mount; the file size limit gives
# the same failed write without privileges. The server is the test's own
# (tests/support/pg_server.sh; skipped with 77 without one).
if [[ -z "${DIAL_TEST_POSTGRES:-}" ]]; then
    export DIAL_TEST_POSTGRES_INITDB_ARGS=--wal-segsize=1
    exec bash "$(dirname "$0")/../support/pg_server.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh" "$@"

URL="$DIAL_TEST_POSTGRES"
DIR="$DIAL_TEST_POSTGRES_DIR"
port="${URL##*:}"
port="${port%%/*}"
as_server=()
[[ $(id -u) -eq 0 ]] && as_server=(runuser -u nobody --)
SQL=(psql -h "$DIR" -p "$port" -U dial dial_test -v ON_ERROR_STOP=1 -qAt)
IRIS=(knn data/iris.csv --target species --sampler random --seed 3 --study "$URL" --quiet)

check 0 "" tune "${IRIS[@]}" --trials 2

# the server again, its files capped at 2 MB
"${as_server[@]}" "$DIAL_TEST_POSTGRES_BIN/pg_ctl" -D "$DIR/data" -m fast -w -s stop || fail "pg_ctl stop failed"
(ulimit -f 2048 && "${as_server[@]}" "$DIAL_TEST_POSTGRES_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -s \
    -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start) || fail "pg_ctl start failed"

# fill_trials: rows of another study in the table of trials, large ones
# then small ones, until the table's file cannot grow (one transaction)
"${SQL[@]}" -c "INSERT INTO studies (name, direction, created_at) VALUES ('filler', 'minimize', 0)"
fill_trials() {
    "${SQL[@]}" -c "DO \$\$
        DECLARE n bigint := (SELECT coalesce(max(number), 0) + 1 FROM trials t JOIN studies s USING (study_id) WHERE s.name = 'filler');
        size int;
        batch int;
        BEGIN
            FOREACH size IN ARRAY ARRAY[45, 0] LOOP
                -- one row at a time: the rows of an aborted batch would
                -- leave room that the next insert reclaims
                batch := 1;
                LOOP
                    BEGIN
                        INSERT INTO trials (study_id, number, state, started_at, heartbeat, message)
                        SELECT s.study_id, g, 'failed', 0, 0, (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, size))
                        FROM studies s, generate_series(n, n + batch - 1) g WHERE s.name = 'filler';
                        n := n + batch;
                    EXCEPTION WHEN OTHERS THEN
                        RAISE NOTICE 'full: % %', SQLSTATE, SQLERRM;
                        EXIT;
                    END;
                END LOOP;
            END LOOP;
        END \$\$" 2>"$TMP/fill.err" || fail "filling the table failed: $(cat "$TMP/fill.err")"
    grep -q 'could not extend file ".*": File too large' "$TMP/fill.err" || fail "filling the table failed otherwise: $(cat "$TMP/fill.err")"
}
free_space() {
    "${SQL[@]}" -c "DELETE FROM trials WHERE study_id = (SELECT study_id FROM studies WHERE name = 'filler')" -c "VACUUM trials" ||
        fail "could not free the space"
}
exact_trials() {
    check 0 "" trials "$URL" --study-name knn --json
    json_ok "[t['number'] for t in j['trials']] == list(range($1)) and all(t['state'] == 'complete' for t in j['trials'])"
}

# ---- space returns while the worker retries: it goes on
fill_trials
"$DIAL" tune "${IRIS[@]}" --trials 6 >"$TMP/run.out" 2>"$TMP/run.err" &
worker=$!
sleep 4
kill -0 "$worker" 2>/dev/null || fail "the worker stopped on a full disk instead of retrying: $(cat "$TMP/run.err")"
free_space
wait "$worker" || fail "the worker failed after space returned: $(cat "$TMP/run.err")"
[[ ! -s "$TMP/run.err" ]] || fail "the worker printed: $(cat "$TMP/run.err")"
passed=$((passed + 1))
exact_trials 6

# ---- space does not return: one line after the bounded retries, then a
# rerun resumes the study
fill_trials
check 1 "dial: study storage $URL: could not extend file \"$(sed -n 's/.*could not extend file "\([^"]*\)".*/\1/p' "$TMP/fill.err" | head -1)\": File too large while starting a trial; gave up after retrying for 60 s (the study is kept: rerun the same command to resume it)" \
    tune "${IRIS[@]}" --trials 9
exact_trials 6
free_space
check 0 "" tune "${IRIS[@]}" --trials 9
exact_trials 9

finish
