/* dial_trial_abandon: a trial its objective gives up (dial run's program
 * ended by Ctrl-C) is neither finished nor counted; it is left running with
 * an expired heartbeat, and the next run marks it stale and runs its
 * params again, so the study reaches its n_trials with every trial judged. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

typedef test_study_folder fixture;

/* Completes every trial but the one numbered `abandon`, which it gives up
 * while raising the stop flag, as dial run does at a Ctrl-C. */
typedef struct abandoning {
    int64_t abandon;
    volatile int stop;
    int64_t on_trial_calls;
} abandoning;

static dial_status objective(void *user, dial_trial *trial, double *value, bool *pruned) {
    abandoning *self = user;
    double x;
    dial_status status = dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &x);
    if (status != DIAL_OK) return status;
    if (dial_trial_number(trial) == self->abandon) {
        dial_trial_abandon(trial);
        self->stop = 1;
        /* What it returns is ignored. */
        return dial_fail(dial_trial_ctx(trial), DIAL_ERR_ARGUMENT, "interrupted");
    }
    *value = x;
    return DIAL_OK;
}

static void count_call(void *user, const dial_study *study, const dial_trial_record *trial) {
    (void)study;
    (void)trial;
    ((abandoning *)user)->on_trial_calls++;
}

static dial_study *open_study(fixture *f) {
    dial_study_options options = {.name = "s", .storage = f->path, .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_open(f->ctx, &options, &study));
    return study;
}

static void optimize(fixture *f, dial_study *study, abandoning *self, int64_t n_trials) {
    dial_optimize_options options = {.n_trials = n_trials,
                                     .jobs = 1,
                                     .stop = &self->stop,
                                     .on_trial = count_call,
                                     .on_trial_user = self};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, objective, self, &options));
}

static void test_an_abandoned_trial_stays_running_and_does_not_count(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f);
    abandoning self = {.abandon = 2};
    optimize(f, study, &self, 5);
    assert_int_equal(self.on_trial_calls, 2);
    dial_trial_list list;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    assert_int_equal(list.count, 3);
    assert_int_equal(list.items[0].state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(list.items[1].state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(list.items[2].state, DIAL_TRIAL_RUNNING);
    assert_null(list.items[2].message);
    dial_trial_list_free(&list);
    dial_study_free(study);
}

static void test_the_next_run_marks_it_stale_and_runs_its_params_again(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f);
    abandoning first = {.abandon = 2};
    optimize(f, study, &first, 5);
    dial_trial_list before;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &before));
    double abandoned_x = before.items[2].param_values[0];
    dial_trial_list_free(&before);
    dial_study_free(study);

    /* Another handle, as a second dial run is: the default heartbeat
     * period (60 s) has not passed, yet the trial is stale at once. */
    study = open_study(f);
    abandoning second = {.abandon = -1};
    optimize(f, study, &second, 5);
    assert_int_equal(second.on_trial_calls, 3);
    dial_trial_list list;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    assert_int_equal(list.count, 6);
    assert_int_equal(list.items[2].state, DIAL_TRIAL_FAILED);
    assert_true(list.items[2].stale);
    assert_int_equal(list.items[3].state, DIAL_TRIAL_COMPLETE);
    assert_true(list.items[3].param_values[0] == abandoned_x);
    int64_t counted = 0;
    for (size_t i = 0; i < list.count; i++)
        counted += list.items[i].state != DIAL_TRIAL_RUNNING && !list.items[i].stale;
    assert_int_equal(counted, 5);
    dial_trial_list_free(&list);
    dial_study_free(study);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_abandoned_trial_stays_running_and_does_not_count,
                                        test_study_folder_setup, test_study_folder_teardown),
        cmocka_unit_test_setup_teardown(test_the_next_run_marks_it_stale_and_runs_its_params_again,
                                        test_study_folder_setup, test_study_folder_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
