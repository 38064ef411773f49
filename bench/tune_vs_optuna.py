#!/usr/bin/python3
"""Per-trial overhead of dial's tuner against Optuna's, in the same run.

usage: /usr/bin/python3 bench/tune_vs_optuna.py TUNE_OVERHEAD [--trials N] [--dir DIR]

TUNE_OVERHEAD is the tune_overhead program (build/tune_overhead). The
objective is trivial on both sides (x*x + y*y of two floats in [-10, 10]),
so what is timed is the tuner: creating the trial, sampling and storing the
params, storing the value. Both sides run one trial at a time (dial: one
job; Optuna: n_jobs=1) on a fresh study, in memory and in a fresh SQLite
file under DIR (default /tmp).

dial: tune_overhead runs 1,000 and 10,000 trials in memory and with SQLite
(random sampler) and reports microseconds per trial over the whole run and
over its first and last 1,000 trials, to show whether the cost grows with
the study. Optuna: RandomSampler and TPESampler, in memory and with SQLite
(its default RDB storage, sqlite:///), N trials (default 1,000), timed
around study.optimize (creating the study is not timed; on dial's side
opening the study is, which only makes dial look slower).

Prints every figure in milliseconds per trial and the ratios Optuna / dial
(how many times dial's overhead fits into Optuna's), against the goal:
at least 50x in memory and 20x with SQLite.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import optuna

GOALS = {"memory": 50, "sqlite": 20}


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return x * x + y * y


def optuna_ms_per_trial(sampler_name, storage_kind, n_trials, directory):
    """Runs one fresh Optuna study and returns milliseconds per trial."""
    sampler = (optuna.samplers.RandomSampler(seed=1) if sampler_name == "random"
               else optuna.samplers.TPESampler(seed=1))
    storage, path = None, None
    if storage_kind == "sqlite":
        path = os.path.join(directory, "optuna_overhead_%d.db" % os.getpid())
        if os.path.exists(path):
            os.remove(path)
        storage = "sqlite:///" + path
    study = optuna.create_study(storage=storage, sampler=sampler, direction="minimize")
    started = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    elapsed = time.perf_counter() - started
    if path:
        os.remove(path)
    return elapsed / n_trials * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tune_overhead")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--dir", default="/tmp")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    counts = sorted({args.trials, 10000})
    output = subprocess.run(
        [args.tune_overhead, args.dir, "--trials", ",".join(str(c) for c in counts)],
        check=True, capture_output=True, text=True).stdout
    report = json.loads(output)
    dial_runs = report["runs"]
    dial_ms = {(r["storage"], r["trials"]): r["us_per_trial"] / 1e3 for r in dial_runs}

    print("dial %s (random sampler), Optuna %s, Python %s" %
          (report["dial_version"], optuna.__version__, sys.version.split()[0]))
    print()
    print("%-8s %-8s %-10s %12s %14s %14s" %
          ("tuner", "storage", "sampler", "trials", "ms/trial", "first/last 1k"))
    for r in dial_runs:
        print("%-8s %-8s %-10s %12d %14.4f %7.4f/%.4f" %
              ("dial", r["storage"], r["sampler"], r["trials"], r["us_per_trial"] / 1e3,
               r["first_1000_us_per_trial"] / 1e3, r["last_1000_us_per_trial"] / 1e3))

    results = {"dial": dial_runs, "optuna": []}
    verdicts = []
    for storage in ("memory", "sqlite"):
        for sampler in ("random", "tpe"):
            ms = optuna_ms_per_trial(sampler, storage, args.trials, args.dir)
            ratio = ms / dial_ms[(storage, args.trials)]
            results["optuna"].append({"storage": storage, "sampler": sampler,
                                      "trials": args.trials, "ms_per_trial": ms,
                                      "ratio_to_dial": ratio})
            print("%-8s %-8s %-10s %12d %14.4f   dial is %.0fx less" %
                  ("optuna", storage, sampler, args.trials, ms, ratio))
            verdicts.append((storage, sampler, ratio))

    print()
    for storage, sampler, ratio in verdicts:
        goal = GOALS[storage]
        print("%-6s vs Optuna %-6s: %6.0fx (goal %dx): %s" %
              (storage, sampler, ratio, goal, "met" if ratio >= goal else "NOT met"))
    # Wall clock is what a user waits for, but on a shared machine a window
    # can stretch while other processes run; the CPU time of the thread that
    # runs the trials shows whether the work itself grows.
    for r in dial_runs:
        if r["trials"] != 10000:
            continue
        print("dial %-6s last 1,000 of 10,000 trials cost %.2fx the first 1,000 "
              "(wall clock), %.2fx (CPU time)" %
              (r["storage"], r["last_1000_us_per_trial"] / r["first_1000_us_per_trial"],
               r["last_1000_cpu_us_per_trial"] / r["first_1000_cpu_us_per_trial"]))
    print()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
