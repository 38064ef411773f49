/* dial tune along C for LIBLINEAR's duals: linsvm, and logistic on sparse
 * data, climb a warm ladder per fold under the grid sampler (each C's fit
 * starts from the C below, models/dual_warm.h), ending within the solver's
 * tolerance of the cold fits; logistic on dense data is fitted in full as
 * before (its L-BFGS solver has no prepared path). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune_model.h"
#include "tune/objective.h"

typedef struct warm_run {
    dial_trial_list trials;
    size_t chain_fits, entries, builds;
} warm_run;

#define FOLDS 3
#define POINTS 5

/* A grid of POINTS values of C over 0.01..100 for family on path (3-fold
 * accuracy), the chains on or off, with one knob setting (may be NULL). */
static warm_run run(const char *family_name, const char *path, const char *target, bool chains,
                    const char *setting) {
    dial_ctx *ctx = test_ctx();
    const dial_model_family *family = dial_model_family_find(family_name);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    if (setting) assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, setting));
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "C=0.01..100:log"));
    dial_tune_setup setup = {.family = family,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_ACCURACY,
                             .folds = FOLDS,
                             .seed = 3};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    assert_dial_ok(ctx, dial_objective_set_sampler(ctx, objective, DIAL_SAMPLER_GRID, POINTS));
    dial_objective_set_chains(objective, chains);
    dial_study_options options = {.name = "warm",
                                  .direction = DIAL_MAXIMIZE,
                                  .sampler = DIAL_SAMPLER_GRID,
                                  .grid_points = POINTS,
                                  .space = dial_model_objective_space(objective),
                                  .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_optimize_options optimize = {.n_trials = POINTS, .jobs = 1};
    assert_dial_ok(ctx,
                   dial_study_optimize(ctx, study, dial_model_objective_run, objective, &optimize));
    warm_run out;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &out.trials));
    out.chain_fits = dial_objective_chain_fits(objective);
    dial_objective_cache_stats(objective, &out.entries, &out.builds);
    dial_study_free(study);
    dial_model_objective_free(objective);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return out;
}

static const char *param_text(const dial_trial_record *trial, const char *name) {
    for (size_t p = 0; p < trial->n_params; p++)
        if (strcmp(trial->param_names[p], name) == 0) return trial->param_texts[p];
    return "";
}

/* Every trial of warm has a trial of cold with the same C, scored within
 * one test row per fold (text_small's folds hold about 167 rows). */
static void assert_close_to_cold(const warm_run *warm, const warm_run *cold) {
    assert_int_equal(warm->trials.count, POINTS);
    assert_int_equal(cold->trials.count, POINTS);
    for (size_t t = 0; t < warm->trials.count; t++) {
        const dial_trial_record *w = &warm->trials.items[t];
        assert_int_equal(w->state, DIAL_TRIAL_COMPLETE);
        const dial_trial_record *match = NULL;
        for (size_t u = 0; u < cold->trials.count; u++)
            if (strcmp(param_text(&cold->trials.items[u], "C"), param_text(w, "C")) == 0)
                match = &cold->trials.items[u];
        assert_non_null(match);
        if (fabs(w->value - match->value) > 1.0 / 160 / FOLDS)
            fail_msg("C=%s: warm %.6f, cold %.6f", param_text(w, "C"), w->value, match->value);
    }
}

static void linsvm_climbs_a_warm_ladder_per_fold(void **state) {
    (void)state;
    /* At a tolerance tight enough that both reach the optimum (at the
     * default 0.1 a fold's score may differ by a row or two). */
    warm_run warm = run("linsvm", "data/text_small.libsvm", NULL, true, "tol=0.001");
    warm_run cold = run("linsvm", "data/text_small.libsvm", NULL, false, "tol=0.001");
    assert_int_equal(warm.chain_fits, POINTS * FOLDS); /* every rung once per fold */
    assert_int_equal(cold.chain_fits, 0);
    assert_close_to_cold(&warm, &cold);
    dial_trial_list_free(&warm.trials);
    dial_trial_list_free(&cold.trials);
}

static void logistic_on_sparse_data_climbs_a_warm_ladder_per_fold(void **state) {
    (void)state;
    warm_run warm = run("logistic", "data/text_small.libsvm", NULL, true, NULL);
    warm_run cold = run("logistic", "data/text_small.libsvm", NULL, false, NULL);
    assert_int_equal(warm.chain_fits, POINTS * FOLDS);
    assert_close_to_cold(&warm, &cold);
    dial_trial_list_free(&warm.trials);
    dial_trial_list_free(&cold.trials);
}

static void logistic_on_dense_data_is_fitted_in_full(void **state) {
    (void)state;
    warm_run dense = run("logistic", "data/iris.csv", "species", true, NULL);
    assert_int_equal(dense.trials.count, POINTS);
    assert_int_equal(dense.chain_fits, 0);
    assert_int_equal(dense.builds, 0); /* no prepared fold */
    dial_trial_list_free(&dense.trials);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linsvm_climbs_a_warm_ladder_per_fold),
        cmocka_unit_test(logistic_on_sparse_data_climbs_a_warm_ladder_per_fold),
        cmocka_unit_test(logistic_on_dense_data_is_fitted_in_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
