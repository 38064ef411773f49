/* Linear regression (elastic net): the family on matrices, and through the
 * pipeline. Reference figures come from
 * tests/models/reference_linear_logistic.py (scikit-learn 1.2); the split is
 * fixed: rows with index % 5 == 0 test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const dial_model_family dial_model_linear;

#define N_DIABETES_FEATURES 10

/* scikit-learn's coefficients on the standardised diabetes training rows. */
static const double ols_coef[N_DIABETES_FEATURES] = {
    -2.5221848200160699, -9.7290598117621183, 24.522262567188132, 15.104954694355992,
    -40.232420831418978, 26.040447110604369,  2.8774457101237072, 3.6723296810083945,
    38.756489105040913,  3.9718837921679575};
static const double ols_intercept = 150.518413597734;
/* Ridge(alpha = 0.1 * 353) */
static const double ridge_coef[N_DIABETES_FEATURES] = {
    -1.3437504332974723, -8.4458577671155037, 23.241133193937994,  13.940621637960524,
    -4.2641020470390165, -2.8641870854092741, -9.8477390654770716, 3.3666585182854654,
    22.020215157280269,  4.968801293136921};
/* ElasticNet(alpha=0.1, l1_ratio=0.5) and Lasso(alpha=0.1) run to tol 1e-12 */
static const double enet_coef[N_DIABETES_FEATURES] = {
    -1.6568380031414556, -8.8812376947378553,  24.094929566867737,  14.344864742477329,
    -6.93356991209086,   -0.73238783230110716, -9.6937739426715002, 2.2252699283252091,
    24.252739749840316,  4.589267658304502};
static const double lasso_coef[N_DIABETES_FEATURES] = {
    -2.2528679980547088, -9.4637883525567901, 24.69495697986002,   14.881838317695944,
    -29.640714651087031, 17.606248309896028,  -1.4769777351152935, 2.4472957474713879,
    34.708318222129158,  3.9700410302707292};

/* ---- helpers -------------------------------------------------------------- */

/* The diabetes split as matrices, standardised with the training rows' mean
 * and population standard deviation (scikit-learn's StandardScaler). */
typedef struct split_data {
    size_t n_train, n_test, d;
    double *x_train, *y_train, *x_test, *y_test;
} split_data;

static split_data load_standardised(const char *path, const char *target) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    split_data s = {.d = data->n_features};
    s.n_test = (data->n_rows + 4) / 5;
    s.n_train = data->n_rows - s.n_test;
    s.x_train = malloc(s.n_train * s.d * sizeof(double));
    s.x_test = malloc(s.n_test * s.d * sizeof(double));
    s.y_train = malloc(s.n_train * sizeof(double));
    s.y_test = malloc(s.n_test * sizeof(double));
    for (size_t j = 0; j < s.d; j++) {
        const double *v = data->features[j]->values;
        double mean = 0, var = 0;
        for (size_t i = 0; i < data->n_rows; i++)
            if (i % 5) mean += v[i];
        mean /= (double)s.n_train;
        for (size_t i = 0; i < data->n_rows; i++)
            if (i % 5) var += (v[i] - mean) * (v[i] - mean);
        double sd = sqrt(var / (double)s.n_train);
        for (size_t i = 0, a = 0, b = 0; i < data->n_rows; i++) {
            if (i % 5)
                s.x_train[a++ * s.d + j] = (v[i] - mean) / sd;
            else
                s.x_test[b++ * s.d + j] = (v[i] - mean) / sd;
        }
    }
    for (size_t i = 0, a = 0, b = 0; i < data->n_rows; i++) {
        if (i % 5)
            s.y_train[a++] = data->y[i];
        else
            s.y_test[b++] = data->y[i];
    }
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return s;
}

static void free_split(split_data *s) {
    free(s->x_train);
    free(s->y_train);
    free(s->x_test);
    free(s->y_test);
}

static dial_fit_input train_input(const split_data *s) {
    return (dial_fit_input){s->x_train, s->n_train, s->d, s->y_train, DIAL_TASK_REGRESSION,
                            0,          NULL,       0,    NULL};
}

/* Fits the family on the standardised diabetes training rows. */
static void fit_diabetes(dial_ctx *ctx, const char *const *settings, split_data *s,
                         dial_tensors *learned) {
    *s = load_standardised("data/diabetes.csv", "progression");
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, settings);
    dial_fit_input in = train_input(s);
    assert_dial_ok(ctx, dial_model_linear.fit(ctx, &knobs, &in, learned));
    dial_knobs_free(&knobs);
}

static const double *tensor_data(const dial_tensors *learned, const char *name, size_t size) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    assert_non_null(t);
    assert_int_equal(dial_tensor_size(t), size);
    return t->data;
}

static void assert_close(const double *found, const double *expected, size_t n, double rel,
                         const char *what) {
    for (size_t j = 0; j < n; j++)
        if (fabs(found[j] - expected[j]) > rel * fabs(expected[j]))
            fail_msg("%s[%zu] = %.17g, scikit-learn %.17g", what, j, found[j], expected[j]);
}

/* Fits through dial_model_fit on the training rows of diabetes and returns
 * the R^2 on the test rows; *coef gets a copy of the learned coef when not
 * NULL. */
static double pipeline_r2(dial_ctx *ctx, const char *const *settings, double *coef) {
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    size_t n = data->n_rows, n_train = 0, n_test = 0;
    size_t *train_rows = malloc(n * sizeof *train_rows), *test_rows = malloc(n * sizeof *test_rows);
    for (size_t i = 0; i < n; i++) {
        if (i % 5)
            train_rows[n_train++] = i;
        else
            test_rows[n_test++] = i;
    }
    dial_view train = {data, train_rows, n_train}, test = {data, test_rows, n_test};
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, settings);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_linear, &knobs, &train, &model));
    double *value = malloc(n_test * sizeof *value), *truth = malloc(n_test * sizeof *truth);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test, value, NULL));
    for (size_t i = 0; i < n_test; i++) truth[i] = data->y[test_rows[i]];
    double r2;
    assert_dial_ok(ctx, dial_metric_score(ctx, DIAL_METRIC_R2, truth, value, NULL, n_test, 0, &r2));
    if (coef)
        memcpy(coef, tensor_data(dial_model_get_tensors(model), "coef", data->n_features),
               data->n_features * sizeof *coef);
    free(value);
    free(truth);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train_rows);
    free(test_rows);
    dial_dataset_free(data);
    dial_table_free(table);
    return r2;
}

static void collect_log(void *user, dial_log_level level, const char *message) {
    if (level == DIAL_LOG_WARN) snprintf(user, 512, "%s", message);
}

/* ---- the estimator against scikit-learn ----------------------------------- */

static void test_ols_coefficients_match_scikit_learn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(ctx, NULL, &s, &learned);
    assert_close(tensor_data(&learned, "coef", s.d), ols_coef, s.d, 1e-6, "coef");
    assert_close(tensor_data(&learned, "intercept", 1), &ols_intercept, 1, 1e-6, "intercept");
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_l1_ratio_0_is_scikit_learn_ridge_with_alpha_times_n(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(ctx, (const char *const[]){"alpha=0.1", "l1_ratio=0", NULL}, &s, &learned);
    assert_close(tensor_data(&learned, "coef", s.d), ridge_coef, s.d, 1e-6, "coef");
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_elastic_net_reaches_scikit_learn_optimum(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(
        ctx,
        (const char *const[]){"alpha=0.1", "l1_ratio=0.5", "tol=1e-12", "max_iter=100000", NULL},
        &s, &learned);
    assert_close(tensor_data(&learned, "coef", s.d), enet_coef, s.d, 1e-6, "coef");
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_lasso_reaches_scikit_learn_optimum(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(
        ctx, (const char *const[]){"alpha=0.1", "l1_ratio=1", "tol=1e-12", "max_iter=100000", NULL},
        &s, &learned);
    assert_close(tensor_data(&learned, "coef", s.d), lasso_coef, s.d, 1e-6, "coef");
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* ---- through the pipeline --------------------------------------------------- */

static void test_r2_matches_scikit_learn_on_diabetes(void **state) {
    (void)state;
    static const struct {
        const char *alpha, *l1_ratio;
        double r2; /* scikit-learn's on the test rows */
    } refs[] = {
        {"alpha=0", "l1_ratio=0", 0.5190389299},
        {"alpha=0.1", "l1_ratio=0", 0.5209619693},
        {"alpha=0.1", "l1_ratio=0.5", 0.5217461164},
        {"alpha=0.1", "l1_ratio=1", 0.5199586888},
    };
    dial_ctx *ctx = test_ctx();
    for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) {
        double r2 =
            pipeline_r2(ctx, (const char *const[]){refs[r].alpha, refs[r].l1_ratio, NULL}, NULL);
        if (fabs(r2 - refs[r].r2) > 0.01)
            fail_msg("%s %s: R^2 %.10f, scikit-learn %.10f", refs[r].alpha, refs[r].l1_ratio, r2,
                     refs[r].r2);
    }
    dial_ctx_free(ctx);
}

static void test_pipeline_standardises_like_scikit_learn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double coef[N_DIABETES_FEATURES];
    pipeline_r2(ctx, NULL, coef);
    assert_close(coef, ols_coef, N_DIABETES_FEATURES, 1e-6, "coef");
    dial_ctx_free(ctx);
}

/* ---- behaviour ------------------------------------------------------------- */

static void test_duplicate_columns_give_the_minimum_norm_solution(void **state) {
    (void)state;
    /* y = 2 x exactly; with x given twice the normal equations are singular
     * and the least-squares fallback splits the weight evenly. */
    double x[6 * 2], y[6];
    for (size_t i = 0; i < 6; i++) {
        x[2 * i] = x[2 * i + 1] = (double)i - 2.5;
        y[i] = 2 * x[2 * i] + 1;
    }
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_fit_input in = {x, 6, 2, y, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_linear.fit(ctx, &knobs, &in, &learned));
    const double *coef = tensor_data(&learned, "coef", 2);
    assert_float_equal(coef[0], 1.0, 1e-12);
    assert_float_equal(coef[1], 1.0, 1e-12);
    assert_float_equal(tensor_data(&learned, "intercept", 1)[0], 1.0, 1e-12);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_a_large_lasso_penalty_zeroes_every_coefficient(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(ctx, (const char *const[]){"alpha=1000", "l1_ratio=1", NULL}, &s, &learned);
    const double *coef = tensor_data(&learned, "coef", s.d);
    double mean = 0;
    for (size_t i = 0; i < s.n_train; i++) mean += s.y_train[i];
    mean /= (double)s.n_train;
    for (size_t j = 0; j < s.d; j++) assert_true(coef[j] == 0.0);
    assert_float_equal(tensor_data(&learned, "intercept", 1)[0], mean, 1e-9);
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_without_intercept_the_intercept_is_zero(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(ctx, (const char *const[]){"fit_intercept=false", NULL}, &s, &learned);
    assert_true(tensor_data(&learned, "intercept", 1)[0] == 0.0);
    /* Standardised features have mean 0, so the slopes do not change. */
    assert_close(tensor_data(&learned, "coef", s.d), ols_coef, s.d, 1e-6, "coef");
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_predict_is_the_intercept_plus_the_weighted_sum(void **state) {
    (void)state;
    double coef[2] = {2, -1}, intercept[1] = {0.5}, x[2 * 2] = {1, 1, 3, -2}, value[2];
    dial_ctx *ctx = test_ctx();
    dial_tensors learned = {0};
    double *data = NULL;
    size_t coef_shape[1] = {2}, intercept_shape[1] = {1};
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "coef", DIAL_F64, 1, coef_shape, (void **)&data));
    memcpy(data, coef, sizeof coef);
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "intercept", DIAL_F64, 1, intercept_shape,
                                         (void **)&data));
    memcpy(data, intercept, sizeof intercept);
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_fit_input in = {x, 2, 2, NULL, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_linear.predict(ctx, &knobs, &learned, &in,
                                                  &(dial_predict_output){value, NULL}));
    assert_float_equal(value[0], 1.5, 1e-15);
    assert_float_equal(value[1], 8.5, 1e-15);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_same_result_on_one_and_two_threads(void **state) {
    (void)state;
    const char *const settings[] = {"alpha=0.05", "l1_ratio=0.7", NULL};
    dial_ctx *ctx = test_ctx();
    double first[N_DIABETES_FEATURES], second[N_DIABETES_FEATURES];
    double r2_first = pipeline_r2(ctx, settings, first);
    dial_ctx_set_threads(ctx, 2);
    double r2_second = pipeline_r2(ctx, settings, second);
    assert_memory_equal(first, second, sizeof first);
    assert_true(r2_first == r2_second);
    dial_ctx_free(ctx);
}

static void test_coordinate_descent_cut_short_is_logged(void **state) {
    (void)state;
    char message[512] = "";
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_log(ctx, collect_log, message);
    split_data s;
    dial_tensors learned = {0};
    fit_diabetes(ctx, (const char *const[]){"alpha=0.1", "l1_ratio=1", "max_iter=1", NULL}, &s,
                 &learned);
    const char *expected = "linear: coordinate descent stopped at max_iter=1 before converging";
    if (strncmp(message, expected, strlen(expected)) != 0)
        fail_msg("logged '%s', expected it to start with '%s'", message, expected);
    dial_tensors_clear(&learned);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* ---- failures ---------------------------------------------------------------- */

static void test_classification_is_refused(void **state) {
    (void)state;
    double x[2] = {0, 1}, y[2] = {0, 1};
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_fit_input in = {x, 2, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_linear.fit(ctx, &knobs, &in, &learned), DIAL_ERR_UNSUPPORTED,
                      "model 'linear' does regression only, not classification; use 'logistic' "
                      "for classification");
    assert_int_equal(learned.count, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_the_pipeline_refuses_a_classification_target(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_int_equal(dial_model_fit(ctx, &dial_model_linear, &knobs, &all, &model),
                     DIAL_ERR_UNSUPPORTED);
    assert_null(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_predict_without_coef_is_a_format_error(void **state) {
    (void)state;
    double x[2] = {0, 1}, value[2];
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_fit_input in = {x, 2, 1, NULL, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(
        ctx,
        dial_model_linear.predict(ctx, &knobs, &learned, &in, &(dial_predict_output){value, NULL}),
        DIAL_ERR_FORMAT, "linear model has no tensor 'coef'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_with_coef_of_the_wrong_length_is_a_format_error(void **state) {
    (void)state;
    double x[2] = {0, 1}, value[2], *data = NULL;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_tensors learned = {0};
    size_t shape[1] = {3};
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, &learned, "coef", DIAL_F64, 1, shape, (void **)&data));
    dial_fit_input in = {x, 2, 1, NULL, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    assert_dial_error(
        ctx,
        dial_model_linear.predict(ctx, &knobs, &learned, &in, &(dial_predict_output){value, NULL}),
        DIAL_ERR_FORMAT, "linear model tensor 'coef' has shape [3]; expected [1]");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- the knob table ------------------------------------------------------------ */

static void test_defaults_are_ordinary_least_squares(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    assert_true(dial_knobs_float(&knobs, "alpha") == 0.0);
    assert_true(dial_knobs_float(&knobs, "l1_ratio") == 0.0);
    assert_true(dial_knobs_bool(&knobs, "fit_intercept"));
    assert_true(dial_knobs_float(&knobs, "tol") == 1e-4);
    assert_int_equal(dial_knobs_int(&knobs, "max_iter"), 1000);
    assert_string_equal(dial_knobs_choice(&knobs, "scale"), "standard");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_knob_table_refuses_out_of_range_values(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "alpha", "-1"), DIAL_ERR_KNOB,
                      "knob 'alpha' = -1 is out of range: must be >= 0");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "l1_ratio", "2"), DIAL_ERR_KNOB,
                      "knob 'l1_ratio' = 2 is out of range: must be in [0, 1]");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "tol", "0"), DIAL_ERR_KNOB,
                      "knob 'tol' = 0 is out of range: must be > 0");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "max_iter", "0"), DIAL_ERR_KNOB,
                      "knob 'max_iter' = 0 is out of range: must be >= 1");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_every_knob_has_a_doc_and_alpha_a_log_search_range(void **state) {
    (void)state;
    for (size_t i = 0; i < dial_model_linear.n_knobs; i++) {
        const dial_knob_spec *spec = &dial_model_linear.knobs[i];
        assert_true(spec->doc && spec->doc[0]);
        if (strcmp(spec->name, "alpha") == 0) {
            assert_true(spec->has_search_range && spec->log_scale);
            assert_true(spec->search_low == 1e-4 && spec->search_high == 1e2);
        }
    }
    assert_ptr_equal(dial_model_family_find("linear"), &dial_model_linear);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ols_coefficients_match_scikit_learn),
        cmocka_unit_test(test_l1_ratio_0_is_scikit_learn_ridge_with_alpha_times_n),
        cmocka_unit_test(test_elastic_net_reaches_scikit_learn_optimum),
        cmocka_unit_test(test_lasso_reaches_scikit_learn_optimum),
        cmocka_unit_test(test_r2_matches_scikit_learn_on_diabetes),
        cmocka_unit_test(test_pipeline_standardises_like_scikit_learn),
        cmocka_unit_test(test_duplicate_columns_give_the_minimum_norm_solution),
        cmocka_unit_test(test_a_large_lasso_penalty_zeroes_every_coefficient),
        cmocka_unit_test(test_without_intercept_the_intercept_is_zero),
        cmocka_unit_test(test_predict_is_the_intercept_plus_the_weighted_sum),
        cmocka_unit_test(test_same_result_on_one_and_two_threads),
        cmocka_unit_test(test_coordinate_descent_cut_short_is_logged),
        cmocka_unit_test(test_classification_is_refused),
        cmocka_unit_test(test_the_pipeline_refuses_a_classification_target),
        cmocka_unit_test(test_predict_without_coef_is_a_format_error),
        cmocka_unit_test(test_predict_with_coef_of_the_wrong_length_is_a_format_error),
        cmocka_unit_test(test_defaults_are_ordinary_least_squares),
        cmocka_unit_test(test_knob_table_refuses_out_of_range_values),
        cmocka_unit_test(test_every_knob_has_a_doc_and_alpha_a_log_search_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
