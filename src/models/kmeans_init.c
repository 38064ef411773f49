/*
 * Where k-means starts (kmeans.h): k-means++ as scikit-learn seeds it, or
 * k distinct rows at random. Both draw only from the stream they are
 * given, so a seed gives the same centroids on any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

/* The first index whose running sum reaches target (numpy's searchsorted
 * on a cumulative sum, side left), at most n - 1. */
static size_t plusplus_pick(const double *cumulative, size_t n, double target) {
    size_t low = 0, high = n;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (cumulative[middle] < target)
            low = middle + 1;
        else
            high = middle;
    }
    return low < n ? low : n - 1;
}

dial_status dial_kmeans_plusplus(dial_ctx *ctx, const double *x, size_t n, size_t d, size_t k,
                                 dial_rng *rng, double *centroids) {
    size_t trials = 2 + (size_t)log((double)k);
    double *closest = dial_malloc_array(ctx, n, sizeof *closest);
    double *cumulative = dial_malloc_array(ctx, n, sizeof *cumulative);
    double *candidate = dial_malloc_array(ctx, trials * n, sizeof *candidate);
    if (!closest || !cumulative || !candidate) {
        free(closest);
        free(cumulative);
        free(candidate);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory seeding %zu rows", n);
    }
    size_t first = (size_t)dial_rng_below(rng, n);
    memcpy(centroids, x + first * d, d * sizeof *centroids);
    double potential = 0;
    for (size_t i = 0; i < n; i++) {
        closest[i] = kmeans_distance2(x + i * d, centroids, d);
        potential += closest[i];
    }
    for (size_t c = 1; c < k; c++) {
        double running = 0;
        for (size_t i = 0; i < n; i++) cumulative[i] = running += closest[i];
        size_t best = 0, best_row = 0;
        double best_potential = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            size_t row = plusplus_pick(cumulative, n, dial_rng_uniform(rng) * potential);
            double *distances = candidate + t * n, sum = 0;
            for (size_t i = 0; i < n; i++) {
                double dist = kmeans_distance2(x + i * d, x + row * d, d);
                distances[i] = dist < closest[i] ? dist : closest[i];
                sum += distances[i];
            }
            if (sum < best_potential) {
                best_potential = sum;
                best = t;
                best_row = row;
            }
        }
        potential = best_potential;
        memcpy(closest, candidate + best * n, n * sizeof *closest);
        memcpy(centroids + c * d, x + best_row * d, d * sizeof *centroids);
    }
    free(closest);
    free(cumulative);
    free(candidate);
    return DIAL_OK;
}

dial_status dial_kmeans_random_rows(dial_ctx *ctx, const double *x, size_t n, size_t d, size_t k,
                                    dial_rng *rng, double *centroids) {
    size_t *order = dial_malloc_array(ctx, n, sizeof *order);
    if (!order) return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory seeding %zu rows", n);
    for (size_t i = 0; i < n; i++) order[i] = i;
    /* The first k steps of a Fisher-Yates shuffle: k distinct rows. */
    for (size_t c = 0; c < k; c++) {
        size_t pick = c + (size_t)dial_rng_below(rng, n - c);
        size_t swap = order[c];
        order[c] = order[pick];
        order[pick] = swap;
        memcpy(centroids + c * d, x + order[c] * d, d * sizeof *centroids);
    }
    free(order);
    return DIAL_OK;
}
