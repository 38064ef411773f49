#!/usr/bin/env bash
# dial fit, predict and inspect: a round trip on breast_cancer, column
# binding by name, headerless files, probabilities, and damaged model files.
source "$(dirname "$0")/lib.sh" "$@"
BC=data/breast_cancer.csv

# check_error STATUS REGEX ARGS...: fails with STATUS and exactly one stderr line, "dial: " and
# matching the extended REGEX (for messages that hold a temporary path).
check_error() {
    local want_status=$1 pattern=$2
    shift 2
    current="dial $*"
    "$DIAL" "$@" >"$TMP/out" 2>"$TMP/err"
    local status=$?
    [[ $status -eq $want_status ]] || fail "exit status $status, expected $want_status; stderr: $(cat "$TMP/err")"
    [[ $(wc -l <"$TMP/err") -eq 1 ]] || fail "stderr is not one line: $(cat "$TMP/err")"
    grep -qE -- "^dial: $pattern" "$TMP/err" || fail "stderr '$(cat "$TMP/err")' does not match '$pattern'"
    passed=$((passed + 1))
}
# same FILE1 FILE2: the files are byte for byte equal.
same() {
    cmp -s "$1" "$2" || fail "$1 and $2 differ"
    passed=$((passed + 1))
}

# ---- fit
check 0 "" fit logistic $BC --target diagnosis -s C=0.5 -o "$TMP/bc.dial"
has "fitted logistic on $BC"
has_line "^  rows +569$"
has_line "^  features +30$"
has_line "^  target +diagnosis: classification, 2 classes \((malignant, benign|benign, malignant)\)$"
has_line "^  knobs set +C=0.5$"
has_line "^  training accuracy +0\.9[5-9][0-9]+ "
has_line "^  saved to +$TMP/bc.dial$"
[[ -s "$TMP/bc.dial" ]] || fail "no model file"

check 0 "" fit logistic $BC --target diagnosis -s C=0.5 -o "$TMP/bc2.dial" --json
json_ok 'j["model"] == "logistic" and j["rows"] == 569 and j["features"] == 30'
json_ok 'sorted(j["classes"]) == ["benign", "malignant"] and j["knobs"]["C"] == 0.5'
json_ok 'j["metric"] == "accuracy" and j["training_score"] > 0.95'

# Without -o, the model goes to MODEL.dial in the current directory, and dial says so.
ln -s "$PWD/data" "$TMP/data"
current="dial fit knn data/iris.csv (default output)"
(cd "$TMP" && "$DIAL" fit knn data/iris.csv -s k=7 >"$TMP/out" 2>"$TMP/err") || fail "exit $?: $(cat "$TMP/err")"
[[ -s "$TMP/knn.dial" ]] || fail "no knn.dial in the current directory"
has_line "^  saved to +knn.dial \(the default; choose with -o FILE\)$"

# Regression: the target's default is the last column, the score r2.
check 0 "" fit linear data/diabetes.csv -o "$TMP/diabetes.dial"
has_line "^  target +progression: regression$"
has_line "^  training r2 +0\.[0-9]+ "

# ---- predict
check 0 "" predict "$TMP/bc.dial" $BC -o "$TMP/pred.csv"
[[ $(wc -l <"$TMP/pred.csv") -eq 570 ]] || fail "predictions have $(wc -l <"$TMP/pred.csv") lines, expected 570"
[[ $(head -1 "$TMP/pred.csv") == diagnosis ]] || fail "header is '$(head -1 "$TMP/pred.csv")'"
accuracy=$(cut -d, -f31 $BC | paste -d, - "$TMP/pred.csv" |
    awk -F, 'NR > 1 { n++; if ($1 == $2) right++ } END { printf "%.4f", right / n }')
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.95) }' || fail "accuracy of the predictions is $accuracy"
passed=$((passed + 2))

# To stdout by default, the same bytes.
check 0 "" predict "$TMP/bc.dial" $BC
same "$TMP/out" "$TMP/pred.csv"

# Columns in another order, plus one the model does not know: the same predictions.
awk -F, 'BEGIN { OFS = "," } { line = ""; for (i = NF; i >= 1; i--) line = line $i ","; print line (NR == 1 ? "extra" : NR) }' \
    $BC >"$TMP/shuffled.csv"
check 0 "" predict "$TMP/bc.dial" "$TMP/shuffled.csv" -o "$TMP/pred_shuffled.csv"
same "$TMP/pred.csv" "$TMP/pred_shuffled.csv"

# A file without a header binds by position when it holds exactly the features.
tail -n +2 $BC | cut -d, -f1-30 >"$TMP/headerless.csv"
check 0 "" predict "$TMP/bc.dial" "$TMP/headerless.csv" -o "$TMP/pred_headerless.csv"
same "$TMP/pred.csv" "$TMP/pred_headerless.csv"
check 0 "" predict "$TMP/bc.dial" "$TMP/headerless.csv" --no-header -o "$TMP/pred_noheader.csv"
same "$TMP/pred.csv" "$TMP/pred_noheader.csv"

# With the target too, where it was in training; its text first row needs --no-header.
tail -n +2 $BC >"$TMP/headerless_target.csv"
check 0 "" predict "$TMP/bc.dial" "$TMP/headerless_target.csv" --no-header -o "$TMP/pred_headerless_target.csv"
same "$TMP/pred.csv" "$TMP/pred_headerless_target.csv"
tail -n +2 $BC | cut -d, -f1-29 >"$TMP/headerless_short.csv"
check 1 "dial: the input has no header and 29 columns; the model needs 30 (its features) or 31 (with the target 'diagnosis' as column 31)" \
    predict "$TMP/bc.dial" "$TMP/headerless_short.csv"

# A missing column is named.
cut -d, -f2-31 $BC >"$TMP/missing.csv"
check_error 1 ".*mean_radius" predict "$TMP/bc.dial" "$TMP/missing.csv"
[[ ! -s "$TMP/out" ]] || fail "a failed predict wrote to stdout"

# Probabilities: one column per class, each row summing to 1.
check 0 "" predict "$TMP/bc.dial" $BC --proba -o "$TMP/proba.csv"
header=$(head -1 "$TMP/proba.csv")
[[ $header == "diagnosis,proba_malignant,proba_benign" || $header == "diagnosis,proba_benign,proba_malignant" ]] ||
    fail "proba header is '$header'"
awk -F, 'NR > 1 { s = $2 + $3; if (s < 0.999 || s > 1.001) bad++ } END { exit bad > 0 }' "$TMP/proba.csv" ||
    fail "probabilities do not sum to 1"
cut -d, -f1 "$TMP/proba.csv" >"$TMP/proba_labels.csv"
same "$TMP/pred.csv" "$TMP/proba_labels.csv"
passed=$((passed + 2))
check 2 "dial: --proba needs a classifier with probabilities; $TMP/diabetes.dial is a regression model" \
    predict "$TMP/diabetes.dial" data/diabetes.csv --proba

# Regression predictions are numbers under the target's name.
check 0 "" predict "$TMP/diabetes.dial" data/diabetes.csv -o "$TMP/pred_diabetes.csv"
[[ $(head -1 "$TMP/pred_diabetes.csv") == progression ]] || fail "regression header"
[[ $(wc -l <"$TMP/pred_diabetes.csv") -eq 443 ]] || fail "regression rows"
sed -n 2p "$TMP/pred_diabetes.csv" | grep -qE '^-?[0-9.]+(e[-+][0-9]+)?$' || fail "not a number: $(sed -n 2p "$TMP/pred_diabetes.csv")"
passed=$((passed + 3))

# Unseen categorical levels still predict (as all-zero one-hot columns), with one warning.
check 0 "" fit logistic data/credit_data.csv --target Status -o "$TMP/credit.dial"
{
    head -1 data/credit_data.csv
    sed -n '2,6p' data/credit_data.csv | sed 's/"rent"/"castle"/; s/"freelance"/"astronaut"/'
} >"$TMP/unseen.csv"
check 0 "dial: warning: 6 values of categorical features were levels unseen in training; encoded as all zeros" \
    predict "$TMP/credit.dial" "$TMP/unseen.csv"
[[ $(wc -l <"$TMP/out") -eq 6 ]] || fail "expected a header and 5 predictions: $(cat "$TMP/out")"
passed=$((passed + 1))

# Data from standard input.
current="dial predict bc.dial - < breast_cancer.csv"
"$DIAL" predict "$TMP/bc.dial" - <$BC >"$TMP/pred_stdin.csv" 2>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
same "$TMP/pred.csv" "$TMP/pred_stdin.csv"
current="dial fit knn - < iris.csv"
"$DIAL" fit knn - -o "$TMP/stdin.dial" <data/iris.csv >"$TMP/out" 2>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
has "fitted knn on standard input"

# ---- inspect
check 0 "" inspect "$TMP/bc.dial"
has_line "^  model +logistic \(classification\)"
has_line "^  target +diagnosis$"
has_line "^  classes +(malignant, benign|benign, malignant)$"
has_line "^  trained +569 rows, seed 0, "
has_line "^  C +0\.5 +1(\.0)? +\*$"
has_line "^  impute +mean +mean$"
has "preprocess.center"
has "the mean the scaler learned"
has "the standard deviation the scaler learned"
has "mean_radius"
has_line "^  coef "

check 0 "" inspect "$TMP/bc.dial" --json
json_ok 'j["model"] == "logistic" and j["task"] == "classification" and j["target"] == "diagnosis"'
json_ok 'sorted(j["classes"]) == ["benign", "malignant"] and j["facts"]["rows"] == 569'
json_ok 'j["knobs"]["C"] == 0.5 and j["knobs_set"] == ["C"]'
json_ok 'all(set(t) >= {"name", "dtype", "shape", "values"} for t in j["tensors"])'
json_ok 'all(len(t["values"]) == __import__("math").prod(t["shape"]) for t in j["tensors"])'
json_ok '[t["shape"] for t in j["tensors"] if t["name"] == "preprocess.center"] == [[30]]'

check 0 "" fit logistic data/iris.csv -o "$TMP/iris.dial"
check 0 "" inspect "$TMP/iris.dial"
has "setosa"
has "petal_width"

# -o - writes the model itself to stdout (no summary), which inspect and predict read from stdin.
current="dial fit knn iris -o - | dial inspect -"
"$DIAL" fit knn data/iris.csv -s k=7 -o - 2>"$TMP/err" | "$DIAL" inspect - >"$TMP/out" 2>>"$TMP/err" ||
    fail "exit $?: $(cat "$TMP/err")"
[[ ! -s "$TMP/err" ]] || fail "stderr: $(cat "$TMP/err")"
has_line "^  k +7 +5 +\*$"

# A list knob (mlp's hidden layers) is a JSON array in fit, inspect and the model file, and
# a model saved with one predicts the same after loading.
check 0 "" fit mlp data/iris.csv --target species -s hidden=16,8 -s epochs=20 -s alpha=1e-9 \
    -o "$TMP/mlp.dial" --json
json_ok 'j["knobs"]["hidden"] == [16, 8] and j["knobs"]["alpha"] == 1e-9'
check 0 "" inspect "$TMP/mlp.dial"
has_line "^  hidden +16,8 +100 +\*$"
check 0 "" inspect "$TMP/mlp.dial" --json
json_ok 'j["knobs"]["hidden"] == [16, 8] and j["knobs"]["epochs"] == 20'
json_ok 'j["knobs_set"] == ["hidden", "epochs", "alpha"]'
grep -qF '"alpha": 1e-9,' "$TMP/mlp.dial" || fail "the model file does not spell alpha as 1e-9"
grep -qF '"hidden": [' "$TMP/mlp.dial" || fail "the model file does not hold hidden as an array"
passed=$((passed + 2))
check 0 "" predict "$TMP/mlp.dial" data/iris.csv --proba -o "$TMP/mlp_pred.csv"
current="dial fit mlp ... -o - | dial predict - (the same model from a pipe)"
"$DIAL" fit mlp data/iris.csv --target species -s hidden=16,8 -s epochs=20 -s alpha=1e-9 -o - 2>"$TMP/err" |
    "$DIAL" predict - data/iris.csv --proba >"$TMP/mlp_pred2.csv" 2>>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
same "$TMP/mlp_pred.csv" "$TMP/mlp_pred2.csv"

# ---- damaged model files: one clear line, exit 1, never a crash
head -c 100 "$TMP/bc.dial" >"$TMP/truncated.dial"
check_error 1 ".+" inspect "$TMP/truncated.dial"
check_error 1 ".+" predict "$TMP/truncated.dial" $BC
size=$(wc -c <"$TMP/bc.dial")
for offset in 3 $((size / 2)) $((size - 3)); do
    cp "$TMP/bc.dial" "$TMP/flipped.dial"
    byte=$(od -An -tu1 -j "$offset" -N1 "$TMP/flipped.dial" | tr -d ' ')
    printf "\\$(printf '%03o' $((byte ^ 16)))" | dd of="$TMP/flipped.dial" bs=1 seek="$offset" conv=notrunc status=none
    cmp -s "$TMP/bc.dial" "$TMP/flipped.dial" && fail "the byte at $offset was not flipped"
    check_error 1 ".+" inspect "$TMP/flipped.dial"
    check_error 1 ".+" predict "$TMP/flipped.dial" $BC
done
: >"$TMP/empty.dial"
check_error 1 ".+" inspect "$TMP/empty.dial"
check_error 1 ".+" inspect "$TMP/nonexistent.dial"
check_error 1 ".+" predict $BC $BC

finish
