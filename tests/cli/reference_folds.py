#!/usr/bin/python3
"""Reference figures for tests/cli/test_folds.sh: scikit-learn's folds on
data/grunfeld.csv (Grunfeld's investment data: 11 firms x 20 years).

Run with Debian's interpreter (scikit-learn 1.2):  /usr/bin/python3 tests/cli/reference_folds.py

The model is dial's knn with its defaults: 5 neighbours, uniform weights,
euclidean distance on features scaled to mean 0 and sd 1 on the training
rows. The features are value, capital and year; firm is the group, never a
feature; invest is the target.
"""
import numpy as np
import pandas as pd
from sklearn.model_selection import (GroupKFold, KFold, PredefinedSplit, TimeSeriesSplit,
                                     cross_val_score)
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

frame = pd.read_csv("data/grunfeld.csv")
X = frame[["value", "capital", "year"]].values
y = frame["invest"].values
groups = frame["firm"].values
model = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=5))


def show(name, scores):
    print(f"{name}: mean {scores.mean():.4f} folds {' '.join(f'{s:.4f}' for s in scores)}")


# A shuffled k-fold lets a firm's other years into the training rows.
show("KFold(5, shuffle)", cross_val_score(model, X, y, cv=KFold(5, shuffle=True, random_state=0)))
# Whole firms held out.
grouped = GroupKFold(n_splits=5)
show("GroupKFold(5)", cross_val_score(model, X, y, cv=grouped, groups=groups))
fold_of_firm = {}
for fold, (_, test) in enumerate(grouped.split(X, y, groups)):
    for firm in sorted(set(groups[test])):
        fold_of_firm[firm] = fold
print("GroupKFold(5) folds:", "; ".join(f"{f}={k}" for f, k in sorted(fold_of_firm.items())))
# The same folds given row by row, as dial's --fold-column reads them.
given = PredefinedSplit([fold_of_firm[g] for g in groups])
show("PredefinedSplit(GroupKFold folds)", cross_val_score(model, X, y, cv=given))
# Forward chaining on the rows in year order (a stable sort: within a year,
# the file's order), as dial's --time-column year --gap 11 --folds 4; year is
# then the time column, not a feature.
order = np.argsort(frame["year"].values, kind="stable")
X_time = frame[["value", "capital"]].values[order]
show("TimeSeriesSplit(4, gap=11)",
     cross_val_score(model, X_time, y[order], cv=TimeSeriesSplit(n_splits=4, gap=11)))
