/*
 * Logistic regression on sparse rows: LIBLINEAR's dual coordinate descent,
 * one class against the rest (src/models/logistic_dual.c). Internal to the
 * logistic family (src/models/logistic.c), which keeps its dense solver for
 * dense rows.
 */
#ifndef DIAL_LOGISTIC_DUAL_H
#define DIAL_LOGISTIC_DUAL_H

#include "dial/model.h"
#include "models/dual_warm.h"

/* Fits the L2-penalised weights on in->n_rows rows of in->sparse: rows
 * index[0 .. in->n_rows - 1] of it, or its first in->n_rows when index is
 * NULL (dual_warm.h's dial_dual_rows), classes in in->y, by row of the
 * fit: coef gets rows x n_features weights and intercept
 * rows values, rows being 1 for two classes (the score of the second) and
 * n_classes otherwise (each class against the rest). c is the knob C,
 * row_weight each row's class weight; with fit_intercept the intercept is
 * the weight of a constant feature 1, penalised (LIBLINEAR's -B 1).
 * from (may be NULL) is a solution on the same rows and row weights at a
 * C no larger, to start from (dual_warm.h); when keep is not NULL it
 * receives a new solution (freed with dial_dual_warm_free).
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_logistic_fit_dual(dial_ctx *ctx, const dial_fit_input *in, const size_t *index,
                                   double c, const double *row_weight, bool fit_intercept,
                                   const dial_dual_warm *from, dial_dual_warm **keep, double *coef,
                                   double *intercept);

/* The fit of the logistic family on sparse input (in->sparse): the
 * tensors "coef" and "intercept" of the dense fit, from
 * dial_logistic_fit_dual with the knobs' C, class weights and intercept.
 * Errors: DIAL_ERR_UNSUPPORTED for a penalty other than l2, NOMEM. */
dial_status dial_logistic_fit_sparse(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_fit_input *in, dial_tensors *learned);

/* Each row's class weight: 1, or n / (n_classes x count of its class) when
 * balanced (src/models/logistic.c). malloc'ed; NULL when out of memory. */
double *dial_logistic_row_weights(const dial_ctx *ctx, const dial_fit_input *in, bool balanced);

/* Predicts the rows of x (dual_warm.h) as logistic_predict does dense ones: the class of
 * the largest score, probabilities from the sigmoid (two classes) or the
 * softmax of the scores. Errors: DIAL_ERR_NOMEM. */
dial_status dial_logistic_score_sparse(dial_ctx *ctx, const dial_dual_rows *x, const double *coef,
                                       const double *intercept, size_t p, size_t rows,
                                       dial_predict_output *out);

/* The family's tuning hooks (src/models/logistic_tuning.c): on sparse
 * data, prepared folds and warm starts along C. */
extern const struct dial_family_tuning dial_logistic_tuning;

#endif
