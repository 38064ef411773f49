/* A study with a pruner (study.c, study_propose.c, trial.c): the same seed
 * and jobs prune the same trials, however the threads finish; a pruned
 * trial keeps the values it reported and stays pruned when the study is
 * resumed; it is never the best; dial_study_pruner_plan and
 * dial_trial_prune_rungs come from the study's pruner. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"
#include "tune/study_history.h"

typedef test_study_folder fixture;

#define STEPS 9

/* Reports x + 1 / (step + 1) at steps 0 .. STEPS - 1, asking the pruner
 * after each; the value of a complete trial is x + 10, above any value it
 * reported. Trials finish out of their order: the odd ones sleep a little
 * when jobs run beside them. */
static dial_status descending(void *user, dial_trial *trial, double *value, bool *pruned) {
    const bool *sleepy = user;
    double x;
    dial_status status = dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &x);
    for (int64_t step = 0; status == DIAL_OK && step < STEPS; step++) {
        if (*sleepy && dial_trial_number(trial) % 2) {
            struct timespec pause = {0, 200000};
            nanosleep(&pause, NULL);
        }
        status = dial_trial_report(trial, step, x + 1.0 / (double)(step + 1));
        if (status == DIAL_OK && dial_trial_should_prune(trial)) {
            *pruned = true;
            return DIAL_OK;
        }
    }
    *value = x + 10;
    return status;
}

static dial_study *open_pruned(dial_ctx *ctx, const char *storage, const char *pruner,
                               dial_sampler_kind sampler) {
    dial_study_options options = {.name = "p",
                                  .storage = storage,
                                  .sampler = sampler,
                                  .seed = 5,
                                  .pruner = pruner,
                                  .resource = DIAL_RESOURCE_STEPS};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

/* The states of a run of n trials with jobs, as a string of c, p, f. */
static void run_states(const char *pruner, dial_sampler_kind sampler, int jobs, bool sleepy,
                       char *states, size_t n) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_pruned(ctx, NULL, pruner, sampler);
    dial_optimize_options options = {.n_trials = (int64_t)n, .jobs = jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, descending, &sleepy, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, n);
    for (size_t i = 0; i < n; i++)
        states[i] = list.items[i].state == DIAL_TRIAL_COMPLETE ? 'c'
                    : list.items[i].state == DIAL_TRIAL_PRUNED ? 'p'
                                                               : 'f';
    states[n] = '\0';
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_the_same_seed_and_jobs_prune_the_same_trials(void **state) {
    (void)state;
    const char *pruners[] = {"median:warmup_trials=2", "asha", "hyperband:max_resource=9"};
    dial_sampler_kind samplers[] = {DIAL_SAMPLER_RANDOM, DIAL_SAMPLER_TPE};
    for (size_t p = 0; p < 3; p++)
        for (size_t s = 0; s < 2; s++)
            for (int jobs = 1; jobs <= 3; jobs += 2) {
                char calm[41], hurried[41];
                run_states(pruners[p], samplers[s], jobs, false, calm, 40);
                run_states(pruners[p], samplers[s], jobs, true, hurried, 40);
                assert_string_equal(calm, hurried);
                /* It prunes some and completes some. */
                assert_non_null(strchr(calm, 'p'));
                assert_non_null(strchr(calm, 'c'));
            }
}

static void test_a_pruned_trial_keeps_its_steps_stays_pruned_and_is_never_best(void **state) {
    fixture *f = *state;
    bool sleepy = false;
    dial_study *study = open_pruned(f->ctx, f->path, "asha", DIAL_SAMPLER_RANDOM);
    dial_optimize_options options = {.n_trials = 20, .jobs = 1};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, descending, &sleepy, &options));
    dial_trial_list before;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &before));
    dial_study_free(study);

    /* Resumed with the same pruner: ten more. */
    study = open_pruned(f->ctx, f->path, "asha", DIAL_SAMPLER_RANDOM);
    options.n_trials = 30;
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, descending, &sleepy, &options));
    dial_trial_list after;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &after));
    assert_int_equal(after.count, 30);
    size_t pruned = 0;
    double lowest_reported = INFINITY;
    for (size_t i = 0; i < before.count; i++) {
        const dial_trial_record *was = &before.items[i], *is = &after.items[i];
        assert_int_equal(is->state, was->state);
        if (is->state != DIAL_TRIAL_PRUNED) continue;
        pruned++;
        /* It stopped at a rung (1 or 3) with every value it reported. */
        assert_int_equal(is->n_intermediate, was->n_intermediate);
        int64_t last = is->intermediate_steps[is->n_intermediate - 1];
        assert_true(last == 1 || last == 3);
        assert_int_equal(is->n_intermediate, (size_t)last + 1);
        assert_true(isnan(is->value));
        lowest_reported = fmin(lowest_reported, is->intermediate_values[is->n_intermediate - 1]);
    }
    assert_true(pruned > 0);
    /* A pruned trial reported values below every complete value, and
     * still the best is complete, with all its steps. */
    dial_trial_record best = {0};
    assert_dial_ok(f->ctx, dial_study_best(f->ctx, study, &best));
    assert_int_equal(best.state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(best.n_intermediate, STEPS);
    assert_true(lowest_reported < best.value);
    for (size_t i = 0; i < after.count; i++)
        if (after.items[i].state == DIAL_TRIAL_COMPLETE)
            assert_true(best.value <= after.items[i].value);
    dial_trial_record_clear(&best);
    dial_trial_list_free(&before);
    dial_trial_list_free(&after);
    dial_study_free(study);
}

static void test_the_plan_and_the_rungs_are_the_study_pruners(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_study_options options = {.name = "p",
                                  .sampler = DIAL_SAMPLER_RANDOM,
                                  .pruner = "asha:reduction_factor=2,max_resource=5",
                                  .resource = DIAL_RESOURCE_FOLDS};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    char plan[160];
    dial_study_pruner_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "asha (reduction factor 2; judged after 1, 2 and 4 of 5 folds)");
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    int64_t rungs[2];
    assert_int_equal(dial_trial_prune_rungs(trial, 5, rungs, 2), 3);
    assert_int_equal(rungs[0], 1);
    assert_int_equal(rungs[1], 2);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_FAILED, NAN));
    dial_study_free(study);

    /* An unknown pruner is refused when the study opens. */
    options.pruner = "asha:reduction_factor=0";
    assert_dial_error(ctx, dial_study_open(ctx, &options, &study), DIAL_ERR_ARGUMENT,
                      "pruner asha: reduction_factor = 0 is out of range: must be an integer >= 2");
    assert_null(study);
    /* Without a pruner nothing is judged. */
    options.pruner = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_study_pruner_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "none");
    dial_study_free(study);
    dial_ctx_free(ctx);
}

/* What the samplers learn of a pruned trial: its last step and loss, on
 * its path when the study prunes on the path. */
static void test_the_samplers_see_a_pruned_trial_at_its_last_step(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_space space = {0, NULL};
    dial_trial_record record = {.number = 0,
                                .state = DIAL_TRIAL_PRUNED,
                                .value = NAN,
                                .n_intermediate = 2,
                                .intermediate_steps = (int64_t[]){0, 1},
                                .intermediate_values = (double[]){0.9, 0.8},
                                .n_path = 3,
                                .path_steps = (int64_t[]){1, 2, 54},
                                .path_values = (double[]){0.5, 0.6, 0.7}};
    dial_history by_folds = {0}, by_path = {.by_path = true};
    assert_dial_ok(ctx, dial_history_note(ctx, &by_folds, &space, DIAL_MAXIMIZE, &record));
    assert_dial_ok(ctx, dial_history_note(ctx, &by_path, &space, DIAL_MAXIMIZE, &record));
    assert_int_equal(by_folds.obs[0].state, DIAL_TRIAL_PRUNED);
    assert_int_equal(by_folds.obs[0].last_step, 1);
    assert_true(by_folds.obs[0].last_loss == -0.8);
    assert_int_equal(by_path.obs[0].state, DIAL_TRIAL_PRUNED);
    assert_int_equal(by_path.obs[0].last_step, 54);
    assert_true(by_path.obs[0].last_loss == -0.7);
    dial_history_free(&by_folds);
    dial_history_free(&by_path);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_same_seed_and_jobs_prune_the_same_trials),
        cmocka_unit_test_setup_teardown(
            test_a_pruned_trial_keeps_its_steps_stays_pruned_and_is_never_best,
            test_study_folder_setup, test_study_folder_teardown),
        cmocka_unit_test(test_the_plan_and_the_rungs_are_the_study_pruners),
        cmocka_unit_test(test_the_samplers_see_a_pruned_trial_at_its_last_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
