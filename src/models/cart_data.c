/*
 * CART's training data: the checks of the input and the binning of every
 * feature into 16-bit codes, once per fit. See cart.h.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart_internal.h"
#include "models/onehot_blocks.h"

void dial_cart_data_free(dial_cart_data *data) {
    if (!data) return;
    free(data->label);
    free(data->codes);
    free(data->bin_start);
    free(data->bin_high);
    free(data->bin_low);
    free(data->column);
    free(data->block);
    free(data->entry_codes);
    free(data->zero_code);
    free(data->col_start);
    free(data->col_row);
    free(data->col_code);
    *data = (dial_cart_data){0};
}

void dial_cart_data_drop_codes(dial_cart_data *data) {
    free(data->codes);
    free(data->entry_codes);
    free(data->col_start);
    free(data->col_row);
    free(data->col_code);
    data->codes = data->entry_codes = data->col_code = NULL;
    data->col_start = NULL;
    data->col_row = NULL;
}

dial_status dial_cart_check_input(dial_ctx *ctx, const char *family, const dial_fit_input *in) {
    if (in->task != DIAL_TASK_CLASSIFICATION && in->task != DIAL_TASK_REGRESSION)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s: the task must be classification or regression, got %s", family,
                         dial_task_name(in->task));
    if (in->task == DIAL_TASK_CLASSIFICATION && in->n_classes < 1)
        return dial_fail(ctx, DIAL_ERR_DATA, "%s: a classification target needs classes", family);
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "%s: no training rows", family);
    if (in->n_rows >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_DATA, "%s: %zu training rows are more than the %u it takes",
                         family, in->n_rows, UINT32_MAX - 1);
    for (size_t i = 0; i < in->n_rows; i++) {
        double y = in->y[i];
        if (in->task == DIAL_TASK_CLASSIFICATION) {
            if (!(y >= 0 && y < (double)in->n_classes && y == floor(y)))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "%s: target of row %zu is %g, expected a class index in 0..%zu",
                                 family, i, y, in->n_classes - 1);
        } else if (!isfinite(y)) {
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "%s: target of row %zu is %g, expected a finite number", family, i, y);
        }
        for (size_t f = 0; in->x && f < in->n_features; f++)
            if (!isfinite(in->x[i * in->n_features + f]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "%s: feature %zu of row %zu is %g; impute missing values first",
                                 family, f, i, in->x[i * in->n_features + f]);
    }
    return DIAL_OK;
}

dial_status dial_cart_reserve_bins(const dial_ctx *ctx, dial_cart_data *data, size_t need,
                                   size_t *bins_capacity) {
    if (need <= *bins_capacity) return DIAL_OK;
    size_t capacity = *bins_capacity * 2 > need ? *bins_capacity * 2 : need;
    double *low = dial_realloc(ctx, data->bin_low, capacity * sizeof *low);
    if (low) data->bin_low = low;
    double *high = dial_realloc(ctx, data->bin_high, capacity * sizeof *high);
    if (high) data->bin_high = high;
    if (!low || !high) return DIAL_ERR_NOMEM;
    *bins_capacity = capacity;
    return DIAL_OK;
}

/* Gives the rows of one feature, sorted by value in pairs, their codes, and
 * appends the feature's bins. Distinct values are bins of their own while
 * they fit in 16 bits; beyond, runs of about n / 65535 rows share a bin
 * (a value is never split across two bins). */
static dial_status cart_bin_feature(const dial_ctx *ctx, dial_cart_data *data, size_t f,
                                    const cart_pair *pairs, size_t *bins_used,
                                    size_t *bins_capacity) {
    size_t n = data->n_rows, distinct = 1;
    for (size_t i = 1; i < n; i++) distinct += pairs[i].value != pairs[i - 1].value;
    size_t per_bin = distinct <= CART_MAX_BINS ? 1 : n / (CART_MAX_BINS - 1) + 1;
    size_t need = *bins_used + (distinct < CART_MAX_BINS ? distinct : CART_MAX_BINS);
    dial_status grown = dial_cart_reserve_bins(ctx, data, need, bins_capacity);
    if (grown != DIAL_OK) return grown;
    uint16_t *codes = data->codes + f * n;
    size_t bin = *bins_used, in_bin = 0;
    data->bin_low[bin] = data->bin_high[bin] = pairs[0].value;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pairs[i].value != pairs[i - 1].value && in_bin >= per_bin) {
            bin++;
            in_bin = 0;
            data->bin_low[bin] = pairs[i].value;
        }
        data->bin_high[bin] = pairs[i].value;
        codes[pairs[i].row] = (uint16_t)(bin - *bins_used);
        in_bin++;
    }
    *bins_used = bin + 1;
    data->bin_start[f + 1] = *bins_used;
    return DIAL_OK;
}

/* The split candidates: each numeric input, and each block split natively
 * as one feature. Fills column and block (d entries each, enough). */
static void cart_features(dial_cart_data *out, const dial_fit_input *in, bool native) {
    size_t b = 0, u = 0;
    for (size_t c = 0; c < in->n_features; c++) {
        while (native && b < in->n_onehot && in->onehot[b].offset < c) b++;
        bool category = native && b < in->n_onehot && in->onehot[b].offset == c &&
                        in->onehot[b].n_levels <= DIAL_CART_CATEGORY_MAX_LEVELS;
        out->column[u] = c;
        out->block[u] = category ? (int64_t)b : -1;
        u++;
        if (!category) continue;
        out->blocks = in->onehot;
        if (in->onehot[b].n_levels + 1 > out->max_codes)
            out->max_codes = in->onehot[b].n_levels + 1;
        out->n_blocks++;
        c += in->onehot[b].n_levels - 1;
    }
    out->n_features = u;
}

/* The codes of a categorical feature: each row's level, n_levels for none;
 * DIAL_ERR_ARGUMENT when a row is not one-hot in the block. */
static dial_status cart_code_block(dial_ctx *ctx, const char *family, dial_cart_data *out,
                                   const dial_fit_input *in, const dial_onehot_block *block,
                                   size_t f, size_t *bins_used, size_t *bins_capacity) {
    size_t n = in->n_rows, d = in->n_features, n_codes = block->n_levels + 1;
    size_t need = *bins_used + n_codes;
    if (need > *bins_capacity) {
        size_t capacity = *bins_capacity * 2 > need ? *bins_capacity * 2 : need;
        double *low = dial_realloc(ctx, out->bin_low, capacity * sizeof *low);
        if (low) out->bin_low = low;
        double *high = dial_realloc(ctx, out->bin_high, capacity * sizeof *high);
        if (high) out->bin_high = high;
        if (!low || !high) return DIAL_ERR_NOMEM;
        *bins_capacity = capacity;
    }
    for (size_t c = 0; c < n_codes; c++)
        out->bin_low[*bins_used + c] = out->bin_high[*bins_used + c] = (double)c;
    *bins_used = need;
    out->bin_start[f + 1] = need;
    uint16_t *codes = out->codes + f * n;
    for (size_t i = 0; i < n; i++) {
        const double *cells = in->x + i * d + block->offset;
        size_t code = block->n_levels;
        for (size_t l = 0; l < block->n_levels; l++) {
            if (cells[l] == block->off[l] && block->off[l] != block->on[l]) continue;
            if (cells[l] != block->on[l] || code != block->n_levels)
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "%s: row %zu is not one-hot in columns %zu to %zu: a cell is "
                                 "neither its off nor its on value, or two are on",
                                 family, i, block->offset, block->offset + block->n_levels - 1);
            code = l;
        }
        codes[i] = (uint16_t)code;
    }
    return DIAL_OK;
}

dial_status dial_cart_data_prepare(dial_ctx *ctx, const char *family, const dial_fit_input *in,
                                   bool native, dial_cart_data *out) {
    *out = (dial_cart_data){0};
    if (in->sparse) return dial_cart_data_prepare_sparse(ctx, family, in, out);
    dial_status status = dial_cart_check_input(ctx, family, in);
    if (status == DIAL_OK && native && in->onehot)
        status = dial_onehot_blocks_check(ctx, family, in);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, d = in->n_features;
    out->n_rows = n;
    out->n_inputs = d;
    out->n_classes = in->task == DIAL_TASK_CLASSIFICATION ? in->n_classes : 0;
    out->y = in->y;
    out->column = dial_malloc(ctx, (d ? d : 1) * sizeof *out->column);
    out->block = dial_malloc(ctx, (d ? d : 1) * sizeof *out->block);
    if (out->column && out->block) cart_features(out, in, native && in->onehot);
    size_t units = out->n_features;
    out->bin_start = dial_calloc(ctx, units + 1, sizeof *out->bin_start);
    out->codes = dial_malloc(ctx, (units ? units : 1) * n * sizeof *out->codes);
    cart_pair *pairs = dial_malloc(ctx, n * sizeof *pairs);
    if (out->n_classes) out->label = dial_malloc(ctx, n * sizeof *out->label);
    status = DIAL_OK;
    if (!out->column || !out->block || !out->bin_start || !out->codes || !pairs ||
        (out->n_classes && !out->label))
        status = DIAL_ERR_NOMEM;
    for (size_t i = 0; status == DIAL_OK && out->label && i < n; i++)
        out->label[i] = (uint32_t)in->y[i];
    size_t used = 0, capacity = 0;
    for (size_t f = 0; f < units && status == DIAL_OK; f++) {
        size_t c = out->column[f];
        if (out->block[f] >= 0) {
            const dial_onehot_block *block = &in->onehot[out->block[f]];
            status = cart_code_block(ctx, family, out, in, block, f, &used, &capacity);
            if (status != DIAL_OK && status != DIAL_ERR_NOMEM) {
                free(pairs);
                dial_cart_data_free(out);
                return status;
            }
            continue;
        }
        for (size_t i = 0; i < n; i++) pairs[i] = (cart_pair){in->x[i * d + c], (uint32_t)i};
        qsort(pairs, n, sizeof *pairs, dial_cart_pair_compare);
        status = cart_bin_feature(ctx, out, f, pairs, &used, &capacity);
    }
    free(pairs);
    if (status != DIAL_OK) {
        dial_cart_data_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory binning %zu x %zu features",
                         family, n, d);
    }
    return DIAL_OK;
}

double *dial_cart_balanced_weights(const dial_ctx *ctx, const dial_cart_data *data) {
    size_t k = data->n_classes ? data->n_classes : 1;
    double *weight = dial_calloc(ctx, k, sizeof *weight);
    if (!weight) return NULL;
    for (size_t i = 0; i < data->n_rows; i++) weight[data->label[i]] += 1;
    for (size_t c = 0; c < k; c++)
        weight[c] = weight[c] > 0 ? (double)data->n_rows / ((double)k * weight[c]) : 0;
    return weight;
}
