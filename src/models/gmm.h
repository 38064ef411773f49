/*
 * Gaussian mixtures (internal to src/models/gmm*.c; the family's map is at
 * the top of gmm.c): the parameters of a mixture, one EM step of each
 * kind, and the log-likelihood of rows, as scikit-learn 1.2's
 * GaussianMixture computes them.
 */
#ifndef DIAL_GMM_H
#define DIAL_GMM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/team.h"
#include "dial/model.h"

typedef enum gmm_covariance {
    GMM_FULL,      /* one d x d matrix per component */
    GMM_TIED,      /* one d x d matrix for all */
    GMM_DIAG,      /* d variances per component */
    GMM_SPHERICAL, /* one variance per component */
} gmm_covariance;

/* A mixture of k components over d inputs. The sizes of covariances and
 * precisions_cholesky follow the type (gmm_covariance_size). */
typedef struct gmm_mixture {
    size_t k, d;
    gmm_covariance type;
    double *weights;             /* k, summing to 1 */
    double *means;               /* k x d */
    double *covariances;         /* see gmm_covariance */
    double *precisions_cholesky; /* the same shape: an upper triangular U per matrix with
                                  * U U^T the precision (full, tied); 1 / sqrt(variance)
                                  * (diag, spherical) */
} gmm_mixture;

/* Values in one covariance (or precision) tensor of the type. */
size_t gmm_covariance_size(gmm_covariance type, size_t k, size_t d);

/* The precisions' Cholesky factors of m->covariances (scikit-learn's
 * _compute_precision_cholesky). Fails with DIAL_ERR_NUMERIC when a
 * covariance is not positive definite (a component collapsed on too few
 * rows), naming the component and the fix (reg_covar). */
dial_status dial_gmm_precisions(dial_ctx *ctx, gmm_mixture *m);

/* Weights, means and covariances from responsibilities resp (n x k), with
 * reg_covar added to the variances (scikit-learn's
 * _estimate_gaussian_parameters; weights normalised to sum to 1), then the
 * precisions, the components on team's workers (NULL: the caller alone;
 * the same result on any). Errors as dial_gmm_precisions,
 * DIAL_ERR_NOMEM. */
dial_status dial_gmm_maximize(dial_ctx *ctx, dial_team *team, const double *x, size_t n,
                              const double *resp, double reg_covar, gmm_mixture *m);

/* log(weight_c) + log N(x_i; mean_c, cov_c) of every row and component
 * into out (n x k), on team's workers (NULL: on the context's thread
 * budget); each row's figures are the same on any. */
dial_status dial_gmm_weighted_log_prob(dial_ctx *ctx, dial_team *team, const gmm_mixture *m,
                                       const double *x, size_t n, double *out);

/* Turns weighted log probabilities (n x k) into log responsibilities in
 * place and returns the mean over rows of their log-sum-exp: the mean
 * log-likelihood. */
double gmm_normalize(double *log_prob, size_t n, size_t k);

/* Rows per item of the E step's work on a team: fixed, so that the sums
 * kept per item and added in item order do not depend on the threads. */
#define GMM_ITEM_ROWS 2048

/* The E step's end: gmm_normalize on team's workers, with the
 * responsibilities exp(log_resp) into resp (n x k) and the mean
 * log-likelihood into *mean_log_likelihood (summed per item, then in item
 * order). Errors: DIAL_ERR_NOMEM. */
dial_status dial_gmm_expect(dial_ctx *ctx, dial_team *team, double *log_resp, double *resp,
                            size_t n, size_t k, double *mean_log_likelihood);

/* The fit of the gmm family from given weights (k), means (k x d) and
 * covariances (the covariance knob's shape), one run whatever n_init says:
 * how a test compares EM with another implementation's from the same
 * start. Adds the family's tensors; errors as the family's fit. */
dial_status dial_gmm_fit_from(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              const double *weights, const double *means, const double *covariances,
                              dial_tensors *learned);

#endif
