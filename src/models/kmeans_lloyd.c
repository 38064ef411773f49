/*
 * Lloyd's iterations of k-means and the update of the centroids that
 * Elkan's and Hamerly's share (kmeans.h). The assignment of rows to
 * centroids, the costly part (n x k distances), is a blocked sweep on the
 * run's team (kmeans_blocks.c), which also sums each cluster's rows per
 * item; the sums are added in item order, so the result does not depend
 * on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

/* The rows farthest from their centroid first (the lower index on a tie). */
typedef struct far_row {
    double distance2;
    size_t row;
} far_row;

static int far_first(const void *a, const void *b) {
    const far_row *x = a, *y = b;
    if (x->distance2 != y->distance2) return x->distance2 < y->distance2 ? 1 : -1;
    return (x->row > y->row) - (x->row < y->row);
}

dial_status dial_kmeans_means(dial_ctx *ctx, const kmeans_run *run, const double *old,
                              double *centroids, size_t *counts) {
    size_t n = run->n, d = run->d, k = run->k;
    memset(centroids, 0, k * d * sizeof *centroids);
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)run->labels[i];
        counts[c]++;
        const double *row = run->x + i * d;
        double *sum = centroids + c * d;
        for (size_t j = 0; j < d; j++) sum[j] += row[j];
    }
    return dial_kmeans_means_finish(ctx, run, old, centroids, counts);
}

dial_status dial_kmeans_means_finish(dial_ctx *ctx, const kmeans_run *run, const double *old,
                                     double *centroids, size_t *counts) {
    size_t n = run->n, d = run->d, k = run->k;
    size_t empty = 0;
    for (size_t c = 0; c < k; c++) empty += counts[c] == 0;
    if (empty) {
        /* scikit-learn's _relocate_empty_clusters: the rows farthest from
         * their (old) centroids each found a cluster of their own. */
        far_row *far = dial_malloc_array(ctx, n, sizeof *far);
        if (!far) return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory");
        for (size_t i = 0; i < n; i++)
            far[i] =
                (far_row){kmeans_distance2(run->x + i * d, old + (size_t)run->labels[i] * d, d), i};
        qsort(far, n, sizeof *far, far_first);
        size_t next = 0;
        for (size_t c = 0; c < k; c++) {
            if (counts[c] != 0) continue;
            const double *row = run->x + far[next].row * d;
            size_t from = (size_t)run->labels[far[next].row];
            next++;
            for (size_t j = 0; j < d; j++) {
                centroids[from * d + j] -= row[j];
                centroids[c * d + j] = row[j];
            }
            counts[c] = 1;
            counts[from]--;
        }
        free(far);
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; counts[c] && j < d; j++) centroids[c * d + j] /= (double)counts[c];
    return DIAL_OK;
}

/* The sum over centroids of their squared move. */
static double lloyd_shift(const double *a, const double *b, size_t k, size_t d) {
    double total = 0;
    for (size_t c = 0; c < k; c++) total += kmeans_distance2(a + c * d, b + c * d, d);
    return total;
}

dial_status dial_kmeans_lloyd(dial_ctx *ctx, kmeans_run *run) {
    size_t n = run->n, d = run->d, k = run->k;
    kmeans_sweep sweep = {0};
    double *next = dial_malloc_array(ctx, k * (d ? d : 1), sizeof *next);
    size_t *counts = dial_malloc_array(ctx, k, sizeof *counts);
    dial_status status =
        next && counts ? dial_kmeans_sweep_alloc(ctx, &sweep, run)
                       : dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu rows", n);
    if (status != DIAL_OK) goto done;
    for (size_t i = 0; i < n; i++) run->labels[i] = -1;
    bool converged = false;
    run->iterations = 0;
    for (size_t it = 0; it < run->max_iter; it++) {
        size_t changed = dial_kmeans_assign(run, &sweep, run->centroids);
        status = dial_kmeans_reduce(ctx, run, &sweep, run->centroids, next, counts);
        if (status != DIAL_OK) goto done;
        double shift = lloyd_shift(run->centroids, next, k, d);
        memcpy(run->centroids, next, k * d * sizeof *next);
        run->iterations = it + 1;
        if (!changed) {
            /* The labels are those of the centroids, which did not move. */
            converged = true;
            break;
        }
        if (shift <= run->tol) break;
    }
    /* The centroids moved after the last assignment: the labels and the
     * inertia are those of where they ended. */
    if (!converged) dial_kmeans_assign(run, &sweep, run->centroids);
    run->inertia = dial_kmeans_inertia(run, &sweep);
done:
    dial_kmeans_sweep_free(&sweep);
    free(next);
    free(counts);
    return status;
}
