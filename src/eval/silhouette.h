/*
 * The silhouette of a clustering (internal to src/eval: metrics.c
 * dispatches dial_metric_score_rows here; the contract is that of
 * DIAL_METRIC_SILHOUETTE in dial/eval.h).
 */
#ifndef DIAL_EVAL_SILHOUETTE_H
#define DIAL_EVAL_SILHOUETTE_H

#include "dial/eval.h"

/* The mean silhouette of rows->n rows of rows->x under the cluster labels
 * rows->y_pred, on a seeded sample above rows->max_rows rows. Errors: those
 * dial_metric_score_rows lists for silhouette, DIAL_ERR_NOMEM. */
dial_status dial_eval_silhouette(dial_ctx *ctx, const dial_metric_rows *rows, double *score);

#endif
