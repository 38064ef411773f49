/*
 * gbdt's categorical units: which inputs become one feature, the rows
 * recoded as units, and the category tensors of a fitted forest. See
 * gbdt_category.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart.h"
#include "models/gbdt_category.h"
#include "models/onehot_blocks.h"

void dial_gbdt_units_free(dial_gbdt_units *units) {
    free(units->column);
    free(units->block);
    free(units->levels);
    memset(units, 0, sizeof *units);
}

dial_status dial_gbdt_units_make(dial_ctx *ctx, const dial_fit_input *in, bool native,
                                 dial_gbdt_units *units) {
    memset(units, 0, sizeof *units);
    size_t d = in->n_features;
    native = native && in->onehot;
    if (native) {
        dial_status checked = dial_onehot_blocks_check(ctx, "gbdt", in);
        if (checked != DIAL_OK) return checked;
    }
    units->n_inputs = d;
    units->column = dial_malloc(ctx, (d ? d : 1) * sizeof *units->column);
    units->block = dial_malloc(ctx, (d ? d : 1) * sizeof *units->block);
    units->levels = dial_malloc(ctx, (d ? d : 1) * sizeof *units->levels);
    if (!units->column || !units->block || !units->levels) {
        dial_gbdt_units_free(units);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory for %zu inputs", d);
    }
    size_t b = 0, u = 0;
    for (size_t c = 0; c < d; c++) {
        while (native && b < in->n_onehot && in->onehot[b].offset < c) b++;
        bool category = native && b < in->n_onehot && in->onehot[b].offset == c &&
                        in->onehot[b].n_levels <= DIAL_GBDT_MAX_VALUE_BINS;
        units->column[u] = c;
        units->block[u] = category ? (int64_t)b : -1;
        units->levels[u] = category ? (uint16_t)in->onehot[b].n_levels : 0;
        u++;
        if (!category) continue;
        units->blocks = in->onehot;
        units->n_blocks++;
        c += in->onehot[b].n_levels - 1;
    }
    units->n_units = u;
    return DIAL_OK;
}

dial_status dial_gbdt_units_reduce(dial_ctx *ctx, const dial_gbdt_units *units, const double *x,
                                   size_t n_rows, double **out) {
    size_t n_units = units->n_units, d = units->n_inputs;
    size_t cells = n_rows * n_units;
    *out = dial_malloc(ctx, (cells > 0 ? cells : 1) * sizeof **out);
    if (!*out)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory recoding %zu rows", n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        const double *row = x + i * d;
        double *to = *out + i * n_units;
        for (size_t u = 0; u < n_units; u++) {
            size_t c = units->column[u];
            if (units->block[u] < 0) {
                to[u] = row[c];
                continue;
            }
            const dial_onehot_block *block = &units->blocks[units->block[u]];
            to[u] = NAN;
            for (size_t l = 0; l < block->n_levels; l++)
                if (row[c + l] == block->on[l] && block->off[l] != block->on[l]) {
                    to[u] = (double)l;
                    break;
                }
        }
    }
    return DIAL_OK;
}

dial_status dial_gbdt_category_tensors_add(dial_ctx *ctx, dial_tensors *learned,
                                           const dial_gbdt_units *units,
                                           const dial_gbdt_forest *forest) {
    size_t n_nodes = forest->n_nodes, n_words = 0, n_levels = 0;
    for (size_t i = 0; units->n_blocks && i < n_nodes; i++) {
        int32_t f = forest->nodes[i].feature;
        if (f >= 0 && units->levels[f]) n_words += (units->levels[f] + 64u) / 64;
    }
    if (n_words == 0) return DIAL_OK;
    for (size_t u = 0; u < units->n_units; u++) n_levels += units->levels[u];
    dial_cart_category_tensors made;
    dial_status status = dial_cart_category_tensors_add(ctx, learned, units->n_blocks, n_levels,
                                                        n_nodes, n_words, &made);
    if (status != DIAL_OK) return status;
    int64_t *blocks = made.blocks, *category = made.category, *bits = made.bits;
    double *levels = made.levels;
    size_t b = 0;
    double *pair = levels;
    for (size_t u = 0; u < units->n_units; u++) {
        if (!units->levels[u]) continue;
        const dial_onehot_block *block = &units->blocks[units->block[u]];
        blocks[2 * b] = (int64_t)block->offset;
        blocks[2 * b + 1] = (int64_t)block->n_levels;
        for (size_t l = 0; l < block->n_levels; l++) {
            *pair++ = block->off[l];
            *pair++ = block->on[l];
        }
        b++;
    }
    size_t word = 0;
    for (size_t i = 0; i < n_nodes; i++) {
        const dial_gbdt_node *node = &forest->nodes[i];
        if (node->feature < 0 || !units->levels[node->feature]) {
            category[i] = -1;
            continue;
        }
        size_t words = (units->levels[node->feature] + 64u) / 64;
        category[i] = (int64_t)word;
        memcpy(bits + word, node->bits, words * sizeof *bits);
        word += words;
    }
    return DIAL_OK;
}
