/*
 * kNN's training rows as category codes: building them from a dense design
 * matrix, checking them when they come from a file, and turning them back
 * into dense rows or decoding query rows. The map of the tensors and why
 * the distances stay exact are in knn_compact.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/knn_compact.h"
#include "models/onehot_blocks.h"

#define KNN_NUMERIC "x.numeric"
#define KNN_CODES "x.codes"
#define KNN_BLOCKS "x.blocks"
#define KNN_ONEHOT "x.onehot"

bool dial_knn_compact_present(const dial_tensors *learned) {
    return dial_tensors_find(learned, KNN_CODES) != NULL;
}

/* The hot level of a block of cells (-1: none), or KNN_CODE_DENSE when the
 * cells are not one clean one-hot row. pair: n_levels (off, on) pairs. */
static int64_t block_code(const double *cells, const double *pair, size_t n_levels) {
    int64_t code = -1;
    for (size_t l = 0; l < n_levels; l++) {
        if (cells[l] == pair[2 * l] && pair[2 * l] != pair[2 * l + 1]) continue;
        if (cells[l] != pair[2 * l + 1] || code != -1) return KNN_CODE_DENSE;
        code = (int64_t)l;
    }
    return code;
}

dial_status dial_knn_compact_fit(dial_ctx *ctx, const dial_fit_input *in, dial_tensors *learned) {
    dial_status status = dial_onehot_blocks_check(ctx, "knn", in);
    if (status != DIAL_OK) return status;
    size_t n_onehot = 0;
    for (size_t b = 0; b < in->n_onehot; b++) n_onehot += in->onehot[b].n_levels;
    size_t n = in->n_rows, d = in->n_features, n_blocks = in->n_onehot, n_numeric = d - n_onehot;
    double *numeric = NULL, *onehot = NULL;
    int64_t *codes = NULL, *blocks = NULL;
    size_t numeric_shape[2] = {n, n_numeric}, codes_shape[2] = {n, n_blocks},
           blocks_shape[2] = {n_blocks, 2}, onehot_shape[2] = {n_onehot, 2};
    status =
        dial_tensors_add(ctx, learned, KNN_NUMERIC, DIAL_F64, 2, numeric_shape, (void **)&numeric);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, KNN_CODES, DIAL_I64, 2, codes_shape, (void **)&codes);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, KNN_BLOCKS, DIAL_I64, 2, blocks_shape, (void **)&blocks);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, KNN_ONEHOT, DIAL_F64, 2, onehot_shape, (void **)&onehot);
    if (status != DIAL_OK) return status;
    double *pair = onehot;
    for (size_t b = 0; b < n_blocks; b++) {
        const dial_onehot_block *block = &in->onehot[b];
        blocks[2 * b] = (int64_t)block->offset;
        blocks[2 * b + 1] = (int64_t)block->n_levels;
        for (size_t l = 0; l < block->n_levels; l++) {
            *pair++ = block->off[l];
            *pair++ = block->on[l];
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = in->x + i * d;
        size_t column = 0, t = 0, g = 0;
        for (size_t b = 0; b <= n_blocks; b++) {
            size_t offset = b < n_blocks ? in->onehot[b].offset : d;
            for (; column < offset; column++) numeric[i * n_numeric + t++] = row[column];
            if (b == n_blocks) break;
            size_t n_levels = in->onehot[b].n_levels;
            int64_t code = block_code(row + column, onehot + 2 * g, n_levels);
            if (code == KNN_CODE_DENSE)
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "knn: row %zu is not one-hot in columns %zu to %zu (one-hot "
                                 "block %zu): a cell is neither its off nor its on value, or two "
                                 "are on",
                                 i, column, column + n_levels - 1, b);
            codes[i * n_blocks + b] = code;
            column += n_levels;
            g += n_levels;
        }
    }
    return DIAL_OK;
}

/* A learned 2-d tensor of the given dtype and shape, or a DIAL_ERR_FORMAT. */
static dial_status find_matrix(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                               dial_dtype dtype, size_t rows, size_t cols, const void **data) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "knn: the learned tensor '%s' is missing beside '" KNN_CODES "'", name);
    if (t->dtype != dtype || t->ndim != 2 || t->shape[0] != rows || t->shape[1] != cols)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "knn: the learned tensor '%s' must be %s of shape [%zu x %zu], found %s "
                         "[%zu x %zu] with %d dimension%s",
                         name, dtype == DIAL_F64 ? "f64" : "i64", rows, cols,
                         t->dtype == DIAL_F64 ? "f64" : "i64", t->shape[0],
                         t->ndim > 1 ? t->shape[1] : 1, t->ndim, t->ndim == 1 ? "" : "s");
    *data = t->data;
    return DIAL_OK;
}

dial_status dial_knn_compact_load(dial_ctx *ctx, const dial_tensors *learned, size_t n_inputs,
                                  knn_compact *out) {
    memset(out, 0, sizeof *out);
    const dial_tensor *codes = dial_tensors_find(learned, KNN_CODES);
    if (!codes || codes->ndim != 2 || codes->dtype != DIAL_I64 || codes->shape[0] == 0 ||
        codes->shape[1] == 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "knn: the learned tensor '" KNN_CODES
                         "' must be i64 of shape [rows x blocks], at least 1 x 1");
    size_t n = codes->shape[0], n_blocks = codes->shape[1];
    const void *blocks = NULL;
    dial_status status = find_matrix(ctx, learned, KNN_BLOCKS, DIAL_I64, n_blocks, 2, &blocks);
    if (status != DIAL_OK) return status;
    const int64_t *block = blocks;
    size_t end = 0, n_onehot = 0;
    for (size_t b = 0; b < n_blocks; b++) {
        int64_t offset = block[2 * b], n_levels = block[2 * b + 1];
        if (offset < (int64_t)end || n_levels < 1 || (uint64_t)offset > n_inputs ||
            (uint64_t)n_levels > n_inputs - (uint64_t)offset)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor '" KNN_BLOCKS
                             "' gives block %zu offset %lld and %lld levels: blocks must follow "
                             "one another within the %zu inputs",
                             b, (long long)offset, (long long)n_levels, n_inputs);
        end = (size_t)offset + (size_t)n_levels;
        n_onehot += (size_t)n_levels;
    }
    const void *numeric = NULL, *onehot = NULL;
    status = find_matrix(ctx, learned, KNN_NUMERIC, DIAL_F64, n, n_inputs - n_onehot, &numeric);
    if (status == DIAL_OK)
        status = find_matrix(ctx, learned, KNN_ONEHOT, DIAL_F64, n_onehot, 2, &onehot);
    if (status != DIAL_OK) return status;
    const double *values = numeric, *pair = onehot;
    for (size_t i = 0; i < n * (n_inputs - n_onehot); i++)
        if (!isfinite(values[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor '" KNN_NUMERIC "' holds %g at %zu", values[i],
                             i);
    for (size_t g = 0; g < n_onehot; g++)
        if (!isfinite(pair[2 * g]) || !isfinite(pair[2 * g + 1]) || pair[2 * g] == pair[2 * g + 1])
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor '" KNN_ONEHOT
                             "' gives one-hot input %zu the off and on values %g and %g; they "
                             "must be finite and differ",
                             g, pair[2 * g], pair[2 * g + 1]);
    const int64_t *code = codes->data;
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < n_blocks; b++) {
            int64_t c = code[i * n_blocks + b];
            if (c < -1 || c >= block[2 * b + 1])
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "knn: the learned tensor '" KNN_CODES
                                 "' gives row %zu level %lld in block %zu of %lld levels",
                                 i, (long long)c, b, (long long)block[2 * b + 1]);
        }
    *out = (knn_compact){.n_rows = n,
                         .n_inputs = n_inputs,
                         .n_numeric = n_inputs - n_onehot,
                         .n_blocks = n_blocks,
                         .numeric = numeric,
                         .codes = code,
                         .blocks = block,
                         .onehot = onehot};
    return DIAL_OK;
}

dial_status dial_knn_compact_expand(dial_ctx *ctx, const knn_compact *rows, double **x) {
    size_t d = rows->n_inputs;
    size_t cells = rows->n_rows * d;
    *x = dial_malloc(ctx, (cells ? cells : 1) * sizeof **x);
    if (!*x)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory expanding %zu training rows",
                         rows->n_rows);
    for (size_t i = 0; i < rows->n_rows; i++) {
        double *row = *x + i * d;
        size_t column = 0, t = 0, g = 0;
        for (size_t b = 0; b <= rows->n_blocks; b++) {
            size_t offset = b < rows->n_blocks ? (size_t)rows->blocks[2 * b] : d;
            for (; column < offset; column++)
                row[column] = rows->numeric[i * rows->n_numeric + t++];
            if (b == rows->n_blocks) break;
            size_t n_levels = (size_t)rows->blocks[2 * b + 1];
            int64_t code = rows->codes[i * rows->n_blocks + b];
            for (size_t l = 0; l < n_levels; l++)
                row[column + l] = rows->onehot[2 * (g + l) + ((int64_t)l == code)];
            column += n_levels;
            g += n_levels;
        }
    }
    return DIAL_OK;
}

dial_status dial_knn_compact_query_codes(dial_ctx *ctx, const knn_compact *rows, const double *x,
                                         size_t n, int64_t **codes) {
    size_t n_blocks = rows->n_blocks;
    size_t cells = n * n_blocks;
    *codes = dial_malloc(ctx, (cells ? cells : 1) * sizeof **codes);
    if (!*codes)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory encoding %zu query rows", n);
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        for (size_t b = 0; b < n_blocks; b++) {
            size_t offset = (size_t)rows->blocks[2 * b], n_levels = (size_t)rows->blocks[2 * b + 1];
            (*codes)[i * n_blocks + b] =
                block_code(x + i * rows->n_inputs + offset, rows->onehot + 2 * g, n_levels);
            g += n_levels;
        }
    }
    return DIAL_OK;
}
