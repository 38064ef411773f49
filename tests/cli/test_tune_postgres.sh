#!/usr/bin/env bash
# Studies in PostgreSQL: dial tune, trials, best, studies, report, ask,
# tell and knob-importance on a
# postgresql:// URL work as on a file (the same trials for the same seed), a
# password never shows, a newer schema is refused, and 8 workers started at
# once on one study run exactly --trials trials between them, each number
# once. The server is the test's own (tests/support/pg_server.sh; skipped
# with 77 when no server can be installed).
if [[ -z "${DIAL_TEST_POSTGRES:-}" ]]; then
    exec bash "$(dirname "$0")/../support/pg_server.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh" "$@"

# trust authentication: the password is accepted and must never be printed
URL="${DIAL_TEST_POSTGRES/dial@/dial:hunter2@}"
SHOWN="${DIAL_TEST_POSTGRES/dial@/dial:***@}"
SERVER="${DIAL_TEST_POSTGRES%/dial_test}"
IRIS=(knn data/iris.csv --target species --sampler random --seed 3)

no_password() {
    ! grep -qF hunter2 "$TMP/out" "$TMP/err" || fail "the password was printed"
    passed=$((passed + 1))
}

# ---- the same study as in a SQLite file
check 0 "" tune "${IRIS[@]}" --trials 6 --study "$URL" --json --quiet
no_password
json_ok 'j["trials"] == 6 and j["new_trials"] == 6 and j["study_name"] == "knn"'
printf '%s' "$SHOWN" >"$TMP/shown"
json_ok 'j["study"] == open(sys.argv[1].replace("/out", "/shown")).read()'
check 0 "" tune "${IRIS[@]}" --trials 6 --study "$TMP/s.db" --quiet
check 0 "" trials "$TMP/s.db" --json
keep sqlite.json
check 0 "" trials "$URL" --json
no_password
json_ok '[(t["number"], t["state"], t["value"], t["knobs"], t["intermediate"]) for t in j["trials"]] == [(t["number"], t["state"], t["value"], t["knobs"], t["intermediate"]) for t in json.load(open(sys.argv[1].replace("/out", "/sqlite.json")))["trials"]]'
check 0 "" trials "$URL"
no_password
has "study knn in $SHOWN: 6 trials (6 complete, 0 pruned, 0 failed, 0 running); higher is better"
check 0 "" best "$URL" --json
json_ok 'j["study"] == "knn" and j["number"] in range(6)'
check 0 "" best "$TMP/s.db" --json
keep best-sqlite.json
check 0 "" best "$URL" --json
json_ok '{k: v for k, v in j.items() if k != "duration"} == {k: v for k, v in json.load(open(sys.argv[1].replace("/out", "/best-sqlite.json"))).items() if k != "duration"}'

# resumed: the budget is the study's total
check 0 "" tune "${IRIS[@]}" --trials 8 --study "$URL" --json --quiet
json_ok 'j["trials"] == 8 and j["new_trials"] == 2'

# ---- dial studies: listing, rename, delete, with the password hidden
check 0 "" studies "$URL"
no_password
has "$SHOWN: 1 study"
has_line "^  knn +knn +data/iris.csv +accuracy +8 +0 +0 +0 +0\.[0-9]{4} +20"
check 0 "" studies "$URL" --rename knn iris
has "renamed study 'knn' to 'iris' in $SHOWN"
no_password
check 2 "dial: $SHOWN has no study 'knn'; it holds: iris" trials "$URL" --study-name knn

# ---- the model file records where its study is, without the password
check 0 "" tune "${IRIS[@]}" --trials 8 --study "$URL" --study-name iris -o "$TMP/m.dial" --quiet
current="the model file's study_file"
! grep -qaF hunter2 "$TMP/m.dial" || fail "the model file holds the password"
grep -qaF "\"study_file\":\"$SHOWN\"" "$TMP/m.dial" || grep -qaF "\"study_file\": \"$SHOWN\"" "$TMP/m.dial" || fail "no study_file $SHOWN"
passed=$((passed + 1))

# ---- dial report on the study: the page names it without the password
check 0 "" report "$URL" --study-name iris -o "$TMP/r.html"
has "wrote $TMP/r.html: study 'iris' in $SHOWN, 8 trials (8 complete, 0 pruned, 0 failed, 0 running)"
no_password
current="the report page"
! grep -qF hunter2 "$TMP/r.html" || fail "the page holds the password"
grep -qF "$SHOWN: a study of knn, 8 trials" "$TMP/r.html" || fail "the page does not name the study's storage"
passed=$((passed + 1))

# ---- ask and tell, and knob-importance, as on a file
ASK=(--study-name qa --space x=float:-5..10 --space n=int:1..8 --sampler random --seed 5)
for where in file postgres; do
    study="$TMP/qa.db"
    [[ $where == postgres ]] && study="$URL"
    check 0 "sampler: random" ask "$study" "${ASK[@]}" --count 12 --json
    keep "asked-$where"
    for number in $(seq 0 11); do
        check 0 "" tell "$study" --study-name qa "$number" "$((number * 7 % 5)).25"
    done
done
no_password
check 1 "dial: trial 3 of study 'qa' in $SHOWN is already complete (value 1.25); it was told before" tell "$URL" --study-name qa 3 1
check 0 "" ask "$URL" --study-name qa --json
json_ok 'j["number"] == 12'
# a configuration enqueued in PostgreSQL is the next trial's
check 0 "" ask "$URL" --study-name qa --enqueue "x=2.5,n=3" --json
json_ok 'j == {"number": 13, "knobs": {"x": 2.5, "n": 3}}'
current="the trials asked of PostgreSQL and of a file"
cmp -s "$TMP/asked-file" "$TMP/asked-postgres" || fail "they differ"
passed=$((passed + 1))
check 0 "" knob-importance "$TMP/qa.db" --study-name qa --json
keep importance-sqlite.json
check 0 "" knob-importance "$URL" --study-name qa --json
no_password
json_ok 'j == json.load(open(sys.argv[1].replace("/out", "/importance-sqlite.json")))'

# ---- errors name the server without its password
check 0 "" best "$URL" --study-name iris
has "best of study iris in $SHOWN (8 trials; higher is better)"
no_password
check 2 "dial: study 'iris' in $SHOWN was created with sampler random, this run asks for grid; use --study-name NAME for a new study in the same file" \
    tune knn data/iris.csv --target species --sampler grid --trials 9 --study "$URL" --study-name iris
check 1 "dial: cannot open study storage ${SERVER/dial@/dial:***@}/nope: connection to server at \"127.0.0.1\", port ${SERVER##*:} failed: FATAL:  database \"nope\" does not exist" \
    studies "${URL%/dial_test}/nope"
no_password

# ---- 8 workers at once on one study: exactly 40 trials, each number once
for worker in 1 2 3 4 5 6 7 8; do
    "$DIAL" tune "${IRIS[@]}" --trials 40 --study "$URL" --study-name shared --quiet \
        >"$TMP/worker$worker.out" 2>"$TMP/worker$worker.err" &
done
wait
for worker in 1 2 3 4 5 6 7 8; do
    [[ ! -s "$TMP/worker$worker.err" ]] || fail "worker $worker: $(cat "$TMP/worker$worker.err")"
done
passed=$((passed + 1))
check 0 "" trials "$URL" --study-name shared --json
json_ok 'sorted(t["number"] for t in j["trials"]) == list(range(40))'
json_ok 'all(t["state"] == "complete" for t in j["trials"])'

# ---- a database written by a newer dial is refused, and left as it was
psql -q "$DIAL_TEST_POSTGRES" -c "UPDATE dial_schema SET version = 99" || fail "psql"
check 1 "dial: $SHOWN has study schema version 99, from a newer dial; this dial $("$DIAL" --version | awk '{print $2}') reads versions 1 to 3: open it with a newer dial" \
    studies "$URL"
check 1 "dial: $SHOWN has study schema version 99, from a newer dial; this dial $("$DIAL" --version | awk '{print $2}') reads versions 1 to 3: open it with a newer dial" \
    tune "${IRIS[@]}" --trials 9 --study "$URL" --study-name iris --quiet
[[ "$(psql -tAq "$DIAL_TEST_POSTGRES" -c 'SELECT version FROM dial_schema')" == 99 ]] || fail "the version changed"
finish
