#!/usr/bin/python3
"""The multilayer perceptron on sparse text: dial fit mlp against scikit-learn.

The mlp case of the sparse-data issue (issue 17): text-like LIBSVM data from
bench/gen_text.py (by default 25,000 rows of a 20,000-word vocabulary, 5
classes, tf-idf); the first 20,000 rows train, the last 5,000 test. On the
same training file:

- dial fit mlp (sparse input: the first layer reads each row's nonzeros,
  nothing is made dense; the data unscaled, dial's default on sparse data),
  then dial predict on the test file;
- scikit-learn's MLPClassifier on the same compressed rows as
  load_svmlight_file reads them (the training file, and the test file with
  the training file's width).

Both with the same network and training: one hidden layer of --hidden relu
units, adam with learning rate 1e-3, alpha 1e-4, minibatches of 200,
--epochs passes (scikit-learn's max_iter, with n_iter_no_change above it so
that it never stops early), no early stopping, and one thread each by
default (dial --jobs 1, OPENBLAS_NUM_THREADS=1 for scikit-learn).

Each side is one process under /usr/bin/time -v: its wall time and peak
memory (maximum resident set size; scikit-learn's includes Python and its
imports, about 100 MB, printed on its own line). The fit time is each
program's own measure of the fit alone (dial fit --json's seconds, the
time around MLPClassifier.fit), without reading the file. The ratios are
dial over scikit-learn. dial's peak, less that of a process that only loads the
program (dial models), is also set against the issue's budget: twice the
training file's nonzeros x 12 bytes, plus the model (weights and Adam's two
moments, 8 bytes each).

    /usr/bin/python3 bench/sparse_mlp.py --dial build/dial
    /usr/bin/python3 bench/sparse_mlp.py --dial build/dial --quick   # 5,000 x 5,000, 3 epochs
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from measure import labels, timed

HERE = os.path.dirname(os.path.abspath(__file__))

SKLEARN = r"""
import json, sys, time
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.neural_network import MLPClassifier
train, test, hidden, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
x, y = load_svmlight_file(train)
x_test, y_test = load_svmlight_file(test, n_features=x.shape[1])
model = MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="adam",
                      alpha=1e-4, batch_size=200, learning_rate_init=1e-3, max_iter=epochs,
                      n_iter_no_change=epochs + 1, early_stopping=False, shuffle=True,
                      random_state=0)
start = time.perf_counter()
model.fit(x, y)
fit = time.perf_counter() - start
print(json.dumps({"fit_seconds": fit, "accuracy": 100.0 * model.score(x_test, y_test),
                  "epochs": model.n_iter_}))
"""


def run_dial(dial, train, test, work, a):
    model, out = os.path.join(work, "mlp.dial"), os.path.join(work, "mlp.csv")
    knobs = ["hidden=%d" % a.hidden, "epochs=%d" % a.epochs, "batch_size=200",
             "learning_rate=1e-3", "alpha=1e-4", "solver=adam", "activation=relu"]
    command = [dial, "fit", "mlp", train, "--jobs", str(a.jobs), "--json", "-o", model]
    for k in knobs:
        command += ["-s", k]
    stdout, fit_wall, fit_mb = timed(command)
    summary = json.loads(stdout)
    fit_seconds = summary["fit_seconds"]
    _, pred_wall, pred_mb = timed([dial, "predict", model, test, "-o", out, "--jobs",
                                   str(a.jobs)])
    with open(out) as f:
        predicted = [line.strip().split(",")[0] for line in f][1:]
    truth = labels(test)
    acc = 100.0 * sum(float(p) == float(t) for p, t in zip(predicted, truth)) / len(truth)
    _, _, base_mb = timed([dial, "models"])
    return {"base_mb": base_mb, "fit_seconds": fit_seconds, "fit_wall": fit_wall, "fit_mb": fit_mb,
            "predict_wall": pred_wall, "predict_mb": pred_mb, "accuracy": acc}


def run_sklearn(train, test, a):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.jobs), OMP_NUM_THREADS=str(a.jobs))
    stdout, wall, mb = timed(["/usr/bin/python3", "-c", SKLEARN, train, test, str(a.hidden),
                              str(a.epochs)], env=env)
    result = json.loads(stdout)
    _, base_wall, base_mb = timed(["/usr/bin/python3", "-c",
                                   "import numpy, scipy.sparse, sklearn.neural_network"], env=env)
    result.update(wall=wall, mb=mb, import_mb=base_mb)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dial", default=os.path.join(HERE, "..", "build", "dial"))
    p.add_argument("--quick", action="store_true", help="5,000 x 5,000, 3 epochs")
    p.add_argument("--rows", type=int, default=20000, help="training rows (a quarter more test)")
    p.add_argument("--vocabulary", type=int, default=20000)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.quick:
        a.rows, a.vocabulary, a.epochs = 5000, 5000, 3
    n_test = a.rows // 4
    with tempfile.TemporaryDirectory() as work:
        whole = os.path.join(work, "text.libsvm")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_text.py"), "--rows",
                        str(a.rows + n_test), "--vocabulary", str(a.vocabulary), "--seed",
                        str(a.seed), "-o", whole], check=True)
        train, test = os.path.join(work, "train.libsvm"), os.path.join(work, "test.libsvm")
        with open(whole) as f, open(train, "w") as tr, open(test, "w") as te:
            for i, line in enumerate(f):
                (tr if i < a.rows else te).write(line)
        nnz = sum(len(line.split()) - 1 for line in open(train))
        width = max(int(line.split()[-1].split(":")[0]) for line in open(train) if ":" in line)
        print(f"{a.rows} training rows + {n_test} test rows, {a.vocabulary}-word vocabulary "
              f"({width} in the training file), 5 classes, tf-idf; training file {nnz} "
              f"nonzeros ({nnz / a.rows:.0f} a row); hidden={a.hidden} relu, adam, batch 200, "
              f"{a.epochs} epochs, {a.jobs} thread(s)")
        ours = run_dial(a.dial, train, test, work, a)
        theirs = run_sklearn(train, test, a)
        model_mb = 3 * 8 * (width * a.hidden + a.hidden + a.hidden * 5 + 5) / 2**20
        budget = 2 * nnz * 12 / 2**20 + model_mb
        print(f"{'run':26} {'fit s':>8} {'wall s':>8} {'peak MB':>8} {'accuracy':>9}")
        print(f"{'dial fit mlp':26} {ours['fit_seconds']:8.2f} {ours['fit_wall']:8.2f} "
              f"{ours['fit_mb']:8.0f} {ours['accuracy']:8.2f}%")
        print(f"{'sklearn MLPClassifier':26} {theirs['fit_seconds']:8.2f} {theirs['wall']:8.2f} "
              f"{theirs['mb']:8.0f} {theirs['accuracy']:8.2f}%")
        print(f"{'  (python + imports alone)':26} {'':8} {'':8} {theirs['import_mb']:8.0f}")
        print(f"ratio dial / sklearn: fit time {ours['fit_seconds'] / theirs['fit_seconds']:.2f}, "
              f"wall {ours['fit_wall'] / theirs['wall']:.2f}, peak memory "
              f"{ours['fit_mb'] / theirs['mb']:.2f} "
              f"({ours['fit_mb'] / max(theirs['mb'] - theirs['import_mb'], 1):.2f} against "
              f"scikit-learn's less its imports)")
        print(f"dial's peak {ours['fit_mb']:.0f} MB ({ours['fit_mb'] - ours['base_mb']:.0f} MB "
              f"above the {ours['base_mb']:.0f} MB of 'dial models', the program and its "
              f"libraries) against the budget of 2 x nonzeros x 12 bytes + the model with "
              f"Adam's moments: {budget:.0f} MB; dial predict "
              f"{ours['predict_wall']:.2f} s, {ours['predict_mb']:.0f} MB")


if __name__ == "__main__":
    main()
