#!/usr/bin/env bash
# Categorical columns of many levels: a column that looks like an identifier
# (more than 50 levels and more than half as many levels as rows) is warned
# about once per command, naming --ignore; knn keeps category codes, so a
# column of 5,000 levels makes a small model file; tree and forest split a
# categorical column natively, by a subset of its levels.
source "$(dirname "$0")/lib.sh" "$@"

# 120 rows, an id of one value per row, a colour of 3 levels, a number
"$PYTHON" - "$TMP/ids.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,color,size,label\n")
    for i in range(120):
        f.write("u%04d,%s,%d,%s\n" % (i, ["red", "green", "blue"][i * 7 % 3], i * 37 % 50 + 1,
                                      "yes" if i * 13 % 7 < 3 else "no"))
PY
WARN="dial: warning: column 'id' has 120 distinct values in 120 rows: it looks like an identifier, which no model generalises from (one-hot encoding gives it an input per value); leave it out with --ignore id"

# ---- the warning: one line for fit, cv and tune alike
check 0 "$WARN" fit knn "$TMP/ids.csv" -o "$TMP/ids.dial"
check 0 "$WARN" cv knn "$TMP/ids.csv" --folds 3
check 0 "$WARN" tune knn "$TMP/ids.csv" --trials 2 --cv 3 --quiet
# predicting with the model does not repeat it
check 0 "" predict "$TMP/ids.dial" "$TMP/ids.csv" -o "$TMP/ids.pred"

# ---- no warning for columns of few levels, nor for many levels over many rows
check 0 "" fit knn data/credit_data.csv --target Status -o "$TMP/credit.dial"
"$PYTHON" - "$TMP/ids.csv" "$TMP/fewer.csv" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as f:
    f.write(rows[0] + "\n")
    for r in rows[1:] + rows[1:]:  # 120 levels in 240 rows: exactly half, not more
        f.write(r + "\n")
PY
check 0 "" fit knn "$TMP/fewer.csv" -o "$TMP/fewer.dial"

# ---- 5,000 levels: a model file of category codes, not 240 MB of one-hot rows
"$PYTHON" - "$TMP/many.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("city,size,label\n")
    for i in range(6000):
        f.write("c%d,%d,%s\n" % (i * 7919 % 5000, i * 37 % 101, "yes" if i * 13 % 7 < 3 else "no"))
PY
MANY_WARN="dial: warning: column 'city' has 5000 distinct values in 6000 rows: it looks like an identifier, which no model generalises from (one-hot encoding gives it an input per value); leave it out with --ignore city"
# (--dense: read sparse, as it would be by itself, knn keeps compressed rows.)
check 0 "$MANY_WARN" fit knn "$TMP/many.csv" --dense -s k=1 -o "$TMP/many.dial"
size=$(stat -c %s "$TMP/many.dial")
[[ $size -lt 5000000 ]] || fail "the model file of 5,000 levels has $size bytes"
passed=$((passed + 1))
check 0 "" inspect "$TMP/many.dial" --json
json_ok '{t["name"]: t["shape"] for t in j["tensors"]}.get("x.codes") == [6000, 1] and "x" not in [t["name"] for t in j["tensors"]]'
# the saved model predicts from its codes: with k=1 every row whose city
# and size no other row shares gets its own label back
check 0 "" predict "$TMP/many.dial" "$TMP/many.csv" -o "$TMP/many.pred"
"$PYTHON" - "$TMP/many.csv" "$TMP/many.pred" <<'PY' || fail "k=1 predictions do not give the rows' own labels"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
pred = [r[-1] for r in csv.reader(open(sys.argv[2]))][1:]
assert len(pred) == len(rows), (len(pred), len(rows))
labels = {}
for r in rows:
    labels.setdefault((r["city"], r["size"]), set()).add(r["label"])
bad = [i for i, r in enumerate(rows) if len(labels[(r["city"], r["size"])]) == 1 and pred[i] != r["label"]]
assert not bad, bad[:5]
PY
passed=$((passed + 1))
# ---- tree and forest split categories natively (categorical=native, the default)
# A stump on one colour: the native split is {blue, green} (15 rows) against
# the rest (30 rows, red), and a level unseen in training goes to the larger
# child; one-hot splits on 'colour is red', and an unseen level (all zeros)
# goes with 'not red'.
"$PYTHON" - "$TMP/colour.csv" "$TMP/purple.csv" <<'PY'
import sys
rows = [("red", "yes")] * 30 + [("blue", "no")] * 10 + [("green", "no")] * 5
open(sys.argv[1], "w").write("colour,label\n" + "".join("%s,%s\n" % r for r in rows))
open(sys.argv[2], "w").write("colour\npurple\nred\nblue\n")
PY
UNSEEN="dial: warning: 1 value of a categorical feature was a level unseen in training; encoded as all zeros"
check 0 "" fit tree "$TMP/colour.csv" -s max_depth=1 -o "$TMP/colour.dial"
check 0 "" inspect "$TMP/colour.dial" --tree 0
has "if colour in {blue, green}:"
has "else:  # colour not in {blue, green}"
check 0 "$UNSEEN" predict "$TMP/colour.dial" "$TMP/purple.csv"
[[ "$(tr '\n' ' ' <"$TMP/out")" == "label yes yes no " ]] || fail "native predictions: $(cat "$TMP/out")"
check 0 "" fit tree "$TMP/colour.csv" -s max_depth=1 -s categorical=onehot -o "$TMP/colour1.dial"
check 0 "$UNSEEN" predict "$TMP/colour1.dial" "$TMP/purple.csv"
[[ "$(tr '\n' ' ' <"$TMP/out")" == "label no yes no " ]] || fail "one-hot predictions: $(cat "$TMP/out")"

# credit_data: the rules print a categorical split as a set of levels
check 0 "" fit tree data/credit_data.csv --target Status -s max_depth=3 -o "$TMP/credit3.dial"
check 0 "" inspect "$TMP/credit3.dial" --tree 0
has "if Records in {yes}:"
has "    if Job in {freelance, partime}:"

# 1,000 levels whose level carries the class (90% or 10% yes), 4,000
# training rows and 2,000 held out: the native model is smaller and at
# least as accurate as one-hot, for a tree and for a forest.
"$PYTHON" - "$TMP/shops.csv" "$TMP/shops_test.csv" <<'PY'
import random, sys
r = random.Random(7)
share = [0.9 if r.random() < 0.5 else 0.1 for _ in range(1000)]
for path, n in ((sys.argv[1], 4000), (sys.argv[2], 2000)):
    with open(path, "w") as f:
        f.write("shop,noise,label\n")
        for i in range(n):
            # every level in the training rows, so none is unseen
            level = i if path == sys.argv[1] and i < 1000 else int(r.random() * 1000)
            f.write("s%d,%.3f,%s\n" % (level, r.random(), "yes" if r.random() < share[level] else "no"))
PY
shop_nodes() { # MODEL: prints its nodes
    "$DIAL" inspect "$1" --json | "$PYTHON" -c 'import json, sys
print({t["name"]: t["shape"] for t in json.load(sys.stdin)["tensors"]}["feature"][0])'
}
shop_accuracy() { # MODEL: prints its held-out accuracy
    "$DIAL" score "$1" "$TMP/shops_test.csv" --json | "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)["metrics"]["accuracy"])'
}
for model in tree forest; do
    size=(); [[ $model == forest ]] && size=(-s n_estimators=20)
    check 0 "" fit $model "$TMP/shops.csv" "${size[@]}" -o "$TMP/native.dial" --seed 1
    check 0 "" fit $model "$TMP/shops.csv" "${size[@]}" -s categorical=onehot -o "$TMP/onehot.dial" --seed 1
    native_nodes=$(shop_nodes "$TMP/native.dial") onehot_nodes=$(shop_nodes "$TMP/onehot.dial")
    native_acc=$(shop_accuracy "$TMP/native.dial") onehot_acc=$(shop_accuracy "$TMP/onehot.dial")
    current="$model on 1,000 levels"
    [[ $native_nodes -lt $onehot_nodes ]] || fail "native has $native_nodes nodes, one-hot $onehot_nodes"
    "$PYTHON" -c "import sys; sys.exit(0 if $native_acc >= $onehot_acc + 0.03 else 1)" ||
        fail "native accuracy $native_acc, one-hot $onehot_acc"
    [[ $(stat -c %s "$TMP/native.dial") -lt $(stat -c %s "$TMP/onehot.dial") ]] ||
        fail "the native model file is not the smaller"
    passed=$((passed + 3))
done
# Three classes over 30 levels (level l is class l % 3): one order of the
# levels per class finds {class a} then {class b} against the rest, so a
# tree of depth 2 is exact where one-hot splits off one level a node; the
# same for a regression target (level l's amount is about 10 * (l % 3)),
# with the absolute error too, and for a forest.
"$PYTHON" - "$TMP/three.csv" <<'PY'
import sys
rows = ["L%d,%s,%.1f" % (i % 30, "abc"[i % 30 % 3], i % 30 % 3 * 10 + i % 7 * 0.1) for i in range(300)]
open(sys.argv[1], "w").write("level,cls,amount\n" + "\n".join(rows) + "\n")
PY
check 0 "" fit tree "$TMP/three.csv" -t cls --ignore amount -s max_depth=2 -o "$TMP/three.dial"
has "training accuracy  1.0000"
check 0 "" fit tree "$TMP/three.csv" -t cls --ignore amount -s max_depth=2 -s categorical=onehot -o "$TMP/three.dial"
has "training accuracy  0.4000"
check 0 "" fit tree "$TMP/three.csv" -t amount --ignore cls -s max_depth=2 -s criterion=absolute_error -o "$TMP/three.dial"
has "training r2  0.9994"
check 0 "" fit forest "$TMP/three.csv" -t amount --ignore cls -s max_depth=2 -s n_estimators=5 -o "$TMP/three.dial"
has "training r2  0.9994"
# gbdt splits a category of at most 255 levels natively: on 200 levels
# that carry the class it is clearly more accurate than one-hot (whose
# trees find little to gain from one level at a time and stop early)
"$PYTHON" - "$TMP/shops200.csv" "$TMP/shops200_test.csv" <<'PY'
import random, sys
r = random.Random(7)
share = [0.9 if r.random() < 0.5 else 0.1 for _ in range(200)]
for path, n in ((sys.argv[1], 3000), (sys.argv[2], 2000)):
    with open(path, "w") as f:
        f.write("shop,noise,label\n")
        for i in range(n):
            level = i if path == sys.argv[1] and i < 200 else int(r.random() * 200)
            f.write("s%d,%.3f,%s\n" % (level, r.random(), "yes" if r.random() < share[level] else "no"))
PY
check 0 "" fit gbdt "$TMP/shops200.csv" -o "$TMP/native.dial" --seed 1
check 0 "" fit gbdt "$TMP/shops200.csv" -s categorical=onehot -o "$TMP/onehot.dial" --seed 1
check 0 "" inspect "$TMP/native.dial" --json
json_ok '"category_bits" in [t["name"] for t in j["tensors"]]'
check 0 "" inspect "$TMP/onehot.dial" --json
json_ok '"category_bits" not in [t["name"] for t in j["tensors"]]'
native_acc=$("$DIAL" score "$TMP/native.dial" "$TMP/shops200_test.csv" --json | "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)["metrics"]["accuracy"])')
onehot_acc=$("$DIAL" score "$TMP/onehot.dial" "$TMP/shops200_test.csv" --json | "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)["metrics"]["accuracy"])')
current="gbdt on 200 levels"
"$PYTHON" -c "import sys; sys.exit(0 if $native_acc >= $onehot_acc + 0.03 else 1)" ||
    fail "native accuracy $native_acc, one-hot $onehot_acc"
passed=$((passed + 1))
finish
