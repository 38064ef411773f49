/* Fitted models: the pipeline around a family (schema, preprocessing,
 * facts), prediction, binding new tables, and the registry's look-up. The
 * family here is defined in the test: a nearest class mean, so that the
 * pipeline is tested apart from the real estimators. Reference figures come
 * from tests/models/reference_model.py. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/model_internal.h"

/* ---- a tiny family: nearest class mean, or the mean of y ----------------------- */

static const char *const class_mean_metric_choices[] = {"euclidean", "minkowski", NULL};

static const dial_knob_spec class_mean_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "metric",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "euclidean",
     .choices = class_mean_metric_choices,
     .condition = "",
     .doc = "only there to make p conditional"},
    {.name = "p",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "2",
     .lower = 1,
     .upper = INFINITY,
     .condition = "metric=minkowski",
     .doc = "unused"},
    {.name = "fail",
     .type = DIAL_KNOB_BOOL,
     .default_text = "false",
     .condition = "",
     .doc = "makes the fit fail, to test the clean-up"},
};

static dial_status class_mean_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                  dial_tensors *learned) {
    if (dial_knobs_bool(knobs, "fail")) return dial_fail(ctx, DIAL_ERR_NUMERIC, "asked to fail");
    size_t shape[2] = {in->n_features, 0};
    double *first = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "first_row", DIAL_F64, 1, shape, (void **)&first);
    if (status != DIAL_OK) return status;
    memcpy(first, in->x, in->n_features * sizeof *first);
    if (in->task == DIAL_TASK_REGRESSION) {
        double *mean = NULL;
        shape[0] = 1;
        status = dial_tensors_add(ctx, learned, "mean_y", DIAL_F64, 1, shape, (void **)&mean);
        if (status != DIAL_OK) return status;
        for (size_t i = 0; i < in->n_rows; i++) *mean += in->y[i];
        *mean /= (double)in->n_rows;
        return DIAL_OK;
    }
    double *centroid = NULL;
    shape[0] = in->n_classes;
    shape[1] = in->n_features;
    status = dial_tensors_add(ctx, learned, "centroid", DIAL_F64, 2, shape, (void **)&centroid);
    if (status != DIAL_OK) return status;
    size_t *count = calloc(in->n_classes, sizeof *count);
    for (size_t i = 0; i < in->n_rows; i++) {
        size_t c = (size_t)in->y[i];
        count[c]++;
        for (size_t k = 0; k < in->n_features; k++)
            centroid[c * in->n_features + k] += in->x[i * in->n_features + k];
    }
    for (size_t c = 0; c < in->n_classes; c++)
        for (size_t k = 0; k < in->n_features; k++)
            centroid[c * in->n_features + k] /= count[c] ? (double)count[c] : 1;
    free(count);
    return DIAL_OK;
}

static dial_status class_mean_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                      const dial_tensors *learned, const dial_fit_input *in,
                                      dial_predict_output *out) {
    (void)knobs;
    if (in->task == DIAL_TASK_REGRESSION) {
        const dial_tensor *mean = dial_tensors_find(learned, "mean_y");
        if (!mean) return dial_fail(ctx, DIAL_ERR_FORMAT, "no mean_y");
        for (size_t i = 0; i < in->n_rows; i++) out->value[i] = *(const double *)mean->data;
        return DIAL_OK;
    }
    const dial_tensor *t = dial_tensors_find(learned, "centroid");
    if (!t || t->ndim != 2 || t->shape[0] != in->n_classes || t->shape[1] != in->n_features)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "centroid missing or of the wrong shape");
    const double *centroid = t->data;
    for (size_t i = 0; i < in->n_rows; i++) {
        size_t best = 0;
        double best_distance = INFINITY;
        for (size_t c = 0; c < in->n_classes; c++) {
            double d = 0;
            for (size_t k = 0; k < in->n_features; k++) {
                double diff = in->x[i * in->n_features + k] - centroid[c * in->n_features + k];
                d += diff * diff;
            }
            if (d < best_distance) {
                best_distance = d;
                best = c;
            }
        }
        out->value[i] = (double)best;
        if (out->proba)
            for (size_t c = 0; c < in->n_classes; c++)
                out->proba[i * in->n_classes + c] = c == best;
    }
    return DIAL_OK;
}

static const dial_model_family class_mean = {
    .name = "class_mean",
    .summary = "nearest class mean (a test family)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = class_mean_knobs,
    .n_knobs = sizeof class_mean_knobs / sizeof class_mean_knobs[0],
    .nonparametric_doc = "class means",
    .fit = class_mean_fit,
    .predict = class_mean_predict,
};

/* The same estimator without probabilities and for regression only. */
static const dial_model_family mean_only = {
    .name = "mean_only",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = false,
    .knobs = class_mean_knobs,
    .n_knobs = sizeof class_mean_knobs / sizeof class_mean_knobs[0],
    .fit = class_mean_fit,
    .predict = class_mean_predict,
};

static const dial_model_family no_proba = {
    .name = "no_proba",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = false,
    .knobs = class_mean_knobs,
    .n_knobs = sizeof class_mean_knobs / sizeof class_mean_knobs[0],
    .fit = class_mean_fit,
    .predict = class_mean_predict,
};

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct fitted {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_knobs knobs;
    dial_model *model;
} fitted;

static fitted fit_family(const dial_model_family *family, const char *path, const char *target) {
    fitted f = {.ctx = test_ctx()};
    f.data = test_load_dataset(f.ctx, path, target, &f.table);
    assert_dial_ok(f.ctx, dial_model_knobs_init(f.ctx, family, &f.knobs));
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_fit(f.ctx, family, &f.knobs, &all, &f.model));
    return f;
}

static fitted fit_file(const char *path, const char *target) {
    return fit_family(&class_mean, path, target);
}

static void release(fitted *f) {
    dial_model_free(f->model);
    dial_knobs_free(&f->knobs);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static double *predict_all(dial_ctx *ctx, const dial_model *model, const dial_dataset *data) {
    double *value = calloc(data->n_rows ? data->n_rows : 1, sizeof *value);
    dial_view all = dial_view_all(data);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, NULL));
    return value;
}

static dial_table *parse_csv(dial_ctx *ctx, const char *text, dial_header_mode header) {
    dial_table *table = NULL;
    dial_csv_options options = {.header = header};
    assert_dial_ok(ctx, dial_csv_parse(ctx, "new.csv", text, strlen(text), &options, &table));
    return table;
}

typedef struct log_capture {
    int count;
    dial_log_level level;
    char last[1024];
} log_capture;

static void capture_log(void *user, dial_log_level level, const char *message) {
    log_capture *capture = user;
    capture->count++;
    capture->level = level;
    snprintf(capture->last, sizeof capture->last, "%s", message);
}

/* ---- the registry ---------------------------------------------------------------------- */

static void lookup_finds_a_registered_family(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const dial_model_family *family = NULL;
    assert_dial_ok(ctx, dial_model_family_lookup(ctx, "knn", &family));
    assert_ptr_equal(family, dial_model_family_find("knn"));
    dial_ctx_free(ctx);
}

static void lookup_suggests_the_closest_name(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const dial_model_family *family = NULL;
    assert_dial_error(
        ctx, dial_model_family_lookup(ctx, "knm", &family), DIAL_ERR_ARGUMENT,
        "unknown model 'knm'; did you mean 'knn'? models are: linear, logistic, "
        "linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan");
    assert_null(family);
    assert_dial_error(
        ctx, dial_model_family_lookup(ctx, "bagging", &family), DIAL_ERR_ARGUMENT,
        "unknown model 'bagging'; models are: linear, logistic, linsvm, naive_bayes, knn, "
        "svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan");
    dial_ctx_free(ctx);
}

/* Every registered table must parse its own defaults and conditions. */
static void every_family_knob_table_initialises(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    for (size_t i = 0; i < dial_model_family_count(); i++) {
        const dial_model_family *family = dial_model_family_at(i);
        dial_knobs knobs;
        assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
        assert_string_equal(knobs.model_name, family->name);
        assert_int_equal(knobs.n, family->n_knobs);
        assert_int_equal(dial_knobs_find(&knobs, "impute"), 0);
        assert_int_equal(dial_knobs_find(&knobs, "scale"), 1);
        dial_knobs_free(&knobs);
    }
    dial_ctx_free(ctx);
}

/* ---- fit and predict ---------------------------------------------------------------------- */

static void iris_nearest_mean_matches_scikit_learn(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    double *value = predict_all(f.ctx, f.model, f.data);
    size_t right = 0;
    for (size_t i = 0; i < f.data->n_rows; i++) right += value[i] == f.data->y[i];
    assert_int_equal(right, 128);
    free(value);
    release(&f);
}

static void credit_nearest_mean_matches_scikit_learn(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    double *value = predict_all(f.ctx, f.model, f.data);
    size_t right = 0;
    for (size_t i = 0; i < f.data->n_rows; i++) right += value[i] == f.data->y[i];
    assert_int_equal(right, 3313);
    free(value);
    release(&f);
}

static void family_sees_the_preprocessed_inputs(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    const dial_tensor *first = dial_tensors_find(dial_model_get_tensors(f.model), "first_row");
    assert_non_null(first);
    assert_int_equal(first->shape[0], 26);
    /* Seniority 9 standardised (mean 7.9867534800179616, sd 8.1733879127328279). */
    assert_true(fabs(((const double *)first->data)[0] -
                     (9 - 7.9867534800179616) / 8.1733879127328279) < 1e-12);
    release(&f);
}

static void diabetes_regression_predicts_the_mean(void **state) {
    (void)state;
    fitted f = fit_file("data/diabetes.csv", NULL);
    assert_int_equal(dial_model_get_task(f.model), DIAL_TASK_REGRESSION);
    assert_int_equal(dial_model_n_classes(f.model), 0);
    assert_null(dial_model_class_name(f.model, 0));
    double *value = predict_all(f.ctx, f.model, f.data);
    assert_true(fabs(value[0] - 152.13348416289594) < 1e-12);
    free(value);
    release(&f);
}

static void fit_on_a_view_uses_only_its_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    size_t rows[] = {1, 0};
    dial_view two = {.data = data, .rows = rows, .n = 2};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &two, &model));
    const dial_tensor *mean = dial_tensors_find(dial_model_get_tensors(model), "mean_y");
    assert_true(*(const double *)mean->data == (151.0 + 75.0) / 2);
    assert_int_equal(dial_model_get_facts(model)->n_rows, 2);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void predict_probabilities_when_the_family_has_them(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    double value[150], proba[150 * 3];
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_predict(f.ctx, f.model, &all, value, proba));
    for (size_t i = 0; i < 150; i++) assert_true(proba[i * 3 + (size_t)value[i]] == 1);
    release(&f);
}

static void probabilities_of_a_regression_are_unsupported(void **state) {
    (void)state;
    fitted f = fit_file("data/diabetes.csv", NULL);
    double value[442], proba[442];
    dial_view all = dial_view_all(f.data);
    assert_dial_error(f.ctx, dial_model_predict(f.ctx, f.model, &all, value, proba),
                      DIAL_ERR_UNSUPPORTED,
                      "model 'class_mean' does regression: it has no class probabilities");
    release(&f);
}

static void probabilities_of_a_family_without_them_are_unsupported(void **state) {
    (void)state;
    fitted f = fit_family(&no_proba, "data/iris.csv", NULL);
    double value[150], proba[150 * 3];
    dial_view all = dial_view_all(f.data);
    assert_dial_error(f.ctx, dial_model_predict(f.ctx, f.model, &all, value, proba),
                      DIAL_ERR_UNSUPPORTED,
                      "model 'no_proba' does not predict class probabilities");
    release(&f);
}

static void predict_of_no_rows_does_nothing(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    double value[1] = {-1};
    dial_view none = {.data = f.data, .rows = NULL, .n = 0};
    assert_dial_ok(f.ctx, dial_model_predict(f.ctx, f.model, &none, value, NULL));
    assert_true(value[0] == -1);
    release(&f);
}

/* ---- what fit refuses ------------------------------------------------------------------------ */

static void fit_checks_inactive_knobs(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "p", "3"));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model), DIAL_ERR_KNOB,
                      "knob 'p' is inactive: it applies only when metric=minkowski");
    assert_null(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void fit_refuses_a_task_the_family_does_not_do(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &mean_only, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &mean_only, &knobs, &all, &model),
                      DIAL_ERR_UNSUPPORTED, "model 'mean_only' does not do classification");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void fit_refuses_knobs_of_another_family(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    const dial_model_family *knn = dial_model_family_find("knn");
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, knn, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model),
                      DIAL_ERR_ARGUMENT,
                      "the knobs given are those of knn, not of model 'class_mean'");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void fit_refuses_data_without_a_target(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris.csv", NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model),
                      DIAL_ERR_ARGUMENT, "the training data has no target");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void fit_refuses_missing_values_with_impute_none(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Status", &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "impute", "none"));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model), DIAL_ERR_DATA,
                      "feature 'Home' is missing on row 30 and impute=none; set impute to mean, "
                      "median or most_frequent, or remove the row");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void failing_family_fit_is_passed_on(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "fail", "true"));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model), DIAL_ERR_NUMERIC,
                      "asked to fail");
    assert_null(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- what the model keeps
 * ------------------------------------------------------------------------ */

static void model_owns_its_schema_after_the_data_is_freed(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    double *before = predict_all(f.ctx, f.model, f.data);
    dial_dataset_free(f.data);
    dial_table_free(f.table);
    f.data = NULL;
    f.table = NULL;
    dial_knobs_free(&f.knobs);
    const dial_model *m = f.model;
    assert_string_equal(dial_model_target_name(m), "Status");
    assert_int_equal(dial_model_n_classes(m), 2);
    assert_string_equal(dial_model_class_name(m, 0), "bad");
    assert_string_equal(dial_model_class_name(m, 1), "good");
    assert_int_equal(dial_model_n_features(m), 13);
    assert_string_equal(dial_model_feature_name(m, 1), "Home");
    assert_int_equal(dial_model_feature_type(m, 1), DIAL_COLUMN_CATEGORICAL);
    assert_int_equal(dial_model_feature_n_levels(m, 1), 6);
    assert_string_equal(dial_model_feature_level(m, 1, 5), "ignore");
    assert_int_equal(dial_model_feature_type(m, 0), DIAL_COLUMN_NUMERIC);
    assert_int_equal(dial_model_feature_n_levels(m, 0), 0);
    assert_null(dial_model_feature_level(m, 1, 6));
    assert_null(dial_model_feature_name(m, 13));
    assert_int_equal(dial_model_n_inputs(m), 26);
    assert_string_equal(dial_model_get_knobs(m)->model_name, "class_mean");
    /* The same file read again predicts the same. */
    dial_table *again = NULL;
    assert_dial_ok(f.ctx, dial_table_read(f.ctx, "data/credit_data.csv", NULL, &again));
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, m, again, &bound));
    double *after = predict_all(f.ctx, m, bound);
    for (size_t i = 0; i < 4454; i++) assert_true(after[i] == before[i]);
    free(before);
    free(after);
    dial_dataset_free(bound);
    dial_table_free(again);
    release(&f);
}

static void model_keeps_its_own_copy_of_the_knobs(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &f.knobs, "scale", "minmax"));
    assert_string_equal(dial_knobs_choice(dial_model_get_knobs(f.model), "scale"), "standard");
    assert_ptr_equal(dial_model_get_family(f.model), &class_mean);
    release(&f);
}

static void tensors_hold_preprocessing_schema_and_family_parameters(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    const dial_tensors *tensors = dial_model_get_tensors(f.model);
    const char *names[] = {"schema.target_column", "preprocess.fill", "preprocess.center",
                           "preprocess.scale",     "first_row",       "centroid"};
    assert_int_equal(tensors->count, 6);
    for (size_t i = 0; i < 6; i++) assert_non_null(dial_tensors_find(tensors, names[i]));
    const dial_tensor *target = dial_tensors_find(tensors, "schema.target_column");
    assert_int_equal(target->dtype, DIAL_I64);
    assert_int_equal(*(const int64_t *)target->data, 0);
    release(&f);
}

static void facts_record_the_fit(void **state) {
    (void)state;
    time_t before = time(NULL);
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_seed(ctx, 42);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model));
    const dial_model_facts *facts = dial_model_get_facts(model);
    assert_int_equal(facts->n_rows, 150);
    assert_int_equal(facts->seed, 42);
    assert_true(facts->fitted_at >= (int64_t)before && facts->fitted_at <= (int64_t)time(NULL));
    assert_true(facts->fit_seconds >= 0);
    assert_string_equal(facts->dial_version, DIAL_VERSION_STRING);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void fingerprint_matches_the_reference(void **state) {
    (void)state;
    const char *paths[] = {"data/iris.csv", "data/credit_data.csv", "data/diabetes.csv"};
    const char *targets[] = {NULL, "Status", NULL};
    const uint64_t expected[] = {0x8f944fc0ebbce225ull, 0x69695cbac7faea53ull,
                                 0x6b61bd2925ee0d59ull};
    for (size_t k = 0; k < 3; k++) {
        fitted f = fit_file(paths[k], targets[k]);
        assert_int_equal(dial_model_get_facts(f.model)->data_fingerprint, expected[k]);
        release(&f);
    }
}

static void fingerprint_depends_on_the_rows_not_the_seed(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    size_t rows[] = {0, 1, 50, 51, 100};
    dial_view some = {.data = data, .rows = rows, .n = 5};
    dial_model *a = NULL, *b = NULL, *c = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &some, &a));
    dial_ctx_set_seed(ctx, 7);
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &some, &b));
    some.n = 4;
    rows[3] = 52;
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &some, &c));
    uint64_t fa = dial_model_get_facts(a)->data_fingerprint;
    assert_int_equal(fa, dial_model_get_facts(b)->data_fingerprint);
    assert_int_not_equal(fa, dial_model_get_facts(c)->data_fingerprint);
    dial_model_free(a);
    dial_model_free(b);
    dial_model_free(c);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void free_of_null_is_harmless(void **state) {
    (void)state;
    dial_model_free(NULL);
    dial_model *empty = dial_model_alloc(NULL);
    assert_non_null(empty);
    dial_model_free(empty);
}

/* ---- unseen levels --------------------------------------------------------------------------- */

static void unseen_levels_give_one_warning(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    log_capture capture = {0};
    dial_ctx_set_log(f.ctx, capture_log, &capture);
    const char *header = "Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,Assets,"
                         "Debt,Amount,Price\n";
    char text[1024];
    snprintf(text, sizeof text,
             "%s9,castle,60,30,married,no,freelance,73,129,0,0,800,846\n"
             "9,castle,60,30,married,no,freelance,73,129,0,0,800,846\n"
             "9,rent,60,30,married,no,astronaut,73,129,0,0,800,846\n"
             "9,rent,60,30,married,no,freelance,73,129,0,0,800,846\n",
             header);
    dial_table *table = parse_csv(f.ctx, text, DIAL_HEADER_AUTO);
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound));
    double *value = predict_all(f.ctx, f.model, bound);
    assert_int_equal(capture.count, 1);
    assert_int_equal(capture.level, DIAL_LOG_WARN);
    assert_string_equal(capture.last, "3 values of categorical features were levels unseen in "
                                      "training; encoded as all zeros");
    dial_view last = {.data = bound, .rows = (size_t[]){0}, .n = 1};
    assert_dial_ok(f.ctx, dial_model_predict(f.ctx, f.model, &last, value, NULL));
    assert_int_equal(capture.count, 2);
    assert_string_equal(capture.last, "1 value of a categorical feature was a level unseen in "
                                      "training; encoded as all zeros");
    last.rows = (size_t[]){3};
    assert_dial_ok(f.ctx, dial_model_predict(f.ctx, f.model, &last, value, NULL));
    assert_int_equal(capture.count, 2);
    free(value);
    dial_dataset_free(bound);
    dial_table_free(table);
    release(&f);
}

/* ---- binding new tables ------------------------------------------------------------------------
 */

static void bind_by_name_ignores_order_and_extra_columns(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table = parse_csv(f.ctx,
                                  "id,petal_width,species,petal_length,sepal_width,sepal_length\n"
                                  "a,0.2,setosa,1.4,3.5,5.1\n"
                                  "b,2.5,virginica,6.0,3.3,6.3\n",
                                  DIAL_HEADER_AUTO);
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound));
    assert_int_equal(bound->n_features, 4);
    assert_int_equal(bound->n_rows, 2);
    assert_null(bound->y);
    assert_int_equal(bound->target_index, -1);
    assert_string_equal(bound->features[0]->name, "sepal_length");
    assert_string_equal(bound->features[3]->name, "petal_width");
    double *original = predict_all(f.ctx, f.model, f.data);
    double *value = predict_all(f.ctx, f.model, bound);
    assert_true(value[0] == original[0] && value[1] == original[100]);
    free(original);
    free(value);
    dial_dataset_free(bound);
    dial_table_free(table);
    release(&f);
}

static void bind_names_a_missing_column(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table =
        parse_csv(f.ctx, "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n", DIAL_HEADER_AUTO);
    dial_dataset *bound = NULL;
    assert_dial_error(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound), DIAL_ERR_DATA,
                      "column 'petal_width' is missing from the input (the model needs: "
                      "sepal_length, sepal_width, petal_length, petal_width)");
    assert_null(bound);
    dial_table_free(table);
    release(&f);
}

static void bind_headerless_features_by_position(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table = parse_csv(f.ctx, "5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n", DIAL_HEADER_NO);
    assert_false(table->has_header);
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound));
    double *original = predict_all(f.ctx, f.model, f.data);
    double *value = predict_all(f.ctx, f.model, bound);
    assert_true(value[0] == original[0] && value[1] == original[100]);
    free(original);
    free(value);
    dial_dataset_free(bound);
    dial_table_free(table);
    release(&f);
}

/* credit_data's target is its first column: a headerless copy of the file
 * still holds it there, and the features follow it. */
static void bind_headerless_with_the_target_at_its_training_position(void **state) {
    (void)state;
    fitted f = fit_file("data/credit_data.csv", "Status");
    size_t length = 0;
    char *text = test_read_file("data/credit_data.csv", &length);
    char *body = strchr(text, '\n') + 1;
    dial_table *table = NULL;
    dial_csv_options options = {.header = DIAL_HEADER_NO};
    assert_dial_ok(f.ctx, dial_csv_parse(f.ctx, "headerless.csv", body,
                                         length - (size_t)(body - text), &options, &table));
    assert_int_equal(table->n_cols, 14);
    dial_dataset *bound = NULL;
    assert_dial_ok(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound));
    assert_ptr_equal(bound->features[0], &table->cols[1]);
    double *original = predict_all(f.ctx, f.model, f.data);
    double *value = predict_all(f.ctx, f.model, bound);
    for (size_t i = 0; i < 4454; i++) assert_true(value[i] == original[i]);
    free(original);
    free(value);
    free(text);
    dial_dataset_free(bound);
    dial_table_free(table);
    release(&f);
}

static void bind_headerless_with_another_count_is_an_error(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table = parse_csv(f.ctx, "5.1,3.5,1.4\n6.3,3.3,6.0\n", DIAL_HEADER_NO);
    dial_dataset *bound = NULL;
    assert_dial_error(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound), DIAL_ERR_DATA,
                      "the input has no header and 3 columns; the model needs 4 (its features) or "
                      "5 (with the target 'species' as column 5)");
    dial_table_free(table);
    release(&f);
}

static void bind_refuses_text_for_a_numeric_feature(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table = parse_csv(f.ctx,
                                  "sepal_length,sepal_width,petal_length,petal_width\n"
                                  "long,3.5,1.4,0.2\nshort,3.3,6.0,2.5\n",
                                  DIAL_HEADER_AUTO);
    dial_dataset *bound = NULL;
    assert_dial_error(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound), DIAL_ERR_DATA,
                      "column 'sepal_length' is categorical (text) in the input but numeric in "
                      "the model");
    dial_table_free(table);
    release(&f);
}

static void bind_refuses_an_infinite_value(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_table *table = parse_csv(f.ctx,
                                  "sepal_length,sepal_width,petal_length,petal_width\n"
                                  "5.1,3.5,1.4,0.2\n6.3,3.3,inf,2.5\n",
                                  DIAL_HEADER_AUTO);
    dial_dataset *bound = NULL;
    assert_dial_error(f.ctx, dial_model_bind(f.ctx, f.model, table, &bound), DIAL_ERR_DATA,
                      "feature 'petal_length' has an infinite value on row 2");
    dial_table_free(table);
    release(&f);
}

/* Levels that look like numbers: the new file's column comes in numeric. */
static void bind_matches_numbers_to_levels_of_a_categorical_feature(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *train =
        parse_csv(ctx, "code,y\n1,a\n2,b\nx,a\nx,b\n1,a\n2,b\n1,a\n2,b\n", DIAL_HEADER_AUTO);
    assert_int_equal(train->cols[0].type, DIAL_COLUMN_CATEGORICAL);
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, train, NULL, DIAL_TASK_AUTO, &data));
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, &class_mean, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &class_mean, &knobs, &all, &model));
    dial_table *fresh = parse_csv(ctx, "code\n2\n1\n2\n", DIAL_HEADER_AUTO);
    assert_int_equal(fresh->cols[0].type, DIAL_COLUMN_NUMERIC);
    dial_dataset *bound = NULL;
    assert_dial_ok(ctx, dial_model_bind(ctx, model, fresh, &bound));
    double *value = predict_all(ctx, model, bound);
    assert_true(value[0] == 1 && value[1] == 0 && value[2] == 1);
    free(value);
    dial_dataset_free(bound);
    dial_table_free(fresh);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(train);
    dial_ctx_free(ctx);
}

static void predict_refuses_data_of_another_width(void **state) {
    (void)state;
    fitted f = fit_file("data/iris.csv", NULL);
    dial_dataset *all_columns = NULL;
    assert_dial_ok(f.ctx, dial_dataset_features_only(f.ctx, f.table, &all_columns));
    double value[150];
    dial_view all = dial_view_all(all_columns);
    assert_dial_error(f.ctx, dial_model_predict(f.ctx, f.model, &all, value, NULL),
                      DIAL_ERR_ARGUMENT,
                      "the data has 5 features but the model needs 4; match the columns with "
                      "dial_model_bind");
    dial_dataset_free(all_columns);
    release(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_finds_a_registered_family),
        cmocka_unit_test(lookup_suggests_the_closest_name),
        cmocka_unit_test(every_family_knob_table_initialises),
        cmocka_unit_test(iris_nearest_mean_matches_scikit_learn),
        cmocka_unit_test(credit_nearest_mean_matches_scikit_learn),
        cmocka_unit_test(family_sees_the_preprocessed_inputs),
        cmocka_unit_test(diabetes_regression_predicts_the_mean),
        cmocka_unit_test(fit_on_a_view_uses_only_its_rows),
        cmocka_unit_test(predict_probabilities_when_the_family_has_them),
        cmocka_unit_test(probabilities_of_a_regression_are_unsupported),
        cmocka_unit_test(probabilities_of_a_family_without_them_are_unsupported),
        cmocka_unit_test(predict_of_no_rows_does_nothing),
        cmocka_unit_test(fit_checks_inactive_knobs),
        cmocka_unit_test(fit_refuses_a_task_the_family_does_not_do),
        cmocka_unit_test(fit_refuses_knobs_of_another_family),
        cmocka_unit_test(fit_refuses_data_without_a_target),
        cmocka_unit_test(fit_refuses_missing_values_with_impute_none),
        cmocka_unit_test(failing_family_fit_is_passed_on),
        cmocka_unit_test(model_owns_its_schema_after_the_data_is_freed),
        cmocka_unit_test(model_keeps_its_own_copy_of_the_knobs),
        cmocka_unit_test(tensors_hold_preprocessing_schema_and_family_parameters),
        cmocka_unit_test(facts_record_the_fit),
        cmocka_unit_test(fingerprint_matches_the_reference),
        cmocka_unit_test(fingerprint_depends_on_the_rows_not_the_seed),
        cmocka_unit_test(free_of_null_is_harmless),
        cmocka_unit_test(unseen_levels_give_one_warning),
        cmocka_unit_test(bind_by_name_ignores_order_and_extra_columns),
        cmocka_unit_test(bind_names_a_missing_column),
        cmocka_unit_test(bind_headerless_features_by_position),
        cmocka_unit_test(bind_headerless_with_the_target_at_its_training_position),
        cmocka_unit_test(bind_headerless_with_another_count_is_an_error),
        cmocka_unit_test(bind_refuses_text_for_a_numeric_feature),
        cmocka_unit_test(bind_refuses_an_infinite_value),
        cmocka_unit_test(bind_matches_numbers_to_levels_of_a_categorical_feature),
        cmocka_unit_test(predict_refuses_data_of_another_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
