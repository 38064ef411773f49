#!/usr/bin/python3
"""Writes a copy of a model file whose drift reference was changed by one
Python statement on its JSON (`r` is the header's "drift_reference"), with
the frame and checksum made right, so the reader's own checks of the
reference are what refuses it (tests/cli/test_drift.sh).

    drift_corrupt.py IN.dial OUT.dial 'r["features"][0]["edges"].reverse()'
"""
import json
import struct
import sys


def crc64_xz(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xC96C5795D7870F42 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def main(source, target, statement):
    data = open(source, "rb").read()
    length = struct.unpack("<Q", data[17:25])[0]
    start = (25 + length + 63) // 64 * 64
    header = json.loads(data[25:25 + length])
    tensors = data[start:len(data) - 8]
    r = header["drift_reference"]
    exec(statement, {"r": r, "header": header})
    text = json.dumps(header, indent=2).encode()
    new_start = (25 + len(text) + 63) // 64 * 64
    out = data[:17] + struct.pack("<Q", len(text)) + text
    out += b"\0" * (new_start - len(out)) + tensors
    out += struct.pack("<Q", crc64_xz(out))
    open(target, "wb").write(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
