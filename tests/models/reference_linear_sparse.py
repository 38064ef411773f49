#!/usr/bin/python3
"""Reference figures for tests/models/test_linear_sparse.c: scikit-learn
1.2's Ridge and ElasticNet fitted on the CSR rows of data/text_small.libsvm
(word counts, the label 1..5 as the value to predict), scored by r2 on
held-out rows.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 tests/models/reference_linear_sparse.py

The split is the C test's: rows whose 0-based index is a multiple of 5 are
the test rows, the others train. dial's linear alpha=a, l1_ratio=0 is
Ridge(alpha=a * n_train); l1_ratio=r > 0 is ElasticNet(alpha=a,
l1_ratio=r). Each is the optimum, not a solver's stopping point: Ridge
by Cholesky on the rows made dense (its sparse_cg, even at tol 1e-14, stops
7e-5 from it, relative to the largest weight), ElasticNet run to tol
1e-12.
"""
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import ElasticNet, Ridge
from sklearn.metrics import r2_score

x, y = load_svmlight_file("data/text_small.libsvm")
test = np.arange(x.shape[0]) % 5 == 0
x_train, y_train, x_test, y_test = x[~test], y[~test], x[test], y[test]
n = x_train.shape[0]
models = [
    ("alpha=0.01 l1_ratio=0", Ridge(alpha=0.01 * n, solver="cholesky")),
    ("alpha=0.01 l1_ratio=0.5", ElasticNet(alpha=0.01, l1_ratio=0.5, tol=1e-12, max_iter=100000)),
    ("alpha=0.01 l1_ratio=1", ElasticNet(alpha=0.01, l1_ratio=1, tol=1e-12, max_iter=100000)),
]
for name, model in models:
    dense = isinstance(model, Ridge)
    model.fit(x_train.toarray() if dense else x_train, y_train)
    predicted = model.predict(x_test.toarray() if dense else x_test)
    print(f"{name}: r2 {r2_score(y_test, predicted):.10f}, "
          f"{int(np.sum(model.coef_ != 0))} nonzero weights, intercept {model.intercept_:.10f}")
