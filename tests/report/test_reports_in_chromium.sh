#!/usr/bin/env bash
# The pages `dial report` writes, rendered in headless Chromium at 1280 and
# 390 px by check_report.py (what it checks is written at its top): every
# plot drawn on screen, no console message, no request, nothing wider than
# the window. The studies are the kinds tests/cli/test_report.sh reads with
# Python's html.parser: svm on iris (C against gamma), gbdt with a pruner
# (pruned trials), one trial, an ask/tell study with a trial still running;
# then the model files of three families (a tree, coefficients, neither).
# Exits 77 (skipped, with the reason) when chromium is not installed.
source "$(dirname "$0")/../cli/lib.sh" "$@"
CHECK="$(pwd)/tests/report/check_report.py"
IRIS=$(pwd)/data/iris.csv
cd "$TMP" || exit 1

# in_chromium ARGS...: check_report.py ARGS passes; its skip is the test's.
in_chromium() {
    current="check_report.py $*"
    "$PYTHON" "$CHECK" "$@" >"$TMP/check.out"
    local status=$?
    if [[ $status -eq 77 ]]; then
        cat "$TMP/check.out"
        exit 77
    fi
    [[ $status -eq 0 ]] || fail "$(cat "$TMP/check.out")"
    passed=$((passed + 1))
}

"$DIAL" tune svm "$IRIS" --target species --trials 20 --study svm.db --quiet -o svm.dial >/dev/null ||
    fail "dial tune svm failed"
check 0 "" report svm.db -o svm.html
"$DIAL" tune gbdt "$IRIS" --target species --trials 12 --pruner asha --study gbdt.db --quiet \
    -o gbdt.dial >/dev/null || fail "dial tune gbdt failed"
"$DIAL" trials gbdt.db --csv >trials.csv
grep -q ',pruned,' trials.csv || fail "the gbdt study pruned no trial; the test needs some"
check 0 "" report gbdt.db -o gbdt.html
"$DIAL" tune knn "$IRIS" --target species --trials 1 --study one.db --quiet >/dev/null ||
    fail "dial tune knn failed"
check 0 "" report one.db -o one.html
"$DIAL" ask told.db --space 'x=float:0..1' --space 'n=int:1..5' --sampler random --count 4 \
    >/dev/null 2>&1 || fail "dial ask failed"
for trial in 0 1 2; do "$DIAL" tell told.db $trial 0.$((trial + 3)) || fail "dial tell failed"; done
check 0 "" report told.db -o told.html

in_chromium --expect history svm.html:intermediate,parallel,contour,importance,slice-C,slice-gamma \
    gbdt.html:intermediate,parallel,contour,importance,slice-n_estimators one.html:slice-k \
    told.html:parallel,slice-x,slice-n

"$DIAL" fit logistic "$IRIS" --target species -o logistic.dial >/dev/null || fail "dial fit failed"
for model in svm gbdt logistic; do check 0 "" report $model.dial -o $model-model.html; done
in_chromium --model gbdt-model.html:feature-importance,tree logistic-model.html:coefficients \
    svm-model.html
finish
