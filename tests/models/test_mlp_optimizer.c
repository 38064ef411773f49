/* The multilayer perceptron's optimisers: an update rounds every operation
 * as the textbook formula written in C does, bit for bit, whether a
 * parameter falls in a vector of the wide loop or in its tail, and touches
 * only the range it is given. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/mlp_optimizer.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* the formulas below round every operation, as dial */
#endif

#define N 37 /* four vectors of 8 and a tail of 5 */

static void fill(dial_rng *rng, double *x, size_t n, double scale) {
    for (size_t k = 0; k < n; k++) x[k] = scale * dial_rng_normal(rng);
}

static void adam_steps_round_as_the_formula(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_mlp_optimizer opt;
    assert_dial_ok(ctx, dial_mlp_optimizer_init(ctx, &opt, DIAL_MLP_ADAM, N, 0, false));
    dial_rng rng = dial_rng_stream(11, 0);
    double params[N], want[N], m[N] = {0}, v[N] = {0}, g[N], g_copy[N];
    fill(&rng, params, N, 1);
    memcpy(want, params, sizeof want);
    double b1t = 1, b2t = 1, lr = 0.01, penalty = 0.003;
    for (int step = 0; step < 3; step++) {
        fill(&rng, g, N, 0.5);
        memcpy(g_copy, g, sizeof g);
        dial_mlp_optimizer_next(&opt);
        dial_mlp_optimizer_update(&opt, lr, g_copy, penalty, 0, N, params);
        b1t *= 0.9;
        b2t *= 0.999;
        double rate = lr * sqrt(1 - b2t) / (1 - b1t);
        for (size_t k = 0; k < N; k++) {
            double gk = g[k] + penalty * want[k];
            m[k] = 0.9 * m[k] + (1 - 0.9) * gk;
            v[k] = 0.999 * v[k] + (1 - 0.999) * gk * gk;
            want[k] -= rate * m[k] / (sqrt(v[k]) + 1e-8);
        }
        assert_memory_equal(params, want, sizeof want);
    }
    dial_mlp_optimizer_free(&opt);
    dial_ctx_free(ctx);
}

static void nesterov_sgd_steps_round_as_the_formula(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_mlp_optimizer opt;
    assert_dial_ok(ctx, dial_mlp_optimizer_init(ctx, &opt, DIAL_MLP_SGD, N, 0.9, true));
    dial_rng rng = dial_rng_stream(12, 0);
    double params[N], want[N], u[N] = {0}, g[N], g_copy[N];
    fill(&rng, params, N, 1);
    memcpy(want, params, sizeof want);
    for (int step = 0; step < 3; step++) {
        fill(&rng, g, N, 0.5);
        memcpy(g_copy, g, sizeof g);
        dial_mlp_optimizer_next(&opt);
        dial_mlp_optimizer_update(&opt, 0.05, g_copy, 0, 0, N, params);
        for (size_t k = 0; k < N; k++) {
            u[k] = 0.9 * u[k] - 0.05 * g[k];
            want[k] += 0.9 * u[k] - 0.05 * g[k];
        }
        assert_memory_equal(params, want, sizeof want);
    }
    dial_mlp_optimizer_free(&opt);
    dial_ctx_free(ctx);
}

static void an_update_touches_only_its_range(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_mlp_optimizer opt;
    assert_dial_ok(ctx, dial_mlp_optimizer_init(ctx, &opt, DIAL_MLP_ADAM, N, 0, false));
    double params[N], before[N], g[N];
    for (size_t k = 0; k < N; k++) params[k] = g[k] = 1;
    memcpy(before, params, sizeof before);
    dial_mlp_optimizer_next(&opt);
    dial_mlp_optimizer_update(&opt, 0.1, g, 0.5, 10, 9, params);
    for (size_t k = 0; k < N; k++) {
        bool inside = k >= 10 && k < 19;
        assert_true(inside ? params[k] < before[k] : params[k] == before[k]);
        assert_true(inside ? opt.first[k] != 0 : opt.first[k] == 0);
    }
    dial_mlp_optimizer_free(&opt);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adam_steps_round_as_the_formula),
        cmocka_unit_test(nesterov_sgd_steps_round_as_the_formula),
        cmocka_unit_test(an_update_touches_only_its_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
