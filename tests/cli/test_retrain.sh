#!/usr/bin/env bash
# dial retrain: the same knobs refitted on new rows (optionally after old
# ones), the record of what it was retrained from (written, shown,
# validated at load), and the mistakes it refuses with one line.
source "$(dirname "$0")/lib.sh" "$@"
BC=data/breast_cancer.csv

# Two halves of breast_cancer: "old" rows 1-200, "new" rows 201-569.
head -201 $BC >"$TMP/old.csv"
(head -1 $BC && tail -n +202 $BC) >"$TMP/new.csv"
# A shuffled-columns copy of new.csv with an extra id column: bound by name.
"$PYTHON" - "$TMP/new.csv" "$TMP/new_reordered.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    for i, row in enumerate(rows):
        w.writerow(["id" if i == 0 else str(i)] + row[::-1])
EOF

# crc64 FILE: the file's CRC-64/XZ, as docs/modelfile.md defines it, after
# its header was edited in place (so the damage reaches the header checks).
fix_checksum() {
    "$PYTHON" - "$1" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
crc = 0xFFFFFFFFFFFFFFFF
for b in data[:-8]:
    crc ^= b
    for _ in range(8):
        crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
crc ^= 0xFFFFFFFFFFFFFFFF
data[-8:] = crc.to_bytes(8, "little")
open(path, "wb").write(bytes(data))
EOF
}

check 0 "" fit logistic "$TMP/old.csv" --target diagnosis -s C=0.5 -o "$TMP/old.dial"
cp "$TMP/old.dial" "$TMP/old_copy.dial"
checksum=$("$PYTHON" -c 'import sys; print(open(sys.argv[1], "rb").read()[-8:][::-1].hex())' "$TMP/old.dial")

# ---- the same knobs on new rows: what dial fit with those knobs makes
check 0 "" retrain "$TMP/old.dial" "$TMP/new.csv" -o "$TMP/new.dial"
has "retrained logistic from $TMP/old.dial"
has_line "^  rows +369 from $TMP/new.csv$"
has_line "C=0.5"
check 0 "" fit logistic "$TMP/new.csv" --target diagnosis -s C=0.5 -o "$TMP/fresh.dial"
check 0 "" predict "$TMP/new.dial" $BC --proba
keep retrained.csv
check 0 "" predict "$TMP/fresh.dial" $BC --proba
cmp -s "$TMP/out" "$TMP/retrained.csv" || fail "retrained and freshly fitted models predict differently"
check 0 "" inspect "$TMP/new.dial" --json
json_ok "j['knobs']['C'] == 0.5 and j['knobs_set'] == ['C'] and j['tuning'] is None"
json_ok "j['retrained_from']['model_file'] == '$TMP/old.dial' and j['retrained_from']['model_checksum'] == '$checksum'"
json_ok "j['retrained_from']['knobs_source'] is None"
json_ok "[(d['file'], d['rows']) for d in j['retrained_from']['data']] == [('$TMP/new.csv', 369)]"
json_ok "j['retrained_from']['data'][0]['fingerprint'] == j['facts']['data_fingerprint']"
keep new.json
# its drift reference is the new rows': they are compared with themselves
check 0 "" drift "$TMP/new.dial" "$TMP/new.csv" --json
json_ok "j['verdict'] == 'keep' and all(f['psi'] == 0 for f in j['features'])"
check 0 "" inspect "$TMP/old.dial" --json
json_ok "'retrained_from' not in j and j['facts']['rows'] == 200"
old_hash=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["facts"]["data_fingerprint"])' "$TMP/out")
"$PYTHON" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["retrained_from"]["model_data_fingerprint"] != sys.argv[2])' "$TMP/new.json" "$old_hash" || fail "model_data_fingerprint is not the old model's data hash"
check 0 "" inspect "$TMP/new.dial"
tr -s ' \n' ' ' <"$TMP/out" >"$TMP/joined" && mv "$TMP/joined" "$TMP/out"
has " retrained from $TMP/old.dial (checksum $checksum, data hash $old_hash) on $TMP/new.csv (369 rows, hash "
has "; knobs set by hand or defaults"

# Columns in another order, and an extra one: bound by name, same model.
check 0 "" retrain "$TMP/old.dial" "$TMP/new_reordered.csv" -o "$TMP/reordered.dial"
check 0 "" predict "$TMP/reordered.dial" $BC --proba
cmp -s "$TMP/out" "$TMP/retrained.csv" || fail "a file with its columns reordered retrains another model"

# ---- --append: the old rows first, then the new: what a fit on all does
check 0 "" retrain "$TMP/old.dial" "$TMP/new.csv" --append "$TMP/old.csv" -o "$TMP/all.dial"
has_line "^  rows +569: 200 from $TMP/old.csv \+ 369 from $TMP/new.csv$"
check 0 "" fit logistic $BC --target diagnosis -s C=0.5 -o "$TMP/all_fresh.dial"
check 0 "" predict "$TMP/all.dial" $BC --proba
keep all.csv
check 0 "" predict "$TMP/all_fresh.dial" $BC --proba
cmp -s "$TMP/out" "$TMP/all.csv" || fail "--append does not fit what a fit on both files does"
check 0 "" inspect "$TMP/all.dial" --json
json_ok "[(d['file'], d['rows']) for d in j['retrained_from']['data']] == [('$TMP/old.csv', 200), ('$TMP/new.csv', 369)]"
json_ok "j['facts']['rows'] == 569"

# ---- the knobs' source: a tuned model's trial survives a chain of retrains
check 0 "" tune logistic "$TMP/old.csv" --target diagnosis --trials 3 --folds 3 --quiet \
    --study "$TMP/s.db" -o "$TMP/tuned.dial"
check 0 "" retrain "$TMP/tuned.dial" "$TMP/new.csv" -o "$TMP/r1.dial"
check 0 "" retrain "$TMP/r1.dial" "$TMP/old.csv" -o "$TMP/r2.dial" --json
json_ok "j['retrained_from']['model_file'] == '$TMP/r1.dial'"
json_ok "j['retrained_from']['knobs_source']['study_name'] == 'logistic' and j['retrained_from']['knobs_source']['trial'] in (0, 1, 2)"
check 0 "" inspect "$TMP/r2.dial"
tr -s ' \n' ' ' <"$TMP/out" >"$TMP/joined" && mv "$TMP/joined" "$TMP/out"
has_line "knobs from trial [0-2] of study logistic"

# ---- mistakes, each one line; the old model is never touched
check 2 "dial: retrain needs -o NEW.dial, where to save the retrained model (it never replaces $TMP/old.dial)" \
    retrain "$TMP/old.dial" "$TMP/new.csv"
check 2 "dial: -o $TMP/old.dial is the old model being read; choose another output" \
    retrain "$TMP/old.dial" "$TMP/new.csv" -o "$TMP/old.dial"
check 2 "dial: -o $TMP/new.csv is the new data file being read; choose another output" \
    retrain "$TMP/old.dial" "$TMP/new.csv" -o "$TMP/new.csv"
cmp -s "$TMP/old.dial" "$TMP/old_copy.dial" || fail "the old model changed"
check 1 "dial: $BC: not a dial model file (bad magic)" retrain $BC "$TMP/new.csv" -o "$TMP/x.dial"
cut -d, -f1-30 "$TMP/new.csv" >"$TMP/no_target.csv"
check 1 "dial: $TMP/no_target.csv has no column 'diagnosis', the target of $TMP/old.dial: retrain needs the model's target and features (see 'dial inspect $TMP/old.dial')" \
    retrain "$TMP/old.dial" "$TMP/no_target.csv" -o "$TMP/x.dial"
cut -d, -f2-31 "$TMP/new.csv" >"$TMP/no_radius.csv"
check 1 "dial: $TMP/no_radius.csv has no column 'mean_radius', a feature of $TMP/old.dial: retrain needs the model's target and features (see 'dial inspect $TMP/old.dial')" \
    retrain "$TMP/old.dial" "$TMP/no_radius.csv" -o "$TMP/x.dial"
check 1 "dial: --append $TMP/new_reordered.csv: its column 1 is 'id' where $TMP/new.csv has 'mean_radius'; the files must have the same columns in the same order" \
    retrain "$TMP/old.dial" "$TMP/new.csv" --append "$TMP/new_reordered.csv" -o "$TMP/x.dial"
sed '2,$ s/^\([^,]*\),/x\1,/' "$TMP/new.csv" >"$TMP/text_radius.csv"
check 1 "dial: column 'mean_radius' of $TMP/text_radius.csv is categorical, but $TMP/old.dial was fitted on it as numeric: a retrain keeps the model's features; fit a new model with 'dial fit'" \
    retrain "$TMP/old.dial" "$TMP/text_radius.csv" -o "$TMP/x.dial"
[[ ! -e "$TMP/x.dial" ]] || fail "a failed retrain left $TMP/x.dial"

# ---- the record is checked at load: rows that do not add up are refused
cp "$TMP/new.dial" "$TMP/bad.dial"
"$PYTHON" - "$TMP/bad.dial" <<'EOF'
import sys
path = sys.argv[1]
data = open(path, "rb").read()
at = data.index(b'"rows": 369')
open(path, "wb").write(data[:at] + b'"rows": 368' + data[at + 11:])
EOF
fix_checksum "$TMP/bad.dial"
check 1 "dial: $TMP/bad.dial: header field 'retrained_from' says its data files hold 368 rows, but the model was fitted on 369" \
    inspect "$TMP/bad.dial"
cp "$TMP/new.dial" "$TMP/bad.dial"
"$PYTHON" - "$TMP/bad.dial" "$checksum" <<'EOF'
import sys
path, checksum = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
open(path, "wb").write(data.replace(checksum, b"zz" + checksum[2:], 1))
EOF
fix_checksum "$TMP/bad.dial"
check 1 "dial: $TMP/bad.dial: header field 'retrained_from' field 'model_checksum' must be 16 hexadecimal digits" \
    inspect "$TMP/bad.dial"

check 0 "" retrain --help
has "dial retrain bc.dial may.csv --append data/breast_cancer.csv -o bc-may.dial"
finish
