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

/* The distances of one set of rows, kept between scores: a search whose
 * trials cluster the same rows (one fold's test rows) again and again
 * measures their distances once. It holds the distances of the first rows
 * scored through it (at most max_bytes of them) and serves only rows
 * identical to those; other rows are scored as without it. Shared by
 * threads: its own lock guards it. */
typedef struct dial_silhouette_memo dial_silhouette_memo;

/* NULL when out of memory. */
dial_silhouette_memo *dial_silhouette_memo_create(dial_ctx *ctx, size_t max_bytes);
void dial_silhouette_memo_free(dial_silhouette_memo *memo);

/* dial_eval_silhouette through memo (NULL: none), with the same score to
 * the last bit. */
dial_status dial_eval_silhouette_memo(dial_ctx *ctx, const dial_metric_rows *rows,
                                      dial_silhouette_memo *memo, double *score);

#endif
