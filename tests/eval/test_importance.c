/* Permutation importance on real models: on iris the petal measurements
 * matter and sepal_width barely does; a column of pure noise gets about 0;
 * the result depends on the seed alone, not on the thread count; and the
 * caller's data is never touched. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEPAL_LENGTH, SEPAL_WIDTH, PETAL_LENGTH, PETAL_WIDTH };

/* Fits model_name on every row of data with the given "name=value" knobs
 * (NULL-terminated), or fails the test. */
static dial_model *fit_model(dial_ctx *ctx, const char *model_name, const dial_dataset *data,
                             const char *const *assignments) {
    const dial_model_family *family = NULL;
    assert_dial_ok(ctx, dial_model_family_lookup(ctx, model_name, &family));
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    for (size_t i = 0; assignments && assignments[i]; i++)
        assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, assignments[i]));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, family, &knobs, &all, &model));
    dial_knobs_free(&knobs);
    return model;
}

typedef struct iris_fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_model *model;
} iris_fixture;

static iris_fixture iris_with(const char *model_name, const char *const *assignments) {
    iris_fixture f = {.ctx = test_ctx()};
    f.data = test_load_dataset(f.ctx, "data/iris.csv", "species", &f.table);
    f.model = fit_model(f.ctx, model_name, f.data, assignments);
    return f;
}

static void iris_free(iris_fixture *f) {
    dial_model_free(f->model);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static void assert_petals_above_sepal_width(const dial_importance_result *r) {
    assert_int_equal(r->n_features, 4);
    assert_true(r->mean[PETAL_LENGTH] > r->mean[SEPAL_WIDTH]);
    assert_true(r->mean[PETAL_WIDTH] > r->mean[SEPAL_WIDTH]);
    /* Without either petal measurement a model confuses whole species. */
    assert_true(fmax(r->mean[PETAL_LENGTH], r->mean[PETAL_WIDTH]) > 0.1);
}

static void test_importance_of_a_tree_on_iris_ranks_the_petals_above_sepal_width(void **state) {
    iris_fixture f = iris_with("tree", (const char *const[]){"max_depth=3", NULL});
    dial_importance_result r;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 5, 7, &r));
    assert_petals_above_sepal_width(&r);
    assert_int_equal(r.metric, DIAL_METRIC_ACCURACY);
    assert_int_equal(r.repeats, 5);
    assert_true(r.baseline > 0.95);
    dial_importance_result_free(&r);
    iris_free(&f);
}

static void test_importance_of_logistic_on_iris_ranks_the_petals_above_sepal_width(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_importance_result r;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 5, 7, &r));
    assert_petals_above_sepal_width(&r);
    dial_importance_result_free(&r);
    iris_free(&f);
}

/* log_loss is lower-is-better: the sign is flipped so that shuffling an
 * important feature still gives a positive importance. */
static void
test_importance_with_a_lower_is_better_metric_is_positive_for_a_used_feature(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_importance_result r;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_LOG_LOSS, 3, 7, &r));
    assert_true(r.mean[PETAL_LENGTH] > 0.1 || r.mean[PETAL_WIDTH] > 0.1);
    assert_petals_above_sepal_width(&r);
    dial_importance_result_free(&r);
    iris_free(&f);
}

/* rmse on diabetes: bmi and s5 are the strongest predictors of a linear
 * model, sex and age among the weakest. */
static void test_importance_of_linear_regression_on_diabetes_ranks_bmi_above_age(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    dial_model *model = fit_model(ctx, "linear", data, NULL);
    dial_importance_result r;
    assert_dial_ok(ctx, dial_importance_permutation(ctx, model, data, DIAL_METRIC_RMSE, 3, 1, &r));
    long age = dial_table_find(table, "age"), bmi = dial_table_find(table, "bmi");
    assert_true(age == 0 && bmi == 2); /* features keep the file's order before the target */
    assert_true(r.mean[bmi] > 5);
    assert_true(r.mean[bmi] > r.mean[age]);
    assert_true(r.baseline > 40 && r.baseline < 70);
    dial_importance_result_free(&r);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* iris with a fifth column of uniform noise, made from a fixed stream. */
static char *iris_with_noise_csv(size_t *length) {
    size_t size = 0;
    char *iris = test_read_file("data/iris.csv", &size);
    size_t capacity = size * 2 + 64, used = 0;
    char *out = malloc(capacity);
    assert_non_null(out);
    dial_rng rng = dial_rng_stream(2024, 0);
    bool header = true;
    for (char *line = strtok(iris, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        if (header)
            used += (size_t)snprintf(out + used, capacity - used, "noise,%s\n", line);
        else
            used += (size_t)snprintf(out + used, capacity - used, "%.6f,%s\n",
                                     dial_rng_uniform(&rng), line);
        header = false;
        assert_true(used < capacity);
    }
    free(iris);
    *length = used;
    return out;
}

static void test_importance_of_a_pure_noise_column_is_near_zero(void **state) {
    dial_ctx *ctx = test_ctx();
    size_t length = 0;
    char *csv = iris_with_noise_csv(&length);
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "iris+noise", csv, length, NULL, &table));
    free(csv);
    dial_dataset *data = NULL;
    assert_dial_ok(ctx,
                   dial_dataset_from_table(ctx, table, "species", DIAL_TASK_CLASSIFICATION, &data));
    assert_string_equal(data->features[0]->name, "noise");
    dial_model *model = fit_model(ctx, "logistic", data, NULL);
    dial_importance_result r;
    assert_dial_ok(ctx,
                   dial_importance_permutation(ctx, model, data, DIAL_METRIC_ACCURACY, 10, 3, &r));
    assert_int_equal(r.n_features, 5);
    assert_true(fabs(r.mean[0]) < 0.02);
    assert_true(r.mean[1 + PETAL_LENGTH] > 0.02 || r.mean[1 + PETAL_WIDTH] > 0.02);
    dial_importance_result_free(&r);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A categorical feature is shuffled as level indices, its levels shared with
 * the caller's column: the model reads them by name as for any input. */
static void test_importance_shuffles_categorical_features_too(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Status", &table);
    dial_model *model = fit_model(ctx, "tree", data, (const char *const[]){"max_depth=4", NULL});
    long records = dial_table_find(table, "Records");
    assert_int_equal(table->cols[records].type, DIAL_COLUMN_CATEGORICAL);
    size_t feature = 0;
    while (data->features[feature] != &table->cols[records]) feature++;
    dial_importance_result r;
    assert_dial_ok(ctx,
                   dial_importance_permutation(ctx, model, data, DIAL_METRIC_ACCURACY, 2, 1, &r));
    assert_int_equal(r.n_features, data->n_features);
    /* Records (past payment trouble) is among the strongest signals of credit risk. */
    assert_true(r.mean[feature] > 0.005);
    for (size_t j = 0; j < r.n_features; j++) assert_true(isfinite(r.mean[j]));
    dial_importance_result_free(&r);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void assert_results_equal(const dial_importance_result *a, const dial_importance_result *b) {
    assert_int_equal(a->n_features, b->n_features);
    assert_int_equal(a->repeats, b->repeats);
    assert_memory_equal(&a->baseline, &b->baseline, sizeof(double));
    assert_memory_equal(a->mean, b->mean, a->n_features * sizeof(double));
    assert_memory_equal(a->std, b->std, a->n_features * sizeof(double));
    assert_memory_equal(a->importance, b->importance, a->n_features * a->repeats * sizeof(double));
}

static void test_importance_is_the_same_for_the_same_seed(void **state) {
    iris_fixture f = iris_with("tree", (const char *const[]){"max_depth=3", NULL});
    dial_importance_result a, b, c;
    assert_dial_ok(f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY,
                                                      4, 11, &a));
    assert_dial_ok(f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY,
                                                      4, 11, &b));
    assert_dial_ok(f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY,
                                                      4, 12, &c));
    assert_results_equal(&a, &b);
    /* another seed shuffles differently */
    assert_memory_not_equal(a.importance, c.importance, 4 * 4 * sizeof(double));
    dial_importance_result_free(&a);
    dial_importance_result_free(&b);
    dial_importance_result_free(&c);
    iris_free(&f);
}

static void test_importance_is_the_same_on_one_or_two_threads(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_importance_result one, two;
    assert_dial_ok(f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_LOG_LOSS,
                                                      3, 5, &one));
    dial_ctx_set_threads(f.ctx, 2);
    assert_dial_ok(f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_LOG_LOSS,
                                                      3, 5, &two));
    assert_results_equal(&one, &two);
    dial_importance_result_free(&one);
    dial_importance_result_free(&two);
    iris_free(&f);
}

static void test_importance_leaves_the_callers_data_unchanged(void **state) {
    iris_fixture f = iris_with("tree", (const char *const[]){"max_depth=3", NULL});
    size_t n = f.table->n_rows, cols = f.table->n_cols;
    double *before = malloc(n * cols * sizeof *before);
    assert_non_null(before);
    for (size_t j = 0; j < cols; j++)
        memcpy(&before[j * n], f.table->cols[j].values, n * sizeof *before);
    const dial_column *features[4];
    memcpy(features, f.data->features, sizeof features);
    dial_ctx_set_threads(f.ctx, 2);
    dial_importance_result r;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 3, 1, &r));
    for (size_t j = 0; j < cols; j++)
        assert_memory_equal(&before[j * n], f.table->cols[j].values, n * sizeof *before);
    assert_memory_equal(features, f.data->features, sizeof features);
    dial_importance_result_free(&r);
    free(before);
    iris_free(&f);
}

/* The baseline is the model's plain score on the data. */
static void test_importance_baseline_is_the_score_of_the_unshuffled_data(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    size_t n = f.data->n_rows;
    double *value = malloc(n * sizeof *value), expected = 0;
    assert_non_null(value);
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_predict(f.ctx, f.model, &all, value, NULL));
    assert_dial_ok(f.ctx, dial_metric_score(f.ctx, DIAL_METRIC_ACCURACY, f.data->y, value, NULL, n,
                                            3, &expected));
    dial_importance_result r;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 2, 1, &r));
    assert_true(r.baseline == expected);
    for (size_t j = 0; j < r.n_features; j++) {
        double mean = (r.importance[j * 2] + r.importance[j * 2 + 1]) / 2;
        assert_true(fabs(r.mean[j] - mean) < 1e-12);
        assert_true(fabs(r.std[j] - fabs(r.importance[j * 2] - r.importance[j * 2 + 1]) / 2) <
                    1e-12);
    }
    dial_importance_result_free(&r);
    free(value);
    iris_free(&f);
}

static void test_importance_with_zero_repeats_fails(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_importance_result r;
    assert_dial_error(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 0, 1, &r),
        DIAL_ERR_ARGUMENT, "repeats = 0 is out of range: permutation importance needs >= 1");
    assert_null(r.mean);
    iris_free(&f);
}

static void test_importance_on_a_dataset_without_a_target_fails(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, f.model, f.table, &bound));
    dial_importance_result r;
    assert_dial_error(
        f.ctx, dial_importance_permutation(f.ctx, f.model, bound, DIAL_METRIC_ACCURACY, 3, 1, &r),
        DIAL_ERR_ARGUMENT, "permutation importance needs a dataset with a target");
    dial_dataset_free(bound);
    iris_free(&f);
}

static void test_importance_with_a_metric_of_the_other_task_fails(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    dial_importance_result r;
    assert_dial_error(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_RMSE, 3, 1, &r),
        DIAL_ERR_ARGUMENT,
        "metric 'rmse' is for regression, but the target 'species' is a classification target");
    iris_free(&f);
}

static void test_importance_with_a_target_outside_the_models_classes_fails(void **state) {
    iris_fixture f = iris_with("logistic", NULL);
    f.data->y[1] = 7;
    dial_importance_result r;
    assert_dial_error(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_ACCURACY, 3, 1, &r),
        DIAL_ERR_ARGUMENT, "target of row 2 is 7, not a class index of the model (0 to 2)");
    iris_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_importance_of_a_tree_on_iris_ranks_the_petals_above_sepal_width),
        cmocka_unit_test(test_importance_of_logistic_on_iris_ranks_the_petals_above_sepal_width),
        cmocka_unit_test(
            test_importance_with_a_lower_is_better_metric_is_positive_for_a_used_feature),
        cmocka_unit_test(test_importance_of_linear_regression_on_diabetes_ranks_bmi_above_age),
        cmocka_unit_test(test_importance_of_a_pure_noise_column_is_near_zero),
        cmocka_unit_test(test_importance_shuffles_categorical_features_too),
        cmocka_unit_test(test_importance_is_the_same_for_the_same_seed),
        cmocka_unit_test(test_importance_is_the_same_on_one_or_two_threads),
        cmocka_unit_test(test_importance_leaves_the_callers_data_unchanged),
        cmocka_unit_test(test_importance_baseline_is_the_score_of_the_unshuffled_data),
        cmocka_unit_test(test_importance_with_zero_repeats_fails),
        cmocka_unit_test(test_importance_on_a_dataset_without_a_target_fails),
        cmocka_unit_test(test_importance_with_a_metric_of_the_other_task_fails),
        cmocka_unit_test(test_importance_with_a_target_outside_the_models_classes_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
