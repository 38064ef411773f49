/* Samplers: random, grid and quasi-random (scrambled Sobol) draws. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/sampler_internal.h"

/* ---- helpers ------------------------------------------------------------ */

static dial_sampler *make(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed, dial_param *params,
                          size_t n, size_t grid_points) {
    dial_space space = {n, params};
    dial_sampler *sampler = NULL;
    assert_dial_ok(ctx,
                   dial_sampler_create(ctx, kind, seed, n ? &space : NULL, grid_points, &sampler));
    return sampler;
}

/* A grid sampler (seed 1) with order hints, one per parameter. */
static dial_sampler *make_ordered(dial_ctx *ctx, dial_param *params, size_t n,
                                  const dial_order_role *roles) {
    dial_space space = {n, params};
    dial_sampler *sampler = NULL;
    assert_dial_ok(
        ctx, dial_sampler_create_ordered(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, roles, &sampler));
    return sampler;
}

static double suggest(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                      const dial_param *param) {
    double value = NAN;
    assert_dial_ok(ctx, dial_sampler_suggest(ctx, sampler, number, param, &value));
    return value;
}

/* Hickernell's centred L2 discrepancy (squared) of n points in [0, 1)^2:
 * lower means more even. */
static double centred_discrepancy(const double (*x)[2], size_t n) {
    double sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        double product = 1;
        for (int k = 0; k < 2; k++) {
            double a = fabs(x[i][k] - 0.5);
            product *= 1 + 0.5 * a - 0.5 * a * a;
        }
        sum1 += product;
        for (size_t j = 0; j < n; j++) {
            double pair = 1;
            for (int k = 0; k < 2; k++)
                pair *= 1 + 0.5 * fabs(x[i][k] - 0.5) + 0.5 * fabs(x[j][k] - 0.5) -
                        0.5 * fabs(x[i][k] - x[j][k]);
            sum2 += pair;
        }
    }
    return pow(13.0 / 12.0, 2) - 2.0 / (double)n * sum1 + sum2 / ((double)n * (double)n);
}

/* ---- random --------------------------------------------------------------- */

static void test_random_same_seed_gives_the_same_values(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param c = test_float_param("C", 1e-3, 1e3, true);
    dial_sampler *a = make(ctx, DIAL_SAMPLER_RANDOM, 7, NULL, 0, 0);
    dial_sampler *b = make(ctx, DIAL_SAMPLER_RANDOM, 7, NULL, 0, 0);
    dial_sampler *other = make(ctx, DIAL_SAMPLER_RANDOM, 8, NULL, 0, 0);
    int differ = 0;
    for (int64_t n = 0; n < 50; n++) {
        assert_true(suggest(ctx, a, n, &c) == suggest(ctx, b, n, &c));
        differ += suggest(ctx, a, n, &c) != suggest(ctx, other, n, &c);
    }
    assert_int_equal(differ, 50);
    dial_sampler_free(a);
    dial_sampler_free(b);
    dial_sampler_free(other);
    dial_ctx_free(ctx);
}

static void test_random_value_does_not_depend_on_call_order(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param x = test_float_param("x", 0, 1, false), y = test_float_param("y", 0, 1, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 3, NULL, 0, 0);
    double x_first = suggest(ctx, sampler, 12, &x), y_second = suggest(ctx, sampler, 12, &y);
    double y_first = suggest(ctx, sampler, 12, &y), x_second = suggest(ctx, sampler, 12, &x);
    assert_true(x_first == x_second);
    assert_true(y_first == y_second);
    /* Different names and different trials draw different values. */
    assert_true(x_first != y_first);
    assert_true(suggest(ctx, sampler, 13, &x) != x_first);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_log_range_stays_in_bounds_and_spreads_over_decades(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param c = test_float_param("C", 1e-3, 1e3, true);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int decades[6] = {0};
    for (int64_t n = 0; n < 3000; n++) {
        double v = suggest(ctx, sampler, n, &c);
        assert_true(v >= 1e-3 && v <= 1e3);
        int decade = (int)floor(log10(v)) + 3;
        decades[decade < 0 ? 0 : decade > 5 ? 5 : decade]++;
    }
    for (int d = 0; d < 6; d++) assert_true(decades[d] > 400 && decades[d] < 600);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_int_range_reaches_both_ends_evenly(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 5, 0, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int counts[6] = {0};
    for (int64_t n = 0; n < 5000; n++) {
        double v = suggest(ctx, sampler, n, &k);
        assert_true(v == floor(v) && v >= 1 && v <= 5);
        counts[(int)v]++;
    }
    for (int v = 1; v <= 5; v++) assert_true(counts[v] > 900 && counts[v] < 1100);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_log_int_range_reaches_both_ends(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 100, 0, true);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int ones = 0, hundreds = 0, below_ten = 0;
    for (int64_t n = 0; n < 4000; n++) {
        double v = suggest(ctx, sampler, n, &k);
        assert_true(v == floor(v) && v >= 1 && v <= 100);
        ones += v == 1;
        hundreds += v == 100;
        below_ten += v < 10;
    }
    assert_true(ones > 0 && hundreds > 0);
    /* On a log scale 1..9 take about half the draws (linear: 9%). */
    assert_true(below_ten > 1600 && below_ten < 2400);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_int_step_gives_only_steps_and_both_ends(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 9, 2, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int counts[10] = {0};
    for (int64_t n = 0; n < 1000; n++) {
        double v = suggest(ctx, sampler, n, &k);
        assert_true(v >= 1 && v <= 9);
        counts[(int)v]++;
    }
    for (int v = 1; v <= 9; v++) {
        if (v % 2)
            assert_true(counts[v] > 150);
        else
            assert_int_equal(counts[v], 0);
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_float_step_is_quantised(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param x = test_float_param("x", 0.1, 0.3, false);
    x.step = 0.1;
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int low = 0, middle = 0, high = 0;
    for (int64_t n = 0; n < 600; n++) {
        double v = suggest(ctx, sampler, n, &x);
        low += v == 0.1;
        middle += fabs(v - 0.2) < 1e-12;
        high += v == 0.3;
    }
    assert_int_equal(low + middle + high, 600);
    assert_true(low > 150 && middle > 150 && high > 150);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_choice_picks_every_choice(void **state) {
    dial_ctx *ctx = test_ctx();
    char *choices[] = {"uniform", "distance", "other"};
    dial_param w = test_choice_param("weights", choices, 3, "");
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    int counts[3] = {0};
    for (int64_t n = 0; n < 900; n++) {
        double v = suggest(ctx, sampler, n, &w);
        assert_true(v == 0 || v == 1 || v == 2);
        counts[(int)v]++;
    }
    for (int c = 0; c < 3; c++) assert_true(counts[c] > 240 && counts[c] < 360);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_fixed_parameter_is_its_value(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param alpha = test_float_param("alpha", 0.1, 0.1, false);
    alpha.fixed = true;
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    for (int64_t n = 0; n < 10; n++) assert_true(suggest(ctx, sampler, n, &alpha) == 0.1);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- grid -------------------------------------------------------------------- */

/* ---- random without repeats over a finite space ------------------------------ */

/* How many distinct values the first n samples of param give. */
static size_t distinct_values(dial_ctx *ctx, const dial_sampler *sampler, const dial_param *param,
                              int64_t n) {
    double *seen = calloc((size_t)n, sizeof *seen);
    size_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = suggest(ctx, sampler, i, param);
        bool repeat = false;
        for (size_t j = 0; j < count && !repeat; j++) repeat = seen[j] == v;
        if (!repeat) seen[count++] = v;
    }
    free(seen);
    return count;
}

static void test_random_40_trials_over_k_1_to_50_try_40_distinct_k(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 50, 0, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 0, &k, 1, 0);
    assert_int_equal(distinct_values(ctx, sampler, &k, 40), 40);
    /* All 50 before any repeats, every one in the range. */
    assert_int_equal(distinct_values(ctx, sampler, &k, 50), 50);
    for (int64_t i = 0; i < 200; i++) {
        double v = suggest(ctx, sampler, i, &k);
        assert_true(v >= 1 && v <= 50 && v == floor(v));
    }
    /* Independent draws (no space to enumerate) repeat: the old behaviour. */
    dial_sampler *independent = make(ctx, DIAL_SAMPLER_RANDOM, 0, NULL, 0, 0);
    assert_true(distinct_values(ctx, independent, &k, 40) < 35);
    dial_sampler_free(independent);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_without_repeats_depends_only_on_seed_and_sample_index(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 50, 0, false);
    dial_sampler *a = make(ctx, DIAL_SAMPLER_RANDOM, 9, &k, 1, 0);
    dial_sampler *b = make(ctx, DIAL_SAMPLER_RANDOM, 9, &k, 1, 0);
    dial_sampler *other = make(ctx, DIAL_SAMPLER_RANDOM, 10, &k, 1, 0);
    /* b is asked backwards, as a second worker may ask out of order. */
    double forward[60], backward[60];
    for (int64_t i = 0; i < 60; i++) forward[i] = suggest(ctx, a, i, &k);
    for (int64_t i = 59; i >= 0; i--) backward[i] = suggest(ctx, b, i, &k);
    int differ = 0;
    for (int64_t i = 0; i < 60; i++) {
        assert_true(forward[i] == backward[i]);
        differ += suggest(ctx, other, i, &k) != forward[i];
    }
    assert_true(differ > 40);
    dial_sampler_free(a);
    dial_sampler_free(b);
    dial_sampler_free(other);
    dial_ctx_free(ctx);
}

static void test_random_deals_every_point_of_a_mixed_space_before_a_repeat(void **state) {
    dial_ctx *ctx = test_ctx();
    char *weights[] = {"uniform", "distance"};
    dial_param params[] = {test_int_param("k", 1, 9, 2, false),
                           test_choice_param("w", weights, 2, ""),
                           test_int_param("p", 1, 3, 0, false)};
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 4, params, 3, 0);
    bool seen[10][2][4] = {{{false}}};
    for (int64_t i = 0; i < 30; i++) { /* 5 x 2 x 3 points */
        int k = (int)suggest(ctx, sampler, i, &params[0]);
        int w = (int)suggest(ctx, sampler, i, &params[1]);
        int p = (int)suggest(ctx, sampler, i, &params[2]);
        assert_true(k % 2 == 1 && w >= 0 && w <= 1 && p >= 1 && p <= 3);
        assert_false(seen[k][w][p]);
        seen[k][w][p] = true;
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_without_repeats_skips_inactive_parameters(void **state) {
    dial_ctx *ctx = test_ctx();
    char *kernels[] = {"linear", "poly"};
    dial_param params[] = {test_choice_param("kernel", kernels, 2, ""),
                           test_int_param("degree", 2, 5, 0, false)};
    params[1].condition = "kernel=poly";
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, params, 2, 0);
    /* linear, and poly with degree 2..5: 5 points, each dealt once. */
    int linear = 0;
    bool degree_seen[6] = {false};
    for (int64_t i = 0; i < 5; i++) {
        if (suggest(ctx, sampler, i, &params[0]) == 0) {
            linear++;
            continue;
        }
        int degree = (int)suggest(ctx, sampler, i, &params[1]);
        assert_false(degree_seen[degree]);
        degree_seen[degree] = true;
    }
    assert_int_equal(linear, 1);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_without_repeats_keeps_a_log_scale(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 1000, 0, true);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 2, &k, 1, 0);
    /* Independent log-uniform draws put 54% of their mass at 31 or below,
     * most of it on the smallest values, which are dealt once each: a
     * good share of the first 100 samples lies there still, where a
     * uniform shuffle would put about 3. */
    int low = 0;
    for (int64_t i = 0; i < 100; i++) low += suggest(ctx, sampler, i, &k) <= 31;
    assert_in_range(low, 15, 31);
    assert_int_equal(distinct_values(ctx, sampler, &k, 100), 100);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_random_first_sample_is_distributed_as_an_independent_draw(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 8, 0, true);
    double total = 0;
    for (int v = 1; v <= 8; v++) total += dial_sampler_value_probability(&k, v);
    assert_true(fabs(total - 1) < 1e-12);
    /* The first sample over many seeds against the draws of one seed. */
    int first[9] = {0}, independent[9] = {0};
    dial_sampler *draws = make(ctx, DIAL_SAMPLER_RANDOM, 0, NULL, 0, 0);
    for (uint64_t seed = 0; seed < 4000; seed++) {
        dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, seed, &k, 1, 0);
        first[(int)suggest(ctx, sampler, 0, &k)]++;
        independent[(int)suggest(ctx, draws, (int64_t)seed, &k)]++;
        dial_sampler_free(sampler);
    }
    for (int v = 1; v <= 8; v++) {
        double expected = 4000 * dial_sampler_value_probability(&k, v);
        assert_true(fabs(first[v] - expected) < 4 * sqrt(expected) + 1);
        assert_true(fabs(independent[v] - expected) < 4 * sqrt(expected) + 1);
    }
    dial_sampler_free(draws);
    dial_ctx_free(ctx);
}

static void test_random_value_probabilities_sum_to_one(void **state) {
    dial_param params[] = {
        test_int_param("a", 3, 200, 7, true), test_int_param("b", 1, 50, 0, false),
        test_float_param("c", 0.01, 10, true), test_float_param("d", 0, 1, false)};
    params[2].step = 0.5;
    params[3].step = 0.1;
    for (size_t i = 0; i < 4; i++) {
        size_t n = 0;
        double *values = dial_grid_param_numbers(NULL, &params[i], 0, &n);
        assert_non_null(values);
        double total = 0;
        for (size_t v = 0; v < n; v++)
            total += dial_sampler_value_probability(&params[i], values[v]);
        assert_true(fabs(total - 1) < 1e-9);
        free(values);
    }
}

static void test_random_over_a_continuous_or_large_space_draws_independently(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param mixed[] = {test_int_param("k", 1, 5, 0, false),
                          test_float_param("C", 1e-3, 1e3, true)};
    dial_param large = test_int_param("n", 1, 20000, 0, false);
    dial_sampler *with_float = make(ctx, DIAL_SAMPLER_RANDOM, 5, mixed, 2, 0);
    dial_sampler *with_large = make(ctx, DIAL_SAMPLER_RANDOM, 5, &large, 1, 0);
    dial_sampler *none = make(ctx, DIAL_SAMPLER_RANDOM, 5, NULL, 0, 0);
    for (int64_t i = 0; i < 50; i++) {
        assert_true(suggest(ctx, with_float, i, &mixed[0]) == suggest(ctx, none, i, &mixed[0]));
        assert_true(suggest(ctx, with_float, i, &mixed[1]) == suggest(ctx, none, i, &mixed[1]));
        assert_true(suggest(ctx, with_large, i, &large) == suggest(ctx, none, i, &large));
    }
    dial_sampler_free(with_float);
    dial_sampler_free(with_large);
    dial_sampler_free(none);
    dial_ctx_free(ctx);
}

static void test_grid_sizes_follow_the_values_of_each_parameter(void **state) {
    dial_ctx *ctx = test_ctx();
    char *choices[] = {"a", "b", "c"};
    struct {
        dial_param param;
        size_t grid_points;
        int64_t size;
    } cases[] = {
        {test_float_param("C", 1e-3, 1e3, true), 13, 13},
        {test_float_param("C", 0, 1, false), 0, 10}, /* 0 = 10 points */
        {test_int_param("k", 1, 50, 0, false), 5, 50},
        {test_int_param("k", 1, 50, 2, false), 5, 25},
        {test_int_param("k", 1, 100, 0, true), 5, 100},
        {test_choice_param("w", choices, 3, ""), 5, 3},
        {test_float_param("alpha", 0.5, 0.5, false), 5, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dial_sampler *sampler =
            make(ctx, DIAL_SAMPLER_GRID, 1, &cases[i].param, 1, cases[i].grid_points);
        assert_int_equal(dial_sampler_grid_size(sampler), cases[i].size);
        dial_sampler_free(sampler);
    }
    dial_param two[] = {test_choice_param("w", choices, 3, ""), test_float_param("x", 0, 1, false)};
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, two, 2, 5);
    assert_int_equal(dial_sampler_grid_size(sampler), 15);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_other_samplers_have_no_grid_size(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param x = test_float_param("x", 0, 1, false);
    dial_sampler *random = make(ctx, DIAL_SAMPLER_RANDOM, 1, &x, 1, 0);
    dial_sampler *qmc = make(ctx, DIAL_SAMPLER_QMC, 1, &x, 1, 0);
    assert_int_equal(dial_sampler_grid_size(random), 0);
    assert_int_equal(dial_sampler_grid_size(qmc), 0);
    dial_sampler_free(random);
    dial_sampler_free(qmc);
    dial_ctx_free(ctx);
}

static void test_grid_visits_every_combination_once(void **state) {
    dial_ctx *ctx = test_ctx();
    char *choices[] = {"a", "b", "c"};
    dial_param params[] = {test_choice_param("w", choices, 3, ""),
                           test_int_param("k", 1, 4, 0, false)};
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 2, 0);
    assert_int_equal(dial_sampler_grid_size(sampler), 12);
    int seen[3][5] = {{0}};
    for (int64_t n = 0; n < 12; n++)
        seen[(int)suggest(ctx, sampler, n, &params[0])]
            [(int)suggest(ctx, sampler, n, &params[1])]++;
    for (int w = 0; w < 3; w++)
        for (int k = 1; k <= 4; k++) assert_int_equal(seen[w][k], 1);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_orders_one_axis_middle_out_like_grid_py(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 0, 10, 0, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, &k, 1, 0);
    /* grid.py's permute_sequence(range(11)). */
    const double expected[] = {5, 2, 8, 1, 7, 4, 10, 0, 6, 3, 9};
    for (int64_t n = 0; n < 11; n++) assert_true(suggest(ctx, sampler, n, &k) == expected[n]);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_first_four_trials_reach_both_halves_of_each_axis(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_int_param("x", 0, 10, 0, false),
                           test_int_param("y", 0, 10, 0, false)};
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 2, 0);
    assert_int_equal(dial_sampler_grid_size(sampler), 121);
    assert_true(suggest(ctx, sampler, 0, &params[0]) == 5);
    assert_true(suggest(ctx, sampler, 0, &params[1]) == 5);
    for (int axis = 0; axis < 2; axis++) {
        bool lower = false, upper = false;
        for (int64_t n = 0; n < 4; n++) {
            double v = suggest(ctx, sampler, n, &params[axis]);
            lower |= v < 5;
            upper |= v > 5;
        }
        assert_true(lower && upper);
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_finishes_each_coarse_grid_before_refining(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_int_param("x", 0, 10, 0, false),
                           test_int_param("y", 0, 10, 0, false)};
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 2, 0);
    /* The first 9 trials are the 3 x 3 grid {2, 5, 8}^2, the first 49 the
     * 7 x 7 grid of levels 0..2 (every value but 0, 3, 6, 9). */
    for (int64_t n = 0; n < 49; n++)
        for (int axis = 0; axis < 2; axis++) {
            double v = suggest(ctx, sampler, n, &params[axis]);
            if (n < 9)
                assert_true(v == 2 || v == 5 || v == 8);
            else
                assert_true(v != 0 && v != 3 && v != 6 && v != 9);
        }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_outer_role_keeps_trials_sharing_its_value_together(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_int_param("gamma", 0, 4, 0, false),
                           test_int_param("C", 0, 10, 0, false)};
    const dial_order_role roles[] = {DIAL_ORDER_OUTER, DIAL_ORDER_SPREAD};
    dial_sampler *sampler = make_ordered(ctx, params, 2, roles);
    /* gamma changes only every 11 trials, its groups middle-out as grid.py
     * orders 0..4: 2, 1, 4, 0, 3 */
    const double groups[] = {2, 1, 4, 0, 3};
    for (int64_t n = 0; n < 55; n++)
        assert_true(suggest(ctx, sampler, n, &params[0]) == groups[n / 11]);
    /* within a group the spread parameter keeps its middle-out order */
    const double first[] = {5, 2, 8, 1, 7};
    for (int64_t n = 0; n < 5; n++) assert_true(suggest(ctx, sampler, n, &params[1]) == first[n]);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_ascending_and_descending_roles_vary_fastest_in_their_order(void **state) {
    dial_ctx *ctx = test_ctx();
    char *c_values[] = {"8", "0.5", "2", "32"}; /* listed out of order on purpose */
    dial_param params[] = {test_int_param("gamma", 0, 2, 0, false),
                           test_choice_param("C", c_values, 4, ""),
                           test_int_param("rounds", 1, 3, 0, false)};
    const dial_order_role roles[] = {DIAL_ORDER_OUTER, DIAL_ORDER_ASCENDING, DIAL_ORDER_DESCENDING};
    dial_sampler *sampler = make_ordered(ctx, params, 3, roles);
    assert_int_equal(dial_sampler_grid_size(sampler), 36);
    /* the first group: gamma 1, C by its number (0.5, 2, 8, 32: choices 1,
     * 2, 0, 3), rounds from 3 down to 1 for each C */
    const double c_index[] = {1, 2, 0, 3};
    for (int64_t n = 0; n < 12; n++) {
        assert_true(suggest(ctx, sampler, n, &params[0]) == 1);
        assert_true(suggest(ctx, sampler, n, &params[1]) == c_index[n / 3]);
        assert_true(suggest(ctx, sampler, n, &params[2]) == (double)(3 - n % 3));
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_param_numbers_reads_choices_as_numbers(void **state) {
    (void)state;
    char *choices[] = {"8", "0.5", "auto"};
    dial_param c = test_choice_param("C", choices, 3, "");
    size_t n = 0;
    double *values = dial_grid_param_numbers(NULL, &c, 10, &n);
    assert_non_null(values);
    assert_int_equal(n, 3);
    assert_true(values[0] == 8 && values[1] == 0.5 && isnan(values[2]));
    free(values);
    dial_param gamma = test_float_param("gamma", 1e-3, 1e3, true);
    values = dial_grid_param_numbers(NULL, &gamma, 7, &n);
    assert_int_equal(n, 7);
    assert_true(values[0] == 1e-3 && values[6] == 1e3 && fabs(values[3] - 1) < 1e-12);
    free(values);
}

static void test_grid_float_values_include_both_ends_on_a_log_scale(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param c = test_float_param("C", 1e-3, 1e3, true);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, &c, 1, 7);
    assert_int_equal(dial_sampler_grid_size(sampler), 7);
    bool seen[7] = {false};
    for (int64_t n = 0; n < 7; n++) {
        double v = suggest(ctx, sampler, n, &c);
        double exponent = log10(v);
        assert_true(fabs(exponent - round(exponent)) < 1e-9);
        seen[(int)round(exponent) + 3] = true;
        if (n == 0) assert_true(fabs(v - 1) < 1e-12); /* the middle first */
    }
    for (int e = 0; e < 7; e++) assert_true(seen[e]);
    /* The ends exactly as given. */
    bool low = false, high = false;
    for (int64_t n = 0; n < 7; n++) {
        low |= suggest(ctx, sampler, n, &c) == 1e-3;
        high |= suggest(ctx, sampler, n, &c) == 1e3;
    }
    assert_true(low && high);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_does_not_multiply_inactive_parameters(void **state) {
    dial_ctx *ctx = test_ctx();
    char *kernels[] = {"linear", "rbf", "poly"};
    dial_param params[] = {
        test_float_param("gamma", 1e-3, 1, true),
        test_choice_param("kernel", kernels, 3, ""),
        test_int_param("degree", 2, 4, 0, false),
    };
    params[0].condition = "kernel=rbf|poly";
    params[2].condition = "kernel=poly";
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 3, 4);
    /* linear: 1; rbf: 4 gammas; poly: 4 gammas x 3 degrees. */
    assert_int_equal(dial_sampler_grid_size(sampler), 1 + 4 + 12);
    int linear = 0, rbf = 0, poly = 0;
    for (int64_t n = 0; n < 17; n++) {
        int kernel = (int)suggest(ctx, sampler, n, &params[1]);
        linear += kernel == 0;
        rbf += kernel == 1;
        poly += kernel == 2;
        /* Every (kernel, gamma, degree) that matters is distinct. */
        for (int64_t m = 0; m < n; m++) {
            if ((int)suggest(ctx, sampler, m, &params[1]) != kernel) continue;
            bool same_gamma = kernel == 0 || suggest(ctx, sampler, m, &params[0]) ==
                                                 suggest(ctx, sampler, n, &params[0]);
            bool same_degree = kernel != 2 || suggest(ctx, sampler, m, &params[2]) ==
                                                  suggest(ctx, sampler, n, &params[2]);
            assert_false(same_gamma && same_degree);
        }
    }
    assert_int_equal(linear, 1);
    assert_int_equal(rbf, 4);
    assert_int_equal(poly, 12);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_counts_a_condition_on_an_inactive_controller_as_false(void **state) {
    dial_ctx *ctx = test_ctx();
    char *kernels[] = {"linear", "poly"};
    char *modes[] = {"exact", "fast"};
    dial_param params[] = {
        test_choice_param("kernel", kernels, 2, ""),
        test_choice_param("mode", modes, 2, "kernel=poly"),
        test_int_param("depth", 1, 3, 0, false),
    };
    params[2].condition = "mode=fast";
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 3, 0);
    /* linear; poly + exact; poly + fast x 3 depths. */
    assert_int_equal(dial_sampler_grid_size(sampler), 1 + 1 + 3);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_condition_on_a_knob_outside_the_space_holds(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_int_param("k", 1, 3, 0, false), test_float_param("p", 1, 5, false)};
    params[1].condition = "metric=minkowski";
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, params, 2, 5);
    assert_int_equal(dial_sampler_grid_size(sampler), 15);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_wraps_past_its_size(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 7, 0, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_GRID, 1, &k, 1, 0);
    for (int64_t n = 0; n < 7; n++)
        assert_true(suggest(ctx, sampler, n, &k) == suggest(ctx, sampler, n + 7, &k));
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_parameter_outside_the_space_is_drawn_at_random(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param k = test_int_param("k", 1, 7, 0, false),
               lr = test_float_param("lr", 1e-5, 1e-1, true);
    dial_sampler *grid = make(ctx, DIAL_SAMPLER_GRID, 9, &k, 1, 0);
    dial_sampler *random = make(ctx, DIAL_SAMPLER_RANDOM, 9, NULL, 0, 0);
    for (int64_t n = 0; n < 5; n++) {
        double v = suggest(ctx, grid, n, &lr);
        assert_true(v >= 1e-5 && v <= 1e-1);
        assert_true(v == suggest(ctx, random, n, &lr));
    }
    dial_sampler_free(grid);
    dial_sampler_free(random);
    dial_ctx_free(ctx);
}

static void test_grid_needs_a_space(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_sampler *sampler = NULL;
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, NULL, 0, &sampler),
                      DIAL_ERR_ARGUMENT,
                      "the grid sampler needs a search space with at least one parameter");
    assert_null(sampler);
    dial_ctx_free(ctx);
}

static void test_grid_too_large_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_int_param("a", 1, 2000, 0, false),
                           test_int_param("b", 1, 2000, 0, false)};
    dial_space space = {2, params};
    dial_sampler *sampler = NULL;
    const char *message = "the grid has more than 1048576 points: narrow the space, use fewer "
                          "grid points or a step, or sample it with random or qmc";
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT, message);
    dial_param huge = test_int_param("k", 1, 1e9, 0, false);
    space = (dial_space){1, &huge};
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT, message);
    assert_null(sampler);
    dial_ctx_free(ctx);
}

static void test_sampler_refuses_a_malformed_space(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_sampler *sampler = NULL;
    dial_param reversed = test_float_param("C", 10, 1, false);
    dial_space space = {1, &reversed};
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_RANDOM, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT, "search space parameter 'C': low = 10 is above high = 1");
    dial_param log_zero = test_float_param("C", 0, 1, true);
    space.params = &log_zero;
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_QMC, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT,
                      "search space parameter 'C': a log scale needs low > 0, got low = 0");
    dial_param twice[] = {test_float_param("C", 0, 1, false), test_float_param("C", 0, 2, false)};
    space = (dial_space){2, twice};
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT, "search space parameter 'C' is listed twice");
    dial_param empty = test_choice_param("w", NULL, 1, "");
    empty.n_choices = 0;
    space = (dial_space){1, &empty};
    assert_dial_error(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, &sampler),
                      DIAL_ERR_ARGUMENT, "search space parameter 'w' is a choice with no choices");
    assert_null(sampler);
    dial_ctx_free(ctx);
}

static void test_sampler_keeps_its_own_copy_of_the_space(void **state) {
    dial_ctx *ctx = test_ctx();
    char name[] = "k";
    dial_param k = test_int_param(name, 1, 3, 0, false);
    dial_space space = {1, &k};
    dial_sampler *sampler = NULL;
    assert_dial_ok(ctx, dial_sampler_create(ctx, DIAL_SAMPLER_GRID, 1, &space, 0, &sampler));
    name[0] = 'z';
    k.high = 100;
    dial_param asked = test_int_param("k", 1, 3, 0, false);
    assert_int_equal(dial_sampler_grid_size(sampler), 3);
    assert_true(suggest(ctx, sampler, 0, &asked) == 2);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- qmc ------------------------------------------------------------------------ */

static void test_sobol_directions_match_joe_kuo_reference(void **state) {
    /* From tests/tune/reference_sobol.py (SciPy's Sobol, Joe and Kuo's
     * new-joe-kuo-6.21201): a hash of the top 30 bits of points 0..4095 in
     * Gray-code order, per dimension. */
    static const uint64_t expected[DIAL_SOBOL_DIMENSIONS] = {
        UINT64_C(6633892736520643365),  UINT64_C(2924148440654635813),
        UINT64_C(8112699269145387813),  UINT64_C(13490208742831776549),
        UINT64_C(11773673961101681445), UINT64_C(13845947365497463589),
        UINT64_C(4030261225984844581),  UINT64_C(8787205421809754917),
        UINT64_C(5813604874295403301),  UINT64_C(1373339198468875045),
        UINT64_C(15572677451065287461), UINT64_C(3967969512467948325),
        UINT64_C(8494896091395482405),  UINT64_C(16195238658188206885),
        UINT64_C(1916158119274832677),  UINT64_C(13518054437005517605),
        UINT64_C(9490330794514408229),  UINT64_C(11639650943382545189),
        UINT64_C(8844473120952378149),  UINT64_C(3148199052225241893),
        UINT64_C(2443298961687798565),  UINT64_C(5502933979889361701),
        UINT64_C(17383442994880537381), UINT64_C(18094972928807101221),
        UINT64_C(12160867513046623013), UINT64_C(10363462124610216741),
        UINT64_C(8670013773259170597),  UINT64_C(12881501359399723813),
        UINT64_C(5564936745507316517),  UINT64_C(3566973358452728613),
        UINT64_C(6498319729881211685),  UINT64_C(2628618620757566245),
        UINT64_C(10124364314981393189), UINT64_C(11182809210748101413),
        UINT64_C(11447210450282570533), UINT64_C(5395742189837574949),
        UINT64_C(6626206488555381541),  UINT64_C(8792868701087687461),
        UINT64_C(14656125748490494757), UINT64_C(6102051751125017381),
    };
    dial_ctx *ctx = test_ctx();
    dial_param params[DIAL_SOBOL_DIMENSIONS];
    char names[DIAL_SOBOL_DIMENSIONS][16];
    for (int d = 0; d < DIAL_SOBOL_DIMENSIONS; d++) {
        snprintf(names[d], sizeof names[d], "x%d", d);
        params[d] = test_float_param(names[d], 0, 1, false);
    }
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_QMC, 1, params, DIAL_SOBOL_DIMENSIONS, 0);
    for (size_t d = 0; d < DIAL_SOBOL_DIMENSIONS; d++) {
        uint64_t hash = UINT64_C(14695981039346656037);
        for (uint64_t i = 0; i < 4096; i++) {
            uint64_t x = dial_qmc_sobol(sampler, i ^ (i >> 1), d) >> 2;
            hash = (hash ^ x) * UINT64_C(1099511628211);
        }
        if (hash != expected[d])
            fail_msg("dimension %zu: hash %llu", d + 1, (unsigned long long)hash);
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_qmc_same_seed_gives_the_same_values(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_float_param("x", 0, 1, false),
                           test_int_param("k", 1, 50, 0, false)};
    dial_sampler *a = make(ctx, DIAL_SAMPLER_QMC, 5, params, 2, 0);
    dial_sampler *b = make(ctx, DIAL_SAMPLER_QMC, 5, params, 2, 0);
    dial_sampler *other = make(ctx, DIAL_SAMPLER_QMC, 6, params, 2, 0);
    int differ = 0;
    for (int64_t n = 0; n < 32; n++) {
        /* Asked in the opposite order from b: no state between calls. */
        double ax = suggest(ctx, a, n, &params[0]), ak = suggest(ctx, a, n, &params[1]);
        double bk = suggest(ctx, b, n, &params[1]), bx = suggest(ctx, b, n, &params[0]);
        assert_true(ax == bx && ak == bk);
        differ += ax != suggest(ctx, other, n, &params[0]);
    }
    assert_int_equal(differ, 32);
    dial_sampler_free(a);
    dial_sampler_free(b);
    dial_sampler_free(other);
    dial_ctx_free(ctx);
}

static void test_qmc_points_fill_every_elementary_box_once(void **state) {
    /* The first 16 points of Sobol dimensions 1 and 2 are a (0, 4, 2)-net,
     * and Owen scrambling keeps it: every box of area 1/16 with sides
     * 2^-a x 2^-(4-a) holds exactly one point. */
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_float_param("x", 0, 1, false), test_float_param("y", 0, 1, false)};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        dial_sampler *sampler = make(ctx, DIAL_SAMPLER_QMC, seed, params, 2, 0);
        for (int a = 0; a <= 4; a++) {
            int counts[16] = {0};
            for (int64_t n = 0; n < 16; n++) {
                double x = suggest(ctx, sampler, n, &params[0]);
                double y = suggest(ctx, sampler, n, &params[1]);
                assert_true(x > 0 && x < 1 && y > 0 && y < 1);
                int cx = (int)(x * (1 << a)), cy = (int)(y * (1 << (4 - a)));
                counts[(cx << (4 - a)) | cy]++;
            }
            for (int box = 0; box < 16; box++) assert_int_equal(counts[box], 1);
        }
        dial_sampler_free(sampler);
    }
    dial_ctx_free(ctx);
}

static void test_qmc_covers_the_square_more_evenly_than_random(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[] = {test_float_param("x", 0, 1, false), test_float_param("y", 0, 1, false)};
    static double qmc_points[256][2], random_points[256][2];
    double qmc_total = 0, random_total = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        dial_sampler *qmc = make(ctx, DIAL_SAMPLER_QMC, seed, params, 2, 0);
        dial_sampler *random = make(ctx, DIAL_SAMPLER_RANDOM, seed, params, 2, 0);
        for (int64_t n = 0; n < 256; n++)
            for (int k = 0; k < 2; k++) {
                qmc_points[n][k] = suggest(ctx, qmc, n, &params[k]);
                random_points[n][k] = suggest(ctx, random, n, &params[k]);
            }
        double q = centred_discrepancy((const double(*)[2])qmc_points, 256);
        double r = centred_discrepancy((const double(*)[2])random_points, 256);
        /* Random points: about 1e-3 (5e-4 .. 2e-3 over these seeds);
         * scrambled Sobol: about 1.1e-5. */
        assert_true(q < r / 10);
        qmc_total += q;
        random_total += r;
        dial_sampler_free(qmc);
        dial_sampler_free(random);
    }
    assert_true(qmc_total < random_total / 40);
    dial_ctx_free(ctx);
}

static void test_qmc_maps_each_dimension_to_its_scale(void **state) {
    dial_ctx *ctx = test_ctx();
    char *choices[] = {"a", "b"};
    dial_param params[] = {
        test_float_param("C", 1e-3, 1e3, true),
        test_int_param("k", 1, 8, 0, false),
        test_choice_param("w", choices, 2, ""),
    };
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_QMC, 2, params, 3, 0);
    int below_one = 0, k_counts[9] = {0}, w_counts[2] = {0};
    for (int64_t n = 0; n < 64; n++) {
        double c = suggest(ctx, sampler, n, &params[0]);
        assert_true(c >= 1e-3 && c <= 1e3);
        below_one += c < 1;
        k_counts[(int)suggest(ctx, sampler, n, &params[1])]++;
        w_counts[(int)suggest(ctx, sampler, n, &params[2])]++;
    }
    /* Stratified: exactly half of 64 below the log-middle, 8 of each k. */
    assert_int_equal(below_one, 32);
    for (int k = 1; k <= 8; k++) assert_int_equal(k_counts[k], 8);
    assert_int_equal(w_counts[0], 32);
    assert_int_equal(w_counts[1], 32);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_qmc_has_at_least_21_dimensions(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[25];
    char names[25][16];
    for (int d = 0; d < 25; d++) {
        snprintf(names[d], sizeof names[d], "x%d", d);
        params[d] = test_float_param(names[d], 0, 1, false);
    }
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_QMC, 4, params, 25, 0);
    assert_int_equal(sampler->n_dimensions, 25);
    /* Every dimension is stratified: 32 points, one per 1/32. */
    for (int d = 0; d < 25; d++) {
        int counts[32] = {0};
        for (int64_t n = 0; n < 32; n++) counts[(int)(suggest(ctx, sampler, n, &params[d]) * 32)]++;
        for (int c = 0; c < 32; c++) assert_int_equal(counts[c], 1);
    }
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_qmc_parameter_outside_the_space_is_drawn_at_random(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param x = test_float_param("x", 0, 1, false),
               lr = test_float_param("lr", 1e-5, 1e-1, true);
    dial_sampler *qmc = make(ctx, DIAL_SAMPLER_QMC, 9, &x, 1, 0);
    dial_sampler *random = make(ctx, DIAL_SAMPLER_RANDOM, 9, NULL, 0, 0);
    for (int64_t n = 0; n < 5; n++)
        assert_true(suggest(ctx, qmc, n, &lr) == suggest(ctx, random, n, &lr));
    dial_sampler_free(qmc);
    dial_sampler_free(random);
    dial_ctx_free(ctx);
}

static void test_suggest_refuses_a_negative_trial_number(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param x = test_float_param("x", 0, 1, false);
    dial_sampler *sampler = make(ctx, DIAL_SAMPLER_RANDOM, 1, NULL, 0, 0);
    double value;
    assert_dial_error(ctx, dial_sampler_suggest(ctx, sampler, -1, &x, &value), DIAL_ERR_ARGUMENT,
                      "trial number -1 is negative");
    dial_sampler_free(sampler);
    dial_sampler_free(NULL);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_same_seed_gives_the_same_values),
        cmocka_unit_test(test_random_value_does_not_depend_on_call_order),
        cmocka_unit_test(test_random_log_range_stays_in_bounds_and_spreads_over_decades),
        cmocka_unit_test(test_random_int_range_reaches_both_ends_evenly),
        cmocka_unit_test(test_random_log_int_range_reaches_both_ends),
        cmocka_unit_test(test_random_int_step_gives_only_steps_and_both_ends),
        cmocka_unit_test(test_random_float_step_is_quantised),
        cmocka_unit_test(test_random_choice_picks_every_choice),
        cmocka_unit_test(test_random_fixed_parameter_is_its_value),
        cmocka_unit_test(test_random_40_trials_over_k_1_to_50_try_40_distinct_k),
        cmocka_unit_test(test_random_without_repeats_depends_only_on_seed_and_sample_index),
        cmocka_unit_test(test_random_deals_every_point_of_a_mixed_space_before_a_repeat),
        cmocka_unit_test(test_random_without_repeats_skips_inactive_parameters),
        cmocka_unit_test(test_random_without_repeats_keeps_a_log_scale),
        cmocka_unit_test(test_random_first_sample_is_distributed_as_an_independent_draw),
        cmocka_unit_test(test_random_value_probabilities_sum_to_one),
        cmocka_unit_test(test_random_over_a_continuous_or_large_space_draws_independently),
        cmocka_unit_test(test_grid_sizes_follow_the_values_of_each_parameter),
        cmocka_unit_test(test_other_samplers_have_no_grid_size),
        cmocka_unit_test(test_grid_visits_every_combination_once),
        cmocka_unit_test(test_grid_orders_one_axis_middle_out_like_grid_py),
        cmocka_unit_test(test_grid_first_four_trials_reach_both_halves_of_each_axis),
        cmocka_unit_test(test_grid_finishes_each_coarse_grid_before_refining),
        cmocka_unit_test(test_grid_outer_role_keeps_trials_sharing_its_value_together),
        cmocka_unit_test(test_grid_ascending_and_descending_roles_vary_fastest_in_their_order),
        cmocka_unit_test(test_grid_param_numbers_reads_choices_as_numbers),
        cmocka_unit_test(test_grid_float_values_include_both_ends_on_a_log_scale),
        cmocka_unit_test(test_grid_does_not_multiply_inactive_parameters),
        cmocka_unit_test(test_grid_counts_a_condition_on_an_inactive_controller_as_false),
        cmocka_unit_test(test_grid_condition_on_a_knob_outside_the_space_holds),
        cmocka_unit_test(test_grid_wraps_past_its_size),
        cmocka_unit_test(test_grid_parameter_outside_the_space_is_drawn_at_random),
        cmocka_unit_test(test_grid_needs_a_space),
        cmocka_unit_test(test_grid_too_large_is_refused),
        cmocka_unit_test(test_sampler_refuses_a_malformed_space),
        cmocka_unit_test(test_sampler_keeps_its_own_copy_of_the_space),
        cmocka_unit_test(test_sobol_directions_match_joe_kuo_reference),
        cmocka_unit_test(test_qmc_same_seed_gives_the_same_values),
        cmocka_unit_test(test_qmc_points_fill_every_elementary_box_once),
        cmocka_unit_test(test_qmc_covers_the_square_more_evenly_than_random),
        cmocka_unit_test(test_qmc_maps_each_dimension_to_its_scale),
        cmocka_unit_test(test_qmc_has_at_least_21_dimensions),
        cmocka_unit_test(test_qmc_parameter_outside_the_space_is_drawn_at_random),
        cmocka_unit_test(test_suggest_refuses_a_negative_trial_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
