/*
 * The pieces of the gbdt family that its files share (internal to
 * src/models/gbdt*.c): the knobs read into parameters, the checks of the
 * training rows, scores turned into predictions, and the family's slots
 * that live outside gbdt.c.
 */
#ifndef DIAL_GBDT_FAMILY_H
#define DIAL_GBDT_FAMILY_H

#include <math.h>

#include "dial/model.h"
#include "models/gbdt_boost.h"
#include "models/gbdt_category.h"
#include "models/gbdt_loss.h"

/* The loss the knob 'loss' names for this task (auto resolved), or
 * DIAL_ERR_KNOB / DIAL_ERR_ARGUMENT with a message when it does not fit. */
dial_status dial_gbdt_resolve_loss(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
                                   size_t n_classes, dial_gbdt_loss *loss);
/* Every knob read into *p (loss, tree shape, sampling, seed, threads);
 * DIAL_ERR_KNOB when they do not fit together. */
dial_status dial_gbdt_resolve(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
                              size_t n_classes, dial_gbdt_params *p);
/* Whether knob 'categorical' is native (its default; true when absent). */
bool dial_gbdt_native(const dial_knobs *knobs);
/* DIAL_ERR_DATA unless there are rows (fewer than UINT32_MAX) and every
 * target is a class index or a finite number. */
dial_status dial_gbdt_check_train(dial_ctx *ctx, const dial_fit_input *in);

/* Adds a fitted forest's tensors to learned (what the fit keeps), its
 * nodes naming inputs (units->column) rather than the units boosting
 * split; bins are those it was boosted on (gbdt.c; gbdt_fold.c makes the
 * same model of a sparse fold). Errors: DIAL_ERR_NOMEM. */
dial_status dial_gbdt_add_tensors(dial_ctx *ctx, const dial_gbdt_forest *forest,
                                  const dial_gbdt_bins *bins, const dial_gbdt_units *units,
                                  dial_tensors *learned);

/* ---- turning scores into predictions ---------------------------------------------------- */

/* Writes row i's prediction from its scores (one per tree of a round). */
static inline void dial_gbdt_emit(dial_gbdt_loss loss, size_t n_scores, const double *score,
                                  size_t i, dial_predict_output *out) {
    if (loss == DIAL_GBDT_LOGISTIC) {
        double s = score[0], e = exp(-fabs(s));
        double p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        out->value[i] = s > 0 ? 1.0 : 0.0;
        if (out->proba) {
            out->proba[2 * i] = 1 - p;
            out->proba[2 * i + 1] = p;
        }
        return;
    }
    if (loss != DIAL_GBDT_SOFTMAX) {
        out->value[i] = score[0];
        return;
    }
    size_t top = 0; /* a tie goes to the smaller class index */
    for (size_t k = 1; k < n_scores; k++)
        if (score[k] > score[top]) top = k;
    out->value[i] = (double)top;
    if (!out->proba) return;
    double *proba = out->proba + i * n_scores, sum = 0;
    for (size_t k = 0; k < n_scores; k++) sum += proba[k] = exp(score[k] - score[top]);
    for (size_t k = 0; k < n_scores; k++) proba[k] /= sum;
}

/* The family's predict, validate and trees slots (gbdt_predict.c). */
dial_status dial_gbdt_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                              const dial_fit_input *in, dial_predict_output *out);
dial_status dial_gbdt_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in);
/* The family's trees slot (gbdt_predict.c), as dial_model_family says. */
dial_status dial_gbdt_trees(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                            const dial_fit_input *in, size_t index, size_t *n_trees,
                            dial_tree *out);

/* The family's prepare-once slots (gbdt_fold.c); their contracts are
 * those of dial_model_family. */
extern const char *const dial_gbdt_prepare_knobs[];
dial_status dial_gbdt_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_knobs *knobs_max, const dial_fit_input *train,
                                   const dial_fit_input *test, void **fold_state);
dial_status dial_gbdt_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                   dial_predict_output *out);
dial_status dial_gbdt_predict_fold_path(
    dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state, const size_t *steps,
    size_t n_steps, bool want_proba,
    dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out), void *user);
void dial_gbdt_free_fold(void *fold_state);

#endif
