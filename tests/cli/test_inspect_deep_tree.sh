#!/usr/bin/env bash
# dial inspect --tree on a tree deeper than anyone reads: a crafted chain
# 100,000 splits deep (each split's left child a leaf) prints a bounded
# output, its rules cut at depth 64 with a line that says what is cut.
# Before the cut, indentation grew two spaces a level: 10^10 spaces.
source "$(dirname "$0")/lib.sh" "$@"

# The model file is a real tree model of iris whose node tensors are
# replaced by the chain, framed and checksummed (CRC-64/XZ) as dial writes.
check 0 "" fit tree data/iris.csv --target species -o "$TMP/tree.dial"
"$PYTHON" - "$TMP/tree.dial" "$TMP/deep.dial" 100000 <<'PY' || fail "could not craft the deep tree"
import json, struct, sys
src, dst, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
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

def align(n):
    return (n + 63) // 64 * 64

assert crc64(blob[:-8]) == struct.unpack("<Q", blob[-8:])[0], "not CRC-64/XZ"
header_length = struct.unpack("<Q", blob[17:25])[0]
header = json.loads(blob[25:25 + header_length])
start = align(25 + header_length)
raw = {t["name"]: blob[start + t["offset"]:start + t["offset"] + t["bytes"]] for t in header["tensors"]}

n = 2 * depth + 1  # node 2k splits, 2k + 1 is its left leaf, the last node a leaf
classes = len(header["classes"])
internal = lambda i: i % 2 == 0 and i < n - 1
new = {
    "feature": [2 if internal(i) else -1 for i in range(n)],
    "threshold": [5.0 - i * 1e-6 if internal(i) else -2.0 for i in range(n)],
    "left": [i + 1 if internal(i) else -1 for i in range(n)],
    "right": [i + 2 if internal(i) else -1 for i in range(n)],
    "value": [v for i in range(n) for v in ([1.0 / classes] * classes if internal(i) else [1.0] + [0.0] * (classes - 1))],
    "n_samples": [150] * n,
    "impurity": [0.0] * n,
}
for t in header["tensors"]:
    if t["name"] in new:
        values = new[t["name"]]
        raw[t["name"]] = struct.pack("<%d%s" % (len(values), "q" if t["dtype"] == "i64" else "d"), *values)
        t["shape"] = [n, classes] if t["name"] == "value" else [n]
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

# The walk is bounded whatever happens: a regression would be cut here
# rather than fill the disk.
LIMIT=1000000
current="dial inspect deep.dial --tree"
"$DIAL" inspect "$TMP/deep.dial" --tree 2>"$TMP/err" | head -c $LIMIT >"$TMP/out"
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "exit status ${PIPESTATUS[0]}; stderr: $(cat "$TMP/err")"
[[ ! -s "$TMP/err" ]] || fail "stderr: $(cat "$TMP/err")"
size=$(wc -c <"$TMP/out")
((size < 20000)) || fail "$size bytes of rules for 64 levels"
passed=$((passed + 1))
has "# 200001 nodes, 100001 leaves, depth 100000"
has "# the rules stop at depth 64: a line '... N more nodes' stands for each deeper subtree ('dial inspect --json' lists every node)"
# 64 splits, each with its leaf and its else, then the cut
has_line "^ {128}\.\.\. 199873 more nodes \(99937 leaves, 99936 levels\) not shown$"
[[ $(grep -c '^ *if petal_length <= ' "$TMP/out") -eq 64 ]] || fail "not 64 splits shown"
[[ $(tail -n 1 "$TMP/out") == *"... 199873 more nodes"* ]] || fail "the cut is not the last line"
passed=$((passed + 2))

# A tree of ordinary depth is shown whole, with no word of a cut.
check 0 "" inspect "$TMP/tree.dial" --tree
grep -q "more nodes\|rules stop" "$TMP/out" && fail "an ordinary tree was cut"
passed=$((passed + 1))

finish
