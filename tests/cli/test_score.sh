#!/usr/bin/env bash
# dial score: a saved model's metrics on labelled rows, as svm-predict
# reports accuracy: the exact text and JSON on iris, the same accuracy that
# dial fit reports on the same rows, a confusion matrix that sums to the
# rows, --metric repeated or comma-separated, regression, and the metrics a
# model cannot give refused with the fix.
source "$(dirname "$0")/lib.sh" "$@"
IRIS=data/iris.csv
BC=data/breast_cancer.csv

# ---- the exact text on iris (a depth-3 tree: 4 of 150 rows wrong)
check 0 "" fit tree $IRIS --target species -s max_depth=3 -o "$TMP/tree.dial" --json
keep fit.json
check 0 "" score "$TMP/tree.dial" $IRIS
cat >"$TMP/want" <<TEXT
tree ($TMP/tree.dial) on $IRIS: 150 rows, target species
  accuracy           0.9733
  balanced_accuracy  0.9733
  log_loss           0.0706
  roc_auc            0.9953
  f1                 0.9733

confusion matrix (rows: true class, columns: predicted)
  true \\ predicted  setosa  versicolor  virginica
  setosa                50           0          0
  versicolor             0          47          3
  virginica              0           1         49
TEXT
diff "$TMP/want" "$TMP/out" >&2 || fail "the text differs from the expected one"

# ---- JSON: the accuracy dial fit reported on the same rows, a matrix summing to the rows
check 0 "" score "$TMP/tree.dial" $IRIS --json
json_ok 'j["rows"] == 150 and sorted(j) == ["confusion_matrix", "metrics", "rows"]'
json_ok 'list(j["metrics"]) == ["accuracy", "balanced_accuracy", "log_loss", "roc_auc", "f1"]'
json_ok 'abs(j["metrics"]["accuracy"] - json.load(open(sys.argv[1].replace("out", "fit.json")))["training_score"]) < 1e-12'
json_ok 'j["confusion_matrix"]["labels"] == ["setosa", "versicolor", "virginica"]'
json_ok 'j["confusion_matrix"]["counts"] == [[50, 0, 0], [0, 47, 3], [0, 1, 49]]'
json_ok 'sum(map(sum, j["confusion_matrix"]["counts"])) == j["rows"]'
json_ok 'abs(j["metrics"]["accuracy"] - sum(j["confusion_matrix"]["counts"][c][c] for c in range(3)) / 150) < 1e-15'

# --metric repeated and comma-separated, in the order given, each once.
check 0 "" score "$TMP/tree.dial" $IRIS -m f1,accuracy --metric f1 --json
json_ok 'list(j["metrics"]) == ["f1", "accuracy"]'
check 0 "" score "$TMP/tree.dial" $IRIS --metric accuracy
has "  accuracy           0.9733"
grep -q "f1" "$TMP/out" && fail "a metric not asked for was printed"

# ---- breast cancer: the same accuracy as dial fit, on any model
check 0 "" fit logistic $BC --target diagnosis -o "$TMP/bc.dial" --json
keep fit.json
check 0 "" score "$TMP/bc.dial" $BC --json
json_ok 'abs(j["metrics"]["accuracy"] - json.load(open(sys.argv[1].replace("out", "fit.json")))["training_score"]) < 1e-12'
json_ok 'sum(map(sum, j["confusion_matrix"]["counts"])) == 569 and j["confusion_matrix"]["labels"] == ["benign", "malignant"]'

# ---- regression: rmse, mae and r2, and no confusion matrix
check 0 "" fit linear data/diabetes.csv --target progression -o "$TMP/diabetes.dial" --json
keep fit.json
check 0 "" score "$TMP/diabetes.dial" data/diabetes.csv --json
json_ok 'list(j["metrics"]) == ["rmse", "mae", "r2"] and j["confusion_matrix"] is None and j["rows"] == 442'
json_ok 'abs(j["metrics"]["r2"] - json.load(open(sys.argv[1].replace("out", "fit.json")))["training_score"]) < 1e-12'

# ---- a metric the model cannot give: refused before DATA is read, with the fix
check 0 "" fit svm $BC --target diagnosis -o "$TMP/svm.dial"
check 0 "" score "$TMP/svm.dial" $BC
has "  log_loss and roc_auc need class probabilities: fit with -s probability=true"
grep -q "^  roc_auc " "$TMP/out" && fail "roc_auc was scored without probabilities"
check 2 "dial: metric 'roc_auc' needs class probabilities, which svm gives only with probability=true, and $TMP/svm.dial was fitted without it: refit it with -s probability=true" \
    score "$TMP/svm.dial" $BC --metric accuracy,roc_auc
check 2 "dial: metric 'log_loss' needs class probabilities, which svm gives only with probability=true, and $TMP/svm.dial was fitted without it: refit it with -s probability=true" \
    score "$TMP/svm.dial" "$TMP/no-such.csv" -m log_loss
check 0 "" fit svm $BC --target diagnosis -s probability=true -o "$TMP/svm-proba.dial"
check 0 "" score "$TMP/svm-proba.dial" $BC -m roc_auc --json
json_ok '0.9 < j["metrics"]["roc_auc"] <= 1'
check 2 "dial: metric 'roc_auc' is for classification, but $TMP/diabetes.dial is a regression model; its metrics are rmse, mae, r2" \
    score "$TMP/diabetes.dial" data/diabetes.csv -m roc_auc
check 2 "dial: metric 'rmse' is for regression, but $TMP/tree.dial is a classification model; its metrics are accuracy, balanced_accuracy, log_loss, roc_auc, f1" \
    score "$TMP/tree.dial" $IRIS -m rmse
check 2 "dial: unknown metric 'acuracy'; did you mean 'accuracy'? metrics are: accuracy, balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic" score "$TMP/tree.dial" $IRIS -m acuracy

# ---- the other errors
check 2 "dial: missing DATA for score; usage: dial score MODEL.dial DATA [options]" score "$TMP/tree.dial"
check 1 "dial: data/wine.csv has no column 'species' (the model's target); name the column of true values with --target" \
    score "$TMP/tree.dial" data/wine.csv

finish
