/* dial_study_warm_start: the old study's best trials run first, its
 * complete trials become the sampler's prior (counted toward its startup
 * trials, never stored as the new study's), old trials outside the new
 * ranges are left out, and another space or direction is refused with one
 * line. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

static dial_space make_space(dial_ctx *ctx, const char *x, const char *n) {
    dial_space space = {0, NULL};
    assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, x));
    assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, n));
    return space;
}

static dial_study *open_study(dial_ctx *ctx, const dial_space *space, dial_sampler_kind kind,
                              dial_direction direction) {
    dial_study_options options = {
        .name = "s", .direction = direction, .sampler = kind, .space = space, .seed = 5};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

static double param(const dial_trial_record *record, const char *name) {
    for (size_t i = 0; i < record->n_params; i++)
        if (strcmp(record->param_names[i], name) == 0) return record->param_values[i];
    return NAN;
}

/* Asks a trial, suggests the space, tells (x - 2)^2 + n; returns its x. */
static double run_trial(dial_ctx *ctx, dial_study *study, const dial_space *space) {
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_dial_ok(dial_trial_ctx(trial), dial_trial_suggest_space(trial, space));
    const dial_trial_record *record = dial_trial_get_record(trial);
    double x = param(record, "x");
    double value = (x - 2) * (x - 2) + param(record, "n");
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, value));
    return x;
}

/* The old study: 12 random trials over x in [-5, 10], n in [1, 9]. */
static dial_study *old_study(dial_ctx *ctx, const dial_space *space) {
    dial_study *old = open_study(ctx, space, DIAL_SAMPLER_RANDOM, DIAL_MINIMIZE);
    for (int i = 0; i < 12; i++) run_trial(ctx, old, space);
    return old;
}

static int by_value(const void *a, const void *b) {
    const dial_trial_record *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value;
}

static void test_best_old_trials_run_first_and_the_prior_is_not_stored(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = make_space(ctx, "x=float:-5..10", "n=int:1..9");
    dial_study *old = old_study(ctx, &space);
    dial_trial_list old_trials = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, old, &old_trials));
    qsort(old_trials.items, old_trials.count, sizeof *old_trials.items, by_value);

    dial_study *study = open_study(ctx, &space, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
    dial_warm_start_report report;
    assert_dial_ok(ctx, dial_study_warm_start(ctx, study, old, 3, &report));
    assert_int_equal(report.n_old_complete, 12);
    assert_int_equal(report.n_prior, 12);
    assert_int_equal(report.n_outside, 0);
    assert_int_equal(report.n_enqueued, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(run_trial(ctx, study, &space) == param(&old_trials.items[i], "x"));
    dial_trial_list trials = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &trials));
    assert_int_equal(trials.count, 3);
    dial_trial_record best = {0};
    assert_dial_ok(ctx, dial_study_best(ctx, study, &best));
    assert_true(best.number >= 0 && best.number < 3);
    dial_trial_record_clear(&best);
    dial_trial_list_free(&trials);
    dial_trial_list_free(&old_trials);
    dial_study_free(study);
    dial_study_free(old);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

/* The prior stands for startup trials: trial 0 of a warm-started tpe study
 * is the model's, not the qmc point a cold study of the same seed draws,
 * and the same on every run. */
static void test_the_prior_counts_toward_the_startup_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = make_space(ctx, "x=float:-5..10", "n=int:1..9");
    dial_study *old = old_study(ctx, &space);
    double first[2];
    for (int run = 0; run < 2; run++) {
        dial_study *study = open_study(ctx, &space, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
        assert_dial_ok(ctx, dial_study_warm_start(ctx, study, old, 0, NULL));
        first[run] = run_trial(ctx, study, &space);
        dial_study_free(study);
    }
    dial_study *cold = open_study(ctx, &space, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
    double cold_first = run_trial(ctx, cold, &space);
    assert_true(first[0] == first[1]);
    assert_true(first[0] != cold_first);
    dial_study_free(cold);
    dial_study_free(old);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_old_trials_outside_the_ranges_are_left_out(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = make_space(ctx, "x=float:-5..10", "n=int:1..9");
    dial_study *old = old_study(ctx, &space);
    dial_trial_list old_trials = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, old, &old_trials));
    size_t outside = 0;
    for (size_t i = 0; i < old_trials.count; i++) outside += param(&old_trials.items[i], "x") < 0;
    assert_true(outside > 0 && outside < 12);
    dial_space narrow = make_space(ctx, "x=float:0..10", "n=int:1..9");
    dial_study *study = open_study(ctx, &narrow, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
    dial_warm_start_report report;
    assert_dial_ok(ctx, dial_study_warm_start(ctx, study, old, 20, &report));
    assert_int_equal(report.n_outside, outside);
    assert_int_equal(report.n_prior, 12 - outside);
    assert_int_equal(report.n_enqueued, 12 - outside);
    dial_trial_list_free(&old_trials);
    dial_study_free(study);
    dial_space_free(&narrow);
    dial_study_free(old);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_another_space_or_direction_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = make_space(ctx, "x=float:-5..10", "n=int:1..9");
    dial_study *old = old_study(ctx, &space);

    dial_space typed = make_space(ctx, "x=float:-5..10", "n=float:1..9");
    dial_study *study = open_study(ctx, &typed, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
    assert_int_equal(dial_study_warm_start(ctx, study, old, 10, NULL), DIAL_ERR_ARGUMENT);
    assert_string_equal(dial_ctx_error(ctx),
                        "cannot warm-start from study 's': knob 'n' is an int there but a float "
                        "here; a warm start needs the same knob types");
    dial_trial_list trials = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &trials));
    assert_int_equal(trials.count, 0);
    dial_trial_list_free(&trials);
    dial_study_free(study);
    dial_space_free(&typed);

    dial_space other = make_space(ctx, "x=float:-5..10", "m=int:1..9");
    study = open_study(ctx, &other, DIAL_SAMPLER_TPE, DIAL_MINIMIZE);
    assert_int_equal(dial_study_warm_start(ctx, study, old, 10, NULL), DIAL_ERR_ARGUMENT);
    assert_string_equal(dial_ctx_error(ctx),
                        "cannot warm-start from study 's': it searched knob 'n', which this "
                        "search does not; a warm start needs the same knobs (add --space n=..., "
                        "or start cold)");
    dial_study_free(study);
    dial_space_free(&other);

    study = open_study(ctx, &space, DIAL_SAMPLER_TPE, DIAL_MAXIMIZE);
    assert_int_equal(dial_study_warm_start(ctx, study, old, 10, NULL), DIAL_ERR_ARGUMENT);
    assert_string_equal(dial_ctx_error(ctx),
                        "cannot warm-start from study 's': it minimizes its value and this study "
                        "maximizes it; a warm start needs the same metric");
    dial_study_free(study);
    dial_study_free(old);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_old_trials_run_first_and_the_prior_is_not_stored),
        cmocka_unit_test(test_the_prior_counts_toward_the_startup_trials),
        cmocka_unit_test(test_old_trials_outside_the_ranges_are_left_out),
        cmocka_unit_test(test_another_space_or_direction_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
