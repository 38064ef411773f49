/*
 * Histogram gradient boosting, the family dial_model_gbdt: its staged
 * predictions, for the tuner (internal).
 *
 * One fit with n_estimators = N answers every smaller n_estimators: the
 * prediction after m rounds of a forest of N rounds is the prediction of a
 * forest fitted with n_estimators = m (same seed and other knobs), since
 * round m never depends on later rounds. (With early stopping the forest
 * may stop early; later stages then repeat its last round.)
 */
#ifndef DIAL_GBDT_H
#define DIAL_GBDT_H

#include "dial/model.h"

extern const dial_model_family dial_model_gbdt;

/* Predicts the rows of in from a fitted model's tensors after each of
 * rounds[0 .. n_stages) rounds (ascending, each >= 1), in one pass over the
 * trees: outs[s] receives the prediction after rounds[s] rounds (value,
 * and proba when not NULL), like the family's predict. A stage beyond the
 * forest's rounds gets the whole forest's prediction. Errors:
 * DIAL_ERR_ARGUMENT (stages not ascending or 0), DIAL_ERR_FORMAT (tensors
 * that are not a valid forest), DIAL_ERR_NOMEM. */
dial_status dial_gbdt_predict_staged(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_tensors *learned, const dial_fit_input *in,
                                     const size_t *rounds, size_t n_stages,
                                     dial_predict_output *outs);

/* The same for the test rows of a fold made by the family's prepare_fold:
 * one fit with the knobs (whose n_estimators should be the largest stage),
 * then the test rows' predictions after each stage. The fold state is only
 * read. */
dial_status dial_gbdt_fold_staged(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                  const size_t *rounds, size_t n_stages, dial_predict_output *outs);

#endif
