#!/usr/bin/env bash
# Failures: a usage mistake exits 2, any other failure 1, and either prints
# exactly one line on stderr that says what to fix.
source "$(dirname "$0")/lib.sh" "$@"


IRIS=data/iris.csv

# ---- usage errors: exit 2
check 2 "dial: unknown model 'bagging'; models are: linear, logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan" cv bagging $IRIS
check 2 "dial: unknown model 'knnn'; did you mean 'knn'? models are: linear, logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan" fit knnn $IRIS
check 2 "dial: unknown knob 'weight' for knn; did you mean 'weights'?" cv knn $IRIS -s weight=distance
check 2 "dial: unknown knob 'weight' for knn; did you mean 'weights'?" fit knn $IRIS -s weight=distance -o "$TMP/m.dial"
check 2 "dial: knob 'k' = 0 is out of range: must be >= 1" cv knn $IRIS -s k=0
check 2 "dial: knob 'k' expects an integer, got '2.5'" cv knn $IRIS -s k=2.5
check 2 "dial: knob 'weights' = 'far' is not one of: uniform, distance" cv knn $IRIS -s weights=far
check 2 "dial: knob 'p' is inactive: it applies only when metric=minkowski" cv knn $IRIS -s p=3
check 2 "dial: knob 'C' = -1 is out of range: must be > 0" fit logistic $IRIS -s C=-1
check 2 "dial: unknown option '--bogus' for cv; see 'dial cv --help'" cv knn $IRIS --bogus
check 2 "dial: unknown option '--fold' for cv; did you mean '--folds'?" cv knn $IRIS --fold 3
check 2 "dial: unknown option '-x' for fit; see 'dial fit --help'" fit knn $IRIS -x
check 2 "dial: unknown option '--proba' for cv; see 'dial cv --help'" cv knn $IRIS --proba
check 2 "dial: missing DATA for fit; usage: dial fit MODEL DATA [options]" fit knn
check 2 "dial: missing MODEL for cv; usage: dial cv MODEL DATA [options]" cv
check 2 "dial: missing DATA for predict; usage: dial predict MODEL.dial DATA [options]" predict model.dial
check 2 "dial: missing MODEL.dial for inspect; usage: dial inspect MODEL.dial [--json | --tree[=N]]" inspect
SEEDS=fuzz/corpus/modelfile
check 2 "dial: --tree 3 is out of range: the forest has 3 trees (0 to 2)" inspect $SEEDS/forest_iris40.dial --tree 3
check 2 "dial: --tree expects a tree number (0 for the first), got 'x'" inspect $SEEDS/forest_iris40.dial --tree=x
check 2 "dial: model 'knn' has no trees; --tree shows the rules of tree, forest and gbdt models" inspect $SEEDS/knn_iris15.dial --tree
check 1 "dial: $SEEDS/tree_bad_child.dial: tree node 2 has a child index 99 outside the 5 nodes" inspect $SEEDS/tree_bad_child.dial --tree
check 2 "dial: unexpected argument 'extra' for cv; usage: dial cv MODEL DATA [options]" cv knn $IRIS extra
check 2 "dial: option '-o' needs a value" fit knn $IRIS -o
check 2 "dial: option '--target' needs a value" cv knn $IRIS --target
check 2 "dial: --folds expects an integer >= 2, got '1'" cv knn $IRIS --folds 1
check 2 "dial: --folds expects an integer >= 2, got 'five'" cv knn $IRIS --folds five
check 2 "dial: --repeats expects an integer >= 1, got '0'" cv knn $IRIS --repeats 0
check 2 "dial: --jobs expects an integer in [1, 1024], got '0'" cv knn $IRIS --jobs 0
check 2 "dial: --seed expects a non-negative integer, got '-1'" cv knn $IRIS --seed -1
check 2 "dial: --task expects classification, regression or auto, got 'clustering'" cv knn $IRIS --task clustering
check 2 "dial: --sep expects one character (or 'tab'), got ';;'" cv knn $IRIS --sep ';;'
check 2 "dial: unknown metric 'acuracy'; did you mean 'accuracy'? metrics are: accuracy, balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic" \
    cv knn $IRIS --metric acuracy
check 2 "dial: metric 'rmse' is for regression, but the target 'species' is a classification target" \
    cv knn $IRIS --metric rmse
check 2 "dial: logistic does classification only, but the target 'progression' is a regression target; choose another model (see 'dial models') or pass --task classification" \
    fit logistic data/diabetes.csv -o "$TMP/m.dial"
check 2 "dial: linear does regression only, but the target 'species' is a classification target; choose another model (see 'dial models') or pass --task regression" \
    cv linear $IRIS

# ---- data errors: exit 1, one line naming the file, line, column or value
printf 'a,b,c\n1,2,x\n4,5\n' >"$TMP/ragged.csv"
check 1 "dial: $TMP/ragged.csv:3: expected 3 fields, found 2" fit knn "$TMP/ragged.csv" -o "$TMP/m.dial"
: >"$TMP/empty.csv"
check 1 "dial: $TMP/empty.csv: the file is empty" fit knn "$TMP/empty.csv" -o "$TMP/m.dial"
printf 'a,b,c\n' >"$TMP/header.csv"
check 1 "dial: $TMP/header.csv: the file has a header but no data rows" cv knn "$TMP/header.csv"
{
    echo 'a,b,c'
    for i in $(seq 1 30); do
        if [[ $i -eq 17 ]]; then echo "$i,12.5x,y"; else echo "$i,$((i * 2)).5,$((i % 2))"; fi
    done
} >"$TMP/stray.csv"
check 1 "dial: $TMP/stray.csv:18:2: column 'b' is numeric but this value is not a number: '12.5x'" \
    fit knn "$TMP/stray.csv" -o "$TMP/m.dial"
check 1 "dial: target column 'nope' not found; columns are: sepal_length, sepal_width, petal_length, petal_width, species" \
    cv knn $IRIS --target nope
check 1 "dial: target column 9 is out of range: the file has 5 columns" cv knn $IRIS --target 9
printf 'a,b,c\n1,2,x\n3,4,x\n5,6,x\n' >"$TMP/oneclass.csv"
check 1 "dial: target 'c' has a single class ('x'): classification needs at least two" \
    fit knn "$TMP/oneclass.csv" -o "$TMP/m.dial"
printf 'a,b,c\n1,2,x\ninf,4,y\n3,5,x\n' >"$TMP/inf.csv"
check 1 "dial: feature 'a' has an infinite value on row 2" fit knn "$TMP/inf.csv" -o "$TMP/m.dial"
printf 'a,b,c\n1,2,x\nNA,4,y\n3,5,x\n4,4,y\n' >"$TMP/na.csv"
check 1 "dial: feature 'a' is missing on row 2 and impute=none; set impute to mean, median or most_frequent, or remove the row" \
    fit knn "$TMP/na.csv" -s impute=none -o "$TMP/m.dial"
check 0 "" fit knn "$TMP/na.csv" -o "$TMP/m.dial"
check 1 "dial: $TMP/nonexistent.csv: cannot open the file: No such file or directory" \
    cv knn "$TMP/nonexistent.csv"
[[ ! -e "$TMP/nonexistent.csv" ]] || fail "a failed command created its data file"
current="dial predict m.dial na.csv -o no/such/dir/p.csv"
"$DIAL" predict "$TMP/m.dial" "$TMP/na.csv" -o "$TMP/no/such/dir/p.csv" >"$TMP/out" 2>"$TMP/err"
status=$?
[[ $status -eq 1 ]] || fail "exit status $status, expected 1"
grep -qxE "dial: cannot write $TMP/no/such/dir/p.csv: cannot create $TMP/no/such/dir/p.csv.tmp-[a-z0-9]{6}: No such file or directory" "$TMP/err" ||
    fail "stderr was '$(cat "$TMP/err")'"
passed=$((passed + 1))

# ---- exit 2 for every mismatch of options, model and metric, whatever the family
check 0 "" fit svm $IRIS -o "$TMP/svm.dial"
check 2 "dial: --proba needs a classifier with probabilities; $TMP/svm.dial has none: svm gives class probabilities only when fitted with probability=true" \
    predict "$TMP/svm.dial" $IRIS --proba
check 0 "" fit knn data/diabetes.csv -o "$TMP/knn_regression.dial"
check 2 "dial: --proba needs a classifier with probabilities; $TMP/knn_regression.dial is a regression model" \
    predict "$TMP/knn_regression.dial" data/diabetes.csv --proba
check 2 "dial: metric 'log_loss' needs class probabilities, which svm gives only with probability=true: add -s probability=true" \
    cv svm $IRIS --metric log_loss
# tune refuses before the first trial, rather than running a study of failed trials
check 2 "dial: metric 'log_loss' needs class probabilities, which svm gives only with probability=true: add -s probability=true" \
    tune svm $IRIS --metric log_loss --trials 3 --study "$TMP/proba.db"
[[ ! -e "$TMP/proba.db" ]] || fail "the refused search left a study file"
passed=$((passed + 1))
check 2 "dial: metric 'roc_auc' needs class probabilities, which svm gives only with probability=true, and the search also tries probability=false: fix it with -s probability=true" \
    tune svm data/breast_cancer.csv --target diagnosis --metric roc_auc --trials 3 --space probability=true,false
check 0 "" tune svm data/breast_cancer.csv --target diagnosis --metric roc_auc --trials 2 -s probability=true --quiet
has_line "^Top 2 of 2 trials \(2 complete, 0 pruned, 0 failed\)$"
check 2 "dial: svm gives class probabilities only when fitted with probability=true" \
    importance "$TMP/svm.dial" $IRIS --metric log_loss
check 2 "dial: metric 'rmse' is for regression, but the target 'species' is a classification target" \
    importance "$TMP/svm.dial" $IRIS --metric rmse
check 2 "dial: metric 'accuracy' is for classification, but the target 'progression' is a regression target" \
    cv linear data/diabetes.csv --metric accuracy

# ---- exit 1 for what the data does during a fit
# Targets near the largest double: the mean of neighbours overflows to inf.
printf 'a,y\n1,1.7e308\n2,1.6e308\n3,1.5e308\n4,1.4e308\n5,1.3e308\n' >"$TMP/huge.csv"
HINT="the model's fit diverged or overflowed (scaling the features or the target, or more regularisation, may help)"
check 1 "dial: cannot score the fitted model on its training rows, so it is not saved: y_pred[0] = inf is not a finite number: $HINT" \
    fit knn "$TMP/huge.csv" --task regression -o "$TMP/m.dial"
check 1 "dial: split 0 (repeat 0, fold 0): y_pred[0] = inf is not a finite number: $HINT" \
    cv knn "$TMP/huge.csv" --task regression --folds 2
# 17000 feature names of 1000 characters: the header would be over its 16 MiB limit.
"$PYTHON" -c '
n = 17000
print(",".join(["c%05d_" % i + "x" * 1000 for i in range(n)] + ["y"]))
for r in range(4): print(",".join(str((i * r) % 7) for i in range(n)) + "," + str(r % 2))' >"$TMP/wide.csv"
# (The header holds the fit time and every knob, so its length varies by a few bytes;
# it holds the drift reference of the first 1,000 features too, at most 1 MB.)
current="dial fit naive_bayes wide.csv"
"$DIAL" fit naive_bayes "$TMP/wide.csv" -o "$TMP/wide.dial" >"$TMP/out" 2>"$TMP/err"
status=$?
[[ $status -eq 1 ]] || fail "exit status $status, expected 1; stderr: $(cat "$TMP/err")"
grep -qxE "dial: cannot save the model: its JSON header would be 1936[0-9]{4} bytes, over the 16 MiB limit \(a categorical feature with very many levels\?\)" "$TMP/err" ||
    fail "stderr was '$(cat "$TMP/err")'"
passed=$((passed + 1))
[[ ! -e "$TMP/wide.dial" ]] || fail "a model too large to save left a file"

# ---- a model file is recognised by its first bytes: /dev/zero is refused at once
check 1 "dial: /dev/zero: not a dial model file (bad magic)" inspect /dev/zero
check 1 "dial: /dev/zero: not a dial model file (bad magic)" predict /dev/zero $IRIS

finish
