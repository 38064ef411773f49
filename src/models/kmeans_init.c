/*
 * Where k-means starts (kmeans.h): k-means++ as scikit-learn seeds it, or
 * k distinct rows at random. Both draw only from the stream they are
 * given, so a seed gives the same centroids on any thread count.
 * k-means++ weighs every row against each candidate, n x (1 + (k - 1) x
 * (2 + ln k)) distances per run at most: on the run's team, summed per
 * item and then in item order (kmeans_blocks.c), for the same reasons as
 * the iterations; and skipping the rows the triangle inequality settles.
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

/* The squared distance of every row to each of a few candidate rows,
 * capped by the row's distance to its nearest centroid so far (closest):
 * candidate t's is distances[t * n + i]; partial[item * trials + t] sums
 * an item's.
 *
 * Most rows need no distance at all: with a the row's nearest centroid,
 * d(x, cand) >= d(cand, a) - d(x, a), so when d(cand, a)^2 > 4 closest
 * the candidate is no nearer than a and the capped distance is closest
 * itself. The test keeps a margin of 1e-9 over rounding, so a row skipped
 * gets the value its distance would have given, bit for bit; the
 * distances measured are kmeans_distance2's (no dot products, whose
 * rounding the test could not bound). */
typedef struct plusplus_job {
    const kmeans_run *run;
    const double *closest; /* n */
    const size_t *nearest; /* n: the index of each row's nearest centroid so far */
    const size_t *rows;    /* trials candidate rows */
    const double *apart;   /* trials x k: squared distance of candidate t to centroid c */
    size_t trials;
    double *distances; /* trials x n */
    double *partial;   /* items x trials */
} plusplus_job;

static void plusplus_item(void *arg, size_t item, int worker) {
    (void)worker;
    const plusplus_job *job = arg;
    const kmeans_run *run = job->run;
    size_t n = run->n, d = run->d, k = run->k, trials = job->trials;
    size_t begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > n) end = n;
    double *partial = job->partial + item * trials;
    for (size_t t = 0; t < trials; t++) partial[t] = 0;
    for (size_t i = begin; i < end; i++) {
        double closest = job->closest[i], reach = 4 * closest * (1 + 1e-9);
        const double *apart = job->apart + job->nearest[i];
        for (size_t t = 0; t < trials; t++) {
            double dist = closest;
            if (!(apart[t * k] > reach)) {
                dist = kmeans_distance2(run->x + i * d, run->x + job->rows[t] * d, d);
                if (dist > closest) dist = closest;
            }
            job->distances[t * n + i] = dist;
            partial[t] += dist;
        }
    }
}

/* Runs the job for candidate rows rows[0 .. trials-1] against the first
 * `chosen` centroids; potential[t] receives candidate t's sum, added in
 * item order. */
static void plusplus_measure(plusplus_job *job, const double *centroids, size_t chosen,
                             size_t trials, double *apart, double *potential) {
    const kmeans_run *run = job->run;
    size_t d = run->d, k = run->k;
    for (size_t t = 0; t < trials; t++)
        for (size_t c = 0; c < k; c++)
            apart[t * k + c] =
                c < chosen ? kmeans_distance2(run->x + job->rows[t] * d, centroids + c * d, d) : 0;
    job->trials = trials;
    size_t items = dial_kmeans_items(run->n);
    dial_team_run(run->team, plusplus_item, job, items);
    for (size_t t = 0; t < trials; t++) {
        double sum = 0;
        for (size_t item = 0; item < items; item++) sum += job->partial[item * trials + t];
        potential[t] = sum;
    }
}

dial_status dial_kmeans_plusplus(dial_ctx *ctx, const kmeans_run *run, dial_rng *rng,
                                 double *centroids) {
    size_t n = run->n, d = run->d, k = run->k;
    size_t trials = 2 + (size_t)log((double)k);
    size_t items = dial_kmeans_items(n);
    double *closest = dial_malloc_array(ctx, n, sizeof *closest);
    size_t *nearest = dial_calloc(ctx, n, sizeof *nearest);
    double *cumulative = dial_malloc_array(ctx, n, sizeof *cumulative);
    double *candidate = dial_malloc_array(ctx, trials * n, sizeof *candidate);
    double *partial = dial_malloc_array(ctx, items * trials, sizeof *partial);
    double *apart = dial_malloc_array(ctx, trials * k, sizeof *apart);
    size_t *rows = dial_malloc_array(ctx, trials, sizeof *rows);
    double *potentials = dial_malloc_array(ctx, trials, sizeof *potentials);
    dial_status status = DIAL_OK;
    if (!closest || !nearest || !cumulative || !candidate || !partial || !apart || !rows ||
        !potentials) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory seeding %zu rows", n);
        goto done;
    }
    /* No centroid yet: nothing to skip by (apart is 0 against none). */
    for (size_t i = 0; i < n; i++) closest[i] = INFINITY;
    plusplus_job job = {.run = run,
                        .closest = closest,
                        .nearest = nearest,
                        .rows = rows,
                        .apart = apart,
                        .distances = candidate,
                        .partial = partial};
    rows[0] = (size_t)dial_rng_below(rng, n);
    double potential = 0;
    plusplus_measure(&job, centroids, 0, 1, apart, &potential);
    memcpy(closest, candidate, n * sizeof *closest);
    memcpy(centroids, run->x + rows[0] * d, d * sizeof *centroids);
    for (size_t c = 1; c < k; c++) {
        double running = 0;
        for (size_t i = 0; i < n; i++) cumulative[i] = running += closest[i];
        for (size_t t = 0; t < trials; t++)
            rows[t] = plusplus_pick(cumulative, n, dial_rng_uniform(rng) * potential);
        plusplus_measure(&job, centroids, c, trials, apart, potentials);
        size_t best = 0;
        for (size_t t = 1; t < trials; t++)
            if (potentials[t] < potentials[best]) best = t;
        potential = potentials[best];
        const double *chosen = candidate + best * n;
        for (size_t i = 0; i < n; i++)
            if (chosen[i] < closest[i]) {
                closest[i] = chosen[i];
                nearest[i] = c;
            }
        memcpy(centroids + c * d, run->x + rows[best] * d, d * sizeof *centroids);
    }
done:
    free(closest);
    free(nearest);
    free(cumulative);
    free(candidate);
    free(partial);
    free(apart);
    free(rows);
    free(potentials);
    return status;
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
