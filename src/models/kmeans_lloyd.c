/*
 * Lloyd's iterations of k-means and the update of the centroids that
 * Elkan's share (kmeans.h). The assignment of rows to centroids, the
 * costly part (n x k distances), runs on the thread budget; each row's
 * label and distance are computed alone and every sum is taken in row
 * order, so the result does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

typedef struct lloyd_job {
    const kmeans_run *run;
    const double *centroids;
    double *distance2; /* n: each row's squared distance to its centroid */
    size_t changed;    /* not shared: see lloyd_assign */
} lloyd_job;

/* The nearest centroid of rows begin .. end-1 (lower index on a tie). */
static dial_status lloyd_assign_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const lloyd_job *job = arg;
    const kmeans_run *run = job->run;
    size_t d = run->d;
    for (size_t i = begin; i < end; i++) {
        const double *row = run->x + i * d;
        double best = INFINITY;
        int64_t label = 0;
        for (size_t c = 0; c < run->k; c++) {
            double dist = kmeans_distance2(row, job->centroids + c * d, d);
            if (dist < best) {
                best = dist;
                label = (int64_t)c;
            }
        }
        run->labels[i] = label;
        job->distance2[i] = best;
    }
    return DIAL_OK;
}

/* Assigns every row; true when some label differs from before. */
static dial_status lloyd_assign(dial_ctx *ctx, const kmeans_run *run, const double *centroids,
                                double *distance2, int64_t *before, bool *changed) {
    lloyd_job job = {run, centroids, distance2, 0};
    /* A thread pays off only for some thousands of distance terms. */
    int threads = run->n * run->k * run->d < 100000 ? 1 : run->threads;
    if (before) memcpy(before, run->labels, run->n * sizeof *before);
    dial_status status = dial_parallel_for(ctx, threads, run->n, lloyd_assign_rows, &job);
    if (status != DIAL_OK) return status;
    if (before) *changed = memcmp(before, run->labels, run->n * sizeof *before) != 0;
    return DIAL_OK;
}

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
    double *distance2 = dial_malloc_array(ctx, n, sizeof *distance2);
    int64_t *before = dial_malloc_array(ctx, n, sizeof *before);
    double *next = dial_malloc_array(ctx, k * d, sizeof *next);
    size_t *counts = dial_malloc_array(ctx, k, sizeof *counts);
    dial_status status = DIAL_OK;
    if (!distance2 || !before || !next || !counts) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) run->labels[i] = -1;
    bool converged = false;
    run->iterations = 0;
    for (size_t it = 0; it < run->max_iter; it++) {
        bool changed = true;
        status = lloyd_assign(ctx, run, run->centroids, distance2, before, &changed);
        if (status == DIAL_OK) status = dial_kmeans_means(ctx, run, run->centroids, next, counts);
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
    if (!converged) status = lloyd_assign(ctx, run, run->centroids, distance2, NULL, NULL);
    if (status == DIAL_OK) {
        if (converged) {
            /* distance2 was measured to the centroids before their last
             * update, which moved none of them; recompute to be exact. */
            for (size_t i = 0; i < n; i++)
                distance2[i] = kmeans_distance2(run->x + i * d,
                                                run->centroids + (size_t)run->labels[i] * d, d);
        }
        double inertia = 0;
        for (size_t i = 0; i < n; i++) inertia += distance2[i];
        run->inertia = inertia;
    }
done:
    free(distance2);
    free(before);
    free(next);
    free(counts);
    return status;
}
