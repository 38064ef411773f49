#!/usr/bin/python3
"""Reference figures for tests/models/test_linear.c and test_logistic.c.

Run from the repository root with Debian's interpreter (scikit-learn 1.2):

    /usr/bin/python3 tests/models/reference_linear_logistic.py

The split is the one the C tests use: the test rows are those whose 0-based
index is a multiple of 5, the training rows are the others. Features are
standardised with the training rows' mean and population standard deviation
(StandardScaler), which is what dial's scale=standard does.

dial's knobs map onto scikit-learn as follows:
  linear alpha=0                 -> LinearRegression
  linear alpha=a, l1_ratio=0     -> Ridge(alpha=a * n_train)
  linear alpha=a, l1_ratio=r > 0 -> ElasticNet(alpha=a, l1_ratio=r)
  logistic penalty=l2 C=c        -> LogisticRegression(C=c) (lbfgs, multinomial)
  logistic penalty=none          -> LogisticRegression(penalty=None)
  logistic penalty=l1 C=c        -> LogisticRegression(penalty="l1", solver="saga")
For l1 the figure is that of the optimum (saga run to tol 1e-6, 1e-5 on
digits where a tighter one takes minutes), since saga at its default
tolerance stops far from it. The whole script takes about two minutes.
"""
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.preprocessing import StandardScaler

warnings.simplefilter("ignore", ConvergenceWarning)


def load(name, target):
    frame = pd.read_csv("data/%s.csv" % name)
    y = frame[target].to_numpy()
    x = frame.drop(columns=[target]).to_numpy(dtype=float)
    test = np.arange(len(y)) % 5 == 0
    scaler = StandardScaler().fit(x[~test])
    return scaler.transform(x[~test]), y[~test], scaler.transform(x[test]), y[test]


def linear_figures():
    xtr, ytr, xte, yte = load("diabetes", "progression")
    ytr, yte = ytr.astype(float), yte.astype(float)
    n = len(ytr)
    print("diabetes: %d train rows, %d test rows" % (n, len(yte)))
    ols = LinearRegression().fit(xtr, ytr)
    print("  ols r2 %.10f" % r2_score(yte, ols.predict(xte)))
    print("  ols coef {%s}" % ", ".join("%.17g" % c for c in ols.coef_))
    print("  ols intercept %.17g" % ols.intercept_)
    ridge = Ridge(alpha=0.1 * n).fit(xtr, ytr)
    print("  alpha=0.1 l1_ratio=0 r2 %.10f" % r2_score(yte, ridge.predict(xte)))
    print("  ridge coef {%s}" % ", ".join("%.17g" % c for c in ridge.coef_))
    for ratio in (0.5, 1.0):
        enet = ElasticNet(alpha=0.1, l1_ratio=ratio).fit(xtr, ytr)
        print("  alpha=0.1 l1_ratio=%g r2 %.10f" % (ratio, r2_score(yte, enet.predict(xte))))
        tight = ElasticNet(alpha=0.1, l1_ratio=ratio, tol=1e-12, max_iter=100000).fit(xtr, ytr)
        print("  alpha=0.1 l1_ratio=%g optimum coef {%s}"
              % (ratio, ", ".join("%.17g" % c for c in tight.coef_)))


LOGISTIC_SETTINGS = [
    ("l2 C=1", dict(C=1.0)),
    ("l2 C=0.1", dict(C=0.1)),
    ("l2 C=1 balanced", dict(C=1.0, class_weight="balanced")),
    ("none max_iter=10000", dict(penalty=None, max_iter=10000)),
    ("l1 C=1", dict(penalty="l1", solver="saga", C=1.0, tol=1e-6, max_iter=100000)),
]

LOGISTIC_DATA = [
    ("breast_cancer", "diagnosis"),
    ("wine", "cultivar"),
    ("iris", "species"),
    ("digits", "digit"),
]


def logistic_figures():
    for name, target in LOGISTIC_DATA:
        xtr, ytr, xte, yte = load(name, target)
        print("%s: %d train rows, %d test rows" % (name, len(ytr), len(yte)))
        for label, knobs in LOGISTIC_SETTINGS:
            if knobs.get("solver") == "saga" and name == "digits":
                knobs = dict(knobs, tol=1e-5)
            model = LogisticRegression(**knobs).fit(xtr, ytr)
            accuracy = accuracy_score(yte, model.predict(xte))
            loss = log_loss(yte, model.predict_proba(xte), labels=model.classes_)
            print("  %-20s accuracy %.6f log_loss %.6f" % (label, accuracy, loss))


if __name__ == "__main__":
    linear_figures()
    logistic_figures()
