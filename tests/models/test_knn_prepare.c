/* kNN's prepare-once path for tuning (prepare_fold, predict_fold): one
 * neighbour search per fold for the largest k, then any k up to it and
 * either weighting predicted from the kept lists, to the bit as a full fit
 * and predict with the same knobs would. The split is fixed: rows with
 * index % 5 == 0 test (% 15 on digits, to keep the full predictions
 * quick), the others train; features unscaled, so the
 * integer-valued iris and digits give many equal distances, whose order
 * (by training row) the lists must keep. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "models/family_tuning.h"

extern const dial_model_family dial_model_knn;

/* One fold as the family sees it. */
/* knn's knobs with "name=value" settings (NULL-terminated). */

/* Every 5th row is a test row; every 15th on digits, whose 1,797 rows
 * would otherwise make the full fits slow. */
static test_fold load_fold(const char *path, const char *target) {
    return test_load_fold(path, target, strstr(path, "digits") ? 15 : 5, false);
}

static dial_knobs make_knobs(dial_ctx *ctx, const char *const *settings) {
    dial_knobs knobs;
    assert_dial_ok(
        ctx, dial_knobs_init(ctx, "knn", dial_model_knn.knobs, dial_model_knn.n_knobs, &knobs));
    for (size_t i = 0; settings && settings[i]; i++)
        assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, settings[i]));
    return knobs;
}

static void set_k_and_weights(dial_ctx *ctx, dial_knobs *knobs, long k, const char *weights) {
    assert_dial_ok(ctx, dial_knobs_set_number(ctx, knobs, "k", (double)k));
    assert_dial_ok(ctx, dial_knobs_set(ctx, knobs, "weights", weights));
}

static void *prepare(dial_ctx *ctx, const test_fold *f, const char *const *settings, long k_max) {
    dial_knobs knobs = make_knobs(ctx, settings), knobs_max = make_knobs(ctx, settings);
    assert_dial_ok(ctx, dial_knobs_set_number(ctx, &knobs_max, "k", (double)k_max));
    void *state = NULL;
    assert_dial_ok(ctx, dial_model_knn.tuning->prepare_fold(ctx, &knobs, &knobs_max, &f->train,
                                                            &f->test, &state));
    assert_non_null(state);
    dial_knobs_free(&knobs);
    dial_knobs_free(&knobs_max);
    return state;
}

/* For every k in k_from..k_to and both weightings: the values (and, in
 * classification, probabilities) of predict_fold from lists prepared with
 * prepare_settings are those of fit and predict with full_settings, bit for
 * bit. */
static void assert_fold_path_is_the_full_path(const char *path, const char *target,
                                              const char *const *prepare_settings,
                                              const char *const *full_settings, long k_max,
                                              long k_from, long k_to) {
    static const char *const weightings[] = {"uniform", "distance"};
    dial_ctx *ctx = test_ctx();
    test_fold f = load_fold(path, target);
    void *state = prepare(ctx, &f, prepare_settings, k_max);
    dial_knobs full = make_knobs(ctx, full_settings), fold = make_knobs(ctx, prepare_settings);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &full, &f.train, &learned));
    size_t n = f.test.n_rows, c = f.n_classes;
    double *value_full = malloc(n * sizeof(double)), *value_fold = malloc(n * sizeof(double));
    double *proba_full = c ? malloc(n * c * sizeof(double)) : NULL;
    double *proba_fold = c ? malloc(n * c * sizeof(double)) : NULL;
    for (size_t w = 0; w < 2; w++)
        for (long k = k_from; k <= k_to; k++) {
            set_k_and_weights(ctx, &full, k, weightings[w]);
            set_k_and_weights(ctx, &fold, k, weightings[w]);
            memset(value_fold, 0xff, n * sizeof(double));
            dial_predict_output out_full = {value_full, proba_full},
                                out_fold = {value_fold, proba_fold};
            assert_dial_ok(ctx, dial_model_knn.predict(ctx, &full, &learned, &f.test, &out_full));
            assert_dial_ok(ctx, dial_model_knn.tuning->predict_fold(ctx, &fold, state, &out_fold));
            if (memcmp(value_full, value_fold, n * sizeof(double)) != 0)
                fail_msg("%s, k=%ld, weights=%s: predict_fold's values differ", path, k,
                         weightings[w]);
            if (c && memcmp(proba_full, proba_fold, n * c * sizeof(double)) != 0)
                fail_msg("%s, k=%ld, weights=%s: predict_fold's probabilities differ", path, k,
                         weightings[w]);
        }
    free(value_full);
    free(value_fold);
    free(proba_full);
    free(proba_fold);
    dial_tensors_clear(&learned);
    dial_knobs_free(&full);
    dial_knobs_free(&fold);
    dial_model_knn.tuning->free_fold(state);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void assert_same_settings(const char *path, const char *target,
                                 const char *const *settings) {
    assert_fold_path_is_the_full_path(path, target, settings, settings, 30, 1, 30);
}

/* ---- the fold path is the full path ------------------------------------ */

static void test_prepare_knobs_are_the_metric_p_and_algorithm(void **state) {
    const char *const *names = dial_model_knn.tuning->prepare_knobs;
    assert_non_null(names);
    assert_string_equal(names[0], "metric");
    assert_string_equal(names[1], "p");
    assert_string_equal(names[2], "algorithm");
    assert_null(names[3]);
    assert_non_null(dial_model_knn.tuning->prepare_fold);
    assert_non_null(dial_model_knn.tuning->predict_fold);
    assert_non_null(dial_model_knn.tuning->free_fold);
}

static void test_iris_euclidean_every_k_and_weighting(void **state) {
    assert_same_settings("data/iris.csv", "species", NULL);
}

static void test_digits_euclidean_every_k_and_weighting(void **state) {
    assert_same_settings("data/digits.csv", "digit", NULL);
}

static void test_iris_manhattan_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=manhattan", NULL};
    assert_same_settings("data/iris.csv", "species", settings);
}

static void test_digits_manhattan_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=manhattan", NULL};
    assert_same_settings("data/digits.csv", "digit", settings);
}

static void test_iris_minkowski_p3_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=minkowski", "p=3", NULL};
    assert_same_settings("data/iris.csv", "species", settings);
}

static void test_iris_minkowski_fractional_p_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=minkowski", "p=1.5", NULL};
    assert_same_settings("data/iris.csv", "species", settings);
}

static void test_wine_minkowski_p3_brute_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=minkowski", "p=3", "algorithm=brute", NULL};
    assert_same_settings("data/wine.csv", "cultivar", settings);
}

static void test_diabetes_regression_euclidean_every_k_and_weighting(void **state) {
    assert_same_settings("data/diabetes.csv", "progression", NULL);
}

static void test_diabetes_regression_manhattan_every_k_and_weighting(void **state) {
    static const char *const settings[] = {"metric=manhattan", NULL};
    assert_same_settings("data/diabetes.csv", "progression", settings);
}

/* The algorithm only picks how the neighbours are found: lists from brute
 * force serve a kd-tree trial, and the other way round. */
static void test_lists_from_one_algorithm_serve_another(void **state) {
    static const char *const brute[] = {"algorithm=brute", NULL};
    static const char *const tree[] = {"algorithm=kd_tree", NULL};
    assert_fold_path_is_the_full_path("data/iris.csv", "species", brute, tree, 30, 1, 30);
    assert_fold_path_is_the_full_path("data/diabetes.csv", "progression", tree, brute, 30, 1, 30);
}

/* Minkowski with p = 2 measures the euclidean distance: lists made with
 * it answer euclidean trials. */
static void test_minkowski_p2_lists_serve_euclidean_trials(void **state) {
    static const char *const minkowski[] = {"metric=minkowski", "p=2", NULL};
    assert_fold_path_is_the_full_path("data/iris.csv", "species", minkowski, NULL, 10, 1, 10);
}

/* A k_max beyond the training rows keeps every row; any k above them
 * uses every row, as predict does. */
static void test_k_beyond_the_training_rows_uses_every_row(void **state) {
    assert_fold_path_is_the_full_path("data/iris.csv", "species", NULL, NULL, 1000, 118, 125);
    assert_fold_path_is_the_full_path("data/iris.csv", "species", NULL, NULL, 1000, 400, 400);
}

/* ---- what predict_fold refuses ------------------------------------------ */

static void test_k_above_the_prepared_k_is_unsupported(void **state) {
    dial_ctx *ctx = test_ctx();
    test_fold f = load_fold("data/iris.csv", "species");
    void *fold = prepare(ctx, &f, NULL, 10);
    dial_knobs knobs = make_knobs(ctx, NULL);
    set_k_and_weights(ctx, &knobs, 11, "uniform");
    double value[30];
    dial_predict_output out = {value, NULL};
    assert_dial_error(ctx, dial_model_knn.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED, "knn: the fold was prepared for k up to 10, not 11");
    dial_knobs_free(&knobs);
    dial_model_knn.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_another_metric_is_unsupported(void **state) {
    static const char *const manhattan[] = {"metric=manhattan", NULL};
    static const char *const p3[] = {"metric=minkowski", "p=3", NULL};
    static const char *const p4[] = {"metric=minkowski", "p=4", NULL};
    dial_ctx *ctx = test_ctx();
    test_fold f = load_fold("data/iris.csv", "species");
    void *fold = prepare(ctx, &f, p3, 10);
    double value[30];
    dial_predict_output out = {value, NULL};
    dial_knobs knobs = make_knobs(ctx, manhattan);
    assert_dial_error(ctx, dial_model_knn.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED,
                      "knn: the fold was prepared for another metric than 'manhattan'");
    dial_knobs_free(&knobs);
    knobs = make_knobs(ctx, p4);
    assert_dial_error(ctx, dial_model_knn.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED,
                      "knn: the fold was prepared for another metric than 'minkowski'");
    dial_knobs_free(&knobs);
    dial_model_knn.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_regression_has_no_probabilities_on_the_fold_path(void **state) {
    dial_ctx *ctx = test_ctx();
    test_fold f = load_fold("data/diabetes.csv", "progression");
    void *fold = prepare(ctx, &f, NULL, 5);
    dial_knobs knobs = make_knobs(ctx, NULL);
    double *value = malloc(f.test.n_rows * sizeof(double));
    double *proba = malloc(f.test.n_rows * sizeof(double));
    dial_predict_output out = {value, proba};
    assert_dial_error(ctx, dial_model_knn.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED, "knn: no class probabilities in regression");
    free(value);
    free(proba);
    dial_knobs_free(&knobs);
    dial_model_knn.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_prepare_rejects_a_missing_test_value(void **state) {
    dial_ctx *ctx = test_ctx();
    test_fold f = load_fold("data/iris.csv", "species");
    f.x_test[3 * 4 + 2] = NAN;
    dial_knobs knobs = make_knobs(ctx, NULL);
    void *fold = (void *)&knobs;
    assert_dial_error(
        ctx, dial_model_knn.tuning->prepare_fold(ctx, &knobs, &knobs, &f.train, &f.test, &fold),
        DIAL_ERR_DATA, "knn: feature 2 of row 3 is nan; impute missing values first");
    assert_null(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* The lists are the same whatever the thread count of the search. */
static void test_prepared_predictions_do_not_depend_on_thread_count(void **state) {
    static const char *const brute[] = {"algorithm=brute", NULL};
    dial_ctx *one = test_ctx(), *two = test_ctx();
    dial_ctx_set_threads(two, 2);
    test_fold f = load_fold("data/digits.csv", "digit");
    void *fold_one = prepare(one, &f, brute, 12), *fold_two = prepare(two, &f, brute, 12);
    dial_knobs knobs = make_knobs(one, brute);
    set_k_and_weights(one, &knobs, 12, "distance");
    size_t n = f.test.n_rows;
    double *a = malloc(n * 10 * sizeof(double)), *b = malloc(n * 10 * sizeof(double));
    double value_a[400], value_b[400];
    assert_true(n <= 400);
    assert_dial_ok(one, dial_model_knn.tuning->predict_fold(one, &knobs, fold_one,
                                                            &(dial_predict_output){value_a, a}));
    assert_dial_ok(two, dial_model_knn.tuning->predict_fold(two, &knobs, fold_two,
                                                            &(dial_predict_output){value_b, b}));
    assert_memory_equal(value_a, value_b, n * sizeof(double));
    assert_memory_equal(a, b, n * 10 * sizeof(double));
    free(a);
    free(b);
    dial_knobs_free(&knobs);
    dial_model_knn.tuning->free_fold(fold_one);
    dial_model_knn.tuning->free_fold(fold_two);
    test_fold_free(&f);
    dial_ctx_free(one);
    dial_ctx_free(two);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_knobs_are_the_metric_p_and_algorithm),
        cmocka_unit_test(test_iris_euclidean_every_k_and_weighting),
        cmocka_unit_test(test_digits_euclidean_every_k_and_weighting),
        cmocka_unit_test(test_iris_manhattan_every_k_and_weighting),
        cmocka_unit_test(test_digits_manhattan_every_k_and_weighting),
        cmocka_unit_test(test_iris_minkowski_p3_every_k_and_weighting),
        cmocka_unit_test(test_iris_minkowski_fractional_p_every_k_and_weighting),
        cmocka_unit_test(test_wine_minkowski_p3_brute_every_k_and_weighting),
        cmocka_unit_test(test_diabetes_regression_euclidean_every_k_and_weighting),
        cmocka_unit_test(test_diabetes_regression_manhattan_every_k_and_weighting),
        cmocka_unit_test(test_lists_from_one_algorithm_serve_another),
        cmocka_unit_test(test_minkowski_p2_lists_serve_euclidean_trials),
        cmocka_unit_test(test_k_beyond_the_training_rows_uses_every_row),
        cmocka_unit_test(test_k_above_the_prepared_k_is_unsupported),
        cmocka_unit_test(test_another_metric_is_unsupported),
        cmocka_unit_test(test_regression_has_no_probabilities_on_the_fold_path),
        cmocka_unit_test(test_prepare_rejects_a_missing_test_value),
        cmocka_unit_test(test_prepared_predictions_do_not_depend_on_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
