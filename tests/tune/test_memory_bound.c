/* An in-memory study's memory is bounded by the work, not by the time: a
 * long search of a fast objective keeps its running trials, the 1000 most
 * recent finished ones, the 100 best and the first failed, with exact
 * counts per state; its peak memory stays flat however many trials run. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dial/tune.h"
#include "tune/study_internal.h"

/* AddressSanitizer holds freed blocks in a quarantine of 256 MB, which a
 * peak would measure instead of dial (GCC and clang say so differently). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ADDRESS_SANITIZER 1
#endif
#endif

#define N_TRIALS 300000
#define RECENT_KEPT 1000
#define BEST_KEPT 100

/* Every 1000th trial fails, every 7th of the others is pruned, the rest
 * complete with value x; outcomes are written down by trial number. */
typedef struct outcomes {
    double *values; /* NaN unless complete */
    dial_trial_state *states;
} outcomes;

static dial_status draw_x(void *user, dial_trial *trial, double *value, bool *pruned) {
    outcomes *seen = user;
    int64_t number = dial_trial_number(trial);
    double x;
    dial_status status = dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x);
    if (status != DIAL_OK) return status;
    if (seen) seen->values[number] = NAN;
    if (number % 1000 == 999) {
        if (seen) seen->states[number] = DIAL_TRIAL_FAILED;
        return dial_fail(dial_trial_ctx(trial), DIAL_ERR_DATA, "trial %lld fails on purpose",
                         (long long)number);
    }
    if (number % 7 == 3) {
        if (seen) seen->states[number] = DIAL_TRIAL_PRUNED;
        *pruned = true;
        return DIAL_OK;
    }
    if (seen) {
        seen->states[number] = DIAL_TRIAL_COMPLETE;
        seen->values[number] = x;
    }
    *value = x;
    return DIAL_OK;
}

static dial_study *open_study(dial_ctx *ctx) {
    dial_study_options options = {.name = "long", .sampler = DIAL_SAMPLER_RANDOM, .seed = 5};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

static void run(dial_ctx *ctx, dial_study *study, outcomes *seen) {
    dial_optimize_options options = {.n_trials = N_TRIALS, .jobs = 1};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, draw_x, seen, &options));
}

static const double *sort_values; /* for qsort's comparator: this test's own, single thread */

static int by_value_then_number(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (sort_values[x] != sort_values[y]) return sort_values[x] < sort_values[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static void test_a_long_study_keeps_the_recent_the_best_and_the_first_failed(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx);
    outcomes seen = {calloc(N_TRIALS, sizeof(double)), calloc(N_TRIALS, sizeof(dial_trial_state))};
    assert_non_null(seen.values);
    assert_non_null(seen.states);
    run(ctx, study, &seen);

    /* The counts are exact. */
    int64_t complete = 0, pruned = 0, failed = 0;
    for (int64_t i = 0; i < N_TRIALS; i++) {
        complete += seen.states[i] == DIAL_TRIAL_COMPLETE;
        pruned += seen.states[i] == DIAL_TRIAL_PRUNED;
        failed += seen.states[i] == DIAL_TRIAL_FAILED;
    }
    dial_storage_tally tally;
    assert_dial_ok(ctx,
                   study->storage.ops->tally(ctx, study->storage.self, study->study_id, &tally));
    assert_int_equal(tally.complete, complete);
    assert_int_equal(tally.pruned, pruned);
    assert_int_equal(tally.failed, failed);
    assert_int_equal(tally.failed, N_TRIALS / 1000);
    assert_int_equal(tally.stale, 0);
    assert_int_equal(tally.running, 0);

    /* The kept trials: the 1000 most recent, the 100 best complete ones
     * and the first failed, each once. */
    int64_t *ranked = malloc((size_t)complete * sizeof *ranked);
    size_t n_ranked = 0;
    for (int64_t i = 0; i < N_TRIALS; i++)
        if (seen.states[i] == DIAL_TRIAL_COMPLETE) ranked[n_ranked++] = i;
    sort_values = seen.values;
    qsort(ranked, n_ranked, sizeof *ranked, by_value_then_number);
    bool *expected = calloc(N_TRIALS, sizeof *expected);
    for (int64_t i = N_TRIALS - RECENT_KEPT; i < N_TRIALS; i++) expected[i] = true;
    for (size_t i = 0; i < BEST_KEPT; i++) expected[ranked[i]] = true;
    expected[999] = true;
    size_t n_expected = 0;
    for (int64_t i = 0; i < N_TRIALS; i++) n_expected += expected[i];

    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, n_expected);
    assert_true(list.count <= RECENT_KEPT + BEST_KEPT + 1);
    for (size_t i = 0; i < list.count; i++) {
        const dial_trial_record *trial = &list.items[i];
        assert_true(expected[trial->number]);
        if (i > 0) assert_true(trial->number > list.items[i - 1].number);
        assert_int_equal(trial->state, seen.states[trial->number]);
        if (trial->state == DIAL_TRIAL_COMPLETE)
            assert_true(trial->value == seen.values[trial->number]);
        assert_int_equal(trial->n_params, 1);
    }
    for (size_t i = 0; i < list.count; i++)
        if (list.items[i].number == 999)
            assert_string_equal(list.items[i].message, "trial 999 fails on purpose");

    dial_trial_record best;
    assert_dial_ok(ctx, dial_study_best(ctx, study, &best));
    assert_int_equal(best.number, ranked[0]);
    dial_trial_record_clear(&best);

    dial_trial_list_free(&list);
    free(expected);
    free(ranked);
    free(seen.values);
    free(seen.states);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

/* 300,000 trials took some 300 MB when every record was kept. A child
 * process measures its peak from a fresh start, apart from what the other
 * tests left in this one. */
static void test_the_peak_memory_of_a_long_study_stays_flat(void **state) {
#ifdef UNDER_ADDRESS_SANITIZER
    skip(); /* the ordinary build runs it */
#endif
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dial_ctx *ctx = test_ctx();
        dial_study *study = open_study(ctx);
        long before = test_peak_kilobytes();
        dial_optimize_options options = {.n_trials = N_TRIALS, .jobs = 1};
        dial_status status = dial_study_optimize(ctx, study, draw_x, NULL, &options);
        long grown = test_peak_kilobytes() - before;
        dial_study_free(study);
        dial_ctx_free(ctx);
        if (status != DIAL_OK || before < 0) _exit(2);
        if (grown > 16 * 1024) {
            fprintf(stderr, "the peak grew by %ld kB over %d trials\n", grown, N_TRIALS);
            _exit(1);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_long_study_keeps_the_recent_the_best_and_the_first_failed),
        cmocka_unit_test(test_the_peak_memory_of_a_long_study_stays_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
