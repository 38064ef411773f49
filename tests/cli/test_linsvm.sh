#!/usr/bin/env bash
# linsvm from the command line (docs/sparse.md): fit on a LIBSVM file and
# on a CSV, a model file that predicts, inspects and loads again, --proba
# refused naming logistic, and a grid search of C (a warm ladder per fold).
source "$(dirname "$0")/lib.sh" "$@"
cd "$(dirname "$0")/../.."
TEXT=data/text_small.libsvm

check 0 "" fit linsvm $TEXT -o "$TMP/linsvm.dial"
has "features           2999"
has "training accuracy  1.0000"
# The first two rows of the training file, with an index the model never
# saw (4000, ignored) added to the first.
head -2 $TEXT | sed '1s/$/ 4000:9/' > "$TMP/new.libsvm"
check 0 "" predict "$TMP/linsvm.dial" "$TMP/new.libsvm"
current="linsvm predicts the rows it was fitted on"
[[ "$(tail -n +2 "$TMP/out" | tr '\n' ' ')" == "$(head -2 $TEXT | cut -d' ' -f1 | tr '\n' ' ')" ]] || fail "predicted $(cat "$TMP/out")"
passed=$((passed + 1))
check 2 "dial: --proba needs a classifier with probabilities; $TMP/linsvm.dial is a classifier without them (linsvm predicts classes only; fit logistic for probabilities)" predict "$TMP/linsvm.dial" "$TMP/new.libsvm" --proba

# The model file: its tensors, and the same predictions after a load.
check 0 "" inspect "$TMP/linsvm.dial" --json
json_ok 'j["model"] == "linsvm" and {t["name"]: t["shape"] for t in j["tensors"]}["coef"] == [5, 2999] and {t["name"]: t["shape"] for t in j["tensors"]}["intercept"] == [5]'
check 0 "" predict "$TMP/linsvm.dial" $TEXT -o "$TMP/first.csv"
check 0 "" predict "$TMP/linsvm.dial" $TEXT -o "$TMP/second.csv"
current="predictions of the loaded model"
cmp -s "$TMP/first.csv" "$TMP/second.csv" || fail "two loads predict differently"
passed=$((passed + 1))

# Dense rows (a CSV), two classes: one row of weights.
check 0 "" fit linsvm data/breast_cancer.csv --target diagnosis -s loss=hinge -o "$TMP/dense.dial"
check 0 "" inspect "$TMP/dense.dial" --json
json_ok '{t["name"]: t["shape"] for t in j["tensors"]}["coef"][0] == 1'
check 0 "" cv linsvm data/breast_cancer.csv --target diagnosis --folds 3 --json
json_ok '0.9 < j["mean"] <= 1'

# A grid over C: each fold climbs C warm-started.
check 0 "" tune linsvm $TEXT --sampler grid --space 'C=0.01..100:log' --grid-points 5 --folds 3 --json --quiet
json_ok 'j["new_trials"] == 5 and j["best_knobs"]["C"] == 0.01 and 0.85 < j["best_value"] < 0.95'
finish
