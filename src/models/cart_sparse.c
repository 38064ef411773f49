/*
 * CART on sparse rows (issue 17): the training data and a node's entries.
 *
 * The data: the bins dial_cart_data_prepare gives the same rows made
 * dense, with a 16-bit code per entry instead of one per row and feature,
 * so a tree or forest on a wide text-like file costs bytes per entry beside
 * the rows, not per cell. A feature's values are its entries' plus, when
 * some row has no entry (or a 0), a run of zeros as long as those rows.
 * The runs are cut into bins as cart_data.c cuts the sorted values (a bin
 * per distinct value while they fit in 16 bits, else runs of about
 * n / 65535 rows), so the codes, and the trees grown on them, are those of
 * the dense rows. The zeros' bin is kept per feature (zero_code). The
 * nonzero entries are kept twice: a code beside each entry of the rows
 * (entry_codes), and by feature (col_start, col_row, col_code: 6 bytes an
 * entry), which is what makes a node's search cheap.
 *
 * A node's entries of a feature (what split finding reads; the rows
 * without one hold the zero bin) are found one of two ways, as
 * scikit-learn's sparse splitter chooses between a search and an index
 * map: scanning the feature's column, each row tested for membership in
 * the node through its index in the tree's samples (ws->where), at the
 * column's length; or, once those scans have cost as much as the node's
 * entries, listing all the node's entries by feature in one pass over its
 * rows (the stamp), after which each feature costs its entries in the node
 * (small nodes, where the columns are long beside the node). Paying the
 * stamp only after the scans have cost as much keeps the total within
 * twice the cheaper of the two.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart_internal.h"

/* A nonzero value and its place among its feature's entries (col_row). */
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

/* The running state of cutting one feature's sorted values into bins:
 * only the codes, the bins' bounds are read back from the entries once
 * every feature is cut and their count is known (sparse_bin_bounds). */
typedef struct sparse_cut {
    size_t bin, in_bin, per_bin;
    bool started;
    double previous;
} sparse_cut;

/* Adds a run of count equal values: a new bin opens before it when the
 * current one is full (as cart_bin_feature, a value never straddles two
 * bins). Returns the run's code. */
static uint16_t sparse_cut_run(sparse_cut *c, double value, size_t count) {
    if (!c->started) {
        c->started = true;
    } else if (value != c->previous && c->in_bin >= c->per_bin) {
        c->bin++;
        c->in_bin = 0;
    }
    c->in_bin += count;
    c->previous = value;
    return (uint16_t)c->bin;
}

/* Codes feature f from its sorted nonzero entries (m of them) and its
 * zeros (zeros rows); *merged is set when a bin holds more than one
 * value. */
static void sparse_bin_feature(dial_cart_data *data, size_t f, const sparse_entry *sorted, size_t m,
                               size_t zeros, size_t *bins_used, bool *merged) {
    size_t distinct = zeros > 0;
    for (size_t i = 0; i < m; i++) distinct += i == 0 || sorted[i].value != sorted[i - 1].value;
    size_t n = data->n_rows;
    sparse_cut cut = {.per_bin = distinct <= CART_MAX_BINS ? 1 : n / (CART_MAX_BINS - 1) + 1};
    if (cut.per_bin > 1) *merged = true;
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
        for (size_t k = i; k < j; k++) data->col_code[sorted[k].entry] = code;
        i = j;
    }
    if (!zeros_done) data->zero_code[f] = sparse_cut_run(&cut, 0, zeros);
    *bins_used += cut.bin + 1;
    data->bin_start[f + 1] = *bins_used;
}

/* The bins' bounds, when some bin holds a run of values (a feature of
 * more than 2^16 distinct values), once every feature is coded: a bin's
 * lowest value is its run's first and its highest its last, as cutting
 * the sorted values would have written. Otherwise every bin holds one
 * value, one of the feature's entries (or the zeros), which
 * dial_cart_sparse_bin_value finds when a split needs it: on text each
 * entry has a value of its own, and an array of them would take 8 bytes
 * an entry (twice that reserved at its bound before the cut), more than
 * the rest of the binned data. col_row still holds each entry's index in
 * the rows. */
static dial_status sparse_bin_bounds(const dial_ctx *ctx, dial_cart_data *data, bool merged) {
    if (!merged) return DIAL_OK;
    const dial_csr *a = data->sparse;
    size_t d = data->n_features, bins = data->bin_start[d];
    data->bin_low = dial_malloc_array(ctx, bins ? bins : 1, sizeof *data->bin_low);
    data->bin_high = dial_malloc_array(ctx, bins ? bins : 1, sizeof *data->bin_high);
    if (!data->bin_low || !data->bin_high) return DIAL_ERR_NOMEM;
    for (size_t b = 0; b < bins; b++) {
        data->bin_low[b] = INFINITY;
        data->bin_high[b] = -INFINITY;
    }
    for (size_t f = 0; f < d; f++) {
        double *low = data->bin_low + data->bin_start[f],
               *high = data->bin_high + data->bin_start[f];
        size_t held = data->col_start[f + 1] - data->col_start[f];
        if (held < data->n_rows) { /* the zeros' run */
            low[data->zero_code[f]] = fmin(low[data->zero_code[f]], 0);
            high[data->zero_code[f]] = fmax(high[data->zero_code[f]], 0);
        }
        for (size_t e = data->col_start[f]; e < data->col_start[f + 1]; e++) {
            double v = a->value[data->col_row[e]];
            uint16_t code = data->col_code[e];
            if (v < low[code]) low[code] = v;
            if (v > high[code]) high[code] = v;
        }
    }
    return DIAL_OK;
}

double dial_cart_sparse_bin_value(const dial_cart_data *data, size_t f, uint16_t code) {
    size_t first = data->col_start[f], end = data->col_start[f + 1];
    if (end - first < data->n_rows && code == data->zero_code[f]) return 0;
    const dial_csr *a = data->sparse;
    for (size_t e = first; e < end; e++) {
        if (data->col_code[e] != code) continue;
        /* the row's entry of feature f: its entries ascend by feature */
        size_t lo = a->row_start[data->col_row[e]], hi = a->row_start[data->col_row[e] + 1];
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (a->col[mid] <= f)
                lo = mid;
            else
                hi = mid;
        }
        return a->value[lo];
    }
    return 0; /* not reached: a split's codes are held by the node's rows */
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
    if (nnz >= UINT32_MAX) /* binning keeps an entry's index in 32 bits */
        return dial_fail(ctx, DIAL_ERR_DATA, "%s: %zu sparse entries are more than the %u it takes",
                         family, nnz, UINT32_MAX - 1);
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
    out->col_start = dial_calloc(ctx, dd + 1, sizeof *out->col_start);
    if (out->n_classes) out->label = dial_malloc(ctx, n * sizeof *out->label);
    size_t *fill = dial_malloc(ctx, dd * sizeof *fill);
    sparse_entry *sorted = NULL;
    size_t *start = out->col_start, held = 0, longest = 0;
    if (out->column && out->block && out->bin_start && out->zero_code && start &&
        (!out->n_classes || out->label) && fill) {
        for (size_t e = 0; e < nnz; e++) start[a->col[e] + 1] += a->value[e] != 0;
        for (size_t f = 0; f < d; f++) {
            size_t m = start[f + 1];
            if (m > longest) longest = m;
            start[f + 1] += start[f];
        }
        held = start[d];
        out->col_row = dial_malloc(ctx, (held ? held : 1) * sizeof *out->col_row);
        out->col_code = dial_malloc(ctx, (held ? held : 1) * sizeof *out->col_code);
        out->entry_codes = dial_malloc(ctx, (nnz ? nnz : 1) * sizeof *out->entry_codes);
        sorted = dial_malloc(ctx, (longest ? longest : 1) * sizeof *sorted);
    }
    size_t used = 0;
    bool merged = false;
    if (!sorted || !out->col_row || !out->col_code || !out->entry_codes) {
        status = DIAL_ERR_NOMEM;
        goto done;
    }
    for (size_t f = 0; f < d; f++) {
        out->column[f] = f;
        out->block[f] = -1;
        fill[f] = start[f];
    }
    for (size_t i = 0; out->label && i < n; i++) out->label[i] = (uint32_t)in->y[i];
    /* col_row holds each entry's index in the rows while the features are
     * binned (their values read from the rows, not copied), its row after */
    for (size_t e = 0; e < nnz; e++)
        if (a->value[e] != 0) out->col_row[fill[a->col[e]]++] = (uint32_t)e;
    for (size_t f = 0; f < d; f++) {
        size_t m = start[f + 1] - start[f];
        for (size_t j = 0; j < m; j++)
            sorted[j] = (sparse_entry){a->value[out->col_row[start[f] + j]], start[f] + j};
        qsort(sorted, m, sizeof *sorted, sparse_entry_compare);
        sparse_bin_feature(out, f, sorted, m, n - m, &used, &merged);
    }
    free(sorted);
    sorted = NULL;
    status = sparse_bin_bounds(ctx, out, merged);
    /* the rows' entries take their codes from the columns, which hold each
     * feature's entries in row order; an explicit 0 codes as the zeros it
     * stands among */
    for (size_t f = 0; status == DIAL_OK && f < d; f++) fill[f] = start[f];
    for (size_t i = 0; status == DIAL_OK && i < n; i++)
        for (size_t e = a->row_start[i]; e < a->row_start[i + 1]; e++) {
            uint32_t f = a->col[e];
            if (a->value[e] == 0) {
                out->entry_codes[e] = out->zero_code[f];
                continue;
            }
            size_t at = fill[f]++;
            out->entry_codes[e] = out->col_code[at];
            out->col_row[at] = (uint32_t)i;
        }
done:
    free(fill);
    free(sorted);
    if (status != DIAL_OK) {
        dial_cart_data_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory binning %zu sparse rows of %zu",
                         family, n, d);
    }
    return DIAL_OK;
}

/* ---- a node's entries -------------------------------------------------------------- */

/* Lists the entries of the node's rows by feature (an explicit 0 too: it
 * holds the zero bin's code, as the rows without an entry): stamps the
 * features they hold (feature_stamp = node_stamp), counts their entries
 * (feature_count) and puts each feature's from feature_first[f] on
 * (entry_place, the row's place in the node, and entry_code). */
static void sparse_stamp(dial_cart_workspace *ws, const dial_cart_data *data, size_t start,
                         size_t n) {
    if (++ws->node_stamp == 0) { /* wrapped: no stale stamp may match */
        memset(ws->feature_stamp, 0, ws->n_features * sizeof *ws->feature_stamp);
        ws->node_stamp = 1;
    }
    uint32_t stamp = ws->node_stamp, *count = ws->feature_count, *present = ws->node_features;
    const uint32_t *samples = ws->samples + start;
    const dial_csr *a = data->sparse;
    size_t n_present = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t e = a->row_start[samples[k]]; e < a->row_start[samples[k] + 1]; e++) {
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
    for (size_t k = 0; k < n; k++)
        for (size_t e = a->row_start[samples[k]]; e < a->row_start[samples[k] + 1]; e++) {
            uint32_t f = a->col[e];
            size_t j = ws->feature_first[f] + count[f]++;
            ws->entry_place[j] = (uint32_t)k;
            ws->entry_code[j] = data->entry_codes[e];
        }
    ws->stamped = true;
}

void dial_cart_sparse_begin(dial_cart_workspace *ws, const dial_cart_data *data, size_t start,
                            size_t n) {
    const dial_csr *a = data->sparse;
    const uint32_t *samples = ws->samples + start;
    size_t entries = 0;
    for (size_t k = 0; k < n; k++)
        entries += a->row_start[samples[k] + 1] - a->row_start[samples[k]];
    ws->node_entries = entries;
    ws->scanned = 0;
    ws->stamped = false;
}

size_t dial_cart_sparse_entries(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                                size_t start, size_t n) {
    size_t first = data->col_start[f], end = data->col_start[f + 1], m = 0;
    if (!ws->stamped && ws->scanned + (end - first) > ws->node_entries &&
        ws->node_entries <= ws->stamp_capacity)
        sparse_stamp(ws, data, start, n);
    if (ws->stamped) {
        if (ws->feature_stamp[f] != ws->node_stamp) return 0;
        m = ws->feature_count[f];
        memcpy(ws->entry_at, ws->entry_place + ws->feature_first[f], m * sizeof *ws->entry_at);
        memcpy(ws->entry_bin, ws->entry_code + ws->feature_first[f], m * sizeof *ws->entry_bin);
        return m;
    }
    ws->scanned += end - first;
    /* a row outside the tree's sample has where UINT32_MAX, outside every
     * node; each entry is written and only a member's moves the count on
     * (entry_at has room for one past the node's rows) */
    const uint32_t *row = data->col_row, *where = ws->where;
    const uint16_t *code = data->col_code;
    uint32_t *at = ws->entry_at, first_place = (uint32_t)start, n_places = (uint32_t)n;
    uint16_t *bin = ws->entry_bin;
    for (size_t e = first; e < end; e++) {
        uint32_t place = where[row[e]] - first_place;
        at[m] = place;
        bin[m] = code[e];
        m += place < n_places;
    }
    return m;
}

bool dial_cart_sparse_gather(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                             size_t start, size_t n, uint16_t *codes) {
    size_t m = dial_cart_sparse_entries(ws, data, f, start, n);
    if (m == 0) return false;
    uint16_t zero = data->zero_code[f];
    for (size_t k = 0; k < n; k++) codes[k] = zero;
    for (size_t j = 0; j < m; j++) codes[ws->entry_at[j]] = ws->entry_bin[j];
    return true;
}
