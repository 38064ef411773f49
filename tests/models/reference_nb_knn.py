#!/usr/bin/python3
"""Reference figures for tests/models/test_knn.c and test_naive_bayes.c.

Run with Debian's interpreter (scikit-learn 1.2):  /usr/bin/python3 tests/models/reference_nb_knn.py

The split is the one the C tests use: the rows whose 0-based index is a
multiple of 5 are the test rows, the others train. kNN features are scaled
with a StandardScaler fitted on the training rows (dial's scale=standard);
naive Bayes sees the raw features (dial's scale=none).
"""
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

DATA = {
    "iris": ("data/iris.csv", "species"),
    "wine": ("data/wine.csv", "cultivar"),
    "breast_cancer": ("data/breast_cancer.csv", "diagnosis"),
    "digits": ("data/digits.csv", "digit"),
    "diabetes": ("data/diabetes.csv", "progression"),
}


def split(name):
    path, target = DATA[name]
    frame = pd.read_csv(path)
    y = frame[target].values
    x = frame.drop(columns=[target]).values.astype(float)
    test = np.arange(len(y)) % 5 == 0
    return x[~test], y[~test], x[test], y[test]


def scaled(name):
    x_train, y_train, x_test, y_test = split(name)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_test), y_test


KNN_CASES = [
    ("k1", dict(n_neighbors=1)),
    ("k5", dict(n_neighbors=5)),
    ("k15", dict(n_neighbors=15)),
    ("k5_distance", dict(n_neighbors=5, weights="distance")),
    ("k5_manhattan", dict(n_neighbors=5, metric="manhattan")),
    ("k5_minkowski3", dict(n_neighbors=5, metric="minkowski", p=3)),
]

print("/* kNN classification accuracy, standard scaling */")
for name in ["iris", "wine", "breast_cancer", "digits"]:
    x_train, y_train, x_test, y_test = scaled(name)
    for case, kwargs in KNN_CASES:
        model = KNeighborsClassifier(algorithm="brute", **kwargs).fit(x_train, y_train)
        accuracy = accuracy_score(y_test, model.predict(x_test))
        print(f"{name:14s} {case:14s} accuracy {accuracy:.6f}")

print("/* kNN regression R^2, standard scaling */")
x_train, y_train, x_test, y_test = scaled("diabetes")
for case, kwargs in [("k5", dict(n_neighbors=5)), ("k5_distance", dict(n_neighbors=5, weights="distance")),
                     ("k15_manhattan", dict(n_neighbors=15, metric="manhattan"))]:
    model = KNeighborsRegressor(algorithm="brute", **kwargs).fit(x_train, y_train)
    print(f"diabetes       {case:14s} r2 {r2_score(y_test, model.predict(x_test)):.6f}")

print("/* Gaussian naive Bayes, raw features */")
for name in ["iris", "wine", "breast_cancer", "digits"]:
    x_train, y_train, x_test, y_test = split(name)
    for priors in ["empirical", "uniform"]:
        n_classes = len(np.unique(y_train))
        model = GaussianNB(priors=None if priors == "empirical" else np.full(n_classes, 1 / n_classes))
        model.fit(x_train, y_train)
        accuracy = accuracy_score(y_test, model.predict(x_test))
        # clipped at 1e-15 like the test's own log loss (scikit-learn 1.2's
        # default clips at the float epsilon, 2.2e-16)
        loss = log_loss(y_test, model.predict_proba(x_test), labels=model.classes_, eps=1e-15)
        print(f"{name:14s} {priors:10s} accuracy {accuracy:.6f} log_loss {loss:.6f}")
    if name == "iris":
        model = GaussianNB().fit(x_train, y_train)
        print("iris class 0 (%s) theta" % model.classes_[0], " ".join(f"{v:.12g}" for v in model.theta_[0]))
        print("iris class 0 var", " ".join(f"{v:.12g}" for v in model.var_[0]))
