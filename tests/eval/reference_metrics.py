#!/usr/bin/python3
"""Reference figures for tests/eval/test_metrics.c, from scikit-learn 1.2.

Run from the repository root with the system Python
(/usr/bin/python3 tests/eval/reference_metrics.py);
it prints the vectors and the scores that test_metrics.c hardcodes. The
vectors are written here once and copied verbatim into the C file.

Note on log_loss: sklearn 1.2 changed the default eps to "auto" (the machine
epsilon of the dtype, 2.2e-16 for float64); dial clips at 1e-15 as sklearn
did before 1.2, so eps=1e-15 is passed explicitly.
"""
import numpy as np
import sklearn
from sklearn import metrics

EPS = 1e-15

# ---- binary: class 1 positive; ties in the scores, a 0 and a 1 ----------
binary_true = [0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0]
binary_pred = [0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1]
binary_p1 = [0.1, 0.9, 0.4, 0.4, 0.8, 0.6, 0.0, 1.0, 0.7, 0.3, 0.4, 0.55]

# ---- multiclass (3 classes), rows of proba sum to 1 -----------------------
multi_true = [0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 1, 1]
multi_pred = [0, 2, 2, 2, 1, 0, 1, 1, 1, 2, 0, 1]
multi_proba = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.2, 0.2, 0.6],
    [0.0, 0.1, 0.9],
    [0.2, 0.5, 0.3],
    [0.5, 0.3, 0.2],
    [0.1, 0.5, 0.4],
    [0.3, 0.4, 0.3],
    [0.3, 0.4, 0.3],
    [0.25, 0.25, 0.5],
    [0.6, 0.3, 0.1],
    [0.2, 0.6, 0.2],
]

# ---- log_loss: rows that do not sum to 1, a true class with probability 0
raw_true = [0, 1, 2, 1, 0]
raw_proba = [
    [0.5, 0.5, 0.5],
    [0.2, 0.0, 0.8],
    [0.1, 0.2, 0.3],
    [0.0, 1.0, 0.0],
    [2.0, 1.0, 1.0],
]

# ---- 4 declared classes, class 3 never occurs, class 2 only predicted ----
sparse_true = [0, 1, 1, 0, 0, 1]
sparse_pred = [0, 1, 2, 2, 0, 0]

# ---- regression -----------------------------------------------------------
reg_true = [3.0, -0.5, 2.0, 7.0, 4.2, 1.1, 0.0, 5.5]
reg_pred = [2.5, 0.0, 2.0, 8.0, 3.9, 1.5, -0.4, 6.0]


def show(name, value):
    print(f"{name} = {float(value)!r}")


def main():
    print(f"# scikit-learn {sklearn.__version__}")
    b_proba = np.column_stack([1 - np.array(binary_p1), binary_p1])
    show("binary accuracy", metrics.accuracy_score(binary_true, binary_pred))
    show("binary balanced_accuracy", metrics.balanced_accuracy_score(binary_true, binary_pred))
    show("binary f1", metrics.f1_score(binary_true, binary_pred))
    show("binary roc_auc", metrics.roc_auc_score(binary_true, binary_p1))
    show("binary log_loss", metrics.log_loss(binary_true, b_proba, eps=EPS, labels=[0, 1]))

    show("multi accuracy", metrics.accuracy_score(multi_true, multi_pred))
    show("multi balanced_accuracy", metrics.balanced_accuracy_score(multi_true, multi_pred))
    show("multi f1", metrics.f1_score(multi_true, multi_pred, average="macro"))
    show("multi roc_auc",
         metrics.roc_auc_score(multi_true, multi_proba, multi_class="ovr", average="macro"))
    show("multi log_loss", metrics.log_loss(multi_true, multi_proba, eps=EPS, labels=[0, 1, 2]))

    show("raw log_loss", metrics.log_loss(raw_true, raw_proba, eps=EPS, labels=[0, 1, 2]))

    # sklearn's macro averages cover the labels in y_true or y_pred: 0, 1, 2.
    show("sparse f1", metrics.f1_score(sparse_true, sparse_pred, average="macro"))
    # balanced accuracy covers the classes of y_true only (a warning for 2).
    show("sparse balanced_accuracy",
         metrics.balanced_accuracy_score(sparse_true, sparse_pred))

    # roc_auc with a class missing from y_true: sklearn raises; dial averages
    # the one-vs-rest areas of the classes that occur, computed here by hand.
    present = sorted(set(sparse_true))
    sparse_proba = np.array([
        [0.6, 0.2, 0.1, 0.1],
        [0.2, 0.5, 0.2, 0.1],
        [0.3, 0.3, 0.3, 0.1],
        [0.4, 0.1, 0.4, 0.1],
        [0.5, 0.2, 0.2, 0.1],
        [0.5, 0.3, 0.1, 0.1],
    ])
    per_class = [metrics.roc_auc_score(np.array(sparse_true) == c, sparse_proba[:, c])
                 for c in present]
    show("sparse roc_auc (present classes)", np.mean(per_class))

    # binary f1 with no positive anywhere: undefined, 0 by zero_division
    show("f1 no positives", metrics.f1_score([0, 0, 0], [0, 0, 0], zero_division="warn"))

    show("rmse", np.sqrt(metrics.mean_squared_error(reg_true, reg_pred)))
    show("mae", metrics.mean_absolute_error(reg_true, reg_pred))
    show("r2", metrics.r2_score(reg_true, reg_pred))
    show("r2 constant perfect", metrics.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]))
    show("r2 constant imperfect", metrics.r2_score([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]))


def knn_iris_cv():
    """test_cv.c: 5-fold stratified knn (k=7, standard scaling as dial's knn
    default) on iris, mean accuracy averaged over shuffle seeds 0..19."""
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    iris = pd.read_csv("data/iris.csv")
    x, y = iris.drop(columns="species").to_numpy(), iris["species"].to_numpy()
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(7))
    means = [cross_val_score(model, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=s)).mean()
             for s in range(20)]
    show("knn k=7 iris 5-fold stratified mean over 20 seeds", np.mean(means))
    print(f"  (per seed: min {min(means):.4f}, max {max(means):.4f})")


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    main()
    knn_iris_cv()
