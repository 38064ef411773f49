#!/bin/sh
# Tunes a Python function with dial run: the function lives in a small
# script that takes its knobs as arguments and prints its value; dial run
# runs it once per trial, reads the value, and keeps the study in a SQLite
# file (run it again to continue it). Needs python3.
#
#   sh examples/run_python.sh            (dial from PATH, or DIAL_PROGRAM=build/dial)
set -eu
DIAL=${DIAL_PROGRAM:-dial}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The objective: Branin's function of two floats, plus a penalty for one of
# two optimisers; its minimum is 0.397887 at (pi, 2.275) with opt=adam.
cat >"$WORK/objective.py" <<'PYTHON'
import math
import sys

def branin(x, y, opt):
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    value = a * (y - b * x ** 2 + c * x - r) ** 2 + s * (1 - t) * math.cos(x) + s
    return value + (0.5 if opt == "sgd" else 0.0)

x, y, opt = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print("dial: value=%r" % branin(x, y, opt))
PYTHON

cd "$WORK"
"$DIAL" run --study study.db --space 'x=float:-5..10' --space 'y=float:0..15' \
    --space 'opt=adam,sgd' --trials 20 --seed 7 --quiet \
    -- python3 objective.py '{x}' '{y}' '{opt}'
