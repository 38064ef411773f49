#!/usr/bin/env bash
# dial tune, trials and best: the known scores on the bundled data, the text
# and JSON outputs, reproducibility whatever --jobs, studies that resume,
# holdout and nested estimates, progress lines, Ctrl-C, the tuned model file,
# and one clear error line for every bad option or space.
source "$(dirname "$0")/lib.sh" "$@"

# trials_without_durations FILE: the trials of `dial trials --json` minus what timing decides.
trials_without_durations() {
    "$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
for t in j["trials"]:
    del t["duration"]
print(json.dumps(j, sort_keys=True))' "$1"
}

IRIS=(knn data/iris.csv --target species)
WINE=(logistic data/wine.csv --target cultivar)

# ---- the known scores
check 0 "" tune logistic data/breast_cancer.csv --target diagnosis --sampler grid \
    --space 'C=1e-2..1e2:log' --grid-points 17 -s max_iter=1000 --seed 4 --jobs 2 --json --quiet
json_ok 'j["trials"] == 17 and j["best_value"] >= 0.975 and j["metric"] == "accuracy"'
check 0 "" tune knn data/digits.csv --target digit --sampler grid --space k=1..4 -s scale=none \
    --jobs 2 --json --quiet
json_ok 'j["trials"] == 4 and j["best_value"] >= 0.985'

# ---- text output
check 0 "" tune "${IRIS[@]}" --trials 12 --seed 1 --quiet
has "knn on data/iris.csv (150 rows, target species, classification)"
has "space: k=1..50"
has "search: auto sampler, seed 1; 5-fold cross-validation (stratified); accuracy (higher is better)"
has "study: knn in memory (12 trials)"
has "Top 10 of 12 trials (12 complete, 0 pruned, 0 failed)"
has_line "^  TRIAL  ACCURACY     STD  KNOBS +TIME$"
has_line "^best: trial [0-9]+, accuracy 0\.9[0-9]{3} ± 0\.[0-9]{4} over 5 folds$"
has_line "^  k=[0-9]+$"
has "not saved: add -o FILE to refit the best on all 150 rows and save it"

# ---- JSON, and the same trials in the study file
check 0 "" tune "${IRIS[@]}" --trials 12 --seed 1 --quiet --json --study "$TMP/iris.db" -o "$TMP/iris.dial"
keep tune.json
json_ok 'j["trials"] == 12 and j["new_trials"] == 12 and j["stopped"] is False'
json_ok 'j["study"].endswith("iris.db") and j["study_name"] == "knn" and j["output"].endswith("iris.dial")'
json_ok 'j["best_value"] == j["leaderboard"][0]["value"] and j["best_number"] == j["leaderboard"][0]["number"]'
json_ok 'len(j["leaderboard"]) == 10 and all(a["value"] >= b["value"] for a, b in zip(j["leaderboard"], j["leaderboard"][1:]))'
json_ok 'set(j["best_knobs"]) == {"k"} and isinstance(j["best_knobs"]["k"], int)'
check 0 "" best "$TMP/iris.db" --json
json_ok 'set(j) >= {"number", "value", "knobs"} and j["study"] == "knn" and j["direction"] == "maximize"'
json_ok 'j["number"] == json.load(open(sys.argv[1].replace("/out", "/tune.json")))["best_number"]'
json_ok 'j["value"] == json.load(open(sys.argv[1].replace("/out", "/tune.json")))["best_value"]'
json_ok 'len(j["intermediate"]) == 5 and abs(sum(s["value"] for s in j["intermediate"]) / 5 - j["value"]) < 1e-12'
check 0 "" best "$TMP/iris.db"
has_line "^best of study knn in .*iris.db \(12 trials; higher is better\)$"
has_line "^  knobs: k=[0-9]+$"
check 0 "" trials "$TMP/iris.db" --json
json_ok 'j["study"] == "knn" and j["direction"] == "maximize" and [t["number"] for t in j["trials"]] == list(range(12))'
json_ok 'all(t["state"] == "complete" and set(t) >= {"number", "state", "value", "knobs", "intermediate", "duration"} for t in j["trials"])'
json_ok 'all([s["step"] for s in t["intermediate"]] == [0, 1, 2, 3, 4] for t in j["trials"])'
check 0 "" trials "$TMP/iris.db" --csv
has_line "^number,state,value,duration,k$"
[[ $(wc -l <"$TMP/out") -eq 13 ]] || fail "expected a header and 12 rows"
has_line "^0,complete,0\.[0-9]+,[0-9.]+,[0-9]+$"
check 0 "" trials "$TMP/iris.db"
has_line "^study knn in .*iris.db: 12 trials \(12 complete, 0 pruned, 0 failed, 0 running\); higher is better$"
has_line "^  TRIAL  STATE +VALUE +STD  KNOBS +FOLDS +TIME$"

# The refit model says where its knobs came from, and dial cv reproduces the score.
check 0 "" inspect "$TMP/iris.dial" --json
json_ok 'j["tuning"]["study_name"] == "knn" and j["tuning"]["study_file"].endswith("iris.db")'
json_ok 'j["tuning"]["trial"] == json.load(open(sys.argv[1].replace("/out", "/tune.json")))["best_number"]'
json_ok 'j["tuning"]["n_trials"] == 12 and j["tuning"]["metric"] == "accuracy" and j["tuning"]["folds"] == 5'
json_ok 'j["knobs"]["k"] == json.load(open(sys.argv[1].replace("/out", "/tune.json")))["best_knobs"]["k"]'
best_k=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["best_knobs"]["k"])' "$TMP/tune.json")
check 0 "" cv "${IRIS[@]}" -s "k=$best_k" --seed 1 --json
json_ok 'abs(j["mean"] - json.load(open(sys.argv[1].replace("/out", "/tune.json")))["best_value"]) < 1e-12'
check 0 "" inspect "$TMP/iris.dial"
has_line "^  tuned +trial [0-9]+ of study knn in "
tr -s ' \n' ' ' <"$TMP/out" >"$TMP/flat"
grep -qE "iris.db: accuracy 0\.9[0-9]{3} \(std 0\.[0-9]{4} over 5 folds; best of 12 trials\)" "$TMP/flat" ||
    fail "the tuned row says: $(grep -A1 tuned "$TMP/out")"
passed=$((passed + 1))

# ---- resuming: --trials is the study's total
check 0 "" tune "${IRIS[@]}" --trials 12 --seed 1 --quiet --json --study "$TMP/iris.db"
json_ok 'j["trials"] == 12 and j["new_trials"] == 0'
check 0 "" tune "${IRIS[@]}" --trials 15 --seed 1 --quiet --json --study "$TMP/iris.db"
json_ok 'j["trials"] == 15 and j["new_trials"] == 3'
check 0 "" trials "$TMP/iris.db" --json
json_ok 'len(j["trials"]) == 15 and len({t["number"] for t in j["trials"]}) == 15'

# ---- a study is one experiment: resuming it with another setup is refused
# before any trial runs; an option left out on resume takes the stored value
WAY_OUT="use --study-name NAME for a new study in the same file"
check 0 "" tune knn data/iris.csv --trials 5 --study "$TMP/mix.db" --quiet
check 2 "dial: study 'knn' in $TMP/mix.db was created with metric accuracy, this run asks for f1; $WAY_OUT" \
    tune knn data/iris.csv --trials 8 --study "$TMP/mix.db" --metric f1 --quiet
fingerprint() { # the first 16 hex digits of the "data" key of study knn
    "$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT value FROM study_identity WHERE key = '"'data'"'").fetchone()[0].split()[0])' "$1"
}
iris_print=$(fingerprint "$TMP/mix.db")
check 0 "" tune knn data/wine.csv --trials 1 --study "$TMP/wine.db" --quiet
wine_print=$(fingerprint "$TMP/wine.db")
check 2 "dial: study 'knn' in $TMP/mix.db was created on data/iris.csv (fingerprint $iris_print); this run's data/wine.csv is other data (fingerprint $wine_print); $WAY_OUT" \
    tune knn data/wine.csv --trials 12 --study "$TMP/mix.db" -o "$TMP/w.dial" --quiet
[[ ! -e "$TMP/w.dial" ]] || fail "a refused run saved a model"
check 0 "" trials "$TMP/mix.db" --json
json_ok 'len(j["trials"]) == 5'
# the same rows in another order: still other data, and said so
{ head -1 data/iris.csv; tail -n +2 data/iris.csv | tac; } >"$TMP/reversed.csv"
check 2 "dial: study 'knn' in $TMP/mix.db was created on data/iris.csv; this run's $TMP/reversed.csv holds the same rows in another order, which a study still counts as other data; $WAY_OUT" \
    tune knn "$TMP/reversed.csv" --study "$TMP/mix.db" --quiet
check 2 "dial: study 'knn' in $TMP/mix.db was created with model knn, this run asks for svm; $WAY_OUT" \
    tune svm data/iris.csv --study "$TMP/mix.db" --study-name knn --quiet
# switching the sampler (a grid after random trials) is refused
check 2 "dial: study 'knn' in $TMP/mix.db was created with sampler auto, this run asks for grid; $WAY_OUT" \
    tune knn data/iris.csv --study "$TMP/mix.db" --sampler grid --quiet
check 2 "dial: study 'knn' in $TMP/mix.db was created with space k=1..50, this run asks for k=1..20; $WAY_OUT" \
    tune knn data/iris.csv --study "$TMP/mix.db" --space k=1..20 --quiet
# left out on resume: the stored metric, seed, folds, target and space
check 0 "" tune knn data/iris.csv --study "$TMP/f1.db" --metric f1 --seed 7 --cv 3 --target species \
    -s weights=distance --space k=1..20 --trials 3 --quiet
check 0 "" tune knn data/iris.csv --study "$TMP/f1.db" --trials 5 --json --quiet
json_ok 'j["metric"] == "f1" and j["seed"] == 7 and j["folds"] == 3 and j["target"] == "species" and j["trials"] == 5 and j["new_trials"] == 2'
json_ok 'all(1 <= t["knobs"]["k"] <= 20 and set(t["knobs"]) == {"k"} for t in j["leaderboard"])'
check 2 "dial: study 'knn' in $TMP/f1.db was created with metric f1, this run asks for accuracy; $WAY_OUT" \
    tune knn data/iris.csv --study "$TMP/f1.db" --metric accuracy --quiet
check 2 "dial: study 'knn' in $TMP/f1.db was created with knobs weights=distance, this run asks for (none); $WAY_OUT" \
    tune knn data/iris.csv --study "$TMP/f1.db" --space k=1..20 --quiet
# a stored setting that does not read back (a hand-edited file) names the option to give
cp "$TMP/f1.db" "$TMP/edited.db"
"$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE study_identity SET value = '"'3x'"' WHERE key = '"'folds'"'")
db.commit()' "$TMP/edited.db"
check 1 "dial: study 'knn' in $TMP/edited.db holds folds '3x', which this dial does not read; give --folds on the command line" \
    tune knn data/iris.csv --study "$TMP/edited.db" --quiet
# another name in the same file is a new study
check 0 "" tune knn data/iris.csv --study "$TMP/f1.db" --study-name knn-accuracy --metric accuracy --trials 2 --quiet

# ---- two processes on one study: each counts its own trials (digits: trials
# long enough for the two runs to overlap; however they interleave, the
# counts add up to the study's trials)
DIGITS=(knn data/digits.csv --target digit --trials 16 --jobs 1 --study "$TMP/shared.db")
"$DIAL" tune "${DIGITS[@]}" >"$TMP/a.txt" 2>/dev/null &
first=$!
"$DIAL" tune "${DIGITS[@]}" >"$TMP/b.txt" 2>/dev/null
wait "$first" || fail "the first of two concurrent runs failed"
"$PYTHON" -c 'import re, sys
counts = []
for path in sys.argv[1:]:
    m = re.search(r"^study: knn in .*shared.db \((\d+) trials, (\d+) of them in this run\)$", open(path).read(), re.M)
    assert m, open(path).read()
    counts.append(int(m.group(2)))
assert sum(counts) == 16, counts' "$TMP/a.txt" "$TMP/b.txt" || fail "the two runs' own trials do not add up to the study's 16"
passed=$((passed + 1))

# ---- the same seed gives the same trials with --jobs 1 and --jobs 2
check 0 "" tune "${WINE[@]}" --trials 10 --seed 3 --space 'C=1e-3..1e3:log' --space penalty=l2,l1 -s max_iter=1000 --study "$TMP/one.db" --jobs 1 --quiet
check 0 "" tune "${WINE[@]}" --trials 10 --seed 3 --space 'C=1e-3..1e3:log' --space penalty=l2,l1 -s max_iter=1000 --study "$TMP/two.db" --jobs 2 --quiet
check 0 "" trials "$TMP/one.db" --json
trials_without_durations "$TMP/out" >"$TMP/one.txt"
check 0 "" trials "$TMP/two.db" --json
trials_without_durations "$TMP/out" >"$TMP/two.txt"
cmp -s "$TMP/one.txt" "$TMP/two.txt" || fail "--jobs 1 and --jobs 2 gave different trials: $(diff "$TMP/one.txt" "$TMP/two.txt" | head -3)"
passed=$((passed + 1))

# ---- random search does not repeat a point of a finite space while unseen
# ones remain: 40 trials over k=1..50 try 40 distinct k (independent draws
# tried 26), the same with --jobs 1 and --jobs 2
for jobs in 1 2; do
    check 0 "" tune "${IRIS[@]}" --trials 40 --seed 0 --cv 3 --study "$TMP/distinct$jobs.db" --jobs $jobs --quiet \
        --sampler random
    check 0 "" trials "$TMP/distinct$jobs.db" --json
    json_ok 'len(j["trials"]) == 40 and len({t["knobs"]["k"] for t in j["trials"]}) == 40'
    trials_without_durations "$TMP/out" >"$TMP/distinct$jobs.txt"
done
cmp -s "$TMP/distinct1.txt" "$TMP/distinct2.txt" || fail "--jobs 1 and --jobs 2 gave different trials over k"
passed=$((passed + 1))

# ---- a trial that prepares the folds for the others (kNN's neighbour lists)
# says so under its TIME; the trials that reuse them do not
check 0 "" tune "${IRIS[@]}" --trials 6 --seed 0 --jobs 1 --quiet
has_line "^      time incl\. [0-9.]+ (ms|s) of shared preparation, done once for the trials after it$"
[[ $(grep -c "shared preparation" "$TMP/out") -eq 1 ]] || fail "more than one trial claims the preparation"
passed=$((passed + 1))
check 0 "" tune "${IRIS[@]}" --trials 6 --seed 0 --jobs 1 --quiet --json
json_ok '[t["number"] for t in j["leaderboard"] if t["prepare_seconds"] > 0] == [0]'
json_ok 'all(t["duration"] >= t["prepare_seconds"] for t in j["leaderboard"])'
# a model without shared preparation has none to report
check 0 "" tune "${WINE[@]}" --trials 3 --seed 0 --jobs 1 --quiet --json
json_ok 'all(t["prepare_seconds"] == 0 for t in j["leaderboard"])'

# ---- grid: its size is the default number of trials
check 0 "" tune "${WINE[@]}" --sampler grid --space 'C=1e-3..1e3:log' --grid-points 7 --quiet --json
json_ok 'j["trials"] == 7 and j["sampler"] == "grid"'
json_ok 'sorted(round(__import__("math").log10(t["knobs"]["C"]), 9) for t in j["leaderboard"]) == [-3, -2, -1, 0, 1, 2, 3]'

# ---- a list knob: mlp's hidden layers, alternatives separated by '|'
MLP=(mlp data/iris.csv --target species -s epochs=20)
check 0 "" tune "${MLP[@]}" --space 'hidden=8|16,8' --trials 2 --study "$TMP/mlp.db" --quiet --json
json_ok 'j["trials"] == 2 and all(t["knobs"]["hidden"] in ([8], [16, 8]) for t in j["leaderboard"])'
json_ok 'j["best_knobs"]["hidden"] == j["leaderboard"][0]["knobs"]["hidden"]'
check 0 "" trials "$TMP/mlp.db" --json
json_ok 'len(j["trials"]) == 2 and all(t["state"] == "complete" for t in j["trials"])'
json_ok 'all(t["knobs"]["hidden"] in (8, [16, 8]) for t in j["trials"])'
# The grid tries each alternative once; a several-layer one is an array everywhere.
check 0 "" tune "${MLP[@]}" --sampler grid --space 'hidden=8|16,8' -s learning_rate=0.01 -s alpha=1e-4 \
    --study "$TMP/grid.db" -o "$TMP/mlp.dial" --quiet --json
keep mlp_tune.json
json_ok 'j["trials"] == 2 and set(j["best_knobs"]) == {"hidden"}'
json_ok 'sorted(t["knobs"]["hidden"] for t in j["leaderboard"]) == [[8], [16, 8]]'
check 0 "" trials "$TMP/grid.db" --json
json_ok 'sorted(str(t["knobs"]["hidden"]) for t in j["trials"]) == ["8", "[16, 8]"]'
check 0 "" trials "$TMP/grid.db" --csv
has_line '^[01],complete,0\.[0-9]+,[0-9.]+,"16,8"$'
has_line '^[01],complete,0\.[0-9]+,[0-9.]+,8$'
check 0 "" best "$TMP/grid.db" --json
json_ok 'j["knobs"]["hidden"] in (8, [16, 8])'
check 0 "" inspect "$TMP/mlp.dial" --json
json_ok 'j["knobs"]["hidden"] == json.load(open(sys.argv[1].replace("/out", "/mlp_tune.json")))["best_knobs"]["hidden"]'
# A space file gives the alternatives as arrays.
echo '{"hidden": [[8], [16, 8]]}' >"$TMP/hidden.json"
check 0 "" tune "${MLP[@]}" --sampler grid --space-file "$TMP/hidden.json" -s learning_rate=0.01 -s alpha=1e-4 \
    --quiet --json
json_ok 'sorted(t["knobs"]["hidden"] for t in j["leaderboard"]) == [[8], [16, 8]]'
check 2 "dial: knob 'hidden' = '16,0' is out of range: each layer must be in [1, 100000]" \
    tune "${MLP[@]}" --space 'hidden=8|16,0'

# ---- holdout and nested
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --quiet --json
json_ok '0.85 <= j["holdout_score"] <= 1 and j["holdout_rows"] == 30'
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --quiet
has_line "^holdout: accuracy [01]\.[0-9]{4} on the 30 rows the search never saw \(cross-validated 0\.[0-9]{4}\)$"
has "not saved: add -o FILE to refit the best on the search's 120 rows and save it"

# --holdout-out writes the held-out rows (header, every column, the file's order), and dial score
# gives on them the holdout score tune printed; the refit learns from the search's rows unless
# --refit all, and says so.
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --holdout-out "$TMP/held.csv" -o "$TMP/held.dial" --quiet --json
keep tune.json
json_ok 'j["holdout_out"].endswith("held.csv") and j["refit_rows"] == 120'
current="the held-out rows"
"$PYTHON" - "$TMP/held.csv" data/iris.csv <<'PY' || fail "held.csv is not 30 rows of iris.csv in its order"
import csv, sys
held, iris = (list(csv.reader(open(path))) for path in sys.argv[1:])
assert held[0] == iris[0] and len(held) == 31
same = lambda a, b: all(x == y or float(x) == float(y) for x, y in zip(a, b))
position = 1
for row in held[1:]:
    while not same(row, iris[position]):
        position += 1
    position += 1
PY
passed=$((passed + 1))
check 0 "" score "$TMP/held.dial" "$TMP/held.csv" --metric accuracy --json
json_ok 'j["rows"] == 30 and j["metrics"]["accuracy"] == json.load(open(sys.argv[1].replace("out", "tune.json")))["holdout_score"]'
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --holdout-out "$TMP/held.csv" -o "$TMP/held.dial" --quiet
has_line "^holdout: accuracy [01]\.[0-9]{4} on the 30 rows the search never saw, written to $TMP/held.csv \(cross-validated 0\.[0-9]{4}\)$"
has "refit on the 120 rows the search saw, not the 30 held out (--refit all uses every row): saved to $TMP/held.dial"
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --refit all -o "$TMP/all.dial" --quiet
has "refit on all 150 rows (the search's 120 and the 30 held out): saved to $TMP/all.dial"
check 0 "" inspect "$TMP/all.dial" --json
json_ok 'j["facts"]["rows"] == 150 and j["tuning"]["rows"] == 120 and j["tuning"]["refit_rows"] == 150'
# The holdout is scored by the fit that never saw it, whichever rows the saved model learned from.
check 0 "" tune "${IRIS[@]}" --trials 10 --holdout 0.2 --refit all -o "$TMP/all.dial" --quiet --json
json_ok 'j["holdout_score"] == json.load(open(sys.argv[1].replace("out", "tune.json")))["holdout_score"] and j["refit_rows"] == 150'
check 2 "dial: --holdout-out $TMP/x.csv writes the held-out rows, but nothing is held out: add --holdout F" \
    tune "${IRIS[@]}" --holdout-out "$TMP/x.csv"
# A resumed study's holdout counts: the same rows are held out again, and written.
check 0 "" tune "${IRIS[@]}" --trials 3 --holdout 0.2 --study "$TMP/held.db" --quiet
check 0 "" tune "${IRIS[@]}" --trials 3 --study "$TMP/held.db" --holdout-out "$TMP/resumed.csv" --quiet
has "the 30 rows the search never saw, written to $TMP/resumed.csv"
check 2 "dial: --refit chooses the rows of the model -o saves, but nothing is saved: add -o FILE" \
    tune "${IRIS[@]}" --holdout 0.2 --refit all
check 2 "dial: --refit expects search (the rows the search saw) or all (every row, the held-out ones too), got 'every'" \
    tune "${IRIS[@]}" --holdout 0.2 --refit every -o "$TMP/x.dial"
check 2 "dial: --holdout-out data/iris.csv is the data file being read; choose another output" \
    tune "${IRIS[@]}" --holdout 0.2 --holdout-out data/iris.csv
check 2 "dial: --holdout-out and -o both write $TMP/x.out; give them different files" \
    tune "${IRIS[@]}" --holdout 0.2 --holdout-out "$TMP/x.out" -o "$TMP/x.out"
check 0 "" tune "${WINE[@]}" --trials 6 --nested 3 --study "$TMP/nested.db" --quiet --json
json_ok 'j["nested"]["completed"] == 3 and len(j["nested"]["scores"]) == 3'
json_ok 'abs(j["nested"]["mean"] - sum(j["nested"]["scores"]) / 3) < 1e-12'
json_ok 'abs(j["nested"]["inner_best_mean"] - sum(j["nested"]["inner_best"]) / 3) < 1e-12'
json_ok 'j["nested"]["studies"] == ["logistic-outer-1", "logistic-outer-2", "logistic-outer-3"]'
json_ok 'j["trials"] == 0 and j["best_value"] is None and j["leaderboard"] == []'
for k in 1 2 3; do
    check 0 "" trials "$TMP/nested.db" --study-name "logistic-outer-$k" --json
    json_ok "j[\"study\"] == \"logistic-outer-$k\" and len(j[\"trials\"]) == 6"
done
# Without -o nothing uses a search on all rows, so none runs: the file holds the outer studies only.
check 2 "dial: $TMP/nested.db holds 3 studies (logistic-outer-1, logistic-outer-2, logistic-outer-3); choose one with --study-name" \
    trials "$TMP/nested.db"
check 0 "" tune "${WINE[@]}" --trials 6 --nested 3 --quiet
has_line "^nested 3-fold: accuracy 0\.[0-9]{4} ± 0\.[0-9]{4} \(outer folds: [01]\.[0-9]{4} [01]\.[0-9]{4} [01]\.[0-9]{4}\)$"
has "runs: 3 outer searches of 6 trials on their training rows for the nested estimate; no search on all rows, as nothing is saved (-o FILE adds one, for the model it saves)"
has "not saved: add -o FILE to also search all 178 rows and save the best found there"
# The trials that run: K x N without -o, (K + 1) x N with it (one progress line per trial).
current="nested trial counts"
"$DIAL" tune "${WINE[@]}" --trials 4 --nested 3 >"$TMP/out" 2>"$TMP/err" || fail "exit status $?"
[[ $(grep -c ' complete: ' "$TMP/err") -eq 12 ]] || fail "expected 12 trials without -o: $(cat "$TMP/err")"
"$DIAL" tune "${WINE[@]}" --trials 4 --nested 3 -o "$TMP/nested.dial" >"$TMP/out" 2>"$TMP/err" || fail "exit status $?"
[[ $(grep -c ' complete: ' "$TMP/err") -eq 16 ]] || fail "expected 16 trials with -o: $(cat "$TMP/err")"
passed=$((passed + 2))
has "runs: a search of 4 trials on all 178 rows for the model -o saves, then 3 outer searches of 4 trials on their training rows for the nested estimate: 16 trials in all"
has "refit on all 178 rows: saved to $TMP/nested.dial"

# ---- progress: the sampler's plan, then one line per trial when stderr is
# not a terminal; none with --quiet
current="progress lines"
"$DIAL" tune "${IRIS[@]}" --trials 5 --space k=3..9 >"$TMP/out" 2>"$TMP/err" || fail "exit status $?"
# The header first: what the sampler uses.
[[ $(head -1 "$TMP/err") == "sampler: auto"* ]] || fail "no sampler header: $(head -1 "$TMP/err")"
[[ $(wc -l <"$TMP/err") -eq 6 ]] || fail "expected the header and 5 progress lines: $(cat "$TMP/err")"
grep -qE '^trial [0-4] complete: accuracy 0\.[0-9]{4} \(k=[3-9]\) [0-9.]+ m?s$' "$TMP/err" ||
    fail "bad progress line: $(head -1 "$TMP/err")"
passed=$((passed + 1))

# ---- a grid multiplied by the default space's other knobs gets a note (--timeout ends it)
current="large grid note"
"$DIAL" tune gbdt data/wine.csv --target cultivar --sampler grid --space n_estimators=10,20,40 \
    --space learning_rate=0.1,0.3 --timeout 0.5 >"$TMP/out" 2>"$TMP/err" || fail "exit status $?"
[[ "$(head -2 "$TMP/err")" == "sampler: grid
note: the grid has 660000 points: every knob of the model's default space is searched unless fixed with -s (--trials or --timeout stop it earlier)" ]] ||
    fail "first stderr lines: $(head -2 "$TMP/err")"
"$DIAL" tune gbdt data/wine.csv --target cultivar --sampler grid --space n_estimators=10,20,40 \
    --space learning_rate=0.1,0.3 -s max_depth=3 -s min_child_weight=1 -s lambda=1 -s subsample=1 \
    -s colsample=1 >"$TMP/out" 2>"$TMP/err" || fail "exit status $?"
! grep -q "^note:" "$TMP/err" || fail "a 6-point grid got the note"
passed=$((passed + 1))

# ---- a study without a complete trial
check 1 "dial: no trial of study 'knn' completed; trial 0 failed: fold 1 of 5: feature 'Home' is missing on row 1677 and impute=none; set impute to mean, median or most_frequent, or remove the row" \
    tune knn data/credit_data.csv --target Status -s impute=none --space k=1..5 --trials 2 --jobs 1 --quiet --study "$TMP/failed.db"
check 1 "dial: study 'knn' in $TMP/failed.db has no complete trial yet (2 trials: 2 failed, 0 running)" \
    best "$TMP/failed.db"
check 0 "" trials "$TMP/failed.db" --json
json_ok 'all(t["state"] == "failed" and t["value"] is None and "impute=none" in t["message"] for t in j["trials"])'

# ---- Ctrl-C: running trials finish, completed ones are kept, a rerun continues
current="Ctrl-C"
# svm has no prepare-once path, so each trial takes long enough (about a
# second) for the signal to land mid-run.
"$DIAL" tune svm data/digits.csv --target digit --space C=1..100:log --trials 4 --jobs 1 \
    --study "$TMP/stop.db" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 1 600); do
    grep -q "complete" "$TMP/err" 2>/dev/null && break
    sleep 0.05
done
kill -INT $pid
wait $pid
status=$?
[[ $status -eq 1 ]] || fail "exit status $status after Ctrl-C, expected 1; stderr: $(cat "$TMP/err")"
grep -qE "^dial: interrupted after [1-3] trials; every completed trial is kept: run the same command again to continue$" "$TMP/err" ||
    fail "no interruption message: $(tail -2 "$TMP/err")"
grep -q "stopped early: run the same command again to continue the study" "$TMP/out" || fail "no summary after Ctrl-C"
passed=$((passed + 1))
check 0 "" tune svm data/digits.csv --target digit --space C=1..100:log --trials 4 --jobs 1 \
    --study "$TMP/stop.db" --quiet --json
json_ok 'j["trials"] == 4 and 1 <= j["new_trials"] <= 3 and j["stopped"] is False'

# ---- one clear error line for every bad option and space (exit 2)
check 2 "dial: unknown knob 'kk' for knn; did you mean 'k'?" tune "${IRIS[@]}" --space kk=1..5
check 2 "dial: unknown knob 'gama' for knn; known knobs: impute, scale, k, weights, metric, p, algorithm" tune "${IRIS[@]}" --space gama=1..2
check 2 "dial: space for 'k': 0..10 is out of range: must be >= 1" tune "${IRIS[@]}" --space k=0..10
check 2 "dial: space for 'C': 0..10 is out of range: must be > 0" tune "${WINE[@]}" --space C=0..10
check 2 "dial: knob 'weights' = 'far' is not one of: uniform, distance" tune "${IRIS[@]}" --space weights=uniform,far
check 2 "dial: bad space item 'k=1..': expected name=low..high[:log][:step=S], name=a,b,c or name=value" tune "${IRIS[@]}" --space k=1..
echo '{"k": [1, 3, 5]}' >"$TMP/space.json"
check 2 "dial: space for 'k': a list of numbers is a range [low, high], got 3 numbers; write a list of values as text, as in \"1,3,5\"" \
    tune "${IRIS[@]}" --space-file "$TMP/space.json"
check 2 "dial: knob 'k' is fixed with -s k=3 and searched with --space k=1..5; drop one" tune "${IRIS[@]}" -s k=3 --space k=1..5
check 2 "dial: knob 'p' is searched but never applies: it applies only when metric=minkowski; set metric with -s or search it with --space" \
    tune "${IRIS[@]}" --space p=1..3
check 2 "dial: nothing to search: knn has no knob with a default search range left once -s fixed its knobs; add one with --space NAME=RANGE" \
    tune "${IRIS[@]}" -s k=3
check 2 "dial: --holdout expects a fraction between 0 and 1 such as 0.2, got '1.5'" tune "${IRIS[@]}" --holdout 1.5
check 2 "dial: --holdout expects a fraction between 0 and 1 such as 0.2, got '0'" tune "${IRIS[@]}" --holdout 0
check 2 "dial: --nested expects an integer >= 2 (the outer folds), got '1'" tune "${IRIS[@]}" --nested 1
check 2 "dial: --holdout and --nested cannot be combined; choose one" tune "${IRIS[@]}" --holdout 0.2 --nested 3
check 2 "dial: --sampler expects auto, tpe, gp, cmaes, qmc, random or grid, got 'foo'" tune "${IRIS[@]}" --sampler foo
check 2 "dial: --trials expects an integer >= 1, got '0'" tune "${IRIS[@]}" --trials 0
check 2 "dial: --timeout expects a duration such as 90, 90s, 10m or 1h, got 'soon'" tune "${IRIS[@]}" --timeout soon
check 2 "dial: --timeout expects a duration such as 90, 90s, 10m or 1h, got '10x'" tune "${IRIS[@]}" --timeout 10x
check 2 "dial: --cv expects an integer >= 2 (the folds), got '1'" tune "${IRIS[@]}" --cv 1
check 2 "dial: --grid-points expects an integer >= 1, got '0'" tune "${IRIS[@]}" --grid-points 0
check 2 "dial: metric 'rmse' is for regression, but the target 'species' is a classification target" tune "${IRIS[@]}" --metric rmse
check 2 "dial: --folds expects an integer >= 2, got '1'" tune "${IRIS[@]}" --folds 1
check 2 "dial: missing DATA for tune; usage: dial tune MODEL DATA [options]" tune knn
check 2 "dial: --json and --csv cannot be combined; choose one" trials "$TMP/iris.db" --json --csv
check 2 "dial: $TMP/iris.db has no study 'svm'; it holds: knn" best "$TMP/iris.db" --study-name svm
check 1 "dial: cannot open study file $TMP/none.db: no such file" trials "$TMP/none.db"
check 1 "dial: cannot read space file $TMP/none.json: No such file or directory" tune "${IRIS[@]}" --space-file "$TMP/none.json"
# The timeout forms are accepted.
for timeout in 90 90s 10m 1h 1.5h; do
    check 0 "" tune "${IRIS[@]}" --trials 2 --timeout "$timeout" --quiet --json
done

finish
