/* Logistic regression, binary and multinomial: through the pipeline against
 * scikit-learn, and the family on matrices. Reference figures come from
 * tests/models/reference_linear_logistic.py (scikit-learn 1.2); the split is
 * fixed: rows with index % 5 == 0 test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const dial_model_family dial_model_logistic;

/* ---- helpers -------------------------------------------------------------- */

/* A model fitted through dial_model_fit on the training rows of a dataset,
 * with its test rows' truth, predictions and probabilities. */
typedef struct fitted {
    dial_table *table;
    dial_dataset *data;
    dial_model *model;
    size_t n_test, n_classes;
    double *truth, *value, *proba;
} fitted;

static fitted fit_split(dial_ctx *ctx, const char *path, const char *target,
                        const char *const *settings) {
    fitted f = {0};
    f.data = test_load_dataset(ctx, path, target, &f.table);
    size_t n = f.data->n_rows, n_train = 0;
    size_t *train_rows = malloc(n * sizeof *train_rows), *test_rows = malloc(n * sizeof *test_rows);
    for (size_t i = 0; i < n; i++) {
        if (i % 5)
            train_rows[n_train++] = i;
        else
            test_rows[f.n_test++] = i;
    }
    dial_view train = {f.data, train_rows, n_train}, test = {f.data, test_rows, f.n_test};
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, settings);
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_logistic, &knobs, &train, &f.model));
    f.n_classes = f.data->n_classes;
    f.truth = malloc(f.n_test * sizeof *f.truth);
    f.value = malloc(f.n_test * sizeof *f.value);
    f.proba = malloc(f.n_test * f.n_classes * sizeof *f.proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, f.model, &test, f.value, f.proba));
    for (size_t i = 0; i < f.n_test; i++) f.truth[i] = f.data->y[test_rows[i]];
    dial_knobs_free(&knobs);
    free(train_rows);
    free(test_rows);
    return f;
}

static void free_fitted(fitted *f) {
    free(f->truth);
    free(f->value);
    free(f->proba);
    dial_model_free(f->model);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
}

static const dial_tensor *find_tensor(const fitted *f, const char *name) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(f->model), name);
    assert_non_null(t);
    return t;
}

typedef struct reference {
    const char *path, *target;
    double accuracy, log_loss; /* scikit-learn's on the test rows */
} reference;

/* Fits every dataset with settings; accuracy must be within one point of
 * scikit-learn's, and the log loss within 1% unless check_loss is false. */
static void assert_matches(const reference *refs, size_t n, const char *const *settings,
                           bool check_loss) {
    dial_ctx *ctx = test_ctx();
    for (size_t r = 0; r < n; r++) {
        fitted f = fit_split(ctx, refs[r].path, refs[r].target, settings);
        double accuracy, loss;
        assert_dial_ok(ctx, dial_metric_score(ctx, DIAL_METRIC_ACCURACY, f.truth, f.value, NULL,
                                              f.n_test, f.n_classes, &accuracy));
        assert_dial_ok(ctx, dial_metric_score(ctx, DIAL_METRIC_LOG_LOSS, f.truth, f.value, f.proba,
                                              f.n_test, f.n_classes, &loss));
        if (fabs(accuracy - refs[r].accuracy) > 0.01 ||
            (check_loss && fabs(loss - refs[r].log_loss) > 0.01 * refs[r].log_loss))
            fail_msg("%s: accuracy %.6f log loss %.6f, scikit-learn %.6f and %.6f", refs[r].path,
                     accuracy, loss, refs[r].accuracy, refs[r].log_loss);
        free_fitted(&f);
    }
    dial_ctx_free(ctx);
}

#define N_REFS(refs) (sizeof(refs) / sizeof(refs)[0])

static void collect_log(void *user, dial_log_level level, const char *message) {
    if (level == DIAL_LOG_WARN) snprintf(user, 512, "%s", message);
}

/* ---- against scikit-learn ------------------------------------------------- */

static void test_l2_C_1_matches_scikit_learn(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/breast_cancer.csv", "diagnosis", 0.964912, 0.094169},
        {"data/wine.csv", "cultivar", 1.000000, 0.046885},
        {"data/iris.csv", "species", 0.966667, 0.112256},
        {"data/digits.csv", "digit", 0.966667, 0.105358},
    };
    assert_matches(refs, N_REFS(refs), NULL, true);
}

static void test_l2_C_0_1_matches_scikit_learn(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/breast_cancer.csv", "diagnosis", 0.964912, 0.110466},
        {"data/wine.csv", "cultivar", 1.000000, 0.133713},
        {"data/iris.csv", "species", 0.900000, 0.324147},
        {"data/digits.csv", "digit", 0.961111, 0.167726},
    };
    assert_matches(refs, N_REFS(refs), (const char *const[]){"C=0.1", NULL}, true);
}

static void test_balanced_class_weights_match_scikit_learn(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/breast_cancer.csv", "diagnosis", 0.964912, 0.093109},
        {"data/wine.csv", "cultivar", 1.000000, 0.046107},
        {"data/iris.csv", "species", 0.966667, 0.112256},
        {"data/digits.csv", "digit", 0.966667, 0.105943},
    };
    assert_matches(refs, N_REFS(refs), (const char *const[]){"class_weight=balanced", NULL}, true);
}

static void test_l1_C_1_matches_scikit_learn_optimum(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/breast_cancer.csv", "diagnosis", 0.956140, 0.098957},
        {"data/wine.csv", "cultivar", 1.000000, 0.065749},
        {"data/iris.csv", "species", 0.966667, 0.075214},
        {"data/digits.csv", "digit", 0.969444, 0.118979},
    };
    assert_matches(refs, N_REFS(refs), (const char *const[]){"penalty=l1", NULL}, true);
}

/* Without a penalty the separable problems have no finite optimum, so the
 * log loss depends on where each solver stops; the accuracy does not. */
static void test_no_penalty_matches_scikit_learn_accuracy(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/breast_cancer.csv", "diagnosis", 0.938596, 1.880347},
        {"data/wine.csv", "cultivar", 1.000000, 0.013064},
        {"data/iris.csv", "species", 0.966667, 0.052290},
        {"data/digits.csv", "digit", 0.969444, 0.360473},
    };
    assert_matches(refs, N_REFS(refs),
                   (const char *const[]){"penalty=none", "max_iter=10000", NULL}, false);
}

/* ---- what the fit learns -------------------------------------------------- */

static void test_two_classes_learn_one_row_of_weights(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    fitted f = fit_split(ctx, "data/breast_cancer.csv", "diagnosis", NULL);
    const dial_tensor *coef = find_tensor(&f, "coef"), *intercept = find_tensor(&f, "intercept");
    assert_int_equal(coef->ndim, 2);
    assert_int_equal(coef->shape[0], 1);
    assert_int_equal(coef->shape[1], 30);
    assert_int_equal(intercept->ndim, 1);
    assert_int_equal(intercept->shape[0], 1);
    free_fitted(&f);
    dial_ctx_free(ctx);
}

static void test_more_classes_learn_one_row_per_class(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    fitted f = fit_split(ctx, "data/iris.csv", "species", NULL);
    const dial_tensor *coef = find_tensor(&f, "coef"), *intercept = find_tensor(&f, "intercept");
    assert_int_equal(coef->shape[0], 3);
    assert_int_equal(coef->shape[1], 4);
    assert_int_equal(intercept->shape[0], 3);
    /* The l2 penalty makes the multinomial weights of each input sum to 0. */
    const double *w = coef->data;
    for (size_t j = 0; j < 4; j++) assert_float_equal(w[j] + w[4 + j] + w[8 + j], 0.0, 1e-3);
    free_fitted(&f);
    dial_ctx_free(ctx);
}

static void test_probabilities_sum_to_one_and_pick_the_class(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *sets[][2] = {{"data/wine.csv", "cultivar"},
                             {"data/breast_cancer.csv", "diagnosis"}};
    for (size_t d = 0; d < 2; d++) {
        fitted f = fit_split(ctx, sets[d][0], sets[d][1], NULL);
        for (size_t i = 0; i < f.n_test; i++) {
            const double *row = f.proba + i * f.n_classes;
            double sum = 0;
            size_t top = 0;
            for (size_t c = 0; c < f.n_classes; c++) {
                sum += row[c];
                if (row[c] > row[top]) top = c;
            }
            assert_float_equal(sum, 1.0, 1e-12);
            assert_int_equal((size_t)f.value[i], top);
        }
        free_fitted(&f);
    }
    dial_ctx_free(ctx);
}

static size_t count_zero_weights(dial_ctx *ctx, const char *c) {
    fitted f =
        fit_split(ctx, "data/digits.csv", "digit", (const char *const[]){"penalty=l1", c, NULL});
    const dial_tensor *coef = find_tensor(&f, "coef");
    size_t zeros = 0;
    for (size_t j = 0; j < dial_tensor_size(coef); j++) zeros += ((double *)coef->data)[j] == 0.0;
    free_fitted(&f);
    return zeros;
}

static void test_l1_zeroes_weights_and_more_as_C_shrinks(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t loose = count_zero_weights(ctx, "C=1"), tight = count_zero_weights(ctx, "C=0.01");
    /* digits has 640 weights; several pixels are constant on the border */
    assert_true(loose > 50);
    assert_true(tight > loose);
    assert_true(tight < 640);
    dial_ctx_free(ctx);
}

/* The l1 optimum satisfies its optimality conditions: with g the gradient of
 * the summed log loss, |g_j| <= 1/C where w_j = 0, g_j = -sign(w_j)/C
 * elsewhere, and the intercept's gradient is 0. */
static void test_l1_fit_meets_the_optimality_conditions(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/breast_cancer.csv", "diagnosis", &table);
    size_t n = data->n_rows, p = data->n_features;
    double *x = malloc(n * p * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t j = 0; j < p; j++) {
        const double *v = data->features[j]->values;
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) mean += v[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) var += (v[i] - mean) * (v[i] - mean);
        for (size_t i = 0; i < n; i++) x[i * p + j] = (v[i] - mean) / sqrt(var / (double)n);
    }
    memcpy(y, data->y, n * sizeof *y);
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_logistic,
                   (const char *const[]){"penalty=l1", "C=0.5", "tol=1e-8", "max_iter=5000", NULL});
    dial_fit_input in = {x, n, p, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_logistic.fit(ctx, &knobs, &in, &learned));
    const double *w = dial_tensors_find(&learned, "coef")->data;
    double b = *(const double *)dial_tensors_find(&learned, "intercept")->data;
    double *g = calloc(p + 1, sizeof *g);
    for (size_t i = 0; i < n; i++) {
        double z = b;
        for (size_t j = 0; j < p; j++) z += w[j] * x[i * p + j];
        double residual = 1 / (1 + exp(-z)) - y[i];
        for (size_t j = 0; j < p; j++) g[j] += residual * x[i * p + j];
        g[p] += residual;
    }
    const double lambda = 2.0, slack = 1e-5;
    size_t zeros = 0;
    for (size_t j = 0; j < p; j++) {
        if (w[j] == 0) {
            zeros++;
            if (fabs(g[j]) > lambda + slack) fail_msg("w[%zu] = 0 but |g| = %g", j, fabs(g[j]));
        } else if (fabs(g[j] + (w[j] > 0 ? lambda : -lambda)) > slack) {
            fail_msg("w[%zu] = %g but g = %g", j, w[j], g[j]);
        }
    }
    assert_true(fabs(g[p]) < slack);
    assert_true(zeros > 0);
    free(g);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free(x);
    free(y);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* digits (1437 x 64 x 10 classes) is large enough for the fit to use both
 * threads. */
static void test_same_result_on_one_and_two_threads(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    fitted first = fit_split(ctx, "data/digits.csv", "digit", NULL);
    dial_ctx_set_threads(ctx, 2);
    fitted second = fit_split(ctx, "data/digits.csv", "digit", NULL);
    const dial_tensor *a = find_tensor(&first, "coef"), *b = find_tensor(&second, "coef");
    assert_memory_equal(a->data, b->data, dial_tensor_size(a) * sizeof(double));
    assert_memory_equal(first.proba, second.proba, first.n_test * first.n_classes * sizeof(double));
    free_fitted(&first);
    free_fitted(&second);
    dial_ctx_free(ctx);
}

static void test_refitting_with_the_same_seed_gives_the_same_model(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *const settings[] = {"penalty=l1", "C=0.3", NULL};
    fitted first = fit_split(ctx, "data/wine.csv", "cultivar", settings);
    fitted second = fit_split(ctx, "data/wine.csv", "cultivar", settings);
    const dial_tensor *a = find_tensor(&first, "coef"), *b = find_tensor(&second, "coef");
    assert_memory_equal(a->data, b->data, dial_tensor_size(a) * sizeof(double));
    free_fitted(&first);
    free_fitted(&second);
    dial_ctx_free(ctx);
}

static void test_iterations_cut_short_are_logged(void **state) {
    (void)state;
    char message[512] = "";
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_log(ctx, collect_log, message);
    fitted f =
        fit_split(ctx, "data/digits.csv", "digit", (const char *const[]){"max_iter=3", NULL});
    const char *expected = "logistic: stopped at max_iter=3 before converging";
    if (strncmp(message, expected, strlen(expected)) != 0)
        fail_msg("logged '%s', expected it to start with '%s'", message, expected);
    free_fitted(&f);
    dial_ctx_free(ctx);
}

static void test_known_weights_predict_through_the_sigmoid(void **state) {
    (void)state;
    double x[2 * 2] = {1, 0, 0, -1}, value[2], proba[2 * 2], *data = NULL;
    dial_ctx *ctx = test_ctx();
    dial_tensors learned = {0};
    size_t coef_shape[2] = {1, 2}, intercept_shape[1] = {1};
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "coef", DIAL_F64, 2, coef_shape, (void **)&data));
    data[0] = 2, data[1] = 3;
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "intercept", DIAL_F64, 1, intercept_shape,
                                         (void **)&data));
    data[0] = -1;
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    dial_fit_input in = {x, 2, 2, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_logistic.predict(ctx, &knobs, &learned, &in,
                                                    &(dial_predict_output){value, proba}));
    assert_float_equal(value[0], 1.0, 0);
    assert_float_equal(value[1], 0.0, 0);
    assert_float_equal(proba[1], 1 / (1 + exp(-1.0)), 1e-15);
    assert_float_equal(proba[3], 1 / (1 + exp(4.0)), 1e-15);
    assert_float_equal(proba[0] + proba[1], 1.0, 1e-15);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_without_intercept_the_intercepts_are_zero(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    fitted f = fit_split(ctx, "data/wine.csv", "cultivar",
                         (const char *const[]){"fit_intercept=false", NULL});
    const dial_tensor *intercept = find_tensor(&f, "intercept");
    for (size_t k = 0; k < 3; k++) assert_true(((double *)intercept->data)[k] == 0.0);
    free_fitted(&f);
    dial_ctx_free(ctx);
}

static void test_without_inputs_the_intercept_is_the_log_odds(void **state) {
    (void)state;
    double x[1] = {0}, y[4] = {1, 1, 0, 1}, value[1], proba[2];
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_logistic, (const char *const[]){"tol=1e-10", NULL});
    dial_fit_input in = {x, 4, 0, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_logistic.fit(ctx, &knobs, &in, &learned));
    assert_float_equal(*(double *)dial_tensors_find(&learned, "intercept")->data, log(3.0), 1e-8);
    dial_fit_input one = {x, 1, 0, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_logistic.predict(ctx, &knobs, &learned, &one,
                                                    &(dial_predict_output){value, proba}));
    assert_float_equal(value[0], 1.0, 0);
    assert_float_equal(proba[1], 0.75, 1e-8);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- failures ----------------------------------------------------------------- */

static void test_regression_is_refused(void **state) {
    (void)state;
    double x[2] = {0, 1}, y[2] = {0.5, 1.5};
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    dial_fit_input in = {x, 2, 1, y, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_logistic.fit(ctx, &knobs, &in, &learned),
                      DIAL_ERR_UNSUPPORTED,
                      "model 'logistic' does classification only, not regression; use 'linear' "
                      "for regression");
    assert_int_equal(learned.count, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_a_class_index_out_of_range_is_a_data_error(void **state) {
    (void)state;
    double x[2] = {0, 1}, y[2] = {0, 5};
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    dial_fit_input in = {x, 2, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_logistic.fit(ctx, &knobs, &in, &learned), DIAL_ERR_DATA,
                      "logistic: target of row 2 is 5, expected a class index in 0..1");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_without_coef_is_a_format_error(void **state) {
    (void)state;
    double x[2] = {0, 1}, value[2];
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    dial_fit_input in = {x, 2, 1, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(ctx,
                      dial_model_logistic.predict(ctx, &knobs, &learned, &in,
                                                  &(dial_predict_output){value, NULL}),
                      DIAL_ERR_FORMAT, "logistic model has no tensor 'coef'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_with_too_few_weight_rows_is_a_format_error(void **state) {
    (void)state;
    double x[2] = {0, 1}, value[2], *data = NULL;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    dial_tensors learned = {0};
    size_t coef_shape[2] = {1, 1}, intercept_shape[1] = {1};
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "coef", DIAL_F64, 2, coef_shape, (void **)&data));
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "intercept", DIAL_F64, 1, intercept_shape,
                                         (void **)&data));
    dial_fit_input in = {x, 2, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    assert_dial_error(ctx,
                      dial_model_logistic.predict(ctx, &knobs, &learned, &in,
                                                  &(dial_predict_output){value, NULL}),
                      DIAL_ERR_FORMAT,
                      "logistic model tensor 'coef' has shape [1 x 1]; expected [3 x 1]");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- the knob table ------------------------------------------------------------- */

static void test_defaults_are_scikit_learns(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    assert_true(dial_knobs_float(&knobs, "C") == 1.0);
    assert_string_equal(dial_knobs_choice(&knobs, "penalty"), "l2");
    assert_string_equal(dial_knobs_choice(&knobs, "class_weight"), "none");
    assert_true(dial_knobs_bool(&knobs, "fit_intercept"));
    assert_true(dial_knobs_float(&knobs, "tol") == 1e-4);
    assert_int_equal(dial_knobs_int(&knobs, "max_iter"), 100);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_knob_table_refuses_a_negative_C(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "C", "-1"), DIAL_ERR_KNOB,
                      "knob 'C' = -1 is out of range: must be > 0");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "C", "0"), DIAL_ERR_KNOB,
                      "knob 'C' = 0 is out of range: must be > 0");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_knob_table_refuses_an_unknown_penalty(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_logistic, NULL);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "penalty", "l3"), DIAL_ERR_KNOB,
                      "knob 'penalty' = 'l3' is not one of: l2, l1, none");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "class_weight", "auto"), DIAL_ERR_KNOB,
                      "knob 'class_weight' = 'auto' is not one of: none, balanced");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_C_is_inactive_without_a_penalty(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_logistic, (const char *const[]){"penalty=none", NULL});
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "C", "2"));
    assert_dial_error(ctx, dial_knobs_check(ctx, &knobs), DIAL_ERR_KNOB,
                      "knob 'C' is inactive: it applies only when penalty=l2|l1");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_C_search_range_is_log_scale_1e_4_to_1e4(void **state) {
    (void)state;
    const dial_knob_spec *c = NULL;
    for (size_t i = 0; i < dial_model_logistic.n_knobs; i++) {
        assert_true(dial_model_logistic.knobs[i].doc && dial_model_logistic.knobs[i].doc[0]);
        if (strcmp(dial_model_logistic.knobs[i].name, "C") == 0) c = &dial_model_logistic.knobs[i];
    }
    assert_non_null(c);
    assert_true(c->has_search_range && c->log_scale);
    assert_true(c->search_low == 1e-4 && c->search_high == 1e4);
    assert_ptr_equal(dial_model_family_find("logistic"), &dial_model_logistic);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2_C_1_matches_scikit_learn),
        cmocka_unit_test(test_l2_C_0_1_matches_scikit_learn),
        cmocka_unit_test(test_balanced_class_weights_match_scikit_learn),
        cmocka_unit_test(test_l1_C_1_matches_scikit_learn_optimum),
        cmocka_unit_test(test_no_penalty_matches_scikit_learn_accuracy),
        cmocka_unit_test(test_two_classes_learn_one_row_of_weights),
        cmocka_unit_test(test_more_classes_learn_one_row_per_class),
        cmocka_unit_test(test_probabilities_sum_to_one_and_pick_the_class),
        cmocka_unit_test(test_l1_zeroes_weights_and_more_as_C_shrinks),
        cmocka_unit_test(test_l1_fit_meets_the_optimality_conditions),
        cmocka_unit_test(test_same_result_on_one_and_two_threads),
        cmocka_unit_test(test_refitting_with_the_same_seed_gives_the_same_model),
        cmocka_unit_test(test_iterations_cut_short_are_logged),
        cmocka_unit_test(test_known_weights_predict_through_the_sigmoid),
        cmocka_unit_test(test_without_intercept_the_intercepts_are_zero),
        cmocka_unit_test(test_without_inputs_the_intercept_is_the_log_odds),
        cmocka_unit_test(test_regression_is_refused),
        cmocka_unit_test(test_a_class_index_out_of_range_is_a_data_error),
        cmocka_unit_test(test_predict_without_coef_is_a_format_error),
        cmocka_unit_test(test_predict_with_too_few_weight_rows_is_a_format_error),
        cmocka_unit_test(test_defaults_are_scikit_learns),
        cmocka_unit_test(test_knob_table_refuses_a_negative_C),
        cmocka_unit_test(test_knob_table_refuses_an_unknown_penalty),
        cmocka_unit_test(test_C_is_inactive_without_a_penalty),
        cmocka_unit_test(test_C_search_range_is_log_scale_1e_4_to_1e4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
