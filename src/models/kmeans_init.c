/*
 * Where k-means starts (kmeans.h): k-means++ as scikit-learn seeds it, or
 * k distinct rows at random. Both draw only from the stream they are
 * given, so a seed gives the same centroids on any thread count.
 * k-means++ weighs every row against each candidate, n x (1 + (k - 1) x
 * (2 + ln k)) distances per run: on the run's team by blocked dot
 * products, summed per item and then in item order (kmeans_blocks.c), for
 * the same reasons as the iterations.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

/* At most 2 + ln k candidates a step: 32 would take k > e^30. */
#define PLUSPLUS_MAX_TRIALS 32

/* Every step measures each row against a few candidate rows and keeps,
 * per candidate, the sum over rows of the squared distance to the nearest
 * centroid once that candidate is in (capped by the row's distance to its
 * nearest centroid so far, closest). The distances come from dot
 * products, as scikit-learn's seeding computes them (|x|^2 - 2 x.c +
 * |c|^2, never below 0): one cblas_dgemm per block of rows against every
 * candidate of every seeding, where measuring them one by one cost most
 * of a fit.
 *
 * The rows are read once a step: for every seeding at once (n_init runs
 * draw from their own streams, so seeding them side by side gives each
 * the centroids it would get alone), and in the same pass each seeding
 * first lowers a row's closest by the candidate it kept the step before
 * (pending), then measures the new candidates. Sums are kept per item of
 * rows and added in item order, so the threads do not change them. */
typedef struct plusplus_seed {
    dial_rng *rng;
    double *centroids;  /* k x d, the first `chosen` set */
    double *closest;    /* n */
    double *partial;    /* items x trials */
    double *potentials; /* trials */
    double potential;   /* the sum of closest with the pending candidate in */
    bool pending;       /* the kept candidate is not yet in closest */
    double *totals;     /* items: the sums of closest with the pending candidate in */
} plusplus_seed;

typedef struct plusplus_job {
    const kmeans_run *run;
    plusplus_seed *seeds;
    size_t n_seeds, trials;
    double *norms;        /* n: the rows' squared norms, measured in the first pass */
    bool first;           /* the first pass */
    size_t columns;       /* per seeding 1 + trials: its pending candidate, then its candidates */
    double *centers;      /* columns x d */
    double *center_norms; /* columns */
    double *scratch;      /* workers x KMEANS_GEMM_ROWS x columns */
} plusplus_job;

static inline double plusplus_distance(double row_norm, double center_norm, double dot) {
    double value = row_norm - 2 * dot + center_norm;
    return value > 0 ? value : 0;
}

/* One seeding's work on a block of rows whose dot products with every
 * column are in dots, added to its sums for the item (row by row in
 * order: the sums of one pass over the item). */
static void plusplus_seed_block(const plusplus_job *job, size_t s, size_t item, size_t begin,
                                size_t m, const double *dots) {
    plusplus_seed *seed = &job->seeds[s];
    size_t trials = job->trials, columns = job->columns, first = s * (1 + trials);
    const double *center_norms = job->center_norms + first;
    double *partial = seed->partial + item * trials;
    double sums[PLUSPLUS_MAX_TRIALS], total = seed->totals[item];
    for (size_t t = 0; t < trials; t++) sums[t] = partial[t];
    for (size_t r = 0; r < m; r++) {
        size_t i = begin + r;
        const double *dot = dots + r * columns + first;
        double norm = job->norms[i], closest = seed->closest[i];
        if (seed->pending) {
            double dist = plusplus_distance(norm, center_norms[0], dot[0]);
            if (dist < closest) seed->closest[i] = closest = dist;
        }
        total += closest;
        for (size_t t = 0; t < trials; t++) {
            double dist = plusplus_distance(norm, center_norms[1 + t], dot[1 + t]);
            sums[t] += dist < closest ? dist : closest;
        }
    }
    for (size_t t = 0; t < trials; t++) partial[t] = sums[t];
    seed->totals[item] = total;
}

static void plusplus_item(void *arg, size_t item, int worker) {
    const plusplus_job *job = arg;
    const kmeans_run *run = job->run;
    size_t d = run->d, begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > run->n) end = run->n;
    double *dots = job->scratch + (size_t)worker * KMEANS_GEMM_ROWS * job->columns;
    if (job->first) dial_kmeans_norms(run->x + begin * d, end - begin, d, job->norms + begin);
    for (size_t s = 0; s < job->n_seeds; s++) {
        plusplus_seed *seed = &job->seeds[s];
        for (size_t t = 0; t < job->trials; t++) seed->partial[item * job->trials + t] = 0;
        seed->totals[item] = 0;
    }
    for (size_t block = begin; block < end; block += KMEANS_GEMM_ROWS) {
        size_t m = end - block < KMEANS_GEMM_ROWS ? end - block : KMEANS_GEMM_ROWS;
        dial_kmeans_dots(run->x + block * d, m, d, job->centers, job->columns, dots);
        for (size_t s = 0; s < job->n_seeds; s++) plusplus_seed_block(job, s, item, block, m, dots);
    }
}

/* One pass: each seeding's pending candidate into its closest, then its
 * candidates (the columns after it) measured; its potentials[t] receive
 * candidate t's sum, added in item order. */
static void plusplus_pass(plusplus_job *job) {
    const kmeans_run *run = job->run;
    size_t items = dial_kmeans_items(run->n), trials = job->trials;
    dial_kmeans_norms(job->centers, job->columns, run->d, job->center_norms);
    dial_team_run(run->team, plusplus_item, job, items);
    job->first = false;
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
 * - 1, where a row's closest counts the pending candidate (pending, d
 * values) as the next pass will: whole items are passed by their totals,
 * so a pick reads one item's rows, not the running sum of all n. In that
 * item the distance to the pending candidate is measured directly; it may
 * differ from the next pass's dot products in the last digits, which
 * moves the draw by as little. */
static size_t plusplus_pick(const kmeans_run *run, const plusplus_seed *seed, const double *pending,
                            double target) {
    size_t n = run->n, d = run->d, items = dial_kmeans_items(n);
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
            if (seed->pending) {
                double dist = kmeans_distance2(run->x + i * d, pending, d);
                if (dist < closest) closest = dist;
            }
            if ((running += closest) >= target) return i;
        }
    }
    return n - 1;
}

static void plusplus_free(plusplus_job *job) {
    for (size_t s = 0; job->seeds && s < job->n_seeds; s++) {
        free(job->seeds[s].closest);
        free(job->seeds[s].partial);
        free(job->seeds[s].potentials);
        free(job->seeds[s].totals);
    }
    free(job->seeds);
    free(job->norms);
    free(job->centers);
    free(job->center_norms);
    free(job->scratch);
}

static dial_status plusplus_alloc(dial_ctx *ctx, const kmeans_run *run, dial_rng *rngs,
                                  size_t n_seeds, size_t trials, double *centroids,
                                  plusplus_job *job) {
    size_t n = run->n, d = run->d ? run->d : 1, k = run->k, items = dial_kmeans_items(n);
    size_t workers = run->threads > 1 ? (size_t)run->threads : 1, columns = n_seeds * (1 + trials);
    *job = (plusplus_job){
        .run = run, .n_seeds = n_seeds, .trials = trials, .first = true, .columns = columns};
    job->seeds = dial_calloc(ctx, n_seeds, sizeof *job->seeds);
    job->norms = dial_malloc_array(ctx, n, sizeof *job->norms);
    job->centers = dial_calloc(ctx, columns * d, sizeof *job->centers);
    job->center_norms = dial_malloc_array(ctx, columns, sizeof *job->center_norms);
    job->scratch =
        dial_malloc_array(ctx, workers * KMEANS_GEMM_ROWS * columns, sizeof *job->scratch);
    bool ok = job->seeds && job->norms && job->centers && job->center_norms && job->scratch;
    for (size_t s = 0; ok && s < n_seeds; s++) {
        plusplus_seed *seed = &job->seeds[s];
        seed->rng = &rngs[s];
        seed->centroids = centroids + s * k * run->d;
        seed->closest = dial_malloc_array(ctx, n, sizeof *seed->closest);
        seed->partial = dial_calloc(ctx, items * trials + 1, sizeof *seed->partial);
        seed->potentials = dial_malloc_array(ctx, trials, sizeof *seed->potentials);
        seed->totals = dial_malloc_array(ctx, items, sizeof *seed->totals);
        ok = seed->closest && seed->partial && seed->potentials && seed->totals;
    }
    if (ok) return DIAL_OK;
    plusplus_free(job);
    return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory seeding %zu rows", n);
}

dial_status dial_kmeans_plusplus(dial_ctx *ctx, const kmeans_run *run, dial_rng *rngs,
                                 size_t n_seeds, double *centroids) {
    size_t n = run->n, d = run->d, k = run->k, items = dial_kmeans_items(n);
    size_t trials = 2 + (size_t)log((double)k);
    if (trials > PLUSPLUS_MAX_TRIALS) trials = PLUSPLUS_MAX_TRIALS;
    plusplus_job job;
    dial_status status = plusplus_alloc(ctx, run, rngs, n_seeds, trials, centroids, &job);
    if (status != DIAL_OK) return status;
    /* The first centroid, a row at random: the first pass measures the
     * candidates (the columns are all zero, their sums unused) only to
     * bring it in as every row's closest. */
    for (size_t s = 0; s < n_seeds; s++) {
        plusplus_seed *seed = &job.seeds[s];
        for (size_t i = 0; i < n; i++) seed->closest[i] = INFINITY;
        size_t first = (size_t)dial_rng_below(seed->rng, n);
        memcpy(seed->centroids, run->x + first * d, d * sizeof *seed->centroids);
        memcpy(job.centers + s * (1 + trials) * d, seed->centroids, d * sizeof *job.centers);
        seed->pending = true;
    }
    plusplus_pass(&job);
    for (size_t s = 0; s < n_seeds; s++) {
        plusplus_seed *seed = &job.seeds[s];
        seed->pending = false;
        seed->potential = 0;
        for (size_t item = 0; item < items; item++) seed->potential += seed->totals[item];
    }
    for (size_t c = 1; c < k; c++) {
        for (size_t s = 0; s < n_seeds; s++) {
            plusplus_seed *seed = &job.seeds[s];
            double *columns = job.centers + s * (1 + trials) * d;
            for (size_t t = 0; t < trials; t++) {
                double target = dial_rng_uniform(seed->rng) * seed->potential;
                size_t row = plusplus_pick(run, seed, columns, target);
                memcpy(columns + (1 + t) * d, run->x + row * d, d * sizeof *columns);
            }
        }
        plusplus_pass(&job);
        for (size_t s = 0; s < n_seeds; s++) {
            plusplus_seed *seed = &job.seeds[s];
            double *columns = job.centers + s * (1 + trials) * d;
            size_t best = 0;
            for (size_t t = 1; t < trials; t++)
                if (seed->potentials[t] < seed->potentials[best]) best = t;
            seed->potential = seed->potentials[best];
            memcpy(seed->centroids + c * d, columns + (1 + best) * d, d * sizeof *columns);
            /* The kept candidate enters closest in the next pass (or
             * never, after the last); the item sums of the rows' closest
             * with it in are its partial sums. */
            memcpy(columns, columns + (1 + best) * d, d * sizeof *columns);
            seed->pending = true;
            for (size_t item = 0; item < items; item++)
                seed->totals[item] = seed->partial[item * trials + best];
        }
    }
    plusplus_free(&job);
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
