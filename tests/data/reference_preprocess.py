#!/usr/bin/python3
"""Reference figures for tests/data/test_preprocess.c, computed with
scikit-learn 1.2 independently of dial. Run from the repository root:
/usr/bin/python3 tests/data/reference_preprocess.py

dial's pipeline is SimpleImputer (numeric: mean/median/most_frequent;
categorical: most_frequent) -> OneHotEncoder (levels in order of first
appearance in the file, unknown levels all zeros) -> StandardScaler or
MinMaxScaler over every design-matrix column, one-hot columns included."""
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler


def c_array(name, values):
    body = ", ".join(f"{v:.17g}" for v in values)
    return f"static const double {name}[] = {{{body}}};"


# ---- wine: numeric features only -------------------------------------------
wine = pd.read_csv("data/wine.csv").drop(columns=["cultivar"]).to_numpy(dtype=float)
standard = StandardScaler().fit(wine)
print(c_array("wine_standard_center", standard.mean_))
print(c_array("wine_standard_scale", standard.scale_))
print(c_array("wine_standard_row0", standard.transform(wine[:1])[0]))
minmax = MinMaxScaler().fit(wine)
print(c_array("wine_minmax_center", minmax.data_min_))
print(c_array("wine_minmax_scale", minmax.data_range_))
print(c_array("wine_minmax_row177", minmax.transform(wine[177:178])[0]))
# The first 60 rows only (a training fold).
head = StandardScaler().fit(wine[:60])
print(c_array("wine_head_center", head.mean_[:3]))
print(c_array("wine_head_scale", head.scale_[:3]))

# ---- credit_data: missing values, categorical features ------------------------
credit = pd.read_csv("data/credit_data.csv").drop(columns=["Status"])
categorical = [c for c in credit.columns if credit[c].dtype == object]
print("categorical:", categorical)
levels = {c: [v for v in credit[c].unique() if isinstance(v, str)] for c in categorical}
for c in categorical:
    print(f"  {c}: {levels[c]}")


def design(frame, numeric_strategy):
    blocks = []
    fills = []
    for c in frame.columns:
        column = frame[[c]]
        if c in levels:
            imputer = SimpleImputer(strategy="most_frequent").fit(column)
            fills.append(levels[c].index(imputer.statistics_[0]))
            encoder = OneHotEncoder(categories=[levels[c]], handle_unknown="ignore",
                                    sparse_output=False)
            blocks.append(encoder.fit_transform(imputer.transform(column)))
        else:
            imputer = SimpleImputer(strategy=numeric_strategy).fit(column.astype(float))
            fills.append(imputer.statistics_[0])
            blocks.append(imputer.transform(column.astype(float)))
    return np.hstack(blocks), fills


for strategy in ["mean", "median", "most_frequent"]:
    x, fills = design(credit, strategy)
    print(c_array(f"credit_fill_{strategy}", fills))
x, fills = design(credit, "mean")
print("n_inputs", x.shape[1])
scaler = StandardScaler().fit(x)
print(c_array("credit_standard_center", scaler.mean_))
print(c_array("credit_standard_scale", scaler.scale_))
# Row 30 of the file (index 29) has Home, Job, Income, Assets, Debt missing.
print(c_array("credit_standard_row29", scaler.transform(x[29:30])[0]))
