#!/usr/bin/env bash
# dial inspect labels a tensor's dimension with class, input or feature
# names only where the model says the dimension runs over them
# (dial_model_tensor_axis), not wherever the length happens to match.
# Before, a [4 x 2] category_blocks of a two-class model had "bad good" as
# column headings, a forest's tree_offset of 3 entries read "setosa 0
# versicolor 21 virginica 32", and svm's 3 pairwise intercepts were named
# after the 3 classes.
source "$(dirname "$0")/lib.sh" "$@"

check 0 "" fit tree data/credit_data.csv --target Status -s max_depth=3 -o "$TMP/tree.dial"
check 0 "" inspect "$TMP/tree.dial"
# the blocks and levels run over positions: no class headings
has_line "^  category_blocks  int64 \[4 x 2\]$"
has "           [0]  [1]"
sed -n '/^  category_blocks/,/^  category_levels/p' "$TMP/out" | grep -qE "bad|good" &&
    fail "category_blocks [n x 2] is labelled with the two classes"
# the value of each node runs over the classes
has_line "^  value  float64 \[[0-9]+ x 2\]$"
has_line "^ +bad +good$"
# preprocess.fill runs over the raw features, a categorical one's by level
has_line "^      Seniority [0-9.]+   Home=owner   Time [0-9.]+   Age [0-9.]+   Marital=married   Records=no"

check 0 "" fit forest data/iris.csv -s n_estimators=2 -o "$TMP/forest.dial"
check 0 "" inspect "$TMP/forest.dial"
has_line "^      0   [0-9]+   [0-9]+$"
grep -qE "^      setosa 0   versicolor" "$TMP/out" && fail "tree_offset is labelled with classes"

check 0 "" fit svm data/iris.csv -o "$TMP/svm.dial"
check 0 "" inspect "$TMP/svm.dial"
grep -A2 "^  intercept" "$TMP/out" | grep -q setosa && fail "svm's pairwise intercepts are named after classes"
has_line "^  n_support  int64 \[3\]$"

# two classes: gbdt's one base score is the second class's log-odds
check 0 "" fit gbdt data/credit_data.csv --target Status -s n_estimators=2 -o "$TMP/gbdt.dial"
check 0 "" inspect "$TMP/gbdt.dial"
has "      good 0.9368"
finish
