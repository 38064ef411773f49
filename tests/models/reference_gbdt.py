#!/usr/bin/python3
"""Reference figures for tests/models/test_gbdt.c: XGBoost 1.7 (hist).

Run from the repository root with Debian's interpreter (python3-xgboost):
    /usr/bin/python3 tests/models/reference_gbdt.py

The split is the one the C tests use: the rows whose 0-based index is a
multiple of 5 are the test rows, the others train. Both sides use the same
knobs: tree_method=hist, max_bin=256, max_depth, learning_rate (eta),
n_estimators, reg_lambda=1, min_child_weight=1, and 2 threads. dial's
categorical columns are one-hot encoded, as pandas.get_dummies does here.

Large datasets are read from ../shared/data (next to the repository):
  letter    (lettr, first column)   30 rounds, depth 6, eta 0.3
  satimage  (classes, last column)  30 rounds, depth 6, eta 0.3
  diamonds  (price; cut, color and clarity one-hot), on the subset of rows
            whose 0-based index in the file is a multiple of 5 (10,788
            rows; the file is ordered by price within blocks, so a stride
            keeps every kind of diamond), then split as above:
            50 rounds, depth 6, eta 0.3, squared error -> test RMSE
Small ones from data/:
  breast_cancer with missing values: every feature value (i, j) with
            (7 i + 3 j) % 11 == 0 is removed (NaN), 30 rounds, depth 4,
            eta 0.3, logistic loss -> test accuracy
  diabetes  absolute error (reg:absoluteerror), 50 rounds, depth 3,
            eta 0.1 -> test MAE
"""
import os

import numpy as np
import pandas as pd
import xgboost as xgb

SHARED = os.path.join("..", "shared", "data")


def split(x, y):
    test = np.arange(len(y)) % 5 == 0
    return x[~test], y[~test], x[test], y[test]


def features(frame, target):
    x = pd.get_dummies(frame.drop(columns=[target]), dtype=float)
    return x.to_numpy(dtype=float)


def classify(path, target, rounds, depth, eta, missing_pattern=False):
    frame = pd.read_csv(path)
    y = frame[target].astype("category").cat.codes.to_numpy()
    x = features(frame, target)
    if missing_pattern:
        i, j = np.indices(x.shape)
        x[(7 * i + 3 * j) % 11 == 0] = np.nan
    x_train, y_train, x_test, y_test = split(x, y)
    model = xgb.XGBClassifier(n_estimators=rounds, max_depth=depth, learning_rate=eta,
                              tree_method="hist", max_bin=256, reg_lambda=1,
                              min_child_weight=1, n_jobs=2)
    model.fit(x_train, y_train)
    return (model.predict(x_test) == y_test).mean()


def regress(frame, target, rounds, depth, eta, objective):
    y = frame[target].to_numpy(dtype=float)
    x = features(frame, target)
    x_train, y_train, x_test, y_test = split(x, y)
    model = xgb.XGBRegressor(n_estimators=rounds, max_depth=depth, learning_rate=eta,
                             tree_method="hist", max_bin=256, reg_lambda=1, min_child_weight=1,
                             objective=objective, n_jobs=2)
    model.fit(x_train, y_train)
    error = model.predict(x_test) - y_test
    return np.sqrt(np.mean(error ** 2)), np.mean(np.abs(error))


print(f"xgboost {xgb.__version__}")
print("letter   accuracy %.6f" % classify(os.path.join(SHARED, "letter.csv"), "lettr", 30, 6, 0.3))
print("satimage accuracy %.6f" % classify(os.path.join(SHARED, "satimage.csv"), "classes", 30, 6,
                                          0.3))
diamonds = pd.read_csv(os.path.join(SHARED, "diamonds.csv"))
diamonds = diamonds[np.arange(len(diamonds)) % 5 == 0].reset_index(drop=True)
rmse, _ = regress(diamonds, "price", 50, 6, 0.3, "reg:squarederror")
print("diamonds (every 5th row) rmse %.6f" % rmse)
print("breast_cancer with missing values accuracy %.6f" %
      classify("data/breast_cancer.csv", "diagnosis", 30, 4, 0.3, missing_pattern=True))
_, mae = regress(pd.read_csv("data/diabetes.csv"), "progression", 50, 3, 0.1, "reg:absoluteerror")
print("diabetes absolute error mae %.6f" % mae)
