/* dial tune gbdt on sparse data prepares each fold once: its bins and the
 * codes beside its entries are shared by every trial with the same
 * max_bins, and the trials (a path along n_estimators, or one fit each)
 * score exactly what fitting every fold in full scores. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune_model.h"
#include "tune/objective.h"
#include "tune/objective_internal.h"

#define FOLDS 3
#define MAX_TRIALS 16

typedef struct gbdt_run {
    double values[MAX_TRIALS];       /* by trial number */
    size_t count, ready, chain_fits; /* ready: prepared entries (not fitted in full) */
} gbdt_run;

/* A grid of points per knob over space_items (3-fold metric) for gbdt on path,
 * with the prepared folds (and the chains along n_estimators) on or off,
 * and settings (may be NULL). */
static gbdt_run run(const char *path, const char *const *space_items, size_t points,
                    dial_metric metric, bool prepare, const char *setting) {
    dial_ctx *ctx = test_ctx();
    const dial_model_family *family = dial_model_family_find("gbdt");
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, NULL, &table);
    assert_non_null(data->sparse);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    if (setting) assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, setting));
    dial_space space = {0};
    for (size_t i = 0; space_items[i]; i++)
        assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, space_items[i]));
    dial_tune_setup setup = {.family = family,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = metric,
                             .folds = FOLDS,
                             .seed = 5};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    assert_dial_ok(ctx, dial_objective_set_sampler(ctx, objective, DIAL_SAMPLER_GRID, points));
    dial_objective_set_prepare(objective, prepare);
    dial_objective_set_chains(objective, prepare);
    dial_study_options options = {
        .name = "gbdt",
        .direction = dial_metric_greater_is_better(metric) ? DIAL_MAXIMIZE : DIAL_MINIMIZE,
        .sampler = DIAL_SAMPLER_GRID,
        .grid_points = points,
        .space = dial_model_objective_space(objective),
        .seed = 5};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_optimize_options optimize = {.n_trials = MAX_TRIALS, .jobs = 2};
    assert_dial_ok(ctx,
                   dial_study_optimize(ctx, study, dial_model_objective_run, objective, &optimize));
    dial_trial_list trials;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &trials));
    gbdt_run out = {.count = trials.count};
    assert_true(trials.count > 1 && trials.count <= MAX_TRIALS);
    for (size_t t = 0; t < trials.count; t++) {
        const dial_trial_record *trial = &trials.items[t];
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        assert_true(trial->number >= 0 && (size_t)trial->number < trials.count);
        out.values[trial->number] = trial->value;
    }
    for (size_t f = 0; prepare && f < objective->cache->n_folds; f++)
        for (const prepared *entry = objective->cache->lists[f]; entry; entry = entry->next)
            out.ready += entry->state == PREPARED_READY;
    out.chain_fits = dial_objective_chain_fits(objective);
    dial_trial_list_free(&trials);
    dial_study_free(study);
    dial_model_objective_free(objective);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return out;
}

static void assert_same_values(const gbdt_run *shared, const gbdt_run *full) {
    assert_int_equal(shared->count, full->count);
    for (size_t t = 0; t < full->count; t++)
        if (shared->values[t] != full->values[t])
            fail_msg("trial %zu: prepared %.17g, in full %.17g", t, shared->values[t],
                     full->values[t]);
}

static void a_path_along_n_estimators_scores_as_full_fits(void **state) {
    (void)state;
    const char *const space[] = {"n_estimators=5..40", "learning_rate=0.05..0.3:log", NULL};
    gbdt_run shared = run("data/heart_scale.libsvm", space, 3, DIAL_METRIC_LOG_LOSS, true, NULL);
    gbdt_run full = run("data/heart_scale.libsvm", space, 3, DIAL_METRIC_LOG_LOSS, false, NULL);
    assert_same_values(&shared, &full);
    assert_int_equal(shared.ready, FOLDS); /* one entry per fold, shared by all trials */
    assert_true(shared.chain_fits > 0);    /* the path answered the trials */
}

static void softmax_trials_on_text_score_as_full_fits(void **state) {
    (void)state;
    /* n_estimators fixed: each trial is one fit on the prepared fold */
    const char *const space[] = {"max_depth=2..4", NULL};
    const char *setting = "n_estimators=8";
    gbdt_run shared = run("data/text_small.libsvm", space, 3, DIAL_METRIC_ACCURACY, true, setting);
    gbdt_run full = run("data/text_small.libsvm", space, 3, DIAL_METRIC_ACCURACY, false, setting);
    assert_same_values(&shared, &full);
    assert_int_equal(shared.ready, FOLDS);
    assert_int_equal(shared.chain_fits, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_path_along_n_estimators_scores_as_full_fits),
        cmocka_unit_test(softmax_trials_on_text_score_as_full_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
