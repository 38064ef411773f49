#!/usr/bin/python3
"""Tuning gbdt end to end: `dial tune gbdt` with random trials against the
same configurations run through XGBoost's own cross-validation (xgb.cv), on
the same folds, in the same run.

usage: /usr/bin/python3 bench/gbdt_tune_vs_xgboost.py DIAL TUNE_FOLDS [DATA_DIR]
           [--trials 30] [--seed 0] [--space NAME=VALUES ...]
           [--grid | --grid-only] [--grid-estimators 50,100,150,200]
           [--grid-rates 0.1,0.3] [--grid-depths 4,6] [--grid-jobs 2]

DIAL is the dial program (build/dial), TUNE_FOLDS the tune_folds program
(build/tune_folds); DATA_DIR holds letter.csv (20,000 x 16, 26 classes,
target lettr; default /work/shared/data, else ../shared/data next to the
repository).

The search space is gbdt's default one (`dial knobs gbdt`: learning_rate
0.01..0.3 log, max_depth 2..12, min_child_weight 1..32 log, lambda
0.001..100 log, subsample 0.5..1, colsample 0.5..1) except n_estimators,
narrowed from 10..1000 log to 20..200 log so that the XGBoost side runs in
minutes, not an hour (--space replaces it; both sides run whatever
configurations dial drew). The knobs outside the space keep their
defaults on both sides: max_leaves 0 (depth-wise), alpha 0,
min_split_gain 0, max_bins 256.

dial, timed as the whole command a user types (process start, reading and
parsing the CSV, binning, the 30 trials of 5 folds, writing the study):

    dial tune gbdt letter.csv --target lettr --trials 30 --sampler random
        --cv 5 --jobs 2 --seed S --space n_estimators=20..200:log
        --study TMP/g.db --quiet --json

Then, untimed, `dial trials TMP/g.db --json` gives every trial's knobs and
tune_folds the folds dial scored them on (the test fold of every row, from
the objective `dial tune --cv 5 --seed S` builds).

XGBoost 1.7, timed from reading the CSV with pandas, through the label
encoding and DMatrix construction, to the end of the last xgb.cv call: for
each trial in dial's order,

    xgb.cv(params, dtrain, num_boost_round=n_estimators, folds=dial's folds,
           metrics="merror")

with params tree_method="hist", nthread=2, objective="multi:softprob",
num_class=26, seed=S and dial's knobs translated:

    learning_rate    -> eta
    max_depth        -> max_depth
    max_leaves       -> max_leaves, grow_policy="lossguide" when > 0
    min_child_weight -> min_child_weight
    lambda           -> reg_lambda
    alpha            -> reg_alpha
    min_split_gain   -> gamma (dial's is on XGBoost's scale)
    subsample        -> subsample
    colsample        -> colsample_bytree
    max_bins         -> max_bin
    n_estimators     -> num_boost_round

Knobs without an exact equivalent: subsample and colsample draw their rows
and features from each side's own random generator, so the same share gives
different samples (and different scores, by the noise of the draw);
colsample rounds the feature count its own way (at least one either way);
the bins are quantile cuts on both sides but XGBoost's are sketch-based, so
the edges can differ slightly; early_stopping_rounds is off on both sides.
A trial's score is the mean accuracy over the five folds on both sides
(1 - test-merror-mean of the last round for XGBoost).

xgb.cv runs the folds' boosters round by round in one process, each with
nthread=2; dial runs two trials at once (--jobs 2), each fold's fit in turn.
Both use the machine's 2 cores.

Prints both times, the ratio XGBoost / dial (above 1: dial is faster; goal
3), both best CV accuracies with their knobs, the mean and largest
absolute difference of the per-trial accuracies, and a JSON line at the end.

--grid adds a second part (--grid-only runs it alone): staged predictions
at work. A grid over n_estimators x learning_rate x max_depth (default
50,100,150,200 x 0.1,0.3 x 4,6; the other knobs fixed at their defaults
with -s, so both sides fit the same model),

    dial tune gbdt letter.csv --target lettr --sampler grid --cv 5
        --jobs J --seed S --space n_estimators=50,100,150,200
        --space learning_rate=0.1,0.3 --space max_depth=4,6
        -s min_child_weight=1 -s lambda=1 -s subsample=1 -s colsample=1
        --study TMP/grid.db --quiet --json

where one fit per fold and (learning_rate, max_depth) of the largest
n_estimators scores every smaller one (the family's predict_fold_path),
against XGBoost doing the same: one xgb.cv per (learning_rate, max_depth)
with num_boost_round = the largest n_estimators on dial's folds, whose
per-round history (test-merror-mean) gives the score of every smaller
n_estimators too. Both timed from reading the CSV. J defaults to 2, as in
the random part: --jobs is dial's whole thread budget, and two paths (two
(learning_rate, max_depth) pairs) run at once, each fit on one thread.
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
import xgboost as xgb

GOAL = 3.0  # dial at least this many times faster
DEFAULT_SPACE = ["n_estimators=20..200:log"]
TARGET = "lettr"


def default_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ("/work/shared/data", os.path.join(here, "..", "..", "shared", "data")):
        if os.path.exists(os.path.join(candidate, "letter.csv")):
            return candidate
    return "/work/shared/data"


def dial_command(dial, path, trials, seed, space, study):
    command = [dial, "tune", "gbdt", path, "--target", TARGET, "--trials", str(trials),
               "--sampler", "random", "--cv", "5", "--jobs", "2", "--seed", str(seed)]
    for item in space:
        command += ["--space", item]
    return command + ["--study", study, "--quiet", "--json"]


def run_dial(command):
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(output)


def dial_trials(dial, study):
    output = subprocess.run([dial, "trials", study, "--json"], check=True,
                            capture_output=True, text=True).stdout
    trials = [t for t in json.loads(output)["trials"] if t["state"] == "complete"]
    return sorted(trials, key=lambda t: t["number"])


def knob(knobs, name, default):
    return knobs[name] if name in knobs else default


def xgboost_params(knobs, seed):
    """dial's gbdt knobs as XGBoost parameters, and the number of rounds."""
    params = {
        "tree_method": "hist",
        "nthread": 2,
        "objective": "multi:softprob",
        "num_class": 26,
        "eval_metric": "merror",
        "seed": seed,
        "eta": float(knob(knobs, "learning_rate", 0.1)),
        "max_depth": int(knob(knobs, "max_depth", 6)),
        "min_child_weight": float(knob(knobs, "min_child_weight", 1.0)),
        "reg_lambda": float(knob(knobs, "lambda", 1.0)),
        "reg_alpha": float(knob(knobs, "alpha", 0.0)),
        "gamma": float(knob(knobs, "min_split_gain", 0.0)),
        "subsample": float(knob(knobs, "subsample", 1.0)),
        "colsample_bytree": float(knob(knobs, "colsample", 1.0)),
        "max_bin": int(knob(knobs, "max_bins", 256)),
        "verbosity": 0,
    }
    max_leaves = int(knob(knobs, "max_leaves", 0))
    if max_leaves > 0:
        params["max_leaves"] = max_leaves
        params["grow_policy"] = "lossguide"
    return params, int(knob(knobs, "n_estimators", 100))


def run_xgboost(path, fold_of, trials, seed):
    """Every trial through xgb.cv on dial's folds: seconds and accuracies."""
    start = time.perf_counter()
    frame = pd.read_csv(path)
    codes, _ = pd.factorize(frame[TARGET], sort=True)
    x = frame.drop(columns=TARGET).to_numpy(dtype=np.float32)
    dtrain = xgb.DMatrix(x, label=codes.astype(np.float32), nthread=2)
    folds = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f))
             for f in range(5)]
    scores = []
    for trial in trials:
        params, rounds = xgboost_params(trial["knobs"], seed)
        history = xgb.cv(params, dtrain, num_boost_round=rounds, folds=folds,
                         metrics="merror", as_pandas=True, seed=seed)
        scores.append(1.0 - float(history["test-merror-mean"].iloc[-1]))
    return time.perf_counter() - start, scores, int(x.shape[1])


def grid_values(text, kind):
    return [kind(v) for v in text.split(",") if v.strip()]


def grid_command(dial, path, seed, jobs, estimators, rates, depths, study):
    join = lambda values: ",".join(str(v) for v in values)
    return [dial, "tune", "gbdt", path, "--target", TARGET, "--sampler", "grid", "--cv", "5",
            "--jobs", str(jobs), "--seed", str(seed),
            "--space", "n_estimators=" + join(estimators),
            "--space", "learning_rate=" + join(rates),
            "--space", "max_depth=" + join(depths),
            "-s", "min_child_weight=1", "-s", "lambda=1", "-s", "subsample=1",
            "-s", "colsample=1", "--study", study, "--quiet", "--json"]


def run_xgboost_grid(path, fold_of, estimators, rates, depths, seed):
    """One xgb.cv per (learning_rate, max_depth) with the most rounds; its
    history scores every n_estimators. Seconds and {(n, rate, depth): accuracy}."""
    start = time.perf_counter()
    frame = pd.read_csv(path)
    codes, _ = pd.factorize(frame[TARGET], sort=True)
    x = frame.drop(columns=TARGET).to_numpy(dtype=np.float32)
    dtrain = xgb.DMatrix(x, label=codes.astype(np.float32), nthread=2)
    folds = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f))
             for f in range(5)]
    top = max(estimators)
    scores = {}
    for rate in rates:
        for depth in depths:
            params, _ = xgboost_params({"learning_rate": rate, "max_depth": depth}, seed)
            history = xgb.cv(params, dtrain, num_boost_round=top, folds=folds,
                             metrics="merror", as_pandas=True, seed=seed)
            errors = history["test-merror-mean"].to_numpy()
            for n in estimators:
                scores[(n, rate, depth)] = 1.0 - float(errors[n - 1])
    return time.perf_counter() - start, scores


def grid_part(args, path, fold_of):
    estimators = grid_values(args.grid_estimators, int)
    rates = grid_values(args.grid_rates, float)
    depths = grid_values(args.grid_depths, int)
    with tempfile.TemporaryDirectory() as directory:
        study = os.path.join(directory, "grid.db")
        command = grid_command(args.dial, path, args.seed, args.grid_jobs, estimators, rates,
                               depths, study)
        dial_seconds, summary = run_dial(command)
        trials = dial_trials(args.dial, study)
    size = len(estimators) * len(rates) * len(depths)
    if len(trials) != size:
        sys.exit("dial's grid study holds %d complete trials, not %d" % (len(trials), size))
    xgb_seconds, xgb_scores = run_xgboost_grid(path, fold_of, estimators, rates, depths,
                                               args.seed)
    rows = []
    for trial in trials:
        k = trial["knobs"]
        key = (int(k["n_estimators"]), float(k["learning_rate"]), int(k["max_depth"]))
        rows.append((key, float(trial["value"]), xgb_scores[key]))
    rows.sort()
    differences = np.array([abs(d - x) for _, d, x in rows])
    ratio = xgb_seconds / dial_seconds
    shown = [os.path.basename(c) if i == 0 else c for i, c in enumerate(command)]
    shown[shown.index("--study") + 1] = "TMP/grid.db"
    print("grid: n_estimators %s x learning_rate %s x max_depth %s = %d configurations, "
          "5 folds (dial's), seed %d" % (args.grid_estimators, args.grid_rates,
                                        args.grid_depths, size, args.seed))
    print("dial:    %s" % " ".join(shown))
    print("XGBoost: read_csv + DMatrix + one xgb.cv(num_boost_round=%d) per (learning_rate, "
          "max_depth), every n_estimators from its per-round history" % max(estimators))
    print()
    print("%-5s %6s %6s %9s %9s %9s" % ("n", "rate", "depth", "dial", "XGBoost", "|diff|"))
    for (n, rate, depth), d, x in rows:
        print("%-5d %6.3g %6d %9.5f %9.5f %9.5f" % (n, rate, depth, d, x, abs(d - x)))
    best_dial = max(rows, key=lambda r: r[1])
    best_xgb = max(rows, key=lambda r: r[2])
    print()
    print("%-8s %10s %14s  %s" % ("", "seconds", "best accuracy", "n, rate, depth"))
    print("%-8s %10.2f %14.5f  %s" % ("dial", dial_seconds, best_dial[1], best_dial[0]))
    print("%-8s %10.2f %14.5f  %s" % ("XGBoost", xgb_seconds, best_xgb[2], best_xgb[0]))
    print()
    print("grid: dial is %.2fx faster end to end; per-configuration accuracy: mean |dial - "
          "XGBoost| %.5f, largest %.5f; dial's summary best %.5f" %
          (ratio, float(differences.mean()), float(differences.max()),
           float(summary["best_value"])))
    return {"grid_estimators": estimators, "grid_rates": rates, "grid_depths": depths,
            "grid_jobs": args.grid_jobs, "grid_dial_seconds": dial_seconds,
            "grid_xgboost_seconds": xgb_seconds, "grid_ratio": ratio,
            "grid_dial_best": best_dial[1], "grid_xgboost_best": best_xgb[2],
            "grid_mean_abs_difference": float(differences.mean()),
            "grid_max_abs_difference": float(differences.max())}


def knob_text(knobs):
    parts = []
    for name, value in knobs.items():
        parts.append("%s=%s" % (name, value if isinstance(value, int) else "%.4g" % value))
    return " ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial")
    parser.add_argument("tune_folds")
    parser.add_argument("data_dir", nargs="?", default=default_data_dir())
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--space", action="append", default=None,
                        help="dial's --space, repeatable (default: %s)" %
                        " ".join(DEFAULT_SPACE))
    parser.add_argument("--grid", action="store_true",
                        help="add the grid part: staged predictions against xgb.cv's history")
    parser.add_argument("--grid-only", action="store_true", help="run the grid part alone")
    parser.add_argument("--grid-estimators", default="50,100,150,200")
    parser.add_argument("--grid-rates", default="0.1,0.3")
    parser.add_argument("--grid-depths", default="4,6")
    parser.add_argument("--grid-jobs", type=int, default=2)
    args = parser.parse_args()
    space = args.space if args.space else DEFAULT_SPACE
    path = os.path.join(args.data_dir, "letter.csv")

    output = subprocess.run([args.tune_folds, path, TARGET, "5", str(args.seed)], check=True,
                            capture_output=True, text=True).stdout
    fold_of = np.array([int(line) for line in output.split()])
    if fold_of.min() < 0 or len(set(fold_of.tolist())) != 5:
        sys.exit("tune_folds gave an incomplete fold assignment")

    if args.grid_only:
        figures = grid_part(args, path, fold_of)
        print()
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory() as directory:
        study = os.path.join(directory, "g.db")
        command = dial_command(args.dial, path, args.trials, args.seed, space, study)
        dial_seconds, summary = run_dial(command)
        trials = dial_trials(args.dial, study)
    if len(trials) != args.trials:
        sys.exit("dial's study holds %d complete trials, not %d" % (len(trials), args.trials))

    xgb_seconds, xgb_scores, n_features = run_xgboost(path, fold_of, trials, args.seed)
    dial_scores = [float(t["value"]) for t in trials]
    differences = np.abs(np.array(dial_scores) - np.array(xgb_scores))
    dial_best = int(np.argmax(dial_scores))
    xgb_best = int(np.argmax(xgb_scores))
    ratio = xgb_seconds / dial_seconds

    shown = [os.path.basename(c) if i == 0 else c for i, c in enumerate(command)]
    shown[shown.index("--study") + 1] = "TMP/g.db"
    print("data: letter (%d rows, %d features, 26 classes), %d random trials, 5 folds "
          "(dial's, by tune_folds), seed %d, 2 threads each side" %
          (len(fold_of), n_features, args.trials, args.seed))
    print("space: gbdt's default (dial knobs gbdt) with %s; other knobs at their defaults" %
          ", ".join(space))
    print("XGBoost %s, pandas %s, numpy %s, Python %s" %
          (xgb.__version__, pd.__version__, np.__version__, sys.version.split()[0]))
    print("dial:    %s" % " ".join(shown))
    print("XGBoost: read_csv + DMatrix + xgb.cv(tree_method=hist, nthread=2, "
          "multi:softprob, merror, folds=dial's) per trial")
    print()
    print("%-4s %9s %9s %9s  %s" % ("#", "dial", "XGBoost", "|diff|", "knobs"))
    for i, trial in enumerate(trials):
        print("%-4d %9.5f %9.5f %9.5f  %s" % (trial["number"], dial_scores[i], xgb_scores[i],
                                              differences[i], knob_text(trial["knobs"])))
    print()
    print("%-8s %10s %14s  %s" % ("", "seconds", "best accuracy", "trial and knobs"))
    print("%-8s %10.2f %14.5f  #%d %s" % ("dial", dial_seconds, dial_scores[dial_best],
                                         trials[dial_best]["number"],
                                         knob_text(trials[dial_best]["knobs"])))
    print("%-8s %10.2f %14.5f  #%d %s" % ("XGBoost", xgb_seconds, xgb_scores[xgb_best],
                                         trials[xgb_best]["number"],
                                         knob_text(trials[xgb_best]["knobs"])))
    print()
    print("dial is %.2fx faster end to end (goal %.0fx): %s" %
          (ratio, GOAL, "met" if ratio >= GOAL else "NOT met"))
    print("per-trial accuracy: mean |dial - XGBoost| %.5f, largest %.5f; dial's summary "
          "best %.5f" % (float(differences.mean()), float(differences.max()),
                         float(summary["best_value"])))

    figures = {"data": "letter", "trials": args.trials, "seed": args.seed, "space": space,
               "dial_seconds": dial_seconds, "xgboost_seconds": xgb_seconds, "ratio": ratio,
               "goal_met": ratio >= GOAL,
               "dial_best": dial_scores[dial_best], "dial_best_trial": trials[dial_best]["number"],
               "dial_best_knobs": trials[dial_best]["knobs"],
               "xgboost_best": xgb_scores[xgb_best],
               "xgboost_best_trial": trials[xgb_best]["number"],
               "xgboost_best_knobs": trials[xgb_best]["knobs"],
               "mean_abs_difference": float(differences.mean()),
               "max_abs_difference": float(differences.max()),
               "xgboost_version": xgb.__version__}
    if args.grid:
        print()
        figures.update(grid_part(args, path, fold_of))
    print()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
