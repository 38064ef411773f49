#!/bin/bash
# What the command line prints of a clustering: 'dial score' lines up every
# metric's value in one column (normalized_mutual_info included); 'dial
# knobs gmm' and 'dial models --json' say that a gmm predicts
# probabilities (its responsibilities, under --proba); a dbscan of 43
# clusters predicts whole cluster numbers (not 1e+01), the labels of
# scikit-learn's DBSCAN (tests/models/reference_dbscan.py).
source "$(dirname "$0")/lib.sh" "$@"
MEASURES=data/iris_measurements.csv
IRIS=data/iris.csv
cd "$(dirname "$0")/../.."

# ---- dial score: one column of values -------------------------------------
check 0 "" fit kmeans $IRIS --labels species -s k=3 -o "$TMP/labelled.dial"
check 0 "" score "$TMP/labelled.dial" $IRIS --labels species
diff - "$TMP/out" <<EXPECTED || fail "score text differs (above)"
kmeans ($TMP/labelled.dial) on data/iris.csv: 150 rows, labels species
  silhouette             0.4599
  davies_bouldin         0.8336
  calinski_harabasz      241.9044
  inertia                139.8205
  adjusted_rand          0.6201
  normalized_mutual_info 0.6595
EXPECTED
passed=$((passed + 1))
# without the long name the column is as narrow as before
check 0 "" score "$TMP/labelled.dial" $IRIS
has_line "^  silhouette         0\.4599$"

# ---- --proba of a gmm, said where the other families say theirs ------------
check 0 "" knobs gmm
[[ "$(sed -n 2p "$TMP/out")" == "tasks: clustering; predicts each row's probability of every cluster, its responsibilities (--proba)" ]] || fail "knobs gmm says '$(sed -n 2p "$TMP/out")'"
passed=$((passed + 1))
check 0 "" knobs kmeans
[[ "$(sed -n 2p "$TMP/out")" == "tasks: clustering" ]] || fail "knobs kmeans says '$(sed -n 2p "$TMP/out")'"
passed=$((passed + 1))
check 0 "" knobs svm
[[ "$(sed -n 2p "$TMP/out")" == "tasks: classification, regression; predicts class probabilities (--proba)" ]] || fail "knobs svm says '$(sed -n 2p "$TMP/out")'"
passed=$((passed + 1))
check 0 "" knobs gmm --json
json_ok 'j["proba"] is True'
check 0 "" knobs dbscan --json
json_ok 'j["proba"] is False'
check 0 "" models --json
json_ok '{m["name"]: m["proba"] for m in j if m["tasks"] == ["clustering"]} == {"kmeans": False, "gmm": True, "dbscan": False}'
# and what it says is so: a gmm predicts them, a kmeans refuses
check 0 "" fit gmm $MEASURES -s n_components=2 -o "$TMP/gmm.dial"
check 0 "" predict "$TMP/gmm.dial" $IRIS --proba
[[ "$(head -1 "$TMP/out")" == "cluster,proba_0,proba_1" ]] || fail "header $(head -1 "$TMP/out")"
passed=$((passed + 1))

# ---- dbscan: many clusters, scikit-learn's labels -------------------------
# letter's whole-number features put many distances exactly on eps.
check 0 "" fit dbscan data/letter_2000.csv --ignore lettr -s scale=none -s eps=4 -s min_samples=5 --json -o "$TMP/letter.dial"
check 0 "" inspect "$TMP/letter.dial" --json
json_ok '[t["shape"] for t in j["tensors"] if t["name"] in ("core_rows", "core_labels")] == [[1029, 16], [1029]]'
check 0 "" predict "$TMP/letter.dial" data/letter_2000.csv
"$PYTHON" - "$TMP/out" <<'PY' || fail "dbscan's predictions are not scikit-learn's labels"
import sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "cluster", lines[0]
labels = [int(v) for v in lines[1:] if v]  # int() refuses 1e+01
assert len(labels) == 2000
assert max(labels) + 1 == 43 and labels.count(-1) == 631, (max(labels), labels.count(-1))
assert sum((i + 1) * (label + 1) for i, label in enumerate(labels)) == 10216162
PY
passed=$((passed + 1))
finish
