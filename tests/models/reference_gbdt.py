#!/usr/bin/python3
"""Reference figures for tests/models/test_gbdt.c: XGBoost 1.7 (hist).

Run from the repository root with Debian's interpreter (python3-xgboost):
    /usr/bin/python3 tests/models/reference_gbdt.py

The split is the one the C tests use: the rows whose 0-based index is a
multiple of 5 are the test rows, the others train. Both sides use the same
knobs: tree_method=hist, max_bin=256, max_depth, learning_rate (eta),
n_estimators, reg_lambda=1, min_child_weight=1, and 2 threads; for
regression XGBoost's base_score is set to dial's starting score (the
training mean). dial's
categorical columns are one-hot encoded, as pandas.get_dummies does here.

Large datasets are read from ../shared/data (next to the repository):
  letter    (lettr, first column)   30 rounds, depth 6, eta 0.3
  satimage  (classes, last column)  30 rounds, depth 6, eta 0.3
  diamonds  (price; cut, color and clarity one-hot), all 53,940 rows,
            50 rounds, depth 6, eta 0.3, squared error -> test RMSE (fast
            enough whole: 43,152 training rows of 26 inputs)
Small ones from data/:
  breast_cancer with missing values: every feature value (i, j) with
            (7 i + 3 j) % 11 == 0 is removed (NaN), 30 rounds, depth 4,
            eta 0.3, logistic loss -> test accuracy
  diabetes  absolute error, 50 rounds, depth 3, eta 0.1 -> test MAE,
            against scikit-learn's HistGradientBoostingRegressor: XGBoost
            1.7.4's reg:absoluteerror sets each leaf to its median residual
            without the learning rate (a 1-round, depth-1 tree has leaves
            -47 and 58.5 here), so it is no reference for dial, whose leaves
            are the median residual times the learning rate, as
            scikit-learn's
"""
import os

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.ensemble import HistGradientBoostingRegressor

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
    """Test RMSE and MAE of XGBoost."""
    y = frame[target].to_numpy(dtype=float)
    x = features(frame, target)
    x_train, y_train, x_test, y_test = split(x, y)
    # dial starts from the training mean; XGBoost 1.7 from 0.5 unless told
    base = np.mean(y_train)
    model = xgb.XGBRegressor(n_estimators=rounds, max_depth=depth, learning_rate=eta,
                             tree_method="hist", max_bin=256, reg_lambda=1, min_child_weight=1,
                             objective=objective, base_score=base, n_jobs=2)
    model.fit(x_train, y_train)
    error = model.predict(x_test) - y_test
    return np.sqrt(np.mean(error ** 2)), np.mean(np.abs(error))


print(f"xgboost {xgb.__version__}")
print("letter   accuracy %.6f" % classify(os.path.join(SHARED, "letter.csv"), "lettr", 30, 6, 0.3))
print("satimage accuracy %.6f" % classify(os.path.join(SHARED, "satimage.csv"), "classes", 30, 6,
                                          0.3))
diamonds = pd.read_csv(os.path.join(SHARED, "diamonds.csv"))
rmse, _ = regress(diamonds, "price", 50, 6, 0.3, "reg:squarederror")
print("diamonds rmse %.6f" % rmse)
print("breast_cancer with missing values accuracy %.6f" %
      classify("data/breast_cancer.csv", "diagnosis", 30, 4, 0.3, missing_pattern=True))
diabetes = pd.read_csv("data/diabetes.csv")
x_train, y_train, x_test, y_test = split(diabetes.drop(columns=["progression"]).to_numpy(float),
                                         diabetes["progression"].to_numpy(float))
model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=50, max_depth=3,
                                      learning_rate=0.1, max_leaf_nodes=None, min_samples_leaf=1,
                                      l2_regularization=1, max_bins=255, early_stopping=False)
model.fit(x_train, y_train)
print("diabetes absolute error mae %.6f (scikit-learn)" %
      np.mean(np.abs(model.predict(x_test) - y_test)))
