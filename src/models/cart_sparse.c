/*
 * CART's training data from sparse rows (issue 17): the bins
 * dial_cart_data_prepare gives the same rows made dense, with a 16-bit
 * code per entry of the rows instead of one per row and feature, so a
 * tree or forest on a wide text-like file costs 2 bytes per entry beside
 * the rows, not 2 bytes per cell.
 *
 * A feature's values are its entries' plus, when some row has no entry
 * (or a 0), a run of zeros as long as those rows. The runs are cut into
 * bins as cart_data.c cuts the sorted values (a bin per distinct value
 * while they fit in 16 bits, else runs of about n / 65535 rows), so the
 * codes, and the trees grown on them, are those of the dense rows. The
 * zeros' bin is kept per feature (zero_code); rows are searched for their
 * entry when a node reads a code (dial_cart_code).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart_internal.h"

/* A nonzero value and the entry that holds it. */
typedef struct sparse_entry {
    double value;
    size_t entry;
} sparse_entry;

static int sparse_entry_compare(const void *a, const void *b) {
    const sparse_entry *p = a, *q = b;
    if (p->value < q->value) return -1;
    if (p->value > q->value) return 1;
    return (p->entry > q->entry) - (p->entry < q->entry);
}

/* The running state of cutting one feature's sorted values into bins. */
typedef struct sparse_cut {
    dial_cart_data *data;
    size_t first_bin, bin, in_bin, per_bin;
    bool started;
    double previous;
} sparse_cut;

/* Adds a run of count equal values: a new bin opens before it when the
 * current one is full (as cart_bin_feature, a value never straddles two
 * bins). Returns the run's code. */
static uint16_t sparse_cut_run(sparse_cut *c, double value, size_t count) {
    dial_cart_data *data = c->data;
    if (!c->started) {
        data->bin_low[c->bin] = value;
        c->started = true;
    } else if (value != c->previous && c->in_bin >= c->per_bin) {
        c->bin++;
        c->in_bin = 0;
        data->bin_low[c->bin] = value;
    }
    data->bin_high[c->bin] = value;
    c->in_bin += count;
    c->previous = value;
    return (uint16_t)(c->bin - c->first_bin);
}

/* Bins feature f from its sorted nonzero entries (m of them) and its
 * zeros (zeros rows), coding the entries. */
static dial_status sparse_bin_feature(const dial_ctx *ctx, dial_cart_data *data, size_t f,
                                      const sparse_entry *sorted, size_t m, size_t zeros,
                                      size_t *bins_used, size_t *bins_capacity) {
    size_t distinct = zeros > 0;
    for (size_t i = 0; i < m; i++) distinct += i == 0 || sorted[i].value != sorted[i - 1].value;
    size_t n = data->n_rows;
    size_t need = *bins_used + (distinct < CART_MAX_BINS ? distinct : CART_MAX_BINS);
    dial_status grown = dial_cart_reserve_bins(ctx, data, need, bins_capacity);
    if (grown != DIAL_OK) return grown;
    sparse_cut cut = {.data = data,
                      .first_bin = *bins_used,
                      .bin = *bins_used,
                      .per_bin = distinct <= CART_MAX_BINS ? 1 : n / (CART_MAX_BINS - 1) + 1};
    data->zero_code[f] = 0;
    bool zeros_done = zeros == 0;
    for (size_t i = 0; i < m;) {
        if (!zeros_done && sorted[i].value > 0) {
            data->zero_code[f] = sparse_cut_run(&cut, 0, zeros);
            zeros_done = true;
        }
        size_t j = i + 1;
        while (j < m && sorted[j].value == sorted[i].value) j++;
        uint16_t code = sparse_cut_run(&cut, sorted[i].value, j - i);
        for (size_t k = i; k < j; k++) data->entry_codes[sorted[k].entry] = code;
        i = j;
    }
    if (!zeros_done) data->zero_code[f] = sparse_cut_run(&cut, 0, zeros);
    *bins_used = cut.bin + 1;
    data->bin_start[f + 1] = *bins_used;
    return DIAL_OK;
}

dial_status dial_cart_data_prepare_sparse(dial_ctx *ctx, const char *family,
                                          const dial_fit_input *in, dial_cart_data *out) {
    *out = (dial_cart_data){0};
    dial_status status = dial_cart_check_input(ctx, family, in);
    if (status != DIAL_OK) return status;
    const dial_csr *a = in->sparse;
    size_t n = in->n_rows, d = in->n_features;
    if (a->n_rows != n || a->n_cols != d)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s: sparse rows are %zu x %zu; the input says %zu x %zu", family,
                         a->n_rows, a->n_cols, n, d);
    size_t nnz = a->row_start[n];
    for (size_t i = 0; i < n; i++)
        for (size_t e = a->row_start[i]; e < a->row_start[i + 1]; e++)
            if (!isfinite(a->value[e]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "%s: feature %u of row %zu is %g; impute missing values first",
                                 family, a->col[e], i, a->value[e]);
    out->n_rows = n;
    out->n_inputs = d;
    out->n_features = d;
    out->n_classes = in->task == DIAL_TASK_CLASSIFICATION ? in->n_classes : 0;
    out->y = in->y;
    out->sparse = a;
    size_t dd = d ? d : 1;
    out->column = dial_malloc(ctx, dd * sizeof *out->column);
    out->block = dial_malloc(ctx, dd * sizeof *out->block);
    out->bin_start = dial_calloc(ctx, dd + 1, sizeof *out->bin_start);
    out->zero_code = dial_malloc(ctx, dd * sizeof *out->zero_code);
    out->entry_codes = dial_malloc(ctx, (nnz ? nnz : 1) * sizeof *out->entry_codes);
    if (out->n_classes) out->label = dial_malloc(ctx, n * sizeof *out->label);
    /* the nonzero entries grouped by feature: start[f] .. start[f + 1] */
    size_t *start = dial_calloc(ctx, dd + 1, sizeof *start);
    size_t *fill = dial_malloc(ctx, dd * sizeof *fill);
    sparse_entry *entries = NULL;
    if (out->column && out->block && out->bin_start && out->zero_code && out->entry_codes &&
        (!out->n_classes || out->label) && start && fill) {
        for (size_t e = 0; e < nnz; e++) start[a->col[e] + 1] += a->value[e] != 0;
        for (size_t f = 0; f < d; f++) start[f + 1] += start[f];
        entries = dial_malloc(ctx, (start[d] ? start[d] : 1) * sizeof *entries);
    }
    if (!entries) {
        status = DIAL_ERR_NOMEM;
        goto done;
    }
    for (size_t f = 0; f < d; f++) {
        out->column[f] = f;
        out->block[f] = -1;
        fill[f] = start[f];
    }
    for (size_t i = 0; out->label && i < n; i++) out->label[i] = (uint32_t)in->y[i];
    for (size_t e = 0; e < nnz; e++)
        if (a->value[e] != 0) entries[fill[a->col[e]]++] = (sparse_entry){a->value[e], e};
    size_t used = 0, capacity = 0;
    for (size_t f = 0; f < d && status == DIAL_OK; f++) {
        size_t m = start[f + 1] - start[f];
        qsort(entries + start[f], m, sizeof *entries, sparse_entry_compare);
        status = sparse_bin_feature(ctx, out, f, entries + start[f], m, n - m, &used, &capacity);
    }
    /* an explicit 0 codes as the zeros it stands among */
    for (size_t e = 0; status == DIAL_OK && e < nnz; e++)
        if (a->value[e] == 0) out->entry_codes[e] = out->zero_code[a->col[e]];
done:
    free(start);
    free(fill);
    free(entries);
    if (status != DIAL_OK) {
        dial_cart_data_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory binning %zu sparse rows of %zu",
                         family, n, d);
    }
    return DIAL_OK;
}

/* ---- a node's codes ---------------------------------------------------------------- */

void dial_cart_sparse_stamp(dial_cart_workspace *ws, const dial_cart_data *data, size_t start,
                            size_t n) {
    if (++ws->node_stamp == 0) { /* wrapped: no stale stamp may match */
        memset(ws->feature_stamp, 0, ws->n_features * sizeof *ws->feature_stamp);
        ws->node_stamp = 1;
    }
    uint32_t stamp = ws->node_stamp, *count = ws->feature_count, *present = ws->node_features;
    const uint32_t *samples = ws->samples + start;
    const dial_csr *a = data->sparse;
    /* the features the node's rows hold, and how many entries each: the
     * others are 0 throughout, constant, known so at no cost (most of a
     * wide vocabulary, deep in a tree) */
    size_t n_present = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t e = a->row_start[samples[k]]; e < a->row_start[samples[k] + 1]; e++) {
            if (a->value[e] == 0) continue;
            uint32_t f = a->col[e];
            if (ws->feature_stamp[f] != stamp) {
                ws->feature_stamp[f] = stamp;
                count[f] = 0;
                present[n_present++] = f;
            }
            count[f]++;
        }
    size_t at = 0;
    for (size_t p = 0; p < n_present; p++) {
        ws->feature_first[present[p]] = at;
        at += count[present[p]];
        count[present[p]] = 0;
    }
    /* the entries by feature, each with its row's place in the node */
    for (size_t k = 0; k < n; k++)
        for (size_t e = a->row_start[samples[k]]; e < a->row_start[samples[k] + 1]; e++) {
            if (a->value[e] == 0) continue;
            uint32_t f = a->col[e];
            size_t j = ws->feature_first[f] + count[f]++;
            ws->entry_place[j] = (uint32_t)k;
            ws->entry_code[j] = data->entry_codes[e];
        }
}

bool dial_cart_sparse_gather(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                             size_t n, uint16_t *codes) {
    if (ws->feature_stamp[f] != ws->node_stamp) return false;
    uint16_t zero = data->zero_code[f];
    for (size_t k = 0; k < n; k++) codes[k] = zero;
    size_t first = ws->feature_first[f], end = first + ws->feature_count[f];
    for (size_t j = first; j < end; j++) codes[ws->entry_place[j]] = ws->entry_code[j];
    return true;
}
