#!/usr/bin/env python3
"""Sparse text classification: dial against liblinear-train and scikit-learn.

Makes text-like LIBSVM data with bench/gen_text.py (tf-idf, 5 classes, a
50,000-word vocabulary by default), holds out every fifth row as the test
set, and fits on the same training file:

- dial fit logistic (sparse input: LIBLINEAR's dual coordinate descent,
  one class against the rest, C=1, the intercept as -B 1);
- dial fit linsvm (the L2-loss linear SVM by LIBLINEAR's dual coordinate
  descent, as -s 1) and with loss=hinge (the L1-loss one, as -s 3);
- liblinear-train -s 0 (primal L2 logistic regression), -s 7 (its dual),
  -s 2 and -s 1 (L2-loss linear SVM, primal and dual), -s 3 (L1-loss),
  all -c 1 -B 1;
- dial fit naive_bayes -s variant=multinomial (alpha 1);
- scikit-learn's LogisticRegression(solver="liblinear") and
  LogisticRegression(solver="saga"), LinearSVC and MultinomialNB, on the
  same CSR data (when the Python running this script has scikit-learn;
  Debian's python3-sklearn is /usr/bin/python3's).

Each run is one process under /usr/bin/time -v: its wall time (fit and
predict, the file read included) and peak memory (maximum resident set
size). The table gives the test accuracy, and time and memory as ratios to
liblinear-train -s 0's.

Then tuning C by 5-fold cross-validation on the training file (unless
--no-tune): liblinear-train -C -s 0 (LIBLINEAR's own search, warm-started,
over the C it picks), then over 20 values log-spaced across the same range
`dial tune logistic` and `dial tune linsvm` (grid sampler: C climbs a warm
ladder per fold) and scikit-learn's GridSearchCV(LogisticRegression(
solver="liblinear"), n_jobs = the machine's cores, as dial tune's --jobs
default), each timed the same way, with the best C and its cross-validated
accuracy. --only-tune runs the search of C alone.

    python3 bench/sparse.py --dial build/dial            # 100,000 x 50,000
    python3 bench/sparse.py --dial build/dial --quick    # 2,000 x 5,000
"""
import argparse
import json
import os
import re
import sys
import tempfile

from measure import accuracy, labels, text_split, timed

HERE = os.path.dirname(os.path.abspath(__file__))

SKLEARN_GRID = r"""
import sys
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
train, low, high, points = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
x, y = load_svmlight_file(train)
grid = {"C": list(np.logspace(np.log10(low), np.log10(high), points))}
search = GridSearchCV(LogisticRegression(solver="liblinear"), grid, cv=5, scoring="accuracy",
                      n_jobs=int(sys.argv[5]))
search.fit(x, y)
print("best", search.best_params_["C"], search.best_score_)
"""

SKLEARN_FIT = r"""
import sys
from sklearn.datasets import load_svmlight_files
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.naive_bayes import MultinomialNB
train, test, which = sys.argv[1], sys.argv[2], sys.argv[3]
x, y, xt, yt = load_svmlight_files([train, test])
if which == "liblinear":
    model = LogisticRegression(solver="liblinear", C=1.0)
elif which == "saga":
    model = LogisticRegression(solver="saga", C=1.0, max_iter=1000)
elif which == "multinomialnb":
    model = MultinomialNB(alpha=1.0)
else:
    model = LinearSVC(C=1.0)
model.fit(x, y)
print("accuracy", (model.predict(xt) == yt).mean())
"""


def run_dial(dial, train, test, work, family="logistic", settings=("C=1",)):
    model = os.path.join(work, family + ".dial")
    out = os.path.join(work, family + ".csv")
    knobs = [arg for s in settings for arg in ("-s", s)]
    _, fit_s, fit_mb = timed([dial, "fit", family, train] + knobs + ["-o", model])
    _, pred_s, pred_mb = timed([dial, "predict", model, test, "-o", out])
    with open(out) as f:
        predicted = [line.strip() for line in f][1:]
    return fit_s + pred_s, max(fit_mb, pred_mb), accuracy(predicted, labels(test))


def run_liblinear(solver, train, test, work):
    model = os.path.join(work, f"liblinear_{solver}.model")
    out = os.path.join(work, f"liblinear_{solver}.out")
    _, fit_s, fit_mb = timed(["liblinear-train", "-q", "-s", solver, "-c", "1", "-B", "1",
                              train, model])
    _, pred_s, pred_mb = timed(["liblinear-predict", test, model, out])
    with open(out) as f:
        predicted = [line.strip() for line in f]
    return fit_s + pred_s, max(fit_mb, pred_mb), accuracy(predicted, labels(test))


def tune_liblinear(train):
    """liblinear-train -C -s 0: (seconds, MB, best C, CV accuracy %, C tried)."""
    stdout, seconds, mb = timed(["liblinear-train", "-C", "-s", "0", "-B", "1", "-v", "5",
                                 train])
    tried = [float(c) for c in re.findall(r"log2c=\s*([-\d.]+)", stdout)]
    best = re.search(r"Best C = ([\d.e+-]+)\s+CV accuracy = ([\d.]+)%", stdout)
    return seconds, mb, float(best.group(1)), float(best.group(2)), [2.0**c for c in tried]


def tune_dial(dial, family, train, low, high, points):
    """dial tune over points values of C: (seconds, MB, best C, CV accuracy %)."""
    command = [dial, "tune", family, train, "--sampler", "grid", "--folds", "5", "--metric",
               "accuracy", "--space", f"C={low:.6g}..{high:.6g}:log", "--grid-points",
               str(points), "--json", "--quiet"]
    if family == "logistic":
        command += ["-s", "penalty=l2"]
    stdout, seconds, mb = timed(command)
    result = json.loads(stdout)
    return seconds, mb, float(result["best_knobs"]["C"]), 100.0 * float(result["best_value"])


def tune_sklearn(train, low, high, points):
    stdout, seconds, mb = timed([sys.executable, "-c", SKLEARN_GRID, train, str(low), str(high),
                                 str(points), str(os.cpu_count() or 1)])
    _, c, score = stdout.split()[-3:]
    return seconds, mb, float(c), 100.0 * float(score)


def run_sklearn(which, train, test):
    stdout, seconds, mb = timed([sys.executable, "-c", SKLEARN_FIT, train, test, which])
    return seconds, mb, 100.0 * float(stdout.split()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dial", default=os.path.join(HERE, "..", "build", "dial"))
    p.add_argument("--quick", action="store_true", help="2,000 rows, 5,000 words")
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--vocabulary", type=int, default=50000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-tune", action="store_true", help="skip the search of C")
    p.add_argument("--only-tune", action="store_true", help="only the search of C")
    p.add_argument("--points", type=int, default=20, help="values of C the searches try")
    a = p.parse_args()
    if a.quick:
        a.rows, a.vocabulary = 2000, 5000
    try:
        import sklearn  # noqa: F401
        have_sklearn = True
    except ImportError:
        have_sklearn = False
    with tempfile.TemporaryDirectory() as work:
        train, test = text_split(work, a.rows, a.vocabulary, a.seed)
        nnz = sum(len(line.split()) - 1 for line in open(train))
        print(f"{a.rows} rows x {a.vocabulary} words, 5 classes; training file {nnz} nonzeros "
              f"({nnz * 12 / 2**20:.0f} MB as CSR); test: every fifth row")
        if a.only_tune:
            tune(a, train, have_sklearn)
            return
        results = []
        results.append(("dial fit logistic", *run_dial(a.dial, train, test, work)))
        results.append(("dial fit linsvm", *run_dial(a.dial, train, test, work, "linsvm")))
        results.append(("dial fit linsvm loss=hinge",
                        *run_dial(a.dial, train, test, work, "linsvm", ("loss=hinge",))))
        results.append(("dial fit naive_bayes (multinomial)",
                        *run_dial(a.dial, train, test, work, "naive_bayes",
                                  ("variant=multinomial",))))
        for solver, name in (("0", "liblinear-train -s 0"), ("7", "liblinear-train -s 7"),
                             ("2", "liblinear-train -s 2 (SVM)"),
                             ("1", "liblinear-train -s 1 (SVM)"),
                             ("3", "liblinear-train -s 3 (SVM, L1-loss)")):
            results.append((name, *run_liblinear(solver, train, test, work)))
        if have_sklearn:
            for which, name in (("liblinear", "sklearn LogisticRegression(liblinear)"),
                                ("saga", "sklearn LogisticRegression(saga)"),
                                ("svc", "sklearn LinearSVC"),
                                ("multinomialnb", "sklearn MultinomialNB")):
                results.append((name, *run_sklearn(which, train, test)))
        else:
            print("scikit-learn is not importable by this Python: its rows are left out")
        base = next(r for r in results if r[0] == "liblinear-train -s 0")
        print(f"{'run':40} {'seconds':>8} {'MB':>7} {'accuracy':>9} {'time x':>7} {'mem x':>6}")
        for name, seconds, mb, acc in results:
            print(f"{name:40} {seconds:8.2f} {mb:7.0f} {acc:8.2f}% {seconds / base[1]:7.2f} "
                  f"{mb / base[2]:6.2f}")
        if not a.no_tune:
            tune(a, train, have_sklearn)


def tune(a, train, have_sklearn):
    """Searches C by 5-fold CV: LIBLINEAR's own search, then dial and
    GridSearchCV over a.points values across the range LIBLINEAR tried."""
    seconds, mb, best_c, cv, tried = tune_liblinear(train)
    low, high = min(tried), max(tried)
    print(f"\ntuning C by 5-fold CV on the training file; liblinear-train -C tried "
          f"{len(tried)} values of C, {low:.4g} .. {high:.4g}; the others {a.points} values "
          f"log-spaced over that range")
    rows = [("liblinear-train -C -s 0", seconds, mb, best_c, cv)]
    rows.append(("dial tune logistic", *tune_dial(a.dial, "logistic", train, low, high,
                                                  a.points)))
    rows.append(("dial tune linsvm", *tune_dial(a.dial, "linsvm", train, low, high, a.points)))
    if have_sklearn:
        rows.append(("GridSearchCV(LogisticRegression liblinear)",
                     *tune_sklearn(train, low, high, a.points)))
    base = rows[0]
    print(f"{'search':42} {'seconds':>8} {'MB':>7} {'best C':>9} {'CV acc':>8} {'time x':>7}")
    for name, seconds, mb, c, acc in rows:
        print(f"{name:42} {seconds:8.2f} {mb:7.0f} {c:9.4g} {acc:7.2f}% {seconds / base[1]:7.2f}")


if __name__ == "__main__":
    main()
