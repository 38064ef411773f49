/*
 * Losses of gradient boosting (internal to src/models/gbdt*.c): the first
 * and second derivatives each round fits a tree to, the starting score,
 * and the loss itself for early stopping.
 *
 * Margins (raw scores) are kept class-major: margin[k * n + i] is the score
 * of class k for row i, with one class (k = 0) for every loss but softmax.
 */
#ifndef DIAL_GBDT_LOSS_H
#define DIAL_GBDT_LOSS_H

#include <stddef.h>

#include "dial/core.h"

typedef enum dial_gbdt_loss {
    DIAL_GBDT_LOGISTIC = 0, /* binary classification, the score is the log-odds of class 1 */
    DIAL_GBDT_SOFTMAX,      /* one score per class, probabilities by the softmax */
    DIAL_GBDT_SQUARED,
    DIAL_GBDT_ABSOLUTE, /* gradient sign(r), hessian 1, leaves refreshed to medians */
    DIAL_GBDT_HUBER     /* gradient r within delta, delta sign(r) beyond; hessian 1 */
} dial_gbdt_loss;

/* One row's first and second derivative: floats, half the memory traffic
 * of doubles in the histogram loops (as XGBoost); sums are in double. */
typedef struct dial_gbdt_pair {
    float g, h;
} dial_gbdt_pair;

/* Number of scores (trees per round) of a loss: n_classes for softmax, 1
 * otherwise. */
size_t dial_gbdt_loss_scores(dial_gbdt_loss loss, size_t n_classes);

/* The starting score of each of the loss's scores, from the targets y of
 * rows[0 .. n) (rows may be NULL for 0 .. n-1): the log-odds or log-prior
 * of the classes, the mean, or the median (absolute and huber).
 * base has dial_gbdt_loss_scores entries. Fails only with DIAL_ERR_NOMEM. */
dial_status dial_gbdt_loss_base(dial_ctx *ctx, dial_gbdt_loss loss, const double *y,
                                const size_t *rows, size_t n, size_t n_classes, double *base);

/* Doubles of scratch that dial_gbdt_loss_gradients needs. */
size_t dial_gbdt_loss_scratch(dial_gbdt_loss loss, size_t n_scores);

/* Derivatives of rows [begin, end) of n rows: pairs is class-major like the
 * margins (pairs[k * n + i]). scratch has dial_gbdt_loss_scratch doubles
 * (may be NULL when that is 0). */
void dial_gbdt_loss_gradients(dial_gbdt_loss loss, double delta, const double *y,
                              const double *margin, size_t n, size_t n_scores, size_t begin,
                              size_t end, dial_gbdt_pair *pairs, double *scratch);

/* Mean loss of rows[0 .. m) of n rows (log loss, half squared error,
 * absolute error, Huber loss), summed in row order. */
double dial_gbdt_loss_value(dial_gbdt_loss loss, double delta, const double *y,
                            const double *margin, size_t n, size_t n_scores, const size_t *rows,
                            size_t m);

/* The median of values[0 .. n) (the mean of the two middle ones when n is
 * even), reordering values; 0 when n is 0. */
double dial_gbdt_median(double *values, size_t n);

#endif
