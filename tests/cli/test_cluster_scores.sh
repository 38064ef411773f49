#!/bin/bash
# A clustering's probabilities and scores on the command line: a gmm's
# responsibilities under --proba (kmeans and dbscan refuse it, one line
# each); bic and aic, which only a model with a likelihood has, choosing a
# gmm's n_components and covariance; a study's --labels; 'dial score' of a
# clustering model.
source "$(dirname "$0")/lib.sh" "$@"
MEASURES=data/iris_measurements.csv
IRIS=data/iris.csv
cd "$(dirname "$0")/../.."

# ---- --proba --------------------------------------------------------------
check 0 "" fit gmm $MEASURES -s n_components=3 -o "$TMP/gmm.dial"
check 0 "" predict "$TMP/gmm.dial" $IRIS --proba
[[ "$(head -1 "$TMP/out")" == "cluster,proba_0,proba_1,proba_2" ]] || fail "header $(head -1 "$TMP/out")"
# each row: the responsibilities sum to 1 and the largest is the cluster's
"$PYTHON" - "$TMP/out" <<'PY' || fail "responsibilities do not sum to 1 or disagree with the cluster"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 150
for r in rows:
    p = [float(r[f"proba_{c}"]) for c in range(3)]
    assert abs(sum(p) - 1) < 1e-5, p
    assert max(range(3), key=lambda c: p[c]) == int(r["cluster"]), r
assert len({r["cluster"] for r in rows}) == 3
PY
check 0 "" fit kmeans $MEASURES -s k=3 -o "$TMP/kmeans.dial"
check 2 "dial: --proba needs a model with probabilities; $TMP/kmeans.dial is a clustering (kmeans): it puts each row in one cluster, with no probability of the others (a gmm gives them: its responsibilities)" predict "$TMP/kmeans.dial" $IRIS --proba
check 0 "" fit dbscan $MEASURES -s eps=0.5 -s scale=none -o "$TMP/dbscan.dial"
check 2 "dial: --proba needs a model with probabilities; $TMP/dbscan.dial is a clustering (dbscan): it puts each row in one cluster, with no probability of the others (a gmm gives them: its responsibilities)" predict "$TMP/dbscan.dial" $IRIS --proba

# ---- bic and aic -----------------------------------------------------------
# Three round blobs of 100 rows in 2 dimensions, far apart: the right answer
# is 3 components.
"$PYTHON" - "$TMP/blobs3.csv" <<'PY'
import random, sys
rng = random.Random(3)
with open(sys.argv[1], "w") as f:
    f.write("x,y\n")
    for cx, cy in ((0, 0), (10, 0), (5, 9)):
        for _ in range(100):
            f.write(f"{cx + rng.gauss(0, 1):.5f},{cy + rng.gauss(0, 1):.5f}\n")
PY
check 0 "" tune gmm "$TMP/blobs3.csv" --metric bic --sampler grid --space n_components=2..6 --quiet --json
json_ok 'j["metric"] == "bic" and j["direction"] == "minimize" and j["best_knobs"]["n_components"] == 3'
# The default space covers n_components (2..10) and the covariance: the
# grid of the two is 36 trials, and the round blobs (independent features
# of one variance) are best told by 3 spherical components.
check 0 "" tune gmm "$TMP/blobs3.csv" --metric bic --sampler grid --quiet --json
json_ok 'j["trials"] == 36 and j["best_knobs"] == {"n_components": 3, "covariance": "spherical"}'
json_ok '{t["knobs"]["covariance"] for t in j["leaderboard"]} == {"full", "tied", "diag", "spherical"}'
check 0 "" tune gmm "$TMP/blobs3.csv" --metric aic --trials 12 --quiet --json
json_ok 'j["metric"] == "aic" and j["direction"] == "minimize" and j["best_knobs"]["n_components"] == 3'
check 0 "" cv gmm $MEASURES -s n_components=3 --metric bic --json
json_ok 'j["metric"] == "bic" and len(j["scores"]) == 5 and all(s > 0 for s in j["scores"])'
check 2 "dial: metric 'bic' reads the rows' likelihood under the model, which kmeans does not have (a gmm has): score kmeans with silhouette" cv kmeans $MEASURES --metric bic
check 2 "dial: metric 'aic' reads the rows' likelihood under the model, which dbscan does not have (a gmm has): score dbscan with silhouette" tune dbscan $MEASURES --metric aic --trials 2

# ---- a study's labels --------------------------------------------------------
# Tuned against known groups, then asked again without them: another
# experiment, said as such (not as other data).
check 0 "" tune kmeans $IRIS --labels species -m adjusted_rand --trials 2 --quiet --study "$TMP/study.db"
check 2 "dial: study 'kmeans' in $TMP/study.db was created with labels species, this run asks for (none); use --study-name NAME for a new study in the same file" tune kmeans $IRIS --ignore species -m silhouette --trials 2 --quiet --study "$TMP/study.db"
check 0 "" tune kmeans $IRIS --labels species -m adjusted_rand --trials 3 --quiet --study "$TMP/study.db" --json
json_ok 'j["trials"] == 3'

# ---- dial score of a clustering model -----------------------------------------
# On its training rows a clustering scores what its fit reported: the
# adjusted Rand index scikit-learn's best KMeans(3) has with species,
# 0.7302382722834697 (tests/models/reference_kmeans.py).
check 0 "" fit kmeans $IRIS --labels species -s k=3 -s scale=none --json -o "$TMP/labelled.dial"
keep fit.json
check 0 "" score "$TMP/labelled.dial" $IRIS --labels species --json
json_ok 'j["rows"] == 150 and j["confusion_matrix"] is None and list(j["metrics"]) == ["silhouette", "davies_bouldin", "calinski_harabasz", "inertia", "adjusted_rand", "normalized_mutual_info"]'
json_ok 'abs(j["metrics"]["adjusted_rand"] - 0.7302382722834697) < 1e-12 and abs(j["metrics"]["inertia"] - 78.851441426146) < 1e-9 * 78.85'
json_ok 'abs(j["metrics"]["silhouette"] - json.load(open(sys.argv[1][:-3] + "fit.json"))["training_score"]) < 1e-12'
check 0 "" score "$TMP/labelled.dial" $IRIS
has "kmeans ($TMP/labelled.dial) on data/iris.csv: 150 rows, clustering, no labels"
has_line "^  silhouette +0\.55[0-9]+$"
! grep -q adjusted_rand "$TMP/out" || fail "adjusted_rand without --labels"
check 0 "" score "$TMP/labelled.dial" $IRIS --labels species -m normalized_mutual_info
has "kmeans ($TMP/labelled.dial) on data/iris.csv: 150 rows, labels species"
has_line "^  normalized_mutual_info +0\.7[0-9]+$"
# a gmm's criteria too, bic charging more than aic for its 44 parameters on 150 rows
check 0 "" score "$TMP/gmm.dial" $MEASURES --json
json_ok 'list(j["metrics"])[-2:] == ["bic", "aic"] and j["metrics"]["bic"] - j["metrics"]["aic"] > 44 * (__import__("math").log(150) - 2) - 1e-6'
check 2 "dial: metric 'adjusted_rand' compares the clusters with known labels: name their column with --labels COLUMN, or score with silhouette" score "$TMP/labelled.dial" $IRIS -m adjusted_rand
check 2 "dial: metric 'bic' reads the rows' likelihood under the model, which kmeans does not have (a gmm has): score kmeans with silhouette" score "$TMP/labelled.dial" $IRIS -m bic
check 2 "dial: metric 'accuracy' is for classification, but $TMP/labelled.dial is a clustering model, which has no target; its metrics are silhouette, davies_bouldin, calinski_harabasz, inertia, and with --labels adjusted_rand, normalized_mutual_info" score "$TMP/labelled.dial" $IRIS -m accuracy
check 2 "dial: $TMP/labelled.dial is a clustering model, which has no target, but --target species names one: name known groups to compare the clusters with by --labels species" score "$TMP/labelled.dial" $IRIS --target species
# --silhouette-rows: exact up to N rows, a seeded sample of N above (the
# default N is 4096); 'all' scores every row. On 5,000 of letter's rows
# (shared data; skipped without it) the default samples and 'all' is
# scikit-learn's silhouette_score of the same clusters to 1e-9.
check 0 "" score "$TMP/labelled.dial" $IRIS -m silhouette --silhouette-rows 100 --json
keep sampled.json
check 0 "" score "$TMP/labelled.dial" $IRIS -m silhouette --silhouette-rows all --json
json_ok 'abs(j["metrics"]["silhouette"] - json.load(open(sys.argv[1][:-3] + "fit.json"))["training_score"]) < 1e-12 and j["metrics"]["silhouette"] != json.load(open(sys.argv[1][:-3] + "sampled.json"))["metrics"]["silhouette"]'
check 2 "dial: --silhouette-rows expects 'all' or an integer >= 2 (the rows scored before a sample is drawn), got '1'" score "$TMP/labelled.dial" $IRIS --silhouette-rows 1
if [[ -f ../shared/data/letter.csv ]]; then
    head -5001 ../shared/data/letter.csv > "$TMP/letter.csv"
    check 0 "" fit kmeans "$TMP/letter.csv" --ignore lettr -s k=6 -s scale=none -o "$TMP/letter.dial"
    check 0 "" predict "$TMP/letter.dial" "$TMP/letter.csv"
    cp "$TMP/out" "$TMP/letter_clusters.csv"
    check 0 "" score "$TMP/letter.dial" "$TMP/letter.csv" -m silhouette --json
    keep letter_sampled.json
    check 0 "" score "$TMP/letter.dial" "$TMP/letter.csv" -m silhouette --silhouette-rows all --json
    "$PYTHON" - "$TMP" <<'PY' || fail "the exact silhouette of 5,000 rows is not scikit-learn's"
import json, sys
import pandas as pd
from sklearn.metrics import silhouette_score
folder = sys.argv[1]
rows = pd.read_csv(folder + "/letter.csv").drop(columns=["lettr"]).values.astype(float)
clusters = pd.read_csv(folder + "/letter_clusters.csv")["cluster"].values
want = silhouette_score(rows, clusters)
exact = json.load(open(folder + "/out"))["metrics"]["silhouette"]
sampled = json.load(open(folder + "/letter_sampled.json"))["metrics"]["silhouette"]
assert abs(exact - want) < 1e-9, (exact, want)
assert sampled != exact, sampled
PY
fi
check 0 "" fit tree $IRIS --target species -o "$TMP/tree.dial"
check 2 "dial: --labels names the known groups a clustering is compared with, but $TMP/tree.dial is a classification model: name its true values with --target species" score "$TMP/tree.dial" $IRIS --labels species
finish
