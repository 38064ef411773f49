#!/usr/bin/env bash
# The data users bring: a LIBSVM file's label is its target without
# --target; an id column left in is the most important "feature" and
# --ignore leaves it out (fit, cv, tune and a study's identity), while
# predict --keep copies it beside the predictions; --folds is the number of
# folds everywhere (tune's --cv an alias); a column or option name that
# differs by case or a typo gets "did you mean".
source "$(dirname "$0")/lib.sh" "$@"
IRIS=data/iris.csv
HEART=data/heart_scale.libsvm
COLUMNS="id, sepal_length, sepal_width, petal_length, petal_width, species"

# iris with a first column id = 1..150: iris is sorted by species, so the
# row number alone tells the class.
"$PYTHON" - "$IRIS" "$TMP/iris_id.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["id"] + rows[0])
    for i, row in enumerate(rows[1:]):
        w.writerow([i + 1] + row)
EOF
ID="$TMP/iris_id.csv"

# first_feature: the feature ranked first by the last `dial importance --json`.
first_feature() {
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["features"][0]["name"])' "$TMP/out"
}

# ---- LIBSVM: the label is the target, as svm-train takes it
check 0 "" fit svm $HEART -o "$TMP/heart.dial"
has "target             label: classification, 2 classes (-1, 1)"
has "features           13"
check 0 "" inspect "$TMP/heart.dial" --json
json_ok 'j["target"] == "label" and j["classes"] == ["-1", "1"]'
json_ok '[f["name"] if isinstance(f, dict) else f for f in j["features"]] == ["f%d" % i for i in range(1, 14)]'
# --target label is the same model: the same predictions.
check 0 "" fit svm $HEART --target label -o "$TMP/heart_named.dial"
check 0 "" predict "$TMP/heart.dial" $HEART -o "$TMP/heart_default.csv"
check 0 "" predict "$TMP/heart_named.dial" $HEART -o "$TMP/heart_named.csv"
current="fit svm $HEART with and without --target label"
cmp -s "$TMP/heart_default.csv" "$TMP/heart_named.csv" || fail "the predictions differ"
passed=$((passed + 1))
# Its features are read sparse (compressed rows): none can be the target.
check 1 "dial: target 'f1' is a feature of a sparse (LIBSVM) file: its target is its label, the first column; leave --target out" cv linear $HEART --target f1 --folds 3 --json
check 0 "" cv knn $HEART --folds 3 --json
json_ok 'j["target"] == "label" and 0.7 < j["mean"] <= 1'
check 0 "" tune knn $HEART --trials 2 --quiet --json
json_ok '0.7 < j["best_value"] <= 1'
check 2 "dial: permutation importance does not take sparse data (a LIBSVM file) yet; for a linear model, dial inspect shows the coefficients" importance "$TMP/heart.dial" $HEART --json
# Predictions on LIBSVM data are labels, not the value of f13.
check 0 "" predict "$TMP/heart.dial" $HEART
current="predict on $HEART"
[[ "$(head -1 "$TMP/out")" == "label" ]] || fail "header $(head -1 "$TMP/out")"
[[ "$(tail -n +2 "$TMP/out" | sort -u | tr '\n' ' ')" == "-1 1 " ]] || fail "labels $(tail -n +2 "$TMP/out" | sort -u | head)"
passed=$((passed + 1))

# ---- --ignore: an id column is no feature
check 0 "" fit gbdt "$ID" --target species -o "$TMP/with_id.dial"
has "features           5"
check 0 "" importance "$TMP/with_id.dial" "$ID" --json
current="importance with the id left in"
[[ "$(first_feature)" == id ]] || fail "the first feature is $(first_feature), not id"
passed=$((passed + 1))
check 0 "" fit gbdt "$ID" --target species --ignore id -o "$TMP/no_id.dial"
has "features           4"
check 0 "" importance "$TMP/no_id.dial" "$ID" --json
json_ok 'sorted(f["name"] for f in j["features"]) == ["petal_length", "petal_width", "sepal_length", "sepal_width"]'
json_ok 'j["features"][0]["name"].startswith("petal_")'
# The model never needs the ignored column: iris without it predicts.
check 0 "" predict "$TMP/no_id.dial" $IRIS
has "species"
# Several columns, in one list or many --ignore.
check 0 "" cv knn "$ID" --target species --ignore id,sepal_width --json
json_ok 'j["target"] == "species"'
check 0 "" fit tree "$ID" --target species --ignore sepal_width --ignore id -o "$TMP/two.dial"
has "features           3"
has "ignored            id, sepal_width"
check 0 "" inspect "$TMP/two.dial" --json
json_ok '"sepal_width" not in json.dumps(j["features"]) and "\"id\"" not in json.dumps(j["features"])'

# The errors: one line each.
check 1 "dial: ignored column 'ID' not found; did you mean 'id'? columns are: $COLUMNS" \
    fit tree "$ID" --target species --ignore ID
check 1 "dial: column 'species' is the target; it cannot also be ignored" \
    cv tree "$ID" --target species --ignore species
printf 'id,y\n1,a\n2,b\n3,a\n4,b\n' >"$TMP/two_columns.csv"
check 1 "dial: ignoring column 'id' leaves no feature: a dataset needs at least one" \
    fit tree "$TMP/two_columns.csv" --ignore id
check 2 "dial: --ignore expects column names separated by commas, such as id,name; got 'id,'" \
    fit tree "$ID" --target species --ignore id,
check 2 "dial: unknown option '--ignore' for predict: the columns a model was not fitted on are ignored already; --keep COL copies one beside the predictions" \
    predict "$TMP/no_id.dial" "$ID" --ignore id

# ---- predict --keep: the id beside the predictions
printf 'name,sepal_length,sepal_width,petal_length,petal_width\n"Smith, J.",5.1,3.5,1.4,0.2\nplant 2,6.7,3.0,5.2,2.3\n' >"$TMP/named.csv"
check 0 "" predict "$TMP/no_id.dial" "$TMP/named.csv" --keep name --proba
current="predict --keep name"
[[ "$(head -1 "$TMP/out")" == "name,species,proba_setosa,proba_versicolor,proba_virginica" ]] ||
    fail "header $(head -1 "$TMP/out")"
[[ "$(sed -n 2p "$TMP/out")" == '"Smith, J.",setosa,'* ]] || fail "row 1 $(sed -n 2p "$TMP/out")"
[[ "$(sed -n 3p "$TMP/out")" == 'plant 2,virginica,'* ]] || fail "row 2 $(sed -n 3p "$TMP/out")"
passed=$((passed + 1))
check 0 "" predict "$TMP/no_id.dial" "$ID" --keep id,species -o "$TMP/kept.csv"
current="predict --keep id,species"
"$PYTHON" -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
ok = rows[0] == ["id", "species", "species"] and [r[0] for r in rows[1:]] == [str(i) for i in range(1, 151)]
ok = ok and sum(r[1] == r[2] for r in rows[1:]) >= 140
sys.exit(0 if ok else 1)' "$TMP/kept.csv" || fail "$(head -3 "$TMP/kept.csv")"
passed=$((passed + 1))
check 1 "dial: --keep column 'idd' not found; did you mean 'id'? columns are: $COLUMNS" \
    predict "$TMP/no_id.dial" "$ID" --keep idd
check 2 "dial: unknown option '--keep' for fit: dial predict keeps columns; --ignore COL leaves one out of the features here" \
    fit tree "$ID" --keep id

# ---- a study's identity holds the ignored columns
check 0 "" tune knn "$ID" --target species --ignore id --trials 3 --study "$TMP/s.db" --quiet
# Left out on resume, the study's --ignore is taken.
check 0 "" tune knn "$ID" --target species --trials 4 --study "$TMP/s.db" --quiet --json
json_ok 'j["trials"] == 4 and j["new_trials"] == 1'
check 2 "dial: study 'knn' in $TMP/s.db was created with ignore id, this run asks for id,sepal_width; use --study-name NAME for a new study in the same file" \
    tune knn "$ID" --target species --ignore sepal_width,id --trials 5 --study "$TMP/s.db" --quiet
check 0 "" tune knn "$ID" --target species --trials 2 --study "$TMP/plain.db" --quiet
check 2 "dial: study 'knn' in $TMP/plain.db was created with ignore (none), this run asks for id; use --study-name NAME for a new study in the same file" \
    tune knn "$ID" --target species --ignore id --trials 3 --study "$TMP/plain.db" --quiet

# ---- --folds everywhere; --cv is tune's alias
check 0 "" tune knn $IRIS --target species --folds 3 --trials 2 --quiet --json
json_ok 'j["folds"] == 3'
check 0 "" tune knn $IRIS --target species --cv 3 --trials 2 --quiet --json
json_ok 'j["folds"] == 3'
check 2 "dial: --folds expects an integer >= 2, got '1'" tune knn $IRIS --folds 1
# A study made with --cv 3 resumes with --folds 3, and is refused with --folds 4.
check 0 "" tune knn $IRIS --target species --cv 3 --trials 2 --study "$TMP/f.db" --quiet
check 0 "" tune knn $IRIS --target species --folds 3 --trials 3 --study "$TMP/f.db" --quiet
check 2 "dial: study 'knn' in $TMP/f.db was created with folds 3, this run asks for 4; use --study-name NAME for a new study in the same file" \
    tune knn $IRIS --target species --folds 4 --trials 4 --study "$TMP/f.db" --quiet

# ---- an unknown option suggests the closest known one
check 2 "dial: unknown option '--cv' for cv; did you mean '--folds'?" cv knn $IRIS --cv 3
check 2 "dial: unknown option '-target' for fit; did you mean '--target'?" fit knn $IRIS -target species
check 2 "dial: unknown option '-folds' for cv; did you mean '--folds'?" cv knn $IRIS -folds 3
check 2 "dial: unknown option '--trails' for tune; did you mean '--trials'?" tune knn $IRIS --trails 3

# ---- a column name that differs by case or a typo
IRIS_COLUMNS="sepal_length, sepal_width, petal_length, petal_width, species"
check 1 "dial: target column 'Species' not found; did you mean 'species'? columns are: $IRIS_COLUMNS" \
    cv knn $IRIS --target Species
check 1 "dial: target column 'specie' not found; did you mean 'species'? columns are: $IRIS_COLUMNS" \
    fit knn $IRIS --target specie
check 1 "dial: target column 'petal_widht' not found; did you mean 'petal_width'? columns are: $IRIS_COLUMNS" \
    tune knn $IRIS --target petal_widht --trials 2
check 1 "dial: target column 'nope' not found; columns are: $IRIS_COLUMNS" cv knn $IRIS --target nope
finish
