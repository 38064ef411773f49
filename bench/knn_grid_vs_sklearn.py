#!/usr/bin/python3
"""End-to-end grid search of kNN's k: `dial tune` against scikit-learn's
GridSearchCV on the same folds, in the same run.

usage: /usr/bin/python3 bench/knn_grid_vs_sklearn.py DIAL TUNE_FOLDS [DATA_DIR]
           [--data letter] [--target lettr] [--k-max 30] [--jobs 2] [--no-check]

DIAL is the dial program (build/dial), TUNE_FOLDS the tune_folds program
(build/tune_folds); DATA_DIR holds the benchmark CSV files (default
/work/shared/data, else ../shared/data next to the repository).

dial, timed as the whole command a user types (process start, reading the
CSV, the search, the summary):

    dial tune knn DATA.csv --target T --sampler grid --space k=1..K --cv 5
        --jobs 2 --quiet --json

scikit-learn, timed around GridSearchCV.fit only (reading the CSV with
pandas is not timed, which only favours it):

    GridSearchCV(Pipeline([StandardScaler(), KNeighborsClassifier()]),
                 {"kneighborsclassifier__n_neighbors": 1..K},
                 cv=PredefinedSplit(folds), n_jobs=2, scoring="accuracy")

The folds are literally dial's: tune_folds builds the objective `dial
tune --cv 5 --seed 0` builds and prints the test fold of every row, which
PredefinedSplit takes as is. dial scales features (scale=standard, the
population deviation, as StandardScaler) inside each fold by default.

Then, untimed, a check that both sides scored the same folds: dial runs the
search again into a SQLite study and `dial trials --json` gives every
trial's per-fold scores, which are compared with cv_results_'s
split<i>_test_score for each k. They agree except where the two break
ties differently (equal distances: dial takes the first training row,
scikit-learn whichever its tree meets first; tied votes: dial the class
seen first in the file, scikit-learn the smallest label), so the script
prints how many (k, fold) scores are equal and the largest difference.

Prints both times, the ratio, both best scores with their k, and a JSON
line with every figure.
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
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

GOAL = 10.0  # dial at least this many times faster


def default_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ("/work/shared/data", os.path.join(here, "..", "..", "shared", "data")):
        if os.path.isdir(candidate):
            return candidate
    return "/work/shared/data"


def dial_command(dial, path, target, k_max, jobs, extra=()):
    return [dial, "tune", "knn", path, "--target", target, "--sampler", "grid",
            "--space", "k=1..%d" % k_max, "--cv", "5", "--jobs", str(jobs), "--quiet",
            *extra]


def run_dial(dial, path, target, k_max, jobs):
    command = dial_command(dial, path, target, k_max, jobs, ("--json",))
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    summary = json.loads(output)
    return seconds, summary, command


def dial_fold_scores(dial, path, target, k_max, jobs):
    """Every trial's per-fold scores, by k, from a study on disk."""
    with tempfile.TemporaryDirectory() as directory:
        study = os.path.join(directory, "knn.db")
        subprocess.run(dial_command(dial, path, target, k_max, jobs, ("--study", study)),
                       check=True, capture_output=True, text=True)
        output = subprocess.run([dial, "trials", study, "--json"], check=True,
                                capture_output=True, text=True).stdout
    scores = {}
    for trial in json.loads(output)["trials"]:
        steps = sorted(trial["intermediate"], key=lambda item: item["step"])
        scores[int(trial["knobs"]["k"])] = [item["value"] for item in steps]
    return scores


def run_sklearn(path, target, folds, k_max, jobs):
    frame = pd.read_csv(path)
    y = frame[target].to_numpy()
    x = frame.drop(columns=target).to_numpy(dtype=float)
    search = GridSearchCV(make_pipeline(StandardScaler(), KNeighborsClassifier()),
                          {"kneighborsclassifier__n_neighbors": list(range(1, k_max + 1))},
                          cv=PredefinedSplit(folds), n_jobs=jobs, scoring="accuracy")
    start = time.perf_counter()
    search.fit(x, y)
    seconds = time.perf_counter() - start
    return seconds, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial")
    parser.add_argument("tune_folds")
    parser.add_argument("data_dir", nargs="?", default=default_data_dir())
    parser.add_argument("--data", default="letter")
    parser.add_argument("--target", default="lettr")
    parser.add_argument("--k-max", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-check", action="store_true",
                        help="skip the untimed per-fold comparison")
    args = parser.parse_args()
    path = os.path.join(args.data_dir, args.data + ".csv")

    output = subprocess.run([args.tune_folds, path, args.target, "5", "0"], check=True,
                            capture_output=True, text=True).stdout
    folds = np.array([int(line) for line in output.split()])
    if folds.min() < 0 or len(set(folds.tolist())) != 5:
        sys.exit("tune_folds gave an incomplete fold assignment")

    dial_seconds, summary, command = run_dial(args.dial, path, args.target, args.k_max,
                                              args.jobs)
    sk_seconds, search = run_sklearn(path, args.target, folds, args.k_max, args.jobs)
    dial_best, dial_k = summary["best_value"], int(summary["best_knobs"]["k"])
    sk_best = float(search.best_score_)
    sk_k = int(search.best_params_["kneighborsclassifier__n_neighbors"])
    ratio = sk_seconds / dial_seconds

    print("data: %s (%d rows, %d features), k = 1..%d, 5 folds (dial's, by tune_folds), "
          "%d jobs" % (args.data, len(folds), search.n_features_in_, args.k_max, args.jobs))
    print("scikit-learn %s, numpy %s, Python %s" %
          (sklearn.__version__, np.__version__, sys.version.split()[0]))
    print("dial:         %s" % " ".join(os.path.basename(c) if i == 0 else c
                                         for i, c in enumerate(command)))
    print()
    print("%-14s %10s %12s %8s" % ("", "seconds", "best score", "best k"))
    print("%-14s %10.3f %12.6f %8d" % ("dial", dial_seconds, dial_best, dial_k))
    print("%-14s %10.3f %12.6f %8d" % ("scikit-learn", sk_seconds, sk_best, sk_k))
    print()
    print("dial is %.1fx faster (goal %.0fx): %s" %
          (ratio, GOAL, "met" if ratio >= GOAL else "NOT met"))
    print("best scores: %s (difference %.2e)" %
          ("equal" if dial_best == sk_best else "differ", dial_best - sk_best))

    figures = {"data": args.data, "rows": int(len(folds)), "k_max": args.k_max,
               "jobs": args.jobs, "dial_seconds": dial_seconds,
               "sklearn_seconds": sk_seconds, "ratio": ratio, "dial_best": dial_best,
               "dial_best_k": dial_k, "sklearn_best": sk_best, "sklearn_best_k": sk_k}
    if not args.no_check:
        dial_scores = dial_fold_scores(args.dial, path, args.target, args.k_max, args.jobs)
        equal, total, largest = 0, 0, 0.0
        for k in range(1, args.k_max + 1):
            index = k - 1  # cv_results_ follows the grid's order, k ascending
            for fold in range(5):
                theirs = float(search.cv_results_["split%d_test_score" % fold][index])
                ours = dial_scores[k][fold]
                total += 1
                equal += abs(ours - theirs) < 1e-12
                largest = max(largest, abs(ours - theirs))
        print("per-fold scores: %d of %d (k, fold) equal; largest difference %.6f "
              "(%.1f test rows of %d)" %
              (equal, total, largest, largest * len(folds) / 5, len(folds) // 5))
        figures.update({"fold_scores_equal": equal, "fold_scores_total": total,
                        "fold_scores_largest_difference": largest})
    print()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
