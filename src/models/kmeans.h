/*
 * k-means (internal to src/models/kmeans*.c; the family's map is at the top
 * of kmeans.c): the seeding of the centroids, the blocked sweeps over the
 * rows, and the three exact ways of iterating from the centroids, Lloyd's,
 * Elkan's and Hamerly's, which give the same clusters (Elkan's and
 * Hamerly's skip distances the triangle inequality proves useless).
 */
#ifndef DIAL_KMEANS_H
#define DIAL_KMEANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/team.h"
#include "dial/model.h"

/* Rows per item of the team's work (kmeans_blocks.c): fixed, so that sums
 * kept per item and added in item order do not depend on the threads. */
#define KMEANS_ITEM_ROWS 2048
/* Rows per cblas_dgemm against the centroids: the dot products of a
 * block (rows x k) stay in cache while the argmin reads them. */
#define KMEANS_GEMM_ROWS 256

/* One run of k-means from given centroids. */
typedef struct kmeans_run {
    const double *x; /* n x d, row-major, finite */
    size_t n, d, k;  /* k <= n */
    size_t max_iter; /* >= 1 */
    /* stop when the sum over centroids of their squared move is at most
     * this (scikit-learn's tol times the mean variance of the columns) */
    double tol;
    int threads;     /* the workers of team (1 when team is NULL) */
    dial_team *team; /* borrowed; NULL: the caller's thread alone */
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

/* Hamerly's iterations (Hamerly 2010, "Making k-means even faster"): one
 * upper bound per row on the distance to its centroid and one lower bound
 * on the distance to any other, so 2 numbers a row where Elkan keeps k +
 * 1; a row is looked at again only when its bounds cross. The same
 * clusters as Lloyd's (a row whose bounds tie is measured again, so a tie
 * goes to the lower index as Lloyd's). Errors: DIAL_ERR_NOMEM. */
dial_status dial_kmeans_hamerly(dial_ctx *ctx, kmeans_run *run);

/* The work of one sweep over the rows in items (kmeans_blocks.c): per item
 * the sums and counts of each cluster's rows, the rows whose label
 * changed, and one partial sum; per worker a block of dot products; and
 * the squared norms of the centroids. */
typedef struct kmeans_sweep {
    size_t items;
    double *sums;    /* items x k x d */
    size_t *counts;  /* items x k */
    size_t *changed; /* items */
    double *partial; /* items */
    double *scratch; /* workers x KMEANS_GEMM_ROWS x k */
    double *norms;   /* k */
    /* Below KMEANS_ASSIGN_INERTIA_MAX_D inputs, an assignment also sums
     * each item's squared distances to the centroids it assigned
     * (partial), as dial_kmeans_inertia would; assigned (k x d) keeps those
     * centroids, so that an inertia of the same labels and centroids is
     * read from them instead of another pass over the rows. */
    double *assigned;
    bool assigned_inertia;
} kmeans_sweep;

/* Up to this many inputs a row's passes are bound by reading it, so its
 * exact squared distance comes almost free with its assignment; above,
 * it would add a tenth to every iteration to save one pass. */
#define KMEANS_ASSIGN_INERTIA_MAX_D 64

/* A team for n rows of d inputs and k clusters: the context's threads,
 * or none (NULL, *threads 1) when the work is too small to share. Errors
 * as dial_team_start. */
dial_status dial_kmeans_team(dial_ctx *ctx, size_t n, size_t k, size_t d, dial_team **team,
                             int *threads);

/* The items of n rows. */
size_t dial_kmeans_items(size_t n);

/* Allocates a sweep for run's rows, centroids and workers, its sums and
 * counts 0. Errors:
 * DIAL_ERR_NOMEM (nothing left allocated). */
dial_status dial_kmeans_sweep_alloc(dial_ctx *ctx, kmeans_sweep *sweep, const kmeans_run *run);

/* Frees what dial_kmeans_sweep_alloc took; harmless on a zeroed sweep. */
void dial_kmeans_sweep_free(kmeans_sweep *sweep);

/* dots (m x k) = the dot products of m rows of x with k centers (d wide),
 * by one cblas_dgemm. */
void dial_kmeans_dots(const double *x, size_t m, size_t d, const double *centers, size_t k,
                      double *dots);

/* The squared norm of each of n rows of d values. */
void dial_kmeans_norms(const double *x, size_t n, size_t d, double *norms);

/* Assigns every row of run to its nearest centroid (the lower index on a
 * tie) by blocked dot products, on run->team, moving the rows that change
 * cluster in their item's sums (dial_kmeans_item_move; the labels start at
 * -1 and the sums at 0). Returns the rows whose label changed. */
size_t dial_kmeans_assign(const kmeans_run *run, kmeans_sweep *sweep, const double *centroids);

/* Moves row (of item) from cluster `from` (-1: none yet) to cluster `to`
 * in the item's sums and counts. The sums follow the labels by such moves
 * alone (a row that keeps its cluster costs nothing), where summing every
 * row again would cost n x d an iteration, as much as the distances once
 * most rows are settled; rounding drifts by one addition and one
 * subtraction per move, far below the parity tests' 1e-9. */
void dial_kmeans_item_move(const kmeans_run *run, kmeans_sweep *sweep, size_t item, size_t row,
                           int64_t from, size_t to);

/* The means of the clusters from the items' sums, in item order, as
 * dial_kmeans_means gives them (old: the centroids the labels were
 * assigned to). Errors: DIAL_ERR_NOMEM. */
dial_status dial_kmeans_reduce(dial_ctx *ctx, const kmeans_run *run, const kmeans_sweep *sweep,
                               const double *old, double *centroids, size_t *counts);

/* The inertia of run's labels and centroids: squared distances measured
 * one by one (not by dot products, which lose digits), summed per item
 * and then in item order; read from the last assignment's sums when it
 * was to these very centroids (the labels are then its own). */
double dial_kmeans_inertia(const kmeans_run *run, kmeans_sweep *sweep);

/* Squared euclidean distance between two rows of d values. Four running
 * sums (inputs j, j + 1, j + 2, j + 3), so that the additions do not wait
 * on each other and the compiler can pair them in vector registers: one
 * sum in order is bound by the latency of an addition per input. */
static inline double kmeans_distance2(const double *a, const double *b, size_t d) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t j = 0;
    for (; j + 4 <= d; j += 4) {
        double e0 = a[j] - b[j], e1 = a[j + 1] - b[j + 1];
        double e2 = a[j + 2] - b[j + 2], e3 = a[j + 3] - b[j + 3];
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
    }
    for (; j < d; j++) {
        double e = a[j] - b[j];
        s0 += e * e;
    }
    return (s0 + s1) + (s2 + s3);
}

/* The means of each cluster's rows into centroids (k x d), as
 * scikit-learn's: an empty cluster takes the row farthest from its current
 * centroid (old), which leaves its own cluster; counts (k) receives the
 * rows of each cluster. labels are not changed. Errors: DIAL_ERR_NOMEM. */
dial_status dial_kmeans_means(dial_ctx *ctx, const kmeans_run *run, const double *old,
                              double *centroids, size_t *counts);

/* The end of dial_kmeans_means: centroids holds each cluster's sum and
 * counts its rows; relocates the empty clusters and divides. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_kmeans_means_finish(dial_ctx *ctx, const kmeans_run *run, const double *old,
                                     double *centroids, size_t *counts);

/* k-means++ seeding as scikit-learn's _kmeans_plusplus (Arthur and
 * Vassilvitskii 2007, greedy): the first centroid a uniform row, each next
 * one the best (lowest potential) of 2 + floor(ln k) rows drawn with
 * probability proportional to the squared distance to the nearest
 * centroid so far, among run's rows on its team. n_seeds seedings side by
 * side, seeding s drawing from rngs[s] alone and writing k rows of x into
 * centroids + s * k * d: each gets what it would get seeded alone. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_kmeans_plusplus(dial_ctx *ctx, const kmeans_run *run, dial_rng *rngs,
                                 size_t n_seeds, double *centroids);

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
