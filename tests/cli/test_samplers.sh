#!/usr/bin/env bash
# The samplers on the command line (issue 13): every --sampler name is
# taken by dial tune, ask and run, auto is their default, a bad name is
# refused with the list; --startup-trials is kept with the study (another
# count refused on resume); --enqueue puts known configurations first, not
# twice, and refuses a bad one with one line; the plan heads a run on
# stderr and is "sampler_plan" in tune --json, never on ask's stdout.
source "$(dirname "$0")/lib.sh" "$@"
PROGRAMS=$(pwd)/tests/cli/programs
IRIS=$(pwd)/data/iris.csv
cd "$TMP" || exit 1

# trials_ok STUDY EXPRESSION: `dial trials STUDY --json` read by Python, as
# t (its list of trials), makes EXPRESSION true.
trials_ok() {
    "$DIAL" trials "$@" --json >"$TMP/trials.json" || fail "dial trials $1 failed"
    "$PYTHON" -c 'import json, sys
t = json.load(open(sys.argv[1]))["trials"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/trials.json" "${TRIALS_CHECK}" ||
        fail "trials check failed: ${TRIALS_CHECK}"
    passed=$((passed + 1))
}

# makes DESCRIPTION ARGS...: runs dial ARGS (a first ask, whose stderr
# says the plan), which must succeed.
makes() {
    local what=$1
    shift
    "$DIAL" "$@" >"$TMP/out" 2>"$TMP/err" || fail "$what: $(cat "$TMP/err")"
    passed=$((passed + 1))
}

NAMES=(random grid qmc tpe gp cmaes auto)

# ---- every name, in the three commands
for s in "${NAMES[@]}"; do
    check 0 "" tune knn "$IRIS" --target species --trials 3 --sampler "$s" --jobs 1 --quiet --json
    json_ok "j['sampler'] == '$s' and j['trials'] == 3 and j['sampler_plan'].startswith('$s')"
    check 0 "" run --study run.db --study-name "$s" --sampler "$s" --space 'x=float:-5..10' \
        --trials 3 --quiet -- "$PROGRAMS/square.sh" --x '{x}'
    has "study $s in run.db: 3 trials (3 complete, 0 pruned, 0 failed), 3 of them in this run"
    "$DIAL" ask ask.db --study-name "$s" --sampler "$s" --space 'x=float:-5..10' \
        >"$TMP/out" 2>"$TMP/err" || fail "dial ask --sampler $s failed: $(cat "$TMP/err")"
    has_line '^trial=0 x=-?[0-9.e-]+$'
    grep -q "^sampler: $s" "$TMP/err" || fail "ask --sampler $s: stderr was '$(cat "$TMP/err")'"
done

# auto is the default of all three.
check 0 "" tune knn "$IRIS" --target species --trials 2 --jobs 1 --quiet --json
json_ok "j['sampler'] == 'auto' and j['sampler_plan'].startswith('auto')"
check 0 "" run --study default.db --space 'x=float:0..1' --trials 1 --quiet -- "$PROGRAMS/square.sh" --x '{x}'
"$DIAL" run --study default.db --trials 2 -- "$PROGRAMS/square.sh" --x '{x}' >/dev/null 2>"$TMP/err"
[[ "$(head -1 "$TMP/err")" == "sampler: auto"* ]] || fail "run's header: $(head -1 "$TMP/err")"
passed=$((passed + 1))

# A bad name: the whole list, exit 2, for each command.
BAD="dial: --sampler expects auto, tpe, gp, cmaes, qmc, random or grid, got 'bayes'"
check 2 "$BAD" tune knn "$IRIS" --sampler bayes
check 2 "$BAD" ask ask.db --sampler bayes
check 2 "$BAD" run --study run.db --sampler bayes -- true

# ---- a study resumed without --sampler keeps its own
check 0 "sampler: qmc" ask kept.db --sampler qmc --space 'x=float:0..1'
check 0 "" ask kept.db
check 2 "dial: study 'default' in kept.db was created with sampler qmc, this run asks for random; use --study-name NAME for a new study in the same file" \
    ask kept.db --sampler random
"$DIAL" run --study kept.db --trials 4 -- "$PROGRAMS/square.sh" --x '{x}' >/dev/null 2>"$TMP/err" ||
    fail "run on an asked study failed: $(cat "$TMP/err")"
[[ "$(head -1 "$TMP/err")" == "sampler: qmc" ]] || fail "run's header: $(head -1 "$TMP/err")"
passed=$((passed + 1))

# ---- the plan: stderr's header, --json's sampler_plan, never ask's stdout
"$DIAL" tune knn "$IRIS" --target species --trials 2 --sampler tpe --jobs 1 --json \
    >"$TMP/out" 2>"$TMP/err" || fail "tune --json failed"
PLAN=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["sampler_plan"])' "$TMP/out")
[[ "$(head -1 "$TMP/err")" == "sampler: $PLAN" ]] || fail "tune's header '$(head -1 "$TMP/err")', plan '$PLAN'"
passed=$((passed + 1))
"$DIAL" ask plan.db --space 'x=float:0..1' --json >"$TMP/out" 2>"$TMP/err" || fail "ask failed"
json_ok "j['number'] == 0 and list(j['knobs']) == ['x']"
[[ "$(cat "$TMP/err")" == "sampler: auto"* ]] || fail "ask's stderr: $(cat "$TMP/err")"
passed=$((passed + 1))
# Only the ask that makes the study says it: a loop of asks stays quiet.
check 0 "" ask plan.db

# ---- --startup-trials
check 2 "dial: --startup-trials expects an integer in [1, 1000000] (the first trials drawn by qmc before the sampler learns), got '0'" \
    tune knn "$IRIS" --startup-trials 0
check 2 "dial: --startup-trials expects an integer in [1, 1000000] (the first trials drawn by qmc before the sampler learns), got 'few'" \
    ask ask.db --startup-trials few
check 0 "" tune knn "$IRIS" --target species --trials 2 --sampler tpe --startup-trials 3 --study st.db --jobs 1 --quiet
check 0 "" tune knn "$IRIS" --target species --trials 3 --study st.db --jobs 1 --quiet
has "study: knn in st.db (3 trials, 1 of them in this run)"
check 2 "dial: study 'knn' in st.db was created with startup_trials 3, this run asks for 4; use --study-name NAME for a new study in the same file" \
    tune knn "$IRIS" --target species --trials 4 --startup-trials 4 --study st.db --quiet
makes "a tpe study of 5 startup trials" ask st2.db --space 'x=float:0..1' --startup-trials 5 --sampler tpe
check 2 "dial: study 'default' in st2.db was created with startup_trials 5, this run asks for 10; use --study-name NAME for a new study in the same file" \
    ask st2.db --startup-trials 10
check 0 "" ask st2.db

# ---- --enqueue: first, in order; left-out knobs drawn; never twice
check 0 "" tune knn "$IRIS" --target species --trials 4 --jobs 1 --quiet --study e.db \
    --space weights=uniform,distance --enqueue k=7,weights=distance --enqueue k=3
TRIALS_CHECK='t[0]["knobs"]["k"] == 7 and t[0]["knobs"]["weights"] == "distance" and t[1]["knobs"]["k"] == 3 and len(t) == 4'
trials_ok e.db
makes "ask with --enqueue" ask eq.db --space 'x=float:-5..10' --space 'opt=adam,sgd' --enqueue 'x=1.5,opt=sgd' --enqueue x=-2
has "trial=0 x=1.5 opt='sgd'"
check 0 "" ask eq.db --enqueue 'x=1.5,opt=sgd'
has_line "^trial=1 x=-2 opt='(adam|sgd)'$"
# Asked already: not queued again, so trial 2 is the sampler's.
check 0 "" ask eq.db --enqueue 'x=1.5,opt=sgd' --enqueue 'opt=sgd,x=-2'
has_line '^trial=2 '
TRIALS_CHECK='[x["knobs"]["x"] for x in t].count(1.5) == 1 and [x["knobs"]["x"] for x in t].count(-2) == 1'
trials_ok eq.db
check 0 "" run --study er.db --space 'x=float:-5..10' --trials 2 --quiet --enqueue x=2 \
    -- "$PROGRAMS/square.sh" --x '{x}'
has "best: trial 0, value 0 (lower is better)"
# Run again, it says the configuration ran already (on stderr, not --quiet).
"$DIAL" run --study er.db --trials 3 --enqueue x=2 -- "$PROGRAMS/square.sh" --x '{x}' \
    >"$TMP/out" 2>"$TMP/err" || fail "run again: $(cat "$TMP/err")"
grep -qxF "note: --enqueue 'x=2': study default holds these values already (queued, or run by a trial); not queued again" "$TMP/err" ||
    fail "no note of the skipped --enqueue: $(cat "$TMP/err")"
passed=$((passed + 1))
TRIALS_CHECK='[x["knobs"]["x"] for x in t].count(2) == 1 and len(t) == 3'
trials_ok er.db

# Mistakes: one line naming the option, the item and what is valid; exit 2.
check 2 "dial: --enqueue 'k=0': k=0: out of range; k is an int in [1, 50]" \
    tune knn "$IRIS" --target species --quiet --enqueue k=0
check 2 "dial: --enqueue 'kk=3': kk=3: study 'knn' has no parameter 'kk'; did you mean 'k'? (its parameters: k)" \
    tune knn "$IRIS" --target species --quiet --enqueue kk=3
check 2 "dial: --enqueue 'x=abc': x=abc: 'abc' is not a number; x is a float in [-5, 10]" \
    ask eq.db --enqueue x=abc
check 2 "dial: --enqueue 'opt=adagrad': opt=adagrad: not a choice; opt is one of adam, sgd" \
    ask eq.db --enqueue opt=adagrad
check 2 "dial: --enqueue 'x=1,x=2': x is given twice" ask eq.db --enqueue x=1,x=2
check 2 "dial: --enqueue 'x': 'x' is not NAME=VALUE (such as C=1,gamma=0.01)" \
    run --study er.db --quiet --enqueue x -- "$PROGRAMS/square.sh" --x '{x}'
check 2 "dial: --enqueue expects NAME=VALUE items, such as 'C=1,gamma=0.01'" ask eq.db --enqueue ''
# Nothing was asked by the refused commands.
TRIALS_CHECK='len(t) == 3'
trials_ok eq.db

finish
