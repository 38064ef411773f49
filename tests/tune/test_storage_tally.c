/* What a search reads back from a storage without listing the study: the
 * trials counted by state (tally) and the leaderboard's trials (leaders),
 * the same in memory, in a SQLite file and (under
 * tests/support/pg_server.sh, CTest's tune/test_storage_tally_postgres) on
 * PostgreSQL. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tune/record.h"
#include "tune/storage.h"

/* A storage holding one study (test_support.h). */
typedef test_storage_fixture fixture;

static int memory_minimize(void **state) {
    return test_storage_fixture_open(state, false, DIAL_MINIMIZE);
}
static int sqlite_minimize(void **state) {
    return test_storage_fixture_open(state, true, DIAL_MINIMIZE);
}
static int memory_maximize(void **state) {
    return test_storage_fixture_open(state, false, DIAL_MAXIMIZE);
}
static int sqlite_maximize(void **state) {
    return test_storage_fixture_open(state, true, DIAL_MAXIMIZE);
}
static int postgres_minimize(void **state) {
    return test_storage_fixture_open_postgres(state, DIAL_MINIMIZE);
}
static int postgres_maximize(void **state) {
    return test_storage_fixture_open_postgres(state, DIAL_MAXIMIZE);
}
#define teardown test_storage_fixture_close

/* Starts a trial at time now (10 s heartbeat) with param x, returns its id. */
static int64_t start(fixture *f, double x, double now) {
    dial_storage_start request = {0, 10.0, now};
    dial_storage_trial started;
    assert_dial_ok(
        f->ctx, f->storage.ops->start_trial(f->ctx, f->storage.self, f->study, &request, &started));
    assert_true(started.allocated);
    char text[32];
    snprintf(text, sizeof text, "%g", x);
    assert_dial_ok(f->ctx, f->storage.ops->set_param(f->ctx, f->storage.self, started.trial_id, 0,
                                                     "x", DIAL_PARAM_FLOAT, x, text));
    dial_trial_record_clear(&started.record);
    return started.trial_id;
}

static void finish(fixture *f, int64_t id, dial_trial_state state, double value,
                   const char *message) {
    bool was_stale = true;
    assert_dial_ok(f->ctx, f->storage.ops->finish(f->ctx, f->storage.self, id, state, value,
                                                  message, 100.5, &was_stale));
    assert_false(was_stale);
}

/* Trials 0..9 at time 100: values 5 3 (pruned) (failed "first") 3 1 (failed
 * "second") 7 1 (dies: stale at 112) (running). */
static void fill(fixture *f) {
    int64_t ids[10];
    for (int i = 0; i < 10; i++) ids[i] = start(f, i, i == 8 ? 90.0 : 100.0);
    finish(f, ids[0], DIAL_TRIAL_COMPLETE, 5, NULL);
    finish(f, ids[1], DIAL_TRIAL_COMPLETE, 3, NULL);
    finish(f, ids[2], DIAL_TRIAL_PRUNED, NAN, NULL);
    finish(f, ids[3], DIAL_TRIAL_FAILED, NAN, "first");
    finish(f, ids[4], DIAL_TRIAL_COMPLETE, 3, NULL);
    finish(f, ids[5], DIAL_TRIAL_COMPLETE, 1, NULL);
    finish(f, ids[6], DIAL_TRIAL_FAILED, NAN, "second");
    finish(f, ids[7], DIAL_TRIAL_COMPLETE, 7, NULL);
    /* Trial 8's heartbeat (90) is past 10 s at 101: the next start marks
     * it stale and takes its params (trial 10, left running). */
    dial_storage_start request = {0, 10.0, 101.0};
    dial_storage_trial rerun;
    assert_dial_ok(
        f->ctx, f->storage.ops->start_trial(f->ctx, f->storage.self, f->study, &request, &rerun));
    assert_int_equal(rerun.n_marked_stale, 1);
    dial_trial_record_clear(&rerun.record);
}

static void test_the_tally_counts_every_state(void **state) {
    fixture *f = *state;
    fill(f);
    dial_storage_tally tally;
    assert_dial_ok(f->ctx, f->storage.ops->tally(f->ctx, f->storage.self, f->study, &tally));
    assert_int_equal(tally.complete, 5);
    assert_int_equal(tally.pruned, 1);
    assert_int_equal(tally.failed, 2);
    assert_int_equal(tally.stale, 1);
    assert_int_equal(tally.running, 2); /* trial 9 and the rerun, trial 10 */
}

static void expect_leaders(fixture *f, size_t n, const int64_t *numbers, size_t count) {
    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->leaders(f->ctx, f->storage.self, f->study, DIAL_MINIMIZE,
                                                   n, &list));
    assert_int_equal(list.count, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(list.items[i].number, numbers[i]);
        assert_int_equal(list.items[i].n_params, 1); /* read whole */
        assert_true(list.items[i].param_values[0] == (double)numbers[i]);
    }
    dial_trial_list_free(&list);
}

/* Minimizing: 5 (value 1), then 1 and 4 (value 3: the lower number first),
 * then 0 (5); the first failed is 3, not 6; ascending number. */
static void test_leaders_are_the_best_and_the_first_failed(void **state) {
    fixture *f = *state;
    fill(f);
    expect_leaders(f, 100, (const int64_t[]){0, 1, 3, 4, 5, 7}, 6);
    expect_leaders(f, 2, (const int64_t[]){1, 3, 5}, 3);
    expect_leaders(f, 3, (const int64_t[]){1, 3, 4, 5}, 4);
}

static void test_leaders_when_maximizing_take_the_highest(void **state) {
    fixture *f = *state;
    fill(f);
    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->leaders(f->ctx, f->storage.self, f->study, DIAL_MAXIMIZE,
                                                   2, &list));
    assert_int_equal(list.count, 3);
    assert_int_equal(list.items[0].number, 0); /* 5 */
    assert_int_equal(list.items[1].number, 3); /* the first failed */
    assert_string_equal(list.items[1].message, "first");
    assert_int_equal(list.items[2].number, 7); /* 7 */
    assert_true(list.items[2].value == 7);
    dial_trial_list_free(&list);
}

static void test_leaders_of_an_empty_study_are_none(void **state) {
    fixture *f = *state;
    dial_trial_list list;
    assert_dial_ok(f->ctx, f->storage.ops->leaders(f->ctx, f->storage.self, f->study, DIAL_MINIMIZE,
                                                   100, &list));
    assert_int_equal(list.count, 0);
    dial_trial_list_free(&list);
    dial_storage_tally tally;
    assert_dial_ok(f->ctx, f->storage.ops->tally(f->ctx, f->storage.self, f->study, &tally));
    assert_int_equal(tally.complete + tally.pruned + tally.failed + tally.stale + tally.running, 0);
}

#define BOTH(test, memory, sqlite)                           \
    cmocka_unit_test_setup_teardown(test, memory, teardown), \
        cmocka_unit_test_setup_teardown(test, sqlite, teardown)
#define ON_POSTGRES(test, setup) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(test_the_tally_counts_every_state, memory_minimize, sqlite_minimize),
        BOTH(test_leaders_are_the_best_and_the_first_failed, memory_minimize, sqlite_minimize),
        BOTH(test_leaders_when_maximizing_take_the_highest, memory_maximize, sqlite_maximize),
        BOTH(test_leaders_of_an_empty_study_are_none, memory_minimize, sqlite_minimize),
    };
    const struct CMUnitTest postgres_tests[] = {
        ON_POSTGRES(test_the_tally_counts_every_state, postgres_minimize),
        ON_POSTGRES(test_leaders_are_the_best_and_the_first_failed, postgres_minimize),
        ON_POSTGRES(test_leaders_when_maximizing_take_the_highest, postgres_maximize),
        ON_POSTGRES(test_leaders_of_an_empty_study_are_none, postgres_minimize),
    };
    if (test_postgres_url()) return cmocka_run_group_tests(postgres_tests, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
