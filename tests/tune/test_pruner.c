/* Pruners are tables (dial_pruner_ops, src/tune/pruner.h): a study makes
 * `none` by default, which never prunes; a kind's should_prune judges a
 * trial's last reported value; an unknown name lists the names. */
#include "test_support.h"

#include <math.h>
#include <string.h>

#include "tune/pruner.h"

static void test_none_is_the_default_and_never_prunes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_pruner_setup setup = {.direction = DIAL_MINIMIZE, .seed = 1};
    dial_pruner *pruner = NULL;
    assert_dial_ok(ctx, dial_pruner_create(ctx, NULL, &setup, &pruner));
    assert_string_equal(pruner->ops->name, "none");
    int64_t steps[2] = {0, 1};
    double values[2] = {1e300, INFINITY};
    dial_trial_record record = {.number = 3,
                                .n_intermediate = 2,
                                .intermediate_steps = steps,
                                .intermediate_values = values};
    assert_false(dial_pruner_should_prune(pruner, &record));
    dial_pruner_tell(pruner, &record); /* no tell slot: harmless */
    dial_pruner_free(pruner);
    dial_pruner_free(NULL);
    dial_ctx_free(ctx);
}

static void test_an_unknown_pruner_lists_the_names(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_pruner_setup setup = {.direction = DIAL_MAXIMIZE};
    dial_pruner *pruner = NULL;
    assert_dial_error(ctx, dial_pruner_create(ctx, "median", &setup, &pruner), DIAL_ERR_ARGUMENT,
                      "unknown pruner 'median'; pruners are: none");
    assert_null(pruner);
    dial_ctx_free(ctx);
}

/* A kind made for the test: prunes a value above its threshold, and notes
 * (outside its state, which should_prune only reads) the step it was
 * asked about. */
typedef struct threshold_state {
    double above;
    int64_t *asked_step;
    size_t told;
} threshold_state;

static bool threshold_should_prune(const void *state, const dial_trial_record *trial, int64_t step,
                                   double value) {
    (void)trial;
    const threshold_state *s = state;
    *s->asked_step = step;
    return value > s->above;
}

static void threshold_tell(void *state, const dial_trial_record *record) {
    (void)record;
    ((threshold_state *)state)->told++;
}

static const dial_pruner_ops threshold_ops = {
    .name = "threshold", .should_prune = threshold_should_prune, .tell = threshold_tell};

static void test_a_kind_judges_the_last_reported_value(void **state) {
    (void)state;
    int64_t asked_step = -1;
    threshold_state s = {.above = 0.5, .asked_step = &asked_step};
    dial_pruner pruner = {.ops = &threshold_ops, .state = &s};
    int64_t steps[3] = {0, 1, 4};
    double values[3] = {0.9, 0.9, 0.1};
    dial_trial_record record = {
        .n_intermediate = 0, .intermediate_steps = steps, .intermediate_values = values};
    assert_false(dial_pruner_should_prune(&pruner, &record)); /* nothing reported yet */
    record.n_intermediate = 2;
    assert_true(dial_pruner_should_prune(&pruner, &record));
    assert_int_equal(asked_step, 1);
    record.n_intermediate = 3;
    assert_false(dial_pruner_should_prune(&pruner, &record));
    assert_int_equal(asked_step, 4);
    dial_pruner_tell(&pruner, &record);
    assert_int_equal(s.told, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_is_the_default_and_never_prunes),
        cmocka_unit_test(test_an_unknown_pruner_lists_the_names),
        cmocka_unit_test(test_a_kind_judges_the_last_reported_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
