/* dial_study_enqueue: known configurations run first, in the order given,
 * before the sampler's; parameters they leave out are drawn; a
 * configuration the study holds already is not queued again (in memory and
 * across two opens of a SQLite file); each mistake is refused with one
 * line. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

/* x=float:-5..10, lr=float:1e-4..1:log, n=int:1..9:step=2,
 * m=float:0..0.9:step=0.1, opt=adam,sgd */
static dial_space test_space(dial_ctx *ctx) {
    dial_space space = {0, NULL};
    const char *items[] = {"x=float:-5..10", "lr=float:1e-4..1:log", "n=int:1..9:step=2",
                           "m=float:0..0.9:step=0.1", "opt=adam,sgd"};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, items[i]));
    return space;
}

static dial_study *open_with(dial_ctx *ctx, const char *storage, const dial_space *space,
                             dial_sampler_kind kind) {
    dial_study_options options = {.name = "s",
                                  .storage = storage,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = kind,
                                  .space = space,
                                  .seed = 7};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

static dial_study *open_study(dial_ctx *ctx, const char *storage, const dial_space *space) {
    return open_with(ctx, storage, space, DIAL_SAMPLER_RANDOM);
}

/* Asks one trial, suggests the whole space, tells value, and returns a copy
 * of the text of param name (malloc'ed; NULL when the trial lacks it). */
static char *run_trial(dial_ctx *ctx, dial_study *study, const dial_space *space, const char *name,
                       int64_t *number) {
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_non_null(trial);
    assert_dial_ok(dial_trial_ctx(trial), dial_trial_suggest_space(trial, space));
    const dial_trial_record *record = dial_trial_get_record(trial);
    if (number) *number = record->number;
    char *text = NULL;
    for (size_t i = 0; i < record->n_params; i++)
        if (strcmp(record->param_names[i], name) == 0) text = strdup(record->param_texts[i]);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1.0));
    return text;
}

static void expect_text(dial_ctx *ctx, dial_study *study, const dial_space *space, const char *name,
                        const char *expected) {
    char *text = run_trial(ctx, study, space, name, NULL);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void test_enqueued_trials_run_first_in_order(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = test_space(ctx);
    dial_study *study = open_study(ctx, NULL, &space);
    bool added = false;
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=1.5,lr=0.01,n=3,m=0.3,opt=sgd", &added));
    assert_true(added);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=-5,lr=1e-4,n=9,m=0,opt=adam", &added));
    assert_true(added);
    int64_t number = -1;
    char *x = run_trial(ctx, study, &space, "x", &number);
    assert_int_equal(number, 0);
    assert_string_equal(x, "1.5");
    free(x);
    expect_text(ctx, study, &space, "x", "-5");
    /* Then the sampler's own: trial 2 draws x like an unqueued study's
     * trial 0 (the queued trials take no sample index). */
    dial_study *plain = open_study(ctx, NULL, &space);
    char *drawn = run_trial(ctx, plain, &space, "x", NULL);
    expect_text(ctx, study, &space, "x", drawn);
    free(drawn);
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 3);
    const dial_trial_record *first = &list.items[0];
    const char *expected[][2] = {
        {"x", "1.5"}, {"lr", "0.01"}, {"n", "3"}, {"m", "0.30000000000000004"}, {"opt", "sgd"}};
    assert_int_equal(first->n_params, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(first->param_names[i], expected[i][0]);
        assert_string_equal(first->param_texts[i], expected[i][1]);
    }
    assert_true(first->param_values[4] == 1); /* sgd: the choice's index */
    dial_trial_list_free(&list);
    dial_study_free(plain);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

/* A sampler that learns proposes whole points: a queued trial still takes
 * the queued values, and the trials after it are the sampler's. */
static void test_a_learning_sampler_runs_them_first_too(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = test_space(ctx);
    dial_study *study = open_with(ctx, NULL, &space, DIAL_SAMPLER_AUTO);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=1.5,lr=0.01,n=3,m=0.3,opt=sgd", NULL));
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=7", NULL));
    expect_text(ctx, study, &space, "x", "1.5");
    expect_text(ctx, study, &space, "x", "7");
    char *third = run_trial(ctx, study, &space, "x", NULL);
    assert_string_not_equal(third, "1.5");
    assert_string_not_equal(third, "7");
    free(third);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_params_left_out_are_drawn_in_range(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = test_space(ctx);
    dial_study *study = open_study(ctx, NULL, &space);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "opt=sgd", NULL));
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_dial_ok(dial_trial_ctx(trial), dial_trial_suggest_space(trial, &space));
    const dial_trial_record *record = dial_trial_get_record(trial);
    assert_int_equal(record->n_params, 5);
    for (size_t i = 0; i < record->n_params; i++) {
        const char *name = record->param_names[i];
        double v = record->param_values[i];
        if (strcmp(name, "opt") == 0) assert_string_equal(record->param_texts[i], "sgd");
        if (strcmp(name, "x") == 0) assert_true(v >= -5 && v <= 10);
        if (strcmp(name, "lr") == 0) assert_true(v >= 1e-4 && v <= 1);
        if (strcmp(name, "n") == 0) assert_true(v >= 1 && v <= 9 && fmod(v - 1, 2) == 0);
    }
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 0.5));
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_configuration_held_already_is_skipped(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = test_space(ctx);
    dial_study *study = open_study(ctx, NULL, &space);
    bool added = false;
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=2,opt=adam", &added));
    assert_true(added);
    /* Queued already, in another order and spelling of the same value. */
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "opt=adam, x=2.0", &added));
    assert_false(added);
    free(run_trial(ctx, study, &space, "x", NULL));
    /* Run already by trial 0 (which drew the other params). */
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=2,opt=adam", &added));
    assert_false(added);
    /* Another configuration is new. */
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=2,opt=sgd", &added));
    assert_true(added);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_sqlite_skips_a_configuration_across_opens(void **state) {
    test_study_folder *folder = *state;
    dial_ctx *ctx = folder->ctx;
    dial_space space = test_space(ctx);
    bool added = false;
    dial_study *study = open_study(ctx, folder->path, &space);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=3,lr=0.5", &added));
    assert_true(added);
    dial_study_free(study);
    /* A second command with the same --enqueue, before any trial ran. */
    study = open_study(ctx, folder->path, &space);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=3,lr=0.5", &added));
    assert_false(added);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=4", &added));
    assert_true(added);
    expect_text(ctx, study, &space, "lr", "0.5");
    expect_text(ctx, study, &space, "x", "4");
    dial_study_free(study);
    /* A third, after both ran: neither is queued again. */
    study = open_study(ctx, folder->path, &space);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=3,lr=0.5", &added));
    assert_false(added);
    assert_dial_ok(ctx, dial_study_enqueue(ctx, study, "x=4", &added));
    assert_false(added);
    char *drawn = run_trial(ctx, study, &space, "x", NULL);
    assert_string_not_equal(drawn, "4");
    free(drawn);
    dial_study_free(study);
    dial_space_free(&space);
}

static void expect_refused(const char *assignments, const char *message) {
    dial_ctx *ctx = test_ctx();
    dial_space space = test_space(ctx);
    dial_study *study = open_study(ctx, NULL, &space);
    bool added = true;
    assert_dial_error(ctx, dial_study_enqueue(ctx, study, assignments, &added), DIAL_ERR_ARGUMENT,
                      message);
    assert_false(added);
    /* Nothing was queued: the first trial is the sampler's. */
    dial_study *plain = open_study(ctx, NULL, &space);
    char *drawn = run_trial(ctx, plain, &space, "x", NULL);
    expect_text(ctx, study, &space, "x", drawn);
    free(drawn);
    dial_study_free(plain);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_each_mistake_is_refused_with_one_line(void **state) {
    expect_refused("y=1", "y=1: study 's' has no parameter 'y'; did you mean 'x'? (its "
                          "parameters: x, lr, n, m, opt)");
    expect_refused("x=11", "x=11: out of range; x is a float in [-5, 10]");
    expect_refused("x=abc", "x=abc: 'abc' is not a number; x is a float in [-5, 10]");
    expect_refused("lr=2", "lr=2: out of range; lr is a float in [0.0001, 1] (log scale)");
    expect_refused("n=2.5", "n=2.5: not an integer; n is an int in [1, 9], step 2 from 1");
    expect_refused("n=4", "n=4: not on the step; n is an int in [1, 9], step 2 from 1");
    expect_refused("m=0.35", "m=0.35: not on the step; m is a float in [0, 0.9], step 0.1 from 0");
    expect_refused("opt=adagrad", "opt=adagrad: not a choice; opt is one of adam, sgd");
    expect_refused("x=1,x=2", "x is given twice");
    /* A piece without '=' belongs to the value before it (a choice may
     * hold a comma). */
    expect_refused("x=1,lr", "x=1,lr: '1,lr' is not a number; x is a float in [-5, 10]");
    expect_refused("x", "'x' is not NAME=VALUE (such as C=1,gamma=0.01)");
    expect_refused("", "an enqueued trial needs NAME=VALUE items, such as C=1,gamma=0.01");
}

static void test_a_study_without_a_space_refuses(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, NULL, NULL);
    assert_dial_error(ctx, dial_study_enqueue(ctx, study, "x=1", NULL), DIAL_ERR_ARGUMENT,
                      "study 's' was opened without a search space, so there is nothing to "
                      "check an enqueued trial against; open it with its space");
    dial_study_free(study);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enqueued_trials_run_first_in_order),
        cmocka_unit_test(test_a_learning_sampler_runs_them_first_too),
        cmocka_unit_test(test_params_left_out_are_drawn_in_range),
        cmocka_unit_test(test_a_configuration_held_already_is_skipped),
        cmocka_unit_test_setup_teardown(test_sqlite_skips_a_configuration_across_opens,
                                        test_study_folder_setup, test_study_folder_teardown),
        cmocka_unit_test(test_each_mistake_is_refused_with_one_line),
        cmocka_unit_test(test_a_study_without_a_space_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
