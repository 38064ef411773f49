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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

/* At most 2 + ln k candidates a step: 32 would take k > e^30. */
#define PLUSPLUS_MAX_TRIALS 32

/* The squared distance of every row to each of a few candidate rows,
 * capped by the row's distance to its nearest centroid so far (closest),
 * summed per item: partial[item * trials + t] is candidate t's.
 *
 * The rows are what costs (1,000,000 x 16 doubles are 128 MB, read from
 * memory at every step), so each step reads them once: for every seeding
 * at once (n_init runs draw from their own streams, so seeding them side
 * by side gives each the centroids it would get alone), and in the same
 * pass first lowering each row's closest by the candidate the step before
 * kept (pending), then measuring the new candidates. Keeping every
 * candidate's n distances instead would write trials x n numbers a step,
 * and a separate pass for the kept one would read the rows twice.
 *
 * Most rows need no distance at all: with a the row's nearest centroid,
 * d(x, cand) >= d(cand, a) - d(x, a), so when d(cand, a)^2 > 4 closest
 * the candidate is no nearer than a and the capped distance is closest
 * itself. The test keeps a margin of 1e-9 over rounding, so a row skipped
 * gets the value its distance would have given, bit for bit, and every
 * pass gives a row the same value; the distances measured are
 * kmeans_distance2's (no dot products, whose rounding the test could not
 * bound). */
typedef struct plusplus_seed {
    dial_rng *rng;
    double *centroids;  /* k x d, the first `chosen` set */
    double *closest;    /* n */
    size_t *nearest;    /* n: the index of each row's nearest centroid so far */
    double *centers;    /* trials x d: the candidate rows */
    double *apart;      /* trials x k: squared distance of candidate t to centroid c */
    double *partial;    /* items x trials */
    double *potentials; /* trials */
    double potential;   /* the sum of closest with the pending candidate in */
    /* the candidate kept at the step before, not yet in closest (NULL:
     * none), its squared distances to the centroids before it (k), the
     * centroid it became, and the per-item sums of closest with it in */
    const double *pending;
    double *pending_apart;
    size_t becomes;
    double *totals; /* items */
} plusplus_seed;

typedef struct plusplus_job {
    const kmeans_run *run;
    plusplus_seed *seeds;
    size_t n_seeds, trials;
} plusplus_job;

static inline double plusplus_capped(const kmeans_run *run, size_t i, double closest, double apart,
                                     const double *center) {
    if (apart > 4 * closest * (1 + 1e-9)) return closest;
    double dist = kmeans_distance2(run->x + i * run->d, center, run->d);
    return dist < closest ? dist : closest;
}

/* One seeding's work on the rows [begin, end) of an item, added to its
 * sums so far for the item (row by row in order, whatever the stretches:
 * the sums of one pass over the item). */
static void plusplus_seed_rows(const kmeans_run *run, plusplus_seed *seed, size_t trials,
                               size_t item, size_t begin, size_t end) {
    size_t d = run->d, k = run->k;
    double *partial = seed->partial + item * trials;
    double sums[PLUSPLUS_MAX_TRIALS], total = seed->totals[item];
    for (size_t t = 0; t < trials; t++) sums[t] = partial[t];
    for (size_t i = begin; i < end; i++) {
        double closest = seed->closest[i];
        size_t nearest = seed->nearest[i];
        if (seed->pending) {
            double dist =
                plusplus_capped(run, i, closest, seed->pending_apart[nearest], seed->pending);
            if (dist < closest) {
                seed->closest[i] = closest = dist;
                seed->nearest[i] = nearest = seed->becomes;
            }
        }
        total += closest;
        const double *apart = seed->apart + nearest;
        for (size_t t = 0; t < trials; t++)
            sums[t] += plusplus_capped(run, i, closest, apart[t * k], seed->centers + t * d);
    }
    for (size_t t = 0; t < trials; t++) partial[t] = sums[t];
    seed->totals[item] = total;
}

/* Rows per stretch an item hands to each seeding in turn: few enough that
 * they are still in cache when the next seeding reads them. */
#define PLUSPLUS_STRETCH_ROWS 64

static void plusplus_item(void *arg, size_t item, int worker) {
    (void)worker;
    const plusplus_job *job = arg;
    const kmeans_run *run = job->run;
    size_t begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > run->n) end = run->n;
    for (size_t s = 0; s < job->n_seeds; s++) {
        plusplus_seed *seed = &job->seeds[s];
        for (size_t t = 0; t < job->trials; t++) seed->partial[item * job->trials + t] = 0;
        seed->totals[item] = 0;
    }
    for (size_t from = begin; from < end; from += PLUSPLUS_STRETCH_ROWS) {
        size_t to = end - from < PLUSPLUS_STRETCH_ROWS ? end : from + PLUSPLUS_STRETCH_ROWS;
        for (size_t s = 0; s < job->n_seeds; s++)
            plusplus_seed_rows(run, &job->seeds[s], job->trials, item, from, to);
    }
}

/* One pass: each seeding's pending candidate into its closest, then its
 * candidates centers[0 .. trials-1] measured against its first `chosen`
 * centroids; its potentials[t] receive candidate t's sum, added in item
 * order. */
static void plusplus_pass(plusplus_job *job, size_t chosen, size_t trials) {
    const kmeans_run *run = job->run;
    size_t d = run->d, k = run->k, items = dial_kmeans_items(run->n);
    for (size_t s = 0; s < job->n_seeds; s++) {
        plusplus_seed *seed = &job->seeds[s];
        for (size_t t = 0; t < trials; t++)
            for (size_t c = 0; c < k; c++)
                seed->apart[t * k + c] =
                    c < chosen ? kmeans_distance2(seed->centers + t * d, seed->centroids + c * d, d)
                               : 0;
    }
    job->trials = trials;
    dial_team_run(run->team, plusplus_item, job, items);
    for (size_t s = 0; s < job->n_seeds; s++) {
        plusplus_seed *seed = &job->seeds[s];
        for (size_t t = 0; t < trials; t++) {
            double sum = 0;
            for (size_t item = 0; item < items; item++) sum += seed->partial[item * trials + t];
            seed->potentials[t] = sum;
        }
    }
}

/* The first row at which the running sum of the rows' closest reaches
 * target (numpy's searchsorted on a cumulative sum, side left), at most n
 * - 1, where a row's closest counts the pending candidate as the next
 * pass will: whole items are passed by their totals, so a pick reads one
 * item's rows, not the running sum of all n. */
static size_t plusplus_pick(const kmeans_run *run, const plusplus_seed *seed, double target) {
    size_t n = run->n, items = dial_kmeans_items(n);
    double running = 0;
    for (size_t item = 0; item < items; item++) {
        if (running + seed->totals[item] < target) {
            running += seed->totals[item];
            continue;
        }
        size_t begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
        if (end > n) end = n;
        for (size_t i = begin; i < end; i++) {
            double closest = seed->closest[i];
            if (seed->pending)
                closest = plusplus_capped(run, i, closest, seed->pending_apart[seed->nearest[i]],
                                          seed->pending);
            if ((running += closest) >= target) return i;
        }
    }
    return n - 1;
}

static void plusplus_seeds_free(plusplus_seed *seeds, size_t n_seeds) {
    for (size_t s = 0; seeds && s < n_seeds; s++) {
        free(seeds[s].closest);
        free(seeds[s].nearest);
        free(seeds[s].centers);
        free(seeds[s].apart);
        free(seeds[s].partial);
        free(seeds[s].potentials);
        free(seeds[s].pending_apart);
        free(seeds[s].totals);
    }
    free(seeds);
}

static dial_status plusplus_seeds_alloc(dial_ctx *ctx, const kmeans_run *run, dial_rng *rngs,
                                        size_t n_seeds, size_t trials, double *centroids,
                                        plusplus_seed **out) {
    size_t n = run->n, d = run->d, k = run->k, items = dial_kmeans_items(n);
    plusplus_seed *seeds = dial_calloc(ctx, n_seeds, sizeof *seeds);
    bool ok = seeds != NULL;
    for (size_t s = 0; ok && s < n_seeds; s++) {
        plusplus_seed *seed = &seeds[s];
        seed->rng = &rngs[s];
        seed->centroids = centroids + s * k * d;
        seed->closest = dial_malloc_array(ctx, n, sizeof *seed->closest);
        seed->nearest = dial_calloc(ctx, n, sizeof *seed->nearest);
        seed->centers = dial_malloc_array(ctx, trials * d, sizeof *seed->centers);
        seed->apart = dial_malloc_array(ctx, trials * k, sizeof *seed->apart);
        seed->partial = dial_malloc_array(ctx, items * trials, sizeof *seed->partial);
        seed->potentials = dial_malloc_array(ctx, trials, sizeof *seed->potentials);
        seed->pending_apart = dial_calloc(ctx, k, sizeof *seed->pending_apart);
        seed->totals = dial_malloc_array(ctx, items, sizeof *seed->totals);
        ok = seed->closest && seed->nearest && seed->centers && seed->apart && seed->partial &&
             seed->potentials && seed->pending_apart && seed->totals;
    }
    if (!ok) {
        plusplus_seeds_free(seeds, n_seeds);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory seeding %zu rows", n);
    }
    *out = seeds;
    return DIAL_OK;
}

dial_status dial_kmeans_plusplus(dial_ctx *ctx, const kmeans_run *run, dial_rng *rngs,
                                 size_t n_seeds, double *centroids) {
    size_t n = run->n, d = run->d, k = run->k, items = dial_kmeans_items(n);
    size_t trials = 2 + (size_t)log((double)k);
    if (trials > PLUSPLUS_MAX_TRIALS) trials = PLUSPLUS_MAX_TRIALS;
    plusplus_seed *seeds = NULL;
    dial_status status = plusplus_seeds_alloc(ctx, run, rngs, n_seeds, trials, centroids, &seeds);
    if (status != DIAL_OK) return status;
    plusplus_job job = {.run = run, .seeds = seeds, .n_seeds = n_seeds};
    /* The first centroid, a row at random: the first pass measures no
     * candidate and only brings it in, every row's distance to it (no
     * centroid before it to skip by: closest is infinite). */
    for (size_t s = 0; s < n_seeds; s++) {
        plusplus_seed *seed = &seeds[s];
        for (size_t i = 0; i < n; i++) seed->closest[i] = INFINITY;
        size_t first = (size_t)dial_rng_below(seed->rng, n);
        memcpy(seed->centroids, run->x + first * d, d * sizeof *seed->centroids);
        seed->pending = seed->centroids;
        seed->becomes = 0;
    }
    plusplus_pass(&job, 0, 0);
    for (size_t s = 0; s < n_seeds; s++) {
        seeds[s].pending = NULL;
        seeds[s].potential = 0;
        for (size_t item = 0; item < items; item++) seeds[s].potential += seeds[s].totals[item];
    }
    for (size_t c = 1; c < k; c++) {
        for (size_t s = 0; s < n_seeds; s++) {
            plusplus_seed *seed = &seeds[s];
            for (size_t t = 0; t < trials; t++) {
                double target = dial_rng_uniform(seed->rng) * seed->potential;
                size_t row = plusplus_pick(run, seed, target);
                memcpy(seed->centers + t * d, run->x + row * d, d * sizeof *seed->centers);
            }
        }
        plusplus_pass(&job, c, trials);
        for (size_t s = 0; s < n_seeds; s++) {
            plusplus_seed *seed = &seeds[s];
            size_t best = 0;
            for (size_t t = 1; t < trials; t++)
                if (seed->potentials[t] < seed->potentials[best]) best = t;
            seed->potential = seed->potentials[best];
            memcpy(seed->centroids + c * d, seed->centers + best * d, d * sizeof *seed->centroids);
            /* The kept candidate enters closest in the next pass (or
             * never, after the last); the item sums of the rows' closest
             * with it in are its partial sums. */
            memcpy(seed->pending_apart, seed->apart + best * k, k * sizeof *seed->pending_apart);
            seed->pending = seed->centroids + c * d;
            seed->becomes = c;
            for (size_t item = 0; item < items; item++)
                seed->totals[item] = seed->partial[item * trials + best];
        }
    }
    plusplus_seeds_free(seeds, n_seeds);
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
