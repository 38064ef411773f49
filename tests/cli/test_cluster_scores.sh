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
finish
