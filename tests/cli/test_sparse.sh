#!/usr/bin/env bash
# Sparse data from the command line (docs/sparse.md): a LIBSVM file read
# sparse, scale=standard refused naming maxabs, a model that predicts from
# a LIBSVM file with any indices and refuses a CSV.
source "$(dirname "$0")/lib.sh" "$@"
cd "$(dirname "$0")/../.."
TEXT=data/text_small.libsvm

check 0 "" fit knn $TEXT -s k=1 -o "$TMP/text.dial"
has "features           2999"
check 2 "dial: scale=standard centres the features, which would make sparse data dense; use scale=maxabs (each feature divided by its largest |value|) or scale=none, the default for sparse data" fit knn $TEXT -s scale=standard
check 0 "" fit knn $TEXT -s k=1 -s scale=maxabs -o "$TMP/maxabs.dial"
has "knobs set          scale=maxabs, k=1"

# The first two rows of the training file, with an index the model never
# saw (4000, ignored) added to the first: the 1-neighbour is the row itself.
head -2 $TEXT | sed '1s/$/ 4000:9/' > "$TMP/new.libsvm"
check 0 "" predict "$TMP/text.dial" "$TMP/new.libsvm"
current="predict with an unseen index"
[[ "$(tail -n +2 "$TMP/out" | tr '\n' ' ')" == "$(head -2 $TEXT | cut -d' ' -f1 | tr '\n' ' ')" ]] || fail "predicted $(cat "$TMP/out")"
passed=$((passed + 1))
check 1 "dial: the model was fitted on sparse data (a LIBSVM file, 2999 features) and predicts from one: give the rows in LIBSVM format" predict "$TMP/text.dial" data/iris.csv

# Cross-validation and tuning run on it (knn searches the compressed rows).
check 0 "" cv knn $TEXT --folds 3 --json
json_ok 'j["target"] == "label" and 0.3 < j["mean"] <= 1'

# logistic takes the rows sparse (LIBLINEAR's dual solver, l2 only).
check 0 "" fit logistic $TEXT -s C=10 -o "$TMP/logistic.dial"
has "training accuracy  1.0000"
check 0 "" predict "$TMP/logistic.dial" "$TMP/new.libsvm"
current="logistic predicts the rows it was fitted on"
[[ "$(tail -n +2 "$TMP/out" | tr '\n' ' ')" == "$(head -2 $TEXT | cut -d' ' -f1 | tr '\n' ' ')" ]] || fail "predicted $(cat "$TMP/out")"
passed=$((passed + 1))
check 2 "dial: logistic on sparse input takes penalty=l2 only (LIBLINEAR's dual solver), not penalty=l1" fit logistic $TEXT -s penalty=l1

# linear takes the rows sparse too (conjugate gradients, or coordinate
# descent with an L1 part); an index it never saw adds nothing.
check 0 "" fit linear $TEXT --task regression -s alpha=0.01 -o "$TMP/linear.dial"
has "training r2  0.9772"
head -2 $TEXT > "$TMP/two.libsvm"
check 0 "" predict "$TMP/linear.dial" "$TMP/two.libsvm"
cp "$TMP/out" "$TMP/two.out"
check 0 "" predict "$TMP/linear.dial" "$TMP/new.libsvm"
current="linear ignores an unseen index"
cmp -s "$TMP/out" "$TMP/two.out" || fail "predicted $(cat "$TMP/out"), without the index $(cat "$TMP/two.out")"
passed=$((passed + 1))
check 0 "" tune linear $TEXT --task regression --trials 6 --folds 3 --quiet --json -s l1_ratio=0.5 --space alpha=0.01..1:log
json_ok 'j["trials"] == 6 and j["best_value"] > 0.5'
finish
