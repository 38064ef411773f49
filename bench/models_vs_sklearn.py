#!/usr/bin/python3
"""Times dial's models against their scikit-learn equivalents.

usage: /usr/bin/python3 bench/models_vs_sklearn.py BENCH_MODELS [DATA_DIR] [--repeats N]

BENCH_MODELS is the bench_models program (build/bench_models); DATA_DIR holds
the benchmark CSV files (default /work/shared/data, else ../shared/data next
to the repository). For every case both sides see the same rows: the test
set is every fifth row (index % 5 == 0), the rest is the training set. Each
side is timed as the best of N repeats (default 3) of fit + predict on those
rows; loading the CSV is not timed. dial runs with a budget of 2 threads;
scikit-learn runs with its defaults. See bench/README.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# (dial model, dataset file, target column)
CASES = [
    ("logistic", "letter", "lettr"),
    ("naive_bayes", "letter", "lettr"),
    ("knn", "letter", "lettr"),
    ("logistic", "digits", "digit"),
    ("naive_bayes", "digits", "digit"),
    ("knn", "digits", "digit"),
    ("logistic", "breast_cancer", "diagnosis"),
    ("naive_bayes", "breast_cancer", "diagnosis"),
    ("knn", "breast_cancer", "diagnosis"),
    ("linear", "diabetes", "progression"),
    ("knn", "diabetes", "progression"),
]

REGRESSION_TARGETS = {"progression"}


def sklearn_model(model, regression):
    """The scikit-learn estimator with dial's defaults: dial scales features
    (standard) by default for linear, logistic and knn, not for naive_bayes."""
    if model == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100))
    if model == "naive_bayes":
        return GaussianNB()
    if model == "knn":
        estimator = KNeighborsRegressor(5) if regression else KNeighborsClassifier(5)
        return make_pipeline(StandardScaler(), estimator)
    if model == "linear":
        return make_pipeline(StandardScaler(), LinearRegression())
    raise ValueError(f"no scikit-learn equivalent for {model}")


def run_sklearn(model, path, target, repeats):
    frame = pd.read_csv(path)
    y = frame[target].to_numpy()
    x = frame.drop(columns=target).to_numpy(dtype=float)
    test = np.arange(len(frame)) % 5 == 0
    regression = target in REGRESSION_TARGETS
    best = None
    for _ in range(repeats):
        estimator = sklearn_model(model, regression)
        start = time.perf_counter()
        estimator.fit(x[~test], y[~test])
        predicted = estimator.predict(x[test])
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    score = r2_score(y[test], predicted) if regression else accuracy_score(y[test], predicted)
    return best, score


def run_dial(program, model, path, target, repeats):
    done = subprocess.run([program, model, path, target, str(repeats)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"exit status {done.returncode}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["fit_predict_seconds"], result["score"]


def default_data_dir():
    if os.path.isdir("/work/shared/data"):
        return "/work/shared/data"
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "shared", "data")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bench_models", help="path to the bench_models program")
    parser.add_argument("data_dir", nargs="?", default=default_data_dir())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import warnings
    warnings.simplefilter("ignore")  # LogisticRegression's max_iter warning on letter

    print(f"dial bench_models vs scikit-learn {sklearn.__version__}; best of {args.repeats} "
          f"fit+predict; test = rows with index % 5 == 0")
    header = f"{'model':<12} {'dataset':<14} {'dial s':>9} {'sklearn s':>10} {'ratio':>7} " \
             f"{'dial score':>11} {'sklearn score':>14}"
    print(header)
    print("-" * len(header))
    failures = 0
    for model, dataset, target in CASES:
        path = os.path.join(args.data_dir, dataset + ".csv")
        sk_seconds, sk_score = run_sklearn(model, path, target, args.repeats)
        try:
            dial_seconds, dial_score = run_dial(args.bench_models, model, path, target,
                                                args.repeats)
        except (RuntimeError, OSError, ValueError, KeyError) as error:
            failures += 1
            print(f"{model:<12} {dataset:<14} {'failed':>9} {sk_seconds:>10.4f} {'':>7} "
                  f"{'':>11} {sk_score:>14.4f}  ({error})")
            continue
        ratio = dial_seconds / sk_seconds if sk_seconds > 0 else float("inf")
        print(f"{model:<12} {dataset:<14} {dial_seconds:>9.4f} {sk_seconds:>10.4f} {ratio:>7.2f} "
              f"{dial_score:>11.4f} {sk_score:>14.4f}")
        sys.stdout.flush()
    print("ratio = dial seconds / sklearn seconds (below 1: dial is faster); "
          "score = accuracy, or r2 on diabetes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
