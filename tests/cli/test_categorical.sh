#!/usr/bin/env bash
# Categorical columns of many levels: a column that looks like an identifier
# (more than 50 levels and more than half as many levels as rows) is warned
# about once per command, naming --ignore; knn keeps category codes, so a
# column of 5,000 levels makes a small model file.
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
check 0 "$MANY_WARN" fit knn "$TMP/many.csv" -s k=1 -o "$TMP/many.dial"
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
finish
