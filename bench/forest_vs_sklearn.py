#!/usr/bin/python3
"""Times dial's forest against scikit-learn's RandomForestClassifier, in one run.

usage: /usr/bin/python3 bench/forest_vs_sklearn.py DIAL [--data DIR] [--jobs N]
                                                   [--trees N] [--repeats N]

DIAL is the dial program of a Release build (e.g. build/dial). The case of
issue 5: letter (20,000 x 16, 26 classes, target lettr; DIR/letter.csv,
default /work/shared/data or ../shared/data beside the repository), 5-fold
stratified cross-validation of a random forest of 100 trees with the
defaults of both sides: every tree grown on a bootstrap sample of the rows
until its leaves are pure, sqrt(16) = 4 features drawn at each node, the
gini criterion.

  dial          the `dial cv forest letter.csv --target lettr --folds 5
                --jobs N -s n_estimators=100` process, reading the CSV
                included (a few milliseconds). dial cv runs the folds in
                parallel over the jobs, one thread per fit; dial also
                computes each fit's out-of-bag score, which scikit-learn
                skips by default.
  scikit-learn  cross_val_score(RandomForestClassifier(n_estimators=100,
                n_jobs=N, random_state=0), ...) on arrays in memory, folds one
                after the other, the trees of a fold on N threads; timed
                inside a child process (reading the CSV not timed), whose CPU
                time is taken from its resource usage when it exits, less
                that of a child that only reads the CSV.

The folds differ (each side shuffles with its own generator) but have the
same sizes and class shares. Prints the wall seconds of each and their
ratio dial / scikit-learn (below 1: dial is faster), the CPU seconds (user +
system, all threads) and their ratio, which a busy machine disturbs less
than wall time, and the mean accuracy of each over the folds.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

FOLDS = 5


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_dial(dial, csv, jobs, trees, repeats):
    command = [dial, "cv", "forest", csv, "--target", "lettr", "--folds", str(FOLDS), "--jobs",
               str(jobs), "-s", f"n_estimators={trees}", "--json"]
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(command, capture_output=True, text=True)
        elapsed, cpu = time.perf_counter() - start, children_cpu() - start_cpu
        if done.returncode != 0:
            sys.exit(f"dial failed: {' '.join(command)}\n{done.stderr}")
        result = json.loads(done.stdout)
        best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
    return best, best_cpu, result["mean"], command


def sklearn_child(csv, jobs, trees, baseline):
    """The scikit-learn side, in a process of its own (see run_sklearn)."""
    frame = pd.read_csv(csv)
    x = frame.drop(columns=["lettr"]).values.astype(float)
    y = frame["lettr"].values
    seconds, accuracy = 0.0, float("nan")
    if not baseline:
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
        model = RandomForestClassifier(n_estimators=trees, n_jobs=jobs, random_state=0)
        start = time.perf_counter()
        accuracy = float(np.mean(cross_val_score(model, x, y, cv=folds, scoring="accuracy")))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "accuracy": accuracy}))


def run_sklearn(csv, jobs, trees, repeats):
    """Runs the scikit-learn side in a child process: its CPU time, read from
    the child's resource usage once it has exited, then covers every thread
    and worker process it used (the in-process clock was seen to miss most
    of the forest's threads here). The CPU of a child that only imports and
    reads the CSV is subtracted."""
    def child(baseline):
        command = [sys.executable, os.path.abspath(__file__), "--sklearn-child", csv, "--jobs",
                   str(jobs), "--trees", str(trees)] + (["--baseline"] if baseline else [])
        start_cpu = children_cpu()
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"scikit-learn failed:\n{done.stderr}")
        return json.loads(done.stdout), children_cpu() - start_cpu

    _, base_cpu = child(True)
    best, best_cpu, accuracy = float("inf"), float("inf"), None
    for _ in range(repeats):
        result, cpu = child(False)
        best, best_cpu = min(best, result["seconds"]), min(best_cpu, cpu - base_cpu)
        accuracy = result["accuracy"]
    return best, best_cpu, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial", nargs="?")
    parser.add_argument("--data", default=None, help="folder of the large datasets")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sklearn-child", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sklearn_child:
        sklearn_child(args.sklearn_child, args.jobs, args.trees, args.baseline)
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data_dir = args.data or next((d for d in ["/work/shared/data",
                                              os.path.join(root, "..", "shared", "data")]
                                  if os.path.isdir(d)), None)
    if not data_dir or not os.path.exists(os.path.join(data_dir, "letter.csv")):
        sys.exit("letter.csv not found: give the shared data folder with --data DIR")
    csv = os.path.join(data_dir, "letter.csv")

    dial_seconds, dial_cpu, dial_accuracy, command = run_dial(args.dial, csv, args.jobs,
                                                              args.trees, args.repeats)
    sk_seconds, sk_cpu, sk_accuracy = run_sklearn(csv, args.jobs, args.trees, args.repeats)

    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, {args.trees} trees, "
          f"{FOLDS}-fold CV, --jobs / n_jobs {args.jobs}, best of {args.repeats}")
    print(f"dial: {' '.join(command)}")
    print(f"{'case':8s} {'dial s':>8s} {'sklearn s':>10s} {'ratio':>6s} {'dial cpu s':>11s} "
          f"{'sklearn cpu s':>14s} {'cpu ratio':>10s} {'dial acc':>9s} {'sklearn acc':>12s}")
    print(f"{'letter':8s} {dial_seconds:8.2f} {sk_seconds:10.2f} {dial_seconds / sk_seconds:6.2f} "
          f"{dial_cpu:11.2f} {sk_cpu:14.2f} {dial_cpu / sk_cpu:10.2f} {dial_accuracy:9.4f} "
          f"{sk_accuracy:12.4f}", flush=True)


if __name__ == "__main__":
    main()
