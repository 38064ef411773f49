#!/usr/bin/python3
"""Reference figures for tests/models/test_svm.c.

Run from the repository root with Debian's python (scikit-learn 1.2) and
libsvm-tools (svm-train, svm-scale, svm-predict) installed:

    /usr/bin/python3 tests/models/reference_svm.py

Folds are fixed so both sides see the same rows: row i (0-based, file order)
is in test fold i % 5. LIBSVM's own `svm-train -v 5` shuffles with rand(),
so it cannot be given those folds; instead each fold is trained with
svm-train and scored with svm-predict, and the figure is the mean of the
five fold accuracies (what dial_cv_run reports). `svm-train -v 5` is printed
beside it for orientation.

Scaling: heart_scale is already in [-1, 1] (dial: scale=none). digits is
scaled to [-1, 1] per fold by svm-scale, fitted on the training rows and
applied to the test rows (`-s range` / `-r range`). dial's minmax scales to
[0, 1] instead: x01 = (x11 + 1) / 2, so |x - z|^2 is a quarter and rbf with
gamma on [-1, 1] is rbf with 4 gamma on [0, 1]. The test therefore uses
scale=minmax with 4 gamma. (A feature constant in the training rows: both
give it 0 on the training rows; on a test row svm-scale gives 0 and dial
x - min. Digits has such pixels only where every row is 0.)

SVR: scikit-learn's StandardScaler + SVR on diabetes, rows i % 5 == 0 as the
test set, R^2 on it. SVC: the same split and scaling on iris, wine and
breast_cancer for each kernel: test accuracy, support vectors per class and
the intercepts in LIBSVM's convention (-rho of each pair, class s as +1;
scikit-learn's `_intercept_`, whose public `intercept_` flips the sign for
two classes), and the log loss of probability=True.
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.datasets import load_svmlight_file
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

FOLDS = 5


def write_libsvm(path, x, y):
    with open(path, "w") as f:
        for row, label in zip(x, y):
            items = " ".join(f"{j + 1}:{v:.17g}" for j, v in enumerate(row) if v != 0)
            f.write(f"{label:g} {items}\n")


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def libsvm_accuracy(train, test, c, gamma, work):
    model = os.path.join(work, "model")
    run(["svm-train", "-q", "-c", repr(c), "-g", repr(gamma), train, model])
    out = run(["svm-predict", test, model, os.path.join(work, "pred")])
    return float(re.search(r"Accuracy = ([0-9.]+)%", out).group(1)) / 100


def libsvm_n_sv(train, c, gamma, work):
    model = os.path.join(work, "model")
    run(["svm-train", "-q", "-c", repr(c), "-g", repr(gamma), train, model])
    with open(model) as f:
        return int(re.search(r"total_sv (\d+)", f.read()).group(1))


def scale_pair(train, test, work):
    """svm-scale to [-1, 1] fitted on train, applied to both."""
    rng = os.path.join(work, "range")
    scaled_train, scaled_test = train + ".scaled", test + ".scaled"
    with open(scaled_train, "w") as f:
        f.write(run(["svm-scale", "-l", "-1", "-u", "1", "-s", rng, train]))
    with open(scaled_test, "w") as f:
        f.write(run(["svm-scale", "-r", rng, test]))
    return scaled_train, scaled_test


def cv_figures(name, x, y, settings, scale):
    n = len(y)
    with tempfile.TemporaryDirectory() as work:
        for c, gamma in settings:
            accs = []
            for fold in range(FOLDS):
                test_rows = np.arange(n) % FOLDS == fold
                train = os.path.join(work, "train")
                test = os.path.join(work, "test")
                write_libsvm(train, x[~test_rows], y[~test_rows])
                write_libsvm(test, x[test_rows], y[test_rows])
                if scale:
                    train, test = scale_pair(train, test, work)
                accs.append(libsvm_accuracy(train, test, c, gamma, work))
            full = os.path.join(work, "full")
            write_libsvm(full, x, y)
            if scale:
                full, _ = scale_pair(full, full, work)
            n_sv = libsvm_n_sv(full, c, gamma, work)
            v5 = run(["svm-train", "-q", "-v", "5", "-c", repr(c), "-g", repr(gamma), full])
            print(f"{name} C={c:g} gamma={gamma:g}: folds i%5 mean accuracy "
                  f"{np.mean(accs):.6f} (folds {', '.join(f'{a:.4f}' for a in accs)}); "
                  f"full fit total_sv {n_sv}; svm-train -v 5: {v5.strip()}")


def main():
    if not os.path.exists("data/heart_scale.libsvm"):
        sys.exit("run from the repository root")
    x, y = load_svmlight_file("data/heart_scale.libsvm")
    cv_figures("heart_scale", x.toarray(), y, [(1.0, 1 / 13), (32.0, 2.0**-7)], scale=False)

    digits = pd.read_csv("data/digits.csv")
    xd = digits.drop(columns=["digit"]).to_numpy(float)
    yd = digits["digit"].to_numpy()
    cv_figures("digits [-1,1]", xd, yd, [(2.0, 2.0**-5), (8.0, 2.0**-3)], scale=True)

    diabetes = pd.read_csv("data/diabetes.csv")
    xr = diabetes.drop(columns=["progression"]).to_numpy(float)
    yr = diabetes["progression"].to_numpy(float)
    test = np.arange(len(yr)) % 5 == 0
    scaler = StandardScaler().fit(xr[~test])
    for knobs in [dict(C=100.0, epsilon=0.1), dict(C=1000.0, epsilon=10.0),
                  dict(C=10.0, epsilon=1.0, kernel="linear")]:
        model = SVR(**knobs).fit(scaler.transform(xr[~test]), yr[~test])
        r2 = r2_score(yr[test], model.predict(scaler.transform(xr[test])))
        print(f"diabetes SVR {knobs}: R^2 {r2:.6f}, n_support {model.support_.size}")

    for name, target in [("iris", "species"), ("wine", "cultivar"),
                         ("breast_cancer", "diagnosis")]:
        frame = pd.read_csv(f"data/{name}.csv")
        yc = frame[target].astype(str).to_numpy()
        xc = frame.drop(columns=[target]).to_numpy(float)
        test = np.arange(len(yc)) % 5 == 0
        scaler = StandardScaler().fit(xc[~test])
        x_train, x_test = scaler.transform(xc[~test]), scaler.transform(xc[test])
        for knobs in [dict(), dict(kernel="linear"), dict(kernel="poly", coef0=1.0),
                      dict(kernel="sigmoid", gamma=0.01), dict(class_weight="balanced")]:
            model = SVC(**knobs).fit(x_train, yc[~test])
            acc = accuracy_score(yc[test], model.predict(x_test))
            print(f"{name} SVC {knobs}: accuracy {acc:.6f}, n_support "
                  f"{model.n_support_.tolist()}, -rho {np.round(model._intercept_, 6).tolist()}")
        model = SVC(probability=True, random_state=0).fit(x_train, yc[~test])
        loss = log_loss(yc[test], model.predict_proba(x_test), labels=model.classes_)
        print(f"{name} SVC probability=True: log loss {loss:.6f}")


if __name__ == "__main__":
    main()
