/* Support vector machines: the family against LIBSVM and scikit-learn, its
 * knobs, its tensors and its failure paths.
 *
 * Reference figures come from tests/models/reference_svm.py (LIBSVM 3.x
 * through libsvm-tools' svm-train/svm-predict/svm-scale, scikit-learn 1.2).
 * Cross-validation uses fixed folds (row i in test fold i % 5) on both
 * sides; single splits hold out the rows with index % 5 == 0. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/eval.h"
#include "dial/modelfile.h"
#include "models/svm_kernel.h"
#include "models/svm_solver.h"

extern const dial_model_family dial_model_svm;

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers -------------------------------------------------------- */

/* svm's knobs with the given "name=value" settings (NULL-terminated),
 * checked. */
/* The five folds row % 5 == fold, as reference_svm.py makes them. */
static dial_splits modulo_folds(size_t n) {
    dial_splits splits = {.count = 5, .items = calloc(5, sizeof(dial_split))};
    assert_non_null(splits.items);
    for (size_t f = 0; f < 5; f++) {
        dial_split *split = &splits.items[f];
        split->fold = f;
        split->train = malloc(n * sizeof(size_t));
        split->test = malloc(n * sizeof(size_t));
        assert_non_null(split->train);
        assert_non_null(split->test);
        for (size_t i = 0; i < n; i++) {
            if (i % 5 == f)
                split->test[split->n_test++] = i;
            else
                split->train[split->n_train++] = i;
        }
    }
    return splits;
}

/* Mean accuracy of svm with settings over the modulo folds of a file. */
static double modulo_cv_accuracy(const char *path, const char *target,
                                 const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    dial_splits splits = modulo_folds(data->n_rows);
    dial_cv_result result;
    assert_dial_ok(ctx, dial_cv_run(ctx, &dial_model_svm, &knobs, data, &splits,
                                    DIAL_METRIC_ACCURACY, &result));
    double mean = result.mean;
    dial_cv_result_free(&result);
    dial_splits_free(&splits);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return mean;
}

/* A model fitted with settings on every row of a file (or only the rows
 * with index % 5 != 0 when holdout). *table and *data must be freed after
 * the model. */
static dial_model *fit_file(dial_ctx *ctx, const char *path, const char *target,
                            const char *const *settings, bool holdout, dial_table **table,
                            dial_dataset **data, size_t **train_rows, size_t *n_train) {
    *data = test_load_dataset(ctx, path, target, table);
    size_t n = (*data)->n_rows;
    *train_rows = malloc(n * sizeof(size_t));
    assert_non_null(*train_rows);
    *n_train = 0;
    for (size_t i = 0; i < n; i++)
        if (!holdout || i % 5 != 0) (*train_rows)[(*n_train)++] = i;
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    dial_view train = {*data, *train_rows, *n_train};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_svm, &knobs, &train, &model));
    dial_knobs_free(&knobs);
    return model;
}

static int64_t total_support_vectors(const dial_model *model) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), "n_support");
    assert_non_null(t);
    int64_t total = 0;
    for (size_t c = 0; c < dial_tensor_size(t); c++) total += ((const int64_t *)t->data)[c];
    return total;
}

/* The number of support vectors of a fit on every row of the file. */
static int64_t full_fit_support_vectors(const char *path, const char *target,
                                        const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model = fit_file(ctx, path, target, settings, false, &table, &data, &rows, &n);
    int64_t total = total_support_vectors(model);
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return total;
}

static void assert_support_vectors_within_2_percent(int64_t got, int64_t libsvm) {
    if (fabs((double)(got - libsvm)) > 0.02 * (double)libsvm)
        fail_msg("dial has %lld support vectors, LIBSVM %lld", (long long)got, (long long)libsvm);
}

/* Score (accuracy or r2) of a fit on the rows index % 5 != 0, on the
 * others. proba_loss, if not NULL, gets the log loss of the probabilities. */
static double holdout_score(const char *path, const char *target, const char *const *settings,
                            double *proba_loss) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *train = NULL, n_train = 0;
    dial_model *model =
        fit_file(ctx, path, target, settings, true, &table, &data, &train, &n_train);
    size_t n = data->n_rows, n_test = 0, k = data->n_classes ? data->n_classes : 1;
    size_t *test = malloc(n * sizeof(size_t));
    double *y = malloc(n * sizeof(double)), *value = malloc(n * sizeof(double));
    double *proba = malloc(n * k * sizeof(double));
    for (size_t i = 0; i < n; i += 5) {
        y[n_test] = data->y[i];
        test[n_test++] = i;
    }
    dial_view rows = {data, test, n_test};
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &rows, value, proba_loss ? proba : NULL));
    bool regression = data->task == DIAL_TASK_REGRESSION;
    double score;
    assert_dial_ok(ctx, dial_metric_score(ctx, regression ? DIAL_METRIC_R2 : DIAL_METRIC_ACCURACY,
                                          y, value, NULL, n_test, data->n_classes, &score));
    if (proba_loss)
        assert_dial_ok(ctx, dial_metric_score(ctx, DIAL_METRIC_LOG_LOSS, y, value, proba, n_test,
                                              data->n_classes, proba_loss));
    dial_model_free(model);
    free(train);
    free(test);
    free(y);
    free(value);
    free(proba);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return score;
}

/* ---- against LIBSVM: cross-validation and support vectors ------------ */

static void test_heart_scale_cv_accuracy_matches_libsvm(void **state) {
    (void)state;
    /* LIBSVM's default gamma 1/13, and a point of the guide's grid */
    double a = modulo_cv_accuracy(
        "data/heart_scale.libsvm", "label",
        (const char *const[]){"scale=none", "C=1", "gamma=0.07692307692307693", NULL});
    assert_true(fabs(a - 0.833333) <= 0.005);
    double b =
        modulo_cv_accuracy("data/heart_scale.libsvm", "label",
                           (const char *const[]){"scale=none", "C=32", "gamma=0.0078125", NULL});
    assert_true(fabs(b - 0.840741) <= 0.005);
}

static void test_heart_scale_support_vectors_match_libsvm(void **state) {
    (void)state;
    assert_support_vectors_within_2_percent(
        full_fit_support_vectors(
            "data/heart_scale.libsvm", "label",
            (const char *const[]){"scale=none", "C=1", "gamma=0.07692307692307693", NULL}),
        132);
    assert_support_vectors_within_2_percent(
        full_fit_support_vectors(
            "data/heart_scale.libsvm", "label",
            (const char *const[]){"scale=none", "C=32", "gamma=0.0078125", NULL}),
        108);
}

/* LIBSVM's digits are scaled to [-1, 1]; dial's minmax gives [0, 1], where
 * rbf needs 4 gamma for the same kernel values. */
static void test_digits_cv_accuracy_matches_libsvm(void **state) {
    (void)state;
    double a =
        modulo_cv_accuracy("data/digits.csv", "digit",
                           (const char *const[]){"scale=minmax", "C=2", "gamma=0.125", NULL});
    assert_true(fabs(a - 0.990542) <= 0.005);
    double b = modulo_cv_accuracy("data/digits.csv", "digit",
                                  (const char *const[]){"scale=minmax", "C=8", "gamma=0.5", NULL});
    assert_true(fabs(b - 0.987200) <= 0.005);
}

static void test_digits_support_vectors_match_libsvm(void **state) {
    (void)state;
    assert_support_vectors_within_2_percent(
        full_fit_support_vectors("data/digits.csv", "digit",
                                 (const char *const[]){"scale=minmax", "C=2", "gamma=0.125", NULL}),
        684);
    assert_support_vectors_within_2_percent(
        full_fit_support_vectors("data/digits.csv", "digit",
                                 (const char *const[]){"scale=minmax", "C=8", "gamma=0.5", NULL}),
        984);
}

/* ---- against scikit-learn ---------------------------------------------- */

static void test_svr_r2_on_diabetes_matches_sklearn(void **state) {
    (void)state;
    static const struct {
        const char *settings[4];
        double r2;
    } cases[] = {{{"C=100", "epsilon=0.1", NULL}, 0.455807},
                 {{"C=1000", "epsilon=10", NULL}, 0.309140},
                 {{"C=10", "epsilon=1", "kernel=linear", NULL}, 0.516906}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) {
        double r2 = holdout_score("data/diabetes.csv", "progression", cases[c].settings, NULL);
        if (fabs(r2 - cases[c].r2) > 0.01)
            fail_msg("case %zu: dial R^2 %.6f, scikit-learn %.6f", c, r2, cases[c].r2);
    }
}

typedef struct svc_case {
    const char *path, *target;
    const char *settings[4];
    double accuracy;
    int64_t n_support[3];
    double minus_rho[3];
} svc_case;

/* Accuracy, support vectors per class and -rho of each pair, against
 * scikit-learn's SVC on the same split and scaling. */
static void assert_svc_matches(const svc_case *c) {
    double accuracy = holdout_score(c->path, c->target, c->settings, NULL);
    if (fabs(accuracy - c->accuracy) > 0.01)
        fail_msg("%s: dial accuracy %.6f, scikit-learn %.6f", c->path, accuracy, c->accuracy);
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *train = NULL, n_train = 0;
    dial_model *model =
        fit_file(ctx, c->path, c->target, c->settings, true, &table, &data, &train, &n_train);
    const dial_tensors *tensors = dial_model_get_tensors(model);
    const dial_tensor *n_support = dial_tensors_find(tensors, "n_support");
    const dial_tensor *intercept = dial_tensors_find(tensors, "intercept");
    size_t k = data->n_classes, pairs = k * (k - 1) / 2;
    assert_int_equal(dial_tensor_size(n_support), k);
    assert_int_equal(dial_tensor_size(intercept), pairs);
    for (size_t s = 0; s < k; s++) {
        int64_t got = ((const int64_t *)n_support->data)[s];
        if (llabs(got - c->n_support[s]) > 1)
            fail_msg("%s class %zu: %lld support vectors, scikit-learn %lld", c->path, s,
                     (long long)got, (long long)c->n_support[s]);
    }
    for (size_t p = 0; p < pairs; p++) {
        double got = ((const double *)intercept->data)[p];
        if (fabs(got - c->minus_rho[p]) > 2e-3)
            fail_msg("%s pair %zu: intercept %.6f, scikit-learn %.6f", c->path, p, got,
                     c->minus_rho[p]);
    }
    dial_model_free(model);
    free(train);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_rbf_svc_matches_sklearn(void **state) {
    (void)state;
    static const svc_case cases[] = {
        {"data/iris.csv",
         "species",
         {NULL},
         0.966667,
         {7, 19, 21},
         {0.046131, -0.173637, -0.093029}},
        {"data/wine.csv",
         "cultivar",
         {NULL},
         0.972222,
         {16, 28, 15},
         {-0.810088, -0.13296, 0.455641}},
        {"data/breast_cancer.csv", "diagnosis", {NULL}, 0.956140, {50, 52}, {-0.270222}}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) assert_svc_matches(&cases[c]);
}

static void test_linear_svc_matches_sklearn(void **state) {
    (void)state;
    static const svc_case cases[] = {{"data/iris.csv",
                                      "species",
                                      {"kernel=linear", NULL},
                                      0.966667,
                                      {2, 14, 11},
                                      {-1.432665, -0.277495, 3.110489}},
                                     {"data/breast_cancer.csv",
                                      "diagnosis",
                                      {"kernel=linear", NULL},
                                      0.964912,
                                      {17, 16},
                                      {0.05785}}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) assert_svc_matches(&cases[c]);
}

static void test_poly_svc_matches_sklearn(void **state) {
    (void)state;
    static const svc_case cases[] = {{"data/wine.csv",
                                      "cultivar",
                                      {"kernel=poly", "coef0=1", NULL},
                                      0.972222,
                                      {9, 20, 12},
                                      {0.062258, 0.530491, 0.660689}},
                                     {"data/breast_cancer.csv",
                                      "diagnosis",
                                      {"kernel=poly", "coef0=1", NULL},
                                      0.956140,
                                      {32, 24},
                                      {0.252359}}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) assert_svc_matches(&cases[c]);
}

static void test_sigmoid_svc_matches_sklearn(void **state) {
    (void)state;
    static const svc_case cases[] = {{"data/iris.csv",
                                      "species",
                                      {"kernel=sigmoid", "gamma=0.01", NULL},
                                      0.933333,
                                      {27, 40, 38},
                                      {-0.527084, -0.187698, 0.471824}},
                                     {"data/breast_cancer.csv",
                                      "diagnosis",
                                      {"kernel=sigmoid", "gamma=0.01", NULL},
                                      0.947368,
                                      {51, 51},
                                      {0.318817}}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) assert_svc_matches(&cases[c]);
}

static void test_balanced_class_weight_matches_sklearn(void **state) {
    (void)state;
    static const svc_case cases[] = {{"data/wine.csv",
                                      "cultivar",
                                      {"class_weight=balanced", NULL},
                                      0.972222,
                                      {16, 29, 14},
                                      {-0.820361, -0.132906, 0.445136}},
                                     {"data/breast_cancer.csv",
                                      "diagnosis",
                                      {"class_weight=balanced", NULL},
                                      0.973684,
                                      {62, 49},
                                      {-0.31153}}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) assert_svc_matches(&cases[c]);
}

/* Platt's sigmoids come from an internal cross-validation shuffled
 * differently from scikit-learn's, so the log loss is close, not equal. */
static void test_probability_log_loss_is_close_to_sklearn(void **state) {
    (void)state;
    static const struct {
        const char *path, *target;
        double loss;
    } cases[] = {{"data/iris.csv", "species", 0.071382},
                 {"data/wine.csv", "cultivar", 0.089602},
                 {"data/breast_cancer.csv", "diagnosis", 0.099953}};
    for (size_t c = 0; c < N_ITEMS(cases); c++) {
        double loss = 0;
        holdout_score(cases[c].path, cases[c].target,
                      (const char *const[]){"probability=true", NULL}, &loss);
        if (fabs(loss - cases[c].loss) > 0.03)
            fail_msg("%s: dial log loss %.6f, scikit-learn %.6f", cases[c].path, loss,
                     cases[c].loss);
    }
}

/* ---- what the model holds ---------------------------------------------- */

/* On standardised features the variance of the matrix is 1, so gamma=scale
 * is 1 / n_inputs. */
static void test_gamma_scale_is_one_over_n_inputs_on_standardised_data(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/iris.csv", "species", NULL, false, &table, &data, &rows, &n);
    const dial_tensor *gamma = dial_tensors_find(dial_model_get_tensors(model), "gamma");
    assert_non_null(gamma);
    assert_true(fabs(*(const double *)gamma->data - 0.25) < 1e-12);
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_tensors_have_libsvm_shapes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/wine.csv", "cultivar", (const char *const[]){"probability=true", NULL},
                 false, &table, &data, &rows, &n);
    const dial_tensors *tensors = dial_model_get_tensors(model);
    const dial_tensor *sv = dial_tensors_find(tensors, "support_vectors");
    size_t n_sv = sv->shape[0];
    assert_int_equal(sv->shape[1], 13);
    assert_int_equal(total_support_vectors(model), n_sv);
    const dial_tensor *coef = dial_tensors_find(tensors, "dual_coef");
    assert_int_equal(coef->shape[0], 2);
    assert_int_equal(coef->shape[1], n_sv);
    assert_int_equal(dial_tensor_size(dial_tensors_find(tensors, "intercept")), 3);
    assert_int_equal(dial_tensor_size(dial_tensors_find(tensors, "probA")), 3);
    assert_int_equal(dial_tensor_size(dial_tensors_find(tensors, "probB")), 3);
    const dial_tensor *support = dial_tensors_find(tensors, "support");
    assert_int_equal(support->dtype, DIAL_I64);
    assert_int_equal(dial_tensor_size(support), n_sv);
    /* grouped by class, each class's rows in training order */
    const int64_t *row = support->data;
    for (size_t v = 1; v < n_sv; v++) {
        double a = data->y[row[v - 1]], b = data->y[row[v]];
        assert_true(a < b || (a == b && row[v - 1] < row[v]));
    }
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* The decision of a pair, recomputed from the tensors by hand with
 * LIBSVM's layout, votes for the class predict gives. */
static void test_dual_coef_layout_reproduces_the_decisions(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_svm, (const char *const[]){"kernel=linear", NULL});
    /* three classes on a line, one feature */
    const double x[] = {0, 0.5, 1, 3, 3.5, 4, 7, 7.5, 8}, y[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    const double query[] = {0.2, 3.7, 7.9, 1.7, 5.9};
    dial_fit_input train = {x, 9, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_fit_input test = {query, 5, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_svm.fit(ctx, &knobs, &train, &learned));
    double value[5];
    assert_dial_ok(ctx, dial_model_svm.predict(ctx, &knobs, &learned, &test,
                                               &(dial_predict_output){value, NULL}));
    const dial_tensor *sv = dial_tensors_find(&learned, "support_vectors");
    const double *svs = sv->data, *coef = dial_tensors_find(&learned, "dual_coef")->data;
    const double *intercept = dial_tensors_find(&learned, "intercept")->data;
    const int64_t *n_support = dial_tensors_find(&learned, "n_support")->data;
    size_t n_sv = sv->shape[0], first[4] = {0};
    for (size_t c = 0; c < 3; c++) first[c + 1] = first[c] + (size_t)n_support[c];
    for (size_t r = 0; r < 5; r++) {
        int votes[3] = {0};
        size_t p = 0;
        for (size_t s = 0; s < 3; s++)
            for (size_t t = s + 1; t < 3; t++, p++) {
                double dec = intercept[p];
                for (size_t v = first[s]; v < first[s + 1]; v++)
                    dec += coef[(t - 1) * n_sv + v] * svs[v] * query[r];
                for (size_t v = first[t]; v < first[t + 1]; v++)
                    dec += coef[s * n_sv + v] * svs[v] * query[r];
                votes[dec > 0 ? s : t]++;
            }
        size_t best = 0;
        for (size_t c = 1; c < 3; c++)
            if (votes[c] > votes[best]) best = c;
        assert_true(value[r] == (double)best);
    }
    assert_true(value[0] == 0 && value[1] == 1 && value[2] == 2 && value[3] == 0 && value[4] == 2);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_probabilities_sum_to_one_and_follow_the_classes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/iris.csv", "species", (const char *const[]){"probability=true", NULL},
                 true, &table, &data, &rows, &n);
    size_t n_test = 0, test[30];
    for (size_t i = 0; i < data->n_rows; i += 5) test[n_test++] = i;
    double value[30], proba[90];
    dial_view view = {data, test, n_test};
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &view, value, proba));
    size_t agree = 0;
    for (size_t r = 0; r < n_test; r++) {
        double sum = 0;
        size_t top = 0;
        for (size_t c = 0; c < 3; c++) {
            assert_true(proba[r * 3 + c] >= 0 && proba[r * 3 + c] <= 1);
            sum += proba[r * 3 + c];
            if (proba[r * 3 + c] > proba[r * 3 + top]) top = c;
        }
        assert_true(fabs(sum - 1) < 1e-9);
        agree += value[r] == (double)top;
    }
    assert_true(agree >= n_test - 1);
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- reproducibility --------------------------------------------------- */

static void assert_same_tensors(const dial_tensors *a, const dial_tensors *b) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const dial_tensor *t = &a->items[i], *u = dial_tensors_find(b, t->name);
        assert_non_null(u);
        assert_int_equal(dial_tensor_size(t), dial_tensor_size(u));
        assert_memory_equal(t->data, u->data, dial_tensor_size(t) * dial_dtype_size(t->dtype));
    }
}

static void fit_tensors(dial_ctx *ctx, const char *const *settings, dial_tensors *out) {
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/wine.csv", "cultivar", settings, false, &table, &data, &rows, &n);
    const dial_tensors *tensors = dial_model_get_tensors(model);
    for (size_t i = 0; i < tensors->count; i++) {
        const dial_tensor *t = &tensors->items[i];
        void *copy = NULL;
        assert_dial_ok(ctx,
                       dial_tensors_add(ctx, out, t->name, t->dtype, t->ndim, t->shape, &copy));
        memcpy(copy, t->data, dial_tensor_size(t) * dial_dtype_size(t->dtype));
    }
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
}

static void test_same_seed_gives_the_same_model(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *const settings[] = {"probability=true", NULL};
    dial_tensors a = {0}, b = {0};
    fit_tensors(ctx, settings, &a);
    fit_tensors(ctx, settings, &b);
    assert_same_tensors(&a, &b);
    dial_tensors_clear(&a);
    dial_tensors_clear(&b);
    dial_ctx_free(ctx);
}

static void test_thread_count_does_not_change_the_model(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *const settings[] = {"probability=true", NULL};
    dial_tensors a = {0}, b = {0};
    fit_tensors(ctx, settings, &a);
    dial_ctx_set_threads(ctx, 2);
    fit_tensors(ctx, settings, &b);
    assert_same_tensors(&a, &b);
    dial_tensors_clear(&a);
    dial_tensors_clear(&b);
    dial_ctx_free(ctx);
}

static void test_the_seed_moves_the_platt_folds(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *const settings[] = {"probability=true", NULL};
    dial_tensors a = {0}, b = {0};
    fit_tensors(ctx, settings, &a);
    dial_ctx_set_seed(ctx, 2);
    fit_tensors(ctx, settings, &b);
    const dial_tensor *pa = dial_tensors_find(&a, "probA"), *pb = dial_tensors_find(&b, "probA");
    assert_memory_not_equal(pa->data, pb->data, 3 * sizeof(double));
    /* the classifier itself does not depend on the seed */
    const dial_tensor *ca = dial_tensors_find(&a, "dual_coef"),
                      *cb = dial_tensors_find(&b, "dual_coef");
    assert_memory_equal(ca->data, cb->data, dial_tensor_size(ca) * sizeof(double));
    dial_tensors_clear(&a);
    dial_tensors_clear(&b);
    dial_ctx_free(ctx);
}

static void test_shrinking_does_not_change_the_predictions(void **state) {
    (void)state;
    double with = holdout_score("data/breast_cancer.csv", "diagnosis", NULL, NULL);
    double without = holdout_score("data/breast_cancer.csv", "diagnosis",
                                   (const char *const[]){"shrinking=false", NULL}, NULL);
    assert_true(with == without);
}

/* A tiny cache (the solver then keeps only two rows) changes the speed,
 * not the solution. */
static void test_a_tiny_cache_gives_the_same_model(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_tensors a = {0}, b = {0};
    fit_tensors(ctx, NULL, &a);
    fit_tensors(ctx, (const char *const[]){"cache_mb=0.001", NULL}, &b);
    assert_same_tensors(&a, &b);
    dial_tensors_clear(&a);
    dial_tensors_clear(&b);
    dial_ctx_free(ctx);
}

static void test_model_file_round_trips_and_predicts_the_same(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/wine.csv", "cultivar", (const char *const[]){"probability=true", NULL},
                 false, &table, &data, &rows, &n);
    unsigned char *bytes = NULL, *again = NULL;
    size_t length = 0, length_again = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "wine.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, loaded, &again, &length_again));
    assert_int_equal(length, length_again);
    assert_memory_equal(bytes, again, length);
    dial_view all = dial_view_all(data);
    double *v1 = malloc(n * sizeof(double)), *v2 = malloc(n * sizeof(double));
    double *p1 = malloc(3 * n * sizeof(double)), *p2 = malloc(3 * n * sizeof(double));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, v1, p1));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, v2, p2));
    assert_memory_equal(v1, v2, n * sizeof(double));
    assert_memory_equal(p1, p2, 3 * n * sizeof(double));
    free(v1);
    free(v2);
    free(p1);
    free(p2);
    free(bytes);
    free(again);
    dial_model_free(loaded);
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A fold may lack a class: its pairs then have rows of one side only and
 * the class is never predicted. */
static void test_a_class_missing_from_the_training_rows_is_never_predicted(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, NULL);
    const double x[] = {0, 0.3, 0.6, 3, 3.3, 3.6}, y[] = {0, 0, 0, 2, 2, 2};
    const double query[] = {0.1, 3.5, 1.8};
    dial_fit_input train = {x, 6, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_fit_input test = {query, 3, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_svm.fit(ctx, &knobs, &train, &learned));
    const int64_t *n_support = dial_tensors_find(&learned, "n_support")->data;
    assert_true(n_support[1] == 0);
    double value[3];
    assert_dial_ok(ctx, dial_model_svm.predict(ctx, &knobs, &learned, &test,
                                               &(dial_predict_output){value, NULL}));
    assert_true(value[0] == 0 && value[1] == 2 && value[2] != 1);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Every error within epsilon: no support vector, and the constant is the
 * prediction. The model still saves and loads. */
static void test_a_constant_target_gives_no_support_vectors(void **state) {
    (void)state;
    const char csv[] = "a,b,y\n1,2,5.5\n2,1,5.5\n3,5,5.5\n4,4,5.5\n";
    char *path = test_write_temp(csv, sizeof csv - 1, ".csv");
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model = fit_file(ctx, path, "y", NULL, false, &table, &data, &rows, &n);
    assert_int_equal(total_support_vectors(model), 0);
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "constant.dial", bytes, length, &loaded));
    dial_view all = dial_view_all(data);
    double value[4];
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, value, NULL));
    for (size_t i = 0; i < 4; i++) assert_true(fabs(value[i] - 5.5) < 1e-12);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    remove(path);
    free(path);
}

/* ---- the solver ------------------------------------------------------------ */

/* Solves iris's versicolor against virginica (standardised by hand) at C
 * from alpha (zeros or a previous solution). */
static dial_svm_dual_result solve_iris_pair(double c, double *alpha) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    size_t l = 0, d = data->n_features, rows[100];
    double x[150 * 4], p[100], upper[100];
    signed char y[100];
    for (size_t i = 0; i < data->n_rows; i++) {
        if (data->y[i] == 0) continue;
        for (size_t t = 0; t < d; t++) x[i * d + t] = data->features[t]->values[i];
        y[l] = data->y[i] == 1 ? 1 : -1;
        p[l] = -1;
        upper[l] = c;
        rows[l++] = i;
    }
    dial_svm_kernel kernel = {.type = DIAL_SVM_RBF, .gamma = 0.5};
    dial_svm_matrix *matrix = dial_svm_matrix_svc(NULL, &kernel, x, d, rows, l, y, 1 << 20);
    assert_non_null(matrix);
    dial_svm_dual dual = {.l = l,
                          .p = p,
                          .y = y,
                          .upper = upper,
                          .eps = 1e-6,
                          .max_iter = 1000000,
                          .shrinking = true};
    dial_svm_dual_result result;
    assert_int_equal(dial_svm_dual_solve(&dual, dial_svm_matrix_q(matrix), alpha, &result),
                     DIAL_OK);
    dial_svm_matrix_free(matrix);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return result;
}

/* A solution for a smaller C is feasible for a larger one: starting there
 * (the path along C that tuning walks) reaches the same optimum, and
 * starting at the optimum itself needs no step. */
static void test_solver_warm_start_reaches_the_same_optimum(void **state) {
    (void)state;
    double warm[100] = {0}, cold[100] = {0};
    solve_iris_pair(1, warm);
    dial_svm_dual_result from_warm = solve_iris_pair(4, warm);
    dial_svm_dual_result from_zero = solve_iris_pair(4, cold);
    assert_true(fabs(from_warm.objective - from_zero.objective) <=
                1e-6 * fabs(from_zero.objective));
    assert_true(fabs(from_warm.rho - from_zero.rho) < 1e-4);
    assert_false(from_warm.hit_max_iter || from_zero.hit_max_iter);
    dial_svm_dual_result again = solve_iris_pair(4, cold);
    assert_int_equal(again.iterations, 0);
    assert_true(fabs(again.objective - from_zero.objective) <= 1e-9 * fabs(from_zero.objective));
}

static void test_cache_keeps_rows_and_evicts_the_least_recently_used(void **state) {
    (void)state;
    /* room for exactly two rows of 4 */
    dial_svm_cache *cache = dial_svm_cache_new(NULL, 4, 8);
    assert_non_null(cache);
    size_t valid = 99;
    float *a = dial_svm_cache_row(cache, 0, 4, &valid);
    assert_int_equal(valid, 0);
    for (int k = 0; k < 4; k++) a[k] = (float)k;
    float *b = dial_svm_cache_row(cache, 1, 4, &valid);
    assert_int_equal(valid, 0);
    for (int k = 0; k < 4; k++) b[k] = (float)(10 + k);
    a = dial_svm_cache_row(cache, 0, 4, &valid); /* row 0 is now the most recent */
    assert_int_equal(valid, 4);
    assert_true(a[3] == 3);
    dial_svm_cache_row(cache, 2, 4, &valid); /* evicts row 1 */
    assert_int_equal(valid, 0);
    dial_svm_cache_row(cache, 0, 4, &valid);
    assert_int_equal(valid, 4);
    dial_svm_cache_row(cache, 1, 4, &valid);
    assert_int_equal(valid, 0);
    dial_svm_cache_free(cache);
}

static void test_cache_swap_exchanges_rows_and_entries(void **state) {
    (void)state;
    dial_svm_cache *cache = dial_svm_cache_new(NULL, 4, 64);
    size_t valid;
    float *row = dial_svm_cache_row(cache, 0, 4, &valid);
    for (int k = 0; k < 4; k++) row[k] = (float)k;
    row = dial_svm_cache_row(cache, 3, 2, &valid); /* holds entries 0 and 1 only */
    row[0] = 30;
    row[1] = 31;
    dial_svm_cache_swap(cache, 1, 2);
    row = dial_svm_cache_row(cache, 0, 4, &valid);
    assert_int_equal(valid, 4);
    assert_true(row[1] == 2 && row[2] == 1);
    row = dial_svm_cache_row(cache, 3, 4, &valid); /* entry 1 moved away: cut before it */
    assert_int_equal(valid, 1);
    assert_true(row[0] == 30);
    dial_svm_cache_swap(cache, 0, 3);
    row = dial_svm_cache_row(cache, 3, 4, &valid);
    assert_int_equal(valid, 4);
    assert_true(row[0] == 3 && row[3] == 0);
    dial_svm_cache_free(cache);
}

/* ---- knobs --------------------------------------------------------------- */

static void test_negative_c_is_a_knob_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &dial_model_svm, &knobs));
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "C", "-1"), DIAL_ERR_KNOB,
                      "knob 'C' = -1 is out of range: must be > 0");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_degree_with_an_rbf_kernel_is_an_inactive_knob(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &dial_model_svm, &knobs));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "degree", "2"));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_svm, &knobs, &all, &model),
                      DIAL_ERR_KNOB, "knob 'degree' is inactive: it applies only when kernel=poly");
    assert_null(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_gamma_with_a_linear_kernel_is_an_inactive_knob(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &dial_model_svm, &knobs));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "kernel", "linear"));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "gamma", "0.5"));
    assert_dial_error(ctx, dial_knobs_check(ctx, &knobs), DIAL_ERR_KNOB,
                      "knob 'gamma' is inactive: it applies only when kernel=rbf|poly|sigmoid");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* gamma is a number; 0 stands for scikit-learn's 'scale'. The knob layer
 * reads floats only, so the word itself is refused. */
static void test_gamma_takes_the_word_scale_or_zero(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    char text[32];
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &dial_model_svm, &knobs));
    assert_true(dial_knobs_float(&knobs, "gamma") == 0);
    long gamma = dial_knobs_find(&knobs, "gamma");
    dial_knobs_format(&knobs, (size_t)gamma, text, sizeof text);
    assert_string_equal(text, "scale");
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "gamma", "0.25"));
    dial_knobs_format(&knobs, (size_t)gamma, text, sizeof text);
    assert_string_equal(text, "0.25");
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "gamma", "scale"));
    assert_true(dial_knobs_float(&knobs, "gamma") == 0);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "gamma", "auto"), DIAL_ERR_KNOB,
                      "knob 'gamma' expects a number or 'scale', got 'auto'");
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "gamma", "-0.5"), DIAL_ERR_KNOB,
                      "knob 'gamma' = -0.5 is out of range: must be >= 0");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_search_ranges_follow_the_libsvm_guide(void **state) {
    (void)state;
    const dial_knob_spec *c = NULL, *gamma = NULL;
    for (size_t i = 0; i < dial_model_svm.n_knobs; i++) {
        if (strcmp(dial_model_svm.knobs[i].name, "C") == 0) c = &dial_model_svm.knobs[i];
        if (strcmp(dial_model_svm.knobs[i].name, "gamma") == 0) gamma = &dial_model_svm.knobs[i];
    }
    assert_non_null(c);
    assert_non_null(gamma);
    assert_true(c->has_search_range && c->log_scale);
    assert_true(c->search_low == ldexp(1, -5) && c->search_high == ldexp(1, 15));
    assert_true(gamma->has_search_range && gamma->log_scale);
    assert_true(gamma->search_low == ldexp(1, -15) && gamma->search_high == ldexp(1, 3));
}

typedef struct log_capture {
    int warnings;
    char last[512];
} log_capture;

static void capture_log(void *user, dial_log_level level, const char *message) {
    log_capture *capture = user;
    if (level != DIAL_LOG_WARN) return;
    capture->warnings++;
    snprintf(capture->last, sizeof capture->last, "%s", message);
}

static void test_max_iter_stops_the_solver_with_a_warning(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    log_capture capture = {0};
    dial_ctx_set_log(ctx, capture_log, &capture);
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    size_t *rows = NULL, n = 0;
    dial_model *model =
        fit_file(ctx, "data/breast_cancer.csv", "diagnosis",
                 (const char *const[]){"max_iter=5", NULL}, false, &table, &data, &rows, &n);
    assert_int_equal(capture.warnings, 1);
    assert_string_equal(capture.last,
                        "svm: 1 of 1 solves stopped at max_iter=5 before reaching tol=0.001; "
                        "raise max_iter or tol, or scale the features");
    dial_model_free(model);
    free(rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- predict checks the tensors it reads --------------------------------- */

/* Fits on iris and predicts after edit() changed the tensors. */
static void predict_after(void (*edit)(dial_tensors *), const char *const *settings,
                          bool want_proba, dial_status status, const char *message) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    const double x[] = {0, 0.2, 1, 1.2, 2, 2.2}, y[] = {0, 0, 1, 1, 2, 2};
    dial_fit_input train = {x, 6, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_fit_input test = {x, 6, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_svm.fit(ctx, &knobs, &train, &learned));
    edit(&learned);
    double value[6], proba[18];
    assert_dial_error(
        ctx,
        dial_model_svm.predict(ctx, &knobs, &learned, &test,
                               &(dial_predict_output){value, want_proba ? proba : NULL}),
        status, message);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Renames a tensor so that it is missing. */
static void hide_support_vectors(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "support_vectors") == 0) strcpy(t->items[i].name, "hidden");
}

static void shrink_dual_coef(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "dual_coef") == 0) t->items[i].shape[1] -= 1;
}

static void corrupt_n_support(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "n_support") == 0) ((int64_t *)t->items[i].data)[1] = 1000;
}

static void negative_n_support(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "n_support") == 0) ((int64_t *)t->items[i].data)[0] = -1;
}

static void nan_gamma(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "gamma") == 0) *(double *)t->items[i].data = NAN;
}

static void hide_prob_b(dial_tensors *t) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->items[i].name, "probB") == 0) strcpy(t->items[i].name, "hidden");
}

static void keep_all(dial_tensors *t) { (void)t; }

static void test_predict_without_support_vectors_is_a_format_error(void **state) {
    (void)state;
    predict_after(hide_support_vectors, NULL, false, DIAL_ERR_FORMAT,
                  "svm model has no tensor 'support_vectors'");
}

static void test_predict_rejects_a_dual_coef_of_the_wrong_shape(void **state) {
    (void)state;
    /* the fit keeps every row of the tiny set as a support vector */
    predict_after(shrink_dual_coef, NULL, false, DIAL_ERR_FORMAT,
                  "svm model tensor 'dual_coef' should be 2 x 6 float64 values");
}

static void test_predict_rejects_support_counts_beyond_the_vectors(void **state) {
    (void)state;
    predict_after(corrupt_n_support, NULL, false, DIAL_ERR_FORMAT,
                  "svm model tensor 'n_support' is inconsistent: class 1 has 1000 support "
                  "vectors, but only 4 are left of 6");
    predict_after(negative_n_support, NULL, false, DIAL_ERR_FORMAT,
                  "svm model tensor 'n_support' is inconsistent: class 0 has -1 support "
                  "vectors, but only 6 are left of 6");
}

static void test_predict_rejects_a_gamma_that_is_not_a_number(void **state) {
    (void)state;
    predict_after(nan_gamma, NULL, false, DIAL_ERR_FORMAT,
                  "svm model tensor 'gamma' is nan; expected a finite number >= 0");
}

static void test_probabilities_need_probability_true(void **state) {
    (void)state;
    predict_after(keep_all, NULL, true, DIAL_ERR_UNSUPPORTED,
                  "svm gives class probabilities only when fitted with probability=true");
    predict_after(hide_prob_b, (const char *const[]){"probability=true", NULL}, true,
                  DIAL_ERR_FORMAT, "svm model has no tensor 'probB'");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heart_scale_cv_accuracy_matches_libsvm),
        cmocka_unit_test(test_heart_scale_support_vectors_match_libsvm),
        cmocka_unit_test(test_digits_cv_accuracy_matches_libsvm),
        cmocka_unit_test(test_digits_support_vectors_match_libsvm),
        cmocka_unit_test(test_svr_r2_on_diabetes_matches_sklearn),
        cmocka_unit_test(test_rbf_svc_matches_sklearn),
        cmocka_unit_test(test_linear_svc_matches_sklearn),
        cmocka_unit_test(test_poly_svc_matches_sklearn),
        cmocka_unit_test(test_sigmoid_svc_matches_sklearn),
        cmocka_unit_test(test_balanced_class_weight_matches_sklearn),
        cmocka_unit_test(test_probability_log_loss_is_close_to_sklearn),
        cmocka_unit_test(test_gamma_scale_is_one_over_n_inputs_on_standardised_data),
        cmocka_unit_test(test_tensors_have_libsvm_shapes),
        cmocka_unit_test(test_dual_coef_layout_reproduces_the_decisions),
        cmocka_unit_test(test_probabilities_sum_to_one_and_follow_the_classes),
        cmocka_unit_test(test_same_seed_gives_the_same_model),
        cmocka_unit_test(test_thread_count_does_not_change_the_model),
        cmocka_unit_test(test_the_seed_moves_the_platt_folds),
        cmocka_unit_test(test_shrinking_does_not_change_the_predictions),
        cmocka_unit_test(test_a_tiny_cache_gives_the_same_model),
        cmocka_unit_test(test_model_file_round_trips_and_predicts_the_same),
        cmocka_unit_test(test_a_class_missing_from_the_training_rows_is_never_predicted),
        cmocka_unit_test(test_a_constant_target_gives_no_support_vectors),
        cmocka_unit_test(test_solver_warm_start_reaches_the_same_optimum),
        cmocka_unit_test(test_cache_keeps_rows_and_evicts_the_least_recently_used),
        cmocka_unit_test(test_cache_swap_exchanges_rows_and_entries),
        cmocka_unit_test(test_negative_c_is_a_knob_error),
        cmocka_unit_test(test_degree_with_an_rbf_kernel_is_an_inactive_knob),
        cmocka_unit_test(test_gamma_with_a_linear_kernel_is_an_inactive_knob),
        cmocka_unit_test(test_gamma_takes_the_word_scale_or_zero),
        cmocka_unit_test(test_search_ranges_follow_the_libsvm_guide),
        cmocka_unit_test(test_max_iter_stops_the_solver_with_a_warning),
        cmocka_unit_test(test_predict_without_support_vectors_is_a_format_error),
        cmocka_unit_test(test_predict_rejects_a_dual_coef_of_the_wrong_shape),
        cmocka_unit_test(test_predict_rejects_support_counts_beyond_the_vectors),
        cmocka_unit_test(test_predict_rejects_a_gamma_that_is_not_a_number),
        cmocka_unit_test(test_probabilities_need_probability_true),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
