/* svm's warm starts along C for tuning (predict_fold_warm, free_warm): a
 * trial on a prepared fold starts each sub-problem from the solution of a
 * smaller C, and keeps a solution that is still optimal as it is.
 *
 * The split is test_svm_prepare.c's: rows with index % 5 == 0 test, the
 * others train; every feature scaled to [-1, 1] over all rows. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/svm_warm.h"
#include "models/family_tuning.h"

extern const dial_model_family dial_model_svm;

static void *prepare(dial_ctx *ctx, const test_fold *f, const dial_knobs *knobs) {
    void *state = NULL;
    assert_dial_ok(
        ctx, dial_model_svm.tuning->prepare_fold(ctx, knobs, knobs, &f->train, &f->test, &state));
    assert_non_null(state);
    return state;
}

static void set_c(dial_ctx *ctx, dial_knobs *knobs, double c) {
    char text[64];
    snprintf(text, sizeof text, "C=%.17g", c);
    assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, knobs, text));
    assert_dial_ok(ctx, dial_knobs_check(ctx, knobs));
}

static double accuracy(const test_fold *f, const double *value) {
    size_t right = 0;
    for (size_t i = 0; i < f->test.n_rows; i++) right += value[i] == f->y_test[i];
    return (double)right / (double)f->test.n_rows;
}

/* Training rows with a nonzero dual variable in some pair of a C-SVC
 * solution: pair (s, t)'s variables are class s's rows then class t's, each
 * in training order. */
static size_t support_vectors(const test_fold *f, const dial_svm_warm *warm) {
    size_t n = f->train.n_rows, k = f->n_classes, p = 0;
    bool *support = calloc(n, sizeof *support);
    size_t *rows = malloc(n * sizeof *rows);
    assert_non_null(support);
    assert_non_null(rows);
    assert_int_equal(warm->n_parts, k * (k - 1) / 2);
    for (size_t s = 0; s < k; s++)
        for (size_t t = s + 1; t < k; t++, p++) {
            size_t l = 0;
            for (size_t i = 0; i < n; i++)
                if ((size_t)f->y_train[i] == s) rows[l++] = i;
            for (size_t i = 0; i < n; i++)
                if ((size_t)f->y_train[i] == t) rows[l++] = i;
            assert_int_equal(warm->parts[p].l, l);
            for (size_t q = 0; q < l; q++)
                if (warm->parts[p].alpha[q] > 0) support[rows[q]] = true;
        }
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += support[i];
    free(support);
    free(rows);
    return count;
}

/* The LIBSVM guide's C values, 2^-5, 2^-3, ..., 2^15, and values whose
 * ratios are not powers of two (the start's scaling then rounds). */
#define N_GRID_C 11
static const double guide_c[N_GRID_C] = {0.03125, 0.125, 0.5,  2,    8,    32,
                                         128,     512,   2048, 8192, 32768};
static const double decimal_c[N_GRID_C] = {0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000};

/* ---- a cold start is predict_fold -------------------------------------------- */

static void assert_cold_is_predict_fold(const char *path, const char *target,
                                        const char *const *settings, const double *cs, size_t n_c,
                                        bool with_proba) {
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold(path, target, 5, true);
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *state = prepare(ctx, &f, &knobs);
    size_t n = f.test.n_rows, c = with_proba ? f.n_classes : 0;
    double *value_fold = malloc(n * sizeof(double)), *value_warm = malloc(n * sizeof(double));
    double *proba_fold = c ? malloc(n * c * sizeof(double)) : NULL;
    double *proba_warm = c ? malloc(n * c * sizeof(double)) : NULL;
    for (size_t i = 0; i < n_c; i++) {
        set_c(ctx, &knobs, cs[i]);
        dial_predict_output out_fold = {value_fold, proba_fold},
                            out_warm = {value_warm, proba_warm};
        dial_ctx_set_seed(ctx, 7);
        assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, state, &out_fold));
        memset(value_warm, 0xff, n * sizeof(double));
        void *solution = NULL;
        dial_ctx_set_seed(ctx, 7);
        assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, state, NULL,
                                                                     &solution, &out_warm));
        assert_non_null(solution);
        if (memcmp(value_fold, value_warm, n * sizeof(double)) != 0)
            fail_msg("%s, C=%g: a cold predict_fold_warm differs from predict_fold", path, cs[i]);
        if (c && memcmp(proba_fold, proba_warm, n * c * sizeof(double)) != 0)
            fail_msg("%s, C=%g: a cold predict_fold_warm's probabilities differ", path, cs[i]);
        dial_model_svm.tuning->free_warm(solution);
    }
    free(value_fold);
    free(value_warm);
    free(proba_fold);
    free(proba_warm);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(state);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_the_warm_knob_is_c(void **state) {
    (void)state;
    assert_non_null(dial_model_svm.tuning->warm_knob);
    assert_string_equal(dial_model_svm.tuning->warm_knob, "C");
    assert_non_null(dial_model_svm.tuning->predict_fold_warm);
    assert_non_null(dial_model_svm.tuning->free_warm);
    dial_model_svm.tuning->free_warm(NULL);
}

static void test_a_cold_start_predicts_as_predict_fold_on_heart_scale(void **state) {
    (void)state;
    static const double cs[] = {0.03125, 1, 8, 512};
    const char *rbf[] = {"kernel=rbf", "gamma=0.125", "scale=none", NULL};
    assert_cold_is_predict_fold("data/heart_scale.libsvm", "label", rbf, cs, 4, false);
    const char *proba[] = {"kernel=rbf", "gamma=0.125", "scale=none", "probability=true", NULL};
    assert_cold_is_predict_fold("data/heart_scale.libsvm", "label", proba, cs, 4, true);
    const char *balanced[] = {"kernel=rbf", "gamma=0.5", "class_weight=balanced", NULL};
    assert_cold_is_predict_fold("data/heart_scale.libsvm", "label", balanced, cs, 4, false);
}

static void test_a_cold_start_predicts_as_predict_fold_on_digits(void **state) {
    (void)state;
    static const double cs[] = {0.125, 8, 2048};
    const char *rbf[] = {"kernel=rbf", "gamma=0.03125", "scale=none", NULL};
    assert_cold_is_predict_fold("data/digits.csv", "digit", rbf, cs, 3, false);
}

static void test_a_cold_start_predicts_as_predict_fold_for_svr(void **state) {
    (void)state;
    static const double cs[] = {1, 100};
    const char *rbf[] = {"kernel=rbf", "gamma=0.5", NULL};
    assert_cold_is_predict_fold("data/diabetes.csv", "progression", rbf, cs, 2, false);
}

/* ---- a chain along C ---------------------------------------------------------- */

typedef struct chain_step {
    double accuracy;
    size_t n_sv;
    long iterations;
    double *value;
} chain_step;

/* Runs the C values cs (N_GRID_C of them, increasing) on one fold state,
 * each from the previous one's solution (warm) or from NULL (cold). */
static void run_chain(dial_ctx *ctx, const test_fold *f, const char *const *settings,
                      const double *cs, bool warm, chain_step *steps) {
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *state = prepare(ctx, f, &knobs);
    void *previous = NULL;
    for (size_t i = 0; i < N_GRID_C; i++) {
        set_c(ctx, &knobs, cs[i]);
        steps[i].value = malloc(f->test.n_rows * sizeof(double));
        dial_predict_output out = {steps[i].value, NULL};
        void *solution = NULL;
        assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold_warm(
                                ctx, &knobs, state, warm ? previous : NULL, &solution, &out));
        assert_non_null(solution);
        const dial_svm_warm *kept = solution;
        steps[i].accuracy = accuracy(f, steps[i].value);
        steps[i].n_sv = f->n_classes ? support_vectors(f, kept) : 0;
        steps[i].iterations = kept->iterations;
        dial_model_svm.tuning->free_warm(previous);
        previous = solution;
    }
    dial_model_svm.tuning->free_warm(previous);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(state);
}

static void free_chain(chain_step *steps) {
    for (size_t i = 0; i < N_GRID_C; i++) free(steps[i].value);
}

/* fewer: the warm chain also takes fewer iterations in all (true of the
 * digits, where most pairs separate; on a pair that does not, with most
 * variables at the bound, a warm start can take more). */
static void assert_chain_matches_cold(const char *path, const char *target,
                                      const char *const *settings, const double *cs, bool fewer) {
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold(path, target, 5, true);
    chain_step cold[N_GRID_C], warm[N_GRID_C];
    run_chain(ctx, &f, settings, cs, false, cold);
    run_chain(ctx, &f, settings, cs, true, warm);
    for (size_t i = 0; i < N_GRID_C; i++) {
        if (fabs(warm[i].accuracy - cold[i].accuracy) > 0.005)
            fail_msg("%s, C=%g: warm accuracy %.4f, cold %.4f", path, cs[i], warm[i].accuracy,
                     cold[i].accuracy);
        double n_sv = (double)cold[i].n_sv;
        if (fabs((double)warm[i].n_sv - n_sv) > 0.02 * n_sv)
            fail_msg("%s, C=%g: warm %zu support vectors, cold %zu", path, cs[i], warm[i].n_sv,
                     cold[i].n_sv);
    }
    long cold_total = 0, warm_total = 0;
    for (size_t i = 0; i < N_GRID_C; i++) {
        cold_total += cold[i].iterations;
        warm_total += warm[i].iterations;
    }
    if (fewer && !(warm_total < cold_total))
        fail_msg("%s: the warm chain took %ld iterations, the cold one %ld", path, warm_total,
                 cold_total);
    free_chain(cold);
    free_chain(warm);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_a_chain_along_c_on_digits_scores_as_cold_solves(void **state) {
    (void)state;
    static const char *const gammas[] = {"gamma=0.03125", "gamma=0.001953125",
                                         "gamma=0.0001220703125"};
    for (size_t g = 0; g < 3; g++) {
        const char *settings[] = {"kernel=rbf", gammas[g], "scale=none", NULL};
        assert_chain_matches_cold("data/digits.csv", "digit", settings, guide_c, true);
    }
}

static void test_a_chain_along_decimal_c_values_scores_as_cold_solves(void **state) {
    (void)state;
    const char *digits[] = {"kernel=rbf", "gamma=0.001953125", "scale=none", NULL};
    assert_chain_matches_cold("data/digits.csv", "digit", digits, decimal_c, true);
    const char *balanced[] = {"kernel=rbf", "gamma=0.001953125", "scale=none",
                              "class_weight=balanced", NULL};
    assert_chain_matches_cold("data/digits.csv", "digit", balanced, decimal_c, true);
}

static void test_a_chain_without_shrinking_scores_as_cold_solves(void **state) {
    (void)state;
    const char *digits[] = {"kernel=rbf", "gamma=0.001953125", "scale=none", "shrinking=false",
                            NULL};
    assert_chain_matches_cold("data/digits.csv", "digit", digits, guide_c, true);
    const char *heart[] = {"kernel=rbf", "gamma=0.125", "scale=none", "shrinking=false", NULL};
    assert_chain_matches_cold("data/heart_scale.libsvm", "label", heart, guide_c, false);
}

static void test_a_chain_with_balanced_weights_scores_as_cold_solves(void **state) {
    (void)state;
    const char *heart[] = {"kernel=rbf", "gamma=0.0078125", "scale=none", "class_weight=balanced",
                           NULL};
    assert_chain_matches_cold("data/heart_scale.libsvm", "label", heart, guide_c, false);
}

/* SVR: the chain's R^2 on the test rows is within 0.01 of cold solves'. */
static void test_a_chain_along_c_for_svr_scores_as_cold_solves(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/diabetes.csv", "progression", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.125", "epsilon=5", NULL};
    chain_step cold[N_GRID_C], warm[N_GRID_C];
    run_chain(ctx, &f, settings, guide_c, false, cold);
    run_chain(ctx, &f, settings, guide_c, true, warm);
    size_t n = f.test.n_rows;
    double mean = 0, total = 0;
    for (size_t i = 0; i < n; i++) mean += f.y_test[i] / (double)n;
    for (size_t i = 0; i < n; i++) total += (f.y_test[i] - mean) * (f.y_test[i] - mean);
    for (size_t s = 0; s < N_GRID_C; s++) {
        double sse_cold = 0, sse_warm = 0;
        for (size_t i = 0; i < n; i++) {
            sse_cold += (cold[s].value[i] - f.y_test[i]) * (cold[s].value[i] - f.y_test[i]);
            sse_warm += (warm[s].value[i] - f.y_test[i]) * (warm[s].value[i] - f.y_test[i]);
        }
        double r2_cold = 1 - sse_cold / total, r2_warm = 1 - sse_warm / total;
        if (fabs(r2_cold - r2_warm) > 0.01)
            fail_msg("C=%g: warm R^2 %.4f, cold %.4f", guide_c[s], r2_warm, r2_cold);
    }
    free_chain(cold);
    free_chain(warm);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_a_chain_is_deterministic(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 2);
    test_fold f = test_load_fold("data/digits.csv", "digit", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.001953125", "scale=none", NULL};
    chain_step first[N_GRID_C], second[N_GRID_C];
    run_chain(ctx, &f, settings, guide_c, true, first);
    run_chain(ctx, &f, settings, guide_c, true, second);
    for (size_t i = 0; i < N_GRID_C; i++) {
        assert_memory_equal(first[i].value, second[i].value, f.test.n_rows * sizeof(double));
        assert_int_equal(first[i].iterations, second[i].iterations);
        assert_int_equal(first[i].n_sv, second[i].n_sv);
    }
    free_chain(first);
    free_chain(second);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* ---- a solution still optimal is kept as it is ---------------------------- */

static void test_a_solution_with_no_bounded_alpha_needs_no_iteration(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/digits.csv", "digit", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.03125", "scale=none", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold = prepare(ctx, &f, &knobs);
    size_t n = f.test.n_rows;
    double *before = malloc(n * sizeof(double)), *after = malloc(n * sizeof(double));
    dial_predict_output out_before = {before, NULL}, out_after = {after, NULL};
    /* at C=512 the digits are separated: no pair has an alpha at C */
    set_c(ctx, &knobs, 512);
    void *first = NULL, *second = NULL;
    assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, NULL, &first,
                                                                 &out_before));
    const dial_svm_warm *kept = first;
    assert_true(kept->iterations > 0);
    for (size_t p = 0; p < kept->n_parts; p++) assert_false(kept->parts[p].at_upper);
    set_c(ctx, &knobs, 2048);
    assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, first, &second,
                                                                 &out_after));
    const dial_svm_warm *next = second;
    assert_int_equal(next->iterations, 0);
    assert_memory_equal(before, after, n * sizeof(double));
    for (size_t p = 0; p < kept->n_parts; p++) {
        assert_memory_equal(kept->parts[p].alpha, next->parts[p].alpha,
                            kept->parts[p].l * sizeof(double));
        assert_memory_equal(&kept->parts[p].rho, &next->parts[p].rho, sizeof(double));
    }
    dial_model_svm.tuning->free_warm(first);
    dial_model_svm.tuning->free_warm(second);
    free(before);
    free(after);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* A tighter tol than the solution met: it is not optimal enough to keep. */
static void test_a_tighter_tol_solves_again(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/digits.csv", "digit", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.03125", "scale=none", "tol=0.1", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold = prepare(ctx, &f, &knobs);
    double *value = malloc(f.test.n_rows * sizeof(double));
    dial_predict_output out = {value, NULL};
    set_c(ctx, &knobs, 512);
    void *first = NULL, *second = NULL;
    assert_dial_ok(ctx,
                   dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, NULL, &first, &out));
    assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, "tol=1e-5"));
    set_c(ctx, &knobs, 2048);
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, first, &second, &out));
    assert_true(((const dial_svm_warm *)second)->iterations > 0);
    dial_model_svm.tuning->free_warm(first);
    dial_model_svm.tuning->free_warm(second);
    free(value);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* A solution made on another fold state is ignored: the trial is cold. */
static void test_a_solution_from_another_fold_starts_cold(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/heart_scale.libsvm", "label", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.125", "scale=none", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold_a = prepare(ctx, &f, &knobs), *fold_b = prepare(ctx, &f, &knobs);
    size_t n = f.test.n_rows;
    double *cold = malloc(n * sizeof(double)), *value = malloc(n * sizeof(double));
    dial_predict_output out_cold = {cold, NULL}, out = {value, NULL};
    set_c(ctx, &knobs, 1);
    void *from_a = NULL, *on_b = NULL;
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold_a, NULL, &from_a, &out));
    set_c(ctx, &knobs, 32);
    assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, fold_b, &out_cold));
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold_b, from_a, &on_b, &out));
    assert_memory_equal(cold, value, n * sizeof(double));
    dial_model_svm.tuning->free_warm(from_a);
    dial_model_svm.tuning->free_warm(on_b);
    free(cold);
    free(value);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold_a);
    dial_model_svm.tuning->free_fold(fold_b);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* A solution of a larger C cannot seed a smaller one (its alphas may not
 * fit the box): the trial is cold. */
static void test_a_solution_of_a_larger_c_starts_cold(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/heart_scale.libsvm", "label", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.125", "scale=none", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold = prepare(ctx, &f, &knobs);
    size_t n = f.test.n_rows;
    double *cold = malloc(n * sizeof(double)), *value = malloc(n * sizeof(double));
    dial_predict_output out_cold = {cold, NULL}, out = {value, NULL};
    set_c(ctx, &knobs, 32);
    void *larger = NULL, *smaller = NULL;
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, NULL, &larger, &out));
    set_c(ctx, &knobs, 0.5);
    assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, fold, &out_cold));
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, larger, &smaller, &out));
    assert_memory_equal(cold, value, n * sizeof(double));
    dial_model_svm.tuning->free_warm(larger);
    dial_model_svm.tuning->free_warm(smaller);
    free(cold);
    free(value);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* SVR: the kept gradient belongs to its epsilon, so a solution with another
 * one is not used: the trial is cold. */
static void test_an_svr_solution_with_another_epsilon_starts_cold(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/diabetes.csv", "progression", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.5", "epsilon=5", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold = prepare(ctx, &f, &knobs);
    size_t n = f.test.n_rows;
    double *cold = malloc(n * sizeof(double)), *value = malloc(n * sizeof(double));
    dial_predict_output out_cold = {cold, NULL}, out = {value, NULL};
    set_c(ctx, &knobs, 1);
    void *first = NULL, *second = NULL;
    assert_dial_ok(ctx,
                   dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, NULL, &first, &out));
    assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, "epsilon=1"));
    set_c(ctx, &knobs, 10);
    assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, fold, &out_cold));
    assert_dial_ok(
        ctx, dial_model_svm.tuning->predict_fold_warm(ctx, &knobs, fold, first, &second, &out));
    assert_memory_equal(cold, value, n * sizeof(double));
    dial_model_svm.tuning->free_warm(first);
    dial_model_svm.tuning->free_warm(second);
    free(cold);
    free(value);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_warm_knob_is_c),
        cmocka_unit_test(test_a_cold_start_predicts_as_predict_fold_on_heart_scale),
        cmocka_unit_test(test_a_cold_start_predicts_as_predict_fold_on_digits),
        cmocka_unit_test(test_a_cold_start_predicts_as_predict_fold_for_svr),
        cmocka_unit_test(test_a_chain_along_c_on_digits_scores_as_cold_solves),
        cmocka_unit_test(test_a_chain_along_decimal_c_values_scores_as_cold_solves),
        cmocka_unit_test(test_a_chain_without_shrinking_scores_as_cold_solves),
        cmocka_unit_test(test_a_chain_with_balanced_weights_scores_as_cold_solves),
        cmocka_unit_test(test_a_chain_along_c_for_svr_scores_as_cold_solves),
        cmocka_unit_test(test_a_chain_is_deterministic),
        cmocka_unit_test(test_a_solution_with_no_bounded_alpha_needs_no_iteration),
        cmocka_unit_test(test_a_tighter_tol_solves_again),
        cmocka_unit_test(test_a_solution_from_another_fold_starts_cold),
        cmocka_unit_test(test_a_solution_of_a_larger_c_starts_cold),
        cmocka_unit_test(test_an_svr_solution_with_another_epsilon_starts_cold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
