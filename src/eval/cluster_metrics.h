/*
 * The clustering metrics besides the silhouette (internal to src/eval:
 * metrics.c dispatches dial_metric_score_rows here; the contracts are
 * those of the metrics in dial/eval.h). Each follows scikit-learn 1.2's
 * function of the same name, so figures compare with it directly.
 */
#ifndef DIAL_EVAL_CLUSTER_METRICS_H
#define DIAL_EVAL_CLUSTER_METRICS_H

#include "dial/eval.h"

/* Davies-Bouldin, Calinski-Harabasz or inertia of rows->x under the
 * clusters rows->y_pred. Errors: those dial_metric_score_rows lists for
 * them, DIAL_ERR_NOMEM. */
dial_status dial_eval_cluster_dispersion(dial_ctx *ctx, dial_metric metric,
                                         const dial_metric_rows *rows, double *score);

/* Adjusted Rand index or normalised mutual information between the
 * clusters rows->y_pred and the labels rows->y_true. Errors: those
 * dial_metric_score_rows lists for them, DIAL_ERR_NOMEM. */
dial_status dial_eval_cluster_agreement(dial_ctx *ctx, dial_metric metric,
                                        const dial_metric_rows *rows, double *score);

/* BIC or AIC of the rows' log-likelihoods rows->log_likelihood under a
 * model with rows->n_parameters free parameters. Errors: those
 * dial_metric_score_rows lists for them. */
dial_status dial_eval_cluster_likelihood(dial_ctx *ctx, dial_metric metric,
                                         const dial_metric_rows *rows, double *score);

/* Numbers the distinct values of labels[0..n) 0 .. *k-1 in ascending
 * order (scikit-learn's LabelEncoder) into codes (n, the caller's).
 * what names the labels in messages ("y_pred"). Errors: DIAL_ERR_ARGUMENT
 * for a value that is not an integer >= -1 (naming the row; -1 is noise,
 * a group like the others), DIAL_ERR_NOMEM. */
dial_status dial_eval_cluster_codes(dial_ctx *ctx, const char *metric, const char *what,
                                    const double *labels, size_t n, size_t *codes, size_t *k);

#endif
