#!/usr/bin/env bash
# Numbers at the edges: a score is a finite number or an error, never nan;
# targets near 1e160 still score; predictions that are not numbers exit 1
# and save nothing (test_errors.sh has the model too large to save); knob
# values a double would silently change (infinity, hexadecimal, integers
# past 2^53) are refused with the knob's range.
source "$(dirname "$0")/lib.sh" "$@"

# scale_targets IN OUT EXPRESSION: IN with each target v (the last column)
# replaced by EXPRESSION of v and its row number i (from 0).
scale_targets() {
    "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for i, row in enumerate(rows[1:]):
        v = float(row[-1])
        writer.writerow(row[:-1] + [repr(float(eval(sys.argv[3])))])
EOF
}

no_nan() {
    grep -qi nan "$TMP/out" && fail "stdout shows nan: $(grep -i nan "$TMP/out" | head -2)"
    passed=$((passed + 1))
}

# ---- targets near 1e160: every tenth row, as in the report of the bug
BIG=$TMP/diabetes_1e160.csv
scale_targets data/diabetes.csv "$BIG" 'v * 1e160 if i % 10 == 0 else v'
for model in knn linear; do
    check 0 "" cv $model "$BIG" --folds 3
    no_nan
    has_line '^r2: mean -?[0-9]+\.[0-9]{4}, std [0-9]+\.[0-9]{4} over 3 scores'
    check 0 "" cv $model "$BIG" --folds 3 --json
    json_ok 'all(abs(s) < 10 for s in j["scores"]) and abs(j["mean"]) < 10 and j["std"] < 10'
    check 0 "" cv $model "$BIG" --folds 3 -m rmse --json
    json_ok '1e160 < j["mean"] < 1e163 and 0 <= j["std"] < 1e163'
done

# Tuning scores the same folds: every trial completes with a finite r2
# (a NaN once failed each of them as "the objective returned nan").
current="dial tune knn $BIG"
"$DIAL" tune knn "$BIG" --trials 3 --seed 1 --json >"$TMP/out" 2>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
[[ $(grep -c ' complete: r2 -\?[0-9]' "$TMP/err") -eq 3 ]] || fail "not 3 trials complete: $(cat "$TMP/err")"
passed=$((passed + 1))
json_ok 'j["best_number"] is not None and abs(j["best_value"]) < 10 and j["best_std"] < 10'
json_ok 'len(j["leaderboard"]) == 3'

# The training r2 is the one Python computes from the saved model's
# predictions (in units of 1e160, where nothing overflows).
check 0 "" fit linear "$BIG" -o "$TMP/big.dial" --json
json_ok '0 < j["training_score"] < 1'
keep fit.json
check 0 "" predict "$TMP/big.dial" "$BIG"
keep predictions.csv
"$PYTHON" - "$BIG" "$TMP/predictions.csv" "$TMP/fit.json" <<'EOF' || fail "training r2 differs"
import csv, json, sys
y = [float(r[-1]) / 1e160 for r in list(csv.reader(open(sys.argv[1])))[1:]]
p = [float(r[0]) / 1e160 for r in list(csv.reader(open(sys.argv[2])))[1:]]
mean = sum(y) / len(y)
r2 = 1 - sum((a - b) ** 2 for a, b in zip(y, p)) / sum((a - mean) ** 2 for a in y)
sys.exit(0 if abs(r2 - json.load(open(sys.argv[3]))["training_score"]) < 1e-9 else 1)
EOF
passed=$((passed + 1))

# ---- predictions that are not numbers: knn averages targets near the
# largest double into an infinity. A data problem: exit 1, nothing saved.
HUGE=$TMP/diabetes_huge.csv
scale_targets data/diabetes.csv "$HUGE" '1.7e308 - i * 1e300'
HINT="the model's fit diverged or overflowed (scaling the features or the target, or more regularisation, may help)"
check 1 "dial: split 0 (repeat 0, fold 0): y_pred[0] = inf is not a finite number: $HINT" \
    cv knn "$HUGE" --folds 3
check 1 "dial: cannot score the fitted model on its training rows, so it is not saved: y_pred[0] = inf is not a finite number: $HINT" \
    fit knn "$HUGE" -o "$TMP/huge.dial"
[[ ! -e "$TMP/huge.dial" ]] || fail "a model whose predictions are not numbers was saved"
passed=$((passed + 1))

# ---- knob values a double would change
check 2 "dial: knob 'C' = 1e999 is out of range: must be > 0 and finite" \
    cv svm data/iris.csv -s C=1e999
check 2 "dial: knob 'tol' = inf is out of range: must be > 0 and finite" \
    cv svm data/iris.csv -s tol=inf
check 2 "dial: knob 'C' = 0x1p3 is written in hexadecimal: must be a decimal number > 0" \
    cv svm data/iris.csv -s C=0x1p3
check 2 "dial: knob 'max_iter' = 9007199254740993 is out of range: must be >= 1 and at most 2^53 in magnitude" \
    cv svm data/iris.csv -s max_iter=9007199254740993
check 2 "dial: knob 'C' = 1e-400 is out of range: must be > 0" \
    cv svm data/iris.csv -s C=1e-400
# --space takes single values and lists through the same parser
check 2 "dial: knob 'C' = 0x2 is written in hexadecimal: must be a decimal number > 0" \
    tune svm data/iris.csv --trials 1 --space C=1,0x2
check 2 "dial: knob 'max_iter' = 9007199254740993 is out of range: must be >= 1 and at most 2^53 in magnitude" \
    tune svm data/iris.csv --trials 1 --space max_iter=9007199254740993
check 2 "dial: space for 'max_iter': 1..9007199254740993 is out of range: must be >= 1 and at most 2^53 in magnitude" \
    tune svm data/iris.csv --trials 1 --space max_iter=1..9007199254740993
# --space-file's JSON numbers too
echo '{"max_iter": 9007199254740993}' >"$TMP/space.json"
check 2 "dial: knob 'max_iter' = 9007199254740993 is out of range: must be >= 1 and at most 2^53 in magnitude" \
    tune svm data/iris.csv --trials 1 --space-file "$TMP/space.json"

# ---- predictions of everyday size are written in full: the shortest form
# that reads back as 20 is 2e+01, which dial once wrote
printf 'x,y\n1,10\n2,20\n3,30\n4,40\n' >"$TMP/line.csv"
check 0 "" fit linear "$TMP/line.csv" --target y --task regression -o "$TMP/line.dial"
check 0 "" predict "$TMP/line.dial" "$TMP/line.csv"
[[ "$(sed -n 3,5p "$TMP/out" | tr '\n' ' ')" == "20 30 40 " ]] ||
    fail "predictions of 20, 30, 40 written as: $(sed -n 3,5p "$TMP/out" | tr '\n' ' ')"
passed=$((passed + 1))

finish
