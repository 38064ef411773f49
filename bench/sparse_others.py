#!/usr/bin/python3
"""The other models on sparse text: dial's knn, tree and linear against
scikit-learn's KNeighborsClassifier (brute force), DecisionTreeClassifier
and Ridge, on the same CSR data.

Makes the text of bench/sparse_trees.py (bench/gen_text.py, tf-idf, 5
classes; 20,000 rows of a 20,000-word vocabulary by default), holds out
every fifth row as the test set, and fits on the same training file:

- knn, k=5, uniform weights, euclidean and cosine distances: dial fit knn
  against KNeighborsClassifier(algorithm="brute", metric=...) on the CSR
  matrix (scikit-learn's only search for sparse rows);
- tree grown until pure (gini, every feature tried at every node), both
  with their defaults: dial fit tree against DecisionTreeClassifier;
- linear regression of the class number scored by r2 on the test rows:
  a ridge (dial's alpha=0.001, l1_ratio=0, which is scikit-learn's Ridge
  with alpha = 0.001 x the training rows) against Ridge(alpha=...) with
  its default solver for sparse rows (sparse_cg), and an elastic net
  (alpha=0.0001, l1_ratio=0.5, the same knobs on both sides) against
  ElasticNet, each with its default tolerance. dial fits both on the
  sparse rows (src/models/linear_sparse.c: conjugate gradients, and
  coordinate descent over a column copy).

Each program runs as its own process under /usr/bin/time -v: its wall time
(reading the file, fitting and predicting) and peak memory. dial's fit and
predict are two processes (dial fit, dial predict), their seconds added and
the larger peak kept; the peers fit and predict in one. Ratios are dial /
peer: below 1, dial is faster or smaller. dial fit also scores the
training rows, which for knn is a search of every training row (four times
the test rows), so knn's lines also give dial predict alone, the search of
the same test rows as the peer's. dial runs with --jobs 1;
scikit-learn as it comes (its brute-force neighbours use more than one
thread through numpy's BLAS).

    /usr/bin/python3 bench/sparse_others.py --dial build/dial
    /usr/bin/python3 bench/sparse_others.py --dial build/dial --quick   # 2,000 x 5,000
    /usr/bin/python3 bench/sparse_others.py --dial build/dial --models knn --knn-metrics cosine
"""
import argparse
import os
import sys
import tempfile

from measure import accuracy, labels, text_split, timed

HERE = os.path.dirname(os.path.abspath(__file__))
RIDGE_ALPHA = 0.001  # dial's alpha; scikit-learn's is this times the training rows
ENET_ALPHA = 0.0001  # the same on both sides, with l1_ratio 0.5

PEER = r"""
import sys, time
import numpy as np
from sklearn.datasets import load_svmlight_files
which, train, test = sys.argv[1], sys.argv[2], sys.argv[3]
x, y, xt, yt = load_svmlight_files([train, test])
if which.startswith("knn"):
    from sklearn.neighbors import KNeighborsClassifier
    model = KNeighborsClassifier(n_neighbors=5, algorithm="brute", metric=which.split("-")[1])
elif which == "tree":
    from sklearn.tree import DecisionTreeClassifier
    model = DecisionTreeClassifier(random_state=0)
elif which == "enet":
    from sklearn.linear_model import ElasticNet
    model = ElasticNet(alpha=float(sys.argv[5]), l1_ratio=0.5)
else:
    from sklearn.linear_model import Ridge
    model = Ridge(alpha=float(sys.argv[4]) * x.shape[0])
start = time.perf_counter()
model.fit(x, y)
predicted = model.predict(xt)
seconds = time.perf_counter() - start
if which in ("linear", "enet"):
    score = 1 - np.sum((yt - predicted) ** 2) / np.sum((yt - yt.mean()) ** 2)
else:
    score = 100 * float(np.mean(predicted == yt))
print("seconds", seconds, "score", score)
"""


def r2(predicted, truth):
    p, t = [float(v) for v in predicted], [float(v) for v in truth]
    mean = sum(t) / len(t)
    return 1 - sum((a - b) ** 2 for a, b in zip(p, t)) / sum((b - mean) ** 2 for b in t)


def run_dial(a, family, knobs, train, test, work, regression=False):
    """(seconds, peak MB, score) of dial fit + dial predict, and (seconds, peak
    MB) of dial predict alone."""
    model, out = os.path.join(work, family + ".dial"), os.path.join(work, family + ".csv")
    sets = [arg for k in knobs for arg in ("-s", k)]
    task = ["--task", "regression"] if regression else []
    _, fit_s, fit_mb = timed([a.dial, "fit", family, train, "--jobs", "1", "-o", model] + task +
                             sets)
    _, pred_s, pred_mb = timed([a.dial, "predict", model, test, "--jobs", "1", "-o", out])
    with open(out) as f:
        predicted = [line.split(",")[0].strip() for line in f][1:]
    truth = labels(test)
    score = r2(predicted, truth) if regression else accuracy(predicted, truth)
    return fit_s + pred_s, max(fit_mb, pred_mb), score, (pred_s, pred_mb)


def run_peer(which, train, test):
    stdout, seconds, mb = timed([sys.executable, "-c", PEER, which, train, test,
                                 str(RIDGE_ALPHA), str(ENET_ALPHA)])
    return seconds, mb, float(stdout.split()[3])


def report(name, dial, peer, peer_name, unit, predict_alone=False):
    """With predict_alone, also dial predict by itself (see the top)."""
    print(f"{'run':42} {'seconds':>8} {'peak MB':>8} {unit:>9}")
    for who, (seconds, mb, score) in ((name, dial[:3]), (peer_name, peer)):
        print(f"{who:42} {seconds:8.2f} {mb:8.0f} {score:9.4f}")
    print(f"{'ratio dial / peer':42} {dial[0] / peer[0]:8.2f} {dial[1] / peer[1]:8.2f} "
          f"{dial[2] - peer[2]:+9.4f}")
    if predict_alone:
        seconds, mb = dial[3]
        print(f"{'dial predict alone (the same test rows)':42} {seconds:8.2f} {mb:8.0f}")
        print(f"{'ratio dial predict / peer':42} {seconds / peer[0]:8.2f} {mb / peer[1]:8.2f}")
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dial", default=os.path.join(HERE, "..", "build", "dial"))
    p.add_argument("--quick", action="store_true", help="2,000 rows, 5,000 words")
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--vocabulary", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--models", default="knn,tree,linear",
                   help="which of knn, tree, linear (default all; linear is a ridge and an "
                        "elastic net)")
    p.add_argument("--knn-metrics", default="euclidean,cosine",
                   help="knn's distances (scikit-learn's euclidean search on sparse rows takes "
                        "about 11 minutes at the default size)")
    a = p.parse_args()
    models = a.models.split(",")
    if a.quick:
        a.rows, a.vocabulary = 2000, 5000
    with tempfile.TemporaryDirectory() as work:
        train, test = text_split(work, a.rows, a.vocabulary, a.seed)
        print(f"{a.rows} rows x {a.vocabulary} words, 5 classes, tf-idf; test: every fifth "
              f"row; one thread each\n")
        for metric in a.knn_metrics.split(",") if "knn" in models else ():
            print(f"knn: k=5, {metric}")
            report(f"dial fit knn metric={metric}",
                   run_dial(a, "knn", ["k=5", f"metric={metric}"], train, test, work),
                   run_peer(f"knn-{metric}", train, test),
                   f"KNeighborsClassifier brute {metric}", "accuracy", predict_alone=True)
        if "tree" in models:
            print("tree: grown until pure, gini")
            report("dial fit tree", run_dial(a, "tree", [], train, test, work),
                   run_peer("tree", train, test), "DecisionTreeClassifier", "accuracy")
        if "linear" not in models:
            return
        print(f"linear: ridge regression of the class number, dial alpha={RIDGE_ALPHA}")
        report("dial fit linear",
               run_dial(a, "linear", [f"alpha={RIDGE_ALPHA}"], train, test, work, True),
               run_peer("linear", train, test), "Ridge", "r2")
        print(f"linear: elastic net of the class number, alpha={ENET_ALPHA}, l1_ratio=0.5")
        report("dial fit linear l1_ratio=0.5",
               run_dial(a, "linear", [f"alpha={ENET_ALPHA}", "l1_ratio=0.5"], train, test, work,
                        True),
               run_peer("enet", train, test), "ElasticNet", "r2")


if __name__ == "__main__":
    main()
