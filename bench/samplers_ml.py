#!/usr/bin/python3
"""Samplers on machine-learning tuning, Bayesmark style: `dial tune` with
random, auto, tpe, gp and cmaes on dial's models and bundled datasets.

usage: /usr/bin/python3 bench/samplers_ml.py DIAL [--trials 40] [--seeds 10]
           [--models svm,gbdt,...] [--datasets iris,...] [--samplers random,auto,...]
           [--jobs 2] [--dir DIR] [--results FILE] [--quick]

DIAL is the dial program (build/dial). For each model (svm, gbdt, mlp,
forest, knn, logistic), dataset (data/iris.csv, wine, breast_cancer, digits:
classification, scored by accuracy; diabetes: regression, scored by r2, for
every model but logistic, which only classifies), sampler and seed 0..9:

  dial tune MODEL DATA --target T --trials 40 --sampler S --seed K --jobs 1
            --fold-column bench_fold --quiet --json

The space is the model's default search space (`dial knobs MODEL`), plus
weights=uniform,distance for knn (whose default space is k alone). Each run
is one trial at a time (--jobs 1), so a learning sampler sees every earlier
trial; --jobs N of this script runs N tunes at once.

The same folds for every sampler and every seed: the script writes a copy
of each dataset under DIR with a column bench_fold (5 folds, stratified by
class for classification: the rows of each class, in an order shuffled once
with Python's random.Random(0), dealt to folds 0..4 in turn; for regression
the shuffled rows dealt in turn), and every run passes --fold-column
bench_fold, which is not a feature. The seed then moves only the sampler and
the fits' own randomness (forest, gbdt subsampling, mlp's initial weights).

Normalised score per (model, dataset), from each run's best value at 40
trials: 0 = the best value any run (any sampler, any seed) found, 1 = random
search's mean best over the seeds; (best - value) / (best - random's mean).
Lower is better; below 1 beats random on average. A (model, dataset) where
every random run found the best value has no scale and is left out (said so). Printed: each sampler's
mean normalised score per model (over the datasets) and overall. Goals:
auto's overall mean below 0.5, and below random's (1) on every model.

--results FILE keeps each finished tune as a JSON line and skips the tunes
already there, so the full grid (hours on 2 cores) can run in pieces; the
seconds printed are then this invocation's.

--quick: 2 seeds, knn, logistic and svm on iris and wine (a smoke run:
digits takes minutes per tune for svm, gbdt and mlp on a busy machine).
"""
import argparse
import concurrent.futures
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FOLDS = 5
FOLD_COLUMN = "bench_fold"
GOAL_MEAN = 0.5
MODELS = ("svm", "gbdt", "mlp", "forest", "knn", "logistic")
DATASETS = {  # name: (target, task)
    "iris": ("species", "classification"),
    "wine": ("cultivar", "classification"),
    "breast_cancer": ("diagnosis", "classification"),
    "digits": ("digit", "classification"),
    "diabetes": ("progression", "regression"),
}
SAMPLERS = ("random", "auto", "tpe", "gp", "cmaes")
EXTRA_SPACE = {"knn": ["--space", "weights=uniform,distance"]}
CLASSIFICATION_ONLY = {"logistic"}


def write_with_folds(source, target, task, destination):
    """Copies the CSV source to destination with a fold column added."""
    with open(source, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    order = list(range(len(body)))
    random.Random(0).shuffle(order)
    folds = [0] * len(body)
    if task == "classification":
        column = header.index(target)
        dealt = {}
        for i in order:
            label = body[i][column]
            folds[i] = dealt.get(label, 0) % FOLDS
            dealt[label] = dealt.get(label, 0) + 1
    else:
        for position, i in enumerate(order):
            folds[i] = position % FOLDS
    with open(destination, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header + [FOLD_COLUMN])
        for row, fold in zip(body, folds):
            writer.writerow(row + [str(fold)])


def tune(dial, model, data_path, target, sampler, seed, trials):
    """Returns (best value, seconds, the sampler plan dial reports, if any)."""
    command = [dial, "tune", model, data_path, "--target", target, "--trials", str(trials),
               "--sampler", sampler, "--seed", str(seed), "--jobs", "1",
               "--fold-column", FOLD_COLUMN, "--quiet", "--json"] + EXTRA_SPACE.get(model, [])
    started = time.time()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.time() - started
    if done.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (done.returncode, " ".join(command),
                                                     done.stderr))
    summary = json.loads(done.stdout)
    return summary["best_value"], seconds, summary.get("sampler_plan")


def read_results(path, trials):
    """The tunes of --results with this many trials: {(model, dataset,
    sampler, seed): (best, seconds, plan)}."""
    results = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r["trials"] == trials:
                    results[(r["model"], r["dataset"], r["sampler"], r["seed"])] = (
                        r["best"], r["seconds"], r["plan"])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dial")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--data-dir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "data"))
    parser.add_argument("--jobs", type=int, default=2, help="tunes run at once (default 2)")
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", help="a file of finished tunes, one JSON line each: read "
                        "first (tunes already in it are not run again) and added to as tunes "
                        "finish, so a long grid can be stopped and resumed (one file per dial "
                        "build)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.models, args.datasets = 2, "knn,logistic,svm", "iris,wine"
    models, datasets = args.models.split(","), args.datasets.split(",")
    samplers = args.samplers.split(",")
    if "random" not in samplers:
        sys.exit("--samplers must include random: it is the scale's 1")
    for name in models:
        if name not in MODELS:
            sys.exit("unknown model '%s' (known: %s)" % (name, ", ".join(MODELS)))
    for name in datasets:
        if name not in DATASETS:
            sys.exit("unknown dataset '%s' (known: %s)" % (name, ", ".join(DATASETS)))
    dial = os.path.abspath(args.dial)
    folder = tempfile.mkdtemp(prefix="samplers_ml_", dir=args.dir)
    started = time.time()
    try:
        paths = {}
        for name in datasets:
            target, task = DATASETS[name]
            paths[name] = os.path.join(folder, name + ".csv")
            write_with_folds(os.path.join(args.data_dir, name + ".csv"), target, task,
                             paths[name])
        problems = [(m, d) for m in models for d in datasets
                    if not (m in CLASSIFICATION_ONLY and DATASETS[d][1] == "regression")]
        jobs = [(m, d, s, k) for (m, d) in problems for s in samplers for k in range(args.seeds)]
        results = read_results(args.results, args.trials)
        lock = threading.Lock()

        def run(job):
            result = tune(dial, job[0], paths[job[1]], DATASETS[job[1]][0], job[2], job[3],
                          args.trials)
            if args.results:
                with lock, open(args.results, "a") as f:
                    f.write(json.dumps({"model": job[0], "dataset": job[1], "sampler": job[2],
                                        "seed": job[3], "trials": args.trials,
                                        "best": result[0], "seconds": result[1],
                                        "plan": result[2]}) + "\n")
            return result

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {job: pool.submit(run, job) for job in jobs if job not in results}
            results.update({job: future.result() for job, future in futures.items()})
        results = {job: results[job] for job in jobs}
    finally:
        shutil.rmtree(folder)
    elapsed = time.time() - started

    print("%d trials, %d seeds, samplers %s, the same 5 folds for every run%s; %.0f s"
          % (args.trials, args.seeds, ", ".join(samplers), " (--quick)" if args.quick else "",
             elapsed))
    print("\nmean best value at %d trials (accuracy; r2 on diabetes), and mean seconds per tune"
          % args.trials)
    print("| model | dataset | " + " | ".join(samplers) + " | " +
          " | ".join("s " + s for s in samplers) + " |")
    print("|---|---|" + "---:|" * (2 * len(samplers)))
    normalised = {}  # (model, sampler) -> [score per dataset]
    degenerate = []
    for (m, d) in problems:
        values = {s: [results[(m, d, s, k)][0] for k in range(args.seeds)] for s in samplers}
        seconds = {s: statistics.mean(results[(m, d, s, k)][1] for k in range(args.seeds))
                   for s in samplers}
        print("| %s | %s | %s | %s |" % (m, d, " | ".join("%.4f" % statistics.mean(values[s])
                                                          for s in samplers),
                                         " | ".join("%.1f" % seconds[s] for s in samplers)))
        best = max(v for s in samplers for v in values[s])
        random_mean = statistics.mean(values["random"])
        if best == random_mean:
            # Every random run found the best: no scale, nothing to separate.
            degenerate.append("%s/%s" % (m, d))
            continue
        for s in samplers:
            score = statistics.mean((best - v) / (best - random_mean) for v in values[s])
            normalised.setdefault((m, s), []).append(score)
    plans = sorted({str(results[job][2]) for job in jobs if job[2] == "auto"})
    print("\nnormalised score (0 = the best any run found, 1 = random's mean), mean over the "
          "datasets")
    if degenerate:
        print("left out (every random run found the best value, so there is no scale): %s"
              % ", ".join(degenerate))
    models = [m for m in models if (m, samplers[0]) in normalised]
    print("| model | " + " | ".join(samplers) + " |")
    print("|---|" + "---:|" * len(samplers))
    for m in models:
        print("| %s | %s |" % (m, " | ".join("%.3f" % statistics.mean(normalised[(m, s)])
                                             for s in samplers)))
    overall = {s: statistics.mean(x for m in models for x in normalised[(m, s)])
               for s in samplers}
    print("| all | %s |" % " | ".join("%.3f" % overall[s] for s in samplers))
    if "auto" in samplers:
        print("\nauto's plans (as --json reports them): %s" % "; ".join(plans))
        print("goal 1: auto's mean normalised score %.3f (goal < %.1f): %s"
              % (overall["auto"], GOAL_MEAN, "met" if overall["auto"] < GOAL_MEAN else "NOT MET"))
        losing = [m for m in models
                  if statistics.mean(normalised[(m, "auto")]) >= statistics.mean(
                      normalised[(m, "random")])]
        print("goal 2: auto better than random on every model: %s"
              % ("met" if not losing else "NOT MET (not on %s)" % ", ".join(losing)))


if __name__ == "__main__":
    main()
