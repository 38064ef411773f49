/* Trial paths through the study API (dial_trial_report_path): what a
 * caller may report, and that the trial, the study's list and its best
 * trial all hold the path reported last. In memory; the SQLite file's side
 * is in test_storage.c and test_storage_sqlite.c. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

static dial_study *open_study(dial_ctx *ctx, dial_direction direction) {
    dial_study_options options = {
        .name = "paths", .direction = direction, .sampler = DIAL_SAMPLER_RANDOM, .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

static dial_trial *ask(dial_ctx *ctx, dial_study *study) {
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_non_null(trial);
    return trial;
}

static void expect_bad_steps(dial_trial *trial, const int64_t *steps, size_t n) {
    const double values[] = {0.1, 0.2, 0.3};
    assert_dial_error(dial_trial_ctx(trial), dial_trial_report_path(trial, steps, values, n),
                      DIAL_ERR_ARGUMENT, "path steps must be ascending and at least 1");
}

static void test_path_steps_must_be_ascending_and_at_least_1(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE);
    dial_trial *trial = ask(ctx, study);
    expect_bad_steps(trial, (const int64_t[]){0, 1, 2}, 3);
    expect_bad_steps(trial, (const int64_t[]){-5}, 1);
    expect_bad_steps(trial, (const int64_t[]){1, 3, 2}, 3);
    expect_bad_steps(trial, (const int64_t[]){1, 2, 2}, 3);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1.0));
    /* Nothing of a refused path is kept. */
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.items[0].n_path, 0);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_a_path_without_its_steps_or_values_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE);
    dial_trial *trial = ask(ctx, study);
    const int64_t steps[] = {1, 2};
    const double values[] = {0.5, 0.4};
    assert_dial_error(dial_trial_ctx(trial), dial_trial_report_path(trial, steps, NULL, 2),
                      DIAL_ERR_ARGUMENT, "report_path: 2 path steps given without their values");
    assert_dial_error(dial_trial_ctx(trial), dial_trial_report_path(trial, NULL, values, 2),
                      DIAL_ERR_ARGUMENT, "report_path: 2 path steps given without their steps");
    assert_int_equal(dial_trial_report_path(NULL, steps, values, 2), DIAL_ERR_ARGUMENT);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1.0));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_the_last_path_reported_is_the_one_kept(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MAXIMIZE);
    dial_trial *trial = ask(ctx, study);
    assert_dial_ok(ctx, dial_trial_report_path(trial, (const int64_t[]){1, 2, 3, 4},
                                               (const double[]){0.1, 0.2, 0.3, 0.4}, 4));
    assert_dial_ok(ctx, dial_trial_report_path(trial, (const int64_t[]){50, 100},
                                               (const double[]){0.9, 0.95}, 2));
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 0.95));
    dial_trial *other = ask(ctx, study);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, other, DIAL_TRIAL_COMPLETE, 0.5));

    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].n_path, 2);
    assert_int_equal(list.items[0].path_steps[0], 50);
    assert_int_equal(list.items[0].path_steps[1], 100);
    assert_true(list.items[0].path_values[1] == 0.95);
    assert_int_equal(list.items[1].n_path, 0);
    dial_trial_list_free(&list);
    dial_trial_record best;
    assert_dial_ok(ctx, dial_study_best(ctx, study, &best));
    assert_int_equal(best.number, 0);
    assert_int_equal(best.n_path, 2);
    assert_true(best.path_values[0] == 0.9);
    dial_trial_record_clear(&best);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static dial_status quadratic_with_path(void *user, dial_trial *trial, double *value, bool *pruned) {
    double x;
    dial_status status = dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x);
    if (status != DIAL_OK) return status;
    *value = x * x;
    return dial_trial_report_path(trial, (const int64_t[]){1, 2},
                                  (const double[]){*value + 1, *value}, 2);
}

static void count_paths(void *user, const dial_study *study, const dial_trial_record *trial) {
    size_t *with_path = user;
    if (trial->n_path == 2 && trial->path_values[1] == trial->value) (*with_path)++;
}

/* The record the executor hands on_trial is the trial's own: it has the
 * path before any storage is read back. */
static void test_finished_trials_carry_their_path_to_on_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE);
    size_t with_path = 0;
    dial_optimize_options options = {
        .n_trials = 6, .jobs = 2, .on_trial = count_paths, .on_trial_user = &with_path};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, quadratic_with_path, NULL, &options));
    assert_int_equal(with_path, 6);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_steps_must_be_ascending_and_at_least_1),
        cmocka_unit_test(test_a_path_without_its_steps_or_values_is_refused),
        cmocka_unit_test(test_the_last_path_reported_is_the_one_kept),
        cmocka_unit_test(test_finished_trials_carry_their_path_to_on_trial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
