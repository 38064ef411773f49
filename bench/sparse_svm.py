#!/usr/bin/env python3
"""Kernel SVM on sparse text: dial fit svm against svm-train.

The case of the sparse-data issue: a LIBSVM file of 5,000 rows and 20,000
words with 20 words a row (bench/gen_text.py --rows 5000 --vocabulary
20000 --min-words 20 --max-words 20, tf-idf, 5 classes). Every fifth row
is held out; on the same training file:

- dial fit svm -s kernel=linear, and -s kernel=rbf -s gamma=G (sparse
  input: kernel rows from sparse dot products, the data unscaled);
- svm-train -t 0, and -t 2 -g G, both -c 1 (libsvm-tools).

Each run is one process under /usr/bin/time -v (fit, then predict of the
held-out rows, each its own process): wall time and peak memory (maximum
resident set size). The table gives the test accuracy and the number of
support vectors, and time and memory as ratios to svm-train's of the same
kernel.

    python3 bench/sparse_svm.py --dial build/dial            # 5,000 x 20,000
    python3 bench/sparse_svm.py --dial build/dial --quick    # 1,000 x 5,000
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from measure import accuracy, labels, timed

HERE = os.path.dirname(os.path.abspath(__file__))


def run_dial(dial, train, test, work, name, settings):
    model = os.path.join(work, name + ".dial")
    out = os.path.join(work, name + ".csv")
    knobs = [arg for s in settings for arg in ("-s", s)]
    _, fit_s, fit_mb = timed([dial, "fit", "svm", train] + knobs + ["-o", model])
    _, pred_s, pred_mb = timed([dial, "predict", model, test, "-o", out])
    with open(out) as f:
        predicted = [line.strip() for line in f][1:]
    inspect = subprocess.run([dial, "inspect", model, "--json"], capture_output=True, text=True)
    n_sv = "?"
    try:
        tensors = json.loads(inspect.stdout).get("tensors", [])
        for t in tensors if isinstance(tensors, list) else []:
            if t.get("name") == "support":
                n_sv = t["shape"][0]
    except (ValueError, KeyError, TypeError):
        pass
    return fit_s + pred_s, max(fit_mb, pred_mb), accuracy(predicted, labels(test)), n_sv


def run_libsvm(options, train, test, work, name):
    model = os.path.join(work, name + ".model")
    out = os.path.join(work, name + ".out")
    _, fit_s, fit_mb = timed(["svm-train", "-q"] + options + [train, model])
    _, pred_s, pred_mb = timed(["svm-predict", test, model, out])
    with open(out) as f:
        predicted = [line.strip() for line in f]
    n_sv = "?"
    with open(model, "rb") as f:
        for line in f:
            if line.startswith(b"total_sv"):
                n_sv = int(line.split()[1])
                break
    return fit_s + pred_s, max(fit_mb, pred_mb), accuracy(predicted, labels(test)), n_sv


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dial", default=os.path.join(HERE, "..", "build", "dial"))
    p.add_argument("--quick", action="store_true", help="1,000 rows, 5,000 words")
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--vocabulary", type=int, default=20000)
    p.add_argument("--words", type=int, default=20, help="words a row")
    p.add_argument("--gamma", type=float, default=1.0,
                   help="rbf's gamma (tf-idf rows have unit length)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.quick:
        a.rows, a.vocabulary = 1000, 5000
    with tempfile.TemporaryDirectory() as work:
        whole = os.path.join(work, "text.libsvm")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_text.py"), "--rows", str(a.rows),
                        "--vocabulary", str(a.vocabulary), "--min-words", str(a.words),
                        "--max-words", str(a.words), "--seed", str(a.seed), "-o", whole],
                       check=True)
        train, test = os.path.join(work, "train.libsvm"), os.path.join(work, "test.libsvm")
        with open(whole) as f, open(train, "w") as tr, open(test, "w") as te:
            for i, line in enumerate(f):
                (te if i % 5 == 0 else tr).write(line)
        nnz = sum(len(line.split()) - 1 for line in open(train))
        print(f"{a.rows} rows x {a.vocabulary} words, {a.words} words a row, 5 classes; "
              f"training file {nnz} nonzeros; test: every fifth row; C=1, rbf gamma={a.gamma:g}")
        gamma = f"{a.gamma:g}"
        pairs = [
            (("dial fit svm kernel=linear",
              run_dial(a.dial, train, test, work, "linear", ("kernel=linear", "C=1"))),
             ("svm-train -t 0", run_libsvm(["-t", "0", "-c", "1"], train, test, work, "t0"))),
            (("dial fit svm kernel=rbf",
              run_dial(a.dial, train, test, work, "rbf", ("kernel=rbf", "gamma=" + gamma, "C=1"))),
             ("svm-train -t 2", run_libsvm(["-t", "2", "-g", gamma, "-c", "1"], train, test, work,
                                           "t2"))),
        ]
        print(f"{'run':28} {'seconds':>8} {'MB':>7} {'accuracy':>9} {'SVs':>6} {'time x':>7} "
              f"{'mem x':>6}")
        for ours, theirs in pairs:
            base = theirs[1]
            for name, (seconds, mb, acc, n_sv) in (ours, theirs):
                print(f"{name:28} {seconds:8.2f} {mb:7.0f} {acc:8.2f}% {n_sv!s:>6} "
                      f"{seconds / base[0]:7.2f} {mb / base[1]:6.2f}")


if __name__ == "__main__":
    main()
