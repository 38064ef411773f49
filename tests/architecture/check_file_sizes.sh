#!/bin/bash
# Small files (docs/architecture.md): no source file of src/ is over 900
# lines. A file that grows past it holds more than one concept: split it the
# way gbdt_*.c and svm_kernel/solver/platt/warm are split, each file opening
# with a map of itself.
#
# Usage: check_file_sizes.sh   (run from the source tree)
set -u
limit=900
[ -d src ] || { echo "FAIL: run from the source tree (no src here)"; exit 1; }
too_long=$(find src -name '*.[ch]' -print0 | xargs -0 wc -l | grep -v ' total$' |
    awk -v limit=$limit '$1 > limit {print "  " $2 ": " $1 " lines"}' | sort)
if [ -n "$too_long" ]; then
    echo "FAIL: source files over $limit lines (split each into files of one concept):"
    echo "$too_long"
    exit 1
fi
echo "ok: every source file of src/ is at most $limit lines"
