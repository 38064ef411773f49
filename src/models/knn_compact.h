/*
 * kNN's training rows kept as category codes, internal to knn.c.
 *
 * One-hot encoding a categorical feature gives every row one column per
 * level: 5,000 levels make 5,000 columns, nearly all "off", in every
 * training row the model keeps. Here a row keeps its numeric inputs and,
 * per categorical feature, the index of its hot level; the off and on
 * values of each one-hot column are kept once. The learned tensors:
 *   x.numeric [n_rows x n_numeric]  the numeric inputs, in input order
 *   x.codes   [n_rows x n_blocks]   i64: the hot level of each block, -1 none
 *   x.blocks  [n_blocks x 2]        i64: offset among the inputs, n_levels
 *   x.onehot  [n_onehot x 2]        off and on value of each one-hot input
 * where n_onehot is the sum of the blocks' n_levels and n_numeric + n_onehot
 * the number of inputs.
 *
 * The distance of a query to such a row sums the same terms in the same
 * order as knn_row_* does over the dense rows, leaving out only the terms
 * that are exactly zero (two equal "off" cells): adding +0 to a sum of
 * non-negative terms changes no bit, so the distances, hence the
 * neighbours and the predictions, are those of the dense rows exactly.
 */
#ifndef DIAL_KNN_COMPACT_H
#define DIAL_KNN_COMPACT_H

#include <stdint.h>

#include "dial/model.h"
#include "models/knn_distance.h"

/* Code of a query whose block is not one clean one-hot row (a cell that is
 * neither its off nor its on value, or two hot cells): its distance is then
 * summed over the block's dense cells. */
#define KNN_CODE_DENSE (-2)

typedef struct knn_compact {
    size_t n_rows, n_inputs, n_numeric, n_blocks;
    const double *numeric; /* n_rows x n_numeric */
    const int64_t *codes;  /* n_rows x n_blocks */
    const int64_t *blocks; /* n_blocks x 2 */
    const double *onehot;  /* n_onehot x 2 */
} knn_compact;

/* Whether the learned tensors hold compact rows (x.codes is present). */
bool dial_knn_compact_present(const dial_tensors *learned);

/* Adds the four tensors above for the rows of in, whose in->onehot blocks
 * say where the one-hot columns lie. DIAL_ERR_ARGUMENT when the blocks are
 * out of order or out of range, or a row's block is not one-hot (a cell
 * neither off nor on, two hot cells). */
dial_status dial_knn_compact_fit(dial_ctx *ctx, const dial_fit_input *in, dial_tensors *learned);

/* Points *out at the compact rows of learned after checking every shape,
 * offset, code and value against n_inputs (the design matrix's columns):
 * they may come from a file. DIAL_ERR_FORMAT naming the tensor otherwise. */
dial_status dial_knn_compact_load(dial_ctx *ctx, const dial_tensors *learned, size_t n_inputs,
                                  knn_compact *out);

/* The dense rows (n_rows x n_inputs, malloc'ed; free with free), cell for
 * cell those the model was fitted on: for the kd-tree. */
dial_status dial_knn_compact_expand(dial_ctx *ctx, const knn_compact *rows, double **x);

/* The code of each block of each of n dense query rows (n x n_blocks,
 * malloc'ed): the hot level, -1 for none, KNN_CODE_DENSE for a block that
 * is not one-hot. */
dial_status dial_knn_compact_query_codes(dial_ctx *ctx, const knn_compact *rows, const double *x,
                                         size_t n, int64_t **codes);

static inline double knn_term(const knn_distance *m, double v) {
    switch (m->metric) {
    case KNN_EUCLIDEAN: return v * v;
    case KNN_MANHATTAN: return fabs(v);
    case KNN_MINKOWSKI: return knn_power(m, fabs(v));
    case KNN_COSINE: break;
    }
    return INFINITY;
}

/* The reduced distance of the dense query q (with its block codes) to
 * compact row j, or some value above bound once the partial sum exceeds
 * it; equal to knn_reduced over the dense rows for any row it keeps. */
static inline double knn_compact_reduced(const knn_distance *m, const knn_compact *rows,
                                         const double *q, const int64_t *q_codes, size_t j,
                                         double bound) {
    const double *num = rows->numeric + j * rows->n_numeric;
    const int64_t *codes = rows->codes + j * rows->n_blocks;
    double s = 0;
    size_t column = 0, t = 0, g = 0; /* input, numeric input, one-hot input */
    for (size_t b = 0; b < rows->n_blocks; b++) {
        size_t offset = (size_t)rows->blocks[2 * b], n_levels = (size_t)rows->blocks[2 * b + 1];
        for (; column < offset; column++, t++) s += knn_term(m, q[column] - num[t]);
        const double *pair = rows->onehot + 2 * g;
        int64_t mine = q_codes[b], theirs = codes[b];
        if (mine == KNN_CODE_DENSE) {
            for (size_t l = 0; l < n_levels; l++)
                s += knn_term(m, q[column + l] - pair[2 * l + ((int64_t)l == theirs)]);
        } else if (mine != theirs) {
            /* Only the two hot cells differ, each by on - off (or its
             * negation, whose term is the same), in column order. */
            int64_t first = mine < theirs ? mine : theirs, second = mine < theirs ? theirs : mine;
            if (first >= 0) s += knn_term(m, pair[2 * first + 1] - pair[2 * first]);
            s += knn_term(m, pair[2 * second + 1] - pair[2 * second]);
        }
        column += n_levels;
        g += n_levels;
        if (s > bound) return s;
    }
    for (; column < rows->n_inputs; column++, t++) s += knn_term(m, q[column] - num[t]);
    return s;
}

#endif
