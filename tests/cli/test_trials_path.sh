#!/usr/bin/env bash
# dial trials and dial best with trial paths (the scores along a model's
# path knob, table trial_path): the "path" array of --json, the path line of
# `dial best` for either direction, and a study file of schema version 1
# (before paths) that reads as before and is upgraded in place.
source "$(dirname "$0")/lib.sh" "$@"

# sql FILE STATEMENT...: runs statements on a study file with Python's sqlite3.
sql() {
    "$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for statement in sys.argv[2:]:
    db.execute(statement)
db.commit()' "$@" || fail "sql $*"
}
# set_path FILE NUMBER "STEP VALUE ..." : replaces trial NUMBER's path.
set_path() {
    local file=$1 number=$2 rows="" step value
    set -- $3
    while (($# >= 2)); do
        step=$1 value=$2
        shift 2
        rows="$rows${rows:+, }((SELECT trial_id FROM trials WHERE number = $number), $step, $value)"
    done
    sql "$file" "DELETE FROM trial_path WHERE trial_id = (SELECT trial_id FROM trials WHERE number = $number)" \
        "INSERT INTO trial_path (trial_id, step, value) VALUES $rows"
}

# ---- a study without paths: empty arrays, no path line
check 0 "" tune knn data/iris.csv --target species --trials 6 --seed 2 --quiet --study "$TMP/s.db"
check 0 "" trials "$TMP/s.db" --json
json_ok 'len(j["trials"]) == 6 and all(t["path"] == [] for t in j["trials"])'
check 0 "" best "$TMP/s.db" --json
json_ok 'j["path"] == []'
keep best.json
best=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["number"])' "$TMP/best.json")
other=$(((best + 1) % 6))
check 0 "" best "$TMP/s.db"
grep -q "path:" "$TMP/out" && fail "a trial without a path shows a path line"

# ---- paths in the JSON of both commands, in ascending step
set_path "$TMP/s.db" "$best" "30 0.75 10 0.5 20 0.875"
set_path "$TMP/s.db" "$other" "1 0.25"
check 0 "" trials "$TMP/s.db" --json
json_ok "j['trials'][$best]['path'] == [{'step': 10, 'value': 0.5}, {'step': 20, 'value': 0.875}, {'step': 30, 'value': 0.75}]"
json_ok "j['trials'][$other]['path'] == [{'step': 1, 'value': 0.25}]"
json_ok "sum(len(t['path']) for t in j['trials']) == 4"
check 0 "" best "$TMP/s.db" --json
json_ok "j['number'] == $best and [p['step'] for p in j['path']] == [10, 20, 30] and j['path'][1]['value'] == 0.875"

# ---- the path line: the best point for the study's direction, first step among ties
check 0 "" best "$TMP/s.db"
has_line "^  knobs: k=[0-9]+$"
has_line "^  path: 3 steps, best 0\.8750 at step 20$"
[[ $(grep -c . "$TMP/out") -eq 4 ]] || fail "dial best printed $(grep -c . "$TMP/out") lines, expected 4"
set_path "$TMP/s.db" "$best" "10 0.5 20 0.875 30 0.875"
check 0 "" best "$TMP/s.db"
has_line "^  path: 3 steps, best 0\.8750 at step 20$"
cp "$TMP/s.db" "$TMP/low.db"
sql "$TMP/low.db" "UPDATE studies SET direction = 'minimize'"
check 0 "" best "$TMP/low.db" --json
keep low.json
low=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["number"])' "$TMP/low.json")
set_path "$TMP/low.db" "$low" "5 0.625 6 0.125 7 0.5"
check 0 "" best "$TMP/low.db"
has_line "^best of study knn in .*low.db \(6 trials; lower is better\)$"
has_line "^  path: 3 steps, best 0\.1250 at step 6$"

# ---- a file of schema version 1 reads as before (read-only: dial trials
# leaves it at version 1) and gains trial_path when a tuning run opens it
cp "$TMP/s.db" "$TMP/v1.db"
sql "$TMP/v1.db" "DROP TABLE trial_path" "DROP TABLE study_identity" "UPDATE dial_schema SET version = 1"
check 0 "" trials "$TMP/v1.db" --json
json_ok 'len(j["trials"]) == 6 and all(t["path"] == [] and len(t["intermediate"]) == 5 for t in j["trials"])'
version_is() {
    "$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT group_concat(version) FROM dial_schema").fetchone()[0] == sys.argv[2]
assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = '"'trial_path'"'").fetchone()[0] == int(sys.argv[2] != "1")' \
        "$1" "$2"
}
version_is "$TMP/v1.db" 1 || fail "dial trials changed the version-1 file"
check 0 "" tune knn data/iris.csv --target species --trials 8 --seed 2 --quiet --study "$TMP/v1.db"
version_is "$TMP/v1.db" 3 || fail "dial tune did not upgrade the version-1 file"
check 0 "" trials "$TMP/v1.db" --json
json_ok '[t["number"] for t in j["trials"]] == list(range(8))'

# ---- a file of a newer dial is refused
sql "$TMP/v1.db" "UPDATE dial_schema SET version = 4"
check 1 "dial: $TMP/v1.db has study schema version 4, from a newer dial; this dial $("$DIAL" --version | awk '{print $NF}') reads versions 1 to 3: open it with a newer dial" \
    trials "$TMP/v1.db"
finish
