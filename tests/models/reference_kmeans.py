#!/usr/bin/python3
"""Reference figures for tests/models/test_kmeans.c (scikit-learn 1.2).

Run with Debian's interpreter:  /usr/bin/python3 tests/models/reference_kmeans.py

Each set is clustered from the same start as the C test: centroid c starts
at row (c * 37 + 5) % n of the raw features (dial's scale=none), one run
(n_init=1), for lloyd and elkan and tol in {1e-4, 0}. Prints the inertia,
the iterations and the adjusted Rand index against the true labels; then
the best inertia of KMeans(k, n_init=10) from k-means++ (random_state 0).

--blobs writes data/blobs.csv (make_blobs, seed 7), the generated set.
"""
import sys

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

SETS = {
    "iris": ("data/iris.csv", "species", 3),
    "wine": ("data/wine.csv", "cultivar", 3),
    "blobs": ("data/blobs.csv", "blob", 4),
}


def write_blobs():
    x, y = make_blobs(n_samples=300, centers=4, n_features=3, cluster_std=3.0, random_state=7)
    frame = pd.DataFrame(np.round(x, 4), columns=["x1", "x2", "x3"])
    frame["blob"] = ["b%d" % label for label in y]
    frame.to_csv("data/blobs.csv", index=False)


def main():
    if "--blobs" in sys.argv:
        write_blobs()
    for name, (path, target, k) in SETS.items():
        frame = pd.read_csv(path)
        truth = frame[target].values
        x = frame.drop(columns=[target]).values.astype(float)
        n = len(x)
        init = x[[(c * 37 + 5) % n for c in range(k)]]
        for algorithm in ("lloyd", "elkan"):
            for tol in (1e-4, 0.0):
                model = KMeans(k, init=init, n_init=1, algorithm=algorithm, tol=tol).fit(x)
                print(name, algorithm, tol, repr(model.inertia_), model.n_iter_,
                      repr(adjusted_rand_score(truth, model.labels_)))
        best = KMeans(k, n_init=10, random_state=0).fit(x)
        print(name, "k-means++ n_init=10", repr(best.inertia_),
              repr(adjusted_rand_score(truth, best.labels_)))


main()
