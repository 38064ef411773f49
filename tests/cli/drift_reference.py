#!/usr/bin/python3
"""A reference computation of `dial drift` from the stored histograms alone
(tests/cli/test_drift.sh runs it): reads the drift reference in a model
file's header and the new CSV, recomputes each feature's PSI, KS distance
and chi-squared with numpy and scipy (scipy.stats.kstwo, the finite-sample
distribution of the KS statistic at the effective size n m / (n + m)
rounded half up, for the KS p-value; scipy.stats.chi2_contingency for the
chi-squared one), and checks `dial drift --json`'s figures to 1e-9.

    drift_reference.py MODEL.dial NEW.csv DRIFT.json
"""
import csv
import json
import math
import struct
import sys

import numpy as np
from scipy import stats

EPSILON = 1e-4
MISSING = {"", "NA", "NaN", "?", "null"}


def header(path):
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[17:25])[0]
    return json.loads(data[25:25 + length])


def psi(reference, current):
    p_total, q_total = sum(reference), sum(current)
    if p_total == 0 or q_total == 0:
        return 0.0
    total = 0.0
    for a, b in zip(reference, current):
        if a == 0 and b == 0:
            continue
        p = max(a / p_total, EPSILON)
        q = max(b / q_total, EPSILON)
        total += (q - p) * math.log(q / p)
    return total


def stored_cdf(edges, counts, at_edge, t):
    cumulative = np.cumsum(counts)
    n = cumulative[-1]
    if t < edges[0]:
        return 0.0
    if t >= edges[-1]:
        return 1.0
    k = int(np.searchsorted(edges, t, side="right"))  # first edge > t
    inside = counts[k] - at_edge[k]
    return (cumulative[k - 1] + (t - edges[k - 1]) / (edges[k] - edges[k - 1]) * inside) / n


def numeric(stored, column):
    values = np.array(sorted(float(v) for v in column if v not in MISSING))
    missing = sum(1 for v in column if v in MISSING)
    edges, counts = stored["edges"], stored["counts"]
    cells = [0] * len(edges)
    for v in values:
        k = int(np.searchsorted(edges, v, side="left"))  # first edge >= v
        cells[min(k, len(edges) - 1)] += 1
    value_psi = psi(counts + [stored["missing"]], cells + [missing])
    n = len(values)
    d = 0.0
    distinct = np.unique(values)
    at_or_below = np.searchsorted(values, distinct, side="right")
    for t, below in zip(distinct, at_or_below):
        d = max(d, abs(below / n - stored_cdf(edges, counts, stored["at_edge"], t)))
    cumulative = np.cumsum(counts) / stored["count"]
    for e, share in zip(edges, cumulative):
        d = max(d, abs(np.searchsorted(values, e, side="right") / n - share))
    m = stored["count"]
    p = stats.kstwo.sf(d, max(1, math.floor(n * m / (n + m) + 0.5)))
    return value_psi, d, p


def categorical(stored, levels, column):
    index = {level: k for k, level in enumerate(levels)}
    cells = [0] * (len(levels) + 2)
    for v in column:
        if v in MISSING:
            cells[-1] += 1
        elif v in index:
            cells[index[v]] += 1
        else:
            cells[-2] += 1
    reference = stored["counts"] + [0, stored["missing"]]
    value_psi = psi(reference, cells)
    table = np.array([[a, b] for a, b in zip(reference, cells) if a + b > 0]).T
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    return value_psi, chi2, p


def main(model_path, data_path, drift_path):
    head = header(model_path)
    levels = {f["name"]: f.get("levels") for f in head["features"]}
    rows = list(csv.DictReader(open(data_path)))
    report = {f["name"]: f for f in json.load(open(drift_path))["features"]}
    checked = 0
    for stored in head["drift_reference"]["features"]:
        column = [row[stored["name"]] for row in rows]
        got = report[stored["name"]]
        if stored["type"] == "numeric":
            want_psi, _, want_p = numeric(stored, column)
        else:
            want_psi, _, want_p = categorical(stored, levels[stored["name"]], column)
        for what, want, have in (("psi", want_psi, got["psi"]), ("p_value", want_p, got["p_value"])):
            if not abs(want - have) <= 1e-9:
                sys.exit("%s of %s: dial %r, reference %r" % (what, stored["name"], have, want))
        checked += 1
    print("%d features agree to 1e-9" % checked)


if __name__ == "__main__":
    main(*sys.argv[1:])
