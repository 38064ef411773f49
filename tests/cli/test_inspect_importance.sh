#!/usr/bin/env bash
# dial inspect shows the importance a tree, forest or gbdt learned per raw
# feature: the family's tensor holds one value per input and credits a
# split on a category to the block's first level (Records=no), so the text
# sums a categorical feature's levels (Records) and says so. Before, only
# the tensor was shown, reading Records=no 0.5034 and Records=yes 0.
source "$(dirname "$0")/lib.sh" "$@"

heading="Importance it learned while fitting, per feature (a categorical feature's levels summed)"

check 0 "" fit gbdt data/credit_data.csv --target Status -s max_depth=1 -s n_estimators=2 \
    -o "$TMP/gbdt.dial"
check 0 "" inspect "$TMP/gbdt.dial"
has "$heading"
has "      Seniority 0.4966   Home 0   Time 0   Age 0   Marital 0   Records 0.5034   Job 0   Expenses 0"
has "      Income 0   Assets 0   Debt 0   Amount 0   Price 0"

# The same numbers as dial importance's column of what the model learned.
check 0 "" fit tree data/credit_data.csv --target Status -s max_depth=2 -o "$TMP/tree.dial"
check 0 "" inspect "$TMP/tree.dial"
has "$heading"
has "      Seniority 0.4935   Home 0   Time 0   Age 0   Marital 0   Records 0.5065   Job 0   Expenses 0"
check 0 "" importance "$TMP/tree.dial" data/credit_data.csv --repeats 1
has_line "^  Records +[0-9.]+ ± +[0-9.]+ +0\.5065"
has_line "^  Seniority +[0-9.]+ ± +[0-9.]+ +0\.4935"

# A family that learns none shows no such section.
check 0 "" fit logistic data/iris.csv -o "$TMP/logistic.dial"
check 0 "" inspect "$TMP/logistic.dial"
grep -qF "Importance it learned" "$TMP/out" && fail "a logistic model shows a learned importance"
finish
