#!/usr/bin/python3
"""Reference labels for tests/models/test_dbscan.c (scikit-learn 1.2).

Run with Debian's interpreter:  /usr/bin/python3 tests/models/reference_dbscan.py

Prints, per set and metric, DBSCAN's label of every row as one character
(0-9 then a-z; '-' for noise, -1) and the core rows' count. iris and blobs
are clustered on their raw features (dial's scale=none), wine on its
features standardised (StandardScaler: dial's scale=standard).
"""
import string

import pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

CASES = [
    ("data/iris.csv", "species", False, 0.5, 5, "euclidean"),
    ("data/iris.csv", "species", False, 0.8, 4, "manhattan"),
    ("data/wine.csv", "cultivar", True, 2.3, 5, "euclidean"),
    ("data/wine.csv", "cultivar", True, 6.0, 4, "manhattan"),
    ("data/blobs.csv", "blob", False, 2.5, 5, "euclidean"),
    ("data/blobs.csv", "blob", False, 4.0, 5, "manhattan"),
    # border rows within eps of core rows of two clusters, whose label is
    # the first cluster to reach them, not that of their nearest core row
    ("data/iris.csv", "species", False, 0.3, 10, "euclidean"),
    ("data/iris.csv", "species", False, 0.7, 10, "manhattan"),
    ("data/wine.csv", "cultivar", True, 2.5, 8, "euclidean"),
]
DIGITS = string.digits + string.ascii_lowercase

for path, target, scale, eps, min_samples, metric in CASES:
    x = pd.read_csv(path).drop(columns=[target]).values.astype(float)
    if scale:
        x = StandardScaler().fit_transform(x)
    model = DBSCAN(eps=eps, min_samples=min_samples, metric=metric).fit(x)
    text = "".join("-" if label < 0 else DIGITS[label] for label in model.labels_)
    print(path, eps, min_samples, metric, len(model.core_sample_indices_))
    print('"%s"' % text)

# Larger sets, many clusters: the counts and a checksum of the labels,
# sum over rows of (row + 1) * (label + 1), raw features (scale=none).
# letter and digits have whole-number features, so many distances fall
# exactly on eps: the comparison must be scikit-learn's (euclidean: the
# sum of squares against eps^2).
LARGE = [
    ("data/letter_2000.csv", "lettr", 4.0, 5, "euclidean"),
    ("data/letter_2000.csv", "lettr", 8.0, 5, "manhattan"),
    ("data/shuttle_3classes.csv", "Class", 6.0, 5, "euclidean"),
    ("data/digits.csv", "digit", 18.5, 5, "euclidean"),
    ("data/digits.csv", "digit", 80.0, 10, "manhattan"),
]
for path, target, eps, min_samples, metric in LARGE:
    x = pd.read_csv(path).drop(columns=[target]).values.astype(float)
    model = DBSCAN(eps=eps, min_samples=min_samples, metric=metric).fit(x)
    labels = model.labels_
    checksum = sum((i + 1) * (int(label) + 1) for i, label in enumerate(labels))
    print(path, eps, min_samples, metric, "core", len(model.core_sample_indices_), "clusters",
          labels.max() + 1, "noise", int((labels < 0).sum()), "checksum", checksum)
