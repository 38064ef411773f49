/* A study whose sampler learns (tpe, gp, auto): the proposal wiring of
 * study_propose.c. The same seed and --jobs give the same trials whichever
 * thread finishes first; asking one trial per process (a fresh handle of a
 * SQLite file each time) proposes what an in-process run does; the plan
 * says what auto uses and why. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"

typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

#define N_TRIALS 36

static dial_space typed_space(dial_ctx *ctx, const char *json) {
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space, json, "space"));
    return space;
}

static dial_study *open_study(dial_ctx *ctx, const char *storage, dial_sampler_kind kind,
                              const dial_space *space, uint64_t seed) {
    dial_study_options options = {.name = "learn",
                                  .storage = storage,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = kind,
                                  .space = space,
                                  .seed = seed};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

/* A shifted bowl in x and y, with a categorical that adds a penalty
 * unless it is "b". */
static double bowl(const dial_trial_record *record) {
    double x = NAN, y = NAN, penalty = 0;
    for (size_t i = 0; i < record->n_params; i++) {
        if (strcmp(record->param_names[i], "x") == 0) x = record->param_values[i];
        if (strcmp(record->param_names[i], "y") == 0) y = record->param_values[i];
        if (strcmp(record->param_names[i], "c") == 0)
            penalty = strcmp(record->param_texts[i], "b") == 0 ? 0 : 4;
    }
    return (x - 1.7) * (x - 1.7) + (y + 2.4) * (y + 2.4) + penalty;
}

typedef struct objective_user {
    const dial_space *space;
    bool shuffle; /* finish trials in an order that depends on the number */
} objective_user;

static dial_status objective(void *p, dial_trial *trial, double *value, bool *pruned) {
    (void)pruned;
    const objective_user *user = p;
    dial_status status = dial_trial_suggest_space(trial, user->space);
    if (status != DIAL_OK) return status;
    const dial_trial_record *record = dial_trial_get_record(trial);
    if (user->shuffle) {
        /* Trials finish out of their order: a thread that finished first
         * must not change what later trials are given. */
        struct timespec pause = {0, (long)((record->number * 7919) % 5) * 2000000L};
        nanosleep(&pause, NULL);
    }
    *value = bowl(record);
    return DIAL_OK;
}

/* Runs N_TRIALS in memory with jobs at once; returns every trial's values
 * as text, one line per trial, ascending number. */
static char *run_in_process(dial_ctx *ctx, dial_sampler_kind kind, const dial_space *space,
                            int jobs, double *best) {
    dial_study *study = open_study(ctx, NULL, kind, space, 11);
    objective_user user = {space, jobs > 1};
    dial_optimize_options options = {.n_trials = N_TRIALS, .jobs = jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, objective, &user, &options));
    dial_trial_list list = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, N_TRIALS);
    char *text = calloc(1, 64 * 1024);
    *best = INFINITY;
    for (size_t i = 0; i < list.count; i++) {
        const dial_trial_record *record = &list.items[i];
        assert_int_equal(record->number, (int64_t)i);
        assert_int_equal(record->state, DIAL_TRIAL_COMPLETE);
        if (record->value < *best) *best = record->value;
        for (size_t p = 0; p < record->n_params; p++)
            snprintf(text + strlen(text), 64 * 1024 - strlen(text), "%s=%s ",
                     record->param_names[p], record->param_texts[p]);
        strcat(text, "\n");
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
    return text;
}

static const char *const mixed_space =
    "{\"x\": \"float:-5..5\", \"y\": \"float:-5..5\", \"c\": [\"a\", \"b\", \"c\"]}";

static void test_the_same_seed_and_jobs_give_the_same_trials(void **state) {
    fixture *f = *state;
    dial_space space = typed_space(f->ctx, mixed_space);
    double best1 = 0, best1again = 0, best4 = 0, best4again = 0;
    char *one = run_in_process(f->ctx, DIAL_SAMPLER_TPE, &space, 1, &best1);
    char *one_again = run_in_process(f->ctx, DIAL_SAMPLER_TPE, &space, 1, &best1again);
    char *four = run_in_process(f->ctx, DIAL_SAMPLER_TPE, &space, 4, &best4);
    char *four_again = run_in_process(f->ctx, DIAL_SAMPLER_TPE, &space, 4, &best4again);
    assert_string_equal(one, one_again);
    assert_string_equal(four, four_again);
    /* The sampler learns in both: the best beats what the penalty-free
     * qmc startup alone would need luck for. */
    assert_true(best1 < 1.0);
    assert_true(best4 < 1.5);
    free(one);
    free(one_again);
    free(four);
    free(four_again);
    dial_space_free(&space);
}

/* `dial ask` once per trial: a fresh handle of the study file for every
 * trial, told before the next is asked, proposes what one in-process run
 * with one job does. */
static void test_one_handle_per_trial_proposes_what_one_run_does(void **state) {
    fixture *f = *state;
    dial_space space = typed_space(f->ctx, mixed_space);
    double best = 0;
    char *in_process = run_in_process(f->ctx, DIAL_SAMPLER_TPE, &space, 1, &best);
    char *asked = calloc(1, 64 * 1024);
    for (int i = 0; i < N_TRIALS; i++) {
        dial_study *study = open_study(f->ctx, f->path, DIAL_SAMPLER_TPE, &space, 11);
        dial_trial *trial = NULL;
        assert_dial_ok(f->ctx, dial_study_ask(f->ctx, study, 0, &trial));
        assert_dial_ok(f->ctx, dial_trial_suggest_space(trial, &space));
        const dial_trial_record *record = dial_trial_get_record(trial);
        assert_int_equal(record->number, i);
        for (size_t p = 0; p < record->n_params; p++)
            snprintf(asked + strlen(asked), 64 * 1024 - strlen(asked), "%s=%s ",
                     record->param_names[p], record->param_texts[p]);
        strcat(asked, "\n");
        int64_t number = record->number;
        double value = bowl(record);
        dial_trial_release(trial);
        dial_study_free(study);
        study = open_study(f->ctx, f->path, DIAL_SAMPLER_TPE, &space, 11);
        assert_dial_ok(f->ctx, dial_study_tell_number(f->ctx, study, number, DIAL_TRIAL_COMPLETE,
                                                      value, NULL));
        dial_study_free(study);
    }
    assert_string_equal(asked, in_process);
    free(asked);
    free(in_process);
    dial_space_free(&space);
}

static void test_auto_says_what_it_uses_and_why(void **state) {
    fixture *f = *state;
    dial_space continuous = typed_space(f->ctx, "{\"x\": \"float:-5..5\", \"n\": \"int:1..9\"}");
    dial_space mixed = typed_space(f->ctx, mixed_space);
    char plan[256];
    dial_study *study = open_study(f->ctx, NULL, DIAL_SAMPLER_AUTO, &continuous, 0);
    dial_study_sampler_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "auto: qmc for the first 10 trials, then gp and tpe in turn (a "
                              "continuous space of 2 knobs) up to trial 100, then tpe");
    dial_study_free(study);
    dial_space wide = typed_space(f->ctx, "{\"a\": \"float:0..1\", \"b\": \"float:0..1\", "
                                          "\"c\": \"float:0..1\", \"d\": \"int:1..9\"}");
    study = open_study(f->ctx, NULL, DIAL_SAMPLER_AUTO, &wide, 0);
    dial_study_sampler_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "auto: qmc for the first 10 trials, then gp (a continuous space of "
                              "4 knobs) up to trial 100, then tpe");
    dial_study_free(study);
    dial_space_free(&wide);
    study = open_study(f->ctx, NULL, DIAL_SAMPLER_AUTO, &mixed, 0);
    dial_study_sampler_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "auto: qmc for the first 10 trials, then tpe (knob 'c' is "
                              "categorical, which tpe models natively)");
    dial_study_free(study);
    dial_space_free(&continuous);
    dial_space_free(&mixed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_same_seed_and_jobs_give_the_same_trials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_handle_per_trial_proposes_what_one_run_does, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auto_says_what_it_uses_and_why, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
