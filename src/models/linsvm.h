/*
 * The linear SVM on sparse rows (internal to src/models/linsvm*.c):
 * LIBLINEAR's dual coordinate descent with shrinking (Hsieh, Chang, Lin,
 * Keerthi and Sundararajan, "A dual coordinate descent method for
 * large-scale linear SVM", ICML 2008; LIBLINEAR's solve_l2r_l1l2_svc,
 * its -s 1 and -s 3), one class against the rest.
 */
#ifndef DIAL_LINSVM_H
#define DIAL_LINSVM_H

#include "dial/model.h"
#include "models/dual_warm.h"

typedef enum dial_linsvm_loss {
    DIAL_LINSVM_SQUARED_HINGE, /* L2-loss: LIBLINEAR's -s 1 */
    DIAL_LINSVM_HINGE,         /* L1-loss: LIBLINEAR's -s 3 */
} dial_linsvm_loss;

typedef struct dial_linsvm_settings {
    double c;
    dial_linsvm_loss loss;
    bool fit_intercept; /* LIBLINEAR's -B 1: a constant feature 1, penalised */
    double tol;         /* LIBLINEAR's eps: the projected gradient's spread */
    long max_iter;      /* passes over the rows, per binary problem */
} dial_linsvm_settings;

/* The knobs' settings (C, loss, fit_intercept, tol, max_iter). */
dial_linsvm_settings dial_linsvm_settings_of(const dial_knobs *knobs);

/* Fits the weights on x (n_rows x n_features compressed rows; classes y,
 * class indices as doubles, n_classes of them): coef gets rows x
 * n_features weights and intercept rows values, rows being 1 for two
 * classes (the score of the second) and n_classes otherwise (each class
 * against the rest). from (may be NULL) is a solution of the same rows at
 * a C no larger, to start from (dual_warm.h); when keep is not NULL it
 * receives a new solution (the caller frees it with dial_dual_warm_free).
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_linsvm_fit_dual(dial_ctx *ctx, const dial_csr *x, const double *y,
                                 size_t n_classes, const dial_linsvm_settings *settings,
                                 const dial_dual_warm *from, dial_dual_warm **keep, double *coef,
                                 double *intercept);
/* dial_linsvm_fit_dual on the rows x (dual_warm.h: x->n of them, of
 * x->x->n_cols features; y by row of x), as a tuner's fold is read in
 * place. */
dial_status dial_linsvm_fit_dual_rows(dial_ctx *ctx, const dial_dual_rows *x, const double *y,
                                      size_t n_classes, const dial_linsvm_settings *settings,
                                      const dial_dual_warm *from, dial_dual_warm **keep,
                                      double *coef, double *intercept);

/* The nonzeros of a dense n_rows x n_features matrix as compressed rows,
 * so the dual solver reads dense input row by row as it reads sparse.
 * Errors: DIAL_ERR_NOMEM (*out NULL). Free with dial_csr_free. */
dial_status dial_linsvm_csr_from_dense(dial_ctx *ctx, const double *x, size_t n_rows,
                                       size_t n_features, dial_csr **out);

/* The class of each row of in (value, n_rows entries) from the weights
 * (rows x in->n_features) and intercepts: the largest score, or for one
 * row of weights (two classes) the second class when the score is
 * positive. Reads sparse or dense rows: row i is row index[i] of them
 * (index NULL: row i), as a tuner's fold reads the data in place. */
void dial_linsvm_predict_rows(const dial_fit_input *in, const size_t *index, const double *coef,
                              const double *intercept, size_t rows, double *value);

/* The family's tuning hooks (src/models/linsvm_tuning.c): prepared folds
 * and warm starts along C. */
extern const struct dial_family_tuning dial_linsvm_tuning;

#endif
