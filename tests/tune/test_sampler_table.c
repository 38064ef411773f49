/* Samplers are tables (dial_sampler_ops, src/tune/sampler_internal.h):
 * sampler.c sends each request to the kind's slots, falls back to the
 * random draw when a kind leaves a parameter alone, and tells the kind of
 * finished trials. The kind here is made for the test and counts what it
 * is asked. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/sampler_internal.h"

typedef struct counting_state {
    size_t suggested, told, freed;
    int64_t last_told;
} counting_state;

/* Answers 0.25 for the space's first parameter, leaves the others. */
static bool counting_suggest(const dial_sampler *sampler, int64_t number, long index,
                             const dial_param *own, double *value) {
    (void)number, (void)own;
    ((counting_state *)sampler->state)->suggested++;
    if (index != 0) return false;
    *value = 0.25;
    return true;
}

static void counting_tell(dial_sampler *sampler, const dial_trial_record *record) {
    counting_state *state = sampler->state;
    state->told++;
    state->last_told = record->number;
}

static int64_t counting_size(const dial_sampler *sampler) {
    (void)sampler;
    return 7;
}

static void counting_free(dial_sampler *sampler) { ((counting_state *)sampler->state)->freed++; }

static const dial_sampler_ops counting_ops = {
    .kind = DIAL_SAMPLER_RANDOM,
    .name = "counting",
    .suggest = counting_suggest,
    .tell = counting_tell,
    .size = counting_size,
    .free = counting_free,
};

/* A sampler of the counting kind over x in [0, 1] and y in [0, 1]. */
static dial_sampler *counting_sampler(dial_ctx *ctx, counting_state *state) {
    dial_sampler *sampler = calloc(1, sizeof *sampler);
    assert_non_null(sampler);
    sampler->ops = &counting_ops;
    sampler->state = state;
    sampler->seed = 5;
    dial_space space = {0};
    dial_param params[2] = {{.name = "x", .kind = DIAL_PARAM_FLOAT, .low = 0, .high = 1},
                            {.name = "y", .kind = DIAL_PARAM_FLOAT, .low = 0, .high = 1}};
    space.n = 2;
    space.params = params;
    assert_dial_ok(ctx, dial_space_copy(ctx, &space, &sampler->space));
    return sampler;
}

static void test_requests_go_to_the_kinds_slots(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    counting_state counts = {0};
    dial_sampler *sampler = counting_sampler(ctx, &counts);
    double x = NAN, y = NAN;
    assert_dial_ok(ctx, dial_sampler_suggest(ctx, sampler, 3, &sampler->space.params[0], &x));
    assert_dial_ok(ctx, dial_sampler_suggest(ctx, sampler, 3, &sampler->space.params[1], &y));
    assert_int_equal(counts.suggested, 2);
    assert_true(x == 0.25);
    /* y was left alone: the random draw of (seed, number, y) */
    double drawn = dial_sampler_random_value(5, 3, &sampler->space.params[1]);
    assert_memory_equal(&y, &drawn, sizeof y);
    assert_int_equal(dial_sampler_grid_size(sampler), 7);
    dial_trial_record record = {.number = 11, .state = DIAL_TRIAL_COMPLETE, .value = 1};
    dial_sampler_tell(sampler, &record);
    assert_int_equal(counts.told, 1);
    assert_int_equal(counts.last_told, 11);
    dial_sampler_free(sampler);
    assert_int_equal(counts.freed, 1);
    dial_ctx_free(ctx);
}

/* The built-in kinds are entries of the table, named as --sampler spells
 * them; only the grid has an end, and none learns from history yet. */
static void test_the_built_in_kinds_are_tables(void **state) {
    (void)state;
    assert_int_equal(dial_sampler_random_ops.kind, DIAL_SAMPLER_RANDOM);
    assert_string_equal(dial_sampler_random_ops.name, "random");
    assert_int_equal(dial_sampler_grid_ops.kind, DIAL_SAMPLER_GRID);
    assert_string_equal(dial_sampler_grid_ops.name, "grid");
    assert_int_equal(dial_sampler_qmc_ops.kind, DIAL_SAMPLER_QMC);
    assert_string_equal(dial_sampler_qmc_ops.name, "qmc");
    assert_non_null(dial_sampler_grid_ops.size);
    assert_null(dial_sampler_random_ops.size);
    assert_null(dial_sampler_qmc_ops.size);
    assert_null(dial_sampler_random_ops.tell);
}

/* A kind that is in no table is refused; a kind without a tell slot is
 * told harmlessly. */
static void test_an_unknown_kind_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_sampler *sampler = NULL;
    assert_dial_error(ctx, dial_sampler_create(ctx, (dial_sampler_kind)42, 1, NULL, 0, &sampler),
                      DIAL_ERR_ARGUMENT,
                      "sampler 42 is not one of DIAL_SAMPLER_RANDOM, _GRID, _QMC, _TPE, _GP, "
                      "_CMAES or _AUTO");
    assert_null(sampler);
    assert_dial_ok(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, &sampler));
    dial_trial_record record = {.number = 0, .state = DIAL_TRIAL_COMPLETE};
    dial_sampler_tell(sampler, &record);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_go_to_the_kinds_slots),
        cmocka_unit_test(test_the_built_in_kinds_are_tables),
        cmocka_unit_test(test_an_unknown_kind_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
