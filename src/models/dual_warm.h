/*
 * Warm starts of LIBLINEAR's dual coordinate descent along increasing C
 * (internal to src/models/logistic_dual.c and src/models/linsvm*.c), as
 * svm_warm.h is for the kernel SVM.
 *
 * A one-vs-rest fit solves one binary problem per weight row; each
 * problem's dual has one variable per training row (the SVM's alpha_i in
 * [0, C_i], or [0, inf) for the squared hinge) or two (logistic
 * regression's pair alpha_i, C_i - alpha_i). A solution kept for the next
 * C holds them all, with the C they were solved at. The next fit, on the
 * same fold with a larger C, starts from them as they are (logistic's
 * partner C_i - alpha_i made up to the new C_i): the box only grows, so
 * they stay feasible, and w = sum_i y_i alpha_i x_i starts where the
 * previous fit ended, as liblinear-train -C starts each C from the
 * previous w. The solver then runs to the same tolerance as from a cold
 * start, so the optimum it reaches is the same to that tolerance; only the
 * number of passes falls. (Scaling the variables by C_new / C_old, as
 * svm_warm.h does for the kernel SVM, was measured here to take more
 * passes than a cold start: on data/text_small.libsvm, C climbing
 * 0.01 .. 100 tenfold, 3,798 passes against 3,002 cold for the L2-loss
 * SVM, and 1,832 without the scaling.)
 */
#ifndef DIAL_DUAL_WARM_H
#define DIAL_DUAL_WARM_H

#include <stddef.h>

#include "dial/core.h"
#include "dial/data.h"

/* The rows a dual solver reads: rows index[0 .. n - 1] of x, or rows
 * 0 .. n - 1 when index is NULL. A tuner's fold is read so, in place in
 * the data's compressed rows (family_tuning.h's prepare_fold_rows): a
 * gathered copy per fold held the data about once more per fold cached,
 * five times over in a 5-fold search. The solvers' arithmetic is the same
 * either way, so are their weights. */
typedef struct dial_dual_rows {
    const dial_csr *x;
    const size_t *index;
    size_t n;
} dial_dual_rows;

/* Row i of rows, as a row of rows->x. */
static inline size_t dial_dual_row(const dial_dual_rows *rows, size_t i) {
    return rows->index ? rows->index[i] : i;
}

typedef struct dial_dual_warm {
    double c;          /* the knob C it was solved at */
    size_t n_problems; /* binary problems: one per weight row */
    size_t n_rows;     /* training rows */
    size_t width;      /* dual variables per row: 1 (SVM) or 2 (logistic) */
    double *alpha;     /* n_problems x n_rows x width */
    double *objective; /* n_problems: each problem's objective at the end */
    long passes;       /* passes over the rows spent making it, all problems */
} dial_dual_warm;

/* A solution with room for n_problems x n_rows x width variables, zeroed.
 * NULL when out of memory. */
dial_dual_warm *dial_dual_warm_new(const dial_ctx *ctx, size_t n_problems, size_t n_rows,
                                   size_t width);
/* Frees a solution (NULL is fine); the free_warm hook of both families. */
void dial_dual_warm_free(void *solution);
/* Whether from can start a fit of n_problems x n_rows x width variables
 * at C = c: the same shape and a C no larger. */
bool dial_dual_warm_fits(const dial_dual_warm *from, size_t n_problems, size_t n_rows, size_t width,
                         double c);

#endif
