#!/usr/bin/python3
"""Reference figures for tests/models/test_mlp_sparse.c.

Run with Debian's interpreter (scikit-learn 1.2):
    /usr/bin/python3 tests/models/reference_mlp_sparse.py

scikit-learn's MLPClassifier on the compressed rows of data/heart_scale.libsvm
and data/text_small.libsvm, as load_svmlight_file reads them, unscaled (dial
does not scale sparse data by default), with the split the C tests use: rows
whose 0-based index is a multiple of 5 are the test rows, the others train.
The network is dial's default: one hidden layer of 100 relu units, adam with
learning rate 1e-3, alpha 1e-4, minibatches of 200 (all the rows when fewer),
200 epochs, no early stopping.

dial's generator differs from numpy's, so its initial weights and shuffles
do: the test pins dial's accuracy to the band of scikit-learn's over seeds
0..9, widened by 0.05 on each side.
"""
import warnings

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

for path in ["data/heart_scale.libsvm", "data/text_small.libsvm"]:
    x, y = load_svmlight_file(path)
    test = np.arange(x.shape[0]) % 5 == 0
    scores = []
    for seed in range(10):
        model = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                              alpha=1e-4, batch_size=200, learning_rate_init=1e-3,
                              max_iter=200, random_state=seed)
        model.fit(x[~test], y[~test])
        scores.append(model.score(x[test], y[test]))
    print(f"{path}: {x.shape[0]} x {x.shape[1]}, {(~test).sum()} training rows, "
          f"{test.sum()} test rows; accuracy mean {np.mean(scores):.4f} "
          f"min {np.min(scores):.4f} max {np.max(scores):.4f}")
