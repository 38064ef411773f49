/*
 * The rows of k-means in blocks (kmeans.h): the nearest centroid of every
 * row through BLAS, the sums of each cluster's rows, and the inertia, on
 * the run's thread team.
 *
 * Why blocks: a distance row by row is d multiply-adds the compiler
 * cannot vectorise (a sum in order), while |x|^2 - 2 x.c + |c|^2 takes
 * the dot products of a block of rows with every centroid in one
 * cblas_dgemm, several times faster. The argmin needs only |c|^2 - 2 x.c
 * (|x|^2 is the same for every centroid), which is what scikit-learn's
 * Lloyd iterations compare too.
 *
 * Why items of KMEANS_ITEM_ROWS rows: the team hands out items, each
 * item's sums are kept apart and added up in item order, and the items'
 * bounds do not depend on the thread count; so a seed gives the same
 * centroids, bit for bit, on any number of threads, and a busy thread
 * leaves its share to the others.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

size_t dial_kmeans_items(size_t n) { return (n + KMEANS_ITEM_ROWS - 1) / KMEANS_ITEM_ROWS; }

void dial_kmeans_dots(const double *x, size_t m, size_t d, const double *centers, size_t k,
                      double *dots) {
    if (d == 0) {
        memset(dots, 0, m * k * sizeof *dots);
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)d, 1.0, x, (int)d,
                centers, (int)d, 0.0, dots, (int)k);
}

void dial_kmeans_norms(const double *x, size_t n, size_t d, double *norms) {
    for (size_t i = 0; i < n; i++) {
        const double *row = x + i * d;
        double norm = 0;
        for (size_t j = 0; j < d; j++) norm += row[j] * row[j];
        norms[i] = norm;
    }
}

dial_status dial_kmeans_sweep_alloc(dial_ctx *ctx, kmeans_sweep *sweep, const kmeans_run *run) {
    size_t items = dial_kmeans_items(run->n), k = run->k, d = run->d ? run->d : 1;
    size_t workers = run->threads > 1 ? (size_t)run->threads : 1;
    *sweep = (kmeans_sweep){.items = items};
    sweep->sums = dial_calloc(ctx, items * k * d, sizeof *sweep->sums);
    sweep->counts = dial_calloc(ctx, items * k, sizeof *sweep->counts);
    sweep->changed = dial_malloc_array(ctx, items, sizeof *sweep->changed);
    sweep->partial = dial_malloc_array(ctx, items, sizeof *sweep->partial);
    sweep->scratch = dial_malloc_array(ctx, workers * KMEANS_GEMM_ROWS * k, sizeof *sweep->scratch);
    sweep->norms = dial_malloc_array(ctx, k, sizeof *sweep->norms);
    sweep->assigned = dial_malloc_array(ctx, k * d, sizeof *sweep->assigned);
    if (sweep->sums && sweep->counts && sweep->changed && sweep->partial && sweep->scratch &&
        sweep->norms && sweep->assigned)
        return DIAL_OK;
    dial_kmeans_sweep_free(sweep);
    return dial_fail(ctx, DIAL_ERR_NOMEM,
                     "kmeans: out of memory for the sums of %zu clusters over %zu blocks of rows",
                     k, items);
}

void dial_kmeans_sweep_free(kmeans_sweep *sweep) {
    free(sweep->sums);
    free(sweep->counts);
    free(sweep->changed);
    free(sweep->partial);
    free(sweep->scratch);
    free(sweep->norms);
    free(sweep->assigned);
    memset(sweep, 0, sizeof *sweep);
}

typedef struct assign_job {
    const kmeans_run *run;
    const double *centroids;
    kmeans_sweep *sweep;
} assign_job;

void dial_kmeans_item_move(const kmeans_run *run, kmeans_sweep *sweep, size_t item, size_t row,
                           int64_t from, size_t to) {
    size_t d = run->d, k = run->k;
    const double *x = run->x + row * d;
    if (from >= 0) {
        double *sum = sweep->sums + (item * k + (size_t)from) * d;
        for (size_t j = 0; j < d; j++) sum[j] -= x[j];
        sweep->counts[item * k + (size_t)from]--;
    }
    double *sum = sweep->sums + (item * k + to) * d;
    for (size_t j = 0; j < d; j++) sum[j] += x[j];
    sweep->counts[item * k + to]++;
}

static void assign_item(void *arg, size_t item, int worker) {
    const assign_job *job = arg;
    const kmeans_run *run = job->run;
    kmeans_sweep *sweep = job->sweep;
    size_t k = run->k, d = run->d;
    size_t begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > run->n) end = run->n;
    double *dots = sweep->scratch + (size_t)worker * KMEANS_GEMM_ROWS * k;
    size_t changed = 0;
    bool inertia = d <= KMEANS_ASSIGN_INERTIA_MAX_D;
    double distances = 0; /* rows in order, as inertia_item sums them */
    for (size_t block = begin; block < end; block += KMEANS_GEMM_ROWS) {
        size_t m = end - block < KMEANS_GEMM_ROWS ? end - block : KMEANS_GEMM_ROWS;
        dial_kmeans_dots(run->x + block * d, m, d, job->centroids, k, dots);
        for (size_t r = 0; r < m; r++) {
            const double *dot = dots + r * k;
            double best = INFINITY;
            size_t label = 0;
            for (size_t c = 0; c < k; c++) {
                double value = sweep->norms[c] - 2 * dot[c];
                if (value < best) {
                    best = value;
                    label = c;
                }
            }
            size_t i = block + r;
            if (inertia)
                distances += kmeans_distance2(run->x + i * d, job->centroids + label * d, d);
            if (run->labels[i] == (int64_t)label) continue;
            dial_kmeans_item_move(run, sweep, item, i, run->labels[i], label);
            run->labels[i] = (int64_t)label;
            changed++;
        }
    }
    sweep->changed[item] = changed;
    if (inertia) sweep->partial[item] = distances;
}

size_t dial_kmeans_assign(const kmeans_run *run, kmeans_sweep *sweep, const double *centroids) {
    size_t k = run->k, d = run->d;
    dial_kmeans_norms(centroids, k, d, sweep->norms);
    assign_job job = {run, centroids, sweep};
    dial_team_run(run->team, assign_item, &job, sweep->items);
    sweep->assigned_inertia = d <= KMEANS_ASSIGN_INERTIA_MAX_D;
    if (sweep->assigned_inertia) memcpy(sweep->assigned, centroids, k * d * sizeof *centroids);
    size_t changed = 0;
    for (size_t item = 0; item < sweep->items; item++) changed += sweep->changed[item];
    return changed;
}

dial_status dial_kmeans_reduce(dial_ctx *ctx, const kmeans_run *run, const kmeans_sweep *sweep,
                               const double *old, double *centroids, size_t *counts) {
    size_t k = run->k, d = run->d;
    memset(centroids, 0, k * d * sizeof *centroids);
    memset(counts, 0, k * sizeof *counts);
    /* In item order, whatever thread summed each item. */
    for (size_t item = 0; item < sweep->items; item++) {
        const double *sums = sweep->sums + item * k * d;
        const size_t *item_counts = sweep->counts + item * k;
        for (size_t c = 0; c < k; c++) {
            counts[c] += item_counts[c];
            if (!item_counts[c]) continue;
            for (size_t j = 0; j < d; j++) centroids[c * d + j] += sums[c * d + j];
        }
    }
    return dial_kmeans_means_finish(ctx, run, old, centroids, counts);
}

typedef struct inertia_job {
    const kmeans_run *run;
    kmeans_sweep *sweep;
} inertia_job;

static void inertia_item(void *arg, size_t item, int worker) {
    (void)worker;
    const inertia_job *job = arg;
    const kmeans_run *run = job->run;
    size_t d = run->d, begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > run->n) end = run->n;
    double sum = 0;
    for (size_t i = begin; i < end; i++)
        sum += kmeans_distance2(run->x + i * d, run->centroids + (size_t)run->labels[i] * d, d);
    job->sweep->partial[item] = sum;
}

double dial_kmeans_inertia(const kmeans_run *run, kmeans_sweep *sweep) {
    bool assigned =
        sweep->assigned_inertia &&
        memcmp(sweep->assigned, run->centroids, run->k * run->d * sizeof *run->centroids) == 0;
    inertia_job job = {run, sweep};
    if (!assigned) dial_team_run(run->team, inertia_item, &job, sweep->items);
    double inertia = 0;
    for (size_t item = 0; item < sweep->items; item++) inertia += sweep->partial[item];
    return inertia;
}
