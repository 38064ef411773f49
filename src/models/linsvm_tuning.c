/*
 * linsvm's tuning hooks (family_tuning.h): a prepared fold keeps its
 * training rows as compressed rows (dense ones read into them once, not
 * per trial), and a trial along C starts the dual from the solution of the
 * grid's previous, smaller C on the same fold (dual_warm.h), which the
 * tuner chains (svm's warm starts, for the linear dual). A fold of sparse
 * rows as they are in the data is read in place (prepare_fold_rows): the
 * fold keeps the row indices, not a copy of the rows.
 */
#include <stdlib.h>

#include "core/alloc.h"
#include "models/family_tuning.h"
#include "models/linsvm.h"

typedef struct linsvm_fold {
    dial_fit_input train, test;           /* borrowed: the tuner keeps them */
    const size_t *train_rows, *test_rows; /* rows of train.sparse, test's rows; NULL: all */
    dial_csr *dense_rows;                 /* the training rows made compressed, when dense */
} linsvm_fold;

static void linsvm_free_fold(void *state) {
    linsvm_fold *fold = state;
    if (!fold) return;
    dial_csr_free(fold->dense_rows);
    free(fold);
}

static dial_status linsvm_prepare_fold_rows(dial_ctx *ctx, const dial_knobs *knobs,
                                            const dial_knobs *knobs_max,
                                            const dial_fit_input *train, const size_t *train_rows,
                                            const dial_fit_input *test, const size_t *test_rows,
                                            void **fold_state) {
    (void)knobs;
    (void)knobs_max;
    *fold_state = NULL;
    /* Anything the full fit would refuse is left to it, for its message. */
    if (train->n_classes < 2 || train->n_rows == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "linsvm needs two classes to prepare a fold");
    linsvm_fold *fold = dial_calloc(ctx, 1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory preparing a linsvm fold");
    fold->train = *train;
    fold->test = *test;
    fold->train_rows = train_rows;
    fold->test_rows = test_rows;
    if (!train->sparse) {
        dial_status status = dial_linsvm_csr_from_dense(ctx, train->x, train->n_rows,
                                                        train->n_features, &fold->dense_rows);
        if (status != DIAL_OK) {
            free(fold);
            return status;
        }
    }
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status linsvm_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                       const dial_knobs *knobs_max, const dial_fit_input *train,
                                       const dial_fit_input *test, void **fold_state) {
    return linsvm_prepare_fold_rows(ctx, knobs, knobs_max, train, NULL, test, NULL, fold_state);
}

static dial_status linsvm_predict_fold_warm(dial_ctx *ctx, const dial_knobs *knobs,
                                            const void *state, const void *warm, void **solution,
                                            dial_predict_output *out) {
    const linsvm_fold *fold = state;
    if (solution) *solution = NULL;
    if (out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "linsvm gives no class probabilities");
    size_t n_classes = fold->train.n_classes, p = fold->train.n_features;
    size_t rows = n_classes == 2 ? 1 : n_classes;
    double *coef = dial_malloc_array(ctx, rows * (p ? p : 1), sizeof *coef);
    double *intercept = dial_malloc_array(ctx, rows, sizeof *intercept);
    if (!coef || !intercept) {
        free(coef);
        free(intercept);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting linsvm on a fold");
    }
    dial_linsvm_settings settings = dial_linsvm_settings_of(knobs);
    dial_dual_warm *kept = NULL;
    dial_dual_rows train = {fold->train.sparse ? fold->train.sparse : fold->dense_rows,
                            fold->train_rows, fold->train.n_rows};
    dial_status status = dial_linsvm_fit_dual_rows(ctx, &train, fold->train.y, n_classes, &settings,
                                                   warm, solution ? &kept : NULL, coef, intercept);
    if (status == DIAL_OK)
        dial_linsvm_predict_rows(&fold->test, fold->test_rows, coef, intercept, rows, out->value);
    if (status == DIAL_OK && solution)
        *solution = kept;
    else
        dial_dual_warm_free(kept);
    free(coef);
    free(intercept);
    return status;
}

static dial_status linsvm_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                       dial_predict_output *out) {
    return linsvm_predict_fold_warm(ctx, knobs, state, NULL, NULL, out);
}

const dial_family_tuning dial_linsvm_tuning = {
    .prepare_knobs = NULL,
    .prepare_fold = linsvm_prepare_fold,
    .predict_fold = linsvm_predict_fold,
    .free_fold = linsvm_free_fold,
    .prepare_fold_rows = linsvm_prepare_fold_rows,
    .warm_knob = "C",
    .predict_fold_warm = linsvm_predict_fold_warm,
    .free_warm = dial_dual_warm_free,
};
