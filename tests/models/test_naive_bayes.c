/* Gaussian naive Bayes: the family on matrices, and through the pipeline.
 * Reference figures come from tests/models/reference_nb_knn.py (scikit-learn
 * 1.2); the split is fixed: rows with index % 5 == 0 test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const dial_model_family dial_model_naive_bayes;

/* ---- helpers -------------------------------------------------------- */

typedef struct split_data {
    size_t n_train, n_test, d, n_classes;
    double *x_train, *y_train, *x_test, *y_test;
} split_data;

static split_data load_split(const char *path, const char *target) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    split_data s = {.d = data->n_features, .n_classes = data->n_classes};
    s.n_test = (data->n_rows + 4) / 5;
    s.n_train = data->n_rows - s.n_test;
    s.x_train = malloc(s.n_train * s.d * sizeof(double));
    s.x_test = malloc(s.n_test * s.d * sizeof(double));
    s.y_train = malloc(s.n_train * sizeof(double));
    s.y_test = malloc(s.n_test * sizeof(double));
    size_t a = 0, b = 0;
    for (size_t i = 0; i < data->n_rows; i++) {
        double *row = i % 5 == 0 ? s.x_test + b * s.d : s.x_train + a * s.d;
        for (size_t j = 0; j < s.d; j++) row[j] = data->features[j]->values[i];
        if (i % 5 == 0)
            s.y_test[b++] = data->y[i];
        else
            s.y_train[a++] = data->y[i];
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
    return (dial_fit_input){s->x_train,   s->n_train, s->d, s->y_train, DIAL_TASK_CLASSIFICATION,
                            s->n_classes, NULL,       0,    NULL};
}

static dial_fit_input test_input(const split_data *s) {
    return (dial_fit_input){s->x_test,    s->n_test, s->d, NULL, DIAL_TASK_CLASSIFICATION,
                            s->n_classes, NULL,      0,    NULL};
}

/* Log loss as the reference script computes it: probabilities clipped to
 * [1e-15, 1 - 1e-15] and each row renormalised. */
static double log_loss(const double *y, const double *proba, size_t n, size_t n_classes) {
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double row = 0, mine = 0;
        for (size_t c = 0; c < n_classes; c++) {
            double p = fmin(fmax(proba[i * n_classes + c], 1e-15), 1 - 1e-15);
            row += p;
            if (c == (size_t)y[i]) mine = p;
        }
        total -= log(mine / row);
    }
    return total / (double)n;
}

typedef struct reference {
    const char *path, *target;
    double accuracy, log_loss; /* scikit-learn's */
} reference;

/* Fits with settings and checks accuracy (within one point) and log loss
 * (within 1%) against scikit-learn. */
static void assert_matches(const reference *refs, size_t n, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    for (size_t r = 0; r < n; r++) {
        split_data s = load_split(refs[r].path, refs[r].target);
        dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, settings);
        dial_tensors learned = {0};
        dial_fit_input train = train_input(&s), test = test_input(&s);
        double *value = malloc(s.n_test * sizeof(double));
        double *proba = malloc(s.n_test * s.n_classes * sizeof(double));
        assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
        assert_dial_ok(ctx, dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                           &(dial_predict_output){value, proba}));
        double accuracy, loss = log_loss(s.y_test, proba, s.n_test, s.n_classes);
        assert_dial_ok(ctx, dial_metric_score(ctx, DIAL_METRIC_ACCURACY, s.y_test, value, NULL,
                                              s.n_test, s.n_classes, &accuracy));
        if (fabs(accuracy - refs[r].accuracy) > 0.01 ||
            fabs(loss - refs[r].log_loss) > 0.01 * refs[r].log_loss)
            fail_msg("%s: accuracy %.6f log loss %.6f, scikit-learn %.6f and %.6f", refs[r].path,
                     accuracy, loss, refs[r].accuracy, refs[r].log_loss);
        free(value);
        free(proba);
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
        free_split(&s);
    }
    dial_ctx_free(ctx);
}

/* ---- against scikit-learn ------------------------------------------ */

static void test_accuracy_and_log_loss_match_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/iris.csv", "species", 0.966667, 0.114948},
        {"data/wine.csv", "cultivar", 0.944444, 0.225030},
        {"data/breast_cancer.csv", "diagnosis", 0.921053, 0.973390},
        {"data/digits.csv", "digit", 0.827778, 3.494422},
    };
    assert_matches(refs, sizeof refs / sizeof refs[0], NULL);
}

static void test_uniform_priors_match_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/iris.csv", "species", 0.966667, 0.114948},
        {"data/wine.csv", "cultivar", 0.944444, 0.226179},
        {"data/breast_cancer.csv", "diagnosis", 0.921053, 0.952707},
        {"data/digits.csv", "digit", 0.827778, 3.494237},
    };
    assert_matches(refs, sizeof refs / sizeof refs[0],
                   (const char *const[]){"priors=uniform", NULL});
}

/* scikit-learn's theta_ and var_ of iris' first class (setosa). */
static void test_iris_setosa_parameters_match_sklearn(void **state) {
    (void)state;
    static const double mean[] = {4.9675, 3.4175, 1.455, 0.2425};
    static const double var[] = {0.124693753046, 0.131443753046, 0.0304750030455, 0.0119437530455};
    dial_ctx *ctx = test_ctx();
    split_data s = load_split("data/iris.csv", "species");
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = train_input(&s);
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    const double *m = dial_tensors_find(&learned, "mean")->data;
    const double *v = dial_tensors_find(&learned, "var")->data;
    for (size_t j = 0; j < 4; j++) {
        assert_float_equal(m[j], mean[j], 1e-12);
        assert_float_equal(v[j], var[j], 1e-11);
    }
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* ---- learned parameters --------------------------------------------- */

/* Means and variances recomputed here the plain way, one class at a time. */
static void test_learned_means_and_variances_are_the_per_class_ones(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s = load_split("data/wine.csv", "cultivar");
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes,
                                  (const char *const[]){"var_smoothing=0.001", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = train_input(&s);
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    const dial_tensor *tm = dial_tensors_find(&learned, "mean");
    const dial_tensor *tv = dial_tensors_find(&learned, "var");
    const dial_tensor *tp = dial_tensors_find(&learned, "class_prior");
    assert_int_equal(tm->ndim, 2);
    assert_int_equal(tm->shape[0], 3);
    assert_int_equal(tm->shape[1], s.d);
    assert_int_equal(tv->shape[0], 3);
    assert_int_equal(tv->shape[1], s.d);
    assert_int_equal(tp->shape[0], 3);

    double largest = 0; /* the largest variance of a feature over all rows */
    for (size_t j = 0; j < s.d; j++) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < s.n_train; i++) sum += s.x_train[i * s.d + j];
        for (size_t i = 0; i < s.n_train; i++) {
            double e = s.x_train[i * s.d + j] - sum / (double)s.n_train;
            sq += e * e;
        }
        if (sq / (double)s.n_train > largest) largest = sq / (double)s.n_train;
    }
    for (size_t c = 0; c < 3; c++) {
        size_t count = 0;
        for (size_t i = 0; i < s.n_train; i++) count += s.y_train[i] == (double)c;
        assert_float_equal(((double *)tp->data)[c], (double)count / (double)s.n_train, 1e-15);
        for (size_t j = 0; j < s.d; j++) {
            double sum = 0, sq = 0;
            for (size_t i = 0; i < s.n_train; i++)
                if (s.y_train[i] == (double)c) sum += s.x_train[i * s.d + j];
            double mean = sum / (double)count;
            for (size_t i = 0; i < s.n_train; i++)
                if (s.y_train[i] == (double)c)
                    sq += (s.x_train[i * s.d + j] - mean) * (s.x_train[i * s.d + j] - mean);
            double var = sq / (double)count + 0.001 * largest;
            assert_float_equal(((double *)tm->data)[c * s.d + j], mean, 1e-9 * fabs(mean));
            assert_float_equal(((double *)tv->data)[c * s.d + j], var, 1e-9 * var);
        }
    }
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* ---- predictions ---------------------------------------------------- */

/* Digits gives log-likelihoods in the thousands: the probabilities must
 * still be finite, sum to one, and agree with the predicted class. */
static void test_probabilities_survive_huge_log_likelihoods(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s = load_split("data/digits.csv", "digit");
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = train_input(&s), test = test_input(&s);
    double *value = malloc(s.n_test * sizeof(double));
    double *proba = malloc(s.n_test * 10 * sizeof(double));
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                       &(dial_predict_output){value, proba}));
    for (size_t i = 0; i < s.n_test; i++) {
        double sum = 0;
        for (size_t c = 0; c < 10; c++) {
            assert_true(isfinite(proba[i * 10 + c]));
            assert_true(proba[i * 10 + c] <= proba[i * 10 + (size_t)value[i]]);
            sum += proba[i * 10 + c];
        }
        assert_float_equal(sum, 1, 1e-12);
    }
    free(value);
    free(proba);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_predictions_do_not_depend_on_thread_count(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s = load_split("data/digits.csv", "digit");
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = train_input(&s), test = test_input(&s);
    size_t n = s.n_test;
    double *v1 = malloc(n * sizeof(double)), *v2 = malloc(n * sizeof(double));
    double *p1 = malloc(n * 10 * sizeof(double)), *p2 = malloc(n * 10 * sizeof(double));
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                       &(dial_predict_output){v1, p1}));
    dial_ctx_set_threads(ctx, 2);
    assert_dial_ok(ctx, dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                       &(dial_predict_output){v2, p2}));
    assert_memory_equal(v1, v2, n * sizeof(double));
    assert_memory_equal(p1, p2, n * 10 * sizeof(double));
    free(v1);
    free(v2);
    free(p1);
    free(p2);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* A fold may miss a class: it gets prior 0 and is never predicted. */
static void test_class_absent_from_training_is_never_predicted(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {0, 1, 10, 11}, y[] = {0, 0, 2, 2}, query[] = {5, 0.5, 10.5};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_naive_bayes, (const char *const[]){"priors=uniform", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = {x, 4, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_fit_input test = {query, 3, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    double value[3], proba[9];
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    const double *prior = dial_tensors_find(&learned, "class_prior")->data;
    assert_true(prior[0] == 0.5 && prior[1] == 0 && prior[2] == 0.5);
    assert_dial_ok(ctx, dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                       &(dial_predict_output){value, proba}));
    assert_true(value[1] == 0 && value[2] == 2);
    for (size_t i = 0; i < 3; i++) assert_true(proba[i * 3 + 1] == 0 && value[i] != 1);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- failures ------------------------------------------------------- */

static void test_zero_variance_without_smoothing_is_a_numeric_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    split_data s = load_split("data/digits.csv", "digit");
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_naive_bayes, (const char *const[]){"var_smoothing=0", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = train_input(&s);
    /* pixel_0_0 is blank in every image */
    assert_dial_error(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned),
                      DIAL_ERR_NUMERIC,
                      "naive_bayes: feature 0 has zero variance in class 0; set var_smoothing > "
                      "0 (it is 0)");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_regression_is_unsupported(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {0, 1}, y[] = {0.5, 1.5};
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 2, 1, y, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    assert_dial_error(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned),
                      DIAL_ERR_UNSUPPORTED,
                      "naive_bayes does classification only (with at least one class), got "
                      "regression");
    assert_false(dial_model_naive_bayes.tasks & DIAL_TASK_BIT(DIAL_TASK_REGRESSION));
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_without_var_is_a_format_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    double *data;
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "class_prior", DIAL_F64, 1, (size_t[]){2},
                                         (void **)&data));
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "mean", DIAL_F64, 2, (size_t[]){2, 1},
                                         (void **)&data));
    const double query[] = {0};
    double value;
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_error(ctx,
                      dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                     &(dial_predict_output){&value, NULL}),
                      DIAL_ERR_FORMAT, "naive_bayes: the learned tensor 'var' is missing");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_rejects_a_negative_variance(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {0, 1, 10, 11}, y[] = {0, 0, 1, 1}, query[] = {3};
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 4, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_naive_bayes.fit(ctx, &knobs, &train, &learned));
    ((double *)dial_tensors_find(&learned, "var")->data)[1] = -1;
    double value;
    assert_dial_error(ctx,
                      dial_model_naive_bayes.predict(ctx, &knobs, &learned, &test,
                                                     &(dial_predict_output){&value, NULL}),
                      DIAL_ERR_FORMAT,
                      "naive_bayes: class 1, feature 0 has mean 10.5 and variance -1; expected "
                      "finite values and a positive variance");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_negative_var_smoothing_is_refused_by_the_knobs(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "var_smoothing", "-1"), DIAL_ERR_KNOB,
                      "knob 'var_smoothing' = -1 is out of range: must be >= 0");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- through the pipeline --------------------------------------------- */

/* Fits naive_bayes through dial_model_fit on the fixed split's training rows
 * and checks accuracy and log loss on its test rows against scikit-learn;
 * the model, saved and loaded, must predict exactly the same. */
static void assert_pipeline_matches(const reference *ref) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, ref->path, ref->target, &table);
    size_t n = data->n_rows, c = data->n_classes, *tr = malloc(n * sizeof *tr),
           *te = malloc(n * sizeof *te), a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            te[b++] = i;
        else
            tr[a++] = i;
    }
    dial_view train = {data, tr, a}, test = {data, te, b};
    dial_knobs knobs = test_knobs(ctx, &dial_model_naive_bayes, NULL);
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_naive_bayes, &knobs, &train, &model));
    double *value = malloc(b * sizeof(double)), *proba = malloc(b * c * sizeof(double));
    double *value2 = malloc(b * sizeof(double)), *proba2 = malloc(b * c * sizeof(double));
    double *truth = malloc(b * sizeof(double));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test, value, proba));
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "nb.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &test, value2, proba2));
    assert_memory_equal(value, value2, b * sizeof(double));
    assert_memory_equal(proba, proba2, b * c * sizeof(double));

    for (size_t i = 0; i < b; i++) truth[i] = data->y[te[i]];
    double accuracy, loss = log_loss(truth, proba, b, c);
    assert_dial_ok(
        ctx, dial_metric_score(ctx, DIAL_METRIC_ACCURACY, truth, value, NULL, b, c, &accuracy));
    if (fabs(accuracy - ref->accuracy) > 0.01 || fabs(loss - ref->log_loss) > 0.01 * ref->log_loss)
        fail_msg("%s: accuracy %.6f log loss %.6f, scikit-learn %.6f and %.6f", ref->path, accuracy,
                 loss, ref->accuracy, ref->log_loss);
    free(bytes);
    free(value);
    free(value2);
    free(proba);
    free(proba2);
    free(truth);
    free(tr);
    free(te);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_pipeline_matches_sklearn_and_survives_saving(void **state) {
    (void)state;
    static const reference refs[] = {
        {"data/iris.csv", "species", 0.966667, 0.114948},
        {"data/wine.csv", "cultivar", 0.944444, 0.225030},
        {"data/breast_cancer.csv", "diagnosis", 0.921053, 0.973390},
        {"data/digits.csv", "digit", 0.827778, 3.494422},
    };
    for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) assert_pipeline_matches(&refs[r]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_and_log_loss_match_sklearn),
        cmocka_unit_test(test_uniform_priors_match_sklearn),
        cmocka_unit_test(test_iris_setosa_parameters_match_sklearn),
        cmocka_unit_test(test_learned_means_and_variances_are_the_per_class_ones),
        cmocka_unit_test(test_probabilities_survive_huge_log_likelihoods),
        cmocka_unit_test(test_predictions_do_not_depend_on_thread_count),
        cmocka_unit_test(test_class_absent_from_training_is_never_predicted),
        cmocka_unit_test(test_zero_variance_without_smoothing_is_a_numeric_error),
        cmocka_unit_test(test_regression_is_unsupported),
        cmocka_unit_test(test_predict_without_var_is_a_format_error),
        cmocka_unit_test(test_predict_rejects_a_negative_variance),
        cmocka_unit_test(test_negative_var_smoothing_is_refused_by_the_knobs),
        cmocka_unit_test(test_pipeline_matches_sklearn_and_survives_saving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
