#!/usr/bin/python3
"""Reference figures for tests/models/test_gbdt_sparse.c: XGBoost (hist)
on the same compressed rows dial reads, absent entries being XGBoost's
missing values (its sparsity-aware default directions).

Run from the repository root with Debian's interpreter (python3-xgboost):
    /usr/bin/python3 tests/models/reference_gbdt_sparse.py

The split is the C tests': rows whose 0-based index is a multiple of 5 are
the test rows, the others train. Knobs on both sides: tree_method=hist,
max_bin=256, reg_lambda=1, min_child_weight=1, 2 threads, and
  heart_scale  (labels -1/+1, 13 features)  30 rounds, depth 4, eta 0.3
  text_small   (5 classes, word counts)     30 rounds, depth 4, eta 0.3
"""
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_svmlight_file


def accuracy(path, rounds, depth, eta):
    x, y = load_svmlight_file(path)
    y = np.unique(y, return_inverse=True)[1]
    test = np.arange(x.shape[0]) % 5 == 0
    model = xgb.XGBClassifier(tree_method="hist", max_bin=256, n_estimators=rounds,
                              max_depth=depth, learning_rate=eta, reg_lambda=1,
                              min_child_weight=1, n_jobs=2)
    model.fit(x[~test], y[~test])
    return float(np.mean(model.predict(x[test]) == y[test]))


print("heart_scale accuracy %.6f" % accuracy("data/heart_scale.libsvm", 30, 4, 0.3))
print("text_small accuracy %.6f" % accuracy("data/text_small.libsvm", 30, 4, 0.3))
