#!/usr/bin/env bash
# dial studies: the studies of a file (text and JSON), --delete and
# --rename; and the reading commands (studies, trials, best) never write:
# another program's database and an empty file are refused and left
# byte-for-byte as they were, and a study on a read-only mount can be read.
source "$(dirname "$0")/lib.sh" "$@"

IRIS=(knn data/iris.csv --target species)
check 0 "" tune "${IRIS[@]}" --trials 4 --seed 1 --study "$TMP/s.db" --quiet
check 0 "" tune "${IRIS[@]}" --trials 3 --seed 1 --study "$TMP/s.db" --study-name f1 --metric f1 --quiet
check 0 "" tune linear data/diabetes.csv --trials 2 --study "$TMP/s.db" --study-name reg --metric rmse --quiet

# ---- listing
check 0 "" studies "$TMP/s.db"
has "$TMP/s.db: 3 studies"
has_line "^  NAME +MODEL +DATA +METRIC +COMPLETE +PRUNED +FAILED +RUNNING +BEST +CREATED \(UTC\)$"
has_line "^  f1 +knn +data/iris.csv +f1 +3 +0 +0 +0 +0\.[0-9]{4} +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$"
has_line "^  knn +knn +data/iris.csv +accuracy +4 +0 +0 +0 +0\.[0-9]{4} +20"
has_line "^  reg +linear +data/diabetes.csv +rmse +2 +0 +0 +0 +[0-9.]+ +20"
check 0 "" studies "$TMP/s.db" --json
json_ok '[s["name"] for s in j["studies"]] == ["f1", "knn", "reg"]'
json_ok 'all(set(s) == {"name", "kind", "model", "data", "metric", "direction", "complete", "pruned", "failed", "running", "best_value", "created"} and s["kind"] == "model" for s in j["studies"])'
json_ok 'j["studies"][1]["model"] == "knn" and j["studies"][1]["metric"] == "accuracy" and j["studies"][1]["direction"] == "maximize" and j["studies"][1]["complete"] == 4'
json_ok 'j["studies"][2]["direction"] == "minimize" and j["studies"][2]["data"] == "data/diabetes.csv"'
check 0 "" best "$TMP/s.db" --study-name f1 --json
keep best.json
check 0 "" studies "$TMP/s.db" --json
json_ok 'j["studies"][0]["best_value"] == json.load(open(sys.argv[1].replace("/out", "/best.json")))["value"]'
json_ok 'all(len(s["created"]) == 20 and s["created"].endswith("Z") for s in j["studies"])'

# ---- rename and delete
check 0 "" studies "$TMP/s.db" --rename f1 knn-f1
has "renamed study 'f1' to 'knn-f1' in $TMP/s.db"
check 0 "" trials "$TMP/s.db" --study-name knn-f1 --json
json_ok 'j["study"] == "knn-f1" and len(j["trials"]) == 3'
# the renamed study resumes under its new name, with the settings it was made with
check 0 "" tune "${IRIS[@]}" --trials 4 --study "$TMP/s.db" --study-name knn-f1 --json --quiet
json_ok 'j["metric"] == "f1" and j["trials"] == 4 and j["new_trials"] == 1'
check 2 "dial: $TMP/s.db already has a study 'knn'; delete it first (dial studies $TMP/s.db --delete knn) or choose another name" \
    studies "$TMP/s.db" --rename knn-f1 knn
check 2 "dial: $TMP/s.db has no study 'nope'; it holds: knn, knn-f1, reg" studies "$TMP/s.db" --rename nope other
check 0 "" studies "$TMP/s.db" --delete reg
has "deleted study 'reg' from $TMP/s.db"
check 0 "" studies "$TMP/s.db" --json
json_ok '[s["name"] for s in j["studies"]] == ["knn", "knn-f1"]'
"$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for table in ("trials", "study_identity"):
    ids = {r[0] for r in db.execute("SELECT DISTINCT study_id FROM " + table)}
    live = {r[0] for r in db.execute("SELECT study_id FROM studies")}
    assert ids <= live, (table, ids, live)
assert db.execute("SELECT count(*) FROM trial_params WHERE trial_id NOT IN (SELECT trial_id FROM trials)").fetchone()[0] == 0' \
    "$TMP/s.db" || fail "--delete left rows of the deleted study"
passed=$((passed + 1))
check 2 "dial: $TMP/s.db has no study 'reg'; it holds: knn, knn-f1" studies "$TMP/s.db" --delete reg
check 2 "dial: --delete and --rename cannot be combined; choose one" studies "$TMP/s.db" --delete knn --rename a b
check 2 "dial: --json lists the studies; it cannot be combined with --delete" studies "$TMP/s.db" --delete knn --json
check 2 "dial: --rename needs two study names: --rename OLD NEW" studies "$TMP/s.db" --rename knn
check 2 "dial: missing FILE for studies; usage: dial studies FILE [--json] [--delete NAME | --rename OLD NEW | --copy-to DST [--study-name NAME]]" studies
check 1 "dial: cannot open study file $TMP/none.db: no such file" studies "$TMP/none.db"
[[ ! -e "$TMP/none.db" ]] || fail "dial studies created a file"

# ---- help, and its examples work as written (from the repository root)
check 0 "" studies --help
has "Usage: dial studies FILE"
has "Example:"
check 0 "" --help
has_line "^  studies +list, delete, rename or copy the studies of a study file or database$"
current="the examples of dial studies --help"
ln -s "$PWD/data" "$TMP/data"
(cd "$TMP" && "$DIAL" studies --help | sed -n '/^Example:/,$p' | tail -n +2 | while read -r line; do
    eval "\"\$DIAL\" ${line#dial }" >/dev/null 2>"$TMP/example.err" || { cat "$TMP/example.err" >&2; exit 1; }
done) || fail "an example of dial studies --help failed"
"$PYTHON" -c 'import sqlite3, sys
names = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM studies ORDER BY name")]
assert names == ["knn-accuracy"], names' "$TMP/runs.db" || fail "the examples left other studies: $TMP/runs.db"
passed=$((passed + 1))

# ---- reading never writes
"$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
db.execute("INSERT INTO invoices VALUES (1, 2.5)")
db.commit()' "$TMP/other.db"
: >"$TMP/empty.db"
before=$(cd "$TMP" && md5sum other.db empty.db)
for command in trials best studies; do
    check 1 "dial: $TMP/other.db is not a dial study database: it has tables but no dial_schema table" \
        "$command" "$TMP/other.db"
    check 1 "dial: $TMP/empty.db is not a dial study database: it is empty" "$command" "$TMP/empty.db"
done
check 1 "dial: $TMP/other.db is not a dial study database: it has tables but no dial_schema table" \
    studies "$TMP/other.db" --delete x
[[ "$(cd "$TMP" && md5sum other.db empty.db)" == "$before" ]] || fail "a reading command changed another program's file"
for side in other.db-wal other.db-shm other.db-journal empty.db-wal empty.db-shm empty.db-journal; do
    [[ ! -e "$TMP/$side" ]] || fail "a reading command left $side"
done
"$PYTHON" -c 'import sqlite3, sys
assert sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0] == "delete"' \
    "$TMP/other.db" || fail "a reading command switched another program's file to WAL"
passed=$((passed + 1))

# ---- a study on a read-only mount can be read
mkdir "$TMP/src" "$TMP/ro"
cp "$TMP/s.db" "$TMP/src/s.db"
# The suite runs as root (the README's set-up), which may bind-mount.
mount --bind "$TMP/src" "$TMP/ro" || fail "cannot bind-mount $TMP/src (the read-only mount case needs root)"
{
    trap 'umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
    mount -o remount,ro,bind "$TMP/ro" || fail "cannot remount $TMP/ro read-only"
    touch "$TMP/ro/probe" 2>/dev/null && fail "the read-only mount can be written"
    check 0 "" studies "$TMP/ro/s.db" --json
    json_ok '[s["name"] for s in j["studies"]] == ["knn", "knn-f1"]'
    check 0 "" trials "$TMP/ro/s.db" --study-name knn --json
    json_ok 'len(j["trials"]) == 4'
    check 0 "" best "$TMP/ro/s.db" --study-name knn-f1
    has_line "^best of study knn-f1 in .*ro/s.db \(4 trials; higher is better\)$"
    umount "$TMP/ro"
}
finish
