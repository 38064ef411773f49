/*
 * Linear regression on sparse rows (src/models/linear_sparse.c): the
 * elastic net of src/models/linear.c fitted from compressed rows, never
 * made dense and with no p x p Gram matrix. Internal to the linear family,
 * which keeps its Gram-matrix solvers for dense rows.
 */
#ifndef DIAL_LINEAR_SPARSE_H
#define DIAL_LINEAR_SPARSE_H

#include <stdbool.h>

#include "dial/model.h"

/* The knobs of the fit, read once by linear.c. */
typedef struct dial_linear_settings {
    double alpha, l1_ratio;
    bool fit_intercept;
    double tol;
    long max_iter;
} dial_linear_settings;

/* Fits the elastic net on the first in->n_rows rows of in->sparse (whose
 * columns are in->n_features), targets in->y: coef gets n_features
 * weights (caller's, zeroed or not) and *intercept the constant term, the
 * minimiser of the objective linear.c states, as the dense fit. Errors:
 * DIAL_ERR_ARGUMENT when the rows do not match in's shape, NOMEM. */
dial_status dial_linear_fit_sparse(dial_ctx *ctx, const dial_fit_input *in,
                                   const dial_linear_settings *settings, double *coef,
                                   double *intercept);

/* value[i] = intercept + the dot product of row i of x with coef, for the
 * first n rows of x; an entry in a column at or past p (coef's length)
 * adds nothing. */
void dial_linear_score_sparse(const dial_csr *x, size_t n, const double *coef, size_t p,
                              double intercept, double *value);

#endif
