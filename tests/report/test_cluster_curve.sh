#!/usr/bin/env bash
# The elbow curve of a clustering study's page (src/cli/report_cluster_curve.c):
# a kmeans study by silhouette (a random search, so some k are tried more than
# once and the point is the best of them) and a gmm study by bic over
# n_components and covariance (one line per covariance). check_cluster_curve.py
# reads each point's trial and value off the page and compares them with
# `dial trials --json`; check_report.py renders the pages in headless
# Chromium (the curve drawn, fitting the window at 1280 and 390 px). k
# searched as a list (k=2,4,7) is drawn at its numbers too. A dbscan
# study says why it has no curve; a classification study has none at all.
# Exits 77 (skipped, with the reason) when chromium is not installed.
source "$(dirname "$0")/../cli/lib.sh" "$@"
CHECK="$(pwd)/tests/report/check_report.py"
CURVE="$(pwd)/tests/report/check_cluster_curve.py"
MEASURES=$(pwd)/data/iris_measurements.csv
IRIS=$(pwd)/data/iris.csv
cd "$TMP" || exit 1

# curve ARGS...: check_cluster_curve.py ARGS passes.
curve() {
    current="check_cluster_curve.py $*"
    "$PYTHON" "$CURVE" "$@" >"$TMP/curve.out" || fail "$(cat "$TMP/curve.out")"
    passed=$((passed + 1))
}

"$DIAL" tune kmeans "$MEASURES" --sampler random --trials 10 --space k=2..5 --study kmeans.db \
    --quiet >/dev/null || fail "dial tune kmeans failed"
check 0 "" report kmeans.db -o kmeans.html
check 0 "" trials kmeans.db --json
keep kmeans.json
json_ok 'len({t["knobs"]["k"] for t in j["trials"]}) < len(j["trials"])'
curve kmeans.html kmeans.json silhouette k
"$PYTHON" "$(dirname "$CHECK")/../cli/report_check.py" kmeans.html figure:elbow marks:elbow:4 \
    "text:Elbow curve: the best silhouette of the complete trials at each k (the number of clusters); higher is better." \
    >"$TMP/check.out" || fail "$(cat "$TMP/check.out")"
passed=$((passed + 1))

# k searched as a list of values: a categorical whose choices are numbers
"$DIAL" tune kmeans "$MEASURES" --sampler grid --space k=2,4,7 --study listed.db --quiet \
    >/dev/null || fail "dial tune kmeans k=2,4,7 failed"
check 0 "" report listed.db -o listed.html
check 0 "" trials listed.db --json
keep listed.json
curve listed.html listed.json silhouette k

"$DIAL" tune gmm "$MEASURES" --metric bic --sampler grid --space n_components=2..4 \
    --space covariance=full,tied,diag,spherical --study gmm.db --quiet >/dev/null ||
    fail "dial tune gmm failed"
check 0 "" report gmm.db -o gmm.html
check 0 "" trials gmm.db --json
keep gmm.json
json_ok 'len(j["trials"]) == 12'
curve gmm.html gmm.json bic n_components covariance
# the docs' figure (docs/clustering.md): two tied components are best
grep -qF 'n_components=2, covariance=tied: bic 236.1259 (trial' gmm.html ||
    fail "gmm.html lacks the best point, n_components=2 tied at 236.1259"
passed=$((passed + 1))

# dbscan has no knob for the number of clusters; a classifier's study no curve
"$DIAL" tune dbscan "$MEASURES" --trials 3 --study dbscan.db --quiet >/dev/null ||
    fail "dial tune dbscan failed"
check 0 "" report dbscan.db -o dbscan.html
"$PYTHON" "$(dirname "$CHECK")/../cli/report_check.py" dbscan.html missing:elbow \
    "text:No elbow curve: dbscan has no knob that sets the number of clusters (its other knobs decide how many it finds)." \
    >"$TMP/check.out" || fail "$(cat "$TMP/check.out")"
passed=$((passed + 1))
"$DIAL" tune knn "$IRIS" --target species --trials 2 --study knn.db --quiet >/dev/null ||
    fail "dial tune knn failed"
check 0 "" report knn.db -o knn.html
! grep -q 'elbow' knn.html || fail "a classification study's page mentions an elbow curve"
passed=$((passed + 1))

current="check_report.py"
"$PYTHON" "$CHECK" kmeans.html:elbow listed.html:elbow gmm.html:elbow dbscan.html >"$TMP/check.out"
status=$?
if [[ $status -eq 77 ]]; then
    cat "$TMP/check.out"
    exit 77
fi
[[ $status -eq 0 ]] || fail "$(cat "$TMP/check.out")"
passed=$((passed + 1))
finish
