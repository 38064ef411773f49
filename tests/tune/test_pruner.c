/* Pruners on hand-made histories (src/tune/pruner*.c): the spec's
 * canonical text and its errors; median with its warm-up; asha's top
 * 1/eta at each rung with an exact list of who is pruned; hyperband's
 * brackets from the seed, each trial judged only in its bracket. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/pruner.h"

static void assert_spec(const char *spec, dial_resource resource, int64_t max,
                        const char *expected) {
    dial_ctx *ctx = test_ctx();
    char *text = NULL;
    assert_dial_ok(ctx, dial_pruner_spec_normalize(ctx, spec, resource, max, &text));
    assert_string_equal(text, expected);
    free(text);
    dial_ctx_free(ctx);
}

static void assert_spec_error(const char *spec, dial_resource resource, int64_t max,
                              const char *expected) {
    dial_ctx *ctx = test_ctx();
    char *text = NULL;
    assert_dial_error(ctx, dial_pruner_spec_normalize(ctx, spec, resource, max, &text),
                      DIAL_ERR_ARGUMENT, expected);
    assert_null(text);
    dial_ctx_free(ctx);
}

static void test_spec_is_written_canonically_with_the_resource_defaults(void **state) {
    (void)state;
    assert_spec(NULL, DIAL_RESOURCE_STEPS, 0, "none");
    assert_spec("", DIAL_RESOURCE_FOLDS, 5, "none");
    assert_spec("median", DIAL_RESOURCE_STEPS, 0, "median:warmup_trials=5,warmup_steps=0");
    assert_spec("median:warmup_steps=2,warmup_trials=+3", DIAL_RESOURCE_STEPS, 0,
                "median:warmup_trials=3,warmup_steps=2");
    assert_spec("asha", DIAL_RESOURCE_STEPS, 0, "asha:reduction_factor=3,min_resource=1");
    assert_spec("asha", DIAL_RESOURCE_FOLDS, 5,
                "asha:reduction_factor=3,min_resource=1,max_resource=5");
    assert_spec("asha", DIAL_RESOURCE_PATH, 500,
                "asha:reduction_factor=3,min_resource=18,max_resource=500");
    assert_spec("asha", DIAL_RESOURCE_PATH, 20,
                "asha:reduction_factor=3,min_resource=1,max_resource=20");
    assert_spec("asha:max_resource=270", DIAL_RESOURCE_PATH, 500,
                "asha:reduction_factor=3,min_resource=10,max_resource=270");
    assert_spec("hyperband:max_resource=27", DIAL_RESOURCE_STEPS, 0,
                "hyperband:reduction_factor=3,min_resource=1,max_resource=27");
    assert_spec("hyperband:reduction_factor=2,min_resource=4", DIAL_RESOURCE_FOLDS, 10,
                "hyperband:reduction_factor=2,min_resource=4,max_resource=10");
    /* Read twice, the canonical text is itself. */
    assert_spec("hyperband:reduction_factor=2,min_resource=4,max_resource=10", DIAL_RESOURCE_STEPS,
                0, "hyperband:reduction_factor=2,min_resource=4,max_resource=10");
}

static void test_spec_errors_name_the_setting_and_what_is_valid(void **state) {
    (void)state;
    assert_spec_error("medain", DIAL_RESOURCE_STEPS, 0,
                      "unknown pruner 'medain'; pruners are: none, median, asha, hyperband");
    assert_spec_error("asha:eta=3", DIAL_RESOURCE_STEPS, 0,
                      "unknown setting 'eta' of pruner asha; its settings are: reduction_factor, "
                      "min_resource, max_resource");
    assert_spec_error("none:warmup_trials=1", DIAL_RESOURCE_STEPS, 0,
                      "pruner none takes no settings, got 'warmup_trials=1'");
    assert_spec_error("asha:reduction_factor=1", DIAL_RESOURCE_STEPS, 0,
                      "pruner asha: reduction_factor = 1 is out of range: must be an integer >= 2");
    assert_spec_error("median:warmup_trials=-1", DIAL_RESOURCE_STEPS, 0,
                      "pruner median: warmup_trials = -1 is out of range: must be an integer >= 0");
    assert_spec_error("asha:min_resource=1.5", DIAL_RESOURCE_STEPS, 0,
                      "pruner asha: min_resource expects an integer >= 1, as in min_resource=1; "
                      "got 'min_resource=1.5'");
    assert_spec_error("asha:min_resource", DIAL_RESOURCE_STEPS, 0,
                      "pruner asha: min_resource expects an integer >= 1, as in min_resource=1; "
                      "got 'min_resource'");
    assert_spec_error("asha:min_resource=2,min_resource=3", DIAL_RESOURCE_STEPS, 0,
                      "pruner asha: setting min_resource is given twice; give it once");
    assert_spec_error("asha:min_resource=9", DIAL_RESOURCE_FOLDS, 5,
                      "pruner asha: min_resource = 9 is above max_resource = 5: it must be at "
                      "most max_resource");
    assert_spec_error("hyperband", DIAL_RESOURCE_STEPS, 0,
                      "pruner hyperband needs max_resource, the most steps a trial reports, and "
                      "the steps have no known end: give it, as in --pruner "
                      "hyperband:max_resource=27");
}

/* ---- hand-made histories ---- */

typedef struct history {
    dial_ctx *ctx;
    dial_pruner *pruner;
} history;

static history make(const char *spec, dial_resource resource, dial_direction direction,
                    uint64_t seed) {
    history h = {.ctx = test_ctx()};
    dial_pruner_setup setup = {.direction = direction, .seed = seed};
    assert_dial_ok(h.ctx, dial_pruner_create(h.ctx, spec, resource, &setup, &h.pruner));
    return h;
}

static void drop(history *h) {
    dial_pruner_free(h->pruner);
    dial_ctx_free(h->ctx);
}

/* A record of trial number in state with values at steps 0, 1, ... */
static dial_trial_record record_of(int64_t number, dial_trial_state state, int64_t *steps,
                                   double *values, size_t n) {
    for (size_t i = 0; i < n; i++) steps[i] = (int64_t)i;
    return (dial_trial_record){.number = number,
                               .state = state,
                               .n_intermediate = n,
                               .intermediate_steps = steps,
                               .intermediate_values = values};
}

/* Notes trial number in state with the values given, one per step. */
static void note(history *h, int64_t number, dial_trial_state state, const double *values,
                 size_t n) {
    int64_t steps[16];
    double copy[16];
    memcpy(copy, values, n * sizeof *copy);
    dial_trial_record record = record_of(number, state, steps, copy, n);
    dial_pruner_note(h->ctx, h->pruner, &record);
}

/* Whether trial number, having reported values (one per step), is pruned
 * against every trial below it. */
static bool judged(history *h, int64_t number, const double *values, size_t n) {
    int64_t steps[16];
    double copy[16];
    memcpy(copy, values, n * sizeof *copy);
    dial_trial_record record = record_of(number, DIAL_TRIAL_RUNNING, steps, copy, n);
    return dial_pruner_should_prune(h->ctx, h->pruner, &record, number - 1);
}

static void test_none_never_prunes(void **state) {
    (void)state;
    history h = make(NULL, DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 1);
    assert_false(dial_pruner_active(h.pruner));
    note(&h, 0, DIAL_TRIAL_COMPLETE, (double[]){0.0, 0.0}, 2);
    assert_false(judged(&h, 1, (double[]){1e300, INFINITY}, 2));
    int64_t rungs[4];
    assert_int_equal(dial_pruner_rungs(h.pruner, 1, 9, rungs, 4), 0);
    char plan[128];
    dial_pruner_plan(h.pruner, plan, sizeof plan);
    assert_string_equal(plan, "none");
    drop(&h);
}

static void test_median_waits_for_its_warmup_then_prunes_what_is_worse(void **state) {
    (void)state;
    history h =
        make("median:warmup_trials=3,warmup_steps=1", DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 1);
    note(&h, 0, DIAL_TRIAL_COMPLETE, (double[]){0.9, 0.5, 0.2}, 3);
    note(&h, 1, DIAL_TRIAL_COMPLETE, (double[]){0.8, 0.4, 0.1}, 3);
    /* Two complete trials: still warming up, however bad. */
    assert_false(judged(&h, 2, (double[]){5.0, 5.0}, 2));
    note(&h, 2, DIAL_TRIAL_PRUNED, (double[]){5.0, 5.0}, 2);
    /* A pruned trial does not count toward the warm-up nor the median. */
    assert_false(judged(&h, 3, (double[]){5.0, 5.0}, 2));
    note(&h, 3, DIAL_TRIAL_COMPLETE, (double[]){0.7, 0.6, 0.3}, 3);
    /* Three complete: the median at step 1 is 0.5. Step 0 is below the
     * warm-up steps. */
    assert_false(judged(&h, 4, (double[]){9.0}, 1));
    assert_true(judged(&h, 4, (double[]){9.0, 0.51}, 2));
    assert_false(judged(&h, 4, (double[]){9.0, 0.5}, 2));
    /* The median of an even count is the mean of the middle two: at step
     * 2 of 0.2, 0.1, 0.3 and 0.0 it is 0.15. */
    note(&h, 4, DIAL_TRIAL_COMPLETE, (double[]){0.5, 0.5, 0.0}, 3);
    assert_true(judged(&h, 5, (double[]){0.0, 0.0, 0.16}, 3));
    assert_false(judged(&h, 5, (double[]){0.0, 0.0, 0.15}, 3));
    /* Past every complete trial's last step: nothing to compare with. */
    assert_false(judged(&h, 5, (double[]){0.0, 0.0, 0.15, 9.0}, 4));
    /* Trials above the horizon do not count. */
    int64_t steps[2];
    dial_trial_record record = record_of(5, DIAL_TRIAL_RUNNING, steps, (double[]){0.0, 0.9}, 2);
    assert_true(dial_pruner_should_prune(h.ctx, h.pruner, &record, 4));
    assert_false(dial_pruner_should_prune(h.ctx, h.pruner, &record, 2));
    drop(&h);
}

static void test_median_maximizing_prunes_the_lower_values(void **state) {
    (void)state;
    history h = make("median:warmup_trials=1", DIAL_RESOURCE_FOLDS, DIAL_MAXIMIZE, 1);
    note(&h, 0, DIAL_TRIAL_COMPLETE, (double[]){0.8, 0.9}, 2);
    assert_true(judged(&h, 1, (double[]){0.7}, 1));
    assert_false(judged(&h, 1, (double[]){0.85}, 1));
    /* A value that is not a number is the worst. */
    assert_true(judged(&h, 1, (double[]){NAN}, 1));
    drop(&h);
}

static void test_asha_keeps_the_top_third_at_each_rung(void **state) {
    (void)state;
    /* Rungs 1 and 3 (steps 0 and 2 are resources 1 and 3 of folds). */
    history h = make("asha:max_resource=9", DIAL_RESOURCE_FOLDS, DIAL_MINIMIZE, 1);
    int64_t rungs[4];
    assert_int_equal(dial_pruner_rungs(h.pruner, 0, 9, rungs, 4), 2);
    assert_int_equal(rungs[0], 1);
    assert_int_equal(rungs[1], 3);
    /* Eight trials reach rung 1 one after another; each goes on iff it is
     * within the top max(1, floor(n / 3)) of the n values there. */
    const double first[8] = {0.5, 0.4, 0.6, 0.1, 0.9, 0.3, 0.35, 0.2};
    /* n:    1    2    3    4    5    6     7     8
     * keep: 1    1    1    1    1    2     2     2
     * better than it: 0, 0, 2 (0.5, 0.4), 0, 4, 1 (0.1), 2 (0.1, 0.3), 1 (0.1) */
    const bool pruned[8] = {false, false, true, false, true, false, true, false};
    for (int64_t t = 0; t < 8; t++) {
        assert_int_equal(judged(&h, t, &first[t], 1), pruned[t]);
        note(&h, t, pruned[t] ? DIAL_TRIAL_PRUNED : DIAL_TRIAL_RUNNING, &first[t], 1);
    }
    /* Between rungs nothing is judged, however bad. */
    assert_false(judged(&h, 3, (double[]){0.1, 7.0}, 2));
    /* Trials 0, 1, 3, 5, 7 reach rung 3 in that order. */
    const int64_t who[5] = {0, 1, 3, 5, 7};
    const double third[5] = {0.45, 0.3, 0.05, 0.32, 0.31};
    /* n: 1 2 3 4 5, keep 1 1 1 1 1; better: 0, 0, 0, 2, 2. */
    const bool pruned3[5] = {false, false, false, true, true};
    for (size_t i = 0; i < 5; i++) {
        double values[3] = {first[who[i]], 0.5, third[i]};
        /* Judged against every trial noted so far but itself. */
        int64_t steps[3];
        dial_trial_record record = record_of(who[i], DIAL_TRIAL_RUNNING, steps, values, 3);
        assert_int_equal(dial_pruner_should_prune(h.ctx, h.pruner, &record, INT64_MAX), pruned3[i]);
        note(&h, who[i], pruned3[i] ? DIAL_TRIAL_PRUNED : DIAL_TRIAL_COMPLETE, values, 3);
    }
    /* The largest resource is no rung: a last report there is not
     * judged, however bad. */
    double values[9] = {0.1, 0.9, 0.01, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
    assert_false(judged(&h, 8, values, 9));
    char plan[160];
    dial_pruner_plan(h.pruner, plan, sizeof plan);
    assert_string_equal(plan, "asha (reduction factor 3; judged after 1 and 3 of 9 folds)");
    drop(&h);
}

static void test_asha_judges_every_rung_a_path_jumps_over(void **state) {
    (void)state;
    history h = make("asha:min_resource=10", DIAL_RESOURCE_PATH, DIAL_MINIMIZE, 1);
    dial_trial_record good = {.number = 0,
                              .state = DIAL_TRIAL_COMPLETE,
                              .n_path = 2,
                              .path_steps = (int64_t[]){10, 30},
                              .path_values = (double[]){0.5, 0.1}};
    dial_pruner_note(h.ctx, h.pruner, &good);
    /* Better than trial 0 at rung 10, worse at rung 30: reported at once
     * up to 40, both rungs are judged. */
    dial_trial_record late = {.number = 1,
                              .state = DIAL_TRIAL_RUNNING,
                              .n_path = 1,
                              .path_steps = (int64_t[]){40},
                              .path_values = (double[]){0.2}};
    assert_true(dial_pruner_should_prune(h.ctx, h.pruner, &late, 0));
    late.path_values[0] = 0.05;
    assert_false(dial_pruner_should_prune(h.ctx, h.pruner, &late, 0));
    /* Its value at a rung is the first it reported at or past it; a rung
     * passed at an earlier report is not judged again. */
    dial_trial_record twice = {.number = 1,
                               .state = DIAL_TRIAL_RUNNING,
                               .n_path = 2,
                               .path_steps = (int64_t[]){20, 40},
                               .path_values = (double[]){0.6, 0.05}};
    assert_true(dial_pruner_should_prune(h.ctx, h.pruner, &twice, 0) == false);
    twice.n_path = 1;
    assert_true(dial_pruner_should_prune(h.ctx, h.pruner, &twice, 0));
    char plan[160];
    dial_pruner_plan(h.pruner, plan, sizeof plan);
    assert_string_equal(plan, "asha (reduction factor 3; judged after 10, 30, 90, 270, ... path "
                              "steps)");
    drop(&h);
}

/* The first rung of trial number's bracket, or 0 when it has none. */
static int64_t first_rung(const history *h, int64_t number) {
    int64_t rungs[8];
    return dial_pruner_rungs(h->pruner, number, 9, rungs, 8) ? rungs[0] : 0;
}

static void test_hyperband_brackets_come_from_the_seed_weighted_by_budget(void **state) {
    (void)state;
    /* min 1, max 9, eta 3: brackets from rungs 1 (budget 9), 3 (5) and 9
     * (3: no rung below 9, never pruned). */
    history a = make("hyperband:max_resource=9", DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 7);
    history b = make("hyperband:max_resource=9", DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 7);
    history c = make("hyperband:max_resource=9", DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 8);
    size_t count[10] = {0};
    size_t differ = 0;
    for (int64_t n = 0; n < 1700; n++) {
        int64_t rung = first_rung(&a, n);
        assert_int_equal(rung, first_rung(&b, n));
        differ += rung != first_rung(&c, n);
        count[rung]++;
    }
    assert_true(differ > 500);
    assert_true(count[1] > 800 && count[1] < 1000);
    assert_true(count[3] > 420 && count[3] < 580);
    assert_true(count[0] > 240 && count[0] < 360);
    char plan[160];
    dial_pruner_plan(a.pruner, plan, sizeof plan);
    assert_string_equal(plan,
                        "hyperband (reduction factor 3, 3 brackets; judged after 1 and 3 of 9 "
                        "steps)");
    drop(&a);
    drop(&b);
    drop(&c);
}

static void test_hyperband_judges_a_trial_only_in_its_bracket(void **state) {
    (void)state;
    history h = make("hyperband:max_resource=9", DIAL_RESOURCE_STEPS, DIAL_MINIMIZE, 7);
    int64_t in_first[2] = {-1, -1}, in_second = -1;
    for (int64_t n = 0; n < 100; n++) {
        int64_t rung = first_rung(&h, n);
        if (rung == 1 && in_first[0] < 0)
            in_first[0] = n;
        else if (rung == 1 && in_first[1] < 0)
            in_first[1] = n;
        else if (rung == 3 && in_second < 0)
            in_second = n;
    }
    assert_true(in_first[1] >= 0 && in_second >= 0);
    /* A trial of the other bracket, better at step 1 and 3, and one of
     * this bracket, worse. */
    note(&h, in_second, DIAL_TRIAL_COMPLETE, (double[]){0.0, 0.1, 0.0, 0.0}, 4);
    note(&h, in_first[0], DIAL_TRIAL_COMPLETE, (double[]){0.0, 0.9, 0.9, 0.9}, 4);
    int64_t steps[2];
    dial_trial_record record =
        record_of(in_first[1], DIAL_TRIAL_RUNNING, steps, (double[]){0.0, 0.5}, 2);
    /* Against its bracket only (trial in_first[0]: 0.9): it goes on. */
    assert_false(dial_pruner_should_prune(h.ctx, h.pruner, &record, INT64_MAX));
    record.intermediate_values[1] = 0.95;
    assert_true(dial_pruner_should_prune(h.ctx, h.pruner, &record, INT64_MAX));
    /* A trial of the second bracket is not judged at step 1. */
    dial_trial_record second =
        record_of(in_second + 1000, DIAL_TRIAL_RUNNING, steps, (double[]){0.0, 9.0}, 2);
    if (first_rung(&h, second.number) == 3)
        assert_false(dial_pruner_should_prune(h.ctx, h.pruner, &second, INT64_MAX));
    drop(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_is_written_canonically_with_the_resource_defaults),
        cmocka_unit_test(test_spec_errors_name_the_setting_and_what_is_valid),
        cmocka_unit_test(test_none_never_prunes),
        cmocka_unit_test(test_median_waits_for_its_warmup_then_prunes_what_is_worse),
        cmocka_unit_test(test_median_maximizing_prunes_the_lower_values),
        cmocka_unit_test(test_asha_keeps_the_top_third_at_each_rung),
        cmocka_unit_test(test_asha_judges_every_rung_a_path_jumps_over),
        cmocka_unit_test(test_hyperband_brackets_come_from_the_seed_weighted_by_budget),
        cmocka_unit_test(test_hyperband_judges_a_trial_only_in_its_bracket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
