#!/usr/bin/python3
"""Files for tests/cli/test_drift.sh, drawn from the real data in data/
with a fixed seed (the same arguments give the same files).

    drift_data.py split DATA.csv FIRST.csv SECOND.csv SEED
        the rows in two random halves (the model learns from the first)
    drift_data.py resamples DATA.csv PREFIX N COUNT SEED
        COUNT files PREFIX_1.csv ..., each of N rows drawn with replacement:
        the same data, unshifted
    drift_data.py scale DATA.csv OUT.csv COLUMN FACTOR
        COLUMN's values times FACTOR (a regime shift, a changed unit)
    drift_data.py level DATA.csv OUT.csv COLUMN LEVEL SHARE SEED
        a SHARE of COLUMN's values replaced by a LEVEL never seen
    drift_data.py balance DATA.csv OUT.csv COLUMN CLASS SHARE N SEED
        N rows drawn so that CLASS is a SHARE of COLUMN (the rest as before)
"""
import csv
import random
import sys


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def main(command, source, *args):
    header, rows = read(source)
    if command == "split":
        first, second, seed = args
        order = list(range(len(rows)))
        random.Random(int(seed)).shuffle(order)
        half = len(rows) // 2
        write(first, header, [rows[i] for i in sorted(order[:half])])
        write(second, header, [rows[i] for i in sorted(order[half:])])
    elif command == "resamples":
        prefix, n, count, seed = args
        rng = random.Random(int(seed))
        for i in range(1, int(count) + 1):
            write("%s_%d.csv" % (prefix, i), header,
                  [rows[rng.randrange(len(rows))] for _ in range(int(n))])
    elif command == "scale":
        out, column, factor = args
        j = header.index(column)
        for row in rows:
            if row[j] not in ("", "NA"):
                row[j] = repr(float(row[j]) * float(factor))
        write(out, header, rows)
    elif command == "level":
        out, column, level, share, seed = args
        j, rng = header.index(column), random.Random(int(seed))
        for row in rows:
            if rng.random() < float(share):
                row[j] = level
        write(out, header, rows)
    elif command == "balance":
        out, column, label, share, n, seed = args
        j, rng = header.index(column), random.Random(int(seed))
        chosen = [r for r in rows if r[j] == label]
        others = [r for r in rows if r[j] != label]
        k = int(round(int(n) * float(share)))
        picked = [rng.choice(chosen) for _ in range(k)] + [rng.choice(others) for _ in range(int(n) - k)]
        rng.shuffle(picked)
        write(out, header, picked)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main(*sys.argv[1:])
