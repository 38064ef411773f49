#!/usr/bin/env bash
# dial models and dial knobs: the registry and each model's knob dashboard,
# as a table and as JSON.
source "$(dirname "$0")/lib.sh" "$@"

# fits_width: no line of the last stdout is wider than 100 columns.
fits_width() {
    local widest
    widest=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$TMP/out")
    [[ $widest -le 100 ]] || fail "a line is $widest columns wide"
    passed=$((passed + 1))
}

# ---- dial models
check 0 "" models
for model in linear logistic naive_bayes knn; do has_line "^$model +(classification|regression)"; done
has_line "^logistic +classification "
has_line "^linear +regression "
has_line "^knn +classification, regression "
fits_width
check 0 "" models --json
json_ok '{m["name"] for m in j} >= {"linear", "logistic", "naive_bayes", "knn"}'
json_ok 'all(m["summary"] and m["tasks"] for m in j)'

# ---- dial knobs: the table
check 0 "" knobs logistic
has "logistic: "
has_line "^  NAME +TYPE +DEFAULT +VALID +SEARCH +ACTIVE$"
has_line "^  impute +choice +mean +mean, median,( most_frequent, none)? +not searched +always$"
has_line "^  C +float "
has "Learned parameters"
has_line "^  coef "
has "preprocess.center"
fits_width

check 0 "" knobs knn
has_line "^  k +int +5 +>= 1 +1 \.\. [0-9]+ +always$"
has_line "^  p +float .*when metric=minkowski$"
has "nonparametric: "
fits_width

for model in linear naive_bayes; do
    check 0 "" knobs "$model"
    has "Learned parameters"
    fits_width
done

# A list knob says so in its type: mlp's hidden layers.
check 0 "" knobs mlp
has_line "^  hidden +int list +100 +1 to 16 layers, "
has_line "^  epochs +int +200 "
fits_width

# ---- dial knobs --json: the same, machine-readable
check 0 "" knobs logistic --json
json_ok 'j["model"] == "logistic" and j["tasks"] == ["classification"] and j["summary"]'
json_ok 'set(k["name"] for k in j["knobs"]) >= {"impute", "scale", "C"}'
json_ok 'all(set(k) >= {"name", "type", "default", "bounds", "search", "choices", "condition", "doc"} for k in j["knobs"])'
json_ok '[k for k in j["knobs"] if k["name"] == "impute"][0]["choices"] == ["mean", "median", "most_frequent", "none"]'
json_ok '[k for k in j["knobs"] if k["name"] == "C"][0]["bounds"] == "> 0"'
json_ok '[k for k in j["knobs"] if k["name"] == "C"][0]["search"]["log"] is True'
json_ok 'j["nonparametric"] is False and [p["name"] for p in j["parameters"]].count("coef") == 1'
json_ok 'all(set(p) == {"name", "shape", "doc"} for p in j["parameters"])'

check 0 "" knobs knn --json
json_ok 'j["nonparametric"] is True and j["parameters"] == []'
json_ok '[k for k in j["knobs"] if k["name"] == "p"][0]["condition"] == "metric=minkowski"'
json_ok '[k for k in j["knobs"] if k["name"] == "k"][0]["default"] == 5'
json_ok '[k for k in j["knobs"] if k["name"] == "k"][0]["condition"] is None'

# A list knob's default is an array; list_item names one of its values.
check 0 "" knobs mlp --json
json_ok '[k for k in j["knobs"] if k["name"] == "hidden"][0]["default"] == [100]'
json_ok '[k for k in j["knobs"] if k["name"] == "hidden"][0]["type"] == "int"'
json_ok '[k for k in j["knobs"] if k["name"] == "hidden"][0]["list_item"] == "layer"'
json_ok 'all(k["list_item"] is None for k in j["knobs"] if k["name"] != "hidden")'
json_ok '[k for k in j["knobs"] if k["name"] == "learning_rate"][0]["default"] == 0.001'

# ---- SEARCH says what dial tune searches by default, and nothing else
# knn's weights and svm's kernel are valid choices no default search tries;
# p has a range but its condition (metric=minkowski) fails under the defaults.
check 0 "" knobs knn
has_line "^  weights +choice +uniform +uniform, distance +not searched +always$"
has_line "^  p +float +2 +>= 1 +not searched +when metric=minkowski$"
has_line "^  algorithm +choice .* +not searched +always$"
check 0 "" knobs svm
has_line "^  kernel +choice +rbf +linear, rbf, poly, +not searched +always$"
has_line "^  C +float +1 +> 0 +0\.03125 \.\. 32768 log +always$"
has_line "^  degree +int +3 .* +not searched +when kernel=poly$"
has_line "^  tol +float +1e-3 +> 0 +not searched +always$"
# forest's max_features: auto (sqrt or all again) and count (1 feature)
# stay valid but are not searched; its max_depth is left to full trees.
check 0 "" knobs forest
has_line "^  max_features +choice +auto +auto, all, sqrt, +all, sqrt, log2, +always$"
has_line "^  max_depth +int +0 +>= 0 +not searched +always$"
fits_width

check 0 "" knobs knn --json
json_ok '{k["name"]: k["searched"] for k in j["knobs"]} == {"impute": False, "scale": False, "k": True, "weights": False, "metric": False, "p": False, "algorithm": False}'
json_ok '[k for k in j["knobs"] if k["name"] == "weights"][0]["search"] is None'
json_ok '[k for k in j["knobs"] if k["name"] == "k"][0]["search"] == {"low": 1, "high": 50, "log": False}'
check 0 "" knobs svm --json
json_ok '[k["name"] for k in j["knobs"] if k["searched"]] == ["C", "gamma"]'
check 0 "" knobs forest --json
json_ok '[k for k in j["knobs"] if k["name"] == "max_features"][0]["search"] == {"choices": ["all", "sqrt", "log2", "fraction"]}'
json_ok '[k for k in j["knobs"] if k["name"] == "max_features"][0]["choices"] == ["auto", "all", "sqrt", "log2", "fraction", "count"]'
json_ok '[k["name"] for k in j["knobs"] if k["searched"]] == ["n_estimators", "min_samples_leaf", "max_features", "max_features_fraction"]'
# Every model: a knob is searched exactly when dial tune's default space has it.
for model in linear logistic naive_bayes knn svm mlp tree forest gbdt; do
    check 0 "" knobs "$model" --json
    json_ok 'all(isinstance(k["searched"], bool) for k in j["knobs"])'
done

# What dial tune tries is what the table says: forest's trials search
# exactly the knobs marked searched (less the one fixed with -s), and
# max_features only over all, sqrt, log2 and fraction.
check 0 "" tune forest data/iris.csv --target species --trials 24 -s n_estimators=10 --cv 3 \
    --seed 3 --quiet --study "$TMP/forest.db"
check 0 "" trials "$TMP/forest.db" --json
json_ok 'len(j["trials"]) == 24'
json_ok 'set().union(*(t["knobs"] for t in j["trials"])) == {"min_samples_leaf", "max_features", "max_features_fraction"}'
json_ok '{t["knobs"]["max_features"] for t in j["trials"]} == {"all", "sqrt", "log2", "fraction"}'

# ---- mistakes
check 2 "dial: unknown model 'logistik'; did you mean 'logistic'? models are: linear, logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan" knobs logistik
check 2 "dial: missing MODEL for knobs; usage: dial knobs MODEL [--json]" knobs
check 2 "dial: unexpected argument 'svm' for knobs; usage: dial knobs MODEL [--json]" knobs knn svm
check 2 "dial: unknown option '--jsn' for knobs; did you mean '--json'?" knobs knn --jsn
check 2 "dial: unknown option '--folds' for models; see 'dial models --help'" models --folds 3
check 2 "dial: option '--json' takes no value" models --json=yes

finish
