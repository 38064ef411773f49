#!/usr/bin/env bash
# dial importance: permutation importance of a saved model on iris (the
# petals rank above sepal_width, a noise column gets about 0), the learned
# impurity importance beside it, --json, reproducibility across --jobs, and
# the errors.
source "$(dirname "$0")/lib.sh" "$@"
IRIS=data/iris.csv

# json_mean NAME: the mean importance of feature NAME in the last --json output.
json_mean() {
    "$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(next(f["mean"] for f in j["features"] if f["name"] == sys.argv[2]))' "$TMP/out" "$1"
}

check 0 "" fit tree $IRIS --target species -s max_depth=3 -o "$TMP/tree.dial"
check 0 "" fit logistic $IRIS --target species -o "$TMP/logistic.dial"

# ---- the ranked table
check 0 "" importance "$TMP/tree.dial" $IRIS --repeats 10
has "permutation importance of tree ($TMP/tree.dial) on $IRIS (150 rows, target species)"
has_line "^metric accuracy \(higher is better\): baseline 0\.9[0-9]{3}; 10 repeats, seed 0$"
has_line "^  feature +mean ± std  impurity$"
# The two petal measurements come first, the larger one with the full 40-character bar.
current="the ranking of the tree's features"
sed -n 5,6p "$TMP/out" | grep -c '^  petal_' | grep -qx 2 || fail "the petals are not first: $(cat "$TMP/out")"
passed=$((passed + 1))
has_line "^  petal_(width|length) +0\.[0-9]{4} ± 0\.[0-9]{4} +0\.[0-9]{4}  #{40}$"
# A feature the tree never splits on: importance 0 and no bar.
has_line "^  sepal_width +0\.0000 ± 0\.0000 +0\.0000$"

# The default target is the model's; five repeats by default.
check 0 "" importance "$TMP/logistic.dial" $IRIS --json
json_ok 'j["model"] == "logistic" and j["metric"] == "accuracy" and j["repeats"] == 5'
json_ok 'j["target"] == "species" and j["seed"] == 0 and 0.9 < j["baseline"] <= 1'
json_ok '[f["mean"] for f in j["features"]] == sorted([f["mean"] for f in j["features"]], reverse=True)'
json_ok 'sorted(f["name"] for f in j["features"]) == ["petal_length", "petal_width", "sepal_length", "sepal_width"]'
json_ok 'all(set(f) == {"name", "mean", "std", "impurity"} and f["impurity"] is None for f in j["features"])'
json_ok '{f["name"] for f in j["features"][:2]} == {"petal_length", "petal_width"}'

# The tree's learned impurity importance sums to 1.
check 0 "" importance "$TMP/tree.dial" $IRIS --json --repeats 2 -m balanced_accuracy
json_ok 'j["metric"] == "balanced_accuracy" and j["repeats"] == 2'
json_ok 'abs(sum(f["impurity"] for f in j["features"]) - 1) < 1e-9'

# A lower-is-better metric still ranks the important features first, with positive importances.
check 0 "" importance "$TMP/logistic.dial" $IRIS --metric log_loss --json
json_ok 'j["metric"] == "log_loss" and j["features"][0]["mean"] > 0.1'
json_ok '{f["name"] for f in j["features"][:2]} == {"petal_length", "petal_width"}'

# ---- same seed, same figures; --jobs never changes them; another seed does
check 0 "" importance "$TMP/logistic.dial" $IRIS --seed 7 -j 1 --json
keep seed7_j1
check 0 "" importance "$TMP/logistic.dial" $IRIS --seed 7 -j 2 --json
cmp -s "$TMP/out" "$TMP/seed7_j1" || fail "-j 1 and -j 2 differ"
check 0 "" importance "$TMP/logistic.dial" $IRIS --seed 7 -j 2 --json
cmp -s "$TMP/out" "$TMP/seed7_j1" || fail "two runs with --seed 7 differ"
check 0 "" importance "$TMP/logistic.dial" $IRIS --seed 8 --json
! cmp -s "$TMP/out" "$TMP/seed7_j1" || fail "--seed 8 gives the figures of --seed 7"
passed=$((passed + 3))

# ---- a column of pure noise gets an importance near 0
"$PYTHON" - "$IRIS" "$TMP/noise.csv" <<'EOF'
import random, sys
rng = random.Random(2024)
lines = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as out:
    out.write("noise," + lines[0] + "\n")
    for line in lines[1:]:
        out.write("%.6f,%s\n" % (rng.random(), line))
EOF
check 0 "" fit logistic "$TMP/noise.csv" --target species -o "$TMP/noise.dial"
check 0 "" importance "$TMP/noise.dial" "$TMP/noise.csv" --repeats 10 --json
json_ok 'abs(next(f["mean"] for f in j["features"] if f["name"] == "noise")) < 0.02'
json_ok '{f["name"] for f in j["features"][:2]} == {"petal_length", "petal_width"}'
noise=$(json_mean noise)
current="the noise column's importance"
awk -v m="$noise" 'BEGIN { exit !(m < 0.02 && m > -0.02) }' || fail "noise has importance $noise"
passed=$((passed + 1))

# ---- columns by name: reordered columns and an extra one give the same figures
check 0 "" importance "$TMP/logistic.dial" $IRIS --json --seed 3
keep ordered
awk -F, 'BEGIN { OFS = "," } { print $5, $4, $3, $2, $1, (NR == 1 ? "extra" : NR) }' $IRIS >"$TMP/reordered.csv"
check 0 "" importance "$TMP/logistic.dial" "$TMP/reordered.csv" --json --seed 3
json_ok 'j["data"].endswith("reordered.csv")'
"$PYTHON" -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a["features"] == b["features"] and a["baseline"] == b["baseline"] else 1)' \
    "$TMP/ordered" "$TMP/out" || fail "reordered columns change the importances"
passed=$((passed + 1))
# A file without a header: the target is where it was in training.
tail -n +2 $IRIS >"$TMP/headerless.csv"
check 0 "" importance "$TMP/logistic.dial" "$TMP/headerless.csv" --no-header --json --seed 3
json_ok 'j["target"] == "V5"'
"$PYTHON" -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a["features"] == b["features"] and a["baseline"] == b["baseline"] else 1)' \
    "$TMP/ordered" "$TMP/out" || fail "a headerless file changes the importances"
passed=$((passed + 1))

# ---- regression: rmse is lower-is-better, shown as such
check 0 "" fit linear data/diabetes.csv -o "$TMP/diabetes.dial"
check 0 "" importance "$TMP/diabetes.dial" data/diabetes.csv --metric rmse --repeats 2
has_line "^metric rmse \(lower is better\): baseline [0-9]+\.[0-9]{4}; 2 repeats, seed 0$"
has_line "^  bmi +[0-9]+\.[0-9]{4} ± "

# ---- help
check 0 "" importance --help
has "Usage: dial importance MODEL.dial DATA [options]"
has "Example:"
has "  dial importance iris.dial data/iris.csv --repeats 10"
check 0 "" help importance
has "Usage: dial importance"
check 0 "" --help
has "  importance "
ln -s "$PWD/data" "$TMP/data"
current="the example of dial importance --help"
(cd "$TMP" && "$DIAL" fit tree data/iris.csv --target species -s max_depth=3 -o iris.dial >/dev/null &&
    "$DIAL" importance iris.dial data/iris.csv --repeats 10 >/dev/null) || fail "the example failed"
passed=$((passed + 1))

# ---- errors: one line on stderr, 2 for the command line, 1 for the data
cut -d, -f1-4 $IRIS >"$TMP/features.csv"
check 1 "dial: $TMP/features.csv has no column 'species' (the model's target); name the column of true values with --target" \
    importance "$TMP/tree.dial" "$TMP/features.csv"
check 1 "dial: target column 'bogus' not found; columns are: sepal_length, sepal_width, petal_length, petal_width, species" \
    importance "$TMP/tree.dial" $IRIS --target bogus
sed 's/,setosa$/,daisy/' $IRIS >"$TMP/daisy.csv"
check 1 "dial: target 'species' has class 'daisy' on row 1, which the model was not trained on" \
    importance "$TMP/tree.dial" "$TMP/daisy.csv"
check 1 "dial: column 'sepal_length' is missing from the input (the model needs: sepal_length, sepal_width, petal_length, petal_width)" \
    importance "$TMP/tree.dial" data/diabetes.csv --target age
check 2 "dial: --repeats expects an integer >= 1, got '0'" importance "$TMP/tree.dial" $IRIS --repeats 0
check 2 "dial: metric 'rmse' is for regression, but the target 'species' is a classification target" \
    importance "$TMP/tree.dial" $IRIS --metric rmse
check 2 "dial: unknown metric 'acc'; did you mean 'accuracy'? metrics are: accuracy, balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic" \
    importance "$TMP/tree.dial" $IRIS --metric acc
check 2 "dial: missing DATA for importance; usage: dial importance MODEL.dial DATA [options]" \
    importance "$TMP/tree.dial"
check 2 "dial: unknown option '--fold' for importance; see 'dial importance --help'" \
    importance "$TMP/tree.dial" $IRIS --fold 3
check 1 "dial: cannot open $TMP/missing.dial: No such file or directory" importance "$TMP/missing.dial" $IRIS

finish
