#!/usr/bin/python3
"""Reference figures for tests/models/test_mlp.c.

Run with Debian's interpreter (scikit-learn 1.2):  /usr/bin/python3 tests/models/reference_mlp.py

Regression on diabetes with the split the C tests use: the rows whose 0-based
index is a multiple of 5 are the test rows, the others train. Features are
scaled with a StandardScaler fitted on the training rows (dial's
scale=standard). The network is dial's default: one hidden layer of 100 relu
units, adam with learning rate 1e-3, alpha 1e-4, minibatches of 200, 200
epochs.

dial's mlp learns the standardised target (and folds the scaling back into
the output layer), so its scikit-learn equivalent is MLPRegressor inside a
TransformedTargetRegressor with a StandardScaler on the target. The plain
MLPRegressor on the raw target is printed too: with these knobs it is far
from converged after 200 epochs, which is why dial scales the target.

The test pins dial's R^2 to the band of the equivalent over seeds 0..9,
widened by 0.05 on each side (dial's generator differs, so its weights do).
"""
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)

frame = pd.read_csv("data/diabetes.csv")
y = frame["progression"].values.astype(float)
x = frame.drop(columns=["progression"]).values.astype(float)
test = np.arange(len(y)) % 5 == 0
scaler = StandardScaler().fit(x[~test])
x_train, x_test = scaler.transform(x[~test]), scaler.transform(x[test])
y_train, y_test = y[~test], y[test]
print(f"diabetes: {len(y_train)} training rows, {len(y_test)} test rows")


def network(seed):
    return MLPRegressor(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                        alpha=1e-4, batch_size=200, learning_rate_init=1e-3, max_iter=200,
                        random_state=seed)


SEEDS = range(10)
scaled = []
for seed in SEEDS:
    model = TransformedTargetRegressor(network(seed), transformer=StandardScaler())
    model.fit(x_train, y_train)
    scaled.append(r2_score(y_test, model.predict(x_test)))
raw = [r2_score(y_test, network(seed).fit(x_train, y_train).predict(x_test)) for seed in SEEDS]

print(f"standardised target (dial's equivalent): R^2 mean {np.mean(scaled):.4f} "
      f"min {np.min(scaled):.4f} max {np.max(scaled):.4f}")
print(f"raw target (MLPRegressor alone):         R^2 mean {np.mean(raw):.4f} "
      f"min {np.min(raw):.4f} max {np.max(raw):.4f}")
print(f"band for the test: [{np.min(scaled) - 0.05:.2f}, {np.max(scaled) + 0.05:.2f}]")
