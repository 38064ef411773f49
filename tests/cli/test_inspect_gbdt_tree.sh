#!/usr/bin/env bash
# dial inspect --tree on gbdt: each boosting tree as if/else rules whose
# leaves say what they add to which raw score (the log-odds of the second
# class with two classes, one score per class with more, the prediction in
# regression), from the library's family-neutral trees (dial_model_tree_get).
# Before, every gbdt model answered "model 'gbdt' has no trees".
source "$(dirname "$0")/lib.sh" "$@"

# expect: the last stdout is exactly the text on stdin.
expect() {
    diff -u - "$TMP/out" || fail "the rules differ from the expected ones (above)"
    passed=$((passed + 1))
}

# Two classes, a native split on a categorical feature (Records).
check 0 "" fit gbdt data/credit_data.csv --target Status -s max_depth=1 -s n_estimators=2 \
    -o "$TMP/binary.dial"
check 0 "" inspect "$TMP/binary.dial" --tree
expect <<'OUT'
# tree 0 of 2 (round 0): 3 nodes, 2 leaves, depth 1
# a leaf adds to the log-odds of class 'good', which starts at 0.936812 (learning rate included)
if Records in {no}:
  log-odds(good) += 0.0283491
else:  # Records not in {no}
  log-odds(good) += -0.13432
OUT
check 0 "" inspect "$TMP/binary.dial" --tree=1
expect <<'OUT'
# tree 1 of 2 (round 1): 3 nodes, 2 leaves, depth 1
# a leaf adds to the log-odds of class 'good', which starts at 0.936812 (learning rate included)
if Seniority <= 2.5:
  log-odds(good) += -0.0858927
else:  # Seniority > 2.5
  log-odds(good) += 0.0437856
OUT
check 2 "dial: --tree 2 is out of range: the gbdt has 2 trees (0 to 1)" \
    inspect "$TMP/binary.dial" --tree=2

# The same split one-hot encoded reads as a level test.
check 0 "" fit gbdt data/credit_data.csv --target Status -s max_depth=1 -s n_estimators=1 \
    -s categorical=onehot -o "$TMP/onehot.dial"
check 0 "" inspect "$TMP/onehot.dial" --tree
has "if Records is not no:"
check 2 "dial: --tree 1 is out of range: the gbdt has 1 tree (0 to 0)" \
    inspect "$TMP/onehot.dial" --tree=1

# Three classes: one tree per class a round, tree t adding to class t % 3.
check 0 "" fit gbdt data/iris.csv -s max_depth=1 -s n_estimators=2 -o "$TMP/multi.dial"
check 0 "" inspect "$TMP/multi.dial" --tree=4
expect <<'OUT'
# tree 4 of 6 (round 1, class versicolor): 3 nodes, 2 leaves, depth 1
# a leaf adds to the score of class 'versicolor', which starts at -1.09861 (learning rate included)
if petal_length <= 2.45:
  score(versicolor) += -0.0690108
else:  # petal_length > 2.45
  score(versicolor) += 0.0333537
OUT
check 0 "" inspect "$TMP/multi.dial" --tree=2
has "# tree 2 of 6 (round 0, class virginica): 3 nodes, 2 leaves, depth 1"

# Regression: the leaves add to the prediction itself.
check 0 "" fit gbdt data/diabetes.csv -s max_depth=1 -s n_estimators=2 -o "$TMP/regression.dial"
check 0 "" inspect "$TMP/regression.dial" --tree=1
expect <<'OUT'
# tree 1 of 2 (round 1): 3 nodes, 2 leaves, depth 1
# a leaf adds to the prediction of progression, which starts at 152.133 (learning rate included)
if bmi <= 27.25:
  progression += -3.01613
else:  # bmi > 27.25
  progression += 5.05105
OUT
# A damaged file whose tree reaches a node from two parents (prediction
# does not mind, so loading passes) is refused by --tree rather than
# printing the subtree once per path (exponentially often for a chain).
check 0 "" fit gbdt data/diabetes.csv -s max_depth=1 -s n_estimators=1 -o "$TMP/one.dial"
"$PYTHON" - "$TMP/one.dial" "$TMP/diamond.dial" <<'PY' || fail "could not craft the damaged tree"
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
blob = open(src, "rb").read()
table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xC96C5795D7870F42 if c & 1 else c >> 1
    table.append(c)
def crc64(data):
    crc = 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF
align = lambda n: (n + 63) // 64 * 64
header_length = struct.unpack("<Q", blob[17:25])[0]
header = json.loads(blob[25:25 + header_length])
start = align(25 + header_length)
raw = {t["name"]: blob[start + t["offset"]:start + t["offset"] + t["bytes"]] for t in header["tensors"]}
# node 0 splits bmi, both its children node 1; node 2 a leaf no one reaches
new = {"tree_offset": [0, 3], "feature": [2, -1, -1], "threshold": [27.0, 0.0, 0.0],
       "default_left": [0, 0, 0], "left": [1, -1, -1], "right": [1, -1, -1],
       "value": [0.0, 1.0, 2.0]}
for t in header["tensors"]:
    if t["name"] in new:
        values = new[t["name"]]
        raw[t["name"]] = struct.pack("<%d%s" % (len(values), "q" if t["dtype"] == "i64" else "d"), *values)
        t["shape"] = [len(values)]
end = 0
for t in header["tensors"]:
    t["offset"] = align(end)
    t["bytes"] = len(raw[t["name"]])
    end = t["offset"] + t["bytes"]
header["data_bytes"] = align(end)
text = json.dumps(header, indent=2).encode()
data_start = align(25 + len(text))
out = bytearray(data_start + header["data_bytes"])
out[:17] = blob[:17]
out[17:25] = struct.pack("<Q", len(text))
out[25:25 + len(text)] = text
for t in header["tensors"]:
    out[data_start + t["offset"]:data_start + t["offset"] + t["bytes"]] = raw[t["name"]]
out += struct.pack("<Q", crc64(bytes(out)))
open(dst, "wb").write(out)
PY
check 0 "" inspect "$TMP/diamond.dial"
check 1 "dial: gbdt model: node 1 of tree 0 is the child of two nodes; the file is damaged" \
    inspect "$TMP/diamond.dial" --tree
finish
