#!/usr/bin/python3
"""Pruning: `dial tune` with and without --pruner (asha, hyperband) on a path
knob, and Optuna 3.1's SuccessiveHalvingPruner / HyperbandPruner with
scikit-learn's MLPClassifier trained by partial_fit, one epoch at a time.

usage: /usr/bin/python3 bench/pruning.py DIAL [--data DIR] [--trials 40]
           [--problems mlp_fashion,gbdt_letter] [--pruners none,asha,hyperband]
           [--epochs 100] [--rounds 500] [--jobs 2] [--optuna]
           [--optuna-trials N] [--optuna-pruners none,sha,hyperband]

DIAL is the dial program (cmake --build build --target dial); DIR holds the
shared datasets (letter.csv, fashion_mnist/; default /work/shared/data or
../shared/data next to the repository).

The problems (issue 14):
  mlp_fashion  mlp on a 10,000-row sample of Fashion-MNIST's training set
               (rows drawn with numpy's RandomState(0), pixels / 255),
               epochs searched over 10..EPOCHS (default 100) with the rest
               of mlp's default space (hidden 16..512 log, activation,
               learning_rate, alpha);
  gbdt_letter  gbdt on letter (20,000 x 16, 26 classes), n_estimators
               searched over 10..ROUNDS:log (default 500) with the rest of
               gbdt's default space.
Each runs `dial tune MODEL CSV --target T --sampler tpe --seed 0 --trials N
--jobs J --fold-column bench_fold --study FILE --quiet --json [--pruner P]`
for each pruner P: the same sampler, seed and folds, so only the pruner
differs. The folds: a column bench_fold written into a copy of the data (5
folds, the rows of each class shuffled once with random.Random(0) and dealt
in turn), which the Optuna side uses too.

Printed per problem and pruner: wall seconds, the CPU seconds of the dial
process (a check on a machine that was not quiet), best mean CV accuracy,
trials complete / pruned, the ratio of wall time to the unpruned run's, the
best's distance from the unpruned best in points, and "reach": the seconds
from the run's start until a complete trial first scored within 0.5 points
of the unpruned best (from the study's finished_at), and that as a share of
the unpruned run's wall time. Goal (issue 14): the pruned search reaches
the unpruned best within 0.5 points in at most 1/3 of the unpruned search's
wall time (reach ratio <= 0.33), for asha and hyperband; the whole run's
ratio is printed beside it.

--optuna (mlp_fashion only): the same sample, folds, budget (trials, epochs
10..EPOCHS searched) and space with Optuna 3.1's TPESampler(seed=0) and
  none       no pruner,
  sha        SuccessiveHalvingPruner(min_resource=EPOCHS // 27,
             reduction_factor=3),
  hyperband  HyperbandPruner(min_resource=EPOCHS // 27, max_resource=EPOCHS,
             reduction_factor=3),
each trial training MLPClassifier(hidden_layer_sizes=(h,), solver adam,
batch_size 200) on the five folds' training rows (StandardScaler fitted on
them, as dial's scale=standard) with partial_fit, one epoch per call, the
folds in step, and reporting the mean accuracy over the folds after every
epoch (trial.report, trial.should_prune). Printed: each run's wall seconds,
best, and time to the same score: the seconds from the run's start until a
complete trial first reached the target, the lowest of all the compared
runs' bests (so that every run reaches it). dial's times come from its
study file (each trial's finished_at). The Optuna runs are one process, one
trial at a time (--jobs 1 on the dial side is the like-for-like figure;
--jobs 2 is what a user would run).
"""
import argparse
import csv
import gzip
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

FOLDS = 5
FOLD_COLUMN = "bench_fold"
GOAL_POINTS = 0.5
GOAL_RATIO = 1 / 3


def read_idx(path):
    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def deal_folds(labels):
    """Fold of each row: each class's rows, shuffled once, dealt in turn."""
    order = list(range(len(labels)))
    random.Random(0).shuffle(order)
    folds, dealt = [0] * len(labels), {}
    for row in order:
        k = dealt.get(labels[row], 0)
        folds[row] = k % FOLDS
        dealt[labels[row]] = k + 1
    return folds


def fashion_sample(data_dir, workdir):
    """The 10,000-row sample as a CSV with a fold column; also x, y, folds."""
    import numpy as np
    folder = os.path.join(data_dir, "fashion_mnist")
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"))
    rows = np.random.RandomState(0).choice(len(labels), 10000, replace=False)
    x = images[rows].reshape(len(rows), -1).astype(float) / 255.0
    y = labels[rows].astype(int)
    folds = deal_folds(list(y))
    path = os.path.join(workdir, "fashion_mnist_10k.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([f"p{i}" for i in range(x.shape[1])] + ["label", FOLD_COLUMN])
        for i in range(len(y)):
            out.writerow([f"{v:.6g}" for v in x[i]] + [int(y[i]), folds[i]])
    return path, x, y, np.array(folds)


def letter_with_folds(data_dir, workdir):
    with open(os.path.join(data_dir, "letter.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    folds = deal_folds([row[0] for row in body])
    path = os.path.join(workdir, "letter.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(header + [FOLD_COLUMN])
        for row, k in zip(body, folds):
            out.writerow(row + [k])
    return path


def study_times(study, start):
    """(seconds after start, value) of each complete trial, in finishing order."""
    with sqlite3.connect(study) as db:
        rows = db.execute("SELECT finished_at, value FROM trials WHERE state = 'complete' "
                          "ORDER BY finished_at").fetchall()
    return [(finished - start, value) for finished, value in rows]


def run_dial(dial, problem, csv_path, pruner, args, workdir):
    model, target, space = problem
    study = os.path.join(workdir, f"{model}-{pruner}.db")
    command = [dial, "tune", model, csv_path, "--target", target, "--sampler", "tpe",
               "--seed", "0", "--trials", str(args.trials), "--jobs", str(args.jobs),
               "--fold-column", FOLD_COLUMN, "--study", study, "--quiet", "--json"]
    for item in space:
        command += ["--space", item]
    if pruner != "none":
        command += ["--pruner", pruner]
    start = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    result = json.loads(done.stdout)
    with sqlite3.connect(study) as db:
        counts = dict(db.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())
    return {"seconds": seconds, "cpu": cpu, "best": result["best_value"],
            "complete": counts.get("complete", 0), "pruned": counts.get("pruned", 0),
            "times": study_times(study, start), "command": " ".join(command)}


def run_optuna(x, y, folds, pruner_name, args):
    """Optuna 3.1 + MLPClassifier.partial_fit, folds in step, one epoch a step."""
    import numpy as np
    import optuna
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    min_resource = max(1, args.epochs // 27)
    pruners = {
        "none": optuna.pruners.NopPruner(),
        "sha": optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource,
                                                      reduction_factor=3),
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=min_resource,
                                                    max_resource=args.epochs, reduction_factor=3),
    }
    splits = []
    classes = np.unique(y)
    for k in range(FOLDS):
        test = folds == k
        scaler = StandardScaler().fit(x[~test])
        splits.append((scaler.transform(x[~test]), y[~test], scaler.transform(x[test]), y[test]))
    times = []
    start = time.time()

    def objective(trial):
        hidden = trial.suggest_int("hidden", 16, 512, log=True)
        activation = trial.suggest_categorical("activation", ["relu", "tanh", "logistic"])
        rate = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
        alpha = trial.suggest_float("alpha", 1e-6, 1e-1, log=True)
        epochs = trial.suggest_int("epochs", 10, args.epochs)
        models = [MLPClassifier(hidden_layer_sizes=(hidden,), activation=activation,
                                learning_rate_init=rate, alpha=alpha, batch_size=200,
                                random_state=k) for k in range(FOLDS)]
        score = 0.0
        for epoch in range(1, epochs + 1):
            accuracies = []
            for model, (x_train, y_train, x_test, y_test) in zip(models, splits):
                model.partial_fit(x_train, y_train, classes=classes)
                accuracies.append(float(np.mean(model.predict(x_test) == y_test)))
            score = float(np.mean(accuracies))
            trial.report(score, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        times.append((time.time() - start, score))
        return score

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=pruners[pruner_name])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # partial_fit's ConvergenceWarning
        study.optimize(objective, n_trials=args.optuna_trials)
    states = [t.state for t in study.trials]
    return {"seconds": time.time() - start, "best": study.best_value,
            "complete": sum(s == optuna.trial.TrialState.COMPLETE for s in states),
            "pruned": sum(s == optuna.trial.TrialState.PRUNED for s in states), "times": times}


def time_to(times, target):
    best = -1.0
    for seconds, value in times:
        best = max(best, value)
        if best >= target - 1e-12:
            return seconds
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial")
    parser.add_argument("--data", default=None)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--problems", default="mlp_fashion,gbdt_letter")
    parser.add_argument("--pruners", default="none,asha,hyperband")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--optuna", action="store_true")
    parser.add_argument("--optuna-trials", type=int, default=None)
    parser.add_argument("--optuna-pruners", default="none,sha,hyperband")
    args = parser.parse_args()
    args.optuna_trials = args.optuna_trials or args.trials
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data_dir = args.data or next((d for d in ["/work/shared/data",
                                              os.path.join(root, "..", "shared", "data")]
                                  if os.path.isdir(d)), None)
    if not data_dir:
        sys.exit("the shared data folder was not found: give it with --data DIR")
    print(f"trials {args.trials}, sampler tpe, seed 0, --jobs {args.jobs}, "
          f"epochs 10..{args.epochs}, n_estimators 10..{args.rounds}:log", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        fashion = None
        for name in args.problems.split(","):
            if name == "mlp_fashion":
                fashion = fashion_sample(data_dir, workdir)
                problem = ("mlp", "label", [f"epochs=10..{args.epochs}"])
                path = fashion[0]
            elif name == "gbdt_letter":
                problem = ("gbdt", "lettr", [f"n_estimators=10..{args.rounds}:log"])
                path = letter_with_folds(data_dir, workdir)
            else:
                sys.exit(f"unknown problem {name}: mlp_fashion or gbdt_letter")
            runs = {}
            print(f"\n{name}: {'pruner':10s} {'seconds':>8s} {'cpu s':>8s} {'best':>8s} "
                  f"{'complete':>9s} {'pruned':>7s} {'ratio':>6s} {'points':>7s} {'reach s':>8s} "
                  f"{'reach':>6s}", flush=True)
            for pruner in args.pruners.split(","):
                runs[pruner] = run_dial(args.dial, problem, path, pruner, args, workdir)
                run, plain = runs[pruner], runs.get("none")
                ratio = run["seconds"] / plain["seconds"] if plain else float("nan")
                points = 100 * (plain["best"] - run["best"]) if plain else float("nan")
                # the goal's clock: when the run first had a complete trial
                # within GOAL_POINTS of the unpruned best
                reach = (time_to(run["times"], plain["best"] - GOAL_POINTS / 100)
                         if plain else float("nan"))
                reach_ratio = reach / plain["seconds"] if plain else float("nan")
                verdict = ""
                if plain and pruner != "none":
                    met = reach_ratio <= GOAL_RATIO
                    verdict = "goal met" if met else "goal not met"
                print(f"{'':{len(name) + 1}s} {pruner:10s} {run['seconds']:8.1f} {run['cpu']:8.1f} "
                      f"{run['best']:8.4f} {run['complete']:9d} {run['pruned']:7d} "
                      f"{ratio:6.2f} {points:7.2f} {reach:8.1f} {reach_ratio:6.2f}  {verdict}",
                      flush=True)
            if name == "mlp_fashion" and args.optuna:
                _, x, y, folds = fashion
                optuna_runs = {}
                for pruner in args.optuna_pruners.split(","):
                    optuna_runs[pruner] = run_optuna(x, y, folds, pruner, args)
                    run = optuna_runs[pruner]
                    print(f"  optuna {pruner:10s} {run['seconds']:8.1f} {run['best']:8.4f} "
                          f"{run['complete']:9d} {run['pruned']:7d}", flush=True)
                every = [(f"dial {p}", r) for p, r in runs.items()] + \
                        [(f"optuna {p}", r) for p, r in optuna_runs.items()]
                target = min(r["best"] for _, r in every)
                print(f"  time to the same score ({target:.4f}, the lowest best):")
                for label, run in every:
                    print(f"    {label:18s} {time_to(run['times'], target):8.1f} s", flush=True)


if __name__ == "__main__":
    main()
