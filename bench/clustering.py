#!/usr/bin/python3
"""Clustering: dial's fit time against scikit-learn 1.2's, in the same run.

usage: /usr/bin/python3 bench/clustering.py DIAL [DATA_DIR] [--quick] [--jobs N] [--repeat N]

DIAL is the dial program (build/dial); DATA_DIR holds fashion_mnist/ (the
IDX files; default /work/shared/data, else ../shared/data next to the
repository). The cases are the issue's (issue 18):

  kmeans    1,000,000 x 16 generated (make_blobs, 10 centres, seed 0),
            k = 10, n_init = 3                           goal: <= 0.5x
  kmeans    Fashion-MNIST train, 60,000 x 784, k = 10, n_init = 3
                                                          goal: <= 0.5x
  gmm       100,000 x 8 generated, full covariance, 5 components
                                                          goal: <= 0.5x
  silhouette  of 20,000 x 16 generated rows (make_blobs, 8 centres,
            seed 2) in the clusters of a k = 8 fit, every row (dial score
            --silhouette-rows all) against silhouette_score  goal: <= 0.5x
  tune k    k = 2..20 by silhouette, 5-fold, 20,000 x 16: `dial tune`
            against a loop of scikit-learn fits scoring the same folds
                                                          goal: >= 5x faster

What is timed. dial: the fit alone, as `dial fit --json` reports it
(`fit_seconds`: the preprocessing and the family's fit, not reading the
CSV), with scale=none so both sides cluster the same numbers and
impute=none since scikit-learn imputes nothing (the default median
imputation sorts every column, which a fit would pay for nothing here);
for the silhouette the whole `dial score` command (reading the CSV and
predicting the clusters too), for the tuning case the whole `dial tune`
command. kmeans runs with its default algorithm (lloyd, as scikit-learn's),
and Fashion-MNIST with algorithm=hamerly too (the same clusters, fewer
distances on its 784 inputs). scikit-learn: `.fit(X)` on the
array already in memory (the tuning loop: every fit, predict and
silhouette_score of the folds). Both use --jobs threads (scikit-learn's
OpenMP threads through OMP_NUM_THREADS, set before it is imported).

Every time is the best of --repeat runs (default 3) on each side, which
keeps a passing burst of other work on the machine out of the figures.

--quick runs every case on small sizes (to check the script, not to
measure). Prints a table (dial seconds, scikit-learn seconds, the ratio
dial / scikit-learn, the goal) and one JSON line with every figure.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

ARGS = None


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dial")
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


ARGS = parse()
os.environ["OMP_NUM_THREADS"] = str(ARGS.jobs)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.jobs)

import numpy as np  # noqa: E402  (after the thread counts are set)
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402


def data_dir():
    if ARGS.data_dir:
        return ARGS.data_dir
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ("/work/shared/data", os.path.join(here, "..", "..", "shared", "data")):
        if os.path.isdir(candidate):
            return candidate
    return "/work/shared/data"


def write_csv(path, x):
    header = ",".join("x%d" % j for j in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.17g")


def fashion(rows):
    path = os.path.join(data_dir(), "fashion_mnist", "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        return None
    with gzip.open(path, "rb") as f:
        raw = f.read()
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)
    return images[:rows].astype(float)


def best_of(measure):
    """The smallest of --repeat calls of measure(), which returns seconds."""
    return min(measure() for _ in range(ARGS.repeat))


def dial_fit_seconds(model, csv, sets):
    command = [ARGS.dial, "fit", model, csv, "--json", "-j", str(ARGS.jobs), "-o",
               csv + ".dial", "-s", "scale=none", "-s", "impute=none"] + \
        [a for s in sets for a in ("-s", s)]
    return best_of(lambda: json.loads(subprocess.run(
        command, check=True, capture_output=True, text=True).stdout)["fit_seconds"])


def sklearn_seconds(fit):
    def once():
        start = time.perf_counter()
        fit()
        return time.perf_counter() - start
    return best_of(once)


def command_seconds(command):
    """The best of --repeat runs of a whole dial command, and its output."""
    out = {}

    def once():
        start = time.perf_counter()
        out["text"] = subprocess.run(command, check=True, capture_output=True,
                                     text=True).stdout
        return time.perf_counter() - start
    return best_of(once), out["text"]


def silhouette_case(folder, x):
    """`dial score --silhouette-rows all` (the whole command) against
    silhouette_score on the same rows and the same clusters (dial's)."""
    csv = os.path.join(folder, "silhouette.csv")
    write_csv(csv, x)
    model = csv + ".dial"
    subprocess.run([ARGS.dial, "fit", "kmeans", csv, "-s", "k=8", "-s", "scale=none", "-o", model,
                    "-j", str(ARGS.jobs)], check=True, capture_output=True)
    out = subprocess.run([ARGS.dial, "predict", model, csv], check=True, capture_output=True,
                         text=True).stdout
    labels = np.array([int(v) for v in out.split()[1:]])
    command = [ARGS.dial, "score", model, csv, "-m", "silhouette", "--silhouette-rows", "all",
               "--json", "-j", str(ARGS.jobs)]
    dial, out = command_seconds(command)
    score = {}
    sk = sklearn_seconds(lambda: score.update(value=silhouette_score(x, labels)))
    mine = json.loads(out)["metrics"]["silhouette"]
    if abs(mine - score["value"]) > 1e-9:
        sys.exit("silhouette: dial %.17g, scikit-learn %.17g" % (mine, score["value"]))
    return dial, sk


def tune_case(folder, x, k_max):
    """dial tune over k = 2..k_max against scikit-learn fits of every k on
    5 folds. The folds are scikit-learn's KFold(5, shuffle=True), not
    dial's rows: the same number of fits on the same sizes, so the same
    work, though the scores differ."""
    from sklearn.model_selection import KFold
    csv = os.path.join(folder, "tune.csv")
    write_csv(csv, x)
    command = [ARGS.dial, "tune", "kmeans", csv, "--sampler", "grid", "--space",
               "k=2..%d" % k_max, "-s", "scale=none", "-s", "n_init=1", "--metric", "silhouette",
               "--quiet", "--json", "-j", str(ARGS.jobs)]
    dial, _ = command_seconds(command)

    def loop():
        for k in range(2, k_max + 1):
            for train, test in KFold(5, shuffle=True, random_state=0).split(x):
                model = KMeans(k, n_init=1, random_state=0).fit(x[train])
                silhouette_score(x[test], model.predict(x[test]))

    return dial, sklearn_seconds(loop)


def main():
    quick = ARGS.quick
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        n = 20000 if quick else 1000000
        x, _ = make_blobs(n_samples=n, centers=10, n_features=16, random_state=0)
        csv = os.path.join(folder, "blobs.csv")
        write_csv(csv, x)
        dial = dial_fit_seconds("kmeans", csv, ["k=10", "n_init=3"])
        sk = sklearn_seconds(lambda: KMeans(10, n_init=3, random_state=0).fit(x))
        rows.append(("kmeans %d x 16, k=10, n_init=3" % n, dial, sk, "<= 0.5"))

        images = fashion(3000 if quick else 60000)
        if images is None:
            print("Fashion-MNIST not found under %s: case skipped" % data_dir(), file=sys.stderr)
        else:
            csv = os.path.join(folder, "fashion.csv")
            write_csv(csv, images)
            dial = dial_fit_seconds("kmeans", csv, ["k=10", "n_init=3"])
            sk = sklearn_seconds(lambda: KMeans(10, n_init=3, random_state=0).fit(images))
            rows.append(("kmeans Fashion-MNIST %d x 784, k=10, n_init=3" % len(images), dial, sk,
                         "<= 0.5"))
            dial = dial_fit_seconds("kmeans", csv, ["k=10", "n_init=3", "algorithm=hamerly"])
            rows.append(("  the same, dial algorithm=hamerly", dial, sk, "<= 0.5"))

        n = 10000 if quick else 100000
        x, _ = make_blobs(n_samples=n, centers=5, n_features=8, random_state=1)
        csv = os.path.join(folder, "gmm.csv")
        write_csv(csv, x)
        dial = dial_fit_seconds("gmm", csv, ["n_components=5", "covariance=full"])
        sk = sklearn_seconds(
            lambda: GaussianMixture(5, covariance_type="full", random_state=0).fit(x))
        rows.append(("gmm full %d x 8, 5 components" % n, dial, sk, "<= 0.5"))

        n = 5000 if quick else 20000
        x, _ = make_blobs(n_samples=n, centers=8, n_features=16, random_state=2)
        dial, sk = silhouette_case(folder, x)
        rows.append(("silhouette of every row, %d x 16, 8 clusters" % n, dial, sk, "<= 0.5"))

        n, k_max = (2000, 6) if quick else (20000, 20)
        x, _ = make_blobs(n_samples=n, centers=8, n_features=16, random_state=2)
        dial, sk = tune_case(folder, x, k_max)
        rows.append(("tune k=2..%d by silhouette, %d x 16, 5 folds" % (k_max, n), dial, sk,
                     ">= 5x faster"))

    print("%-52s %10s %10s %8s  %s" % ("case", "dial s", "sklearn s", "ratio", "goal"))
    for name, dial, sk, goal in rows:
        print("%-52s %10.3f %10.3f %8.3f  %s" % (name, dial, sk, dial / sk, goal))
    print(json.dumps({"quick": quick, "jobs": ARGS.jobs, "cases": [
        {"case": name, "dial_seconds": dial, "sklearn_seconds": sk, "ratio": dial / sk,
         "goal": goal} for name, dial, sk, goal in rows]}))


if __name__ == "__main__":
    main()
