/*
 * gbdt: prepare once, fit many. A fold's bins and codes are made once and
 * shared by every trial with the same max_bins; a trial boosts with the
 * fold's test rows routed through each tree as it grows, so their scores
 * come with the fit, and one fit answers every n_estimators on its path.
 *
 * Sparse rows (a LIBSVM file) are binned as a full fit bins them
 * (gbdt_sparse_bins.c): the fold keeps the training rows' bins and their
 * codes beside the entries, made once, not once per trial. Boosting on
 * sparse rows routes no extra rows, so a trial's forest becomes the
 * model's tensors and predicts the test rows as the fitted model would
 * (for a path, staged: dial_gbdt_predict_staged), giving the full fit's
 * predictions exactly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt.h"
#include "models/gbdt_bins.h"
#include "models/gbdt_boost.h"
#include "models/gbdt_category.h"
#include "models/gbdt_family.h"

const char *const dial_gbdt_prepare_knobs[] = {"max_bins", "categorical", NULL};

/* A fold's bins and codes, shared read-only by every trial. The test rows
 * are coded after the training rows in one matrix, so that boosting routes
 * them through each tree as it grows (see dial_gbdt_boost_data). */
typedef struct gbdt_fold {
    dial_gbdt_bins bins;
    uint8_t *codes; /* column-major, n_train + n_test rows */
    double *y;
    size_t n_train, n_test, n_features, n_classes;
    dial_task task;
    long max_bins;
    bool native; /* categorical=native: the blocks are units of their own */
    /* Sparse rows (codes NULL): the training rows, borrowed from the
     * tuner, with a code beside each entry, their units (for the
     * tensors), and the test rows, borrowed, predicted from the tensors. */
    const dial_csr *train_rows;
    uint8_t *sparse_codes;
    dial_gbdt_units units;
    dial_fit_input test;
} gbdt_fold;

void dial_gbdt_free_fold(void *state) {
    gbdt_fold *fold = state;
    if (!fold) return;
    dial_gbdt_bins_free(&fold->bins);
    free(fold->codes);
    free(fold->sparse_codes);
    dial_gbdt_units_free(&fold->units);
    free(fold->y);
    free(fold);
}

/* The bins and codes of a fold of sparse rows, as gbdt_fit_sparse makes
 * them for a full fit on its training rows. */
static dial_status gbdt_prepare_sparse(dial_ctx *ctx, const dial_fit_input *train,
                                       const dial_fit_input *test, int threads, gbdt_fold *fold) {
    const dial_csr *a = train->sparse;
    /* Rows the full fit refuses are left to it, for its message. */
    if (!test->sparse || a->n_rows != train->n_rows || a->n_cols != train->n_features ||
        test->sparse->n_rows != test->n_rows || test->sparse->n_cols != test->n_features)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "gbdt: the fold's sparse rows do not match");
    fold->train_rows = a;
    fold->test = *test;
    dial_status status = dial_gbdt_units_make(ctx, train, fold->native, &fold->units);
    if (status == DIAL_OK)
        status = dial_gbdt_bins_fit_sparse(ctx, a, (int)fold->max_bins, threads, &fold->bins);
    if (status == DIAL_OK)
        status = dial_gbdt_bins_code_sparse(ctx, &fold->bins, a, threads, &fold->sparse_codes);
    return status;
}

dial_status dial_gbdt_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_knobs *knobs_max, const dial_fit_input *train,
                                   const dial_fit_input *test, void **fold_state) {
    (void)knobs_max; /* the bins do not depend on how far the search goes */
    *fold_state = NULL;
    if (!train->sparse != !test->sparse)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "gbdt: a fold of sparse and dense rows");
    if (test->n_features != train->n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: the fold's test rows have %zu features, its training rows %zu",
                         test->n_features, train->n_features);
    dial_status status = dial_gbdt_check_train(ctx, train);
    if (status != DIAL_OK) return status;
    if (test->n_rows >= UINT32_MAX - train->n_rows)
        return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: %zu training and %zu test rows; at most %u",
                         train->n_rows, test->n_rows, UINT32_MAX - 1);
    gbdt_fold *fold = dial_calloc(ctx, 1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
    fold->n_train = train->n_rows;
    fold->n_test = test->n_rows;
    fold->n_features = train->n_features;
    fold->n_classes = train->n_classes;
    fold->task = train->task;
    fold->max_bins = dial_knobs_int(knobs, "max_bins");
    int threads = dial_ctx_threads(ctx);
    fold->y = dial_malloc(ctx, train->n_rows * sizeof *fold->y);
    if (!fold->y) {
        dial_gbdt_free_fold(fold);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
    }
    memcpy(fold->y, train->y, train->n_rows * sizeof *fold->y);
    fold->native = dial_gbdt_native(knobs);
    if (train->sparse) {
        status = gbdt_prepare_sparse(ctx, train, test, threads, fold);
        if (status != DIAL_OK) {
            dial_gbdt_free_fold(fold);
            return status;
        }
        *fold_state = fold;
        return DIAL_OK;
    }
    /* the units of the training rows' blocks (the test rows share them),
     * as a fit with these knobs makes them */
    dial_gbdt_units units = {0};
    double *train_units = NULL, *test_units = NULL;
    const double *train_x = train->x, *test_x = test->x;
    status = dial_gbdt_units_make(ctx, train, fold->native, &units);
    if (status == DIAL_OK && units.n_blocks) {
        status = dial_gbdt_units_reduce(ctx, &units, train->x, train->n_rows, &train_units);
        if (status == DIAL_OK)
            status = dial_gbdt_units_reduce(ctx, &units, test->x, test->n_rows, &test_units);
        train_x = train_units;
        test_x = test_units;
    }
    fold->n_features = units.n_units;
    if (status == DIAL_OK)
        status = dial_gbdt_bins_fit_levels(
            ctx, train_x, train->n_rows, units.n_units, (int)fold->max_bins,
            units.n_blocks ? units.levels : NULL, threads, &fold->bins);
    uint8_t *train_codes = NULL, *test_codes = NULL;
    if (status == DIAL_OK)
        status =
            dial_gbdt_bins_code(ctx, &fold->bins, train_x, train->n_rows, threads, &train_codes);
    if (status == DIAL_OK)
        status = dial_gbdt_bins_code(ctx, &fold->bins, test_x, test->n_rows, threads, &test_codes);
    free(train_units);
    free(test_units);
    dial_gbdt_units_free(&units);
    if (status == DIAL_OK) {
        size_t stride = fold->n_train + fold->n_test, d = fold->n_features;
        fold->codes = dial_malloc(ctx, stride * d + DIAL_GBDT_CODES_PAD);
        if (!fold->codes)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
        else
            memset(fold->codes + stride * d, 0, DIAL_GBDT_CODES_PAD);
        for (size_t f = 0; fold->codes && f < d; f++) {
            memcpy(fold->codes + f * stride, train_codes + f * fold->n_train, fold->n_train);
            memcpy(fold->codes + f * stride + fold->n_train, test_codes + f * fold->n_test,
                   fold->n_test);
        }
    }
    free(train_codes);
    free(test_codes);
    if (status != DIAL_OK) {
        dial_gbdt_free_fold(fold);
        return status;
    }
    *fold_state = fold;
    return DIAL_OK;
}

/* The trial's parameters on a prepared fold, or DIAL_ERR_UNSUPPORTED when
 * the fold's bins are not the trial's. */
static dial_status gbdt_fold_params(dial_ctx *ctx, const dial_knobs *knobs, const gbdt_fold *fold,
                                    dial_gbdt_params *params) {
    if (!fold) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "gbdt: no prepared fold");
    if (dial_knobs_int(knobs, "max_bins") != fold->max_bins)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "gbdt: the fold was prepared with max_bins=%ld, the trial asks for %ld",
                         fold->max_bins, dial_knobs_int(knobs, "max_bins"));
    if (dial_gbdt_native(knobs) != fold->native)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "gbdt: the fold was prepared for another knob 'categorical'");
    return dial_gbdt_resolve(ctx, knobs, fold->task, fold->n_classes, params);
}

/* Writes the predictions of the fold's test rows from their scores
 * (class-major, n_scores x n_test); row is n_scores doubles of scratch. */
static void gbdt_emit_fold(const gbdt_fold *fold, dial_gbdt_loss loss, size_t k_n,
                           const double *margin, double *row, dial_predict_output *out) {
    size_t n = fold->n_test;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < k_n; k++) row[k] = margin[k * n + i];
        dial_gbdt_emit(loss, k_n, row, i, out);
    }
}

/* Boosts on the fold's training rows with its test rows as extra rows,
 * whose scores land in margin (n_scores x n_test). */
static dial_status gbdt_fold_boost(dial_ctx *ctx, const dial_gbdt_params *params,
                                   const gbdt_fold *fold, double *margin,
                                   dial_gbdt_forest *forest) {
    dial_gbdt_boost_data data = {.bins = &fold->bins,
                                 .codes = fold->codes,
                                 .n_rows = fold->n_train,
                                 .y = fold->y,
                                 .n_classes = fold->n_classes,
                                 .n_extra = fold->n_test,
                                 .extra_margin = margin};
    return dial_gbdt_boost(ctx, params, &data, forest);
}

/* A trial on a fold of sparse rows: boosts on the fold's codes, makes the
 * forest the model's tensors and predicts the test rows from them, after
 * each of rounds[0 .. n_stages) rounds into outs[s] (one stage of every
 * round: the model's own prediction). */
static dial_status gbdt_fold_sparse(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_gbdt_params *params, const gbdt_fold *fold,
                                    const size_t *rounds, size_t n_stages,
                                    dial_predict_output *outs) {
    const dial_csr *a = fold->train_rows;
    dial_gbdt_sparse_rows rows = {
        .row_start = a->row_start, .col = a->col, .codes = fold->sparse_codes};
    dial_gbdt_boost_data data = {.bins = &fold->bins,
                                 .sparse = &rows,
                                 .n_rows = fold->n_train,
                                 .y = fold->y,
                                 .n_classes = fold->n_classes};
    dial_gbdt_forest forest = {0};
    dial_tensors learned = {0};
    dial_status status = dial_gbdt_boost(ctx, params, &data, &forest);
    if (status == DIAL_OK)
        status = dial_gbdt_add_tensors(ctx, &forest, &fold->bins, &fold->units, &learned);
    dial_gbdt_forest_free(&forest);
    if (status == DIAL_OK)
        status =
            dial_gbdt_predict_staged(ctx, knobs, &learned, &fold->test, rounds, n_stages, outs);
    dial_tensors_clear(&learned);
    return status;
}

dial_status dial_gbdt_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                   dial_predict_output *out) {
    const gbdt_fold *fold = fold_state;
    dial_gbdt_params params;
    dial_status status = gbdt_fold_params(ctx, knobs, fold, &params);
    if (status != DIAL_OK) return status;
    if (fold->sparse_codes) {
        size_t all = SIZE_MAX;
        return gbdt_fold_sparse(ctx, knobs, &params, fold, &all, 1, out);
    }
    if (out->proba && fold->task != DIAL_TASK_CLASSIFICATION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "gbdt: no class probabilities in regression");
    size_t k_n = dial_gbdt_loss_scores(params.loss, fold->n_classes), n = fold->n_test;
    double *margin = dial_malloc(ctx, (k_n * n > 0 ? k_n * n : 1) * sizeof *margin);
    double *row = dial_malloc(ctx, k_n * sizeof *row);
    dial_gbdt_forest forest = {0};
    if (!margin || !row)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", n);
    else
        status = gbdt_fold_boost(ctx, &params, fold, margin, &forest);
    if (status == DIAL_OK) {
        /* Early stopping may drop the last rounds run, which the scores
         * hold: the kept forest then walks the test rows again, adding its
         * rounds in the same order. */
        if (forest.n_rounds < params.n_estimators)
            dial_gbdt_forest_margins(&forest, fold->codes + fold->n_train,
                                     fold->n_train + fold->n_test, n, forest.n_rounds, margin);
        gbdt_emit_fold(fold, params.loss, k_n, margin, row, out);
        dial_gbdt_forest_free(&forest);
    }
    free(margin);
    free(row);
    return status;
}

/* What the path's rounds carry from one to the next: the test rows'
 * scores, the next step, and where the predictions go. */
typedef struct gbdt_path {
    const gbdt_fold *fold;
    dial_gbdt_loss loss;
    double *margin; /* n_scores x n_test */
    double *row;
    const size_t *steps;
    size_t n_steps, next;
    dial_predict_output out;
    dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out);
    void *user;
} gbdt_path;

/* After each round (whose trees boosting has added to the test rows'
 * scores, as predict_fold's): at a step, the predictions go to the
 * caller. */
static dial_status gbdt_path_round(void *user, const dial_gbdt_forest *forest, size_t round) {
    gbdt_path *path = user;
    const gbdt_fold *fold = path->fold;
    if (path->next >= path->n_steps || round + 1 != path->steps[path->next]) return DIAL_OK;
    gbdt_emit_fold(fold, path->loss, forest->n_scores, path->margin, path->row, &path->out);
    return path->on_step(path->user, path->next++, &path->out);
}

/* The path on a fold of sparse rows: one fit to the last step, whose
 * staged predictions then go to on_step step by step. */
static dial_status
gbdt_fold_sparse_path(dial_ctx *ctx, const dial_knobs *knobs, const dial_gbdt_params *params,
                      const gbdt_fold *fold, const size_t *steps, size_t n_steps, bool proba,
                      dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out),
                      void *user) {
    size_t n = fold->n_test ? fold->n_test : 1, k = proba ? fold->n_classes : 0;
    dial_predict_output *outs = dial_calloc(ctx, n_steps, sizeof *outs);
    double *value = dial_malloc_array(ctx, n_steps * n, sizeof *value);
    double *probas = proba ? dial_malloc_array(ctx, n_steps * n * k, sizeof *probas) : NULL;
    dial_status status = DIAL_OK;
    if (!outs || !value || (proba && !probas))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", n);
    for (size_t s = 0; status == DIAL_OK && s < n_steps; s++)
        outs[s] = (dial_predict_output){value + s * n, proba ? probas + s * n * k : NULL};
    if (status == DIAL_OK)
        status = gbdt_fold_sparse(ctx, knobs, params, fold, steps, n_steps, outs);
    for (size_t s = 0; status == DIAL_OK && s < n_steps; s++) status = on_step(user, s, &outs[s]);
    free(outs);
    free(value);
    free(probas);
    return status;
}

dial_status dial_gbdt_predict_fold_path(
    dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state, const size_t *steps,
    size_t n_steps, bool want_proba,
    dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out), void *user) {
    const gbdt_fold *fold = fold_state;
    dial_gbdt_params params;
    dial_status status = gbdt_fold_params(ctx, knobs, fold, &params);
    if (status != DIAL_OK) return status;
    if (n_steps == 0 || !on_step)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "gbdt: a path needs steps and an on_step");
    for (size_t s = 0; s < n_steps; s++)
        if (steps[s] == 0 || (s > 0 && steps[s] <= steps[s - 1]))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "gbdt: the steps of n_estimators must be positive and increasing; "
                             "step %zu is %zu",
                             s, steps[s]);
    if (steps[n_steps - 1] != params.n_estimators)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: the last step is %zu but knob 'n_estimators' = %zu; they must "
                         "agree",
                         steps[n_steps - 1], params.n_estimators);
    /* Early stopping keeps the rounds up to the best validation loss of
     * all the rounds run: the model of n_estimators = m is not the first m
     * rounds of a longer fit. */
    if (params.early_stopping_rounds > 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "gbdt: no path along n_estimators with early_stopping_rounds = %zu "
                         "(the kept rounds depend on the total)",
                         params.early_stopping_rounds);
    size_t k_n = dial_gbdt_loss_scores(params.loss, fold->n_classes), n = fold->n_test;
    bool proba = want_proba && fold->task == DIAL_TASK_CLASSIFICATION;
    if (fold->sparse_codes)
        return gbdt_fold_sparse_path(ctx, knobs, &params, fold, steps, n_steps, proba, on_step,
                                     user);
    gbdt_path path = {.fold = fold,
                      .loss = params.loss,
                      .steps = steps,
                      .n_steps = n_steps,
                      .on_step = on_step,
                      .user = user};
    path.margin = dial_malloc(ctx, (k_n * n > 0 ? k_n * n : 1) * sizeof *path.margin);
    path.row = dial_malloc(ctx, k_n * sizeof *path.row);
    path.out.value = dial_malloc(ctx, (n ? n : 1) * sizeof *path.out.value);
    path.out.proba = proba ? dial_malloc(ctx, (n * fold->n_classes > 0 ? n * fold->n_classes : 1) *
                                                  sizeof *path.out.proba)
                           : NULL;
    dial_gbdt_forest forest = {0};
    if (!path.margin || !path.row || !path.out.value || (proba && !path.out.proba)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", n);
    } else {
        params.on_round = gbdt_path_round;
        params.on_round_user = &path;
        status = gbdt_fold_boost(ctx, &params, fold, path.margin, &forest);
    }
    if (status == DIAL_OK) dial_gbdt_forest_free(&forest);
    free(path.margin);
    free(path.row);
    free(path.out.value);
    free(path.out.proba);
    return status;
}
