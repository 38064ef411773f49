#!/usr/bin/env bash
# --pruner for dial run, ask and tell (docs/pruners.md): a program's
# 'dial: step=N value=V' lines judged by median and asha exactly as their
# rules say (checked against the rule written again in Python over the
# trials dial kept), where each pruned trial stopped in dial trials, the
# pruner kept in the study's identity, dial tell --step consulting it, and
# the mistakes refused with one line.
source "$(dirname "$0")/lib.sh" "$@"
PROGRAMS=$(pwd)/tests/cli/programs
cd "$TMP" || exit 1

# rule_ok STUDY RULE: the trials of STUDY (one job, so each was judged
# against every trial before it) are pruned exactly where RULE says:
#   asha: at rung r (1, 3) a trial goes on iff fewer than max(1, n // 3)
#         of the n values there (its own included) are strictly lower;
#   median:W: at each step once W earlier trials are complete, it stops
#         when its value is above the median of theirs at that step.
rule_ok() {
    "$DIAL" trials "$1" --json >"$TMP/trials.json" || fail "dial trials $1 failed"
    "$PYTHON" - "$TMP/trials.json" "$2" <<'PY' || fail "the trials of $1 break the $2 rule"
import json, statistics, sys
trials = json.load(open(sys.argv[1]))["trials"]
rule = sys.argv[2]
seen = []  # (state, {step: value}) of the trials before
for t in trials:
    steps = {s["step"]: s["value"] for s in t["intermediate"]}
    stop = None
    for step in sorted(steps):
        own = steps[step]
        if rule == "asha":
            if step not in (1, 3):
                continue
            others = [s[step] for _, s in seen if step in s]
            keep = max(1, (len(others) + 1) // 3)
            if sum(v < own for v in others) >= keep:
                stop = step
        else:
            warmup = int(rule.split(":")[1])
            complete = [s for state, s in seen if state == "complete"]
            values = [s[step] for s in complete if step in s]
            if len(complete) >= warmup and values and own > statistics.median(values):
                stop = step
        if stop is not None:
            break
    want = "pruned" if stop is not None else "complete"
    if t["state"] != want or (stop is not None and max(steps) != stop):
        print("trial", t["number"], t["state"], "expected", want, "at", stop, steps)
        sys.exit(1)
    seen.append((t["state"], steps))
sys.exit(0 if any(t["state"] == "pruned" for t in trials) else 1)
PY
    passed=$((passed + 1))
}

# ---- dial run --pruner asha: the program's steps (x / step at 1, 2, 3)
check 0 "" run --study asha.db --space 'x=float:1..2' --sampler random --trials 12 --quiet \
    --pruner asha -- "$PROGRAMS/steps.sh" '{x}'
has "study default in asha.db: 12 trials ("
rule_ok asha.db asha
check 0 "" trials asha.db
has "pruned at step 1"

# The header says how it prunes, beside the sampler.
"$DIAL" run --study header.db --space 'x=float:1..2' --trials 1 --pruner asha \
    -- "$PROGRAMS/steps.sh" '{x}' >/dev/null 2>"$TMP/header" || fail "dial run --pruner asha failed"
grep -qxF "pruner: asha (reduction factor 3; judged after 1, 3, 9, 27, ... steps)" "$TMP/header" ||
    fail "no pruner header: $(cat "$TMP/header")"
passed=$((passed + 1))

# ---- median with a warm-up of 3 complete trials, continued without
# --pruner: the study keeps its pruner.
check 0 "" run --study median.db --space 'x=float:1..2' --sampler random --trials 8 --quiet \
    --pruner median:warmup_trials=3 -- "$PROGRAMS/steps.sh" '{x}'
check 0 "" run --study median.db --trials 16 --quiet -- "$PROGRAMS/steps.sh" '{x}'
rule_ok median.db median:3
check 2 "dial: study 'default' in median.db was created with pruner median:warmup_trials=3,warmup_steps=0, this run asks for asha:reduction_factor=3,min_resource=1; use --study-name NAME for a new study in the same file" \
    run --study median.db --trials 17 --quiet --pruner asha -- "$PROGRAMS/steps.sh" '{x}'
# The same pruner spelled otherwise is the same pruner.
check 0 "" run --study median.db --trials 17 --quiet --pruner median:warmup_steps=0,warmup_trials=3 \
    -- "$PROGRAMS/steps.sh" '{x}'

# ---- dial ask creates the study with its pruner; dial tell --step asks it
check 0 "sampler: random
pruner: asha (reduction factor 3; judged after 1, 3, 9, 27, ... steps)" \
    ask tell.db --space 'x=float:0..1' --pruner asha --sampler random
check 0 "" tell tell.db 0 --step 1 --value 0.5
has continue
check 0 "" tell tell.db 0 0.5
check 0 "" ask tell.db
check 0 "" tell tell.db 1 --step 1 --value 0.9
has prune
check 0 "" tell tell.db 1 --step 1 --value 0.1
has continue
# Between rungs nothing is judged.
check 0 "" tell tell.db 1 --step 2 --value 9
has continue

# ---- mistakes: one line, exit 2, nothing made
check 2 "dial: unknown pruner 'medain'; pruners are: none, median, asha, hyperband" \
    run --study bad.db --space 'x=float:0..1' --pruner medain -- "$PROGRAMS/steps.sh" '{x}'
check 2 "dial: pruner asha: reduction_factor = 1 is out of range: must be an integer >= 2" \
    ask bad.db --space 'x=float:0..1' --pruner asha:reduction_factor=1
check 2 "dial: pruner hyperband needs max_resource, the most steps a trial reports, and the steps have no known end: give it, as in --pruner hyperband:max_resource=27" \
    ask bad.db --space 'x=float:0..1' --pruner hyperband
check 2 "dial: unknown setting 'eta' of pruner asha; its settings are: reduction_factor, min_resource, max_resource" \
    ask bad.db --space 'x=float:0..1' --pruner asha:eta=2

finish
