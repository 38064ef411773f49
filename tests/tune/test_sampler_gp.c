/* The gp sampler: its Gaussian process, log EI, and its proposals from a
 * history built by hand (as the study builds it). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/gp_model.h"
#include "tune/sampler_internal.h"

#define PI 3.14159265358979323846

/* ---- helpers ------------------------------------------------------------ */

static dial_param float_param(const char *name, double low, double high, bool log) {
    return (dial_param){.name = (char *)name,
                        .kind = DIAL_PARAM_FLOAT,
                        .low = low,
                        .high = high,
                        .log = log,
                        .condition = ""};
}

static dial_sampler *make(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed, dial_param *params,
                          size_t n, bool cost_blind) {
    dial_space space = {n, params};
    dial_sampler_settings settings = {
        .kind = kind, .seed = seed, .space = &space, .cost_blind = cost_blind};
    dial_sampler *sampler = NULL;
    assert_dial_ok(ctx, dial_sampler_create_with(ctx, &settings, &sampler));
    return sampler;
}

/* A history that owns its points: up to MAX_TRIALS trials of up to
 * MAX_PARAMS parameters. */
#define MAX_TRIALS 400
#define MAX_PARAMS 6

typedef struct history_book {
    size_t n;
    dial_sampler_observation trials[MAX_TRIALS];
    double x[MAX_TRIALS][MAX_PARAMS];
} history_book;

static void add_trial(history_book *book, dial_trial_state state, const double *x, size_t d,
                      double loss, double seconds) {
    assert_true(book->n < MAX_TRIALS);
    size_t i = book->n++;
    memcpy(book->x[i], x, d * sizeof *x);
    book->trials[i] = (dial_sampler_observation){.number = (int64_t)i,
                                                 .state = state,
                                                 .loss = state == DIAL_TRIAL_COMPLETE ? loss : NAN,
                                                 .seconds = seconds,
                                                 .last_loss = NAN,
                                                 .last_step = -1,
                                                 .x = book->x[i]};
}

static dial_sampler_history view(const history_book *book) {
    return (dial_sampler_history){book->n, book->trials};
}

static void propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                    const history_book *book, double *point) {
    dial_sampler_history history = view(book);
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, number, &history, point));
}

typedef double (*objective_fn)(const double *x);

/* Runs budget trials one after the other, each proposed from all the
 * finished ones; returns the best loss. */
static double run_study(dial_ctx *ctx, const dial_sampler *sampler, size_t d, objective_fn f,
                        size_t budget, history_book *book) {
    double best = INFINITY, point[MAX_PARAMS];
    book->n = 0;
    for (size_t number = 0; number < budget; number++) {
        propose(ctx, sampler, (int64_t)number, book, point);
        double loss = f(point);
        best = fmin(best, loss);
        add_trial(book, DIAL_TRIAL_COMPLETE, point, d, loss, 1);
    }
    return best;
}

/* Branin on [-5, 10] x [0, 15]: minimum 0.397887 at three points. */
static double branin(const double *x) {
    double a = 1, b = 5.1 / (4 * PI * PI), c = 5 / PI, r = 6, s = 10, t = 1 / (8 * PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * u * u + s * (1 - t) * cos(x[0]) + s;
}

/* ---- the model ---------------------------------------------------------- */

static double wave(double x) { return sin(6 * x) + 0.5 * x; }

/* Fitted to a deterministic 1-d function, the posterior mean goes through
 * the observations and the variance there is nearly zero, while between
 * them (and far from them) it is not. */
static void test_the_posterior_interpolates_the_data(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[8], y[8], theta[3];
    bool categorical[1] = {false};
    for (int i = 0; i < 8; i++) x[i] = i / 7.0, y[i] = wave(x[i]);
    dial_gp_data data = {8, 1, x, y, categorical};
    assert_dial_ok(ctx, dial_gp_fit(ctx, &data, 1, 0, 2, theta));
    dial_gp gp;
    assert_dial_ok(ctx, dial_gp_condition(ctx, &data, theta, &gp));
    double scratch[8], mean, variance;
    for (int i = 0; i < 8; i++) {
        dial_gp_predict(&gp, &x[i], scratch, &mean, &variance);
        assert_true(fabs(mean - y[i]) < 0.02);
        assert_true(variance < 1e-3 * gp.signal);
    }
    double between = 0.5 / 7.0;
    dial_gp_predict(&gp, &between, scratch, &mean, &variance);
    assert_true(fabs(mean - wave(between)) < 0.2);
    double beside_variance = variance;
    assert_true(beside_variance > 10 * 1e-3 * gp.signal * 1e-3);
    double far = 3;
    dial_gp_predict(&gp, &far, scratch, &mean, &variance);
    assert_true(variance > beside_variance);
    assert_true(variance > 0.5 * gp.signal);
    dial_gp_free(&gp);
    dial_ctx_free(ctx);
}

/* Duplicated points with no noise make K singular: conditioning adds
 * jitter and succeeds, and predicts finite values. */
static void test_duplicate_points_are_rescued_by_jitter(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[4] = {0.3, 0.3, 0.3, 0.7}, y[4] = {1, 1, 1, -1};
    bool categorical[1] = {false};
    dial_gp_data data = {4, 1, x, y, categorical};
    double theta[3] = {log(0.5), 0, -INFINITY}; /* noise variance 0 */
    dial_gp gp;
    assert_dial_ok(ctx, dial_gp_condition(ctx, &data, theta, &gp));
    assert_true(gp.noise >= 1e-8 && gp.noise <= 1e-2);
    double scratch[4], mean, variance, at = 0.3;
    dial_gp_predict(&gp, &at, scratch, &mean, &variance);
    assert_true(isfinite(mean) && isfinite(variance));
    assert_true(fabs(mean - 1) < 0.05);
    dial_gp_free(&gp);
    dial_ctx_free(ctx);
}

/* Log EI agrees with the direct formula where that is accurate, and stays
 * finite and decreasing far below the incumbent, where EI underflows. */
static void test_log_expected_improvement_is_stable(void **state) {
    (void)state;
    for (double z = -5; z <= 5; z += 0.25) {
        double pdf = exp(-0.5 * z * z) / sqrt(2 * PI);
        double cdf = 0.5 * erfc(-z / sqrt(2));
        double direct = log(2 * (pdf + z * cdf)); /* sigma 2 */
        double stable = dial_gp_log_expected_improvement(0, 4, 2 * z);
        assert_true(fabs(direct - stable) < 1e-9 * fmax(1, fabs(direct)));
    }
    double previous = INFINITY;
    for (double z = -1; z >= -1e4; z *= 1.5) {
        double value = dial_gp_log_expected_improvement(0, 1, z);
        assert_true(isfinite(value));
        assert_true(value < previous);
        /* log EI ~ -z^2/2 - log(sqrt(2 pi)) - 2 log|z| */
        if (z < -40)
            assert_true(fabs(value - (-0.5 * z * z - log(sqrt(2 * PI)) - 2 * log(-z))) <
                        1e-3 * fabs(value));
        previous = value;
    }
}

/* ---- proposals ----------------------------------------------------------- */

/* On Branin, 10 qmc trials then 20 gp trials come within 0.05 of the
 * minimum, and beat random search with the same budget and seed. */
static void test_gp_finds_the_minimum_of_branin(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_param params[2] = {float_param("x", -5, 10, false), float_param("y", 0, 15, false)};
    static history_book book;
    dial_sampler *gp = make(ctx, DIAL_SAMPLER_GP, 1, params, 2, false);
    double gp_best = run_study(ctx, gp, 2, branin, 30, &book);
    dial_sampler *random = make(ctx, DIAL_SAMPLER_RANDOM, 1, params, 2, false);
    double random_best = run_study(ctx, random, 2, branin, 30, &book);
    printf("branin after 30 trials: gp %.6f, random %.6f\n", gp_best, random_best);
    assert_true(gp_best < 0.397887 + 0.05);
    assert_true(gp_best < random_best);
    dial_sampler_free(gp);
    dial_sampler_free(random);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_posterior_interpolates_the_data),
        cmocka_unit_test(test_duplicate_points_are_rescued_by_jitter),
        cmocka_unit_test(test_log_expected_improvement_is_stable),
        cmocka_unit_test(test_gp_finds_the_minimum_of_branin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
