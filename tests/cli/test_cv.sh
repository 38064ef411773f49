#!/usr/bin/env bash
# dial cv: repeated k-fold cross-validation, its text and JSON output, and
# its reproducibility: the seed decides the scores, the thread count never.
source "$(dirname "$0")/lib.sh" "$@"

same() {
    cmp -s "$TMP/$1" "$TMP/$2" || fail "$1 and $2 differ: $(diff "$TMP/$1" "$TMP/$2" | head -5)"
    passed=$((passed + 1))
}
differ() {
    cmp -s "$TMP/$1" "$TMP/$2" && fail "$1 and $2 are the same"
    passed=$((passed + 1))
}

IRIS=(knn data/iris.csv --target species -s k=7 --folds 5 --repeats 3 --metric accuracy)

# ---- text
check 0 "" cv "${IRIS[@]}"
has "knn on data/iris.csv (150 rows, target species, classification)"
has "5-fold cross-validation (stratified) x 3 repeats, seed 0"
has "knobs set: k=7"
has_line "^accuracy: mean 0\.9[3-8][0-9]{2}, std 0\.[0-9]{4} over 15 scores \(higher is better\)$"
for r in 1 2 3; do has_line "^  repeat $r:( [01]\.[0-9]{4}){5}$"; done

# ---- JSON
check 0 "" cv "${IRIS[@]}" --json
keep seed0_jobs_default.json
json_ok 'j["model"] == "knn" and j["metric"] == "accuracy" and j["folds"] == 5 and j["repeats"] == 3'
json_ok 'len(j["scores"]) == 15 and 0.93 <= j["mean"] <= 0.99'
json_ok 'abs(j["mean"] - sum(j["scores"]) / 15) < 1e-12'
json_ok 'abs(j["std"] - (sum((s - j["mean"]) ** 2 for s in j["scores"]) / 15) ** 0.5) < 1e-12'
json_ok 'j["knobs"]["k"] == 7 and j["seed"] == 0 and j["stratified"] is True'

# A list knob is a JSON array; its text form stays comma-separated.
check 0 "" cv mlp data/iris.csv --target species -s hidden=16,8 -s epochs=10 --folds 3 --json
json_ok 'j["knobs"]["hidden"] == [16, 8] and j["knobs"]["epochs"] == 10'
check 0 "" cv mlp data/iris.csv --target species -s hidden=16,8 -s epochs=10 --folds 3
has "knobs set: hidden=16,8, epochs=10"

# ---- reproducibility
check 0 "" cv "${IRIS[@]}" --json --jobs 1
keep jobs1.json
check 0 "" cv "${IRIS[@]}" --json --jobs 2
keep jobs2.json
same jobs1.json jobs2.json
same jobs1.json seed0_jobs_default.json
check 0 "" cv "${IRIS[@]}" --json --jobs 2
keep jobs2_again.json
same jobs2.json jobs2_again.json
check 0 "" cv "${IRIS[@]}" --json --seed 7
keep seed7.json
differ seed0_jobs_default.json seed7.json
check 0 "" cv "${IRIS[@]}" --json --seed 7 --jobs 1
keep seed7_jobs1.json
same seed7.json seed7_jobs1.json
check 0 "" cv "${IRIS[@]}" --seed 7
keep seed7.txt
check 0 "" cv "${IRIS[@]}" --seed 7
keep seed7_again.txt
same seed7.txt seed7_again.txt

# ---- defaults: 5 folds, 1 repeat, accuracy for classification, r2 for regression
check 0 "" cv logistic data/breast_cancer.csv --json
json_ok 'j["folds"] == 5 and j["repeats"] == 1 and len(j["scores"]) == 5'
json_ok 'j["metric"] == "accuracy" and j["target"] == "diagnosis" and j["mean"] > 0.95'
check 0 "" cv linear data/diabetes.csv --json
json_ok 'j["metric"] == "r2" and j["stratified"] is False and 0.3 < j["mean"] < 0.6'
check 0 "" cv linear data/diabetes.csv --metric rmse --json
json_ok 'j["metric"] == "rmse" and 45 < j["mean"] < 65'
check 0 "" cv linear data/diabetes.csv --metric rmse
has "(lower is better)"
check 0 "" cv naive_bayes data/wine.csv --target cultivar --folds 3 --json
json_ok 'len(j["scores"]) == 3 and j["mean"] > 0.9'
check 0 "" cv logistic data/breast_cancer.csv --metric roc_auc --json
json_ok 'j["metric"] == "roc_auc" and j["mean"] > 0.98'
# Target by 1-based index: column 5 of iris is species.
check 0 "" cv knn data/iris.csv --target 5 -s k=7 --json
json_ok 'j["target"] == "species"'

# --task overrides the guess: sex (1 or 2) is a class unless told otherwise.
check 0 "" cv knn data/diabetes.csv --target sex --json
json_ok 'j["metric"] == "accuracy" and j["stratified"] is True'
check 0 "" cv knn data/diabetes.csv --target sex --task regression --json
json_ok 'j["metric"] == "r2" and j["stratified"] is False'
# Other separators: the same data with semicolons, detected or named.
tr ',' ';' <data/iris.csv >"$TMP/iris_semicolon.csv"
check 0 "" cv "${IRIS[@]}" --json
keep comma.json
check 0 "" cv knn "$TMP/iris_semicolon.csv" --target species -s k=7 --folds 5 --repeats 3 --metric accuracy --json
json_ok 'abs(j["mean"] - json.load(open(sys.argv[1].replace("/out", "/comma.json")))["mean"]) == 0'
check 0 "" cv knn "$TMP/iris_semicolon.csv" --sep ';' --target species -s k=7 --json
json_ok 'len(j["scores"]) == 5'

finish
