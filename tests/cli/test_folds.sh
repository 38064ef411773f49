#!/usr/bin/env bash
# Folds for rows that are not independent, on Grunfeld's investment data
# (data/grunfeld.csv: 11 firms x 20 years): --groups, --time-column,
# --time-order, --gap and --fold-column in dial cv and dial tune. The
# scikit-learn figures come from tests/cli/reference_folds.py.
source "$(dirname "$0")/lib.sh" "$@"

DATA=data/grunfeld.csv
# The same rows without the firm column: a shuffled k-fold on the features
# the grouped folds see (value, capital, year).
cut -d, -f1-3,5 "$DATA" >"$TMP/no_firm.csv"
# GroupKFold(5)'s folds of the firms (reference_folds.py), one per row.
awk -F, 'BEGIN {
    n = split("American Steel=0;Atlantic Refining=4;Chrysler=3;Diamond Match=2;" \
              "General Electric=1;General Motors=0;Goodyear=4;IBM=3;US Steel=2;" \
              "Union Oil=1;Westinghouse=0", pairs, ";")
    for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); fold[kv[1]] = kv[2] }
}
NR == 1 { print "invest,value,capital,year,fold"; next }
{ print $1 "," $2 "," $3 "," $5 "," fold[$4] }' "$DATA" >"$TMP/given.csv"

# close A B TOLERANCE: |A - B| <= TOLERANCE
close() {
    "$PYTHON" -c 'import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(abs(a - b) > t)' "$@" ||
        fail "$1 and $2 differ by more than $3"
    passed=$((passed + 1))
}
mean() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["mean"])' "$TMP/$1"; }

# ---- a random split leaks: a firm's other years are in the training rows
check 0 "" cv knn "$TMP/no_firm.csv" --target invest --json
keep shuffled.json
json_ok 'j["folds_by"] is None and j["mean"] > 0.7' # scikit-learn's KFold: 0.7705
check 0 "" cv knn "$DATA" --target invest --groups firm --json
keep grouped.json
json_ok 'j["folds_by"] == {"kind": "groups", "column": "firm", "gap": 0} and j["folds"] == 5'
json_ok 'j["mean"] < 0' # scikit-learn's GroupKFold: -3.7621
close "$(mean shuffled.json)" 0.7705 0.05
shuffled=$(mean shuffled.json) grouped=$(mean grouped.json)
"$PYTHON" -c "import sys; sys.exit(not $shuffled - $grouped > 2)" || fail "grouped $grouped is not clearly below shuffled $shuffled"
check 0 "" cv knn "$DATA" --target invest --groups firm
has "5-fold cross-validation (grouped by firm) x 1 repeat, seed 0"

# The same folds as scikit-learn's GroupKFold, given by a column, score the
# same to the digit (PredefinedSplit): 0.4073 -19.1907 -0.0799 -0.0934 0.1460.
check 0 "" cv knn "$TMP/given.csv" --target invest --fold-column fold
has "5-fold cross-validation (given by fold) x 1 repeat, seed 0"
has "r2: mean -3.7621, std 7.7164 over 5 scores (higher is better)"
has "  repeat 1: 0.4073 -19.1907 -0.0799 -0.0934 0.1460"

# Grouped folds depend on the seed, never on the thread count.
check 0 "" cv knn "$DATA" --target invest --groups firm --repeats 3 --json --jobs 1
keep grouped_jobs1.json
check 0 "" cv knn "$DATA" --target invest --groups firm --repeats 3 --json --jobs 2
cmp -s "$TMP/out" "$TMP/grouped_jobs1.json" || fail "--jobs changed grouped folds"
json_ok 'len(j["scores"]) == 15'

# ---- forward chaining: scikit-learn's TimeSeriesSplit(4, gap=11) on the rows
# in year order: 0.3389 0.6853 0.2032 0.3784.
check 0 "" cv knn "$TMP/no_firm.csv" --target invest --time-column year --gap 11 --folds 4
has "4-fold cross-validation (forward-chaining by year, gap 11) x 1 repeat, seed 0"
has "r2: mean 0.4014, std 0.1763 over 4 scores (higher is better)"
has "  repeat 1: 0.3389 0.6853 0.2032 0.3784"
# Rows already in time order: sorted by year, the same folds.
sort -t, -k4,4n -s <(tail -n +2 "$TMP/no_firm.csv") | cat <(head -1 "$TMP/no_firm.csv") - \
    | cut -d, -f1-3 >"$TMP/by_year.csv"
check 0 "" cv knn "$TMP/by_year.csv" --target invest --time-order --gap 11 --folds 4 --json
json_ok 'j["folds_by"] == {"kind": "time", "column": None, "gap": 11}'
json_ok '[round(s, 4) for s in j["scores"]] == [0.3389, 0.6853, 0.2032, 0.3784]'

# ---- tune: the folds, the holdout and the outer folds keep the groups
check 0 "" tune knn "$DATA" --target invest --groups firm --trials 4 --quiet --holdout 0.2
has "search: auto sampler, seed 0; 5-fold cross-validation (grouped by firm); r2 (higher is better)"
has "holdout: 60 rows set aside before the search, which saw the other 160" # 3 whole firms
check 0 "" tune knn "$DATA" --target invest --time-column year --gap 11 --holdout 0.2 --trials 4 --quiet
has "holdout: 44 rows set aside before the search, which saw the other 165" # the latest 4 years
check 0 "" tune knn "$DATA" --target invest --groups firm --trials 3 --quiet --nested 3 --json
json_ok 'j["folds_by"]["kind"] == "groups" and j["nested"]["completed"] == 3'
# The grouped column is not a feature of the saved model.
check 0 "" tune knn "$DATA" --target invest --groups firm --trials 3 --quiet -o "$TMP/grouped.dial"
check 0 "" inspect "$TMP/grouped.dial"
has "features   3 (3 numeric, 0 categorical; 3 inputs after encoding): value, capital, year"

# A study remembers how its rows were split: resumed without saying, it
# keeps its split; asked for another, it refuses.
check 0 "" tune knn "$DATA" --target invest --groups firm --trials 2 --quiet --study "$TMP/s.db"
check 0 "" tune knn "$DATA" --trials 4 --quiet --study "$TMP/s.db"
has "search: auto sampler, seed 0; 5-fold cross-validation (grouped by firm); r2 (higher is better)"
has "study: knn in $TMP/s.db (4 trials, 2 of them in this run)"
check 2 "dial: study 'knn' in $TMP/s.db was created with groups firm, this run asks for year; use --study-name NAME for a new study in the same file" \
    tune knn "$DATA" --target invest --groups year --trials 2 --quiet --study "$TMP/s.db"
check 0 "" tune knn "$DATA" --target invest --trials 2 --quiet --study "$TMP/plain.db"
check 2 "dial: study 'knn' in $TMP/plain.db was created with groups (none), this run asks for firm; use --study-name NAME for a new study in the same file" \
    tune knn "$DATA" --target invest --groups firm --trials 2 --quiet --study "$TMP/plain.db"
check 0 "" tune knn "$DATA" --target invest --time-order --gap 3 --trials 2 --quiet --study "$TMP/o.db"
check 0 "" tune knn "$DATA" --target invest --trials 3 --quiet --study "$TMP/o.db"
has "5-fold cross-validation (forward-chaining by row order, gap 3)"
check 0 "" tune knn "$DATA" --target invest --time-column year --trials 2 --quiet --study "$TMP/t.db"
check 2 "dial: study 'knn' in $TMP/t.db was created with gap 0, this run asks for 11; use --study-name NAME for a new study in the same file" \
    tune knn "$DATA" --target invest --time-column year --gap 11 --trials 2 --quiet --study "$TMP/t.db"

# ---- mistakes
check 2 "dial: --time-column and --groups cannot be combined: rows are split one way, by groups, by time or by given folds" \
    cv knn "$DATA" --target invest --groups firm --time-column year
check 2 "dial: --gap applies to forward-chaining folds: add --time-column COLUMN or --time-order" \
    cv knn "$DATA" --target invest --groups firm --gap 2
check 2 "dial: --gap expects a number of rows >= 0, got '-1'" \
    cv knn "$DATA" --target invest --time-order --gap -1
check 1 "dial: column 'frim' not found; columns are: invest, value, capital, firm, year" \
    cv knn "$DATA" --target invest --groups frim
check 1 "dial: column 'invest' is the target: the column that says how rows are split must be another one" \
    cv knn "$DATA" --target invest --groups invest
check 2 "dial: cannot make 12 grouped folds from 11 groups of column 'firm': ask for at most 11 folds" \
    cv knn "$DATA" --target invest --groups firm --folds 12
check 2 "dial: forward-chaining folds are the same on every repeat: ask for 1 repeat, not 3" \
    cv knn "$DATA" --target invest --time-column year --repeats 3
check 2 "dial: cannot make 4 forward-chaining folds with a gap of 44 from 220 rows: the first fold would train on no row; ask for fewer folds or a smaller gap" \
    cv knn "$DATA" --target invest --time-column year --folds 4 --gap 44
check 2 "dial: fold column 'fold' gives the folds of one cross-validation; a holdout needs folds of its own: leave it out, or split by --groups instead" \
    tune knn "$TMP/given.csv" --target invest --fold-column fold --holdout 0.2 --quiet
check 2 "dial: fold column 'fold' gives the folds of one cross-validation; a nested cross-validation needs folds of its own: leave it out, or split by --groups instead" \
    tune knn "$TMP/given.csv" --target invest --fold-column fold --nested 3 --quiet
printf 'g,x,y\n1,1,0\n,2,1\n2,3,0\n1,4,1\n' >"$TMP/missing.csv"
check 1 "dial: column 'g' is missing on row 2: every row needs its group" \
    cv knn "$TMP/missing.csv" --target y --groups g --folds 2

finish
