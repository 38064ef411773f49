#!/bin/bash
# dial drift (docs/drift.md): the drift reference fit and tune -o keep in
# the model file, and new data judged against it: drift injected into real
# data ranks the drifted feature first with the right verdict and exit
# status; unshifted resamples keep; every PSI and p-value equals a
# reference computation from the stored histograms (drift_reference.py,
# scipy) to 1e-9; bad input and damaged references fail in one line.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(dirname "$0")
DATA() { nice -n 19 "$PYTHON" "$HERE/drift_data.py" "$@"; }
# verdict STATUS ARGS...: runs dial drift ARGS, which must exit with STATUS
# (0 keep, 3 retrain, 4 re-tune); keeps stdout (stderr may hold a warning:
# the model's predictions on unseen levels).
verdict() {
    local want_status=$1
    shift
    current="dial drift $*"
    "$DIAL" drift "$@" >"$TMP/out" 2>"$TMP/err"
    local status=$?
    [[ $status -eq $want_status ]] || fail "exit status $status, expected $want_status; stderr: $(cat "$TMP/err")"
    passed=$((passed + 1))
}
verdict_is() { json_ok "j['verdict'] == '$1'"; }
first_is() { json_ok "j['features'][0]['name'] == '$1'"; }
reference_agrees() {
    nice -n 19 "$PYTHON" "$HERE/drift_reference.py" "$1" "$2" "$TMP/out" >/dev/null ||
        fail "the reference computation disagrees on $2"
    passed=$((passed + 1))
}

# ---- diamonds: a tuned gbdt of price, with its CV score ----------------------
DATA split data/diamonds_2000.csv "$TMP/d_train.csv" "$TMP/d_new.csv" 1
check 0 "" tune gbdt "$TMP/d_train.csv" --target price --trials 4 -s n_estimators=50 \
    -o "$TMP/diamonds.dial" --quiet
check 0 "" inspect "$TMP/diamonds.dial"
has "reference of 1000 training rows: 9 of 9 features, the target, the CV score"
# the unseen half of the same data: keep
check 0 "" drift "$TMP/diamonds.dial" "$TMP/d_new.csv" --json
verdict_is keep
json_ok "j['score']['metric'] == 'r2' and j['score']['cv']['folds'] == 5 and not j['score']['fell']"
json_ok "set(j) == {'verdict', 'reasons', 'score', 'features'}"
json_ok "all(set(f) == {'name', 'psi', 'test', 'p_value', 'new_levels', 'missing_share', 'importance'} for f in j['features'])"
json_ok "[f['psi'] for f in j['features']] == sorted((f['psi'] for f in j['features']), reverse=True)"
reference_agrees "$TMP/diamonds.dial" "$TMP/d_new.csv"
# a price regime shift (prices 1.5 times): the score falls below its CV interval
DATA scale "$TMP/d_new.csv" "$TMP/d_price.csv" price 1.5
verdict 4 "$TMP/diamonds.dial" "$TMP/d_price.csv" --json
verdict_is re-tune
json_ok "j['score']['fell'] and j['score']['target_psi'] > 0.2"
json_ok "any('below the CV interval' in r for r in j['reasons'])"
# heavier stones: carat drifts and ranks first
DATA scale "$TMP/d_new.csv" "$TMP/d_carat.csv" carat 1.4
verdict 4 "$TMP/diamonds.dial" "$TMP/d_carat.csv" --json
first_is carat
json_ok "j['features'][0]['psi'] > 1 and j['features'][0]['p_value'] < 1e-20 and j['features'][1]['psi'] < 0.1"
reference_agrees "$TMP/diamonds.dial" "$TMP/d_carat.csv"
# without the target the verdict rests on the inputs, and says so
cut -d, -f1-6,8- "$TMP/d_carat.csv" > "$TMP/d_carat_no_price.csv"
verdict 3 "$TMP/diamonds.dial" "$TMP/d_carat_no_price.csv"
has "verdict: retrain"
has "the new rows have no target column: the verdict rests on the inputs alone"
# thresholds are settable: a PSI threshold above carat's keeps
check 0 "" drift "$TMP/diamonds.dial" "$TMP/d_carat_no_price.csv" --psi-threshold 5

# false alarms: 100 unshifted resamples of the unseen half keep at least 95 times
DATA resamples "$TMP/d_new.csv" "$TMP/resample" 500 100 7
keeps=0
for seed in $(seq 1 100); do
    "$DIAL" drift "$TMP/diamonds.dial" "$TMP/resample_$seed.csv" >/dev/null 2>&1 && keeps=$((keeps + 1))
done
[[ $keeps -ge 95 ]] || fail "only $keeps of 100 unshifted resamples of diamonds kept"
passed=$((passed + 1))

# ---- credit_data: a category appearing ---------------------------------------
DATA split data/credit_data.csv "$TMP/c_train.csv" "$TMP/c_new.csv" 2
check 0 "" fit naive_bayes "$TMP/c_train.csv" --target Status -o "$TMP/credit.dial"
check 0 "" drift "$TMP/credit.dial" "$TMP/c_new.csv" --json
verdict_is keep
json_ok "j['score']['cv'] is None and any('no recorded CV score' in r for r in j['reasons'])"
reference_agrees "$TMP/credit.dial" "$TMP/c_new.csv"
DATA level "$TMP/c_new.csv" "$TMP/c_lodger.csv" Home lodger 0.3 5
verdict 3 "$TMP/credit.dial" "$TMP/c_lodger.csv" --json
verdict_is retrain
first_is Home
json_ok "j['features'][0]['new_levels'] == ['lodger'] and j['features'][0]['test'] == 'chi2'"
reference_agrees "$TMP/credit.dial" "$TMP/c_lodger.csv"
DATA resamples "$TMP/c_new.csv" "$TMP/resample" 500 100 7
keeps=0
for seed in $(seq 1 100); do
    "$DIAL" drift "$TMP/credit.dial" "$TMP/resample_$seed.csv" >/dev/null 2>&1 && keeps=$((keeps + 1))
done
[[ $keeps -ge 95 ]] || fail "only $keeps of 100 unshifted resamples of credit_data kept"
passed=$((passed + 1))

# ---- shuttle: the class balance changes --------------------------------------
DATA split data/shuttle_3classes.csv "$TMP/s_train.csv" "$TMP/s_new.csv" 3
check 0 "" fit tree "$TMP/s_train.csv" --target Class -o "$TMP/shuttle.dial"
check 0 "" drift "$TMP/shuttle.dial" "$TMP/s_new.csv" --json
verdict_is keep
DATA balance "$TMP/s_new.csv" "$TMP/s_balance.csv" Class Rad.Flow 0.2 1000 6
verdict 4 "$TMP/shuttle.dial" "$TMP/s_balance.csv" --json
verdict_is re-tune
json_ok "j['score']['target_psi'] > 0.2 and j['features'][0]['importance'] > 0.2"
reference_agrees "$TMP/shuttle.dial" "$TMP/s_balance.csv"

# ---- letter: a scaled feature -----------------------------------------------
DATA split data/letter_2000.csv "$TMP/l_train.csv" "$TMP/l_new.csv" 4
check 0 "" fit knn "$TMP/l_train.csv" --target lettr -o "$TMP/letter.dial"
check 0 "" drift "$TMP/letter.dial" "$TMP/l_new.csv" --json
verdict_is keep
reference_agrees "$TMP/letter.dial" "$TMP/l_new.csv"
DATA scale "$TMP/l_new.csv" "$TMP/l_scaled.csv" x2bar 2
verdict 3 "$TMP/letter.dial" "$TMP/l_scaled.csv" --json
verdict_is retrain
first_is x2bar
json_ok "j['features'][0]['importance'] is None and j['features'][1]['psi'] < 0.2"
reference_agrees "$TMP/letter.dial" "$TMP/l_scaled.csv"

# ---- sparse input: the 1,000 most often nonzero of 2,999 features ----------------
check 0 "" fit naive_bayes data/text_small.libsvm -o "$TMP/text.dial"
check 0 "" inspect "$TMP/text.dial"
has "reference of 500 training rows: 1000 of 2999 features, the target"
verdict 0 "$TMP/text.dial" data/text_small.libsvm --json
json_ok "len(j['features']) == 1000 and 'the reference covers the 1000 most often nonzero features of 2999 (at most 1000, and 1024 KB)' in j['reasons']"

# ---- errors -------------------------------------------------------------------
cut -d, -f2- "$TMP/d_new.csv" > "$TMP/no_carat.csv"
check 1 "dial: column 'carat' is missing from the input (the model needs: carat, cut, color, clarity, depth, table, x, y, z)" \
    drift "$TMP/diamonds.dial" "$TMP/no_carat.csv"
sed -e '2,$s/^[^,]*,/heavy,/' "$TMP/d_new.csv" > "$TMP/text_carat.csv"
check 1 "dial: column 'carat' is categorical (text) in the input but numeric in the model" \
    drift "$TMP/diamonds.dial" "$TMP/text_carat.csv"
check 1 "dial: tests/modelfile/before_drift_reference.dial carries no drift reference (it was saved before dial kept one); fit it again with dial fit or dial tune -o to compare new data with its training rows" \
    drift tests/modelfile/before_drift_reference.dial data/credit_data.csv
check 0 "" inspect tests/modelfile/before_drift_reference.dial
has "no drift reference"
check 0 "dial: warning: 339 values of categorical features were levels unseen in training; encoded as all zeros" predict tests/modelfile/before_drift_reference.dial data/credit_data.csv
check 2 "dial: --psi-threshold -1 is out of range: must be > 0" \
    drift "$TMP/diamonds.dial" "$TMP/d_new.csv" --psi-threshold -1
check 2 "dial: --p-threshold needs a value; see dial drift --help" \
    drift "$TMP/diamonds.dial" "$TMP/d_new.csv" --p-threshold

# a damaged reference is refused at load, naming the part
corrupt() { nice -n 19 "$PYTHON" "$HERE/drift_corrupt.py" "$TMP/diamonds.dial" "$TMP/bad.dial" "$1"; }
corrupt 'r["features"][0]["edges"].reverse()'
check 1 "dial: $TMP/bad.dial: drift reference: feature 'carat': its edges are not sorted: edges[1] = $(
    "$PYTHON" -c 'import json, struct, sys; d = open(sys.argv[1], "rb").read(); h = json.loads(d[25:25 + struct.unpack("<Q", d[17:25])[0]]); e = h["drift_reference"]["features"][0]["edges"]; print("%.17g after %.17g" % (e[1], e[0]))' "$TMP/bad.dial")" \
    inspect "$TMP/bad.dial"
corrupt 'r["features"][1]["counts"][0] = -3'
check 1 "dial: $TMP/bad.dial: drift reference: feature 'cut': counts[0] must be a non-negative integer" \
    predict "$TMP/bad.dial" "$TMP/d_new.csv"
corrupt 'r["features"][6]["counts"].pop()'
check 1 "dial: $TMP/bad.dial: drift reference: feature 'x': 'counts' has 20 entries but 'edges' has 21" \
    drift "$TMP/bad.dial" "$TMP/d_new.csv"
corrupt 'r["features"][0]["missing"] = 7'
check 1 "dial: $TMP/bad.dial: drift reference: feature 'carat': count 1000 and missing 7 do not add up to the 1000 rows" \
    drift "$TMP/bad.dial" "$TMP/d_new.csv"
corrupt 'r["features"].pop(0)'
check 1 "dial: $TMP/bad.dial: drift reference: it covers 8 of the model's 9 features but its 'limit' does not say which" \
    drift "$TMP/bad.dial" "$TMP/d_new.csv"
finish
