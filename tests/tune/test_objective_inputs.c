/* The tuner's prepared folds see their rows as dial_model_fit does
 * (src/models/model_inputs.h): the same design matrix and the same one-hot
 * blocks, so a family that reads the blocks (native categorical splits,
 * knn's codes) is scored in tuning the way its final fit works. The family
 * here is made for the test: it predicts a number that says what it saw. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

#include "dial/tune_model.h"
#include "tune/objective.h"
#include "models/family_tuning.h"

/* ---- the test family ------------------------------------------------------ */

static const dial_knob_spec seen_knobs[] = {
    {.name = "offset",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = -INFINITY,
     .upper = INFINITY,
     .condition = "",
     .doc = "added to every prediction"},
};

/* What an input says of its one-hot blocks, as one number: the blocks, the
 * first block's offset and levels, and its on value (the column's scaling
 * shows there). */
static double what_was_seen(const dial_fit_input *in) {
    if (in->n_onehot == 0) return 0;
    const dial_onehot_block *block = &in->onehot[0];
    return (double)in->n_onehot * 1000 + (double)block->offset * 100 + (double)block->n_levels +
           block->on[0] / 1000;
}

static dial_status seen_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                            dial_tensors *learned) {
    (void)knobs;
    size_t shape[1] = {1};
    double *seen = NULL;
    dial_status status = dial_tensors_add(ctx, learned, "seen", DIAL_F64, 1, shape, (void **)&seen);
    if (status == DIAL_OK) *seen = what_was_seen(in);
    return status;
}

static dial_status seen_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, dial_predict_output *out) {
    const dial_tensor *seen = dial_tensors_find(learned, "seen");
    if (!seen) return dial_fail(ctx, DIAL_ERR_FORMAT, "no tensor 'seen'");
    double value = *(const double *)seen->data + dial_knobs_float(knobs, "offset");
    for (size_t i = 0; i < in->n_rows; i++) out->value[i] = value;
    return DIAL_OK;
}

typedef struct seen_fold {
    double train_seen, test_seen;
    size_t n_test;
} seen_fold;

static dial_status seen_prepare(dial_ctx *ctx, const dial_knobs *knobs, const dial_knobs *knobs_max,
                                const dial_fit_input *train, const dial_fit_input *test,
                                void **fold_state) {
    (void)knobs, (void)knobs_max;
    seen_fold *fold = malloc(sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory");
    fold->train_seen = what_was_seen(train);
    fold->test_seen = what_was_seen(test);
    fold->n_test = test->n_rows;
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status seen_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                     dial_predict_output *out) {
    const seen_fold *fold = state;
    /* the test rows' blocks are the training rows': one preprocessing */
    if (fold->test_seen != fold->train_seen)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the test rows' blocks differ");
    double value = fold->train_seen + dial_knobs_float(knobs, "offset");
    for (size_t i = 0; i < fold->n_test; i++) out->value[i] = value;
    return DIAL_OK;
}

static void seen_free(void *state) { free(state); }

static const char *const seen_prepare_knobs[] = {NULL};

static const dial_family_tuning seen_tuning = {
    .prepare_knobs = seen_prepare_knobs,
    .prepare_fold = seen_prepare,
    .predict_fold = seen_predict_fold,
    .free_fold = seen_free,
};

static const dial_model_family seen_family = {
    .name = "seen",
    .summary = "predicts what its input said of the one-hot blocks",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .knobs = seen_knobs,
    .n_knobs = sizeof seen_knobs / sizeof seen_knobs[0],
    .fit = seen_fit,
    .predict = seen_predict,
    .tuning = &seen_tuning,
};

/* ---- a search, prepared or fitted in full ------------------------------------ */

/* The trial values of a grid over offset on grunfeld (firm is categorical,
 * 11 levels), 5 folds, mae; *builds gets the prepared entries built. */
static dial_trial_list search(bool prepared, size_t *builds) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/grunfeld.csv", "invest", &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &seen_family, &knobs));
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "offset=0,0.5"));
    dial_tune_setup setup = {.family = &seen_family,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_MAE,
                             .folds = 5,
                             .seed = 7};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    dial_objective_set_prepare(objective, prepared);
    dial_study_options options = {.name = "seen",
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_GRID,
                                  .space = dial_model_objective_space(objective),
                                  .seed = 7};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_optimize_options optimize = {.n_trials = 0, .jobs = 1};
    assert_dial_ok(ctx,
                   dial_study_optimize(ctx, study, dial_model_objective_run, objective, &optimize));
    dial_trial_list trials;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &trials));
    size_t entries = 0;
    dial_objective_cache_stats(objective, &entries, builds);
    dial_study_free(study);
    dial_model_objective_free(objective);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return trials;
}

static void test_prepared_folds_see_the_one_hot_blocks_a_fit_sees(void **state) {
    (void)state;
    size_t prepared_builds = 0, full_builds = 0;
    dial_trial_list prepared = search(true, &prepared_builds);
    dial_trial_list full = search(false, &full_builds);
    assert_true(prepared_builds > 0); /* the prepared path answered */
    assert_int_equal(full_builds, 0);
    assert_int_equal(prepared.count, 2);
    assert_int_equal(full.count, 2);
    for (size_t t = 0; t < 2; t++) {
        assert_int_equal(prepared.items[t].state, DIAL_TRIAL_COMPLETE);
        assert_int_equal(full.items[t].state, DIAL_TRIAL_COMPLETE);
        assert_memory_equal(&prepared.items[t].value, &full.items[t].value, sizeof(double));
    }
    dial_trial_list_free(&prepared);
    dial_trial_list_free(&full);
}

/* The blocks a fit sees: firm, the only categorical feature, expands to
 * its 11 levels after value and capital (columns 2 .. 12), unscaled. */
static void test_a_fit_sees_one_block_of_eleven_levels(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &seen_family, "data/grunfeld.csv", "invest", NULL);
    const dial_tensor *seen = dial_tensors_find(dial_model_get_tensors(model), "seen");
    assert_non_null(seen);
    assert_true(fabs(*(const double *)seen->data - (1000 + 2 * 100 + 11 + 1.0 / 1000)) < 1e-12);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_fit_sees_one_block_of_eleven_levels),
        cmocka_unit_test(test_prepared_folds_see_the_one_hot_blocks_a_fit_sees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
