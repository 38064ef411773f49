/*
 * Native categorical features of gradient boosting (internal to
 * src/models/gbdt*.c). With knob categorical=native and a fit input that
 * names its one-hot blocks, each block of at most DIAL_GBDT_MAX_VALUE_BINS
 * levels becomes one feature (a "unit") whose value is the row's level,
 * 0 .. n_levels - 1, or NaN for none (a missing value, a level unseen in
 * training); the other inputs stay units of their own. Boosting then works
 * on the units (bins, histograms, trees), splitting a categorical unit by a
 * subset of its codes (gbdt_split.h), and the model's tensors name inputs
 * again: a categorical split sits on its block's first input, with its
 * bitset in the category tensors that tree and forest use (cart.h).
 */
#ifndef DIAL_GBDT_CATEGORY_H
#define DIAL_GBDT_CATEGORY_H

#include "dial/model.h"
#include "models/gbdt_boost.h"

typedef struct dial_gbdt_units {
    size_t n_units, n_inputs, n_blocks; /* n_blocks: blocks split natively (0: none) */
    size_t *column;                     /* per unit: its input (a block's first) */
    int64_t *block;                     /* per unit: its index in blocks, or -1 */
    uint16_t *levels;                   /* per unit: levels of a category, else 0 */
    const dial_onehot_block *blocks;    /* borrowed: the fit input's onehot */
} dial_gbdt_units;

/* The units of in: with native and in->onehot, one per block of at most
 * DIAL_GBDT_MAX_VALUE_BINS levels and one per other input; otherwise one
 * per input (n_blocks 0). DIAL_ERR_ARGUMENT for blocks that overlap or lie
 * beyond the inputs, DIAL_ERR_NOMEM. Free with dial_gbdt_units_free. */
dial_status dial_gbdt_units_make(dial_ctx *ctx, const dial_fit_input *in, bool native,
                                 dial_gbdt_units *units);
void dial_gbdt_units_free(dial_gbdt_units *units);

/* The n_rows rows of x (n_inputs columns) as units, into *out (malloc'ed,
 * n_rows x n_units): a category's level (the input of its block holding
 * its on value, off and on differing), NaN when none does. */
dial_status dial_gbdt_units_reduce(dial_ctx *ctx, const dial_gbdt_units *units, const double *x,
                                   size_t n_rows, double **out);

/* Adds category_blocks, category_levels, category and category_bits (as
 * cart.h describes them) for the forest's nodes, when some node splits a
 * category. */
dial_status dial_gbdt_category_tensors_add(dial_ctx *ctx, dial_tensors *learned,
                                           const dial_gbdt_units *units,
                                           const dial_gbdt_forest *forest);

#endif
