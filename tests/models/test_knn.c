/* k-nearest neighbours: the family on matrices, and through the pipeline.
 * Reference figures come from tests/models/reference_nb_knn.py (scikit-learn
 * 1.2); the split is fixed: rows with index % 5 == 0 test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const dial_model_family dial_model_knn;

/* ---- helpers -------------------------------------------------------- */

/* A dataset as dense train and test matrices, scaled like scikit-learn's
 * StandardScaler fitted on the training rows (population deviation). */
typedef struct split_data {
    size_t n_train, n_test, d, n_classes;
    dial_task task;
    double *x_train, *y_train, *x_test, *y_test;
} split_data;

static split_data load_split(const char *path, const char *target, bool scale) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    split_data s = {.d = data->n_features, .n_classes = data->n_classes, .task = data->task};
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
    if (scale) {
        for (size_t j = 0; j < s.d; j++) {
            double mean = 0, var = 0;
            for (size_t i = 0; i < s.n_train; i++) mean += s.x_train[i * s.d + j];
            mean /= (double)s.n_train;
            for (size_t i = 0; i < s.n_train; i++)
                var += (s.x_train[i * s.d + j] - mean) * (s.x_train[i * s.d + j] - mean);
            double sd = sqrt(var / (double)s.n_train);
            if (sd == 0) sd = 1;
            for (size_t i = 0; i < s.n_train; i++)
                s.x_train[i * s.d + j] = (s.x_train[i * s.d + j] - mean) / sd;
            for (size_t i = 0; i < s.n_test; i++)
                s.x_test[i * s.d + j] = (s.x_test[i * s.d + j] - mean) / sd;
        }
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
    return (dial_fit_input){s->x_train,   s->n_train, s->d, s->y_train, s->task,
                            s->n_classes, NULL,       0,    NULL};
}

static dial_fit_input test_input(const split_data *s) {
    return (dial_fit_input){s->x_test, s->n_test, s->d, NULL, s->task, s->n_classes, NULL, 0, NULL};
}

/* Fits on the training rows and predicts the test rows into value (and
 * proba when not NULL). */
static void fit_predict(dial_ctx *ctx, const split_data *s, const char *const *settings,
                        double *value, double *proba) {
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, settings);
    dial_tensors learned = {0};
    dial_fit_input train = train_input(s), test = test_input(s);
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    dial_predict_output out = {value, proba};
    assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &learned, &test, &out));
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
}

static double score(const split_data *s, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    double *value = malloc(s->n_test * sizeof(double)), result;
    fit_predict(ctx, s, settings, value, NULL);
    dial_metric metric = s->task == DIAL_TASK_REGRESSION ? DIAL_METRIC_R2 : DIAL_METRIC_ACCURACY;
    assert_dial_ok(ctx, dial_metric_score(ctx, metric, s->y_test, value, NULL, s->n_test,
                                          s->n_classes, &result));
    free(value);
    dial_ctx_free(ctx);
    return result;
}

typedef struct reference {
    const char *path, *target;
    double figure; /* scikit-learn's accuracy or R^2 */
} reference;

/* Asserts that knn with settings scores within tolerance of scikit-learn
 * on each dataset. */
static void assert_matches(const reference *refs, size_t n, const char *const *settings,
                           double tolerance) {
    for (size_t r = 0; r < n; r++) {
        split_data s = load_split(refs[r].path, refs[r].target, true);
        double got = score(&s, settings);
        if (fabs(got - refs[r].figure) > tolerance)
            fail_msg("%s: knn scored %.6f, scikit-learn %.6f", refs[r].path, got, refs[r].figure);
        free_split(&s);
    }
}

#define N_REFS(refs) (sizeof(refs) / sizeof((refs)[0]))

/* ---- accuracy against scikit-learn ------------------------------------- */

static void test_k1_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 0.966667},
                                     {"data/wine.csv", "cultivar", 0.972222},
                                     {"data/breast_cancer.csv", "diagnosis", 0.947368},
                                     {"data/digits.csv", "digit", 0.961111}};
    assert_matches(refs, N_REFS(refs), (const char *const[]){"k=1", NULL}, 0.01);
}

static void test_k5_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 0.966667},
                                     {"data/wine.csv", "cultivar", 1.0},
                                     {"data/breast_cancer.csv", "diagnosis", 0.956140},
                                     {"data/digits.csv", "digit", 0.969444}};
    assert_matches(refs, N_REFS(refs), NULL, 0.01);
}

static void test_k15_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 1.0},
                                     {"data/wine.csv", "cultivar", 0.944444},
                                     {"data/breast_cancer.csv", "diagnosis", 0.947368},
                                     {"data/digits.csv", "digit", 0.963889}};
    assert_matches(refs, N_REFS(refs), (const char *const[]){"k=15", NULL}, 0.01);
}

static void test_distance_weights_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 0.966667},
                                     {"data/wine.csv", "cultivar", 1.0},
                                     {"data/breast_cancer.csv", "diagnosis", 0.956140},
                                     {"data/digits.csv", "digit", 0.975}};
    assert_matches(refs, N_REFS(refs), (const char *const[]){"weights=distance", NULL}, 0.01);
}

static void test_manhattan_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 0.966667},
                                     {"data/wine.csv", "cultivar", 0.972222},
                                     {"data/breast_cancer.csv", "diagnosis", 0.964912},
                                     {"data/digits.csv", "digit", 0.963889}};
    assert_matches(refs, N_REFS(refs), (const char *const[]){"metric=manhattan", NULL}, 0.01);
}

static void test_minkowski_p3_accuracy_matches_sklearn(void **state) {
    (void)state;
    static const reference refs[] = {{"data/iris.csv", "species", 0.966667},
                                     {"data/wine.csv", "cultivar", 1.0},
                                     {"data/breast_cancer.csv", "diagnosis", 0.956140},
                                     {"data/digits.csv", "digit", 0.975}};
    assert_matches(refs, N_REFS(refs), (const char *const[]){"metric=minkowski", "p=3", NULL},
                   0.01);
}

static void test_regression_r2_matches_sklearn(void **state) {
    (void)state;
    static const reference k5[] = {{"data/diabetes.csv", "progression", 0.398186}};
    static const reference distance[] = {{"data/diabetes.csv", "progression", 0.403687}};
    static const reference manhattan[] = {{"data/diabetes.csv", "progression", 0.436739}};
    assert_matches(k5, 1, NULL, 0.01);
    assert_matches(distance, 1, (const char *const[]){"weights=distance", NULL}, 0.01);
    assert_matches(manhattan, 1, (const char *const[]){"k=15", "metric=manhattan", NULL}, 0.01);
}

/* ---- the two searches agree -------------------------------------------- */

/* kd_tree and brute force must find the same neighbours, ties included:
 * unscaled digits (small integers) have many rows at equal distance. */
static void test_kd_tree_and_brute_predict_identically(void **state) {
    (void)state;
    static const char *const metrics[][2] = {{"metric=euclidean", NULL},
                                             {"metric=manhattan", NULL},
                                             {"metric=minkowski", "p=3"},
                                             {"metric=minkowski", "p=2.5"}};
    static const char *const weights[] = {"weights=uniform", "weights=distance"};
    static const char *const ks[] = {"k=1", "k=7"};
    static const struct {
        const char *path, *target;
        bool scale;
    } sets[] = {{"data/digits.csv", "digit", false},
                {"data/iris.csv", "species", false},
                {"data/wine.csv", "cultivar", true},
                {"data/diabetes.csv", "progression", true}};
    dial_ctx *ctx = test_ctx();
    for (size_t d = 0; d < N_REFS(sets); d++) {
        split_data s = load_split(sets[d].path, sets[d].target, sets[d].scale);
        size_t c = s.n_classes ? s.n_classes : 1;
        double *v1 = malloc(s.n_test * sizeof(double)), *v2 = malloc(s.n_test * sizeof(double));
        double *p1 = malloc(s.n_test * c * sizeof(double)),
               *p2 = malloc(s.n_test * c * sizeof(double));
        for (size_t m = 0; m < 4; m++) {
            if (m == 3 && s.d > 16) continue; /* pow is slow on digits in a debug build */
            for (size_t w = 0; w < 2; w++)
                for (size_t k = 0; k < 2; k++) {
                    const char *brute[] = {"algorithm=brute", metrics[m][0], weights[w], ks[k],
                                           metrics[m][1],     NULL};
                    const char *tree[] = {"algorithm=kd_tree", metrics[m][0], weights[w], ks[k],
                                          metrics[m][1],       NULL};
                    bool proba = s.task == DIAL_TASK_CLASSIFICATION;
                    fit_predict(ctx, &s, brute, v1, proba ? p1 : NULL);
                    fit_predict(ctx, &s, tree, v2, proba ? p2 : NULL);
                    assert_memory_equal(v1, v2, s.n_test * sizeof(double));
                    if (proba) assert_memory_equal(p1, p2, s.n_test * c * sizeof(double));
                }
        }
        free(v1);
        free(v2);
        free(p1);
        free(p2);
        free_split(&s);
    }
    dial_ctx_free(ctx);
}

static void test_predictions_do_not_depend_on_thread_count(void **state) {
    (void)state;
    split_data s = load_split("data/digits.csv", "digit", true);
    dial_ctx *ctx = test_ctx();
    double *v1 = malloc(s.n_test * sizeof(double)), *v2 = malloc(s.n_test * sizeof(double));
    double *p1 = malloc(s.n_test * 10 * sizeof(double)),
           *p2 = malloc(s.n_test * 10 * sizeof(double));
    const char *settings[] = {"weights=distance", NULL};
    fit_predict(ctx, &s, settings, v1, p1);
    dial_ctx_set_threads(ctx, 2);
    fit_predict(ctx, &s, settings, v2, p2);
    assert_memory_equal(v1, v2, s.n_test * sizeof(double));
    assert_memory_equal(p1, p2, s.n_test * 10 * sizeof(double));
    free(v1);
    free(v2);
    free(p1);
    free(p2);
    free_split(&s);
    dial_ctx_free(ctx);
}

/* ---- small cases with known answers ---------------------------------- */

static void test_equal_distances_go_to_the_first_training_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    /* rows 0 and 1 are both at distance 1 from the query */
    const double x[] = {1, -1, 5}, y[] = {2, 1, 0}, query[] = {0};
    const char *algorithms[] = {"algorithm=brute", "algorithm=kd_tree"};
    for (size_t a = 0; a < 2; a++) {
        dial_knobs knobs =
            test_knobs(ctx, &dial_model_knn, (const char *const[]){"k=1", algorithms[a], NULL});
        dial_tensors learned = {0};
        dial_fit_input train = {x, 3, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
        dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
        double value;
        assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
        assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &learned, &test,
                                                   &(dial_predict_output){&value, NULL}));
        assert_true(value == 2);
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
    }
    dial_ctx_free(ctx);
}

static void test_tied_vote_goes_to_the_smallest_class(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {1, 2, 10}, y[] = {2, 1, 0}, query[] = {1.5};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, (const char *const[]){"k=2", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = {x, 3, 1, y, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 3, NULL, 0, NULL};
    double value, proba[3];
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &learned, &test,
                                               &(dial_predict_output){&value, proba}));
    assert_true(value == 1);
    assert_true(proba[0] == 0 && proba[1] == 0.5 && proba[2] == 0.5);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_exact_match_takes_all_the_distance_weight(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {0, 0.1, 0.2, 5}, y[] = {1, 0, 0, 1}, query[] = {0};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_knn, (const char *const[]){"k=3", "weights=distance", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = {x, 4, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    double value, proba[2];
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &learned, &test,
                                               &(dial_predict_output){&value, proba}));
    assert_true(value == 1);
    assert_true(proba[0] == 0 && proba[1] == 1);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_distance_weighted_regression_is_the_weighted_mean(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {1, 3, 10}, y[] = {10, 20, 1000}, query[] = {0};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_knn, (const char *const[]){"k=2", "weights=distance", NULL});
    dial_tensors learned = {0};
    dial_fit_input train = {x, 3, 1, y, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_REGRESSION, 0, NULL, 0, NULL};
    double value;
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &learned, &test,
                                               &(dial_predict_output){&value, NULL}));
    /* weights 1/1 and 1/3 */
    assert_float_equal(value, (10 * 1.0 + 20 / 3.0) / (1 + 1 / 3.0), 1e-12);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* k above the number of training rows: every row votes. Iris' training rows
 * hold 40 of each class, so every vote is a three-way tie. */
static void test_k_above_training_rows_uses_every_row(void **state) {
    (void)state;
    split_data s = load_split("data/iris.csv", "species", true);
    dial_ctx *ctx = test_ctx();
    double *value = malloc(s.n_test * sizeof(double)),
           *proba = malloc(s.n_test * 3 * sizeof(double));
    fit_predict(ctx, &s, (const char *const[]){"k=1000", NULL}, value, proba);
    for (size_t i = 0; i < s.n_test; i++) {
        assert_true(value[i] == 0);
        for (size_t c = 0; c < 3; c++) assert_float_equal(proba[i * 3 + c], 1.0 / 3, 1e-15);
    }
    free(value);
    free(proba);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_probabilities_are_neighbour_shares(void **state) {
    (void)state;
    split_data s = load_split("data/wine.csv", "cultivar", true);
    dial_ctx *ctx = test_ctx();
    double *value = malloc(s.n_test * sizeof(double)),
           *proba = malloc(s.n_test * 3 * sizeof(double));
    fit_predict(ctx, &s, (const char *const[]){"k=4", NULL}, value, proba);
    for (size_t i = 0; i < s.n_test; i++) {
        double sum = 0;
        for (size_t c = 0; c < 3; c++) {
            double quarters = proba[i * 3 + c] * 4;
            assert_true(quarters == floor(quarters));
            sum += proba[i * 3 + c];
        }
        assert_true(sum == 1);
        for (size_t c = 0; c < 3; c++)
            assert_true(proba[i * 3 + (size_t)value[i]] >= proba[i * 3 + c]);
    }
    free(value);
    free(proba);
    free_split(&s);
    dial_ctx_free(ctx);
}

static void test_fit_keeps_copies_of_the_training_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[] = {1, 2, 3, 4, 5, 6}, y[] = {0, 1, 1};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 3, 2, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    const dial_tensor *tx = dial_tensors_find(&learned, "x"),
                      *ty = dial_tensors_find(&learned, "y");
    assert_non_null(tx);
    assert_non_null(ty);
    assert_int_equal(tx->ndim, 2);
    assert_int_equal(tx->shape[0], 3);
    assert_int_equal(tx->shape[1], 2);
    assert_int_equal(ty->ndim, 1);
    assert_int_equal(ty->shape[0], 3);
    assert_memory_equal(tx->data, x, sizeof x);
    assert_memory_equal(ty->data, y, sizeof y);
    assert_ptr_not_equal(tx->data, x);
    assert_null(dial_model_knn.params);
    assert_non_null(strstr(dial_model_knn.nonparametric_doc, "training rows"));
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- failures ------------------------------------------------------ */

static void test_predict_without_x_is_a_format_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    double *y;
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, &learned, "y", DIAL_F64, 1, (size_t[]){2}, (void **)&y));
    const double query[] = {0, 0};
    double value;
    dial_fit_input test = {query, 1, 2, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_error(
        ctx,
        dial_model_knn.predict(ctx, &knobs, &learned, &test, &(dial_predict_output){&value, NULL}),
        DIAL_ERR_FORMAT, "knn: the learned tensor 'x' is missing");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_rejects_rows_of_another_width(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {1, 2, 3, 4}, y[] = {0, 1}, query[] = {1, 2, 3};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 2, 2, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_fit_input test = {query, 1, 3, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    double value;
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    assert_dial_error(
        ctx,
        dial_model_knn.predict(ctx, &knobs, &learned, &test, &(dial_predict_output){&value, NULL}),
        DIAL_ERR_FORMAT,
        "knn: the learned tensor 'x' must be f64 of shape [rows x 3] with at least "
        "one row");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_rejects_a_stored_class_out_of_range(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {1, 2}, y[] = {0, 1}, query[] = {1};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 2, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    ((double *)dial_tensors_find(&learned, "y")->data)[1] = 7;
    dial_fit_input test = {query, 1, 1, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    double value;
    assert_dial_error(
        ctx,
        dial_model_knn.predict(ctx, &knobs, &learned, &test, &(dial_predict_output){&value, NULL}),
        DIAL_ERR_FORMAT, "knn: learned tensor 'y' of row 1 is 7, expected a class index in 0..1");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_fit_rejects_a_missing_feature_value(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double x[] = {1, NAN}, y[] = {0, 1};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    dial_fit_input train = {x, 2, 1, y, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    assert_dial_error(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned), DIAL_ERR_DATA,
                      "knn: feature 0 of row 1 is nan; impute missing values first");
    assert_int_equal(learned.count, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_k_zero_is_refused_by_the_knobs(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    assert_dial_error(ctx, dial_knobs_set(ctx, &knobs, "k", "0"), DIAL_ERR_KNOB,
                      "knob 'k' = 0 is out of range: must be >= 1");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_p_with_euclidean_metric_is_refused_by_the_check(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "p", "3"));
    assert_dial_error(ctx, dial_knobs_check(ctx, &knobs), DIAL_ERR_KNOB,
                      "knob 'p' is inactive: it applies only when metric=minkowski");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- through the pipeline --------------------------------------------- */

/* The fixed split as two views of data (row arrays malloc'ed). */
static void split_views(const dial_dataset *data, dial_view *train, dial_view *test) {
    size_t n = data->n_rows, *tr = malloc(n * sizeof *tr), *te = malloc(n * sizeof *te), a = 0,
           b = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            te[b++] = i;
        else
            tr[a++] = i;
    }
    *train = (dial_view){data, tr, a};
    *test = (dial_view){data, te, b};
}

/* Fits knn with settings through dial_model_fit on the training rows of a
 * dataset and scores the test rows; also checks that the model, saved and
 * loaded, predicts exactly the same. */
static double pipeline_score(const char *path, const char *target, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    dial_view train, test;
    split_views(data, &train, &test);
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, settings);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_knn, &knobs, &train, &model));
    bool classes = data->task == DIAL_TASK_CLASSIFICATION;
    size_t c = classes ? data->n_classes : 1;
    double *value = malloc(test.n * sizeof(double)), *again = malloc(test.n * sizeof(double));
    double *proba = malloc(test.n * c * sizeof(double)),
           *proba2 = malloc(test.n * c * sizeof(double));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test, value, classes ? proba : NULL));

    unsigned char *bytes = NULL;
    size_t length = 0;
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "knn.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &test, again, classes ? proba2 : NULL));
    assert_memory_equal(value, again, test.n * sizeof(double));
    if (classes) assert_memory_equal(proba, proba2, test.n * c * sizeof(double));

    double *truth = malloc(test.n * sizeof(double)), result;
    for (size_t i = 0; i < test.n; i++) truth[i] = data->y[test.rows[i]];
    dial_metric metric = classes ? DIAL_METRIC_ACCURACY : DIAL_METRIC_R2;
    assert_dial_ok(
        ctx, dial_metric_score(ctx, metric, truth, value, NULL, test.n, classes ? c : 0, &result));
    free(truth);
    free(bytes);
    free(value);
    free(again);
    free(proba);
    free(proba2);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free((size_t *)train.rows);
    free((size_t *)test.rows);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return result;
}

static void test_pipeline_with_standard_scaling_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(pipeline_score("data/iris.csv", "species", NULL), 0.966667, 0.01);
    assert_float_equal(pipeline_score("data/wine.csv", "cultivar", NULL), 1.0, 0.01);
    assert_float_equal(pipeline_score("data/breast_cancer.csv", "diagnosis", NULL), 0.956140, 0.01);
    assert_float_equal(pipeline_score("data/digits.csv", "digit", NULL), 0.969444, 0.01);
    assert_float_equal(
        pipeline_score("data/digits.csv", "digit", (const char *const[]){"weights=distance", NULL}),
        0.975, 0.01);
}

static void test_pipeline_regression_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(pipeline_score("data/diabetes.csv", "progression", NULL), 0.398186, 0.01);
    assert_float_equal(pipeline_score("data/diabetes.csv", "progression",
                                      (const char *const[]){"k=15", "metric=manhattan", NULL}),
                       0.436739, 0.01);
}

/* Iris has 4 features: auto searches with the kd-tree, and a saved model
 * must rebuild the same tree. */
static void test_saved_model_predicts_identically_with_kd_tree(void **state) {
    (void)state;
    assert_float_equal(pipeline_score("data/iris.csv", "species",
                                      (const char *const[]){"algorithm=kd_tree", NULL}),
                       0.966667, 0.01);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k1_accuracy_matches_sklearn),
        cmocka_unit_test(test_k5_accuracy_matches_sklearn),
        cmocka_unit_test(test_k15_accuracy_matches_sklearn),
        cmocka_unit_test(test_distance_weights_accuracy_matches_sklearn),
        cmocka_unit_test(test_manhattan_accuracy_matches_sklearn),
        cmocka_unit_test(test_minkowski_p3_accuracy_matches_sklearn),
        cmocka_unit_test(test_regression_r2_matches_sklearn),
        cmocka_unit_test(test_kd_tree_and_brute_predict_identically),
        cmocka_unit_test(test_predictions_do_not_depend_on_thread_count),
        cmocka_unit_test(test_equal_distances_go_to_the_first_training_row),
        cmocka_unit_test(test_tied_vote_goes_to_the_smallest_class),
        cmocka_unit_test(test_exact_match_takes_all_the_distance_weight),
        cmocka_unit_test(test_distance_weighted_regression_is_the_weighted_mean),
        cmocka_unit_test(test_k_above_training_rows_uses_every_row),
        cmocka_unit_test(test_probabilities_are_neighbour_shares),
        cmocka_unit_test(test_fit_keeps_copies_of_the_training_rows),
        cmocka_unit_test(test_predict_without_x_is_a_format_error),
        cmocka_unit_test(test_predict_rejects_rows_of_another_width),
        cmocka_unit_test(test_predict_rejects_a_stored_class_out_of_range),
        cmocka_unit_test(test_fit_rejects_a_missing_feature_value),
        cmocka_unit_test(test_k_zero_is_refused_by_the_knobs),
        cmocka_unit_test(test_p_with_euclidean_metric_is_refused_by_the_check),
        cmocka_unit_test(test_pipeline_with_standard_scaling_matches_sklearn),
        cmocka_unit_test(test_pipeline_regression_matches_sklearn),
        cmocka_unit_test(test_saved_model_predicts_identically_with_kd_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
