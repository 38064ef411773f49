#!/usr/bin/python3
"""Compares dial's CSV reader with pandas.read_csv on the same ~100 MB file.

The file is built once in /tmp by repeating the rows of diamonds.csv (3
categorical columns, 7 numeric) under one header. bench_csv and pandas read
it in the same run, `--repeats` times each, taking turns so that both see
the same load on a shared machine; the best time of each counts.

    /usr/bin/python3 bench/csv_vs_pandas.py [--bench build/bench_csv]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def find_source():
    for candidate in (os.path.join(ROOT, "..", "shared", "data", "diamonds.csv"),
                      "/work/shared/data/diamonds.csv"):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    sys.exit("csv_vs_pandas: cannot find shared/data/diamonds.csv")


def build_big_file(path, source, target_bytes):
    if os.path.exists(path) and os.path.getsize(path) >= target_bytes:
        return
    with open(source, "rb") as f:
        header = f.readline()
        body = f.read()
    if not body.endswith(b"\n"):
        body += b"\n"
    tmp = path + ".partial"
    with open(tmp, "wb") as out:
        out.write(header)
        written = len(header)
        while written < target_bytes:
            out.write(body)
            written += len(body)
    os.replace(tmp, path)


def find_bench(given):
    if given:
        return given
    found = sorted(glob.glob(os.path.join(ROOT, "build*", "bench_csv")), key=os.path.getmtime)
    if not found:
        sys.exit("csv_vs_pandas: build bench_csv first (cmake --build BUILD --target bench_csv) "
                 "or pass --bench")
    return found[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", help="path of the bench_csv program")
    parser.add_argument("--file", default="/tmp/dial_diamonds_100mb.csv")
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="dial's thread budget")
    args = parser.parse_args()

    build_big_file(args.file, find_source(), int(args.megabytes * 1e6))
    size = os.path.getsize(args.file)
    bench = find_bench(args.bench)

    dial_best = pandas_best = None
    for _ in range(args.repeats):
        out = subprocess.run([bench, args.file, "1", str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        dial = json.loads(out)
        seconds = dial["best_seconds"]
        dial_best = seconds if dial_best is None else min(dial_best, seconds)
        start = time.perf_counter()
        frame = pd.read_csv(args.file)
        seconds = time.perf_counter() - start
        pandas_best = seconds if pandas_best is None else min(pandas_best, seconds)
        del frame
    dial_mb_s = size / dial_best / 1e6
    pandas_mb_s = size / pandas_best / 1e6

    print(f"file: {args.file} ({size / 1e6:.1f} MB, {dial['rows']} rows x {dial['cols']} "
          f"columns)")
    print(f"dial   ({os.path.relpath(bench, ROOT)}, {args.threads} thread(s)): "
          f"{dial_mb_s:.1f} MB/s (best of {args.repeats}: {dial_best:.3f} s)")
    print(f"pandas {pd.__version__}: {pandas_mb_s:.1f} MB/s (best of {args.repeats}: "
          f"{pandas_best:.3f} s)")
    print(f"ratio dial / pandas: {dial_mb_s / pandas_mb_s:.2f}")


if __name__ == "__main__":
    main()
