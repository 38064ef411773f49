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

/* Most features per work item of the parallel edge search. */
#define SPARSE_BINS_FEATURES 64
/* Values gathered at a time (8 bytes each: 2 MiB): the features are taken
 * in ranges of at most this many values (or one feature, when it alone
 * has more), whose values are gathered, sorted and cut before the next
 * range's. Gathering every value at once took 8 bytes an entry beside the
 * rows' 12: on a text file, the fit's peak. */
#define SPARSE_BINS_KEYS ((size_t)1 << 18)

dial_status dial_gbdt_bins_fit_sparse(dial_ctx *ctx, const dial_csr *rows, int max_bins,
                                      int threads, dial_gbdt_bins *bins) {
    return dial_gbdt_bins_fit_sparse_ranges(ctx, rows, max_bins, SPARSE_BINS_KEYS, threads, bins);
}

typedef struct sparse_bins_job {
    size_t n_rows, cap;
    size_t first, per_item;  /* the range's first feature; features per work item */
    size_t last;             /* one past the range's last feature */
    const size_t *start;     /* feature f's keys at keys + start[f] - start[first] .. */
    uint64_t *keys;          /* the range's nonzero values as keys, grouped by feature */
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
    size_t f0 = job->first + begin * job->per_item, f1 = job->first + end * job->per_item;
    if (f1 > job->last) f1 = job->last;
    for (size_t f = f0; f < f1; f++) {
        size_t m = job->start[f + 1] - job->start[f];
        uint64_t *column = job->keys + (job->start[f] - job->start[job->first]);
        const uint64_t *sorted = m ? dial_gbdt_bins_sort(column, tmp, m) : column;
        bool zero = job->held[f] < job->n_rows;
        double *edges = job->edges + job->edge_room[f];
        size_t n_edges = sparse_bins_edges(sorted, m, job->cap, zero, edges);
        job->n_values[f] = (uint16_t)(n_edges + 1);
        job->zero_code[f] =
            zero ? (uint16_t)dial_gbdt_bins_find(edges, n_edges, 0) : DIAL_GBDT_NO_ZERO;
    }
    return DIAL_OK;
}

/* The edges of features job->first .. job->last - 1: their values
 * gathered into job->keys, row by row from each row's cursor (the rows'
 * features ascend, so a row's entries of the range follow those of the
 * ranges before), then sorted and cut on up to threads threads. */
static dial_status sparse_bins_range(dial_ctx *ctx, const dial_csr *rows, size_t *cursor,
                                     size_t *fill, int threads, sparse_bins_job *job) {
    size_t first = job->first, last = job->last, base = job->start[first];
    for (size_t f = first; f < last; f++) fill[f] = job->start[f] - base;
    for (size_t r = 0; r < rows->n_rows; r++) {
        size_t e = cursor[r], stop = rows->row_start[r + 1];
        for (; e < stop && rows->col[e] < last; e++) {
            double v = rows->value[e];
            if (v != 0 && !isnan(v)) job->keys[fill[rows->col[e]]++] = dial_gbdt_bins_key(v);
        }
        cursor[r] = e;
    }
    size_t n_keys = job->start[last] - base, n_features = last - first;
    if (threads < 1 || n_keys < ((size_t)1 << 16)) threads = 1;
    /* a range of a few common features still spreads over the threads */
    job->per_item = n_features / (4 * (size_t)threads);
    if (job->per_item > SPARSE_BINS_FEATURES) job->per_item = SPARSE_BINS_FEATURES;
    if (job->per_item < 1) job->per_item = 1;
    size_t n_items = (n_features + job->per_item - 1) / job->per_item;
    return dial_parallel_for(ctx, threads, n_items, sparse_bins_features, job);
}

dial_status dial_gbdt_bins_fit_sparse_ranges(dial_ctx *ctx, const dial_csr *rows, int max_bins,
                                             size_t most_values, int threads,
                                             dial_gbdt_bins *bins) {
    memset(bins, 0, sizeof *bins);
    size_t n = rows->n_rows, d = rows->n_cols, cap = max_bins < 2 ? 2 : (size_t)max_bins;
    if (cap > DIAL_GBDT_MAX_VALUE_BINS) cap = DIAL_GBDT_MAX_VALUE_BINS;
    size_t dd = d ? d : 1;
    size_t *start = dial_calloc(ctx, dd + 1, sizeof *start);
    size_t *held = dial_calloc(ctx, dd, sizeof *held);
    size_t *fill = dial_malloc(ctx, dd * sizeof *fill);
    size_t *edge_room = dial_malloc(ctx, (dd + 1) * sizeof *edge_room);
    size_t *cursor = dial_malloc(ctx, (n ? n : 1) * sizeof *cursor);
    uint64_t *keys = NULL, *scratch = NULL;
    double *edges = NULL;
    bins->n_features = d;
    bins->n_values = dial_malloc(ctx, dd * sizeof *bins->n_values);
    bins->zero_code = dial_malloc(ctx, dd * sizeof *bins->zero_code);
    bins->any_missing = dial_calloc(ctx, dd, sizeof *bins->any_missing);
    bins->slot = dial_malloc(ctx, (dd + 1) * sizeof *bins->slot);
    bins->edge_start = dial_malloc(ctx, (dd + 1) * sizeof *bins->edge_start);
    dial_status status = DIAL_OK;
    if (!start || !held || !fill || !edge_room || !cursor || !bins->n_values || !bins->zero_code ||
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
    size_t key_room = largest > most_values ? largest : most_values;
    if (key_room > start[d]) key_room = start[d];
    keys = dial_malloc(ctx, (key_room ? key_room : 1) * sizeof *keys);
    edges = dial_malloc(ctx, (edge_room[d] ? edge_room[d] : 1) * sizeof *edges);
    /* threads for features of some keys only; a worker's scratch holds the
     * largest feature's */
    size_t n_blocks = (d + SPARSE_BINS_FEATURES - 1) / SPARSE_BINS_FEATURES;
    if ((size_t)threads > n_blocks) threads = n_blocks ? (int)n_blocks : 1;
    if (threads < 1 || start[d] < ((size_t)1 << 16)) threads = 1;
    scratch = dial_malloc(ctx, (size_t)threads * (largest ? largest : 1) * sizeof *scratch);
    if (!keys || !edges || !scratch) goto nomem;
    for (size_t r = 0; r < n; r++) cursor[r] = rows->row_start[r];
    sparse_bins_job job = {.n_rows = n,
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
    for (size_t f = 0; f < d;) {
        size_t last = f + 1;
        while (last < d && start[last + 1] - start[f] <= key_room) last++;
        job.first = f;
        job.last = last;
        status = sparse_bins_range(ctx, rows, cursor, fill, threads, &job);
        if (status != DIAL_OK) goto done;
        f = last;
    }
    /* Each feature's edges move down to their place among the others'
     * (never past their room's start, so in order nothing is overwritten
     * before it is moved), and the array shrinks to them. */
    size_t slots = 0, n_edges = 0;
    for (size_t f = 0; f < d; f++) {
        bins->slot[f] = slots;
        bins->edge_start[f] = n_edges;
        memmove(edges + n_edges, edges + edge_room[f],
                ((size_t)bins->n_values[f] - 1) * sizeof *edges);
        slots += (size_t)bins->n_values[f] + 1;
        n_edges += (size_t)bins->n_values[f] - 1;
    }
    bins->slot[d] = slots;
    bins->edge_start[d] = n_edges;
    double *shrunk = dial_realloc(ctx, edges, (n_edges ? n_edges : 1) * sizeof *edges);
    bins->edges = shrunk ? shrunk : edges; /* a block that does not shrink still holds them */
    edges = NULL;
    goto done;
nomem:
    status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory binning %zu sparse rows", n);
done:
    free(start);
    free(held);
    free(fill);
    free(edge_room);
    free(cursor);
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
