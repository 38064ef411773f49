/*
 * Quantile bins of the features for gradient boosting: edges learned once
 * from the training values, then one byte per value.
 *
 * The values of a feature are sorted by a radix sort on their bits (the
 * sort dominates binning, and comparison sorts of a wide dataset take
 * seconds), then cut: when a feature has at most max_bins distinct values,
 * each has a bin of its own; otherwise a cut is placed after the run of
 * equal values that reaches each k/max_bins share of the rows, so bins hold
 * about equal numbers of rows and a value never straddles two bins.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt_bins.h"

/* ---- sorting doubles by their bits --------------------------------------- */

/* A key whose unsigned order is the order of the (non-NaN) doubles. */
uint64_t dial_gbdt_bins_key(double v) {
    uint64_t bits;
    if (v == 0) v = 0; /* -0 sorts with +0 */
    memcpy(&bits, &v, sizeof bits);
    return (bits >> 63) ? ~bits : bits | ((uint64_t)1 << 63);
}

double dial_gbdt_bins_value(uint64_t key) {
    uint64_t bits = (key >> 63) ? key & ~((uint64_t)1 << 63) : ~key;
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Sorts keys (n entries, tmp as large) by bytes, least significant first;
 * a byte that every key shares costs one counting pass and no move.
 * Returns the array that holds the sorted keys (keys or tmp). */
uint64_t *dial_gbdt_bins_sort(uint64_t *keys, uint64_t *tmp, size_t n) {
    size_t count[256];
    for (int shift = 0; shift < 64; shift += 8) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(keys[i] >> shift) & 0xff]++;
        if (count[(keys[0] >> shift) & 0xff] == n) continue;
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            count[b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) tmp[count[(keys[i] >> shift) & 0xff]++] = keys[i];
        uint64_t *swap = keys;
        keys = tmp;
        tmp = swap;
    }
    return keys;
}

/* ---- edges ------------------------------------------------------------------ */

/* A point between a < b that "<= point" separates: their midpoint, or a
 * when the midpoint rounds onto b (adjacent doubles). Halves are added,
 * never the difference taken, so huge values do not overflow. */
double dial_gbdt_bins_between(double a, double b) {
    double mid = a * 0.5 + b * 0.5;
    return (mid >= a && mid < b) ? mid : a;
}

/* Edges of one feature from its sorted keys; returns their number (at most
 * max_bins - 1). */
size_t dial_gbdt_bins_edges(const uint64_t *sorted, size_t m, size_t max_bins, double *edges) {
    if (m == 0) return 0;
    size_t distinct = 1;
    for (size_t i = 1; i < m; i++) distinct += sorted[i] != sorted[i - 1];
    size_t n_edges = 0;
    if (distinct <= max_bins) {
        for (size_t i = 1; i < m; i++)
            if (sorted[i] != sorted[i - 1])
                edges[n_edges++] = dial_gbdt_bins_between(dial_gbdt_bins_value(sorted[i - 1]),
                                                          dial_gbdt_bins_value(sorted[i]));
        return n_edges;
    }
    /* Cut after the run of equal values in which the k-th target share is
     * reached; a run that passes several targets takes them all at once. */
    size_t k = 1;
    for (size_t i = 0; i < m && k < max_bins;) {
        size_t j = i + 1;
        while (j < m && sorted[j] == sorted[i]) j++;
        if (j < m && (double)j >= (double)m * (double)k / (double)max_bins) {
            edges[n_edges++] = dial_gbdt_bins_between(dial_gbdt_bins_value(sorted[j - 1]),
                                                      dial_gbdt_bins_value(sorted[j]));
            while (k < max_bins && (double)m * (double)k / (double)max_bins <= (double)j) k++;
        }
        i = j;
    }
    return n_edges;
}

/* ---- fitting --------------------------------------------------------------- */

/* Features whose values are gathered in one pass over the rows: a row's
 * values of 8 features share a cache line of the row-major matrix, where
 * one feature at a time would read a line per value. */
#define BINS_FEATURE_BLOCK 8

typedef struct bins_job {
    const double *x;
    size_t n_rows, n_features, max_bins;
    uint64_t *scratch;     /* threads x (BINS_FEATURE_BLOCK + 1) n_rows keys */
    double *feature_edges; /* n_features x (max_bins - 1) */
    uint16_t *n_values;
    bool *any_missing;
    size_t *first_infinite; /* per feature: first row with an infinite value, or SIZE_MAX */
    const uint16_t *levels; /* per feature: levels of a categorical one, 0; NULL: none */
    size_t edges_stride;    /* room for each feature's edges in feature_edges */
} bins_job;

static dial_status bins_fit_features(void *arg, size_t begin, size_t end, int worker) {
    bins_job *job = arg;
    size_t n = job->n_rows, d = job->n_features;
    uint64_t *keys = job->scratch + (size_t)worker * (BINS_FEATURE_BLOCK + 1) * n;
    uint64_t *tmp = keys + BINS_FEATURE_BLOCK * n;
    for (size_t block = begin; block < end; block++) {
        size_t f0 = block * BINS_FEATURE_BLOCK;
        size_t width = d - f0 < BINS_FEATURE_BLOCK ? d - f0 : BINS_FEATURE_BLOCK;
        size_t m[BINS_FEATURE_BLOCK] = {0};
        for (size_t j = 0; j < width; j++) {
            job->first_infinite[f0 + j] = SIZE_MAX;
            job->any_missing[f0 + j] = false;
        }
        for (size_t i = 0; i < n; i++) {
            const double *row = job->x + i * d + f0;
            for (size_t j = 0; j < width; j++) {
                double v = row[j];
                if (isnan(v)) {
                    job->any_missing[f0 + j] = true;
                    continue;
                }
                if (isinf(v) && job->first_infinite[f0 + j] == SIZE_MAX)
                    job->first_infinite[f0 + j] = i;
                keys[j * n + m[j]++] = dial_gbdt_bins_key(v);
            }
        }
        for (size_t j = 0; j < width; j++) {
            double *edges = job->feature_edges + (f0 + j) * job->edges_stride;
            size_t levels = job->levels ? job->levels[f0 + j] : 0;
            if (levels) {
                /* a category's code is its level: a bin per level, present
                 * in these rows or not, so a bin is a level everywhere */
                for (size_t l = 0; l + 1 < levels; l++) edges[l] = (double)l + 0.5;
                job->n_values[f0 + j] = (uint16_t)levels;
                continue;
            }
            uint64_t *column = keys + j * n;
            const uint64_t *sorted = m[j] ? dial_gbdt_bins_sort(column, tmp, m[j]) : column;
            job->n_values[f0 + j] =
                (uint16_t)(dial_gbdt_bins_edges(sorted, m[j], job->max_bins, edges) + 1);
        }
    }
    return DIAL_OK;
}

void dial_gbdt_bins_free(dial_gbdt_bins *bins) {
    free(bins->n_values);
    free(bins->slot);
    free(bins->edge_start);
    free(bins->edges);
    free(bins->any_missing);
    free(bins->levels);
    free(bins->zero_code);
    memset(bins, 0, sizeof *bins);
}

dial_status dial_gbdt_bins_fit_levels(dial_ctx *ctx, const double *x, size_t n_rows,
                                      size_t n_features, int max_bins, const uint16_t *levels,
                                      int threads, dial_gbdt_bins *bins) {
    memset(bins, 0, sizeof *bins);
    size_t cap = max_bins < 2 ? 2 : (size_t)max_bins;
    if (cap > DIAL_GBDT_MAX_VALUE_BINS) cap = DIAL_GBDT_MAX_VALUE_BINS;
    size_t d = n_features ? n_features : 1, stride = cap - 1;
    for (size_t f = 0; levels && f < n_features; f++)
        if (levels[f] > stride + 1) stride = levels[f] - 1u;
    size_t n_blocks = (n_features + BINS_FEATURE_BLOCK - 1) / BINS_FEATURE_BLOCK;
    if ((size_t)threads > n_blocks) threads = n_blocks ? (int)n_blocks : 1;
    if (threads < 1) threads = 1;
    bins_job job = {.x = x,
                    .n_rows = n_rows,
                    .n_features = n_features,
                    .max_bins = cap,
                    .levels = levels,
                    .edges_stride = stride};
    job.scratch = dial_malloc(ctx, (size_t)threads * (BINS_FEATURE_BLOCK + 1) *
                                       (n_rows ? n_rows : 1) * sizeof *job.scratch);
    job.feature_edges = dial_malloc(ctx, d * (stride ? stride : 1) * sizeof *job.feature_edges);
    job.first_infinite = dial_malloc(ctx, d * sizeof *job.first_infinite);
    bins->n_features = n_features;
    bins->n_values = dial_malloc(ctx, d * sizeof *bins->n_values);
    bins->any_missing = dial_malloc(ctx, d * sizeof *bins->any_missing);
    bins->slot = dial_malloc(ctx, (d + 1) * sizeof *bins->slot);
    bins->edge_start = dial_malloc(ctx, (d + 1) * sizeof *bins->edge_start);
    if (levels && (bins->levels = dial_malloc(ctx, d * sizeof *bins->levels)))
        memcpy(bins->levels, levels, n_features * sizeof *levels);
    dial_status status = DIAL_OK;
    if (!job.scratch || !job.feature_edges || !job.first_infinite || !bins->n_values ||
        !bins->any_missing || !bins->slot || !bins->edge_start || (levels && !bins->levels)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory binning %zu x %zu values",
                           n_rows, n_features);
        goto done;
    }
    job.n_values = bins->n_values;
    job.any_missing = bins->any_missing;
    status = dial_parallel_for(ctx, threads, n_blocks, bins_fit_features, &job);
    if (status != DIAL_OK) goto done;
    /* The first infinite value in row order, whatever the thread count. */
    size_t bad_row = SIZE_MAX, bad_feature = 0;
    for (size_t f = 0; f < n_features; f++)
        if (job.first_infinite[f] < bad_row) bad_row = job.first_infinite[f], bad_feature = f;
    if (bad_row != SIZE_MAX) {
        status = dial_fail(ctx, DIAL_ERR_DATA, "gbdt: feature %zu of row %zu is %g", bad_feature,
                           bad_row, x[bad_row * n_features + bad_feature]);
        goto done;
    }
    size_t slots = 0, n_edges = 0;
    for (size_t f = 0; f < n_features; f++) {
        bins->slot[f] = slots;
        bins->edge_start[f] = n_edges;
        slots += (size_t)bins->n_values[f] + 1;
        n_edges += (size_t)bins->n_values[f] - 1;
    }
    bins->slot[n_features] = slots;
    bins->edge_start[n_features] = n_edges;
    bins->edges = dial_malloc(ctx, (n_edges ? n_edges : 1) * sizeof *bins->edges);
    if (!bins->edges) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory for %zu bin edges", n_edges);
        goto done;
    }
    for (size_t f = 0; f < n_features; f++)
        memcpy(bins->edges + bins->edge_start[f], job.feature_edges + f * stride,
               ((size_t)bins->n_values[f] - 1) * sizeof *bins->edges);
done:
    free(job.scratch);
    free(job.feature_edges);
    free(job.first_infinite);
    if (status != DIAL_OK) dial_gbdt_bins_free(bins);
    return status;
}

/* ---- coding ------------------------------------------------------------------ */

/* Rows coded together: their values of one feature, a stride apart in the
 * row-major matrix, stay in cache from one feature to the next. */
#define BINS_CODE_ROWS 64

typedef struct code_job {
    const dial_gbdt_bins *bins;
    const double *x;
    size_t n_rows;
    uint8_t *codes;
} code_job;

static dial_status bins_code_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const code_job *job = arg;
    const dial_gbdt_bins *bins = job->bins;
    size_t d = bins->n_features, n = job->n_rows;
    for (size_t block = begin; block < end; block++) {
        size_t i0 = block * BINS_CODE_ROWS;
        size_t i1 = n - i0 < BINS_CODE_ROWS ? n : i0 + BINS_CODE_ROWS;
        for (size_t f = 0; f < d; f++) {
            const double *edges = bins->edges + bins->edge_start[f];
            size_t n_edges = (size_t)bins->n_values[f] - 1;
            unsigned missing = bins->n_values[f];
            uint8_t *out = job->codes + f * n;
            for (size_t i = i0; i < i1; i++) {
                double v = job->x[i * d + f];
                out[i] = (uint8_t)(isnan(v) ? missing : dial_gbdt_bins_find(edges, n_edges, v));
            }
        }
    }
    return DIAL_OK;
}

dial_status dial_gbdt_bins_code(dial_ctx *ctx, const dial_gbdt_bins *bins, const double *x,
                                size_t n_rows, int threads, uint8_t **codes) {
    size_t d = bins->n_features;
    *codes = dial_malloc(ctx, n_rows * d + DIAL_GBDT_CODES_PAD);
    if (!*codes)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory coding %zu x %zu values", n_rows,
                         d);
    memset(*codes + n_rows * d, 0, DIAL_GBDT_CODES_PAD);
    code_job job = {bins, x, n_rows, *codes};
    if (n_rows * d < ((size_t)1 << 16)) threads = 1;
    size_t n_blocks = (n_rows + BINS_CODE_ROWS - 1) / BINS_CODE_ROWS;
    dial_status status = dial_parallel_for(ctx, threads, n_blocks, bins_code_rows, &job);
    if (status != DIAL_OK) {
        free(*codes);
        *codes = NULL;
    }
    return status;
}

double dial_gbdt_bins_threshold(const dial_gbdt_bins *bins, size_t f, unsigned bin) {
    if (bin + 1 >= bins->n_values[f]) return INFINITY;
    return bins->edges[bins->edge_start[f] + bin];
}
