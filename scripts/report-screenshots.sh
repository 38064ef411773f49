#!/usr/bin/env bash
# Makes the two screenshots of `dial report` pages kept in docs/:
#   docs/report-svm.png   an svm grid study (11 x 11 values of C and gamma) on
#                         data/heart_scale.libsvm, the LIBSVM guide's data:
#                         the contour of C against gamma as grid.py draws it
#   docs/report-gbdt.png  a gbdt study with the asha pruner on
#                         data/breast_cancer.csv: pruned trials, paths
# Each page is first checked in headless Chromium by
# tests/report/check_report.py at 1280 and 390 px, then shot at 1280 px wide
# from its top to the end of its last plot.
#   scripts/report-screenshots.sh [DIAL]     (DIAL: build/dial by default)
# Installs chromium when it is missing (scripts/install-deps.sh browser).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
dial=$(cd "$(dirname "${1:-build/dial}")" && pwd)/$(basename "${1:-build/dial}")
[[ -x "$dial" ]] || { echo "report-screenshots: no dial program at $dial; build it first (make)" >&2; exit 2; }
scripts/install-deps.sh browser

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The pages name their data and study files as given: relative names read
# better on a screenshot than a temporary folder.
ln -s "$repo/data" "$work/data"
cd "$work"
"$dial" tune svm data/heart_scale.libsvm --sampler grid --grid-points 11 --seed 1 --study svm.db \
    --quiet >/dev/null
"$dial" report svm.db -o svm.html >/dev/null
"$dial" tune gbdt data/breast_cancer.csv --target diagnosis --trials 40 --pruner asha --seed 1 \
    --study gbdt.db --quiet >/dev/null
"$dial" report gbdt.db -o gbdt.html >/dev/null

python3 "$repo/tests/report/check_report.py" svm.html:contour,slice-C,slice-gamma \
    gbdt.html:intermediate,contour

python3 - "$repo/tests/report" svm.html "$repo/docs/report-svm.png" gbdt.html \
    "$repo/docs/report-gbdt.png" <<'EOF'
import os, sys, tempfile
sys.path.insert(0, sys.argv[1])
import check_report

pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
with tempfile.TemporaryDirectory() as workdir:
    browser = check_report.Browser(check_report.find_chromium(), workdir)
    try:
        for page, picture in pairs:
            _, probe, _, _ = browser.render("file://" + os.path.abspath(page), 1280)
            bottom = max(figure["bottom"] for figure in probe["figures"]) + 16
            with open(picture, "wb") as out:
                out.write(browser.screenshot(0, 0, 1280, bottom))
            print(f"wrote {picture}: 1280 x {bottom} px")
    finally:
        browser.close()
EOF
