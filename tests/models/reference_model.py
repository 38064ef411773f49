#!/usr/bin/python3
"""Reference figures for tests/models/test_model.c, computed independently of
dial. Run from the repository root:
/usr/bin/python3 tests/models/reference_model.py

1. The data fingerprint of dial_model_fit: 64-bit FNV-1a over, row by row,
   each feature value, then the target (a class label as text, a regression
   value as a number). A number (-0 as +0) is one step on its 64-bit pattern
   followed by h ^= h >> 32; a missing value the same on 0x7ff8000000000001;
   text byte-wise steps over byte 2, the UTF-8 text and byte 0.
2. The test's "class mean" family is a nearest centroid classifier on the
   preprocessed inputs, which is scikit-learn's NearestCentroid after dial's
   pipeline (SimpleImputer -> OneHotEncoder -> StandardScaler); the number of
   training rows it classifies right is the reference."""
import struct

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.neighbors import NearestCentroid
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FNV_OFFSET, FNV_PRIME, MASK = 14695981039346656037, 1099511628211, (1 << 64) - 1


def fnv(h, data):
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK
    return h


def fnv_word(h, word):
    h = ((h ^ word) * FNV_PRIME) & MASK
    return h ^ (h >> 32)


def hash_value(h, v, categorical):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return fnv_word(h, 0x7FF8000000000001)
    if categorical:
        return fnv(h, b"\x02" + str(v).encode() + b"\x00")
    v = float(v)
    return fnv_word(h, struct.unpack("<Q", struct.pack("<d", 0.0 if v == 0 else v))[0])


def fingerprint(frame, target, classification):
    h = FNV_OFFSET
    features = [c for c in frame.columns if c != target]
    kinds = {c: frame[c].dtype == object for c in frame.columns}
    for row in frame.itertuples(index=False):
        values = dict(zip(frame.columns, row))
        for c in features:
            h = hash_value(h, values[c], kinds[c])
        h = hash_value(h, values[target], classification)
    return h


def design(frame):
    blocks = []
    for c in frame.columns:
        column = frame[[c]]
        if frame[c].dtype == object:
            levels = [v for v in frame[c].unique() if isinstance(v, str)]
            filled = SimpleImputer(strategy="most_frequent").fit_transform(column)
            blocks.append(OneHotEncoder(categories=[levels], sparse_output=False)
                          .fit_transform(filled))
        else:
            blocks.append(SimpleImputer(strategy="mean").fit_transform(column.astype(float)))
    return StandardScaler().fit_transform(np.hstack(blocks))


for name, target in [("iris", "species"), ("credit_data", "Status"), ("diabetes", "progression")]:
    frame = pd.read_csv(f"data/{name}.csv", float_precision="round_trip")
    classification = frame[target].dtype == object
    print(f"{name}: fingerprint 0x{fingerprint(frame, target, classification):016x}ull")
    if classification:
        x = design(frame.drop(columns=[target]))
        y = frame[target].to_numpy()
        right = int((NearestCentroid().fit(x, y).predict(x) == y).sum())
        print(f"  nearest centroid classifies {right} of {len(y)} training rows right")
    else:
        print(f"  mean of the target {frame[target].mean():.17g}")
