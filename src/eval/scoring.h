/*
 * Scoring a model on rows, as cross-validation does it (internal to the
 * library: src/eval/cv.c and the tuner's objective, src/tune/, share it so
 * that `dial cv` with a trial's seed and knobs reproduces its score).
 * The public half, dial_metric_check, is in dial/eval.h.
 */
#ifndef DIAL_EVAL_SCORING_H
#define DIAL_EVAL_SCORING_H

#include "dial/eval.h"
#include "eval/silhouette.h"

/* The seed of split (or fold) `split`'s fit under a run seeded with seed:
 * each split draws from a stream of its own, offset so it does not
 * coincide with the splitter's repeat streams when both use one seed.
 * dial_cv_run and the tuner's folds draw the same seeds. */
uint64_t dial_eval_split_seed(uint64_t seed, size_t split);

/* Predicts the rows of test with model and scores them with metric:
 * against the test rows' targets (test->data->y), predicting probabilities
 * when the metric needs them; or, for a clustering metric, on the rows'
 * design matrix (dial_model_transform) and their predicted clusters, a
 * sample drawn from the context's seed. Errors: DIAL_ERR_ARGUMENT for a
 * supervised metric on data without a target, DIAL_ERR_NOMEM, and those
 * of dial_model_transform, dial_model_predict and dial_metric_score_rows. */
dial_status dial_eval_score_view(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                 dial_metric metric, double *score);

/* dial_eval_score_view, measuring silhouette through memo (NULL: none;
 * eval/silhouette.h): the tuner's trials share one per fold. The same
 * score either way. */
dial_status dial_eval_score_view_memo(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                      dial_metric metric, dial_silhouette_memo *memo,
                                      double *score);

#endif
