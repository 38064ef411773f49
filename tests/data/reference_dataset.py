#!/usr/bin/python3
"""Reference figures for tests/data/test_dataset.c, computed independently of
dial with pandas: rows, features, the classes of each target in sorted order
with their counts (dial numbers classes in that order), and the sum of the
diabetes target. Run from the repository root:
/usr/bin/python3 tests/data/reference_dataset.py"""
import pandas as pd

TARGETS = [("iris", "species"), ("wine", "cultivar"), ("breast_cancer", "diagnosis"),
           ("credit_data", "Status"), ("digits", "digit"), ("diabetes", "progression")]

for name, target in TARGETS:
    frame = pd.read_csv(f"data/{name}.csv")
    y = frame[target]
    print(f"{name}: rows {frame.shape[0]} features {frame.shape[1] - 1} target {target}")
    if y.nunique() <= 30:
        counts = y.value_counts().sort_index()
        print("  classes: " + ", ".join(f"{label}={count}" for label, count in counts.items()))
        print("  first rows' classes: " + ", ".join(str(list(counts.index).index(v))
                                                    for v in y.head(3)))
    else:
        print(f"  regression; first values {y.head(2).tolist()}; sum {y.sum():.1f}")
    print(f"  missing feature values: {int(frame.drop(columns=[target]).isna().sum().sum())}")
