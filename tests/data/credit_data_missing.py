#!/usr/bin/python3
"""Reference figures for tests/data/test_csv.c, computed independently of
dial with pandas: the shape of data/credit_data.csv, the number of missing
values (NA) in each column, and the levels of each text column in order of
first appearance. Run from the repository root: /usr/bin/python3
tests/data/credit_data_missing.py"""
import pandas as pd

frame = pd.read_csv("data/credit_data.csv")
print(f"rows {frame.shape[0]} columns {frame.shape[1]}")
print("missing per column:")
for name in frame.columns:
    print(f"  {name}: {int(frame[name].isna().sum())}")
print("levels of text columns, in order of first appearance:")
for name in frame.columns:
    if frame[name].dtype == object:
        levels = [level for level in frame[name].unique() if isinstance(level, str)]
        print(f"  {name}: {', '.join(levels)}")
print(f"rows with a missing value: {int(frame.isna().any(axis=1).sum())}")
print(f"sum of Income (missing skipped): {frame['Income'].sum():.1f}")
