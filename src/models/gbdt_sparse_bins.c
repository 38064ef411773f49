/*
 * Bins of sparse rows for gradient boosting (issue 17): the edges of each
 * feature learned from the values its rows hold, and one byte per held
 * value. Nothing of size rows x features is ever made: the binned copy is
 * one code per entry beside the rows' own feature indices, so boosting on
 * sparse rows costs 13 bytes per entry (the rows' 12 and the code).
 *
 * A text-like column is mostly zeros: quantiles over every row would put
 * nearly every cut at 0 and leave one or two bins for the values that
 * tell documents apart. So, as XGBoost's sketch of sparse data does, the
 * cuts are taken over the nonzero values only, and the zeros (absent
 * entries) get a bin of their own, which the split search treats as
 * XGBoost treats absent entries: tried on each side of every cut.
 *
 * Edges are midpoints between consecutive distinct values, as the dense
 * bins' are; with few enough distinct values (0 counted) they are the
 * dense bins' edges exactly, so a split found on sparse rows can be
 * compared with one found on the same rows made dense.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt_bins.h"

/* Features per work item of the parallel edge search. */
#define SPARSE_BINS_FEATURES 64

typedef struct sparse_bins_job {
    size_t n_rows, n_features, cap;
    const size_t *start;     /* feature f's keys at keys + start[f] .. start[f + 1] */
    uint64_t *keys;          /* the nonzero values as keys, grouped by feature */
    uint64_t *scratch;       /* per worker: as many keys as the largest feature has */
    size_t scratch_size;     /* keys per worker */
    const size_t *held;      /* per feature: entries with a value other than 0 (NaN too) */
    double *edges;           /* feature f's edges at edges + edge_room[f] */
    const size_t *edge_room; /* n_features + 1 */
    uint16_t *n_values, *zero_code;
} sparse_bins_job;

/* Edges of one feature whose nonzero values are the m sorted keys, with a
 * bin of 0 alone when zero is true; returns their number (at most
 * cap - 1). */
static size_t sparse_bins_edges(const uint64_t *sorted, size_t m, size_t cap, bool zero,
                                double *edges) {
    if (!zero) return dial_gbdt_bins_edges(sorted, m, cap, edges);
    size_t distinct = m ? 1 : 0;
    for (size_t i = 1; i < m; i++) distinct += sorted[i] != sorted[i - 1];
    /* the first value above 0: the negatives sort before it */
    size_t positive = 0;
    while (positive < m && dial_gbdt_bins_value(sorted[positive]) < 0) positive++;
    if (distinct + 1 <= cap) {
        /* a bin per distinct value, 0 among them: the dense edges */
        size_t n_edges = 0;
        double previous = 0;
        bool have_previous = false;
        for (size_t i = 0; i <= m; i++) {
            if (i == positive) {
                if (have_previous) edges[n_edges++] = dial_gbdt_bins_between(previous, 0);
                previous = 0;
                have_previous = true;
            }
            if (i == m) break;
            if (i > 0 && sorted[i] == sorted[i - 1]) continue;
            double v = dial_gbdt_bins_value(sorted[i]);
            if (have_previous) edges[n_edges++] = dial_gbdt_bins_between(previous, v);
            previous = v;
            have_previous = true;
        }
        return n_edges;
    }
    size_t n_edges = dial_gbdt_bins_edges(sorted, m, cap - 2, edges);
    /* 0 alone in its bin: an edge just below it (above the largest
     * negative value) and one just above it (below the smallest positive
     * one), unless a cut already lies there */
    double extra[2];
    size_t n_extra = 0;
    if (positive > 0) {
        double below = dial_gbdt_bins_value(sorted[positive - 1]);
        bool cut = false;
        for (size_t e = 0; e < n_edges; e++) cut |= edges[e] >= below && edges[e] < 0;
        if (!cut) extra[n_extra++] = dial_gbdt_bins_between(below, 0);
    }
    if (positive < m) {
        double above = dial_gbdt_bins_value(sorted[positive]);
        bool cut = false;
        for (size_t e = 0; e < n_edges; e++) cut |= edges[e] >= 0 && edges[e] < above;
        if (!cut) extra[n_extra++] = dial_gbdt_bins_between(0, above);
    }
    for (size_t k = 0; k < n_extra; k++) {
        /* insertion into the ascending edges */
        size_t at = n_edges++;
        while (at > 0 && edges[at - 1] > extra[k]) {
            edges[at] = edges[at - 1];
            at--;
        }
        edges[at] = extra[k];
    }
    return n_edges;
}

static dial_status sparse_bins_features(void *arg, size_t begin, size_t end, int worker) {
    sparse_bins_job *job = arg;
    uint64_t *tmp = job->scratch + (size_t)worker * job->scratch_size;
    for (size_t block = begin; block < end; block++) {
        size_t f1 = (block + 1) * SPARSE_BINS_FEATURES;
        if (f1 > job->n_features) f1 = job->n_features;
        for (size_t f = block * SPARSE_BINS_FEATURES; f < f1; f++) {
            size_t m = job->start[f + 1] - job->start[f];
            uint64_t *column = job->keys + job->start[f];
            const uint64_t *sorted = m ? dial_gbdt_bins_sort(column, tmp, m) : column;
            bool zero = job->held[f] < job->n_rows;
            double *edges = job->edges + job->edge_room[f];
            size_t n_edges = sparse_bins_edges(sorted, m, job->cap, zero, edges);
            job->n_values[f] = (uint16_t)(n_edges + 1);
            job->zero_code[f] =
                zero ? (uint16_t)dial_gbdt_bins_find(edges, n_edges, 0) : DIAL_GBDT_NO_ZERO;
        }
    }
    return DIAL_OK;
}

dial_status dial_gbdt_bins_fit_sparse(dial_ctx *ctx, const dial_csr *rows, int max_bins,
                                      int threads, dial_gbdt_bins *bins) {
    memset(bins, 0, sizeof *bins);
    size_t n = rows->n_rows, d = rows->n_cols, cap = max_bins < 2 ? 2 : (size_t)max_bins;
    if (cap > DIAL_GBDT_MAX_VALUE_BINS) cap = DIAL_GBDT_MAX_VALUE_BINS;
    size_t dd = d ? d : 1;
    size_t *start = dial_calloc(ctx, dd + 1, sizeof *start);
    size_t *held = dial_calloc(ctx, dd, sizeof *held);
    size_t *edge_room = dial_malloc(ctx, (dd + 1) * sizeof *edge_room);
    uint64_t *keys = NULL, *scratch = NULL;
    double *edges = NULL;
    bins->n_features = d;
    bins->n_values = dial_malloc(ctx, dd * sizeof *bins->n_values);
    bins->zero_code = dial_malloc(ctx, dd * sizeof *bins->zero_code);
    bins->any_missing = dial_calloc(ctx, dd, sizeof *bins->any_missing);
    bins->slot = dial_malloc(ctx, (dd + 1) * sizeof *bins->slot);
    bins->edge_start = dial_malloc(ctx, (dd + 1) * sizeof *bins->edge_start);
    dial_status status = DIAL_OK;
    if (!start || !held || !edge_room || !bins->n_values || !bins->zero_code ||
        !bins->any_missing || !bins->slot || !bins->edge_start)
        goto nomem;
    /* Count each feature's nonzero values; the first infinite one (in row
     * order) is an error, as in dense rows. */
    for (size_t r = 0; r < n; r++)
        for (size_t e = rows->row_start[r]; e < rows->row_start[r + 1]; e++) {
            uint32_t f = rows->col[e];
            double v = rows->value[e];
            if (isinf(v)) {
                status =
                    dial_fail(ctx, DIAL_ERR_DATA, "gbdt: feature %u of row %zu is %g", f, r, v);
                goto done;
            }
            if (v == 0) continue;
            held[f]++;
            if (isnan(v))
                bins->any_missing[f] = true;
            else
                start[f + 1]++;
        }
    size_t largest = 0;
    for (size_t f = 0; f < d; f++) {
        if (start[f + 1] > largest) largest = start[f + 1];
        start[f + 1] += start[f];
    }
    /* Room for each feature's edges: fewer than its distinct values and
     * the zero's, and fewer than its bins. */
    edge_room[0] = 0;
    for (size_t f = 0; f < d; f++) {
        size_t room = start[f + 1] - start[f] + 1;
        edge_room[f + 1] = edge_room[f] + (room < cap - 1 ? room : cap - 1);
    }
    size_t n_keys = start[d];
    keys = dial_malloc(ctx, (n_keys ? n_keys : 1) * sizeof *keys);
    edges = dial_malloc(ctx, (edge_room[d] ? edge_room[d] : 1) * sizeof *edges);
    size_t n_blocks = (d + SPARSE_BINS_FEATURES - 1) / SPARSE_BINS_FEATURES;
    if ((size_t)threads > n_blocks) threads = n_blocks ? (int)n_blocks : 1;
    if (threads < 1 || n_keys < ((size_t)1 << 16)) threads = 1;
    scratch = dial_malloc(ctx, (size_t)threads * (largest ? largest : 1) * sizeof *scratch);
    if (!keys || !edges || !scratch) goto nomem;
    {
        size_t *fill = held; /* reused: each feature's next key */
        for (size_t f = 0; f < d; f++) fill[f] = start[f];
        for (size_t e = 0; e < rows->row_start[n]; e++) {
            double v = rows->value[e];
            if (v != 0 && !isnan(v)) keys[fill[rows->col[e]]++] = dial_gbdt_bins_key(v);
        }
        /* back to counts of held values: keys, and NaN entries */
        for (size_t f = 0; f < d; f++) held[f] = 0;
        for (size_t e = 0; e < rows->row_start[n]; e++) held[rows->col[e]] += rows->value[e] != 0;
    }
    sparse_bins_job job = {.n_rows = n,
                           .n_features = d,
                           .cap = cap,
                           .start = start,
                           .keys = keys,
                           .scratch = scratch,
                           .scratch_size = largest ? largest : 1,
                           .held = held,
                           .edges = edges,
                           .edge_room = edge_room,
                           .n_values = bins->n_values,
                           .zero_code = bins->zero_code};
    status = dial_parallel_for(ctx, threads, n_blocks, sparse_bins_features, &job);
    if (status != DIAL_OK) goto done;
    size_t slots = 0, n_edges = 0;
    for (size_t f = 0; f < d; f++) {
        bins->slot[f] = slots;
        bins->edge_start[f] = n_edges;
        slots += (size_t)bins->n_values[f] + 1;
        n_edges += (size_t)bins->n_values[f] - 1;
    }
    bins->slot[d] = slots;
    bins->edge_start[d] = n_edges;
    bins->edges = dial_malloc(ctx, (n_edges ? n_edges : 1) * sizeof *bins->edges);
    if (!bins->edges) goto nomem;
    for (size_t f = 0; f < d; f++)
        memcpy(bins->edges + bins->edge_start[f], edges + edge_room[f],
               ((size_t)bins->n_values[f] - 1) * sizeof *bins->edges);
    goto done;
nomem:
    status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory binning %zu sparse rows", n);
done:
    free(start);
    free(held);
    free(edge_room);
    free(keys);
    free(scratch);
    free(edges);
    if (status != DIAL_OK) dial_gbdt_bins_free(bins);
    return status;
}

/* ---- coding ------------------------------------------------------------------ */

#define SPARSE_CODE_ROWS 1024

typedef struct sparse_code_job {
    const dial_gbdt_bins *bins;
    const dial_csr *rows;
    uint8_t *codes;
} sparse_code_job;

static dial_status sparse_code_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const sparse_code_job *job = arg;
    const dial_gbdt_bins *bins = job->bins;
    const dial_csr *a = job->rows;
    size_t r0 = begin * SPARSE_CODE_ROWS, r1 = end * SPARSE_CODE_ROWS;
    if (r1 > a->n_rows) r1 = a->n_rows;
    for (size_t e = a->row_start[r0]; e < a->row_start[r1]; e++) {
        uint32_t f = a->col[e];
        double v = a->value[e];
        unsigned code;
        if (isnan(v))
            code = bins->n_values[f];
        else if (v == 0 && bins->zero_code[f] != DIAL_GBDT_NO_ZERO)
            code = bins->zero_code[f];
        else
            code = dial_gbdt_bins_find(bins->edges + bins->edge_start[f],
                                       (size_t)bins->n_values[f] - 1, v);
        job->codes[e] = (uint8_t)code;
    }
    return DIAL_OK;
}

dial_status dial_gbdt_bins_code_sparse(dial_ctx *ctx, const dial_gbdt_bins *bins,
                                       const dial_csr *rows, int threads, uint8_t **codes) {
    size_t nnz = rows->row_start[rows->n_rows];
    *codes = dial_malloc(ctx, nnz + DIAL_GBDT_CODES_PAD);
    if (!*codes)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory coding %zu sparse values", nnz);
    memset(*codes + nnz, 0, DIAL_GBDT_CODES_PAD);
    sparse_code_job job = {bins, rows, *codes};
    size_t n_blocks = (rows->n_rows + SPARSE_CODE_ROWS - 1) / SPARSE_CODE_ROWS;
    if (nnz < ((size_t)1 << 16)) threads = 1;
    dial_status status = dial_parallel_for(ctx, threads, n_blocks, sparse_code_rows, &job);
    if (status != DIAL_OK) {
        free(*codes);
        *codes = NULL;
    }
    return status;
}
