/* Studies and the define-by-run API in memory: suggestions, reports,
 * ask-and-tell, the best trial and the errors a caller can make. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"

static dial_study *open_study(dial_ctx *ctx, dial_direction direction, const dial_space *space) {
    dial_study_options options = {.name = "test",
                                  .direction = direction,
                                  .sampler = DIAL_SAMPLER_RANDOM,
                                  .space = space,
                                  .seed = 42};
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

static void test_asked_trials_are_numbered_from_zero(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    for (int64_t i = 0; i < 3; i++) {
        dial_trial *trial = ask(ctx, study);
        assert_int_equal(dial_trial_number(trial), i);
        assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, (double)i));
    }
    assert_string_equal(dial_study_name(study), "test");
    assert_int_equal(dial_study_direction(study), DIAL_MINIMIZE);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_suggestions_stay_in_their_ranges(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    const char *const kernels[] = {"linear", "rbf", "poly"};
    for (int i = 0; i < 50; i++) {
        dial_trial *trial = ask(ctx, study);
        double lr = 0, x = 0;
        int64_t k = 0;
        size_t kernel = 99;
        assert_dial_ok(ctx, dial_trial_suggest_float(trial, "lr", 1e-5, 1e-1, DIAL_LOG, &lr));
        assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", -2, 3, DIAL_LINEAR, &x));
        assert_dial_ok(ctx, dial_trial_suggest_int(trial, "k", 1, 50, DIAL_LINEAR, &k));
        assert_dial_ok(ctx, dial_trial_suggest_choice(trial, "kernel", kernels, 3, &kernel));
        assert_true(lr >= 1e-5 && lr <= 1e-1);
        assert_true(x >= -2 && x <= 3);
        assert_true(k >= 1 && k <= 50);
        assert_true(kernel < 3);
        assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, x));
    }
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_same_name_twice_in_a_trial_returns_the_same_value(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *trial = ask(ctx, study);
    double first = 0, second = 1;
    assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &first));
    assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &second));
    assert_true(first == second);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, first));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.items[0].n_params, 1);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_same_seed_gives_same_values_in_another_study(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *a = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_study *b = open_study(ctx, DIAL_MINIMIZE, NULL);
    for (int i = 0; i < 5; i++) {
        dial_trial *ta = ask(ctx, a), *tb = ask(ctx, b);
        double xa, xb;
        int64_t ka, kb;
        /* Asked in another order: a value depends on the name, not the order. */
        assert_dial_ok(ctx, dial_trial_suggest_float(ta, "x", 0, 1, DIAL_LINEAR, &xa));
        assert_dial_ok(ctx, dial_trial_suggest_int(ta, "k", 0, 1000, DIAL_LINEAR, &ka));
        assert_dial_ok(ctx, dial_trial_suggest_int(tb, "k", 0, 1000, DIAL_LINEAR, &kb));
        assert_dial_ok(ctx, dial_trial_suggest_float(tb, "x", 0, 1, DIAL_LINEAR, &xb));
        assert_true(xa == xb);
        assert_int_equal(ka, kb);
        assert_int_equal(dial_ctx_seed(dial_trial_ctx(ta)), dial_ctx_seed(dial_trial_ctx(tb)));
        assert_dial_ok(ctx, dial_study_tell(ctx, a, ta, DIAL_TRIAL_COMPLETE, xa));
        assert_dial_ok(ctx, dial_study_tell(ctx, b, tb, DIAL_TRIAL_COMPLETE, xb));
    }
    dial_study_free(a);
    dial_study_free(b);
    dial_ctx_free(ctx);
}

static void test_trial_context_has_its_own_seed_and_the_callers_threads(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 3);
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *t0 = ask(ctx, study), *t1 = ask(ctx, study);
    assert_int_equal(dial_ctx_threads(dial_trial_ctx(t0)), 3);
    assert_true(dial_ctx_seed(dial_trial_ctx(t0)) != dial_ctx_seed(dial_trial_ctx(t1)));
    assert_true(dial_ctx_seed(dial_trial_ctx(t0)) != 42);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, t0, DIAL_TRIAL_COMPLETE, 0));
    assert_dial_ok(ctx, dial_study_tell(ctx, study, t1, DIAL_TRIAL_COMPLETE, 0));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_space_parameter_takes_precedence_over_the_call(void **state) {
    dial_ctx *ctx = test_ctx();
    char *choices[] = {"distance"};
    dial_param params[] = {
        {.name = "x", .kind = DIAL_PARAM_FLOAT, .low = 10, .high = 11, .condition = ""},
        {.name = "k", .kind = DIAL_PARAM_INT, .low = 7, .high = 7, .fixed = true, .condition = ""},
        {.name = "weights",
         .kind = DIAL_PARAM_CHOICE,
         .low = 0,
         .high = 0,
         .n_choices = 1,
         .choices = choices,
         .condition = ""},
    };
    dial_space space = {3, params};
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, &space);
    const char *const weights[] = {"uniform", "distance"};
    for (int i = 0; i < 10; i++) {
        dial_trial *trial = ask(ctx, study);
        double x;
        int64_t k;
        size_t w;
        assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &x));
        assert_dial_ok(ctx, dial_trial_suggest_int(trial, "k", 1, 50, DIAL_LINEAR, &k));
        assert_dial_ok(ctx, dial_trial_suggest_choice(trial, "weights", weights, 2, &w));
        assert_true(x >= 10 && x <= 11);
        assert_int_equal(k, 7);
        assert_int_equal(w, 1);
        assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, x));
    }
    dial_trial_record best;
    assert_dial_ok(ctx, dial_study_best(ctx, study, &best));
    assert_string_equal(best.param_texts[1], "7");
    assert_string_equal(best.param_texts[2], "distance");
    assert_int_equal(best.param_kinds[2], DIAL_PARAM_CHOICE);
    assert_true(best.param_values[2] == 1);
    dial_trial_record_clear(&best);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_space_of_another_kind_is_an_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {
        {.name = "k", .kind = DIAL_PARAM_INT, .low = 1, .high = 5, .condition = ""}};
    dial_space space = {1, params};
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, &space);
    dial_trial *trial = ask(ctx, study);
    dial_ctx *tctx = dial_trial_ctx(trial);
    double k;
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "k", 0, 1, DIAL_LINEAR, &k),
                      DIAL_ERR_ARGUMENT,
                      "suggest_float 'k': the study's space has it as an int, not a float");
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_FAILED, NAN));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_same_name_as_another_kind_is_an_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *trial = ask(ctx, study);
    dial_ctx *tctx = dial_trial_ctx(trial);
    double x;
    int64_t k;
    size_t c;
    const char *const choices[] = {"a", "b"};
    assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &x));
    assert_dial_error(tctx, dial_trial_suggest_int(trial, "x", 0, 1, DIAL_LINEAR, &k),
                      DIAL_ERR_ARGUMENT,
                      "suggest_int 'x': trial 0 already has it as a float, not an int");
    assert_dial_ok(ctx, dial_trial_suggest_choice(trial, "c", choices, 2, &c));
    const char *const others[] = {"p", "q"};
    char expected[128];
    snprintf(expected, sizeof expected,
             "suggest_choice 'c': trial 0 already has it as '%s', which is not one of: p, q",
             choices[c]);
    assert_dial_error(tctx, dial_trial_suggest_choice(trial, "c", others, 2, &c), DIAL_ERR_ARGUMENT,
                      expected);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, x));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_bad_suggestion_arguments_are_rejected(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *trial = ask(ctx, study);
    dial_ctx *tctx = dial_trial_ctx(trial);
    double x;
    int64_t k;
    size_t c;
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "lr", 1, 0.5, DIAL_LINEAR, &x),
                      DIAL_ERR_ARGUMENT, "suggest_float 'lr': low = 1 is above high = 0.5");
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "lr", 0, 1, DIAL_LOG, &x),
                      DIAL_ERR_ARGUMENT,
                      "suggest_float 'lr': a log scale needs low > 0, got low = 0");
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "lr", 0, INFINITY, DIAL_LINEAR, &x),
                      DIAL_ERR_ARGUMENT,
                      "suggest_float 'lr': low and high must be finite numbers, got 0 and inf");
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "lr", 0, 1, 7, &x), DIAL_ERR_ARGUMENT,
                      "suggest_float 'lr': flags = 7 is not DIAL_LINEAR (0) or DIAL_LOG (1)");
    assert_dial_error(tctx, dial_trial_suggest_int(trial, "k", 5, 1, DIAL_LINEAR, &k),
                      DIAL_ERR_ARGUMENT, "suggest_int 'k': low = 5 is above high = 1");
    assert_dial_error(tctx, dial_trial_suggest_int(trial, "k", 0, 10, DIAL_LOG, &k),
                      DIAL_ERR_ARGUMENT,
                      "suggest_int 'k': a log scale needs low >= 1, got low = 0");
    assert_dial_error(tctx, dial_trial_suggest_choice(trial, "c", NULL, 0, &c), DIAL_ERR_ARGUMENT,
                      "suggest_choice 'c': needs at least one choice");
    assert_dial_error(tctx, dial_trial_suggest_float(trial, "", 0, 1, DIAL_LINEAR, &x),
                      DIAL_ERR_ARGUMENT, "suggest_float: a parameter needs a name");
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_FAILED, NAN));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_reports_are_kept_as_intermediate_values(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MAXIMIZE, NULL);
    dial_trial *trial = ask(ctx, study);
    for (int64_t fold = 0; fold < 5; fold++) {
        assert_dial_ok(ctx, dial_trial_report(trial, fold, 0.9 + 0.01 * (double)fold));
        assert_false(dial_trial_should_prune(trial));
    }
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 0.92));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].n_intermediate, 5);
    assert_int_equal(list.items[0].intermediate_steps[4], 4);
    assert_true(fabs(list.items[0].intermediate_values[4] - 0.94) < 1e-12);
    assert_true(list.items[0].finished_at >= list.items[0].started_at);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_best_follows_the_direction(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *low = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_study *high = open_study(ctx, DIAL_MAXIMIZE, NULL);
    const double values[] = {0.5, 0.2, 0.9, 0.4};
    for (int i = 0; i < 4; i++) {
        assert_dial_ok(ctx,
                       dial_study_tell(ctx, low, ask(ctx, low), DIAL_TRIAL_COMPLETE, values[i]));
        assert_dial_ok(ctx,
                       dial_study_tell(ctx, high, ask(ctx, high), DIAL_TRIAL_COMPLETE, values[i]));
    }
    dial_trial_record best;
    assert_dial_ok(ctx, dial_study_best(ctx, low, &best));
    assert_int_equal(best.number, 1);
    dial_trial_record_clear(&best);
    assert_dial_ok(ctx, dial_study_best(ctx, high, &best));
    assert_int_equal(best.number, 2);
    assert_true(best.value == 0.9);
    dial_trial_record_clear(&best);
    dial_study_free(low);
    dial_study_free(high);
    dial_ctx_free(ctx);
}

static void test_best_of_a_study_without_complete_trials_fails(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, ask(ctx, study), DIAL_TRIAL_PRUNED, 1.0));
    dial_trial_record best;
    assert_dial_error(ctx, dial_study_best(ctx, study, &best), DIAL_ERR_ARGUMENT,
                      "the study has no complete trial");
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_told_nan_is_a_failed_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, ask(ctx, study), DIAL_TRIAL_COMPLETE, NAN));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    assert_string_equal(list.items[0].message, "the objective returned nan");
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_told_failure_keeps_the_trial_context_message(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *trial = ask(ctx, study);
    dial_fail(dial_trial_ctx(trial), DIAL_ERR_NUMERIC, "the Gram matrix is singular at fold 3");
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_FAILED, NAN));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    assert_string_equal(list.items[0].message, "the Gram matrix is singular at fold 3");
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_telling_running_records_a_failure_and_is_an_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    assert_dial_error(ctx, dial_study_tell(ctx, study, ask(ctx, study), DIAL_TRIAL_RUNNING, 1),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 was told with state running; a trial ends complete, pruned or "
                      "failed (it is recorded as failed)");
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_telling_a_trial_to_another_study_is_an_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *a = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_study_options options = {.name = "other"};
    dial_study *b = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &b));
    assert_dial_error(ctx, dial_study_tell(ctx, b, ask(ctx, a), DIAL_TRIAL_COMPLETE, 1.0),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 belongs to study 'test', not to 'other' (it is recorded as failed)");
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, a, &list));
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    dial_trial_list_free(&list);
    dial_study_free(a);
    dial_study_free(b);
    dial_ctx_free(ctx);
}

static void test_ask_gives_no_trial_past_max_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, DIAL_MINIMIZE, NULL);
    dial_trial *a = NULL, *b = NULL, *c = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 2, &a));
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 2, &b));
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 2, &c));
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, a, DIAL_TRIAL_COMPLETE, 1));
    assert_dial_ok(ctx, dial_study_tell(ctx, study, b, DIAL_TRIAL_COMPLETE, 2));
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 2, &c));
    assert_null(c);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_abandoned_trial_goes_stale_and_its_params_run_again(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study_options options = {.name = "stale", .heartbeat_seconds = 0.001, .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_trial *abandoned = ask(ctx, study);
    double x, again;
    assert_dial_ok(ctx, dial_trial_suggest_float(abandoned, "x", 0, 1, DIAL_LINEAR, &x));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    dial_trial *rerun = ask(ctx, study);
    assert_int_equal(dial_trial_number(rerun), 1);
    assert_dial_ok(ctx, dial_trial_suggest_float(rerun, "x", 0, 1, DIAL_LINEAR, &again));
    assert_true(again == x);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, rerun, DIAL_TRIAL_COMPLETE, again));
    /* Its worker comes back: the result stays with the rerun. */
    assert_dial_ok(ctx, dial_study_tell(ctx, study, abandoned, DIAL_TRIAL_COMPLETE, x));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    assert_true(list.items[0].stale);
    assert_int_equal(list.items[1].state, DIAL_TRIAL_COMPLETE);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_bad_options_are_rejected(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = NULL;
    dial_study_options options = {.name = ""};
    assert_dial_error(ctx, dial_study_open(ctx, &options, &study), DIAL_ERR_ARGUMENT,
                      "a study name cannot be empty");
    options = (dial_study_options){.heartbeat_seconds = -1};
    assert_dial_error(ctx, dial_study_open(ctx, &options, &study), DIAL_ERR_ARGUMENT,
                      "heartbeat_seconds = -1 is out of range: must be >= 0 (0 = 60)");
    assert_null(study);
    options = (dial_study_options){0};
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    assert_string_equal(dial_study_name(study), "default");
    dial_trial *trial = NULL;
    assert_dial_error(ctx, dial_study_ask(ctx, study, -1, &trial), DIAL_ERR_ARGUMENT,
                      "max_trials = -1 is out of range: must be >= 0 (0 = no limit)");
    dial_study_free(study);
    dial_study_free(NULL);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asked_trials_are_numbered_from_zero),
        cmocka_unit_test(test_suggestions_stay_in_their_ranges),
        cmocka_unit_test(test_same_name_twice_in_a_trial_returns_the_same_value),
        cmocka_unit_test(test_same_seed_gives_same_values_in_another_study),
        cmocka_unit_test(test_trial_context_has_its_own_seed_and_the_callers_threads),
        cmocka_unit_test(test_space_parameter_takes_precedence_over_the_call),
        cmocka_unit_test(test_space_of_another_kind_is_an_error),
        cmocka_unit_test(test_same_name_as_another_kind_is_an_error),
        cmocka_unit_test(test_bad_suggestion_arguments_are_rejected),
        cmocka_unit_test(test_reports_are_kept_as_intermediate_values),
        cmocka_unit_test(test_best_follows_the_direction),
        cmocka_unit_test(test_best_of_a_study_without_complete_trials_fails),
        cmocka_unit_test(test_told_nan_is_a_failed_trial),
        cmocka_unit_test(test_told_failure_keeps_the_trial_context_message),
        cmocka_unit_test(test_telling_running_records_a_failure_and_is_an_error),
        cmocka_unit_test(test_telling_a_trial_to_another_study_is_an_error),
        cmocka_unit_test(test_ask_gives_no_trial_past_max_trials),
        cmocka_unit_test(test_abandoned_trial_goes_stale_and_its_params_run_again),
        cmocka_unit_test(test_bad_options_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
