#!/usr/bin/python3
"""The cost of `dial drift` against `dial predict` on the same rows.

A gbdt model of diamonds' price (data/diamonds_2000.csv) is fitted once;
the new data is 1,000,000 rows drawn with replacement from those 2,000
(numeric and categorical features, the target included, written once as
CSV). Both commands read the same file: `dial predict MODEL NEW` predicts
every row, `dial drift MODEL NEW --target price` compares every feature
with the stored reference (sorting each numeric column for the KS
distance), predicts every row to score it, and compares the target. Each
figure is the median wall time of --repeats runs; the goal is drift at
most 2x predict.

    bench/drift.py build/dial [--rows 1000000] [--repeats 3] [--quick]

--quick: 20,000 rows and one repeat, to check that it runs.
"""
import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "diamonds_2000.csv")


def timed(command, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        # drift exits 3 or 4 for a verdict; anything else is a failure
        if result.returncode not in (0, 3, 4):
            sys.exit("%s failed: %s" % (" ".join(command), result.stderr.decode()))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dial")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeats = 20_000, 1
    with tempfile.TemporaryDirectory() as folder:
        model = os.path.join(folder, "diamonds.dial")
        subprocess.run([args.dial, "fit", "gbdt", DATA, "--target", "price", "-o", model],
                       check=True, stdout=subprocess.DEVNULL)
        with open(DATA, newline="") as f:
            rows = list(csv.reader(f))
        rng = random.Random(19)
        new = os.path.join(folder, "new.csv")
        with open(new, "w", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(rows[0])
            body = rows[1:]
            for _ in range(args.rows):
                out.writerow(body[rng.randrange(len(body))])
        predict = timed([args.dial, "predict", model, new, "-o", os.devnull], args.repeats)
        drift = timed([args.dial, "drift", model, new, "--target", "price"], args.repeats)
        print("rows %d: predict %.3f s, drift %.3f s, drift / predict %.2fx (goal <= 2x)"
              % (args.rows, predict, drift, drift / predict))


if __name__ == "__main__":
    main()
