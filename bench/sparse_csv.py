#!/usr/bin/env python3
"""A CSV with a categorical of 10,000 levels: dial against scikit-learn.

Writes a CSV from a seed (numpy's default_rng): 1,000,000 rows of a
categorical `zip` of 10,000 levels (drawn with Zipf-like weights, as real
postcodes are), two numbers x1, x2 (standard normal) and a binary target
`bought` (yes/no) from a logistic model of a per-level effect and the two
numbers. Then, on the same file, each in one process under
/usr/bin/time -v (wall time and peak resident memory, the CSV read
included):

- `dial fit logistic DATA.csv`: the reader sees that the one-hot rows
  would be 10,002 inputs of which 99.97% zeros and reads the file sparse by
  itself (said on stderr); logistic fits them with LIBLINEAR's dual
  coordinate descent, C=1, the intercept as a penalised constant feature;
- scikit-learn: pandas.read_csv, OneHotEncoder(sparse_output=True) on zip
  beside the two numbers (a CSR matrix), then
  LogisticRegression(solver="liblinear", C=1), the same model (L2, the
  intercept penalised, intercept_scaling=1).

Prints each one's training accuracy, time and peak memory, and dial's
ratios to scikit-learn's. The dense one-hot matrix would take 80 GB.

    /usr/bin/python3 bench/sparse_csv.py --dial build/dial            # 1,000,000 rows
    /usr/bin/python3 bench/sparse_csv.py --dial build/dial --rows 100000
"""
import argparse
import os
import re
import sys
import tempfile

from measure import run_timed as timed

SKLEARN_FIT = r"""
import sys
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder
frame = pd.read_csv(sys.argv[1], dtype={"zip": str})
onehot = OneHotEncoder(sparse_output=True).fit_transform(frame[["zip"]])
x = sp.hstack([onehot, sp.csr_matrix(frame[["x1", "x2"]].to_numpy())], format="csr")
y = (frame["bought"] == "yes").to_numpy()
model = LogisticRegression(solver="liblinear", C=1.0).fit(x, y)
print("accuracy", (model.predict(x) == y).mean())
"""


def write_data(path, rows, levels, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, levels + 1) ** 0.8
    zips = rng.choice(levels, size=rows, p=weight / weight.sum())
    effect = rng.normal(0.0, 1.0, size=levels)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    score = effect[zips] + 0.8 * x1 - 0.5 * x2
    bought = rng.random(rows) < 1.0 / (1.0 + np.exp(-score))
    # Level names that are never numbers, so both readers take zip as text.
    names = np.array([f"z{k:05d}" for k in range(levels)])
    with open(path, "w") as f:
        f.write("zip,x1,x2,bought\n")
        chunk = 100000
        for start in range(0, rows, chunk):
            stop = min(start + chunk, rows)
            lines = [
                f"{z},{a:.6f},{b:.6f},{'yes' if t else 'no'}\n"
                for z, a, b, t in zip(names[zips[start:stop]], x1[start:stop], x2[start:stop],
                                      bought[start:stop])
            ]
            f.writelines(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dial", default="build/dial")
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--levels", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "zips.csv")
        write_data(data, args.rows, args.levels, args.seed)
        print(f"{args.rows} rows, zip of {args.levels} levels (seed {args.seed}): "
              f"{os.path.getsize(data) / 1e6:.0f} MB of CSV")
        out, err, dial_s, dial_mb = timed(
            [args.dial, "fit", "logistic", data, "-o", os.path.join(work, "m.dial")])
        note = [line for line in err.splitlines() if line.startswith("dial: note:")]
        dial_acc = float(re.search(r"training accuracy\s+([\d.]+)", out).group(1))
        script = os.path.join(work, "sklearn_fit.py")
        with open(script, "w") as f:
            f.write(SKLEARN_FIT)
        out, _, sk_s, sk_mb = timed([sys.executable, script, data])
        sk_acc = float(re.search(r"accuracy ([\d.]+)", out).group(1))
    print(note[0] if note else "dial: (no note: the file was not read sparse)")
    print(f"{'':34} {'train acc':>9} {'seconds':>8} {'peak MB':>8}")
    print(f"{'dial fit logistic (auto sparse)':34} {dial_acc:9.4f} {dial_s:8.2f} {dial_mb:8.0f}")
    print(f"{'sklearn OneHotEncoder + liblinear':34} {sk_acc:9.4f} {sk_s:8.2f} {sk_mb:8.0f}")
    print(f"dial / scikit-learn: time {dial_s / sk_s:.2f}x, peak memory {dial_mb / sk_mb:.2f}x")


if __name__ == "__main__":
    main()
