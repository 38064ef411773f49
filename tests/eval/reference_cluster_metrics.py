#!/usr/bin/python3
"""Reference figures for the clustering metrics in tests/eval/test_cluster_metrics.c.

Run with Debian's interpreter (scikit-learn 1.2):
    /usr/bin/python3 tests/eval/reference_cluster_metrics.py

The rows are iris's four measurements. The clusters are the species codes
(setosa 0, versicolor 1, virginica 2) with every tenth row (0-based index a
multiple of 10) moved to the next species, then renumbered 0 -> 0, 1 -> 2,
2 -> 5 so that the numbers have gaps; the labels are the species codes.
"""
import numpy as np
import pandas as pd
from sklearn import metrics

frame = pd.read_csv("data/iris.csv")
x = frame.drop(columns=["species"]).values.astype(float)
species = pd.Categorical(frame["species"]).codes
clusters = species.copy()
clusters[::10] = (clusters[::10] + 1) % 3
clusters = np.array([0, 2, 5])[clusters]
print("davies_bouldin", repr(metrics.davies_bouldin_score(x, clusters)))
print("calinski_harabasz", repr(metrics.calinski_harabasz_score(x, clusters)))
inertia = sum(((x[clusters == c] - x[clusters == c].mean(axis=0)) ** 2).sum() for c in np.unique(clusters))
print("inertia", repr(inertia))
print("silhouette", repr(metrics.silhouette_score(x, clusters)))
print("adjusted_rand", repr(metrics.adjusted_rand_score(species, clusters)))
print("normalized_mutual_info", repr(metrics.normalized_mutual_info_score(species, clusters)))
# Every row its own cluster, and all in one
print("nmi one cluster", repr(metrics.normalized_mutual_info_score(species, np.zeros(150))))
print("ari one cluster", repr(metrics.adjusted_rand_score(species, np.zeros(150))))
print("ari own clusters", repr(metrics.adjusted_rand_score(species, np.arange(150))))
print("nmi own clusters", repr(metrics.normalized_mutual_info_score(species, np.arange(150))))
