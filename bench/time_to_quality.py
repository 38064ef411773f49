#!/usr/bin/python3
"""Time to quality: how long `dial tune --sampler auto` takes to reach the
cross-validated score that Optuna's TPE reaches in 100 trials with
scikit-learn or XGBoost, on the same data, space and folds.

usage: /usr/bin/python3 bench/time_to_quality.py DIAL [DATA_DIR]
           [--problems svm_satimage,mlp_digits,gbdt_letter] [--trials 100]
           [--seed 0] [--jobs 2] [--dir DIR] [--quick] [--optuna-cache FILE]
           [--dial-limit F]

DIAL is the dial program (build/dial); DATA_DIR holds satimage.csv,
letter.csv and digits.csv (default: ../shared/data beside the repository,
or /work/shared/data). Problems (run one at a time with --problems: each
takes minutes on Optuna's side):

  svm_satimage  svm on satimage (6,435 rows, 36 features, 6 classes):
                C 2^-5..2^15 and gamma 2^-15..2^3, log (dial's default svm
                space, after the LIBSVM guide); scikit-learn:
                make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
                (dial's svm scales features the same way by default).
  mlp_digits    mlp on digits (1,797 rows, 64 features, 10 classes): one
                hidden layer of 16..512 units (log), learning_rate
                1e-5..1e-1 (log), alpha 1e-6..1e-1 (log) (dial's default
                mlp space); scikit-learn: make_pipeline(StandardScaler(),
                MLPClassifier(hidden_layer_sizes=(h,), learning_rate_init,
                alpha, batch_size=200, max_iter=200, random_state=seed))
                (dial's defaults: adam, relu, batch 200, 200 epochs; not the
                same computation: scikit-learn stops when the training loss
                stalls for 10 epochs, dial runs its epochs).
  gbdt_letter   gbdt on letter (20,000 rows, 16 features, 26 classes):
                dial's default gbdt space with n_estimators narrowed to
                20..200 (log) as in gbdt_tune_vs_xgboost.py; XGBoost 1.7:
                xgb.cv(hist, nthread=2, multi:softprob) on the same folds,
                with the knob mapping of gbdt_tune_vs_xgboost.py.

The same folds on both sides: the script writes a copy of the dataset with a
column bench_fold (5 folds, stratified: the rows of each class, shuffled once
by Python's random.Random(0), dealt to folds 0..4 in turn); dial reads it
with --fold-column bench_fold, scikit-learn with PredefinedSplit, XGBoost as
its folds=.

Optuna's side, in this process: optuna.create_study(direction="maximize",
sampler=TPESampler(seed=SEED)) and study.optimize(objective, n_trials=100);
each trial's mean accuracy over the 5 folds (scikit-learn's
cross_val_score(n_jobs=2) on the 2 cores, XGBoost with nthread=2). Timed
from the start of study.optimize (reading the CSV is not timed, which
favours Optuna) to the end of each trial. Recorded: the best score of the
100 trials and the time at which Optuna first reached it.

dial's side: `dial tune MODEL DATA --target T --sampler auto --seed SEED
--fold-column bench_fold --jobs 2 --trials 100000 --timeout T_optuna --study
F.db`, timed from starting the process (reading the CSV included); the
script reads its per-trial lines on stderr as they come, and on a line whose
printed score reaches Optuna's best it reads the trial's exact value with
`dial trials F.db --json`; when it reaches it, the time of that line is
dial's time to quality and the run is stopped (SIGINT, which dial handles
cleanly). Without reaching it, dial runs until Optuna's own time to its best
and reports what it reached; --dial-limit F stops it at F times that time
instead (0.2, say: four times the goal, when Optuna's time is an hour).

Prints per problem: Optuna's best, its time to it, dial's time to the same
score, the ratio dial / Optuna (goal: at most 1/20 = 0.05) and both trial
counts.

--quick: 15 Optuna trials, svm_satimage only (a smoke run).

--optuna-cache FILE: Optuna's side is the slow one (an hour or more for
gbdt_letter) and does not change with dial: its result for a problem, seed
and trial count is read from FILE (JSON lines) when there, else measured
and added to it, so that dial's side can be measured again alone. The
table says which figures came from the file and when they were measured.
"""
import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings

FOLDS = 5
FOLD_COLUMN = "bench_fold"
GOAL = 1 / 20
PROBLEMS = {  # name: (dataset, target, dial model, dial's extra arguments)
    "svm_satimage": ("satimage", "classes", "svm", []),
    "mlp_digits": ("digits", "digit", "mlp", []),
    "gbdt_letter": ("letter", "lettr", "gbdt", ["--space", "n_estimators=20..200:log"]),
}
TRIAL_LINE = re.compile(r"^trial (\d+) complete: \S+ (-?[0-9.]+)")


def default_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", "..", "shared", "data"), "/work/shared/data"):
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(here, "..", "data")


def write_with_folds(source, target, destination):
    """Copies source with the stratified fold column; returns the folds."""
    with open(source, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    column = header.index(target)
    order = list(range(len(body)))
    random.Random(0).shuffle(order)
    folds, dealt = [0] * len(body), {}
    for i in order:
        label = body[i][column]
        folds[i] = dealt.get(label, 0) % FOLDS
        dealt[label] = dealt.get(label, 0) + 1
    with open(destination, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header + [FOLD_COLUMN])
        for row, fold in zip(body, folds):
            writer.writerow(row + [str(fold)])
    return folds


# ---- Optuna's side -----------------------------------------------------------------


def sklearn_objective(problem, x, y, folds, seed):
    from sklearn.model_selection import PredefinedSplit, cross_val_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    split = PredefinedSplit(folds)

    def objective(trial):
        if problem == "svm_satimage":
            model = SVC(C=trial.suggest_float("C", 2.0 ** -5, 2.0 ** 15, log=True),
                        gamma=trial.suggest_float("gamma", 2.0 ** -15, 2.0 ** 3, log=True))
        else:
            model = MLPClassifier(
                hidden_layer_sizes=(trial.suggest_int("hidden", 16, 512, log=True),),
                learning_rate_init=trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True),
                alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
                batch_size=200, max_iter=200, random_state=seed)
        pipeline = make_pipeline(StandardScaler(), model)
        return cross_val_score(pipeline, x, y, cv=split, n_jobs=2, scoring="accuracy").mean()

    return objective


def xgboost_objective(x, codes, folds, seed):
    import numpy as np
    import xgboost as xgb
    dtrain = xgb.DMatrix(x, label=codes.astype(np.float32), nthread=2)
    fold_of = np.asarray(folds)
    splits = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(FOLDS)]

    def objective(trial):
        params = {
            "tree_method": "hist", "nthread": 2, "objective": "multi:softprob",
            "num_class": int(codes.max()) + 1, "eval_metric": "merror", "seed": seed,
            "verbosity": 0,
            "eta": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 12),
            "min_child_weight": trial.suggest_float("min_child_weight", 1, 32, log=True),
            "reg_lambda": trial.suggest_float("lambda", 1e-3, 100, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1),
            "colsample_bytree": trial.suggest_float("colsample", 0.5, 1),
        }
        rounds = trial.suggest_int("n_estimators", 20, 200, log=True)
        history = xgb.cv(params, dtrain, num_boost_round=rounds, folds=splits,
                         metrics="merror", as_pandas=True, seed=seed)
        return 1.0 - float(history["test-merror-mean"].iloc[-1])

    return objective


def run_optuna(problem, path, target, folds, trials, seed):
    """Returns (best score, seconds to first reach it, trial number, total seconds)."""
    import numpy as np
    import optuna
    import pandas as pd
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    frame = pd.read_csv(path)
    y = frame[target]
    x = frame.drop(columns=[target, FOLD_COLUMN]).to_numpy(dtype=np.float64)
    if problem == "gbdt_letter":
        codes, _ = pd.factorize(y, sort=True)
        objective = xgboost_objective(x.astype(np.float32), codes, folds, seed)
    else:
        objective = sklearn_objective(problem, x, y.to_numpy(), np.asarray(folds), seed)
    ends = []
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials,
                   callbacks=[lambda s, t: ends.append(time.perf_counter() - started)])
    values = [t.value for t in study.trials]
    best = max(values)
    first = values.index(best)
    return best, ends[first], first, ends[-1]


def cached_optuna(cache, problem, seed, trials):
    """The line of the cache for these, or None."""
    if not cache or not os.path.exists(cache):
        return None
    with open(cache) as f:
        for line in f:
            entry = json.loads(line)
            if (entry["problem"], entry["seed"], entry["trials"]) == (problem, seed, trials):
                return entry
    return None


# ---- dial's side -----------------------------------------------------------------------


def exact_value(dial, study, number):
    done = subprocess.run([dial, "trials", study, "--json"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    if done.returncode != 0:
        return None
    for trial in json.loads(done.stdout)["trials"]:
        if trial["number"] == number:
            return trial["value"]
    return None


def run_dial(dial, problem, path, target, seed, jobs, goal, timeout, study):
    """Returns (seconds to reach goal or None, trials seen, best printed, the plan line)."""
    _, _, model, extra = PROBLEMS[problem]
    command = [dial, "tune", model, path, "--target", target, "--sampler", "auto",
               "--seed", str(seed), "--fold-column", FOLD_COLUMN, "--jobs", str(jobs),
               "--trials", "100000", "--timeout", "%ds" % max(1, int(timeout + 1)),
               "--study", study] + extra
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    reached, seen, best_printed, plan = None, 0, float("-inf"), ""
    for line in process.stderr:
        now = time.perf_counter() - started
        if line.startswith("sampler:"):
            plan = line.strip()
        match = TRIAL_LINE.match(line)
        if not match:
            continue
        seen += 1
        number, printed = int(match.group(1)), float(match.group(2))
        best_printed = max(best_printed, printed)
        # Printed to 4 decimals: a line within rounding of the goal is checked exactly.
        if reached is None and printed >= round(goal, 4) - 5e-5:
            value = exact_value(dial, study, number)
            if value is not None and value >= goal:
                reached = now
                process.send_signal(signal.SIGINT)
    process.wait()
    return reached, seen, best_printed, plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dial")
    parser.add_argument("data_dir", nargs="?", default=default_data_dir())
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--trials", type=int, default=100, help="Optuna's trials (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="dial's --jobs (default 2)")
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--optuna-cache", help="JSON lines of Optuna's results to reuse and add to")
    parser.add_argument("--dial-limit", type=float, default=1.0,
                        help="stop dial at this fraction of Optuna's time to its best (default 1)")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.problems = 15, "svm_satimage"
    dial = os.path.abspath(args.dial)
    rows = []
    for problem in args.problems.split(","):
        if problem not in PROBLEMS:
            sys.exit("unknown problem '%s' (known: %s)" % (problem, ", ".join(PROBLEMS)))
        dataset, target, _, _ = PROBLEMS[problem]
        folder = tempfile.mkdtemp(prefix="time_to_quality_", dir=args.dir)
        try:
            path = os.path.join(folder, dataset + ".csv")
            folds = write_with_folds(os.path.join(args.data_dir, dataset + ".csv"), target, path)
            entry = cached_optuna(args.optuna_cache, problem, args.seed, args.trials)
            if entry is None:
                measured = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                best, optuna_seconds, optuna_trial, optuna_total = run_optuna(
                    problem, path, target, folds, args.trials, args.seed)
                if args.optuna_cache:
                    with open(args.optuna_cache, "a") as f:
                        f.write(json.dumps({
                            "problem": problem, "seed": args.seed, "trials": args.trials,
                            "best": best, "seconds": optuna_seconds, "trial": optuna_trial,
                            "total": optuna_total, "measured": measured}) + "\n")
                source = "measured now"
            else:
                best, optuna_seconds = entry["best"], entry["seconds"]
                optuna_trial, optuna_total = entry["trial"], entry["total"]
                source = "from %s, measured %s" % (args.optuna_cache, entry["measured"])
            print("%s: Optuna TPE best %.6f at trial %d, %.1f s (%d trials in %.1f s; %s)"
                  % (problem, best, optuna_trial, optuna_seconds, args.trials, optuna_total,
                     source), flush=True)
            limit = optuna_seconds * args.dial_limit
            reached, seen, best_printed, plan = run_dial(
                dial, problem, path, target, args.seed, args.jobs, best, limit,
                os.path.join(folder, "dial.db"))
        finally:
            shutil.rmtree(folder)
        print("%s: dial %s; %s" % (problem, plan or "(no plan line)",
                                   "reached it in %.2f s after %d trials" % (reached, seen)
                                   if reached is not None else
                                   "did not reach it in %.1f s (%d trials, best %.4f)"
                                   % (limit, seen, best_printed)), flush=True)
        rows.append((problem, best, optuna_trial, optuna_seconds, reached, seen))

    print("\n| problem | Optuna best | Optuna trial | Optuna s | dial s | dial trials | "
          "dial / Optuna |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for problem, best, trial, seconds, reached, seen in rows:
        ratio = reached / seconds if reached is not None else None
        print("| %s | %.4f | %d | %.1f | %s | %d | %s |"
              % (problem, best, trial, seconds,
                 "%.2f" % reached if reached is not None else "not reached", seen,
                 "%.3f (goal <= %.2f: %s)" % (ratio, GOAL, "met" if ratio <= GOAL else "NOT MET")
                 if ratio is not None else "NOT MET"))


if __name__ == "__main__":
    main()
