#!/usr/bin/env bash
# dial report: one self-contained HTML page of a study or a model file,
# checked against the markup contract of docs/report.md by
# report_check.py (Python's html.parser): every plot a figure with one svg
# and its marks, or a paragraph saying why it is missing; no URL that
# leaves the page; the settings as the study recorded them; the best
# trial's refit command, which is run here and gives the trial's knobs. On
# real studies: svm and gbdt (pruned) tuned on data/iris.csv, a dial run
# study, an ask/tell study still running, a one-trial study, and a study
# grown to 10,000 trials (under 5 MB, its plots thinned and saying so).
# Then model files, and every refusal as one exact line.
source "$(dirname "$0")/lib.sh" "$@"
PROGRAMS=$(pwd)/tests/cli/programs
CHECK="$(pwd)/tests/cli/report_check.py"
IRIS=$(pwd)/data/iris.csv
cd "$TMP" || exit 1

# page_ok PAGE EXPECT...: report_check.py passes PAGE with these expectations.
page_ok() {
    current="report_check.py $*"
    "$PYTHON" "$CHECK" "$@" >"$TMP/check.out" || fail "$(cat "$TMP/check.out")"
    passed=$((passed + 1))
}

# ---- svm on iris: C against gamma, both on log axes
"$DIAL" tune svm "$IRIS" --target species --trials 30 --study svm.db >/dev/null 2>tune.err ||
    fail "dial tune svm failed"
# the sampler's plan as the run's header said it
plan=$(sed -n 's/^sampler: //p' tune.err)
[[ -n $plan ]] || fail "dial tune printed no sampler line"
check 0 "" report svm.db -o svm.html
has "wrote svm.html: study 'svm' in svm.db, 30 trials (30 complete, 0 pruned, 0 failed, 0 running), 7 plots"
page_ok svm.html figure:history figure:intermediate figure:parallel figure:contour \
    figure:importance figure:slice-C figure:slice-gamma \
    marks:history:30 marks:parallel:30 marks:slice-C:30 marks:slice-gamma:30 marks:importance:2 \
    marks:intermediate:30 rows:30 \
    "setting:model=svm" "setting:target=species" "setting:task=classification" \
    "setting:metric=accuracy (maximize: higher is better)" "setting:folds=5-fold cross-validation" \
    "setting:sampler=$plan" "setting:pruner=none" "setting:seed=0" \
    "setting:trials=30 (30 complete, 0 pruned, 0 failed, 0 running)" \
    "setting:data=$IRIS (fingerprint 8f944fc0ebbce225)" \
    "text:Contour of gamma against C" "text:C (log scale)" "text:gamma (log scale)"
# The contour puts C across and gamma up, each on its log axis (decades).
grep -q '<text[^>]*>1e+04</text>\|<text[^>]*>10000</text>' svm.html || fail "no decade tick on C's axis"
passed=$((passed + 1))
# The refit command is the best trial's: run it, and the model has its knobs.
"$PYTHON" "$CHECK" --code svm.html >refit.sh
grep -q "^dial fit svm $IRIS --target species -s C=[0-9.e+-]* -s gamma=[0-9.e+-]* -o svm.dial$" refit.sh ||
    fail "refit command: $(cat refit.sh)"
current="the refit command"
PATH="$(dirname "$DIAL"):$PATH" sh refit.sh >/dev/null 2>&1 || fail "it failed: $(cat refit.sh)"
"$DIAL" best svm.db --json >best.json
"$DIAL" inspect svm.dial --json >model.json
"$PYTHON" - best.json model.json <<'PY' || fail "the refit model's knobs are not the best trial's"
import json, sys
best, model = (json.load(open(p)) for p in sys.argv[1:3])
assert model["knobs"]["C"] == best["knobs"]["C"] and model["knobs"]["gamma"] == best["knobs"]["gamma"], (best, model["knobs"])
PY
passed=$((passed + 1))

# With the kernel searched too, gamma and degree apply to some kernels only:
# the contour keeps to knobs most trials have (C and gamma, not degree,
# which only poly's trials have), the categorical kernel gets a column each.
"$DIAL" tune svm "$IRIS" --target species --trials 15 --space 'kernel=rbf,linear,poly' \
    --study kernel.db --quiet >/dev/null || fail "dial tune svm --space kernel failed"
check 0 "" report kernel.db -o kernel.html
page_ok kernel.html figure:slice-kernel figure:slice-degree figure:contour marks:slice-kernel:15 \
    "text:Contour of gamma against C" "text:rbf" "text:poly"

# ---- gbdt with a pruner: pruned trials in the history and the paths
"$DIAL" tune gbdt "$IRIS" --target species --trials 20 --pruner asha --study gbdt.db --quiet \
    >/dev/null || fail "dial tune gbdt failed"
"$DIAL" trials gbdt.db --csv >trials.csv
pruned=$(grep -c ',pruned,' trials.csv)
[[ $pruned -gt 0 ]] || fail "the gbdt study pruned no trial; the test needs some"
check 0 "" report gbdt.db -o gbdt.html
page_ok gbdt.html figure:history figure:intermediate figure:parallel figure:contour \
    figure:importance figure:slice-n_estimators figure:slice-learning_rate figure:slice-max_depth \
    marks:history:20 marks:intermediate:20 rows:20 \
    "text:Orange rings: pruned trials, at their last intermediate value." \
    "text:path step (rounds or epochs)" "text:pruned at path step" \
    "setting:pruner=$("$PYTHON" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT value FROM study_identity WHERE key = ?", ("pruner",)).fetchone()[0])' gbdt.db)"
# one ring per pruned trial in the history
rings=$("$PYTHON" -c 'import re, sys
s = open(sys.argv[1]).read()
h = re.search(r"<figure class=\"plot\" id=\"plot-history\">(.*?)</figure>", s, re.S).group(1)
print(len(re.findall(r"<circle[^>]*fill=\"none\"", h)))' gbdt.html)
[[ $rings -eq $pruned ]] || fail "the history has $rings rings for $pruned pruned trials"
passed=$((passed + 1))

# ---- a study of a program (dial run): free parameters, steps, no model
"$DIAL" run --study run.db --space 'x=float:1e-3..10:log' --space 'n=int:1..8' \
    --space 'opt=adam,sgd' --trials 12 --quiet -- "$PROGRAMS/steps.sh" '{x}' >run.out ||
    fail "dial run failed"
check 0 "" report run.db -o run.html
page_ok run.html figure:history figure:intermediate figure:parallel figure:contour \
    figure:importance figure:slice-x figure:slice-n figure:slice-opt marks:intermediate:12 \
    rows:12 "setting:program=$PROGRAMS/steps.sh {x}" "setting:value=value (minimize: lower is better)" \
    "text:x (log scale)" "text:Contour of n against x"
# its best trial's knobs, as dial run printed them
grep '^  knobs: ' run.out | sed 's/^  knobs: //' >want.txt
"$PYTHON" "$CHECK" --code run.html >got.txt
diff want.txt got.txt >/dev/null || fail "best knobs: $(cat got.txt), dial run said $(cat want.txt)"
passed=$((passed + 1))
grep -q 'dial fit' run.html && fail "a program's study shows a dial fit command"
passed=$((passed + 1))

# ---- ask/tell, with one trial still running: a snapshot that says so
for value in 3 1 2; do
    eval "$("$DIAL" ask at.db --space 'lr=float:1e-5..1e-1:log' --space 'layers=int:1..4' \
        --sampler random 2>/dev/null)"
    "$DIAL" tell at.db "$trial" --step 1 --value "$((value + 1))" >/dev/null || fail "tell --step failed"
    "$DIAL" tell at.db "$trial" "$value" || fail "tell failed"
done
"$DIAL" ask at.db >/dev/null 2>&1 || fail "ask failed"
check 0 "" report at.db -o at.html
has "wrote at.html: study 'default' in at.db, 4 trials (3 complete, 0 pruned, 0 failed, 1 running)"
page_ok at.html figure:history figure:slice-lr figure:slice-layers rows:4 \
    "setting:trials=4 (3 complete, 0 pruned, 0 failed, 1 running)" \
    "text:The study is still running: this page is a snapshot of its trials when it was written (1 running then)." \
    "setting:program=(told by dial ask and dial tell)" "code:lr=$("$DIAL" best at.db --json |
        "$PYTHON" -c 'import json, sys; k = json.load(sys.stdin)["knobs"]; print(repr(k["lr"]) + " layers=" + str(k["layers"]))')"

# ---- one trial: the plots that need more say why they are missing
"$DIAL" tune knn "$IRIS" --trials 1 --study one.db --quiet >/dev/null || fail "dial tune knn failed"
check 0 "" report one.db -o one.html
has "wrote one.html: study 'knn' in one.db, 1 trials (1 complete, 0 pruned, 0 failed, 0 running), 3 plots"
page_ok one.html figure:history missing:parallel missing:contour missing:importance rows:1 \
    "text:No knob importance: study 'knn' in one.db has 1 complete trial; knob importance needs at least 2 (run more trials in it first)" \
    "text:No parallel coordinates: they need at least two complete trials."

# ---- failed trials only: nothing to draw, each plot says why, the table why each failed
"$DIAL" run --study failed.db --space 'x=float:0..1' --trials 2 --quiet -- "$PROGRAMS/fail.sh" '{x}' \
    >/dev/null 2>&1
check 0 "" report failed.db -o failed.html
has "wrote failed.html: study 'default' in failed.db, 2 trials (0 complete, 0 pruned, 2 failed, 0 running), 0 plots"
page_ok failed.html missing:history missing:parallel missing:slice-x missing:intermediate rows:2 \
    "text:No optimisation history: no trial has a value yet." "text:exited with status 3" \
    "text:No complete trial yet."

# ---- 10,000 trials: under 5 MB, plots thinned and saying so, every row kept
"$DIAL" run --study big.db --space 'x=float:1e-3..10:log' --space 'n=int:1..8' \
    --space 'opt=adam,sgd' --trials 20 --quiet -- "$PROGRAMS/steps.sh" '{x}' >/dev/null ||
    fail "dial run failed"
"$PYTHON" "$(dirname "$CHECK")/report_grow_study.py" big.db 10000 || fail "could not grow the study"
check 0 "" report big.db -o big.html
has "wrote big.html: study 'default' in big.db, 10000 trials (9002 complete, 998 pruned, 0 failed, 0 running), 8 plots"
page_ok big.html figure:history figure:parallel figure:contour figure:slice-x figure:intermediate \
    marks:history:1000 rows:10000 \
    "text:Showing 1002 of 10000 trials (every 10th, and the best), to keep the page small; the table lists them all."

# ---- a name with markup in it is text on the page
"$DIAL" run --study names.db --study-name '<b>&"x"' --space 'x=float:0..1' --trials 3 --quiet \
    -- "$PROGRAMS/square.sh" --x '{x}' >/dev/null || fail "dial run failed"
check 0 "" report names.db -o names.html
page_ok names.html 'text:Study <b>&"x"' 'setting:study=<b>&"x" in names.db'
grep -q '<b>&' names.html && fail "the name reached the page unescaped"
passed=$((passed + 1))

# ---- model files
"$DIAL" fit tree "$IRIS" --target species -s max_depth=6 -o tree.dial >/dev/null
check 0 "" report tree.dial -o tree.html
has "wrote tree.html: model tree (classification) from tree.dial, 2 plots"
page_ok tree.html figure:tree figure:feature-importance missing:coefficients marks:feature-importance:4 \
    "text:petal_width <= 0.8" "text:Drawn 3 levels deep" "text:None: the knobs were set by hand"
grep -q '<table id="knobs">' tree.html || fail "no knobs table"
grep -q '<td>max_depth</td><td>6</td><td>0</td><td>set by the user</td>' tree.html ||
    fail "max_depth is not shown beside its default"
passed=$((passed + 2))
"$DIAL" tune logistic "$IRIS" --target species --trials 4 --study lg.db -o lg.dial --quiet \
    >/dev/null 2>&1 || fail "dial tune logistic failed"
check 0 "" report lg.dial -o lg.html
page_ok lg.html figure:coefficients missing:tree missing:feature-importance marks:coefficients:12 \
    "text:setosa: petal_length" "text:The tuning that chose its knobs" "text:lg.db"
"$DIAL" fit gbdt "$IRIS" --target species -s n_estimators=5 -o gbdt.dial >/dev/null
check 0 "" report gbdt.dial -o gbdt-model.html
page_ok gbdt-model.html figure:tree figure:feature-importance missing:coefficients \
    "text:The first tree of the model"

# ---- refusals: one line each, and no page, no temporary left behind
cp svm.html keep.html
check 2 "dial: dial report needs -o FILE.html, the page to write; see 'dial report --help'" report svm.db
check 1 "dial: cannot read nope.db: No such file or directory" report nope.db -o keep.html
check 1 "dial: trials.csv is neither a study file (SQLite, from dial tune --study or dial run) nor a model file (.dial, from dial fit or dial tune -o)" \
    report trials.csv -o keep.html
: >empty.db
check 1 "dial: empty.db is neither a study file (SQLite, from dial tune --study or dial run) nor a model file (.dial, from dial fit or dial tune -o)" \
    report empty.db -o keep.html
check 2 "dial: svm.db has no study 'nope'; it holds: svm" report svm.db --study-name nope -o keep.html
cp svm.db two.db
"$DIAL" tune knn "$IRIS" --trials 2 --study two.db --quiet >/dev/null
check 2 "dial: two.db holds 2 studies (knn, svm); choose one with --study-name" report two.db -o keep.html
check 0 "" report two.db --study-name knn -o two.html
has "study 'knn' in two.db, 2 trials"
check 2 "dial: --study-name names a study, and tree.dial is a model file; leave it out" \
    report tree.dial --study-name x -o keep.html
check 1 "dial: cannot write $TMP/no/such/r.html: there is no folder $TMP/no/such" report svm.db -o "$TMP/no/such/r.html"
check 2 "dial: -o $TMP is a folder; give the page's file name, such as $TMP/report.html" report svm.db -o "$TMP"
check 2 "dial: -o svm.db is the file being read; choose another output" report svm.db -o svm.db
cmp -s svm.html keep.html || fail "a refused report changed the old page"
ls | grep -q '\.tmp-' && fail "a temporary file was left behind: $(ls | grep '\.tmp-')"
passed=$((passed + 2))

# ---- the command is listed, its help has an example that works
check 0 "" --help
has "  report "
check 0 "" report --help
has "Usage: dial report FILE -o REPORT.html [--study-name NAME]"
has "  dial report s.db -o report.html"
current="the example of dial report --help"
ln -s "$(dirname "$IRIS")" data
("$DIAL" tune svm data/iris.csv --target species --trials 40 --study s.db --quiet >/dev/null &&
    "$DIAL" report s.db -o report.html >/dev/null) || fail "it failed"
page_ok report.html figure:contour
finish
