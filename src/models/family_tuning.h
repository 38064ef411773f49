/*
 * The tuning hooks of a model family: what the tuner's objective
 * (src/tune/objective*.c) calls to share work between trials. Internal to
 * the library: a family file fills a dial_family_tuning and points its
 * dial_model_family.tuning at it; the tuner reads it; nothing outside
 * src/ sees it, so the hooks may change without an ABI change.
 *
 * Families that set it: gbdt (bins; path along n_estimators), knn
 * (neighbour lists), mlp (path along epochs), svm (kernel; warm starts
 * along C), linsvm and logistic on sparse data (warm starts along C).
 */
#ifndef DIAL_FAMILY_TUNING_H
#define DIAL_FAMILY_TUNING_H

#include "dial/model.h"

typedef struct dial_family_tuning {
    /* Required: "prepare once, fit many" (DESIGN.md). Work on
     * one cross-validation fold that depends only on the data and on the
     * knobs named in prepare_knobs (NULL-terminated) is done once by
     * prepare_fold and shared by every trial that agrees on those knobs
     * (and on impute and scale, which the caller handles). knobs_max holds,
     * for each searched knob, the largest value the search may ask for (so
     * kNN can find the neighbours of the largest k once). predict_fold then
     * predicts the fold's test rows for one trial's knobs from the fold
     * state alone; it may run on several threads at once, so it must not
     * change the state. A family without such a path leaves
     * dial_model_family.tuning NULL; the tuner then fits and predicts every
     * trial in full. The
     * tuner keeps train and test (their x and y) alive until free_fold, so
     * the state may borrow them. predict_fold fails with
     * DIAL_ERR_UNSUPPORTED for knobs the state cannot answer (beyond
     * knobs_max), and the tuner then fits that fold in full; so it does
     * when prepare_fold fails. */
    const char *const *prepare_knobs;
    dial_status (*prepare_fold)(dial_ctx *ctx, const dial_knobs *knobs, const dial_knobs *knobs_max,
                                const dial_fit_input *train, const dial_fit_input *test,
                                void **fold_state);
    dial_status (*predict_fold)(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                dial_predict_output *out);
    void (*free_fold)(void *fold_state);
    /* Optional, with prepare_fold: the same, made in the memory of spare,
     * a state of the same fold for other prepare_knobs that no trial needs
     * any more (the least recently used of the tuner's). It takes spare
     * over, whatever it returns: keeps what it can write anew, frees the
     * rest. A fresh block of hundreds of MiB costs its page faults and
     * their zeroing: a fifth of an svm trial on satimage that makes its
     * kernels. */
    dial_status (*prepare_fold_reusing)(dial_ctx *ctx, const dial_knobs *knobs,
                                        const dial_knobs *knobs_max, const dial_fit_input *train,
                                        const dial_fit_input *test, void *spare, void **fold_state);

    /* Optional, with prepare_fold: the fold read in place. When the data
     * is sparse and the fold's input would be its compressed rows as they
     * are (no scaling; each feature its own column), the tuner calls this
     * in place of prepare_fold, so the fold holds no copy of its rows:
     * train->sparse and test->sparse are then the data's compressed rows,
     * all of them, and the fold's are train_rows[0 .. train->n_rows - 1]
     * and test_rows[0 .. test->n_rows - 1] of them (train->y, by fold row,
     * is the fold's own). The tuner keeps both row lists alive until
     * free_fold. The state answers the same hooks as prepare_fold's, with
     * the same predictions. */
    dial_status (*prepare_fold_rows)(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_knobs *knobs_max, const dial_fit_input *train,
                                     const size_t *train_rows, const dial_fit_input *test,
                                     const size_t *test_rows, void **fold_state);

    /* Optional, with prepare_fold: a path along one knob (gbdt's
     * n_estimators, mlp's epochs), where the model after m steps of a fit
     * with path_knob = N is, bit for bit, the model fitted with
     * path_knob = m and the same other knobs. predict_fold_path fits once
     * with knobs (whose path_knob is steps[n_steps - 1]) and calls
     * on_step(user, s, out) with the fold's test predictions after
     * steps[s], for s = 0 .. n_steps - 1 in order (steps ascending, each
     * >= 1); out's buffers are the family's, valid during the call, and
     * out->proba is filled only when want_proba (in classification), so a
     * search scored on accuracy does not pay for probabilities at every
     * step. A
     * status other than DIAL_OK from on_step stops the fit and is
     * returned. DIAL_ERR_UNSUPPORTED when these knobs break the path (a
     * schedule that depends on the total): the tuner then calls
     * predict_fold. Like predict_fold, it only reads the fold state. */
    const char *path_knob;
    dial_status (*predict_fold_path)(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                     const size_t *steps, size_t n_steps, bool want_proba,
                                     dial_status (*on_step)(void *user, size_t s,
                                                            const dial_predict_output *out),
                                     void *user);

    /* Optional, with prepare_fold: warm starts along warm_knob (svm's C).
     * predict_fold_warm predicts like predict_fold but starts its solver
     * from warm: a solution it returned for the same fold state and the
     * same knobs except a smaller warm_knob (NULL: a cold start, which
     * must give predict_fold's predictions exactly). It returns its own
     * solution in *solution (NULL when it keeps none), freed with
     * free_warm. The tuner chains solutions along the increasing values a
     * grid asks for, always from the same predecessor, so a trial's score
     * does not depend on which trials ran before it. Only reads the fold
     * state. DIAL_ERR_UNSUPPORTED: the tuner calls predict_fold. */
    const char *warm_knob;
    dial_status (*predict_fold_warm)(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                     const void *warm, void **solution, dial_predict_output *out);
    void (*free_warm)(void *solution);

    /* The hooks serve sparse data only (logistic, whose dense solver has
     * no prepared path): on dense data the tuner fits every trial in
     * full, as for a family without hooks. */
    bool sparse_only;
} dial_family_tuning;

#endif
