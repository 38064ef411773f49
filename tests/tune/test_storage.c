/* The storage contract (src/tune/storage.h), run against every backend:
 * each test runs once in memory and once on a SQLite file, and once on
 * PostgreSQL when a server is at hand (CTest's tune/test_storage_postgres
 * runs this program under tests/support/pg_server.sh). Time is passed
 * in explicitly, so staleness is tested without waiting. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tune/record.h"
#include "tune/storage.h"

/* A storage holding one study to minimise (test_support.h). */
typedef test_storage_fixture fixture;

static int setup_memory(void **state) {
    return test_storage_fixture_open(state, false, DIAL_MINIMIZE);
}
static int setup_sqlite(void **state) {
    return test_storage_fixture_open(state, true, DIAL_MINIMIZE);
}
static int setup_postgres(void **state) {
    return test_storage_fixture_open_postgres(state, DIAL_MINIMIZE);
}
#define teardown test_storage_fixture_close

/* Starts a trial at time now with a 10 s heartbeat; fails the test if the
 * storage refuses. */
static dial_storage_trial start(fixture *f, int64_t max_trials, double now) {
    dial_storage_start request = {max_trials, 10.0, now};
    dial_storage_trial started;
    assert_dial_ok(
        f->ctx, f->storage.ops->start_trial(f->ctx, f->storage.self, f->study, &request, &started));
    return started;
}

static void finish(fixture *f, int64_t trial_id, dial_trial_state state, double value, double now) {
    bool was_stale = true;
    assert_dial_ok(f->ctx, f->storage.ops->finish(f->ctx, f->storage.self, trial_id, state, value,
                                                  state == DIAL_TRIAL_FAILED ? "it broke" : NULL,
                                                  now, &was_stale));
    assert_false(was_stale);
}

static void set_param(fixture *f, int64_t trial_id, size_t position, const char *name,
                      double value) {
    char text[64];
    dial_format_param_value(DIAL_PARAM_FLOAT, value, text, sizeof text);
    assert_dial_ok(f->ctx, f->storage.ops->set_param(f->ctx, f->storage.self, trial_id, position,
                                                     name, DIAL_PARAM_FLOAT, value, text));
}

static void test_trials_are_numbered_from_zero_with_matching_sample_index(void **state) {
    fixture *f = *state;
    for (int64_t i = 0; i < 3; i++) {
        dial_storage_trial t = start(f, 0, 100.0);
        assert_true(t.allocated);
        assert_int_equal(t.record.number, i);
        assert_int_equal(t.sample, i);
        assert_int_equal(t.record.state, DIAL_TRIAL_RUNNING);
        assert_int_equal(t.record.n_params, 0);
        dial_trial_record_clear(&t.record);
    }
}

static void test_budget_counts_running_and_finished_trials(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 2, 100.0);
    dial_storage_trial b = start(f, 2, 100.0);
    dial_storage_trial c = start(f, 2, 100.0);
    assert_true(a.allocated && b.allocated);
    assert_false(c.allocated);
    finish(f, a.trial_id, DIAL_TRIAL_FAILED, NAN, 101.0);
    dial_storage_trial d = start(f, 2, 102.0);
    assert_false(d.allocated); /* a failed trial counts too */
    dial_storage_trial e = start(f, 3, 102.0);
    assert_true(e.allocated);
    assert_int_equal(e.record.number, 2);
    int64_t finished = -1, running = -1;
    assert_dial_ok(f->ctx,
                   f->storage.ops->counts(f->ctx, f->storage.self, f->study, &finished, &running));
    assert_int_equal(finished, 1);
    assert_int_equal(running, 2);
    dial_trial_record_clear(&a.record);
    dial_trial_record_clear(&b.record);
    dial_trial_record_clear(&e.record);
}

static void test_finished_trial_keeps_params_values_and_message(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    set_param(f, a.trial_id, 0, "lr", 0.001);
    assert_dial_ok(f->ctx, f->storage.ops->set_param(f->ctx, f->storage.self, a.trial_id, 1,
                                                     "kernel", DIAL_PARAM_CHOICE, 1, "rbf"));
    assert_dial_ok(f->ctx,
                   f->storage.ops->report(f->ctx, f->storage.self, a.trial_id, 0, 0.9, 100.5));
    assert_dial_ok(f->ctx,
                   f->storage.ops->report(f->ctx, f->storage.self, a.trial_id, 1, 0.7, 100.6));
    assert_dial_ok(f->ctx,
                   f->storage.ops->report(f->ctx, f->storage.self, a.trial_id, 1, 0.6, 100.7));
    finish(f, a.trial_id, DIAL_TRIAL_COMPLETE, 0.6, 101.0);
    dial_storage_trial b = start(f, 0, 102.0);
    finish(f, b.trial_id, DIAL_TRIAL_FAILED, NAN, 103.0);

    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->trials(f->ctx, f->storage.self, f->study, &list));
    assert_int_equal(list.count, 2);
    dial_trial_record *r = &list.items[0];
    assert_int_equal(r->state, DIAL_TRIAL_COMPLETE);
    assert_true(r->value == 0.6);
    assert_int_equal(r->n_params, 2);
    assert_string_equal(r->param_names[0], "lr");
    assert_true(r->param_values[0] == 0.001);
    assert_string_equal(r->param_texts[0], "0.001");
    assert_int_equal(r->param_kinds[1], DIAL_PARAM_CHOICE);
    assert_string_equal(r->param_texts[1], "rbf");
    assert_int_equal(r->n_intermediate, 2);
    assert_int_equal(r->intermediate_steps[1], 1);
    assert_true(r->intermediate_values[1] == 0.6);
    assert_true(r->started_at == 100.0 && r->finished_at == 101.0);
    assert_null(r->message);
    assert_false(r->stale);
    assert_int_equal(list.items[1].state, DIAL_TRIAL_FAILED);
    assert_true(isnan(list.items[1].value));
    assert_string_equal(list.items[1].message, "it broke");
    dial_trial_list_free(&list);
    dial_trial_record_clear(&a.record);
    dial_trial_record_clear(&b.record);
}

static void test_best_is_lowest_value_then_lowest_number(void **state) {
    fixture *f = *state;
    const double values[] = {3.0, 1.0, 2.0, 1.0};
    for (int i = 0; i < 4; i++) {
        dial_storage_trial t = start(f, 0, 100.0);
        set_param(f, t.trial_id, 0, "x", values[i] * 10);
        finish(f, t.trial_id, DIAL_TRIAL_COMPLETE, values[i], 101.0);
        dial_trial_record_clear(&t.record);
    }
    dial_storage_trial pruned = start(f, 0, 100.0);
    finish(f, pruned.trial_id, DIAL_TRIAL_PRUNED, 0.0, 101.0);
    dial_trial_record_clear(&pruned.record);
    dial_trial_record best;
    bool found = false;
    assert_dial_ok(f->ctx, f->storage.ops->best(f->ctx, f->storage.self, f->study, DIAL_MINIMIZE,
                                                &best, &found));
    assert_true(found);
    assert_int_equal(best.number, 1);
    assert_true(best.value == 1.0);
    assert_int_equal(best.n_params, 1);
    assert_true(best.param_values[0] == 10.0);
    dial_trial_record_clear(&best);
}

static void test_best_of_an_empty_study_is_not_found(void **state) {
    fixture *f = *state;
    dial_trial_record best;
    bool found = true;
    assert_dial_ok(f->ctx, f->storage.ops->best(f->ctx, f->storage.self, f->study, DIAL_MINIMIZE,
                                                &best, &found));
    assert_false(found);
}

static void test_stale_trial_is_failed_and_its_params_go_to_the_next_trial(void **state) {
    fixture *f = *state;
    dial_storage_trial done = start(f, 0, 100.0);
    finish(f, done.trial_id, DIAL_TRIAL_COMPLETE, 1.0, 100.5);
    dial_storage_trial dead = start(f, 0, 101.0);
    set_param(f, dead.trial_id, 0, "x", 0.25);
    set_param(f, dead.trial_id, 1, "y", 7.5);
    dial_storage_trial alive = start(f, 0, 105.0);
    assert_int_equal(alive.sample, 2);

    /* At 112 the dead trial (heartbeat 101) is 11 s silent, the live one
     * (105) only 7 s. */
    dial_storage_trial rerun = start(f, 5, 112.0);
    assert_true(rerun.allocated);
    assert_int_equal(rerun.n_marked_stale, 1);
    assert_int_equal(rerun.record.number, 3);
    assert_int_equal(rerun.sample, -1);
    assert_int_equal(rerun.record.n_params, 2);
    assert_string_equal(rerun.record.param_names[0], "x");
    assert_true(rerun.record.param_values[0] == 0.25);
    assert_string_equal(rerun.record.param_names[1], "y");
    assert_string_equal(rerun.record.param_texts[1], "7.5");

    /* The queue is empty again: the next trial samples, and takes the next
     * sample index (3), not its number (4). */
    dial_storage_trial next = start(f, 0, 112.0);
    assert_int_equal(next.record.number, 4);
    assert_int_equal(next.sample, 3);
    assert_int_equal(next.record.n_params, 0);

    /* The stale trial no longer counts: 1 finished + 3 running. */
    int64_t finished = -1, running = -1;
    assert_dial_ok(f->ctx,
                   f->storage.ops->counts(f->ctx, f->storage.self, f->study, &finished, &running));
    assert_int_equal(finished, 1);
    assert_int_equal(running, 3);

    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->trials(f->ctx, f->storage.self, f->study, &list));
    assert_int_equal(list.count, 5);
    assert_int_equal(list.items[1].state, DIAL_TRIAL_FAILED);
    assert_true(list.items[1].stale);
    assert_string_equal(list.items[1].message, "stale: no heartbeat for 10 s (its worker "
                                               "stopped); its params run again in a later trial");
    assert_false(list.items[2].stale);
    assert_int_equal(list.items[3].n_params, 2);
    dial_trial_list_free(&list);

    /* The dead worker, back from the dead, cannot finish it any more. */
    bool was_stale = false;
    assert_dial_ok(f->ctx,
                   f->storage.ops->finish(f->ctx, f->storage.self, dead.trial_id,
                                          DIAL_TRIAL_COMPLETE, 0.5, NULL, 113.0, &was_stale));
    assert_true(was_stale);
    dial_trial_record_clear(&done.record);
    dial_trial_record_clear(&dead.record);
    dial_trial_record_clear(&alive.record);
    dial_trial_record_clear(&rerun.record);
    dial_trial_record_clear(&next.record);
}

static void test_report_refreshes_the_heartbeat(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    assert_dial_ok(f->ctx,
                   f->storage.ops->report(f->ctx, f->storage.self, a.trial_id, 0, 1.0, 108.0));
    dial_storage_trial b = start(f, 0, 115.0); /* 7 s after the report: alive */
    assert_int_equal(b.n_marked_stale, 0);
    int64_t ids[] = {a.trial_id, b.trial_id};
    assert_dial_ok(f->ctx, f->storage.ops->heartbeat(f->ctx, f->storage.self, ids, 2, 120.0));
    dial_storage_trial c = start(f, 0, 129.0);
    assert_int_equal(c.n_marked_stale, 0);
    dial_storage_trial d = start(f, 0, 131.0);
    assert_int_equal(d.n_marked_stale, 2);
    dial_trial_record_clear(&a.record);
    dial_trial_record_clear(&b.record);
    dial_trial_record_clear(&c.record);
    dial_trial_record_clear(&d.record);
}

static void test_trial_that_died_before_any_param_is_not_queued(void **state) {
    fixture *f = *state;
    dial_storage_trial dead = start(f, 0, 100.0);
    dial_storage_trial next = start(f, 0, 200.0);
    assert_int_equal(next.n_marked_stale, 1);
    assert_int_equal(next.sample, 1);
    assert_int_equal(next.record.n_params, 0);
    dial_trial_record_clear(&dead.record);
    dial_trial_record_clear(&next.record);
}

static void test_finishing_twice_is_refused(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    finish(f, a.trial_id, DIAL_TRIAL_COMPLETE, 1.0, 101.0);
    bool was_stale = false;
    assert_dial_error(f->ctx,
                      f->storage.ops->finish(f->ctx, f->storage.self, a.trial_id,
                                             DIAL_TRIAL_COMPLETE, 2.0, NULL, 102.0, &was_stale),
                      DIAL_ERR_ARGUMENT, "trial 0 is already complete");
    dial_trial_record_clear(&a.record);
}

static void report_path(fixture *f, int64_t trial_id, const int64_t *steps, const double *values,
                        size_t n, double now) {
    assert_dial_ok(f->ctx, f->storage.ops->report_path(f->ctx, f->storage.self, trial_id, steps,
                                                       values, n, now));
}

static void test_a_path_is_replaced_whole_and_read_with_the_trial(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    const int64_t long_steps[] = {1, 2, 3, 4};
    const double long_values[] = {0.5, 0.4, 0.3, 0.35};
    report_path(f, a.trial_id, long_steps, long_values, 4, 100.5);
    const int64_t steps[] = {10, 25, 100};
    const double values[] = {0.3, NAN, 0.25};
    report_path(f, a.trial_id, steps, values, 3, 100.6);
    finish(f, a.trial_id, DIAL_TRIAL_COMPLETE, 0.25, 101.0);
    dial_storage_trial b = start(f, 0, 102.0);
    finish(f, b.trial_id, DIAL_TRIAL_COMPLETE, 0.5, 103.0);

    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->trials(f->ctx, f->storage.self, f->study, &list));
    assert_int_equal(list.count, 2);
    const dial_trial_record *r = &list.items[0];
    assert_int_equal(r->n_path, 3);
    for (size_t i = 0; i < 3; i++) assert_int_equal(r->path_steps[i], steps[i]);
    assert_true(r->path_values[0] == 0.3);
    assert_true(isnan(r->path_values[1]));
    assert_true(r->path_values[2] == 0.25);
    assert_int_equal(list.items[1].n_path, 0);
    assert_null(list.items[1].path_steps);
    dial_trial_list_free(&list);

    dial_trial_record best;
    bool found = false;
    assert_dial_ok(f->ctx, f->storage.ops->best(f->ctx, f->storage.self, f->study, DIAL_MINIMIZE,
                                                &best, &found));
    assert_true(found);
    assert_int_equal(best.number, 0);
    assert_int_equal(best.n_path, 3);
    assert_int_equal(best.path_steps[2], 100);
    assert_true(best.path_values[2] == 0.25);
    dial_trial_record_clear(&best);
    dial_trial_record_clear(&a.record);
    dial_trial_record_clear(&b.record);
}

static void test_an_empty_path_removes_the_one_stored(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    const int64_t steps[] = {1, 2};
    const double values[] = {0.5, 0.4};
    report_path(f, a.trial_id, steps, values, 2, 100.5);
    report_path(f, a.trial_id, NULL, NULL, 0, 100.6);
    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->trials(f->ctx, f->storage.self, f->study, &list));
    assert_int_equal(list.items[0].n_path, 0);
    dial_trial_list_free(&list);
    dial_trial_record_clear(&a.record);
}

static void test_reporting_a_path_refreshes_the_heartbeat(void **state) {
    fixture *f = *state;
    dial_storage_trial a = start(f, 0, 100.0);
    const int64_t steps[] = {1};
    const double values[] = {0.5};
    report_path(f, a.trial_id, steps, values, 1, 108.0);
    dial_storage_trial b = start(f, 0, 115.0); /* 7 s after the path: alive */
    assert_int_equal(b.n_marked_stale, 0);
    dial_storage_trial c = start(f, 0, 119.0); /* 11 s after: stale */
    assert_int_equal(c.n_marked_stale, 1);
    dial_trial_record_clear(&a.record);
    dial_trial_record_clear(&b.record);
    dial_trial_record_clear(&c.record);
}

/* The trial that reruns a stale trial's params starts with no path: the
 * path belonged to the dead run. */
static void test_a_rerun_of_a_stale_trial_starts_without_its_path(void **state) {
    fixture *f = *state;
    dial_storage_trial dead = start(f, 0, 100.0);
    set_param(f, dead.trial_id, 0, "x", 0.25);
    const int64_t steps[] = {1, 2};
    const double values[] = {0.5, 0.4};
    report_path(f, dead.trial_id, steps, values, 2, 100.0);
    dial_storage_trial rerun = start(f, 0, 120.0);
    assert_int_equal(rerun.n_marked_stale, 1);
    assert_int_equal(rerun.record.n_params, 1);
    assert_int_equal(rerun.record.n_path, 0);
    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->trials(f->ctx, f->storage.self, f->study, &list));
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].n_path, 2); /* the stale trial keeps what it scored */
    assert_int_equal(list.items[1].n_path, 0);
    dial_trial_list_free(&list);
    dial_trial_record_clear(&dead.record);
    dial_trial_record_clear(&rerun.record);
}

#define BOTH(test)                                                 \
    cmocka_unit_test_setup_teardown(test, setup_memory, teardown), \
        cmocka_unit_test_setup_teardown(test, setup_sqlite, teardown)
#define ON_POSTGRES(test) cmocka_unit_test_setup_teardown(test, setup_postgres, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(test_trials_are_numbered_from_zero_with_matching_sample_index),
        BOTH(test_budget_counts_running_and_finished_trials),
        BOTH(test_finished_trial_keeps_params_values_and_message),
        BOTH(test_best_is_lowest_value_then_lowest_number),
        BOTH(test_best_of_an_empty_study_is_not_found),
        BOTH(test_stale_trial_is_failed_and_its_params_go_to_the_next_trial),
        BOTH(test_report_refreshes_the_heartbeat),
        BOTH(test_trial_that_died_before_any_param_is_not_queued),
        BOTH(test_finishing_twice_is_refused),
        BOTH(test_a_path_is_replaced_whole_and_read_with_the_trial),
        BOTH(test_an_empty_path_removes_the_one_stored),
        BOTH(test_reporting_a_path_refreshes_the_heartbeat),
        BOTH(test_a_rerun_of_a_stale_trial_starts_without_its_path),
    };
    const struct CMUnitTest postgres_tests[] = {
        ON_POSTGRES(test_trials_are_numbered_from_zero_with_matching_sample_index),
        ON_POSTGRES(test_budget_counts_running_and_finished_trials),
        ON_POSTGRES(test_finished_trial_keeps_params_values_and_message),
        ON_POSTGRES(test_best_is_lowest_value_then_lowest_number),
        ON_POSTGRES(test_best_of_an_empty_study_is_not_found),
        ON_POSTGRES(test_stale_trial_is_failed_and_its_params_go_to_the_next_trial),
        ON_POSTGRES(test_report_refreshes_the_heartbeat),
        ON_POSTGRES(test_trial_that_died_before_any_param_is_not_queued),
        ON_POSTGRES(test_finishing_twice_is_refused),
        ON_POSTGRES(test_a_path_is_replaced_whole_and_read_with_the_trial),
        ON_POSTGRES(test_an_empty_path_removes_the_one_stored),
        ON_POSTGRES(test_reporting_a_path_refreshes_the_heartbeat),
        ON_POSTGRES(test_a_rerun_of_a_stale_trial_starts_without_its_path),
    };
    if (test_postgres_url()) return cmocka_run_group_tests(postgres_tests, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
