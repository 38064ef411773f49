/*
 * logistic's tuning hooks (family_tuning.h), on sparse data only: a trial
 * along C starts LIBLINEAR's dual from the solution of the grid's
 * previous, smaller C on the same fold (dual_warm.h), as liblinear-train
 * -C does its search, and the tuner chains them (svm's warm starts, for
 * the linear dual). The dense solver (L-BFGS) has no such path: the tuner
 * fits dense data in full (sparse_only). A fold of the data's rows as
 * they are is read in place (prepare_fold_rows): the fold keeps the row
 * indices, not a copy of the rows.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/family_tuning.h"
#include "models/logistic_dual.h"

typedef struct logistic_fold {
    dial_fit_input train, test;           /* borrowed: the tuner keeps them */
    const size_t *train_rows, *test_rows; /* rows of train.sparse, test.sparse; NULL: all */
} logistic_fold;

static void logistic_free_fold(void *state) { free(state); }

static dial_status logistic_prepare_fold_rows(dial_ctx *ctx, const dial_knobs *knobs,
                                              const dial_knobs *knobs_max,
                                              const dial_fit_input *train, const size_t *train_rows,
                                              const dial_fit_input *test, const size_t *test_rows,
                                              void **fold_state) {
    (void)knobs;
    (void)knobs_max;
    *fold_state = NULL;
    /* Anything the full fit would refuse is left to it, for its message. */
    if (!train->sparse || !test->sparse || train->n_classes < 2 || train->n_rows == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "logistic prepares sparse folds only");
    logistic_fold *fold = dial_calloc(ctx, 1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory preparing a logistic fold");
    fold->train = *train;
    fold->test = *test;
    fold->train_rows = train_rows;
    fold->test_rows = test_rows;
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status logistic_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                         const dial_knobs *knobs_max, const dial_fit_input *train,
                                         const dial_fit_input *test, void **fold_state) {
    return logistic_prepare_fold_rows(ctx, knobs, knobs_max, train, NULL, test, NULL, fold_state);
}

static dial_status logistic_predict_fold_warm(dial_ctx *ctx, const dial_knobs *knobs,
                                              const void *state, const void *warm, void **solution,
                                              dial_predict_output *out) {
    const logistic_fold *fold = state;
    if (solution) *solution = NULL;
    if (strcmp(dial_knobs_choice(knobs, "penalty"), "l2") != 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "logistic's dual solver is l2 only");
    const dial_fit_input *train = &fold->train;
    size_t rows = train->n_classes == 2 ? 1 : train->n_classes, p = train->n_features;
    bool balanced = strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0;
    double *weight = dial_logistic_row_weights(ctx, train, balanced);
    double *coef = dial_malloc_array(ctx, rows * (p ? p : 1), sizeof *coef);
    double *intercept = dial_malloc_array(ctx, rows, sizeof *intercept);
    dial_status status = DIAL_OK;
    if (!weight || !coef || !intercept)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting logistic on a fold");
    dial_dual_warm *kept = NULL;
    if (status == DIAL_OK)
        status = dial_logistic_fit_dual(ctx, train, fold->train_rows, dial_knobs_float(knobs, "C"),
                                        weight, dial_knobs_bool(knobs, "fit_intercept"), warm,
                                        solution ? &kept : NULL, coef, intercept);
    dial_dual_rows test = {fold->test.sparse, fold->test_rows, fold->test.n_rows};
    if (status == DIAL_OK && test.n > 0)
        status = dial_logistic_score_sparse(ctx, &test, coef, intercept, p, rows, out);
    if (status == DIAL_OK && solution)
        *solution = kept;
    else
        dial_dual_warm_free(kept);
    free(weight);
    free(coef);
    free(intercept);
    return status;
}

static dial_status logistic_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                         dial_predict_output *out) {
    return logistic_predict_fold_warm(ctx, knobs, state, NULL, NULL, out);
}

const dial_family_tuning dial_logistic_tuning = {
    .prepare_knobs = NULL,
    .prepare_fold = logistic_prepare_fold,
    .predict_fold = logistic_predict_fold,
    .free_fold = logistic_free_fold,
    .prepare_fold_rows = logistic_prepare_fold_rows,
    .warm_knob = "C",
    .predict_fold_warm = logistic_predict_fold_warm,
    .free_warm = dial_dual_warm_free,
    .sparse_only = true,
};
