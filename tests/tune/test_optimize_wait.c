/* The executor when other workers hold the study's budget: a run right
 * after a worker died waits for the dead trials' heartbeats to expire and
 * runs their params, instead of ending short; a run that finds a live
 * worker's trial waits for it to finish and then stops. Workers are forked
 * processes sharing a SQLite study with a short heartbeat. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "test_support.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dial/tune.h"

/* Short enough for the suite, long enough that a busy machine does not
 * starve a live worker's heartbeats for a whole period. */
#define HEARTBEAT_SECONDS 0.5

/* A temporary folder with a study file path in it (test_support.h). */
typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

static dial_status open_with_heartbeat(dial_ctx *ctx, const char *path, double heartbeat,
                                       dial_study **out) {
    dial_study_options options = {.name = "wait",
                                  .storage = path,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_RANDOM,
                                  .seed = 3,
                                  .heartbeat_seconds = heartbeat};
    return dial_study_open(ctx, &options, out);
}

static dial_status open_study(dial_ctx *ctx, const char *path, dial_study **out) {
    return open_with_heartbeat(ctx, path, HEARTBEAT_SECONDS, out);
}

static dial_status square(void *user, dial_trial *trial, double *value, bool *pruned) {
    double x;
    dial_status status = dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x);
    if (status != DIAL_OK) return status;
    *value = x * x;
    return DIAL_OK;
}

typedef struct waits {
    int calls;
    int64_t n_running;
    double within_seconds;
    volatile int *stop; /* raised when the wait starts, when not NULL */
} waits;

static void count_wait(void *user, const dial_study *study, int64_t n_running,
                       double within_seconds) {
    waits *seen = user;
    seen->calls++;
    seen->n_running = n_running;
    seen->within_seconds = within_seconds;
    if (seen->stop) *seen->stop = 1;
}

static void optimize(fixture *f, dial_study *study, int64_t n_trials, int jobs, waits *seen) {
    dial_optimize_options options = {
        .n_trials = n_trials, .jobs = jobs, .on_wait = count_wait, .on_wait_user = seen};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, square, NULL, &options));
}

/* In a child: starts n trials, draws their x and exits without finishing
 * them, as kill -9 leaves a worker's trials. The parent waits for it. */
static void crash_with_heartbeat(fixture *f, int n, double heartbeat) {
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dial_ctx *ctx = dial_ctx_new();
        dial_study *study = NULL;
        if (open_with_heartbeat(ctx, f->path, heartbeat, &study) != DIAL_OK) _exit(2);
        for (int i = 0; i < n; i++) {
            dial_trial *trial = NULL;
            double x;
            if (dial_study_ask(ctx, study, 0, &trial) != DIAL_OK || !trial) _exit(3);
            if (dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x) != DIAL_OK) _exit(4);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void crash_with_running_trials(fixture *f, int n) {
    crash_with_heartbeat(f, n, HEARTBEAT_SECONDS);
}

static dial_trial_list trials_of(fixture *f, dial_study *study) {
    dial_trial_list list;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    return list;
}

/* The case: two trials of a killed worker, then a run for
 * --trials 2 at once, within their heartbeat. It used to run 0 trials. */
static void run(fixture *f, int64_t n_trials, int jobs) {
    crash_with_running_trials(f, 2);
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_study(f->ctx, f->path, &study));
    dial_trial_list before = trials_of(f, study);
    assert_int_equal(before.count, 2);
    assert_int_equal(before.items[0].state, DIAL_TRIAL_RUNNING);
    assert_int_equal(before.items[1].state, DIAL_TRIAL_RUNNING);

    waits seen = {0};
    optimize(f, study, n_trials, jobs, &seen);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.n_running, 2);
    assert_true(seen.within_seconds == HEARTBEAT_SECONDS);

    dial_trial_list after = trials_of(f, study);
    assert_int_equal(after.count, 2 + n_trials);
    int64_t complete = 0;
    for (size_t i = 0; i < after.count; i++) {
        const dial_trial_record *trial = &after.items[i];
        if (i < 2) {
            assert_int_equal(trial->state, DIAL_TRIAL_FAILED);
            assert_true(trial->stale);
            continue;
        }
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        complete++;
    }
    assert_int_equal(complete, n_trials);
    /* Each dead trial's x ran again, once. */
    for (size_t dead = 0; dead < 2; dead++) {
        int reruns = 0;
        for (size_t i = 2; i < after.count; i++)
            reruns += after.items[i].param_values[0] == before.items[dead].param_values[0];
        assert_int_equal(reruns, 1);
    }
    dial_trial_list_free(&before);
    dial_trial_list_free(&after);
    dial_study_free(study);
}

static void test_a_run_after_a_crash_reruns_the_dead_trials_to_reach_n_trials(void **state) {
    run(*state, 2, 1);
}

static void test_a_run_with_more_trials_after_a_crash_ends_with_all_of_them(void **state) {
    run(*state, 5, 2);
}

/* A live worker's long trial: it reports every 20 ms for 0.3 s, then
 * completes. The heartbeat period is a minute, so that a busy machine never
 * starves the live worker into looking dead. */
static void live_worker(fixture *f, int ready) {
    dial_ctx *ctx = dial_ctx_new();
    dial_study *study = NULL;
    dial_trial *trial = NULL;
    double x;
    if (open_with_heartbeat(ctx, f->path, 60, &study) != DIAL_OK) _exit(2);
    if (dial_study_ask(ctx, study, 0, &trial) != DIAL_OK || !trial) _exit(3);
    if (dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x) != DIAL_OK) _exit(4);
    if (write(ready, "r", 1) != 1) _exit(5);
    for (int step = 0; step < 15; step++) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        if (dial_trial_report(trial, step, x) != DIAL_OK) _exit(6);
    }
    if (dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, x * x) != DIAL_OK) _exit(7);
    dial_study_free(study);
    dial_ctx_free(ctx);
    _exit(0);
}

/* A live worker's trial holds the only place: the run waits until it
 * finishes, runs nothing, and leaves nothing running. */
static void test_a_live_workers_trial_is_waited_for_then_counts(void **state) {
    fixture *f = *state;
    int pipe_ends[2];
    assert_int_equal(pipe(pipe_ends), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(pipe_ends[0]);
        live_worker(f, pipe_ends[1]);
    }
    close(pipe_ends[1]);
    char ready;
    assert_int_equal(read(pipe_ends[0], &ready, 1), 1);
    close(pipe_ends[0]);

    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_with_heartbeat(f->ctx, f->path, 60, &study));
    waits seen = {0};
    optimize(f, study, 1, 1, &seen);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.n_running, 1);
    dial_trial_list after = trials_of(f, study);
    assert_int_equal(after.count, 1);
    assert_int_equal(after.items[0].state, DIAL_TRIAL_COMPLETE);
    assert_false(after.items[0].stale);
    dial_trial_list_free(&after);
    dial_study_free(study);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* With a heartbeat of a minute, a dead trial would hold its place that
 * long: the stop flag (raised here when the wait starts) and the timeout
 * end the wait at once, running nothing. */
static void stop_while_waiting(fixture *f, volatile int *stop, double timeout) {
    crash_with_heartbeat(f, 1, 60);
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_with_heartbeat(f->ctx, f->path, 60, &study));
    waits seen = {.stop = stop};
    dial_optimize_options options = {.n_trials = 1,
                                     .jobs = 1,
                                     .timeout_seconds = timeout,
                                     .stop = stop,
                                     .on_wait = count_wait,
                                     .on_wait_user = &seen};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, square, NULL, &options));
    assert_int_equal(seen.calls, 1);
    assert_true(seen.within_seconds == 60);
    dial_trial_list after = trials_of(f, study);
    assert_int_equal(after.count, 1);
    assert_int_equal(after.items[0].state, DIAL_TRIAL_RUNNING);
    dial_trial_list_free(&after);
    dial_study_free(study);
}

static void test_the_stop_flag_ends_the_wait(void **state) {
    volatile int stop = 0;
    stop_while_waiting(*state, &stop, 0);
}

static void test_the_timeout_ends_the_wait(void **state) { stop_while_waiting(*state, NULL, 0.2); }

static dial_status slow_square(void *user, dial_trial *trial, double *value, bool *pruned) {
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    return square(user, trial, value, pruned);
}

/* This run's own trials are not other workers': with two jobs and three
 * trials, the job that finishes second finds the last place held by its
 * sibling's trial, and stops instead of waiting for it. */
static void test_a_run_never_waits_for_its_own_trials(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_study(f->ctx, f->path, &study));
    waits seen = {0};
    dial_optimize_options options = {
        .n_trials = 3, .jobs = 2, .on_wait = count_wait, .on_wait_user = &seen};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, slow_square, NULL, &options));
    assert_int_equal(seen.calls, 0);
    dial_trial_list after = trials_of(f, study);
    assert_int_equal(after.count, 3);
    dial_trial_list_free(&after);
    dial_study_free(study);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_run_after_a_crash_reruns_the_dead_trials_to_reach_n_trials, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_run_with_more_trials_after_a_crash_ends_with_all_of_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_live_workers_trial_is_waited_for_then_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_stop_flag_ends_the_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_timeout_ends_the_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_run_never_waits_for_its_own_trials, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
