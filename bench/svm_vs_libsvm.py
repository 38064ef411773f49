#!/usr/bin/python3
"""dial's svm against LIBSVM (svm-train) and scikit-learn's SVC on satimage.

    cmake --build build --target dial
    /usr/bin/python3 bench/svm_vs_libsvm.py [build/dial] [DATA_DIR] [--repeats N]

satimage (6435 x 36, 6 classes; DATA_DIR defaults to /work/shared/data or
../shared/data) is scaled to [-1, 1] with the minimum and maximum of every
row, as svm-scale does, and written once to a temporary CSV (for dial) and a
LIBSVM file (for svm-train); scikit-learn gets the same matrix. All three
use C=8, gamma=0.5 (rbf) and the default tolerance 1e-3 and shrinking; dial
runs with scale=none on the scaled file.

Two tasks, each timed as the best of --repeats runs (default 3):

  fit  one fit on every row. dial: the `dial fit` command (reading the CSV,
       fitting, scoring the training rows and saving the model), and the fit
       alone as dial reports it (fit_seconds). LIBSVM: the `svm-train`
       command (reading, fitting, saving). scikit-learn: SVC.fit in-process.
       Accuracy: on the training rows; also the number of support vectors.
  cv   5-fold cross-validation. dial: `dial cv --folds 5` (stratified,
       shuffled with seed 0), LIBSVM: `svm-train -v 5` (its own stratified
       shuffle), scikit-learn: cross_val_score with StratifiedKFold(5,
       shuffle=True, random_state=0). The folds differ, so the accuracies
       agree to the noise of the split (a few tenths of a point).

Threads: dial gets --jobs 2 (pairs of classes, or folds, in parallel).
svm-train and scikit-learn's SVC are single-threaded. The ratio printed is
dial's time over the faster of the other two (below 1: dial is faster).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

C, GAMMA = 8.0, 0.5


def data_dir(given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ["/work/shared/data", os.path.join(here, "..", "..", "shared", "data")]:
        if os.path.exists(os.path.join(candidate, "satimage.csv")):
            return candidate
    sys.exit("satimage.csv not found; pass DATA_DIR")


def best_of(repeats, run):
    """Runs run() repeats times; returns the smallest time and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def command(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dial", nargs="?", default="build/dial")
    parser.add_argument("data_dir", nargs="?", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    frame = pd.read_csv(os.path.join(data_dir(args.data_dir), "satimage.csv"))
    labels = frame["classes"].astype(str).to_numpy()
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    x = frame.drop(columns=["classes"]).to_numpy(float)
    low, high = x.min(axis=0), x.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    x = -1.0 + 2.0 * (x - low) / span

    with tempfile.TemporaryDirectory(prefix="svm-bench-") as work:
        benchmark(args, x, y, frame.columns[:-1], work)


def benchmark(args, x, y, feature_names, work):
    """Writes the scaled data into work, times the three programs, prints the table."""
    csv_path = os.path.join(work, "satimage_scaled.csv")
    svm_path = os.path.join(work, "satimage_scaled.libsvm")
    scaled = pd.DataFrame(x, columns=feature_names)
    scaled["classes"] = y
    scaled.to_csv(csv_path, index=False, float_format="%.17g")
    with open(svm_path, "w") as f:
        for row, label in zip(x, y):
            items = " ".join(f"{j + 1}:{v:.17g}" for j, v in enumerate(row) if v != 0)
            f.write(f"{label} {items}\n")

    rows = []
    knobs = ["-s", "scale=none", "-s", f"C={C:g}", "-s", f"gamma={GAMMA:g}"]

    # ---- one fit -------------------------------------------------------------
    dial_model = os.path.join(work, "sat.dial")
    dial_fit = [args.dial, "fit", "svm", csv_path, "-t", "classes", *knobs, "--jobs", "2",
                "-o", dial_model, "--json"]
    dial_s, out = best_of(args.repeats, lambda: json.loads(command(dial_fit)))
    fit_alone = out["fit_seconds"]
    dial_acc = out["training_score"]
    inspect = json.loads(command([args.dial, "inspect", dial_model, "--json"]))
    dial_sv = None
    for tensor in inspect.get("tensors", []):
        if tensor.get("name") == "n_support":
            dial_sv = int(sum(tensor.get("values", [])))

    libsvm_model = os.path.join(work, "sat.model")
    libsvm_s, _ = best_of(args.repeats, lambda: command(
        ["svm-train", "-q", "-c", repr(C), "-g", repr(GAMMA), svm_path, libsvm_model]))
    with open(libsvm_model) as f:
        libsvm_sv = int(re.search(r"total_sv (\d+)", f.read()).group(1))
    predicted = command(["svm-predict", svm_path, libsvm_model, os.path.join(work, "pred")])
    libsvm_acc = float(re.search(r"Accuracy = ([0-9.]+)%", predicted).group(1)) / 100

    sklearn_s, model = best_of(args.repeats, lambda: SVC(C=C, gamma=GAMMA).fit(x, y))
    sklearn_acc = model.score(x, y)
    sklearn_sv = int(model.n_support_.sum())
    rows.append(("fit (command)", dial_s, libsvm_s, sklearn_s, dial_acc, libsvm_acc, sklearn_acc))
    rows.append(("fit (fit alone)", fit_alone, libsvm_s, sklearn_s, dial_acc, libsvm_acc,
                 sklearn_acc))

    # ---- 5-fold cross-validation ------------------------------------------------
    dial_cv = [args.dial, "cv", "svm", csv_path, "-t", "classes", *knobs, "--folds", "5",
               "--jobs", "2", "--json"]
    dial_cv_s, out = best_of(args.repeats, lambda: json.loads(command(dial_cv)))
    dial_cv_acc = out["mean"]
    libsvm_cv_s, out = best_of(args.repeats, lambda: command(
        ["svm-train", "-q", "-v", "5", "-c", repr(C), "-g", repr(GAMMA), svm_path]))
    libsvm_cv_acc = float(re.search(r"Accuracy = ([0-9.]+)%", out).group(1)) / 100
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    sklearn_cv_s, scores = best_of(args.repeats, lambda: cross_val_score(
        SVC(C=C, gamma=GAMMA), x, y, cv=folds))
    rows.append(("5-fold cv", dial_cv_s, libsvm_cv_s, sklearn_cv_s, dial_cv_acc, libsvm_cv_acc,
                 float(np.mean(scores))))

    print(f"satimage {x.shape[0]} x {x.shape[1]} scaled to [-1, 1], rbf C={C:g} gamma={GAMMA:g}, "
          f"best of {args.repeats}")
    print(f"support vectors of the fit: dial {dial_sv}, LIBSVM {libsvm_sv}, "
          f"scikit-learn {sklearn_sv}")
    print()
    print("| task | dial s | LIBSVM s | sklearn s | dial / fastest | dial acc | LIBSVM acc "
          "| sklearn acc |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, d, l, s, da, la, sa in rows:
        print(f"| {name} | {d:.3f} | {l:.3f} | {s:.3f} | {d / min(l, s):.2f} | {da:.4f} "
              f"| {la:.4f} | {sa:.4f} |")


if __name__ == "__main__":
    main()
