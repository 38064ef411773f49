#!/usr/bin/env bash
# dial studies SRC --copy-to DST between SQLite and PostgreSQL, both ways
# and PostgreSQL to PostgreSQL: a round trip SQLite -> PostgreSQL -> SQLite
# reads the same (dial trials --json and dial best --json byte-identical,
# the text and the report differing only by the storage's name) on studies
# with pruned and failed trials, intermediate values, paths and a queue; a
# resumed copy in PostgreSQL asks what the original asks; refusals are one
# line with the password hidden. The server is the test's own
# (tests/support/pg_server.sh; skipped with 77 without one).
if [[ -z "${DIAL_TEST_POSTGRES:-}" ]]; then
    exec bash "$(dirname "$0")/../support/pg_server.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/study_copy_lib.sh"

# trust authentication: the password is accepted and must never be printed
URL="${DIAL_TEST_POSTGRES/dial@/dial:hunter2@}"
SHOWN="${DIAL_TEST_POSTGRES/dial@/dial:***@}"
no_password() {
    ! grep -qF hunter2 "$TMP/out" "$TMP/err" || fail "the password was printed"
    passed=$((passed + 1))
}

S="$TMP/s.db"
make_study "$S"

# ---- SQLite -> PostgreSQL -> SQLite
check 0 "" studies "$S" --copy-to "$URL"
has "copied 2 studies (9 trials) from $S to $SHOWN"
no_password
same_reading "$S" "$URL" "$SHOWN"
check 0 "" studies "$URL" --copy-to "$TMP/back.db"
has "copied 2 studies (9 trials) from $SHOWN to $TMP/back.db"
same_reading "$S" "$TMP/back.db"
for name in default gbdt; do
    for what in "trials --json" "best --json"; do
        cmp -s <("$DIAL" $what "$S" --study-name $name) <("$DIAL" $what "$TMP/back.db" --study-name $name) ||
            fail "dial $what of $name differs after the round trip"
        passed=$((passed + 1))
    done
done

# ---- PostgreSQL -> PostgreSQL: another database of the same server
port="${DIAL_TEST_POSTGRES##*:}"
port="${port%%/*}"
"$DIAL_TEST_POSTGRES_BIN/createdb" -h "$DIAL_TEST_POSTGRES_DIR" -p "$port" -U dial dial_copy ||
    fail "createdb dial_copy failed"
OTHER="${URL%/dial_test}/dial_copy"
OTHER_SHOWN="${SHOWN%/dial_test}/dial_copy"
check 0 "" studies "$URL" --copy-to "$OTHER" --study-name gbdt
has "copied study 'gbdt' (3 trials) from $SHOWN to $OTHER_SHOWN"
no_password
check 0 "" trials "$OTHER" --study-name gbdt --json
keep other.json
check 0 "" trials "$S" --study-name gbdt --json
cmp -s "$TMP/out" "$TMP/other.json" || fail "the PostgreSQL -> PostgreSQL copy reads otherwise"

# ---- the name is taken in PostgreSQL: refused, password hidden
check 2 "dial: $SHOWN already holds a study 'gbdt'; rename one of the two first (dial studies $SHOWN --rename gbdt NEW) and copy again" \
    studies "$S" --copy-to "$URL" --study-name gbdt
no_password

# ---- resumed, the PostgreSQL copy asks what the original asks
check 0 "" ask "$S" --count 3 --json
keep asked-source
check 0 "" ask "$URL" --count 3 --json
cmp -s "$TMP/out" "$TMP/asked-source" || fail "the resumed copy asked $(cat "$TMP/out"), the original $(cat "$TMP/asked-source")"
json_ok '[t["number"] for t in j] == [6, 7, 8] and j[0]["knobs"] == {"x": 2.5, "opt": "a"}'

# ---- a trial running in PostgreSQL is refused; nothing is written
check 2 "dial: study 'default' in $SHOWN has 3 trials still running; copy it once its workers have finished (the copy would miss those trials' results)" \
    studies "$URL" --copy-to "$TMP/none.db"
no_password
[[ ! -e "$TMP/none.db" ]] || fail "a refused copy created $TMP/none.db"
check 2 "dial: $SHOWN has no study 'nope'; it holds: default, gbdt" studies "$URL" --copy-to "$TMP/none.db" --study-name nope
no_password

finish
