#!/usr/bin/python3
"""Times dial's mlp against scikit-learn's MLPClassifier, in one run.

usage: /usr/bin/python3 bench/mlp_vs_sklearn.py DIAL [--jobs N] [--repeats N]
                                                [--fashion [--data DIR] [--seeds N]]

DIAL is the dial program of a Release build (e.g. build/dial); with
--fashion, bench_models from the same build folder is used too. Both sides
train the same network the same way: one hidden layer of 100 relu units,
adam (learning rate 1e-3, beta1 0.9, beta2 0.999, eps 1e-8), L2 alpha 1e-4,
minibatches of 200 rows, 200 epochs, features standardised on the training
rows. scikit-learn is told never to stop early (n_iter_no_change larger than
the epochs, tol 0), so both run all 200 epochs.

Cases:
  digits         data/digits.csv (1797 x 64, 10 classes): 5-fold stratified
                 cross-validation. dial: the `dial cv mlp ... --jobs N`
                 process (reading the CSV included, a few milliseconds);
                 scikit-learn: cross_val_score on arrays in memory. The folds
                 differ (each side shuffles with its own generator) but have
                 the same sizes and class shares.
  fashion_mnist  with --fashion: a 10,000-row sample (seed 0) of the
                 Fashion-MNIST training images (DIR/fashion_mnist, default
                 /work/shared/data), 784 pixels scaled to [0, 1]; one fit on
                 the rows whose index % 5 != 0 (8,000) and a prediction of
                 the others (2,000), the same rows on both sides. dial:
                 bench_models (2 threads, fit + predict, CSV reading not
                 timed); scikit-learn: fit + predict of the pipeline.

  --seeds N      with --fashion: the accuracy of each side over seeds
                 1..N (dial fit --seed S and dial predict on the same
                 8,000 / 2,000 rows; MLPClassifier(random_state=S)), untimed,
                 with their means: one seed's accuracy on 2,000 rows moves
                 by a few tenths of a point with the initial weights alone.

Threads: OPENBLAS_NUM_THREADS is left unset for both. dial gets --jobs N
(default 2, the machine's cores): dial cv runs folds in parallel, one thread
per fit, and a single fit spreads each minibatch over its threads. dial's
MLP does its matrix products with its own kernels, not OpenBLAS's (see
src/models/mlp_gemm.h). scikit-learn runs with n_jobs=None (one fold at a
time) and numpy's OpenBLAS uses its default threads.

Prints one line per case: wall seconds of each and their ratio dial /
scikit-learn (below 0.5 meets the goal of issue 4), the CPU seconds (user +
system, all threads) of each and their ratio, which a busy machine disturbs
less than wall time, and both accuracies (the mean over the folds for
digits).
"""
import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HIDDEN = 100
EPOCHS = 200
BATCH = 200
FOLDS = 5
DIAL_KNOBS = [f"hidden={HIDDEN}", f"epochs={EPOCHS}", f"batch_size={BATCH}", "solver=adam",
              "learning_rate=1e-3", "alpha=1e-4", "activation=relu"]


def sklearn_model(seed=0):
    mlp = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam",
                        alpha=1e-4, batch_size=BATCH, learning_rate_init=1e-3,
                        max_iter=EPOCHS, n_iter_no_change=EPOCHS + 1, tol=0.0,
                        random_state=seed)
    return make_pipeline(StandardScaler(), mlp)


def run_sklearn(x, y, repeats):
    best, best_cpu, scores = float("inf"), float("inf"), None
    for _ in range(repeats):
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
        start, start_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_val_score(sklearn_model(), x, y, cv=folds, scoring="accuracy")
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, float(np.mean(scores))


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_dial(dial, csv, target, jobs, repeats):
    command = [dial, "cv", "mlp", csv, "--target", target, "--folds", str(FOLDS), "--jobs",
               str(jobs), "--json"]
    for knob in DIAL_KNOBS:
        command += ["-s", knob]
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(command, capture_output=True, text=True)
        elapsed, cpu = time.perf_counter() - start, children_cpu() - start_cpu
        if done.returncode != 0:
            sys.exit(f"dial failed: {' '.join(command)}\n{done.stderr}")
        result = json.loads(done.stdout)
        best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
    return best, best_cpu, result["mean"]


def run_dial_holdout(bench_models, csv, target, repeats):
    command = [bench_models, "mlp", csv, target, str(repeats)] + DIAL_KNOBS
    start_cpu = children_cpu()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_models failed: {' '.join(command)}\n{done.stderr}")
    result = json.loads(done.stdout)
    # bench_models reports the best wall time of its repeats; its CPU time
    # covers them all and the CSV reading, so it is divided by the repeats.
    cpu = (children_cpu() - start_cpu) / repeats
    return result["fit_predict_seconds"], cpu, result["score"]


def run_sklearn_holdout(x, y, repeats):
    test = np.arange(len(y)) % 5 == 0
    best, best_cpu, accuracy = float("inf"), float("inf"), None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = sklearn_model().fit(x[~test], y[~test])
            predicted = model.predict(x[test])
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        accuracy = float(np.mean(predicted == y[test]))
    return best, best_cpu, accuracy


def seed_accuracies(dial, csv, x, y, seeds, workdir):
    """Untimed: each side's holdout accuracy for seeds 1..seeds."""
    frame = pd.read_csv(csv)
    test = np.arange(len(frame)) % 5 == 0
    train_csv, test_csv = os.path.join(workdir, "train.csv"), os.path.join(workdir, "test.csv")
    frame[~test].to_csv(train_csv, index=False)
    frame[test].to_csv(test_csv, index=False)
    model, predictions = os.path.join(workdir, "mlp.dial"), os.path.join(workdir, "pred.csv")
    dial_scores, sk_scores = [], []
    for seed in range(1, seeds + 1):
        command = [dial, "fit", "mlp", train_csv, "--target", "label", "--seed", str(seed),
                   "-o", model]
        for knob in DIAL_KNOBS:
            command += ["-s", knob]
        for step in (command, [dial, "predict", model, test_csv, "-o", predictions]):
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"dial failed: {' '.join(step)}\n{done.stderr}")
        predicted = pd.read_csv(predictions)["label"].values
        dial_scores.append(float(np.mean(predicted == y[test])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = sklearn_model(seed).fit(x[~test], y[~test])
        sk_scores.append(float(np.mean(fitted.predict(x[test]) == y[test])))
        print(f"  seed {seed}: dial {dial_scores[-1]:.4f}  sklearn {sk_scores[-1]:.4f}", flush=True)
    print(f"  mean over {seeds} seeds: dial {np.mean(dial_scores):.4f}  "
          f"sklearn {np.mean(sk_scores):.4f}", flush=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_sample(data_dir, workdir):
    folder = os.path.join(data_dir, "fashion_mnist")
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"))
    rows = np.random.RandomState(0).choice(len(labels), 10000, replace=False)
    x = images[rows].reshape(len(rows), -1).astype(float) / 255.0
    y = labels[rows].astype(int)
    frame = pd.DataFrame(x, columns=[f"p{i}" for i in range(x.shape[1])])
    frame["label"] = y
    csv = os.path.join(workdir, "fashion_mnist_10k.csv")
    frame.to_csv(csv, index=False, float_format="%.6g")
    return csv, x, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dial")
    parser.add_argument("--data", default=None, help="folder of the large datasets")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--fashion", action="store_true")
    parser.add_argument("--seeds", type=int, default=0)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data_dir = args.data or next((d for d in ["/work/shared/data",
                                              os.path.join(root, "..", "shared", "data")]
                                  if os.path.isdir(d)), None)

    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"dial --jobs {args.jobs}, best of {args.repeats}")
    print(f"{'case':14s} {'dial s':>8s} {'sklearn s':>10s} {'ratio':>6s} "
          f"{'dial cpu s':>11s} {'sklearn cpu s':>14s} {'cpu ratio':>10s} "
          f"{'dial acc':>9s} {'sklearn acc':>12s}")
    with tempfile.TemporaryDirectory() as workdir:
        frame = pd.read_csv(os.path.join(root, "data", "digits.csv"))
        x = frame.drop(columns=["digit"]).values.astype(float)
        y = frame["digit"].values
        dial = run_dial(args.dial, os.path.join(root, "data", "digits.csv"), "digit", args.jobs,
                        args.repeats)
        report("digits", dial, run_sklearn(x, y, args.repeats))
        if args.fashion:
            if not data_dir:
                sys.exit("--fashion needs the shared data folder (--data DIR)")
            bench_models = os.path.join(os.path.dirname(os.path.abspath(args.dial)),
                                        "bench_models")
            csv, x, y = fashion_sample(data_dir, workdir)
            dial = run_dial_holdout(bench_models, csv, "label", args.repeats)
            report("fashion_mnist", dial, run_sklearn_holdout(x, y, args.repeats))
            if args.seeds:
                print(f"fashion_mnist accuracy over seeds (untimed, {HIDDEN} units, "
                      f"{EPOCHS} epochs):", flush=True)
                seed_accuracies(args.dial, csv, x, y, args.seeds, workdir)


def report(name, dial, sk):
    (dial_seconds, dial_cpu, dial_accuracy), (sk_seconds, sk_cpu, sk_accuracy) = dial, sk
    print(f"{name:14s} {dial_seconds:8.2f} {sk_seconds:10.2f} {dial_seconds / sk_seconds:6.2f} "
          f"{dial_cpu:11.2f} {sk_cpu:14.2f} {dial_cpu / sk_cpu:10.2f} {dial_accuracy:9.4f} "
          f"{sk_accuracy:12.4f}", flush=True)


if __name__ == "__main__":
    main()
