/*
 * What the knob-importance files share (internal to src/tune/knob_*.c):
 *   knob_importance.c  the trials as matrices, the conditional knobs, the shares
 *   knob_fanova.c      functional ANOVA of a random forest fitted to one matrix
 *   knob_ped_anova.c   PED-ANOVA of one matrix
 */
#ifndef DIAL_KNOB_IMPORTANCE_INTERNAL_H
#define DIAL_KNOB_IMPORTANCE_INTERNAL_H

#include "dial/knob_importance.h"

/* Trials (rows) by knobs (columns) for one analysis. A numeric knob's cell
 * is its unit coordinate in [0, 1] (a log knob's on its log axis); a
 * categorical's is its category index, 0 .. n_categories - 1. */
typedef struct dial_knob_matrix {
    size_t n_rows, n_cols;
    const double *x;            /* n_rows x n_cols, row-major */
    const size_t *n_categories; /* per column: 0 for numeric */
    const double *y;            /* the objective of each row */
} dial_knob_matrix;

/* fANOVA of a forest of n_trees trees fitted (seed) to m: singles[c] the
 * mean over trees of the variance of the tree's marginal over column c
 * divided by the tree's variance; with pairs (n_cols x n_cols, may be
 * NULL), pairs[a * n_cols + b] for a < b the same for the pair's marginal
 * less both singles. Errors: the forest's, DIAL_ERR_NOMEM. */
dial_status dial_knob_fanova(dial_ctx *ctx, const dial_knob_matrix *m, uint64_t seed,
                             size_t n_trees, double *singles, double *pairs);

/* PED-ANOVA of column c of m (a Pearson divergence, >= 0): the top
 * quantile of the rows by y (the lowest when minimize) against them all.
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_knob_ped_anova(dial_ctx *ctx, const dial_knob_matrix *m, size_t c, bool minimize,
                                double *out);

#endif
