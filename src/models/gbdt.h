/*
 * Histogram gradient boosting, the family dial_model_gbdt, and its staged
 * predictions (internal).
 *
 * One fit with n_estimators = N answers every smaller n_estimators: the
 * prediction after m rounds of a forest of N rounds is the prediction of a
 * forest fitted with n_estimators = m (same seed and other knobs), since
 * round m never depends on later rounds. The tuner takes that path through
 * the family's predict_fold_path (path_knob "n_estimators"), which streams
 * the test rows' predictions round by round. Early stopping breaks it:
 * the kept rounds are those up to the best of all the rounds run, so the
 * path refuses it (DIAL_ERR_UNSUPPORTED).
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

#endif
