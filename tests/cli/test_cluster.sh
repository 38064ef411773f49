#!/bin/bash
# Clustering on the command line: kmeans fitted on data without a target,
# predicted, inspected, cross-validated and tuned by silhouette; and the
# mistakes a clustering invites (a --target, --proba), each one line.
source "$(dirname "$0")/lib.sh" "$@"
MEASURES=data/iris_measurements.csv
IRIS=data/iris.csv
cd "$(dirname "$0")/../.."

# Every column is a feature; no option but the knob is needed. scikit-learn's
# KMeans(3, n_init=10) on the raw measurements reaches inertia 78.851441426146
# (tests/models/reference_kmeans.py); dial's own starts reach it too.
check 0 "" fit kmeans $MEASURES -s k=3 -s scale=none -o "$TMP/k3.dial"
has "target               none: clustering"
has "rows                 150"
has "features             4"
has_line "training silhouette  0\.55[0-9]+ \(on the training rows"
check 0 "" inspect "$TMP/k3.dial" --json
json_ok 'j["task"] == "clustering" and abs({t["name"]: t for t in j["tensors"]}["inertia"]["values"][0] - 78.851441426146) < 1e-9 * 78.85'
json_ok '{t["name"]: t for t in j["tensors"]}["centroids"]["shape"] == [3, 4] and sorted({t["name"]: t for t in j["tensors"]}["cluster_size"]["values"]) == [38, 50, 62]'
check 0 "" inspect "$TMP/k3.dial"
has "target     none (a clustering)"
has "centroids  float64 [3 x 4]"

# Predictions are cluster indices under a 'cluster' header; the file's
# other columns (species) are ignored.
check 0 "" predict "$TMP/k3.dial" $IRIS
[[ "$(head -1 "$TMP/out")" == "cluster" ]] || fail "header $(head -1 "$TMP/out")"
[[ "$(sed 1d "$TMP/out" | sort -u | tr '\n' ' ')" == "0 1 2 " ]] || fail "clusters $(sed 1d "$TMP/out" | sort -u)"
check 2 "dial: --proba needs a model with probabilities; $TMP/k3.dial is a clustering (kmeans): it puts each row in one cluster, with no probability of the others (a gmm gives them: its responsibilities)" predict "$TMP/k3.dial" $IRIS --proba

# A target is refused, an --ignore'd column left out.
check 2 "dial: kmeans learns without a target, but --target species names one: every column is a feature; leave a column out with --ignore species" fit kmeans $IRIS --target species -o "$TMP/no.dial"
check 0 "" fit kmeans $IRIS --ignore species -s k=3 --json -o "$TMP/ignored.dial"
json_ok 'j["target"] is None and j["task"] == "clustering" and j["features"] == 4 and j["metric"] == "silhouette"'
check 2 "dial: knob 'k' = 151 is more clusters than the 150 rows kmeans is fitted on: lower k (-s k=150 at most)" fit kmeans $MEASURES -s k=151 -o "$TMP/no.dial"
[[ ! -e "$TMP/no.dial" ]] || fail "a refused fit saved a model"
# One cluster has no silhouette, but is a model.
check 0 "" fit kmeans $MEASURES -s k=1 -o "$TMP/k1.dial"
has "training silhouette  undefined (every row in one cluster)"
check 2 "dial: knob 'init' = 'kmeans++' is not one of: k-means++, random" fit kmeans $MEASURES -s init=kmeans++ -o "$TMP/no.dial"

# Cross-validated and tuned by the silhouette of the held-out rows.
check 0 "" cv kmeans $MEASURES -s k=3 --json
json_ok 'j["metric"] == "silhouette" and len(j["scores"]) == 5 and 0.3 < j["mean"] < 0.7'
check 2 "dial: metric 'accuracy' is for classification, but model 'kmeans' does clustering, which has no target: use silhouette" cv kmeans $MEASURES --metric accuracy
check 0 "" tune kmeans $MEASURES --trials 6 --sampler grid --quiet -o "$TMP/tuned.dial" --json
json_ok 'j["metric"] == "silhouette" and j["target"] is None and 2 <= j["best_knobs"]["k"] <= 20'
# A search's trials measure each fold's distances once and sum them again
# (src/eval/silhouette.c's memo); `dial cv`, which measures them anew,
# gives every trial's score (to the 15 digits cv's JSON prints; the memo
# gives the same bits, tests/eval/test_silhouette.c). digits' folds hold
# 359 or 360 rows: three blocks of distances, the last one short.
check 0 "" tune kmeans data/digits.csv --ignore digit --sampler grid --space k=2..5 --quiet --json -j 2
keep digits_tune
for k in 2 3 4 5; do
    check 0 "" cv kmeans data/digits.csv --ignore digit -s k=$k --json
    "$PYTHON" -c 'import json, sys
tune = json.load(open(sys.argv[1])); cv = json.load(open(sys.argv[2]))
value = [float("%.15g" % t["value"]) for t in tune["leaderboard"] if t["knobs"]["k"] == int(sys.argv[3])]
sys.exit(0 if value == [cv["mean"]] else "k=%s: tune %r, cv %r" % (sys.argv[3], value, cv["mean"]))' \
        "$TMP/digits_tune" "$TMP/out" $k || fail "tune and cv differ at k=$k"
done

# Known groups (--labels) are no feature; the clusters are compared with
# them. scikit-learn's ARI of its best KMeans(3) with species is
# 0.7302382722834697 (tests/models/reference_kmeans.py).
check 0 "" fit kmeans $IRIS --labels species -s k=3 -s scale=none --json -o "$TMP/labels.dial"
json_ok 'j["features"] == 4 and j["labels"]["column"] == "species" and abs(j["labels"]["adjusted_rand"] - 0.7302382722834697) < 1e-12'
check 0 "" fit kmeans $IRIS --labels species -s k=3 -s scale=none -o "$TMP/labels.dial"
has "labels               species: adjusted Rand index 0.7302 with the clusters"
check 0 "" cv kmeans $IRIS --labels species -s k=3 -m adjusted_rand
has "kmeans on data/iris.csv (150 rows, labels species, clustering)"
has_line "^adjusted_rand: mean 0\.[0-9]+, std"
check 0 "" cv kmeans $IRIS --labels species -s k=3 -m normalized_mutual_info --json
json_ok 'j["metric"] == "normalized_mutual_info" and 0.5 < j["mean"] <= 1'
for metric in davies_bouldin calinski_harabasz inertia; do
    check 0 "" cv kmeans $MEASURES -s k=3 -m $metric --json
    json_ok "j['metric'] == '$metric' and j['mean'] > 0"
done
check 2 "dial: metric 'adjusted_rand' compares the clusters with known labels: name their column with --labels COLUMN, or score with silhouette" cv kmeans $MEASURES -m adjusted_rand
check 2 "dial: metric 'normalized_mutual_info' compares the clusters with known labels: name their column with --labels COLUMN, or score with silhouette" tune kmeans $MEASURES -m normalized_mutual_info --trials 2
check 2 "dial: --labels names the known groups a clustering is compared with, but knn is no clustering: name what it predicts with --target species" cv knn $IRIS --labels species
# Tuned by a metric where lower is better: the study minimises it.
check 0 "" tune kmeans $MEASURES -m davies_bouldin --trials 4 --quiet --json
json_ok 'j["metric"] == "davies_bouldin" and j["direction"] == "minimize"'

# gmm: the same ways in; its learned mixture in the model file.
check 0 "" fit gmm $MEASURES -s n_components=3 -s covariance=diag --json -o "$TMP/gmm.dial"
json_ok 'j["task"] == "clustering" and j["metric"] == "silhouette" and j["knobs"]["covariance"] == "diag"'
check 0 "" inspect "$TMP/gmm.dial" --json
json_ok '{t["name"]: t for t in j["tensors"]}["covariances"]["shape"] == [3, 4] and abs(sum({t["name"]: t for t in j["tensors"]}["weights"]["values"]) - 1) < 1e-12'
check 0 "" predict "$TMP/gmm.dial" $IRIS
[[ "$(sed 1d "$TMP/out" | sort -u | tr '\n' ' ')" == "0 1 2 " ]] || fail "gmm clusters $(sed 1d "$TMP/out" | sort -u)"
check 0 "" cv gmm $MEASURES -s n_components=3 -m calinski_harabasz --json
json_ok 'j["metric"] == "calinski_harabasz" and j["mean"] > 0'
check 0 "" tune gmm $MEASURES --trials 4 --quiet --json
json_ok 'j["metric"] == "silhouette" and 2 <= j["best_knobs"]["n_components"] <= 10 and j["best_knobs"]["covariance"] in ("full", "tied", "diag", "spherical")'

# dbscan: noise is -1 in the predictions, and a cluster of its own to the
# metrics (as scikit-learn counts it).
check 0 "" fit dbscan $MEASURES -s eps=0.5 -s scale=none --json -o "$TMP/dbscan.dial"
json_ok 'j["task"] == "clustering" and j["training_score"] is not None'
check 0 "" inspect "$TMP/dbscan.dial" --json
json_ok '{t["name"]: t for t in j["tensors"]}["core_rows"]["shape"] == [117, 4] and {t["name"]: t for t in j["tensors"]}["n_noise"]["values"] == [17]'
check 0 "" predict "$TMP/dbscan.dial" $IRIS
[[ "$(sed 1d "$TMP/out" | sort -u | tr '\n' ' ')" == "-1 0 1 " ]] || fail "dbscan clusters $(sed 1d "$TMP/out" | sort -u)"
check 0 "" cv dbscan $MEASURES -s eps=0.5 -s scale=none --json
json_ok 'j["metric"] == "silhouette" and len(j["scores"]) == 5'
finish
