/*
 * Elkan's k-means (kmeans.h), as scikit-learn 1.2's _kmeans_single_elkan:
 * per row an upper bound on the distance to its centroid and per row and
 * centroid a lower bound, kept valid across iterations by the centroids'
 * moves; a distance is computed only when the bounds and half the
 * distance between two centroids cannot rule the centroid out. The
 * clusters are Lloyd's (up to ties between equally near centroids); the
 * work drops when the clusters are well apart, at the cost of n x k
 * bounds in memory. Distances here are euclidean, not squared, since the
 * triangle inequality holds for those.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

typedef struct elkan_state {
    const kmeans_run *run;
    const double *centroids; /* the centroids the rows are assigned to */
    const double *half;      /* k x k: half the distance between two centroids */
    const double *next_half; /* k: half the distance to the nearest other centroid */
    double *upper;           /* n */
    double *lower;           /* n x k */
} elkan_state;

static double elkan_distance(const double *a, const double *b, size_t d) {
    return sqrt(kmeans_distance2(a, b, d));
}

/* The first labels and bounds (scikit-learn's init_bounds). */
static dial_status elkan_init_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const elkan_state *s = arg;
    const kmeans_run *run = s->run;
    size_t d = run->d, k = run->k;
    for (size_t i = begin; i < end; i++) {
        const double *row = run->x + i * d;
        double *lower = s->lower + i * k;
        size_t best = 0;
        double nearest = elkan_distance(row, s->centroids, d);
        lower[0] = nearest;
        for (size_t j = 1; j < k; j++) {
            if (nearest > s->half[best * k + j]) {
                double dist = elkan_distance(row, s->centroids + j * d, d);
                lower[j] = dist;
                if (dist < nearest) {
                    nearest = dist;
                    best = j;
                }
            }
        }
        run->labels[i] = (int64_t)best;
        s->upper[i] = nearest;
    }
    return DIAL_OK;
}

/* One assignment of rows begin .. end-1 (scikit-learn's elkan_iter). */
static dial_status elkan_assign_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const elkan_state *s = arg;
    const kmeans_run *run = s->run;
    size_t d = run->d, k = run->k;
    for (size_t i = begin; i < end; i++) {
        const double *row = run->x + i * d;
        double *lower = s->lower + i * k;
        size_t label = (size_t)run->labels[i];
        double upper = s->upper[i];
        bool tight = false;
        if (s->next_half[label] < upper) {
            for (size_t j = 0; j < k; j++) {
                if (j == label || !(upper > lower[j]) || !(upper > s->half[label * k + j]))
                    continue;
                if (!tight) {
                    upper = elkan_distance(row, s->centroids + label * d, d);
                    lower[label] = upper;
                    tight = true;
                }
                if (upper > lower[j] || upper > s->half[label * k + j]) {
                    double dist = elkan_distance(row, s->centroids + j * d, d);
                    lower[j] = dist;
                    if (dist < upper) {
                        label = j;
                        upper = dist;
                    }
                }
            }
        }
        run->labels[i] = (int64_t)label;
        s->upper[i] = upper;
    }
    return DIAL_OK;
}

/* Half the distance between every two centroids, and to the nearest other. */
static void elkan_half_distances(const double *centroids, size_t k, size_t d, double *half,
                                 double *next_half) {
    for (size_t a = 0; a < k; a++) {
        half[a * k + a] = 0;
        for (size_t b = a + 1; b < k; b++)
            half[a * k + b] = half[b * k + a] =
                elkan_distance(centroids + a * d, centroids + b * d, d) / 2;
    }
    for (size_t a = 0; a < k; a++) {
        double nearest = INFINITY;
        for (size_t b = 0; b < k; b++)
            if (b != a && half[a * k + b] < nearest) nearest = half[a * k + b];
        next_half[a] = nearest;
    }
}

/* The bounds after the centroids moved by shift (k). */
static void elkan_move_bounds(const elkan_state *s, const double *shift) {
    const kmeans_run *run = s->run;
    size_t k = run->k;
    for (size_t i = 0; i < run->n; i++) {
        s->upper[i] += shift[run->labels[i]];
        double *lower = s->lower + i * k;
        for (size_t j = 0; j < k; j++) {
            double moved = lower[j] - shift[j];
            lower[j] = moved > 0 ? moved : 0;
        }
    }
}

dial_status dial_kmeans_elkan(dial_ctx *ctx, kmeans_run *run) {
    size_t n = run->n, d = run->d, k = run->k;
    /* With one centroid there is no other to rule out. */
    if (k < 2) return dial_kmeans_lloyd(ctx, run);
    double *upper = dial_malloc_array(ctx, n, sizeof *upper);
    double *lower = dial_calloc(ctx, n * k, sizeof *lower);
    double *half = dial_malloc_array(ctx, k * k + 2 * k, sizeof *half);
    double *next = dial_malloc_array(ctx, k * d, sizeof *next);
    int64_t *before = dial_malloc_array(ctx, n, sizeof *before);
    size_t *counts = dial_malloc_array(ctx, k, sizeof *counts);
    dial_status status = DIAL_OK;
    if (!upper || !lower || !half || !next || !before || !counts) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM,
                           "kmeans: out of memory for the %zu x %zu bounds of algorithm=elkan "
                           "(algorithm=lloyd keeps none)",
                           n, k);
        goto done;
    }
    double *next_half = half + k * k, *shift = half + k * k + k;
    elkan_state s = {run, run->centroids, half, next_half, upper, lower};
    int threads = n * k * d < 100000 ? 1 : run->threads;
    elkan_half_distances(run->centroids, k, d, half, next_half);
    status = dial_parallel_for(ctx, threads, n, elkan_init_rows, &s);
    bool converged = false;
    run->iterations = 0;
    for (size_t it = 0; status == DIAL_OK && it < run->max_iter; it++) {
        memcpy(before, run->labels, n * sizeof *before);
        status = dial_parallel_for(ctx, threads, n, elkan_assign_rows, &s);
        if (status == DIAL_OK) status = dial_kmeans_means(ctx, run, run->centroids, next, counts);
        if (status != DIAL_OK) break;
        double total = 0;
        for (size_t c = 0; c < k; c++) {
            shift[c] = elkan_distance(run->centroids + c * d, next + c * d, d);
            total += shift[c] * shift[c];
        }
        memcpy(run->centroids, next, k * d * sizeof *next);
        elkan_half_distances(run->centroids, k, d, half, next_half);
        elkan_move_bounds(&s, shift);
        run->iterations = it + 1;
        /* As scikit-learn, the first pass never counts as converged: its
         * labels are compared with none. */
        if (it > 0 && memcmp(before, run->labels, n * sizeof *before) == 0) {
            converged = true;
            break;
        }
        if (total <= run->tol) break;
    }
    if (status == DIAL_OK && !converged)
        status = dial_parallel_for(ctx, threads, n, elkan_assign_rows, &s);
    if (status == DIAL_OK) {
        double inertia = 0;
        for (size_t i = 0; i < n; i++)
            inertia +=
                kmeans_distance2(run->x + i * d, run->centroids + (size_t)run->labels[i] * d, d);
        run->inertia = inertia;
    }
done:
    free(upper);
    free(lower);
    free(half);
    free(next);
    free(before);
    free(counts);
    return status;
}
