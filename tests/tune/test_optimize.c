/* The executor: n_trials as the study's total, jobs, the trial contexts,
 * failures kept with their messages, and stopping cleanly. */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"

static dial_study *open_study(dial_ctx *ctx, uint64_t seed) {
    dial_study_options options = {.name = "opt", .sampler = DIAL_SAMPLER_RANDOM, .seed = seed};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

/* A deterministic objective of two floats, an int and a choice. */
static dial_status quadratic(void *user, dial_trial *trial, double *value, bool *pruned) {
    static const char *const modes[] = {"a", "b", "c"};
    double x, y;
    int64_t k;
    size_t mode;
    dial_status status = dial_trial_suggest_float(trial, "x", -5, 5, DIAL_LINEAR, &x);
    if (status == DIAL_OK) status = dial_trial_suggest_float(trial, "y", 1e-3, 1e3, DIAL_LOG, &y);
    if (status == DIAL_OK) status = dial_trial_suggest_int(trial, "k", 1, 9, DIAL_LINEAR, &k);
    if (status == DIAL_OK) status = dial_trial_suggest_choice(trial, "mode", modes, 3, &mode);
    if (status != DIAL_OK) return status;
    for (int64_t step = 0; step < 3; step++) {
        status = dial_trial_report(trial, step, x * (double)step);
        if (status != DIAL_OK) return status;
    }
    *value = x * x + log10(y) * log10(y) + (double)k + (double)mode;
    return DIAL_OK;
}

static dial_trial_list run(dial_ctx *ctx, dial_study *study, int64_t n_trials, int jobs) {
    dial_optimize_options options = {.n_trials = n_trials, .jobs = jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, quadratic, NULL, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    return list;
}

static void test_optimize_runs_n_trials_numbered_from_zero(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    dial_trial_list list = run(ctx, study, 25, 1);
    assert_int_equal(list.count, 25);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].number, (int64_t)i);
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
        assert_int_equal(list.items[i].n_params, 4);
        assert_int_equal(list.items[i].n_intermediate, 3);
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_rerun_brings_the_study_up_to_n_trials_not_n_more(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    dial_trial_list list = run(ctx, study, 10, 1);
    dial_trial_list_free(&list);
    list = run(ctx, study, 15, 2);
    assert_int_equal(list.count, 15);
    dial_trial_list_free(&list);
    list = run(ctx, study, 15, 1);
    assert_int_equal(list.count, 15);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

/* Same seed, one job or two: the same trials with the same values. */
static void test_jobs_1_and_2_give_the_same_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 2);
    dial_study *one = open_study(ctx, 9), *two = open_study(ctx, 9);
    dial_trial_list a = run(ctx, one, 40, 1);
    dial_trial_list b = run(ctx, two, 40, 2);
    assert_int_equal(a.count, 40);
    assert_int_equal(b.count, 40);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(a.items[i].number, b.items[i].number);
        assert_true(a.items[i].value == b.items[i].value);
        assert_int_equal(a.items[i].n_params, b.items[i].n_params);
        for (size_t p = 0; p < a.items[i].n_params; p++) {
            assert_string_equal(a.items[i].param_names[p], b.items[i].param_names[p]);
            assert_true(a.items[i].param_values[p] == b.items[i].param_values[p]);
        }
    }
    dial_trial_list_free(&a);
    dial_trial_list_free(&b);
    dial_study_free(one);
    dial_study_free(two);
    dial_ctx_free(ctx);
}

typedef struct context_log {
    pthread_mutex_t lock;
    int threads[64];
    uint64_t seeds[64];
} context_log;

static dial_status note_context(void *user, dial_trial *trial, double *value, bool *pruned) {
    context_log *log = user;
    int64_t number = dial_trial_number(trial);
    pthread_mutex_lock(&log->lock);
    log->threads[number] = dial_ctx_threads(dial_trial_ctx(trial));
    log->seeds[number] = dial_ctx_seed(dial_trial_ctx(trial));
    pthread_mutex_unlock(&log->lock);
    *value = (double)number;
    return DIAL_OK;
}

static void test_trials_share_the_thread_budget_and_get_their_own_seed(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 5);
    dial_study *study = open_study(ctx, 4);
    context_log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    dial_optimize_options options = {.n_trials = 8, .jobs = 2};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, note_context, &log, &options));
    for (int i = 0; i < 8; i++) assert_int_equal(log.threads[i], 2);
    for (int i = 1; i < 8; i++) assert_true(log.seeds[i] != log.seeds[0]);
    uint64_t first = log.seeds[3];

    dial_ctx_set_threads(ctx, 1);
    dial_study *again = open_study(ctx, 4);
    options.jobs = 4;
    assert_dial_ok(ctx, dial_study_optimize(ctx, again, note_context, &log, &options));
    for (int i = 0; i < 8; i++) assert_int_equal(log.threads[i], 1);
    assert_int_equal(log.seeds[3], first);
    dial_study_free(study);
    dial_study_free(again);
    dial_ctx_free(ctx);
}

static dial_status fail_on_odd(void *user, dial_trial *trial, double *value, bool *pruned) {
    int64_t number = dial_trial_number(trial);
    if (number % 3 == 1)
        return dial_fail(dial_trial_ctx(trial), DIAL_ERR_NUMERIC,
                         "the Gram matrix is singular in trial %lld", (long long)number);
    if (number % 3 == 2) {
        *pruned = true;
        return DIAL_OK;
    }
    *value = number == 3 ? NAN : 1.0;
    return DIAL_OK;
}

static void test_failed_and_pruned_trials_count_and_keep_their_message(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    dial_optimize_options options = {.n_trials = 6, .jobs = 1};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, fail_on_odd, NULL, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 6);
    assert_int_equal(list.items[0].state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(list.items[1].state, DIAL_TRIAL_FAILED);
    assert_string_equal(list.items[1].message, "the Gram matrix is singular in trial 1");
    assert_int_equal(list.items[2].state, DIAL_TRIAL_PRUNED);
    assert_null(list.items[2].message);
    assert_int_equal(list.items[3].state, DIAL_TRIAL_FAILED);
    assert_string_equal(list.items[3].message, "the objective returned nan");
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

typedef struct stopper {
    volatile int stop;
    int64_t after;
    int calls;
} stopper;

static dial_status stop_after(void *user, dial_trial *trial, double *value, bool *pruned) {
    stopper *s = user;
    s->calls++;
    if (dial_trial_number(trial) == s->after) s->stop = 1;
    *value = 1.0;
    return DIAL_OK;
}

static void test_stop_flag_ends_the_run_after_the_running_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    stopper s = {.after = 4};
    dial_optimize_options options = {.n_trials = 100, .jobs = 1, .stop = &s.stop};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, stop_after, &s, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 5);
    for (size_t i = 0; i < list.count; i++)
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static dial_status slow(void *user, dial_trial *trial, double *value, bool *pruned) {
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    *value = 1.0;
    return DIAL_OK;
}

static void test_timeout_ends_the_run_keeping_every_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    dial_optimize_options options = {.n_trials = 1000, .jobs = 2, .timeout_seconds = 0.1};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, slow, NULL, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_true(list.count >= 1 && list.count < 1000);
    for (size_t i = 0; i < list.count; i++)
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

typedef struct tally {
    int calls;
    int64_t seen[32];
    bool all_complete_with_params;
} tally;

/* Runs on worker threads: it records, and the test asserts afterwards. */
static void count_trial(void *user, const dial_study *study, const dial_trial_record *trial) {
    tally *t = user;
    if (t->calls < 32) t->seen[t->calls] = trial->number;
    t->calls++;
    if (trial->state != DIAL_TRIAL_COMPLETE || trial->n_params != 4 ||
        trial->finished_at < trial->started_at)
        t->all_complete_with_params = false;
}

static void test_on_trial_is_called_once_per_finished_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    tally t = {.all_complete_with_params = true};
    dial_optimize_options options = {
        .n_trials = 12, .jobs = 3, .on_trial = count_trial, .on_trial_user = &t};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, quadratic, NULL, &options));
    assert_int_equal(t.calls, 12);
    assert_true(t.all_complete_with_params);
    bool seen[12] = {false};
    for (int i = 0; i < 12; i++) seen[t.seen[i]] = true;
    for (int i = 0; i < 12; i++) assert_true(seen[i]);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_unbounded_run_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, 1);
    dial_optimize_options options = {.n_trials = 0};
    assert_dial_error(ctx, dial_study_optimize(ctx, study, quadratic, NULL, &options),
                      DIAL_ERR_ARGUMENT,
                      "n_trials = 0 (no limit) needs a timeout, a stop flag or a grid to end the "
                      "run");
    options = (dial_optimize_options){.n_trials = -3};
    assert_dial_error(ctx, dial_study_optimize(ctx, study, quadratic, NULL, &options),
                      DIAL_ERR_ARGUMENT,
                      "n_trials = -3 is out of range: must be >= 0 (0 = no limit)");
    options = (dial_optimize_options){.n_trials = 3, .jobs = -1};
    assert_dial_error(ctx, dial_study_optimize(ctx, study, quadratic, NULL, &options),
                      DIAL_ERR_ARGUMENT, "jobs = -1 is out of range: must be >= 1 (0 = 1)");
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static char *grid_modes[] = {"a", "b", "c"};
static dial_param grid_params[] = {
    {.name = "k", .kind = DIAL_PARAM_INT, .low = 1, .high = 4, .condition = ""},
    {.name = "mode",
     .kind = DIAL_PARAM_CHOICE,
     .low = 0,
     .high = 2,
     .n_choices = 3,
     .choices = grid_modes,
     .condition = ""},
};

static dial_status grid_objective(void *user, dial_trial *trial, double *value, bool *pruned) {
    static const char *const modes[] = {"a", "b", "c"};
    int64_t k;
    size_t mode;
    dial_status status = dial_trial_suggest_int(trial, "k", 1, 100, DIAL_LINEAR, &k);
    if (status == DIAL_OK) status = dial_trial_suggest_choice(trial, "mode", modes, 3, &mode);
    if (status != DIAL_OK) return status;
    *value = (double)k * 10 + (double)mode;
    return DIAL_OK;
}

static void test_grid_study_runs_every_point_once_then_ends(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {2, grid_params};
    dial_study_options study_options = {
        .name = "grid", .sampler = DIAL_SAMPLER_GRID, .space = &space, .seed = 5};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &study_options, &study));
    /* No n_trials: the grid bounds the run. */
    dial_optimize_options options = {.n_trials = 0, .jobs = 2};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, grid_objective, NULL, &options));
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 12);
    bool seen[5][3] = {{false}};
    for (size_t i = 0; i < list.count; i++) {
        int k = (int)(list.items[i].value / 10), mode = (int)list.items[i].value % 10;
        assert_true(k >= 1 && k <= 4 && mode >= 0 && mode <= 2);
        assert_false(seen[k][mode]);
        seen[k][mode] = true;
    }
    dial_trial_list_free(&list);
    options.n_trials = 50;
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, grid_objective, NULL, &options));
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 12);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_qmc_with_jobs_1_and_2_gives_the_same_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 2);
    dial_param params[] = {
        {.name = "x", .kind = DIAL_PARAM_FLOAT, .low = -5, .high = 5, .condition = ""},
        {.name = "y",
         .kind = DIAL_PARAM_FLOAT,
         .low = 1e-3,
         .high = 1e3,
         .log = true,
         .condition = ""},
    };
    dial_space space = {2, params};
    dial_study_options study_options = {
        .name = "qmc", .sampler = DIAL_SAMPLER_QMC, .space = &space, .seed = 11};
    dial_study *one = NULL, *two = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &study_options, &one));
    assert_dial_ok(ctx, dial_study_open(ctx, &study_options, &two));
    dial_trial_list a = run(ctx, one, 32, 1);
    dial_trial_list b = run(ctx, two, 32, 2);
    assert_int_equal(a.count, 32);
    assert_int_equal(b.count, 32);
    for (size_t i = 0; i < a.count; i++) {
        assert_true(a.items[i].value == b.items[i].value);
        for (size_t p = 0; p < a.items[i].n_params; p++)
            assert_true(a.items[i].param_values[p] == b.items[i].param_values[p]);
    }
    dial_trial_list_free(&a);
    dial_trial_list_free(&b);
    dial_study_free(one);
    dial_study_free(two);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_optimize_runs_n_trials_numbered_from_zero),
        cmocka_unit_test(test_rerun_brings_the_study_up_to_n_trials_not_n_more),
        cmocka_unit_test(test_jobs_1_and_2_give_the_same_trials),
        cmocka_unit_test(test_trials_share_the_thread_budget_and_get_their_own_seed),
        cmocka_unit_test(test_failed_and_pruned_trials_count_and_keep_their_message),
        cmocka_unit_test(test_stop_flag_ends_the_run_after_the_running_trial),
        cmocka_unit_test(test_timeout_ends_the_run_keeping_every_trial),
        cmocka_unit_test(test_on_trial_is_called_once_per_finished_trial),
        cmocka_unit_test(test_unbounded_run_is_refused),
        cmocka_unit_test(test_grid_study_runs_every_point_once_then_ends),
        cmocka_unit_test(test_qmc_with_jobs_1_and_2_gives_the_same_trials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
