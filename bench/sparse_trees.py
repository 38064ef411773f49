#!/usr/bin/python3
"""Trees on sparse text: dial's gbdt against XGBoost's hist, dial's forest
against scikit-learn's RandomForestClassifier, on the same CSR data.

Makes text-like LIBSVM data with bench/gen_text.py (tf-idf, 5 classes;
20,000 rows of a 20,000-word vocabulary by default), holds out every fifth
row as the test set, and fits on the same training file:

- dial fit gbdt (sparse input: bins from each word's nonzero values and a
  bin of zeros, zeros sent to the side that gains most) and XGBoost's
  XGBClassifier(tree_method="hist") on the CSR matrix scikit-learn's
  load_svmlight_files reads (absent entries its missing values), with the
  same rounds, depth, learning rate, max_bin, lambda 1, min_child_weight 1
  and threads;
- dial fit forest and RandomForestClassifier on the same CSR matrix, the
  same number of trees and threads, both with their defaults otherwise
  (sqrt(features) drawn per node, gini, trees grown until pure).

Each program runs as its own process under /usr/bin/time -v: its wall time
(reading the file, fitting and predicting) and peak memory (maximum
resident set size). dial's fit and predict are two processes (dial fit,
dial predict), their seconds added and the larger peak kept; the peers
fit and predict in one. The fit alone is also given: dial's own "fit time"
line, and the peers' fit() timed inside their process. Ratios are dial /
peer: below 1, dial is faster or smaller. The memory goal of issue 17 (at
most about twice the training file's nonzeros x 12 bytes, plus the model)
is printed beside them.

    /usr/bin/python3 bench/sparse_trees.py --dial build/dial
    /usr/bin/python3 bench/sparse_trees.py --dial build/dial --quick   # 2,000 x 5,000
"""
import argparse
import os
import re
import sys
import tempfile

from measure import labels, text_split, timed

HERE = os.path.dirname(os.path.abspath(__file__))

PEER = r"""
import sys, time
import numpy as np
from sklearn.datasets import load_svmlight_files
which, train, test = sys.argv[1], sys.argv[2], sys.argv[3]
rounds, depth, eta, max_bin, trees, jobs = (int(sys.argv[4]), int(sys.argv[5]),
                                            float(sys.argv[6]), int(sys.argv[7]),
                                            int(sys.argv[8]), int(sys.argv[9]))
x, y, xt, yt = load_svmlight_files([train, test])
classes = np.unique(y)
y, yt = np.searchsorted(classes, y), np.searchsorted(classes, yt)
if which == "xgboost":
    import xgboost as xgb
    model = xgb.XGBClassifier(tree_method="hist", n_estimators=rounds, max_depth=depth,
                              learning_rate=eta, max_bin=max_bin, reg_lambda=1,
                              min_child_weight=1, n_jobs=jobs)
else:
    from sklearn.ensemble import RandomForestClassifier
    model = RandomForestClassifier(n_estimators=trees, n_jobs=jobs, random_state=0)
start = time.perf_counter()
model.fit(x, y)
fit = time.perf_counter() - start
print("fit", fit, "accuracy", float(np.mean(model.predict(xt) == yt)))
"""


def run_dial(a, family, knobs, train, test, work):
    """(seconds, fit seconds, peak MB, accuracy %) of dial fit + dial predict."""
    model, out = os.path.join(work, family + ".dial"), os.path.join(work, family + ".csv")
    sets = [arg for k in knobs for arg in ("-s", k)]
    stdout, fit_s, fit_mb = timed([a.dial, "fit", family, train, "--jobs", str(a.jobs),
                                   "-o", model] + sets)
    # dial writes a fit under a second in ms ("0.683 ms"), else in s
    value, unit = re.search(r"fit time\s+([\d.]+) (ms|s)\b", stdout).groups()
    inner = float(value) / (1000 if unit == "ms" else 1)
    _, pred_s, pred_mb = timed([a.dial, "predict", model, test, "--jobs", str(a.jobs),
                                "-o", out])
    with open(out) as f:
        predicted = [line.split(",")[0].strip() for line in f][1:]
    truth = labels(test)
    hits = sum(float(p) == float(t) for p, t in zip(predicted, truth))
    return fit_s + pred_s, inner, max(fit_mb, pred_mb), 100.0 * hits / len(truth)


def run_peer(a, which, train, test):
    stdout, seconds, mb = timed([sys.executable, "-c", PEER, which, train, test, str(a.rounds),
                                 str(a.depth), str(a.eta), str(a.max_bins), str(a.trees),
                                 str(a.jobs)])
    fields = stdout.split()
    return seconds, float(fields[1]), mb, 100.0 * float(fields[3])


def report(name, dial, peer, peer_name):
    print(f"{'run':34} {'seconds':>8} {'fit s':>8} {'peak MB':>8} {'accuracy':>9}")
    for who, (seconds, fit, mb, acc) in ((name, dial), (peer_name, peer)):
        print(f"{who:34} {seconds:8.2f} {fit:8.2f} {mb:8.0f} {acc:8.2f}%")
    print(f"{'ratio dial / ' + peer_name.split()[0]:34} {dial[0] / peer[0]:8.2f} "
          f"{dial[1] / peer[1]:8.2f} {dial[2] / peer[2]:8.2f} {dial[3] - peer[3]:+8.2f} pts\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dial", default=os.path.join(HERE, "..", "build", "dial"))
    p.add_argument("--quick", action="store_true", help="2,000 rows, 5,000 words")
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--vocabulary", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=100, help="gbdt rounds (n_estimators)")
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--eta", type=float, default=0.3)
    p.add_argument("--max-bins", type=int, default=256)
    p.add_argument("--trees", type=int, default=100, help="forest trees")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--no-gbdt", action="store_true")
    p.add_argument("--no-forest", action="store_true")
    a = p.parse_args()
    if a.quick:
        a.rows, a.vocabulary, a.rounds, a.trees = 2000, 5000, 20, 20
    with tempfile.TemporaryDirectory() as work:
        train, test = text_split(work, a.rows, a.vocabulary, a.seed)
        nnz = sum(len(line.split()) - 1 for line in open(train))
        print(f"{a.rows} rows x {a.vocabulary} words, 5 classes, tf-idf; training file {nnz} "
              f"nonzeros ({nnz * 12 / 2**20:.1f} MB as CSR; issue 17's memory goal about "
              f"{2 * nnz * 12 / 2**20:.1f} MB plus the model); test: every fifth row; "
              f"{a.jobs} threads each\n")
        if not a.no_gbdt:
            knobs = [f"n_estimators={a.rounds}", f"max_depth={a.depth}",
                     f"learning_rate={a.eta}", f"max_bins={a.max_bins}"]
            print(f"gbdt: {a.rounds} rounds, depth {a.depth}, learning rate {a.eta}, "
                  f"max_bin {a.max_bins}")
            report("dial fit gbdt", run_dial(a, "gbdt", knobs, train, test, work),
                   run_peer(a, "xgboost", train, test), "xgboost hist")
        if not a.no_forest:
            print(f"forest: {a.trees} trees")
            report("dial fit forest",
                   run_dial(a, "forest", [f"n_estimators={a.trees}"], train, test, work),
                   run_peer(a, "forest", train, test), "sklearn RandomForest")
            model = os.path.getsize(os.path.join(work, "forest.dial")) / 2**20
            print(f"dial's forest model file: {model:.1f} MB (the memory goal: "
                  f"{2 * nnz * 12 / 2**20:.1f} MB + {model:.1f} MB = "
                  f"{2 * nnz * 12 / 2**20 + model:.1f} MB)\n")


if __name__ == "__main__":
    main()
