"""References for a CSV read sparse (tests/cli/test_sparse_csv.sh).

  libsvm CSV TARGET OUT
      writes the CSV's features one-hot encoded as dial encodes them (the
      columns in file order, a number as written and left out when 0, the
      levels of a categorical column in order of first appearance) in
      LIBSVM format, the label being the class's index among the sorted
      class names, as dial numbers the classes of a text target.
  sklearn CSV TARGET INSPECT_JSON
      fits scikit-learn's LogisticRegression(solver='liblinear'), one class
      against the rest with a penalised intercept as dial's sparse solver,
      on the same matrix scaled by MaxAbsScaler (dial's scale=maxabs), and
      prints the largest difference from the coefficients and intercepts of
      `dial inspect --json` and the share of rows whose predicted class
      agrees.
"""
import csv
import json
import sys


def read(path, target):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    names = [n for n in rows[0].keys() if n != target]
    numeric = {}
    for n in names:
        try:
            for r in rows:
                float(r[n])
            numeric[n] = True
        except ValueError:
            numeric[n] = False
    levels = {n: {} for n in names if not numeric[n]}
    for r in rows:
        for n in levels:
            levels[n].setdefault(r[n], len(levels[n]))
    classes = sorted({r[target] for r in rows})
    return rows, names, numeric, levels, classes


def encode(rows, names, numeric, levels):
    """Each row's (column, text) entries, columns 0-based."""
    out = []
    for r in rows:
        entries, offset = [], 0
        for n in names:
            if numeric[n]:
                if float(r[n]) != 0:
                    entries.append((offset, r[n]))
                offset += 1
            else:
                entries.append((offset + levels[n][r[n]], "1"))
                offset += len(levels[n])
        out.append(entries)
    return out, offset


def libsvm(path, target, out_path):
    rows, names, numeric, levels, classes = read(path, target)
    encoded, _ = encode(rows, names, numeric, levels)
    with open(out_path, "w") as f:
        for r, entries in zip(rows, encoded):
            pairs = " ".join(f"{c + 1}:{v}" for c, v in entries)
            f.write(f"{classes.index(r[target])} {pairs}\n")


def sklearn(path, target, inspect_path):
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MaxAbsScaler

    rows, names, numeric, levels, classes = read(path, target)
    encoded, width = encode(rows, names, numeric, levels)
    data, cols, starts = [], [], [0]
    for entries in encoded:
        for c, v in entries:
            cols.append(c)
            data.append(float(v))
        starts.append(len(cols))
    x = MaxAbsScaler().fit_transform(csr_matrix((data, cols, starts), shape=(len(rows), width)))
    y = np.array([classes.index(r[target]) for r in rows])
    model = LogisticRegression(solver="liblinear", C=1.0, tol=1e-8, max_iter=10000)
    model.fit(x, y)
    with open(inspect_path) as f:
        tensors = {t["name"]: t["values"] for t in json.load(f)["tensors"]}
    coef = np.array(tensors["coef"]).reshape(model.coef_.shape)
    intercept = np.array(tensors["intercept"])
    gap = max(np.abs(coef - model.coef_).max(), np.abs(intercept - model.intercept_).max())
    dial_scores = x @ coef.T + intercept
    agree = np.mean(dial_scores.argmax(axis=1) == model.predict(x))
    print(f"{gap:.3g} {agree:.6f}")


if __name__ == "__main__":
    if sys.argv[1] == "libsvm":
        libsvm(*sys.argv[2:5])
    else:
        sklearn(*sys.argv[2:5])
