#!/bin/bash
# Families are tables (docs/architecture.md): what differs between model
# families is asked of the family (its table, or a query of src/models),
# never decided by comparing its name outside src/models, so a new family
# is its own file plus one registry line and no other layer changes.
#
# Usage: check_family_names.sh   (run from the source tree)
set -u
[ -d src/models ] || { echo "FAIL: run from the source tree (no src/models here)"; exit 1; }
# The names the families register: the .name of each family table.
names=$(grep -h -A1 -E '^const dial_model_family dial_model_[a-z_]+ = \{' src/models/*.c |
    sed -nE 's/^[[:space:]]*\.name = "([a-z_]+)",.*/\1/p' | sort -u)
if [ -z "$names" ]; then
    echo "FAIL: no family table found in src/models (has the initialiser's form changed?)"
    exit 1
fi
pattern="strn?cmp\\([^;]*\"($(echo $names | tr ' ' '|'))\""
offending=$(grep -rnE "$pattern" src --include='*.c' --include='*.h' | grep -vE '^src/models/')
if [ -n "$offending" ]; then
    echo "FAIL: a family's name compared outside src/models (ask the family or src/models instead):"
    echo "$offending" | sed 's/^/  /'
    exit 1
fi
echo "ok: no file outside src/models compares a family's name ($(echo $names | wc -w) families)"
