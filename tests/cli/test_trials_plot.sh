#!/usr/bin/env bash
# dial trials --plot: a study's history drawn in the terminal with block
# characters. The studies are told their values (dial ask/tell), so every
# line is known: a trial's value is the top edge of its block, the best so
# far a line, a pruned trial a cross at its last reported value, a failed one
# '!' on the axis, runs of trials one column when they outnumber the width
# ($COLUMNS, else 80), and the lines never pass the width.
source "$(dirname "$0")/lib.sh" "$@"

# same WANT: the last command's stdout is exactly WANT.
same() {
    [[ "$(cat "$TMP/out")" == "$1" ]] || fail "stdout differs from the expected plot:
$(diff <(printf '%s\n' "$1") "$TMP/out")"
    passed=$((passed + 1))
}
# fits WIDTH: no stdout line but the first (the summary line the table
# has too, as long as the path) is WIDTH characters wide or wider.
fits() {
    "$PYTHON" -c 'import sys
width = int(sys.argv[2])
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()[1:]
sys.exit(0 if all(len(line) < width for line in lines) else 1)' \
        "$TMP/out" "$1" || fail "a line is $1 characters or wider"
    passed=$((passed + 1))
}

# ---- lower is better: complete, failed, pruned at step 1 (0.7), running
H="$TMP/h.db"
check 0 "sampler: random" ask "$H" --space 'x=float:0..1' --sampler random --count 7
check 0 "" tell "$H" 0 0.9
check 0 "" tell "$H" 1 0.5
check 0 "" tell "$H" 2 --fail --message "out of memory"
check 0 "" tell "$H" 3 --step 1 --value 0.7
check 0 "" tell "$H" 3 --pruned
check 0 "" tell "$H" 4 0.123
check 0 "" tell "$H" 5 0.25
export COLUMNS=60
check 0 "" trials "$H" --plot
same "study default in $H: 7 trials (4 complete, 1 pruned, 1 failed, 1 running); lower is better

value (lower is better)
  0.9 ┤███
      │
      │         ×××
      │
      │
      │   ▇▇▇──────
      │
      │
      │               ▆▆▆
0.123 ┤            ▁▁▁──────
      └┬─────!!!─────────┬──
       0      trial      6
█ a trial's value (the block's top edge), ─ best so far,
× pruned (its last reported value), ! failed; best 0.123 at
trial 4"
fits 60

# ---- higher is better, 45 trials: one column per trial at 60 columns,
# one per two trials (the better drawn) at 40
M="$TMP/m.db"
check 0 "sampler: random" ask "$M" --space 'x=float:0..1' --sampler random --direction maximize --count 45
for i in $(seq 0 44); do check 0 "" tell "$M" "$i" $(((i * 7) % 10 + i / 5)); done
check 0 "" trials "$M" --plot
same "study default in $M: 45 trials (45 complete, 0 pruned, 0 failed, 0 running); higher is better

value (higher is better)
 16 ┤                                     █───▃──█
    │                           ▆───▁──▆── ▁
    │                 ▄──────▄──        ▄      ▄
    │       ▂──────▂──    ▇   ▂  ▇   ▂      ▂
    │    ▁──    ▅   ▁  ▅   ▁      ▁      ▅   ▁  ▅
    │ ▄──    ▄                 ▄      ▄
    │     ▇      ▇   ▂  ▇   ▂      ▇
    │  ▅      ▅          ▅
    │      █   ▃  █
  0 ┤▁  ▆
    └┬───────────────────────────────────────────┬
     0                   trial                   44
█ a trial's value (the block's top edge), ─ best so far;
best 16 at trial 37"
fits 60
COLUMNS=40 check 0 "" trials "$M" --plot
same "study default in $M: 45 trials (45 complete, 0 pruned, 0 failed, 0 running); higher is better

value (higher is better)
 16 ┤                  █─▁─█
    │             ▃───▃
    │               ▄   ▄
    │        ▆───▆        ▆
    │   ▁───▁  ▇   ▇ ▁
    │     ▂   ▂
    │  ▃        ▃
    │▅─  ▅
    │      ▆
  4 ┤ ▁
    └┬─────────────────────┬
     0        trial        44
█ a trial's value (the block's top
edge), ─ best so far; best 16 at trial
37; each column is 2 trials, the best
of them drawn"
fits 40

# ---- the width: $COLUMNS when a whole number in [40, 1000], else 80
unset COLUMNS
check 0 "" trials "$M" --plot
keep default
for columns in 80 abc 39 1001 ""; do
    COLUMNS=$columns check 0 "" trials "$M" --plot
    cmp -s "$TMP/out" "$TMP/default" || fail "COLUMNS='$columns' does not draw the 80-column plot"
done

# ---- one trial: its value labels the row it is drawn on
O="$TMP/o.db"
check 0 "sampler: random" ask "$O" --space 'x=float:0..1' --sampler random
check 0 "" tell "$O" 0 2.5
check 0 "" trials "$O" --plot
same "study default in $O: 1 trials (1 complete, 0 pruned, 0 failed, 0 running); lower is better

value (lower is better)
    │
    │
    │
    │
    │
2.5 ┤███
    │
    │
    │
    │
    └┬──
     0  trial
█ a trial's value (the block's top edge), ─ best so far; best 2.5 at trial 0"

# ---- nothing to draw yet: the trial still runs
R="$TMP/r.db"
check 0 "sampler: random" ask "$R" --space 'x=float:0..1' --sampler random
check 0 "" trials "$R" --plot
same "study default in $R: 1 trials (0 complete, 0 pruned, 0 failed, 1 running); lower is better

no trial has a value yet: nothing to draw"

# ---- a model's study: values with 4 decimals, named by the metric
K="$TMP/k.db"
check 0 "" tune knn data/iris.csv --target species --trials 8 --seed 1 --quiet --study "$K"
COLUMNS=60 check 0 "" trials "$K" --plot
same "study knn in $K: 8 trials (8 complete, 0 pruned, 0 failed, 0 running); higher is better

accuracy (higher is better)
0.9600 ┤███─────────▃▃▃───███───
       │
       │      ███▃▃▃
       │
       │
       │
       │
       │
       │                     ▄▄▄
0.8600 ┤   ▆▆▆         ▁▁▁
       └┬────────────────────┬──
        0       trial        7
█ a trial's accuracy (the block's top edge), ─ best so far;
best 0.9600 at trial 6"

# ---- usage: one output form at a time; --help tells
check 2 "dial: --json and --plot cannot be combined; choose one" trials "$H" --plot --json
check 2 "dial: --csv and --plot cannot be combined; choose one" trials "$H" --csv --plot
check 2 "dial: --json and --csv cannot be combined; choose one" trials "$H" --csv --json
check 0 "" trials --help
has "  --plot              the history drawn in the terminal"
finish
