#!/usr/bin/env bash
# dial knob-importance: studies of a program (dial run) whose answer is
# known, a study of a model (dial tune), the methods, pairs, conditional
# knobs, a knob that never varied, and every refusal, with exact lines.
source "$(dirname "$0")/lib.sh" "$@"
cd "$TMP" || exit 1

# f = a u + b v + c u v, u = x - 1/2, v = y - 1/2, z unused: the analytic
# shares are x 0.909, y 0.091, z 0 (tests/tune/test_knob_importance.c).
cat >f.sh <<'PROGRAM'
#!/bin/sh
awk -v x="$1" -v y="$2" 'BEGIN { u = x - 0.5; v = y - 0.5; printf "%.17g\n", sqrt(10.8) * u + sqrt(1.08) * v + 1.2 * u * v }'
PROGRAM
chmod +x f.sh
"$DIAL" run --study f.db --space 'x=float:0..1' --space 'y=float:0..1' --space 'z=float:0..1' \
    --sampler qmc --trials 60 --quiet -- ./f.sh '{x}' '{y}' >/dev/null || fail "dial run failed"

check 0 "" knob-importance f.db
expected="knob importance of study 'default' in f.db by fANOVA: 60 complete trials, forest of 64 trees, seed 0

  knob   share
  x     0.9578  ########################################
  y     0.0404  ##
  z     0.0019"
[[ "$(cat "$TMP/out")" == "$expected" ]] || fail "table was: $(cat "$TMP/out")"
keep first

# The same seed gives the same shares; the seed is the forest's.
check 0 "" knob-importance f.db --seed 0
cmp -s "$TMP/out" "$TMP/first" || fail "the same seed gave other shares"
check 0 "" knob-importance f.db --pairs --seed 3
expected="knob importance of study 'default' in f.db by fANOVA: 60 complete trials, forest of 64 trees, seed 3

  knob    share
  x      0.9199  ########################################
  y      0.0404  ##
  z      0.0030
  x × y  0.0276  #
  x × z  0.0082
  y × z  0.0007"
[[ "$(cat "$TMP/out")" == "$expected" ]] || fail "pairs table was: $(cat "$TMP/out")"

check 0 "" knob-importance f.db --method=ped-anova
expected="knob importance of study 'default' in f.db by PED-ANOVA: 60 complete trials, top 10% against all

  knob   share
  x     0.9310  ########################################
  y     0.0528  ##
  z     0.0162  #"
[[ "$(cat "$TMP/out")" == "$expected" ]] || fail "ped-anova table was: $(cat "$TMP/out")"

check 0 "" knob-importance f.db --json
json_ok 'list(j) == ["method", "importances"] and j["method"] == "fanova"'
json_ok '[k["knob"] for k in j["importances"]] == ["x", "y", "z"]'
json_ok 'abs(sum(k["importance"] for k in j["importances"]) - 1) < 1e-3'
check 0 "" knob-importance f.db --json --pairs
json_ok 'list(j) == ["method", "importances", "pairs"]'
json_ok '[p["knobs"] for p in j["pairs"]] == [["x", "y"], ["x", "z"], ["y", "z"]]'
json_ok 'abs(sum(k["importance"] for k in j["importances"] + j["pairs"]) - 1) < 1e-3'
check 0 "" knob-importance f.db --json --method ped-anova
json_ok 'j["method"] == "ped-anova" and j["importances"][0]["knob"] == "x"'

# A conditional knob: m is active only when opt = a; its share is of the
# trials where it was active, weighed by their part of the variation.
cat >space.json <<'SPACE'
{"opt": ["a", "b"], "m": {"range": "float:0..1", "when": "opt=a"}, "x": "float:0..1"}
SPACE
cat >c.sh <<'PROGRAM'
#!/bin/sh
awk -v opt="$1" -v m="$2" -v x="$3" 'BEGIN { f = 2 * (x - 0.5); if (opt == "a") f += 4 * (m - 0.5); printf "%.17g\n", f }'
PROGRAM
chmod +x c.sh
"$DIAL" run --study c.db --space-file space.json --sampler qmc --trials 80 --quiet \
    -- ./c.sh '{opt}' '{m}' '{x}' >/dev/null || fail "dial run failed"
check 0 "" knob-importance c.db
has "  m     0.6527  ########################################  (active in 40 of 80 trials)"
has "  x     0.3399  #####################"
has "  opt   0.0074"

# A knob that never varied is listed with share 0 and says so.
"$DIAL" run --study w.db --space 'x=float:0..1' --space 'w=float:1..2' --enqueue 'x=0.1,w=1.5' \
    --enqueue 'x=0.9,w=1.5' --enqueue 'x=0.5,w=1.5' --trials 3 --quiet -- ./f.sh '{x}' '{w}' \
    >/dev/null || fail "dial run failed"
check 0 "" knob-importance w.db
has "  x     1.0000  ########################################"
has "  w     0.0000  (never varied: 1.5 in all 3 trials)"

# A study of a model: its knobs on the log axes dial tune recorded.
check 0 "" tune svm "$OLDPWD/data/iris.csv" --target species --trials 20 --study s.db --quiet
check 0 "" knob-importance s.db
has "knob importance of study 'svm' in s.db by fANOVA: 20 complete trials, forest of 64 trees, seed 0"
has_line "^  C      0\.[0-9]{4}  #+$"
has_line "^  gamma  0\.[0-9]{4}  #+$"

# Refusals: one line each.
"$DIAL" run --study one.db --space 'x=float:0..1' --trials 1 --quiet -- ./f.sh '{x}' 0 >/dev/null ||
    fail "dial run failed"
check 1 "dial: study 'default' in one.db has 1 complete trial; knob importance needs at least 2 (run more trials in it first)" \
    knob-importance one.db
check 1 "dial: cannot open study file nope.db: no such file" knob-importance nope.db
check 2 "dial: f.db has no study 'zz'; it holds: default" knob-importance f.db --study-name zz
check 2 "dial: --method 'anova' is not a method: choose fanova or ped-anova" \
    knob-importance f.db --method anova
check 2 "dial: --method needs a value: fanova or ped-anova; see 'dial knob-importance --help'" \
    knob-importance f.db --method
check 2 "dial: --pairs needs --method fanova: PED-ANOVA judges the knobs one at a time" \
    knob-importance f.db --pairs --method ped-anova
check 0 "" knob-importance --help
has "Usage: dial knob-importance FILE [--study-name NAME] [--method fanova|ped-anova]"
finish
