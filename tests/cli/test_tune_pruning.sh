#!/usr/bin/env bash
# dial tune --pruner (docs/pruners.md, "dial tune's resources"): a searched
# path knob (gbdt's n_estimators) is the resource, a trial judged where its
# folds reached each rung and stopped there; without one, the folds, a
# pruned trial having its first ones; the best a complete trial that
# `dial cv` reproduces; the pruner kept in the study's identity, a study
# made before pruners resuming under one.
source "$(dirname "$0")/lib.sh" "$@"
DATA=$(pwd)/data
cd "$TMP" || exit 1
PATH_SPACE=(--space n_estimators=10..60 --space 'learning_rate=0.003..0.5:log')
TUNE=(tune gbdt "$DATA/breast_cancer.csv" --target diagnosis --sampler random --seed 7 --jobs 2)

# ---- the path as the resource: asha's rungs 2, 6, 18, 54 of 60 rounds; 2
# and 6 lie below the range, so they are judged at 10, where every trial's
# own fit scores
check 0 "" "${TUNE[@]}" "${PATH_SPACE[@]}" --trials 24 --study s.db --pruner asha --quiet --json
json_ok 'j["pruner"] == "asha (reduction factor 3; judged after 2, 6, 18 and 54 of 60 path steps)"'
check 0 "" trials s.db --json
json_ok 'sum(t["state"] == "pruned" for t in j["trials"]) >= 5'
json_ok 'all(t["state"] in ("complete", "pruned") for t in j["trials"])'
# a pruned trial stopped at a rung below its own n_estimators, with no fold
# scored at its own value; a complete one has every fold and its whole path
json_ok 'all(t["path"][-1]["step"] in (10, 18, 54) and t["path"][-1]["step"] < t["knobs"]["n_estimators"] and t["intermediate"] == [] for t in j["trials"] if t["state"] == "pruned")'
json_ok 'all(t["path"][-1]["step"] == t["knobs"]["n_estimators"] and len(t["intermediate"]) == 5 and t["path"][0]["step"] == 10 for t in j["trials"] if t["state"] == "complete")'
pruner=$("$PYTHON" -c 'import sqlite3; print(sqlite3.connect("s.db").execute("SELECT value FROM study_identity WHERE key = '"'pruner'"'").fetchone()[0])')
[[ $pruner == "asha:reduction_factor=3,min_resource=2,max_resource=60" ]] || fail "identity pruner '$pruner'"
passed=$((passed + 1))

# ---- the best is complete, and dial cv with its knobs gives its value
check 0 "" best s.db --json
json_ok 'len(j["intermediate"]) == 5 and j["path"][-1]["step"] == j["knobs"]["n_estimators"]'
keep best.json
sets=$("$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(" ".join("-s %s=%r" % (k, v) for k, v in j["knobs"].items()))' "$TMP/best.json")
value=$("$PYTHON" -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))["value"]))' "$TMP/best.json")
# shellcheck disable=SC2086 # the -s pairs split on purpose
check 0 "" cv gbdt "$DATA/breast_cancer.csv" --target diagnosis --seed 7 $sets --json
json_ok "abs(j['mean'] - $value) < 1e-12"

# ---- the same search without a pruner: every trial asha let finish has the
# same value and path, bit for bit
check 0 "" "${TUNE[@]}" "${PATH_SPACE[@]}" --trials 24 --study s.db --study-name plain --quiet
check 0 "" trials s.db --study-name plain --json
keep plain.json
check 0 "" trials s.db --study-name gbdt --json
keep pruned.json
"$PYTHON" - "$TMP/plain.json" "$TMP/pruned.json" <<'PY' || fail "a survivor differs from its unpruned twin"
import json, sys
plain = {t["number"]: t for t in json.load(open(sys.argv[1]))["trials"]}
pruned = json.load(open(sys.argv[2]))["trials"]
same = [t for t in pruned if t["state"] == "complete"]
assert same and all(t["value"] == plain[t["number"]]["value"] and t["path"] == plain[t["number"]]["path"] and t["intermediate"] == plain[t["number"]]["intermediate"] for t in same)
PY
passed=$((passed + 1))

# ---- a study keeps its pruner: another is refused, none given takes it
check 2 "dial: study 'gbdt' in s.db was created with pruner asha:reduction_factor=3,min_resource=2,max_resource=60, this run asks for none; use --study-name NAME for a new study in the same file" \
    "${TUNE[@]}" "${PATH_SPACE[@]}" --trials 26 --study s.db --pruner none --quiet
check 0 "" "${TUNE[@]}" "${PATH_SPACE[@]}" --trials 26 --study s.db --quiet --json
json_ok 'j["pruner"].startswith("asha (")'

# ---- a study made before pruners (no 'pruner' key) resumes under one
"$PYTHON" -c 'import sqlite3
db = sqlite3.connect("s.db")
db.execute("DELETE FROM study_identity WHERE key = '"'pruner'"' AND study_id = (SELECT study_id FROM studies WHERE name = '"'plain'"')")
db.commit()'
check 0 "" "${TUNE[@]}" "${PATH_SPACE[@]}" --trials 30 --study s.db --study-name plain --pruner asha --quiet
check 0 "" trials s.db --study-name plain --json
json_ok 'len(j["trials"]) == 30 and all(t["state"] == "complete" for t in j["trials"][:24])'

# ---- n_estimators fixed: the folds are the resource (asha after 1 and 3 of
# 5); with two workers a pruned trial still has exactly its first folds
check 0 "" "${TUNE[@]}" -s n_estimators=20 --space 'learning_rate=0.001..0.5:log' --space max_depth=1..6 \
    --trials 24 --study f.db --pruner asha --quiet --json
json_ok 'j["pruner"] == "asha (reduction factor 3; judged after 1 and 3 of 5 folds)"'
check 0 "" trials f.db --json
json_ok 'sum(t["state"] == "pruned" for t in j["trials"]) >= 5'
json_ok 'all([s["step"] for s in t["intermediate"]] in ([0], [0, 1, 2]) and t["path"] == [] for t in j["trials"] if t["state"] == "pruned")'
json_ok 'all([s["step"] for s in t["intermediate"]] == [0, 1, 2, 3, 4] for t in j["trials"] if t["state"] == "complete")'
finish
