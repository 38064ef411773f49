#!/usr/bin/env bash
# A CSV read sparse (docs/sparse.md, "A CSV read sparse"): --sparse and the
# automatic choice for a categorical of thousands of levels, the fit that
# equals the same rows in LIBSVM format bit for bit and scikit-learn's
# liblinear within its tolerance, linsvm that fits sparse and dense rows
# alike, a model that predicts from a CSV (unseen levels as all zeros) and
# is retrained on one, and the errors of input a sparse read cannot take.
source "$(dirname "$0")/lib.sh" "$@"
cd "$(dirname "$0")/../.."
SIZES=data/diamonds_sizes.csv
REFERENCE="$PYTHON tests/cli/sparse_csv_reference.py"
# The tensors of `dial inspect --json` saved as $TMP/NAME.
tensors() { "$DIAL" inspect "$1" --json >"$TMP/$2" || fail "inspect $1"; }
# same_tensors A B NAMES...: the named tensors of two inspections are equal to the bit.
same_tensors() {
    local a=$1 b=$2
    shift 2
    "$PYTHON" -c 'import json, sys
load = lambda p: {t["name"]: t["values"] for t in json.load(open(p))["tensors"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if all(a[n] == b[n] for n in sys.argv[3:]) else 1)' "$TMP/$a" "$TMP/$b" "$@" ||
        fail "tensors $* of $a and $b differ"
    passed=$((passed + 1))
}

# 3,850 sizes in 8,000 rows: the reader goes sparse for logistic by itself.
check 0 "dial: note: $SIZES is read sparse: its features one-hot encoded make 3869 inputs, 99.82% zeros (--dense reads it dense)" fit logistic $SIZES -s scale=maxabs -o "$TMP/auto.dial"
has "features           7 (3869 inputs after one-hot encoding)"
has "training accuracy  0.7196"
check 0 "" fit logistic $SIZES --sparse -s scale=maxabs -o "$TMP/sparse.dial"
tensors "$TMP/auto.dial" auto.json
tensors "$TMP/sparse.dial" sparse.json
same_tensors auto.json sparse.json coef intercept preprocess.scale

# The same rows one-hot encoded in LIBSVM format fit to the same bits.
$REFERENCE libsvm $SIZES cut "$TMP/sizes.libsvm"
check 0 "" fit logistic "$TMP/sizes.libsvm" -s scale=maxabs -o "$TMP/libsvm.dial"
tensors "$TMP/libsvm.dial" libsvm.json
same_tensors sparse.json libsvm.json coef intercept preprocess.scale

# scikit-learn's liblinear on OneHotEncoder-like rows: the same optimum,
# within the dual solver's tolerance (LIBLINEAR's eps 0.1).
current="against scikit-learn's LogisticRegression(solver='liblinear')"
read -r gap agree < <($REFERENCE sklearn $SIZES cut "$TMP/sparse.json")
"$PYTHON" -c "import sys; sys.exit(0 if $gap < 0.02 and $agree >= 0.999 else 1)" || fail "largest difference $gap, agreement $agree"
passed=$((passed + 1))

# The model lists its features and levels, and predicts from a CSV read
# sparse: the training rows as fitted, an unseen level as all zeros.
check 0 "" inspect "$TMP/sparse.dial"
has_line "features +7 \(4 numeric, 3 categorical; 3869 inputs after encoding\): size, carat"
check 0 "" predict "$TMP/sparse.dial" $SIZES --proba
keep predicted.csv
check 0 "" predict "$TMP/libsvm.dial" "$TMP/sizes.libsvm" --proba
current="predictions from the CSV and from the LIBSVM rows"
[[ "$(tail -n +2 "$TMP/predicted.csv" | cut -d, -f2-)" == "$(tail -n +2 "$TMP/out" | cut -d, -f2-)" ]] || fail "the probabilities differ"
passed=$((passed + 1))
{ head -1 $SIZES; sed -n 2,3p $SIZES | sed '1s/^[^,]*,/9.99x9.99,/; 2s/,E,/,Z,/'; } >"$TMP/new.csv"
check 0 "dial: warning: 2 values of categorical features were levels unseen in training; encoded as all zeros" predict "$TMP/sparse.dial" "$TMP/new.csv"
check 0 "" score "$TMP/sparse.dial" $SIZES
has_line "^  accuracy +0.7196$"

# dial drift reads the CSV as its model was fitted (sparse here, as
# predict does, not a dense one-hot matrix): the same figures for the
# features as for a model fitted on the rows read dense.
check 0 "" fit naive_bayes $SIZES --dense -o "$TMP/dense.dial"
check 0 "" drift "$TMP/dense.dial" $SIZES
keep drift_dense.txt
check 0 "" drift "$TMP/sparse.dial" $SIZES
current="drift of the models fitted sparse and dense"
[[ "$(sed -n 2,9p "$TMP/drift_dense.txt")" == "$(sed -n 2,9p "$TMP/out")" ]] || fail "the drift figures differ"
passed=$((passed + 1))
has_line "^  size +0\.0000 +chi2 +1 "

# linsvm's solver is the same on dense and sparse rows: the same weights.
check 0 "" fit linsvm data/diamonds_2000.csv --target cut --sparse -s scale=maxabs -o "$TMP/linsvm_sparse.dial"
check 0 "" fit linsvm data/diamonds_2000.csv --target cut --dense -s scale=maxabs -o "$TMP/linsvm_dense.dial"
tensors "$TMP/linsvm_sparse.dial" linsvm_sparse.json
tensors "$TMP/linsvm_dense.dial" linsvm_dense.json
same_tensors linsvm_sparse.json linsvm_dense.json coef intercept preprocess.scale
check 0 "" cv linsvm data/diamonds_2000.csv --target cut --sparse -s scale=maxabs --folds 3 --json
keep cv_sparse.json
check 0 "" cv linsvm data/diamonds_2000.csv --target cut --dense -s scale=maxabs --folds 3 --json
current="cv linsvm sparse and dense"
[[ "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["scores"])' "$TMP/cv_sparse.json")" == "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["scores"])' "$TMP/out")" ]] || fail "fold scores differ"
passed=$((passed + 1))

# A retrain reads the CSV sparse again: on the same rows, the same weights
# (logistic's sparse solver; dense rows would get its multinomial one).
check 0 "" fit logistic data/diamonds_2000.csv --target cut --sparse -s scale=maxabs -o "$TMP/logistic_sparse.dial"
check 0 "" retrain "$TMP/logistic_sparse.dial" data/diamonds_2000.csv -o "$TMP/retrained.dial"
tensors "$TMP/logistic_sparse.dial" logistic_sparse.json
tensors "$TMP/retrained.dial" retrained.json
same_tensors logistic_sparse.json retrained.json coef intercept preprocess.scale

# What a sparse read cannot take.
check 2 "dial: --sparse: model 'kmeans' does not take sparse input; models that do: linear, logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt" fit kmeans $SIZES --sparse -s k=3
check 2 "dial: --sparse and --dense cannot be combined: a CSV is read one way" fit logistic $SIZES --sparse --dense
check 1 "dial: column 'Home' is missing on row 30: sparse data has no missing values; fill them in, or read the file dense (--dense)" fit logistic data/credit_data.csv --sparse
check 2 "dial: scale=standard centres the features, which would make sparse data dense; use scale=maxabs (each feature divided by its largest |value|) or scale=none, the default for sparse data" fit logistic data/diamonds_2000.csv --target cut --sparse -s scale=standard
# --dense keeps a file dense that would be read sparse, and naive_bayes
# predicts the same either way; a family without sparse input is never
# given a CSV read sparse.
head -2001 $SIZES >"$TMP/head.csv"
# (Its sizes are more than half as many as its rows: said once.)
IDENTIFIER="dial: warning: column 'size' has 1304 distinct values in 2000 rows: it looks like an identifier, which no model generalises from (one-hot encoding gives it an input per value); leave it out with --ignore size"
check 0 "$IDENTIFIER"$'\n'"dial: note: $TMP/head.csv is read sparse: its features one-hot encoded make 1323 inputs, 99.47% zeros (--dense reads it dense)" fit naive_bayes "$TMP/head.csv" -o "$TMP/nb_sparse.dial"
check 0 "$IDENTIFIER" fit naive_bayes "$TMP/head.csv" --dense -o "$TMP/nb_dense.dial"
check 0 "" predict "$TMP/nb_sparse.dial" "$TMP/head.csv" --proba
keep nb_sparse.csv
check 0 "" predict "$TMP/nb_dense.dial" "$TMP/head.csv" --proba
current="naive_bayes sparse and dense"
cmp -s "$TMP/nb_sparse.csv" "$TMP/out" || fail "the predictions differ"
passed=$((passed + 1))
check 0 "$IDENTIFIER" fit tree "$TMP/head.csv" -o "$TMP/tree.dial"
finish
