/*
 * k-means (internal to src/models/kmeans*.c; the family's map is at the top
 * of kmeans.c): the seeding of the centroids and the two exact ways of
 * iterating from them, Lloyd's and Elkan's, which give the same clusters
 * (Elkan's skips distances the triangle inequality proves useless).
 */
#ifndef DIAL_KMEANS_H
#define DIAL_KMEANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial/model.h"

/* One run of k-means from given centroids. */
typedef struct kmeans_run {
    const double *x; /* n x d, row-major, finite */
    size_t n, d, k;  /* k <= n */
    size_t max_iter; /* >= 1 */
    /* stop when the sum over centroids of their squared move is at most
     * this (scikit-learn's tol times the mean variance of the columns) */
    double tol;
    int threads;
    /* out: the centroids (k x d; in: where to start), each row's cluster
     * (n), the sum of squared distances of the rows to their centroids,
     * and the iterations run */
    double *centroids;
    int64_t *labels;
    double inertia;
    size_t iterations;
} kmeans_run;

/* Lloyd's algorithm as scikit-learn 1.2's _kmeans_single_lloyd: each
 * iteration assigns every row to its nearest centroid (the lower index on
 * a tie) and moves each centroid to the mean of its rows (an empty
 * cluster takes the row farthest from its centroid); it stops when no
 * label changed or the centroids moved by at most tol, and the final
 * labels and inertia are those of the final centroids. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_kmeans_lloyd(dial_ctx *ctx, kmeans_run *run);

/* The same iterations with Elkan's bounds (Elkan 2003, "Using the triangle
 * inequality to accelerate k-means"): the same clusters as Lloyd's, fewer
 * distances, n x k bounds kept in memory. Errors: DIAL_ERR_NOMEM. */
dial_status dial_kmeans_elkan(dial_ctx *ctx, kmeans_run *run);

/* Squared euclidean distance between two rows of d values. */
static inline double kmeans_distance2(const double *a, const double *b, size_t d) {
    double sum = 0;
    for (size_t j = 0; j < d; j++) {
        double diff = a[j] - b[j];
        sum += diff * diff;
    }
    return sum;
}

/* The means of each cluster's rows into centroids (k x d), as
 * scikit-learn's: an empty cluster takes the row farthest from its current
 * centroid (old), which leaves its own cluster; counts (k) receives the
 * rows of each cluster. labels are not changed. Errors: DIAL_ERR_NOMEM. */
dial_status dial_kmeans_means(dial_ctx *ctx, const kmeans_run *run, const double *old,
                              double *centroids, size_t *counts);

/* k-means++ seeding as scikit-learn's _kmeans_plusplus (Arthur and
 * Vassilvitskii 2007, greedy): the first centroid a uniform row, each next
 * one the best (lowest potential) of 2 + floor(ln k) rows drawn with
 * probability proportional to the squared distance to the nearest
 * centroid so far. Writes k rows of x into centroids. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_kmeans_plusplus(dial_ctx *ctx, const double *x, size_t n, size_t d, size_t k,
                                 dial_rng *rng, double *centroids);

/* k distinct rows of x drawn uniformly (scikit-learn's init='random'). */
dial_status dial_kmeans_random_rows(dial_ctx *ctx, const double *x, size_t n, size_t d, size_t k,
                                    dial_rng *rng, double *centroids);

/* The fit of the kmeans family started from given centroids (k x
 * n_features, in the units of in->x, with k the knob's) instead of its
 * init knob, for one run whatever n_init says: how a test compares the
 * iterations with another implementation's from the same start. Adds the
 * family's tensors to *learned; errors as the family's fit. */
dial_status dial_kmeans_fit_from(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                 const double *init_centroids, dial_tensors *learned);

#endif
