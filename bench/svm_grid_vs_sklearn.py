#!/usr/bin/python3
"""The LIBSVM guide's grid search of an rbf SVM: `dial tune svm` against
scikit-learn's GridSearchCV on the same grid and folds, and LIBSVM's own
svm-grid, in the same run.

usage: /usr/bin/python3 bench/svm_grid_vs_sklearn.py DIAL TUNE_FOLDS [DATA]
           [--target digit] [--jobs 2] [--no-svm-grid]

DIAL is the dial program (build/dial), TUNE_FOLDS the tune_folds program
(build/tune_folds); DATA is the CSV (default data/digits.csv next to this
script), target column --target.

The grid is the guide's (Hsu, Chang and Lin, A Practical Guide to Support
Vector Classification): log2 C = -5, -3, ..., 15 and log2 gamma = 3, 1, ...,
-15, 110 points, each scored by 5-fold cross-validated accuracy. The
features are scaled to [-1, 1] over all rows first, as svm-scale does (a
constant feature becomes 0), into a CSV in a temporary directory; every
side reads that file, so the guide's gammas apply as they are.

dial, timed as the whole command a user types:

    dial tune svm SCALED.csv --target T --sampler grid -s scale=none
        --space C=0.03125,0.125,...,32768 --space gamma=8,2,...,3.0517578125e-05
        --cv 5 --jobs 2 --quiet --json

The lists of numbers are searched as those values exactly, so both sides
see the same 110 points. dial prepares each fold once per gamma (the Gram
matrix of its training rows and the kernel of its test rows) and solves
every C from it (svm's prepare_fold / predict_fold).

scikit-learn, timed around GridSearchCV.fit only (reading the CSV is not
timed, which only favours it):

    GridSearchCV(SVC(), {"C": 2^-5..2^15, "gamma": 2^3..2^-15},
                 cv=PredefinedSplit(folds), n_jobs=2, scoring="accuracy")

The folds are literally dial's: tune_folds builds the objective `dial tune
--cv 5 --seed 0` builds and prints the test fold of every row, which
PredefinedSplit takes as is.

svm-grid (libsvm-tools), timed as a command, runs svm-train -v 5 on each
point with its own random folds (it cannot take given ones), on the scaled
rows written in LIBSVM's format; its best accuracy is therefore on other
folds.

Prints the times, the ratios, the best CV accuracies with their C and gamma,
and a JSON line with every figure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.svm import SVC

GOAL = 10.0  # dial at least this many times faster than scikit-learn
ACCURACY_GAP = 0.003  # best CV accuracies within 0.3 points

LOG2_C = list(range(-5, 16, 2))
LOG2_GAMMA = list(range(3, -16, -2))


def default_data():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "data", "digits.csv")


def scale_to_pm1(frame, target):
    """Every feature linearly to [-1, 1] over all rows (constant ones: 0)."""
    y = frame[target]
    x = frame.drop(columns=target).astype(float)
    low, high = x.min(), x.max()
    scaled = pd.DataFrame(index=x.index)
    for column in x.columns:
        span = high[column] - low[column]
        scaled[column] = 0.0 if span == 0 else 2 * (x[column] - low[column]) / span - 1
    scaled[target] = y
    return scaled


def write_libsvm(frame, target, path):
    labels = frame[target].to_numpy()
    x = frame.drop(columns=target).to_numpy(dtype=float)
    with open(path, "w") as out:
        for label, row in zip(labels, x):
            items = " ".join("%d:%.17g" % (j + 1, v) for j, v in enumerate(row) if v != 0)
            out.write("%s %s\n" % (label, items))


def number_list(exponents):
    return ",".join(repr(2.0 ** e) for e in exponents)


def dial_command(dial, path, target, jobs):
    return [dial, "tune", "svm", path, "--target", target, "--sampler", "grid",
            "-s", "scale=none", "--space", "C=" + number_list(LOG2_C),
            "--space", "gamma=" + number_list(LOG2_GAMMA), "--cv", "5",
            "--jobs", str(jobs), "--quiet", "--json"]


def run_dial(dial, path, target, jobs):
    command = dial_command(dial, path, target, jobs)
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    return seconds, json.loads(output), command


def run_sklearn(frame, target, folds, jobs):
    y = frame[target].to_numpy()
    x = frame.drop(columns=target).to_numpy(dtype=float)
    grid = {"C": [2.0 ** e for e in LOG2_C], "gamma": [2.0 ** e for e in LOG2_GAMMA]}
    search = GridSearchCV(SVC(), grid, cv=PredefinedSplit(folds), n_jobs=jobs,
                          scoring="accuracy")
    start = time.perf_counter()
    search.fit(x, y)
    seconds = time.perf_counter() - start
    return seconds, search


def run_svm_grid(path):
    """svm-grid on the LIBSVM file: (seconds, best accuracy, C, gamma)."""
    command = ["svm-grid", "-svmtrain", "/usr/bin/svm-train", "-log2c", "-5,15,2", "-log2g",
               "3,-15,-2", "-v", "5",
               "-gnuplot", "null", "-out", "null", path]
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    # its last line: "C gamma rate", rate in percent
    c, gamma, rate = (float(v) for v in output.strip().splitlines()[-1].split())
    return seconds, rate / 100, c, gamma, command


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial")
    parser.add_argument("tune_folds")
    parser.add_argument("data", nargs="?", default=default_data())
    parser.add_argument("--target", default="digit")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-svm-grid", action="store_true", help="skip LIBSVM's svm-grid")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        frame = scale_to_pm1(pd.read_csv(args.data), args.target)
        scaled = os.path.join(directory, "scaled.csv")
        frame.to_csv(scaled, index=False, float_format="%.17g")
        output = subprocess.run([args.tune_folds, scaled, args.target, "5", "0"], check=True,
                                capture_output=True, text=True).stdout
        folds = np.array([int(line) for line in output.split()])
        if folds.min() < 0 or len(set(folds.tolist())) != 5:
            sys.exit("tune_folds gave an incomplete fold assignment")

        dial_seconds, summary, command = run_dial(args.dial, scaled, args.target, args.jobs)
        sk_seconds, search = run_sklearn(frame, args.target, folds, args.jobs)
        grid = None
        if not args.no_svm_grid:
            libsvm_path = os.path.join(directory, "scaled.libsvm")
            write_libsvm(frame, args.target, libsvm_path)
            grid = run_svm_grid(libsvm_path)

    dial_best = summary["best_value"]
    dial_c, dial_gamma = summary["best_knobs"]["C"], summary["best_knobs"]["gamma"]
    sk_best = float(search.best_score_)
    sk_c, sk_gamma = search.best_params_["C"], search.best_params_["gamma"]
    ratio = sk_seconds / dial_seconds

    print("data: %s (%d rows, %d features) scaled to [-1, 1]; %d x %d grid (log2 C %d..%d, "
          "log2 gamma %d..%d), 5 folds (dial's, by tune_folds), %d jobs" %
          (os.path.basename(args.data), len(folds), search.n_features_in_, len(LOG2_C),
           len(LOG2_GAMMA), LOG2_C[0], LOG2_C[-1], LOG2_GAMMA[0], LOG2_GAMMA[-1], args.jobs))
    print("scikit-learn %s, numpy %s, Python %s" %
          (sklearn.__version__, np.__version__, sys.version.split()[0]))
    print("dial: %s" % " ".join(os.path.basename(c) if i == 0 else c
                                 for i, c in enumerate(command)))
    if grid:
        print("svm-grid: %s" % " ".join(grid[4][:-1] + ["scaled.libsvm"]))
    print()
    print("%-14s %10s %12s %12s %16s" % ("", "seconds", "best CV acc", "C", "gamma"))
    print("%-14s %10.3f %12.6f %12g %16g" % ("dial", dial_seconds, dial_best, dial_c,
                                              dial_gamma))
    print("%-14s %10.3f %12.6f %12g %16g" % ("scikit-learn", sk_seconds, sk_best, sk_c,
                                              sk_gamma))
    if grid:
        print("%-14s %10.3f %12.6f %12g %16g   (its own random folds)" %
              ("svm-grid", grid[0], grid[1], grid[2], grid[3]))
    else:
        print("svm-grid: skipped (--no-svm-grid)")
    print()
    gap = dial_best - sk_best
    print("dial is %.1fx faster than scikit-learn (goal %.0fx): %s" %
          (ratio, GOAL, "met" if ratio >= GOAL else "NOT met"))
    if grid:
        print("dial is %.1fx faster than svm-grid" % (grid[0] / dial_seconds))
    print("best CV accuracy: dial - scikit-learn = %+.4f points (goal within %.1f): %s" %
          (100 * gap, 100 * ACCURACY_GAP, "met" if abs(gap) <= ACCURACY_GAP else "NOT met"))

    figures = {"data": os.path.basename(args.data), "rows": int(len(folds)),
               "jobs": args.jobs, "dial_seconds": dial_seconds, "sklearn_seconds": sk_seconds,
               "ratio": ratio, "dial_best": dial_best, "dial_best_C": dial_c,
               "dial_best_gamma": dial_gamma, "sklearn_best": sk_best, "sklearn_best_C": sk_c,
               "sklearn_best_gamma": sk_gamma}
    if grid:
        figures.update({"svm_grid_seconds": grid[0], "svm_grid_best": grid[1],
                        "svm_grid_best_C": grid[2], "svm_grid_best_gamma": grid[3]})
    print()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
