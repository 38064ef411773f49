#!/usr/bin/python3
"""dial's gbdt against XGBoost 1.7 (tree_method=hist), in the same run.

    cmake --build build --target dial
    /usr/bin/python3 bench/gbdt_vs_xgboost.py [build/dial] [DATA_DIR] [--repeats N] [--fashion]

letter (20,000 x 16, 26 classes, target lettr; DATA_DIR defaults to
/work/shared/data or ../shared/data), 5-fold cross-validation with
n_estimators=100, max_depth=6, learning_rate=0.3 on both sides, 2 threads:

  dial     `dial cv gbdt letter.csv --target lettr --folds 5 --jobs 2 -s ...`
           (stratified, shuffled with seed 0); the wall time of the whole
           command, reading the CSV included (a few milliseconds).
  XGBoost  XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.3,
           tree_method="hist", n_jobs=2), fit and predict on each fold of
           StratifiedKFold(5, shuffle=True, random_state=0), folds one after
           another; the CSV is read before the clock starts.

Both use their defaults otherwise (lambda 1, min_child_weight 1, 256 bins).
The folds differ (each side shuffles its own way), so the accuracies agree
to the noise of the split. Runs alternate (dial, XGBoost, dial, ...) so that
a busy machine slows both alike; the script prints every time, the best and
the median of each, the ratio dial / XGBoost of the best times (below 1:
dial is faster), and the mean accuracies.

--fashion adds Fashion-MNIST (60,000 x 784 training images, 10,000 test
images, 10 classes; DATA_DIR/fashion_mnist/*-ubyte.gz): one fit with 50
rounds, max_depth=6, learning_rate=0.3, 2 threads, then the test accuracy.
dial: `dial fit` then `dial predict` on CSV files written once beforehand
(the time includes parsing them, as the XGBoost figure in the data README
does not); XGBoost: fit and predict in-process on the arrays. It takes
minutes.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.model_selection import StratifiedKFold

KNOBS = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3}


def data_dir(given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ["/work/shared/data", os.path.join(here, "..", "..", "shared", "data")]:
        if os.path.exists(os.path.join(candidate, "letter.csv")):
            return candidate
    sys.exit("letter.csv not found; pass DATA_DIR")


def run_dial_cv(dial, path):
    args = [dial, "cv", "gbdt", path, "--target", "lettr", "--folds", "5", "--jobs", "2",
            "--json"]
    for name, value in KNOBS.items():
        args += ["-s", f"{name}={value}"]
    start = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(out)["mean"]


def run_xgboost_cv(x, y):
    start = time.perf_counter()
    scores = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        model = xgb.XGBClassifier(tree_method="hist", n_jobs=2, **KNOBS)
        model.fit(x[train], y[train])
        scores.append(float((model.predict(x[test]) == y[test]).mean()))
    return time.perf_counter() - start, float(np.mean(scores))


def letter(dial, directory, repeats):
    path = os.path.join(directory, "letter.csv")
    frame = pd.read_csv(path)
    y = frame["lettr"].astype("category").cat.codes.to_numpy()
    x = frame.drop(columns=["lettr"]).to_numpy(dtype=float)
    dial_times, xgb_times = [], []
    dial_accuracy = xgb_accuracy = None
    for r in range(repeats):
        seconds, dial_accuracy = run_dial_cv(dial, path)
        dial_times.append(seconds)
        print(f"  run {r + 1}: dial    {seconds:7.2f} s  accuracy {dial_accuracy:.4f}", flush=True)
        seconds, xgb_accuracy = run_xgboost_cv(x, y)
        xgb_times.append(seconds)
        print(f"  run {r + 1}: XGBoost {seconds:7.2f} s  accuracy {xgb_accuracy:.4f}", flush=True)
    print()
    print("| letter, 5-fold CV, 100 rounds, depth 6, eta 0.3, 2 threads | best s | median s "
          "| accuracy |")
    print("|---|---:|---:|---:|")
    print(f"| dial gbdt | {min(dial_times):.2f} | {statistics.median(dial_times):.2f} "
          f"| {dial_accuracy:.4f} |")
    print(f"| XGBoost {xgb.__version__} hist | {min(xgb_times):.2f} "
          f"| {statistics.median(xgb_times):.2f} | {xgb_accuracy:.4f} |")
    print(f"ratio dial / XGBoost (best times): {min(dial_times) / min(xgb_times):.2f}")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(dial, directory):
    base = os.path.join(directory, "fashion_mnist")
    x_train = read_idx(os.path.join(base, "train-images-idx3-ubyte.gz")).reshape(60000, -1)
    y_train = read_idx(os.path.join(base, "train-labels-idx1-ubyte.gz"))
    x_test = read_idx(os.path.join(base, "t10k-images-idx3-ubyte.gz")).reshape(10000, -1)
    y_test = read_idx(os.path.join(base, "t10k-labels-idx1-ubyte.gz"))
    knobs = {"n_estimators": 50, "max_depth": 6, "learning_rate": 0.3}
    with tempfile.TemporaryDirectory() as tmp:
        columns = [f"p{i}" for i in range(x_train.shape[1])]
        train_csv, test_csv = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
        frame = pd.DataFrame(x_train, columns=columns)
        frame.insert(0, "label", y_train)
        frame.to_csv(train_csv, index=False)
        pd.DataFrame(x_test, columns=columns).to_csv(test_csv, index=False)
        model, predictions = os.path.join(tmp, "f.dial"), os.path.join(tmp, "p.csv")
        args = [dial, "fit", "gbdt", train_csv, "--target", "label", "--jobs", "2", "-o", model]
        for name, value in knobs.items():
            args += ["-s", f"{name}={value}"]
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        subprocess.run([dial, "predict", model, test_csv, "--jobs", "2", "-o", predictions],
                       check=True, capture_output=True)
        dial_seconds = time.perf_counter() - start
        dial_accuracy = float((pd.read_csv(predictions)["label"].to_numpy() == y_test).mean())
    start = time.perf_counter()
    clf = xgb.XGBClassifier(tree_method="hist", n_jobs=2, **knobs)
    clf.fit(x_train, y_train)
    xgb_accuracy = float((clf.predict(x_test) == y_test).mean())
    xgb_seconds = time.perf_counter() - start
    print()
    print("| Fashion-MNIST, 50 rounds, depth 6, eta 0.3, 2 threads | s | test accuracy |")
    print("|---|---:|---:|")
    print(f"| dial gbdt (fit + predict, CSV parsing included) | {dial_seconds:.1f} "
          f"| {dial_accuracy:.4f} |")
    print(f"| XGBoost {xgb.__version__} hist (in-process) | {xgb_seconds:.1f} "
          f"| {xgb_accuracy:.4f} |")
    print(f"ratio dial / XGBoost: {dial_seconds / xgb_seconds:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dial", nargs="?", default="build/dial")
    parser.add_argument("data_dir", nargs="?", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fashion", action="store_true")
    args = parser.parse_args()
    directory = data_dir(args.data_dir)
    print(f"letter: 5-fold cross-validation, {args.repeats} alternating runs of each")
    letter(args.dial, directory, args.repeats)
    if args.fashion:
        fashion(args.dial, directory)


if __name__ == "__main__":
    main()
