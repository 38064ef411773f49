/*
 * Sums that do not overflow for finite inputs (internal to eval/): the
 * regression metrics and the cross-validation summary fall back on them
 * when a plain sum of squares passes the largest double (values near
 * 1e160 square to infinity, and inf / inf is NaN).
 */
#ifndef DIAL_EVAL_SUMS_H
#define DIAL_EVAL_SUMS_H

#include <stddef.h>

/* A sum of squared differences, kept as 4 scale^2 scaled_sum so that it
 * never overflows: each difference is taken between halves (a/2 - b/2 is
 * finite for any finite a and b), divided by the largest, and squared, as
 * a careful norm (LAPACK's dnrm2) does. scale is 0 when every difference
 * is; scaled_sum is then 0, else at least 1. */
typedef struct dial_eval_squares {
    double scale, scaled_sum;
} dial_eval_squares;

/* a[i] / 2 - b[i] / 2, with b[i] read as b_constant when b is NULL. */
static inline double dial_eval_half_difference(const double *a, const double *b, double b_constant,
                                               size_t i) {
    return 0.5 * a[i] - 0.5 * (b ? b[i] : b_constant);
}

/* The sum over i < n of (a[i] - b[i])^2 (b[i] is b_constant when b is
 * NULL) for finite a and b. */
dial_eval_squares dial_eval_sum_squares(const double *a, const double *b, double b_constant,
                                        size_t n);

/* The mean of n > 0 finite values: the plain sum over n, or where that
 * overflows, the sum of each value over n (finite, a little less exact). */
double dial_eval_mean(const double *v, size_t n);

#endif
