#!/usr/bin/python3
"""Reference figures for tests/models/test_gmm.c (scikit-learn 1.2).

Run with Debian's interpreter:  /usr/bin/python3 tests/models/reference_gmm.py

Each set's raw features (dial's scale=none) are fitted from the start the C
test gives: equal weights, component c's mean at row (c * 37 + 5) % n, and
every covariance the diagonal matrix of the columns' variances (for
spherical, their mean). Prints, per covariance type, the lower bound (the
mean log-likelihood of the last EM step), the iterations and the mean
log-likelihood of the rows under the final mixture; then, on iris, the
mixture's bic and aic on its training rows (tests/models/test_gmm.c).
"""
import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

SETS = {
    "iris": ("data/iris.csv", "species", 3),
    "wine": ("data/wine.csv", "cultivar", 3),
    "blobs": ("data/blobs.csv", "blob", 4),
}

for name, (path, target, k) in SETS.items():
    frame = pd.read_csv(path)
    x = frame.drop(columns=[target]).values.astype(float)
    n, d = x.shape
    variances = x.var(axis=0)
    means = x[[(c * 37 + 5) % n for c in range(k)]]
    weights = np.full(k, 1.0 / k)
    for kind in ("full", "tied", "diag", "spherical"):
        if kind == "full":
            precisions = np.array([np.diag(1 / variances)] * k)
        elif kind == "tied":
            precisions = np.diag(1 / variances)
        elif kind == "diag":
            precisions = np.array([1 / variances] * k)
        else:
            precisions = np.full(k, 1 / variances.mean())
        model = GaussianMixture(k, covariance_type=kind, weights_init=weights, means_init=means,
                                precisions_init=precisions).fit(x)
        print(name, kind, repr(model.lower_bound_), model.n_iter_, repr(model.score(x)))
        if name == "iris":
            print(name, kind, "bic", repr(model.bic(x)), "aic", repr(model.aic(x)))
