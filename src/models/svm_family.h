/*
 * What the parts of the svm family share (internal to src/models/svm*.c).
 *
 * The family is split by what each part does:
 *   svm.c          the knob table, the learned tensors' docs, fit and
 *                  predict as the family table sees them, validate, the
 *                  prepared folds of tuning, and dial_model_svm itself
 *   svm_pairs.c    the C-SVC fit: one two-class dual per pair of classes,
 *                  solved on the thread budget, with Platt's folds
 *   svm_regress.c  the epsilon-SVR fit: one dual of 2 l variables
 *   svm_predict.c  reading a fitted model's tensors and scoring rows
 *   svm_sparse.c   what compressed rows (sparse input) change: gamma,
 *                  the support vectors kept compressed, their scoring
 *   svm_kernel.c, svm_kernel_sparse.c, svm_solver.c, svm_platt.c,
 *   svm_warm.c     the kernel values (dense and compressed rows) and their
 *                  cache, SMO, the sigmoids, warm starts
 * This header holds what crosses those files: the settings a fit runs
 * with, the two fits, the tensors' shared helpers and the model read back
 * for prediction.
 */
#ifndef DIAL_SVM_FAMILY_H
#define DIAL_SVM_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial/model.h"
#include "models/svm_kernel.h"
#include "models/svm_warm.h"

/* Rows whose kernel values are computed together (decision values of a
 * Platt fold, and prediction). */
#define SVM_QUERY_ROWS 8

/* The knobs of a fit, resolved for its training matrix (gamma=scale
 * computed on it, probability only for classification). */
typedef struct dial_svm_settings {
    const dial_ctx *ctx; /* of the fit: whose allocation hook its solves ask */
    dial_svm_kernel kernel;
    double c, epsilon, tol;
    bool balanced, shrinking, probability;
    size_t cache_bytes;
    long max_iter;
} dial_svm_settings;

/* The kernel of the knobs, gamma aside (it may depend on the data). */
dial_svm_kernel dial_svm_kernel_of(const dial_knobs *knobs);

/* Adds a float64 or int64 tensor of rows (ndim 1) or rows x cols (ndim 2)
 * to learned, its data zeroed in *data (owned by learned). Errors: as
 * dial_tensors_add. */
dial_status dial_svm_tensor_add(dial_ctx *ctx, dial_tensors *learned, const char *name,
                                dial_dtype dtype, int ndim, size_t rows, size_t cols, void **data);

/* A solution of n_parts parts to start the next C from (see svm_warm.h),
 * marked with st's C, epsilon, tol and weighting; NULL (and the context's
 * message set) when out of memory. Freed by dial_svm_warm_free. */
dial_svm_warm *dial_svm_warm_of(dial_ctx *ctx, const dial_svm_settings *st, size_t n_parts);

/* The C-SVC fit of in (classification, classes 0..n_classes-1 checked by
 * the caller), its tensors added to learned. gram: the kernel of in's rows
 * (NULL: computed); from: the solution of a smaller C to start from (NULL:
 * cold); to (may be NULL): receives this fit's solution, owned by the
 * caller. Errors: DIAL_ERR_NOMEM. */
dial_status dial_svm_fit_classifier(dial_ctx *ctx, const dial_svm_settings *st,
                                    const dial_fit_input *in, const dial_svm_gram *gram,
                                    const dial_svm_warm *from, dial_svm_warm **to,
                                    dial_tensors *learned);

/* The epsilon-SVR fit of in (finite targets checked by the caller); the
 * arguments as dial_svm_fit_classifier's. Errors: DIAL_ERR_NOMEM. */
dial_status dial_svm_fit_regressor(dial_ctx *ctx, const dial_svm_settings *st,
                                   const dial_fit_input *in, const dial_svm_gram *gram,
                                   const dial_svm_warm *from, dial_svm_warm **to,
                                   dial_tensors *learned);

/* A fitted model as prediction reads it: views into the learned tensors,
 * plus the class boundaries and the vectors' layout it computes. */
typedef struct dial_svm_model {
    dial_svm_kernel kernel;
    size_t n_classes, n_pairs, n_sv, d;
    bool regression;
    const double *sv, *coef, *intercept, *prob_a, *prob_b;
    /* compressed support vectors (svm_sparse.c), sv NULL; else NULL */
    const int64_t *sv_start, *sv_column;
    const double *sv_value;
    size_t *first; /* n_classes + 1: each class's first support vector */
    double *sv_norms;
    double *svt; /* the support vectors kept by columns (d x n_sv) */
} dial_svm_model;

/* Reads and checks the tensors into m (free it with dial_svm_model_free,
 * also after an error); want_proba: probA and probB are needed;
 * with_vectors: also lays the support vectors out for computing kernel
 * values. Errors: DIAL_ERR_FORMAT (a tensor missing, misshapen or
 * inconsistent), DIAL_ERR_UNSUPPORTED (probabilities without
 * probability=true), DIAL_ERR_NOMEM. */
dial_status dial_svm_model_read(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, bool want_proba, bool with_vectors,
                                dial_svm_model *m);

/* Frees what dial_svm_model_read allocated (not the tensors); harmless
 * twice. */
void dial_svm_model_free(dial_svm_model *m);

/* Predicts the rows of in into out from the model's tensors (a prepared
 * fold's trial too). Errors: those of dial_svm_model_read, DIAL_ERR_NOMEM. */
dial_status dial_svm_predict_with(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out);

/* ---- compressed rows (svm_sparse.c) ------------------------------------- */

/* gamma=scale of the n_rows x n_features matrix a: as for a dense one,
 * every zero counted. */
double dial_svm_gamma_scale_sparse(const dial_csr *a, size_t n_features);

/* Adds the support vectors, the training rows support[0 .. n_sv - 1] of
 * in, to learned: support_vectors (n_sv x n_features) for dense input, the
 * three compressed tensors for sparse input. Errors: as dial_tensors_add. */
dial_status dial_svm_vectors_add(dial_ctx *ctx, dial_tensors *learned, const dial_fit_input *in,
                                 const int64_t *support, size_t n_sv);

/* Whether learned keeps its support vectors compressed. */
bool dial_svm_has_sparse_vectors(const dial_tensors *learned);

/* Reads and checks the compressed support vectors into m (n_sv, sv_start,
 * sv_column, sv_value; m->d set). Errors: DIAL_ERR_FORMAT naming the
 * tensor and what is wrong with it. */
dial_status dial_svm_sparse_vectors_read(dial_ctx *ctx, const dial_tensors *learned,
                                         dial_svm_model *m);

/* Squared norm of each of m's compressed support vectors into norms. */
void dial_svm_sparse_vector_norms(const dial_svm_model *m, double *norms);

/* K(sv_v, query) for every compressed support vector of m (m->sv_norms
 * set) into out (n_sv); query is dense (m->d entries), its squared norm
 * query_norm. */
void dial_svm_sparse_kernel_row(const dial_svm_model *m, const double *query, double query_norm,
                                double *out);

/* Decision values of the rows `test` of a under the C-SVC (rows, y,
 * alpha, rho) of a Platt fold: sum y_i alpha_i K(x_i, x) - rho. Errors:
 * DIAL_ERR_NOMEM (no message set: the caller's says which solve). */
dial_status dial_svm_sparse_decisions(const dial_svm_settings *st, const dial_csr *a,
                                      const size_t *rows, const signed char *y, const double *alpha,
                                      size_t l, double rho, const size_t *test, size_t n_test,
                                      double *dec);

#endif
