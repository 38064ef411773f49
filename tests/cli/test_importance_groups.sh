#!/usr/bin/env bash
# dial importance --groups COLUMN: a shuffle permutes whole groups (checked
# on a crafted table of two groups, where every shuffle is either nothing or
# the documented swap), the Grunfeld panel's firms, the group named in the
# output, reproducibility across --jobs, and the mistakes.
source "$(dirname "$0")/lib.sh" "$@"
GRUNFELD=data/grunfeld.csv

# ---- two groups of unequal size: each shuffle keeps them or swaps them
# y = 2 x + 1 exactly. Group a has x = 1, 2, 3, 4 and group b x = 10, 20: a
# swap gives a's rows b's values cycled (10, 20, 10, 20) and b's rows the
# first two of a's (1, 2), so its rmse is known in advance; keeping them
# gives the baseline (0).
"$PYTHON" - "$TMP/two.csv" <<'EOF'
import sys
rows = [(1, "a"), (2, "a"), (3, "a"), (4, "a"), (10, "b"), (20, "b")]
with open(sys.argv[1], "w") as out:
    out.write("x,g,y\n")
    for x, g in rows:
        out.write("%d,%s,%d\n" % (x, g, 2 * x + 1))
EOF
check 0 "" fit linear "$TMP/two.csv" --target y --task regression --ignore g -o "$TMP/two.dial"
check 0 "" importance "$TMP/two.dial" "$TMP/two.csv" --groups g --metric rmse --repeats 20 --json
json_ok 'j["groups"] == {"column": "g", "count": 2} and j["baseline"] < 1e-9'
current="each shuffle of two groups is the identity or the documented swap"
"$PYTHON" - "$TMP/out" <<'EOF' || fail "the mean importance is not a whole number of swaps: $(cat "$TMP/out")"
import json, math, sys
j = json.load(open(sys.argv[1]))
x = [1, 2, 3, 4, 10, 20]
swapped = [10, 20, 10, 20, 1, 2]  # the i-th row of a group takes the (i mod size)-th of the other
swap_rmse = math.sqrt(sum((2 * (s - o)) ** 2 for s, o in zip(swapped, x)) / len(x))
feature = j["features"][0]
swaps = feature["mean"] * j["repeats"] / swap_rmse
k = round(swaps)
assert abs(swaps - k) < 1e-6 and 0 < k < j["repeats"], (swaps, swap_rmse)
# k repeats at swap_rmse, the others at 0: the population std follows
p = k / j["repeats"]
assert abs(feature["std"] - swap_rmse * math.sqrt(p * (1 - p))) < 1e-6
EOF
passed=$((passed + 1))
# The same two groups with the same values in the same order: no shuffle of
# whole groups changes anything, though a shuffle of rows does.
printf 'x,g,y\n1,a,3\n2,a,5\n3,a,7\n1,b,3\n2,b,5\n3,b,7\n' >"$TMP/same.csv"
check 0 "" fit linear "$TMP/same.csv" --target y --task regression --ignore g -o "$TMP/same.dial"
check 0 "" importance "$TMP/same.dial" "$TMP/same.csv" --groups g --metric rmse --json
json_ok 'j["features"][0]["mean"] == 0 and j["features"][0]["std"] == 0'
check 0 "" importance "$TMP/same.dial" "$TMP/same.csv" --metric rmse --json
json_ok 'j["features"][0]["mean"] > 0 and j["groups"] is None'

# ---- Grunfeld: 11 firms over the same 20 years
check 0 "" fit tree $GRUNFELD --target invest --ignore firm -o "$TMP/tree.dial"
check 0 "" importance "$TMP/tree.dial" $GRUNFELD --groups firm
has "permutation importance of tree ($TMP/tree.dial) on $GRUNFELD (220 rows, target invest), whole groups of firm permuted (11 groups)"
# every firm has the years in the same order: permuting firms changes no year
has_line "^  year +0\.0000 ± 0\.0000 +0\.[0-9]{4}$"
check 0 "" importance "$TMP/tree.dial" $GRUNFELD
has "permutation importance of tree ($TMP/tree.dial) on $GRUNFELD (220 rows, target invest)"
has_line "^  year +0\.[1-9][0-9]{3} ± "

# --json names the groups; the same seed gives the same figures at any --jobs
check 0 "" importance "$TMP/tree.dial" $GRUNFELD --groups firm --json --seed 4 -j 1
json_ok 'j["groups"] == {"column": "firm", "count": 11} and j["seed"] == 4'
keep grouped_j1
check 0 "" importance "$TMP/tree.dial" $GRUNFELD --groups firm --json --seed 4 -j 2
cmp -s "$TMP/out" "$TMP/grouped_j1" || fail "--groups with -j 1 and -j 2 differ"
check 0 "" importance "$TMP/tree.dial" $GRUNFELD --groups firm --json --seed 5 -j 2
! cmp -s "$TMP/out" "$TMP/grouped_j1" || fail "--seed 5 gives the figures of --seed 4"
check 0 "" importance "$TMP/tree.dial" $GRUNFELD --json --seed 4
! cmp -s "$TMP/out" "$TMP/grouped_j1" || fail "--groups changes nothing"
passed=$((passed + 3))

# ---- help
check 0 "" importance --help
has "  --groups COLUMN       the group of each row: permute whole groups (see above)"
has "Rows of one group (a patient, a user, a machine) are not independent"
has "  dial importance g.dial data/grunfeld.csv --groups firm"

# ---- mistakes: one line on stderr
check 2 "dial: column 'value' is a feature of the model, so it cannot say which rows form a group; name a column the model was not fitted on (fit with --ignore value to keep it out of the features)" \
    importance "$TMP/tree.dial" $GRUNFELD --groups value
check 2 "dial: column 'invest' is the target: the column of the groups must be another one" \
    importance "$TMP/tree.dial" $GRUNFELD --groups invest
check 1 "dial: group column 'Firm' not found; did you mean 'firm'? columns are: invest, value, capital, firm, year" \
    importance "$TMP/tree.dial" $GRUNFELD --groups Firm
awk -F, 'NR == 3 { $4 = "" } { print }' OFS=, $GRUNFELD >"$TMP/hole.csv"
check 1 "dial: column 'firm' is missing on row 2: every row needs its group" \
    importance "$TMP/tree.dial" "$TMP/hole.csv" --groups firm
awk -F, 'NR == 1 || $4 == "General Motors"' $GRUNFELD >"$TMP/one_firm.csv"
check 1 "dial: column 'firm' holds 1 group; permuting whole groups needs at least 2 (without groups, the rows are shuffled one by one)" \
    importance "$TMP/tree.dial" "$TMP/one_firm.csv" --groups firm
check 2 "dial: --time-order says how cv and tune split rows into folds; importance fits nothing and takes only --groups COLUMN, to permute whole groups" \
    importance "$TMP/tree.dial" $GRUNFELD --time-order
check 2 "dial: --fold-column says how cv and tune split rows into folds; importance fits nothing and takes only --groups COLUMN, to permute whole groups" \
    importance "$TMP/tree.dial" $GRUNFELD --fold-column year
check 2 "dial: --time-column says how cv and tune split rows into folds; importance fits nothing and takes only --groups COLUMN, to permute whole groups" \
    importance "$TMP/tree.dial" $GRUNFELD --time-column year --gap 2
check 2 "dial: --groups needs a column name" importance "$TMP/tree.dial" $GRUNFELD --groups=

finish
