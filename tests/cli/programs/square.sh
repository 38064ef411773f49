#!/bin/sh
# A program dial run tunes (tests/cli/test_run.sh): reads its knob from its
# arguments (--x X) and prints (x - 2)^2 to full precision.
[ "$1" = --x ] || { echo "usage: square.sh --x X" >&2; exit 2; }
awk -v x="$2" 'BEGIN { printf "%.17g\n", (x - 2) * (x - 2) }'
