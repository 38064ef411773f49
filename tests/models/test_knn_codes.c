/* k-nearest neighbours with categorical features kept as category codes
 * (src/models/knn_compact.h): the predictions are those of the dense
 * one-hot rows to the bit, and a column of 5,000 levels makes a small
 * model file. The dense reference is the family fitted on the design
 * matrix without saying where its one-hot blocks lie, as every knn model
 * was stored before. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/preprocess.h"
#include "models/model_internal.h"

extern const dial_model_family dial_model_knn;

/* ---- the dense reference ----------------------------------------------- */

/* The features of data as a model records them, borrowing its names. */
static dial_feature *borrow_features(const dial_dataset *data) {
    dial_feature *features = calloc(data->n_features, sizeof *features);
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        features[j] = (dial_feature){
            .name = col->name, .type = col->type, .n_levels = col->n_levels, .levels = col->levels};
    }
    return features;
}

/* Predicts test with the family fitted on the dense design matrix of train
 * (preprocessed as dial_model_fit does), storing "x" as knn always did. */
static void dense_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_view *train,
                          const dial_view *test, double *value, double *proba) {
    const dial_dataset *data = train->data;
    dial_feature *features = borrow_features(data);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_preprocess_fit(ctx, dial_model_impute(&dial_model_knn, knobs),
                                            dial_model_scale(knobs), features, data->n_features,
                                            train, &learned));
    double *x_train = NULL, *x_test = NULL;
    assert_dial_ok(ctx, dial_preprocess_transform(ctx, features, data->n_features, &learned, train,
                                                  &x_train, NULL));
    assert_dial_ok(ctx, dial_preprocess_transform(ctx, features, data->n_features, &learned, test,
                                                  &x_test, NULL));
    size_t d = dial_preprocess_n_inputs(features, data->n_features);
    double *y = malloc(train->n * sizeof *y);
    for (size_t i = 0; i < train->n; i++) y[i] = data->y[dial_view_row(train, i)];
    size_t n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
    dial_fit_input in = {.x = x_train,
                         .n_rows = train->n,
                         .n_features = d,
                         .y = y,
                         .task = data->task,
                         .n_classes = n_classes};
    dial_tensors fitted = {0};
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, knobs, &in, &fitted));
    assert_non_null(dial_tensors_find(&fitted, "x"));
    dial_fit_input query = {.x = x_test,
                            .n_rows = test->n,
                            .n_features = d,
                            .task = data->task,
                            .n_classes = n_classes};
    dial_predict_output out = {.value = value, .proba = proba};
    assert_dial_ok(ctx, dial_model_knn.predict(ctx, knobs, &fitted, &query, &out));
    dial_tensors_clear(&fitted);
    dial_tensors_clear(&learned);
    free(y);
    free(x_train);
    free(x_test);
    free(features);
}

/* Rows with index % 5 == 0 test, the others train. */
static void split_rows(size_t n, size_t **train, size_t *n_train, size_t **test, size_t *n_test) {
    *train = malloc(n * sizeof **train);
    *test = malloc(n * sizeof **test);
    *n_train = *n_test = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            (*test)[(*n_test)++] = i;
        else
            (*train)[(*n_train)++] = i;
    }
}

/* Fits knn with settings on four fifths of data through dial_model_fit and
 * checks that it keeps codes and predicts the last fifth exactly as the
 * dense reference does, class probabilities included. */
static void assert_codes_predict_as_dense(dial_ctx *ctx, const dial_dataset *data,
                                          const char *const *settings) {
    size_t *train_rows, *test_rows, n_train, n_test;
    split_rows(data->n_rows, &train_rows, &n_train, &test_rows, &n_test);
    dial_view train = {data, train_rows, n_train}, test = {data, test_rows, n_test};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, settings);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_knn, &knobs, &train, &model));
    const dial_tensors *tensors = dial_model_get_tensors(model);
    assert_null(dial_tensors_find(tensors, "x"));
    assert_non_null(dial_tensors_find(tensors, "x.codes"));

    bool classify = data->task == DIAL_TASK_CLASSIFICATION;
    size_t n_classes = classify ? data->n_classes : 1;
    double *value = malloc(n_test * sizeof *value), *dense_value = malloc(n_test * sizeof *value);
    double *proba = classify ? malloc(n_test * n_classes * sizeof *proba) : NULL;
    double *dense_proba = classify ? malloc(n_test * n_classes * sizeof *proba) : NULL;
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test, value, proba));
    dense_predict(ctx, &knobs, &train, &test, dense_value, dense_proba);
    for (size_t i = 0; i < n_test; i++) {
        if (memcmp(&value[i], &dense_value[i], sizeof *value) != 0)
            fail_msg("%s: row %zu predicts %.17g from codes, %.17g from dense rows", settings[0],
                     test_rows[i], value[i], dense_value[i]);
        for (size_t c = 0; classify && c < n_classes; c++)
            if (memcmp(&proba[i * n_classes + c], &dense_proba[i * n_classes + c], sizeof(double)))
                fail_msg("%s: row %zu class %zu has probability %.17g from codes, %.17g dense",
                         settings[0], test_rows[i], c, proba[i * n_classes + c],
                         dense_proba[i * n_classes + c]);
    }
    free(value);
    free(dense_value);
    free(proba);
    free(dense_proba);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train_rows);
    free(test_rows);
}

/* ---- credit_data: 14 columns, 6 of them categorical -------------------- */

static void test_credit_data_predicts_as_the_dense_rows_with_every_metric(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Status", &table);
    const char *const configs[][5] = {
        {"algorithm=brute", NULL},
        {"algorithm=kd_tree", NULL},
        {"algorithm=auto", "k=15", "weights=distance", NULL},
        {"metric=manhattan", "k=7", NULL},
        {"metric=minkowski", "p=3", "k=9", "weights=distance", NULL},
        {"metric=minkowski", "p=1.5", "k=4", NULL},
        {"scale=minmax", "k=11", NULL},
        {"scale=none", "k=3", "weights=distance", NULL},
    };
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++)
        assert_codes_predict_as_dense(ctx, data, configs[c]);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_credit_data_regression_predicts_as_the_dense_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Amount", &table);
    assert_int_equal(data->task, DIAL_TASK_REGRESSION);
    const char *const uniform[] = {"k=5", NULL}, *const weighted[] = {"k=8", "weights=distance",
                                                                      NULL};
    assert_codes_predict_as_dense(ctx, data, uniform);
    assert_codes_predict_as_dense(ctx, data, weighted);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- the family on hand-made rows --------------------------------------- */

/* Inputs: a number, a block of 3 levels, a number. */
static const double block_off[3] = {-0.5, -0.75, -0.25};
static const double block_on[3] = {1.5, 1.25, 2.5};
static const dial_onehot_block one_block = {1, 3, block_off, block_on};

static void hand_row(double *row, double a, int level, double b) {
    row[0] = a;
    for (int l = 0; l < 3; l++) row[1 + l] = l == level ? block_on[l] : block_off[l];
    row[4] = b;
}

static void test_unseen_and_irregular_queries_predict_as_the_dense_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[6 * 5], y[6] = {0, 1, 1, 0, 1, 0};
    const int levels[6] = {0, 1, 2, 0, 1, 2};
    for (int i = 0; i < 6; i++) hand_row(x + 5 * i, 0.1 * i, levels[i], 1 - 0.2 * i);
    /* a clean query, an unseen level (all off), and cells that are neither
     * off nor on (a caller's own matrix): each takes another path */
    double q[3 * 5];
    hand_row(q, 0.2, 1, 0.5);
    hand_row(q + 5, 0.3, -1, 0.1);
    hand_row(q + 10, 0.05, 0, 0.9);
    q[12] = 0.3;
    dial_fit_input train = {x, 6, 5, y, DIAL_TASK_CLASSIFICATION, 2, &one_block, 1, NULL};
    dial_fit_input dense_train = train;
    dense_train.onehot = NULL;
    dense_train.n_onehot = 0;
    dial_fit_input query = {q, 3, 5, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    const char *const metrics[][3] = {
        {"metric=euclidean", "k=3"}, {"metric=manhattan", "k=2"}, {"metric=minkowski", "p=2.5"}};
    for (size_t m = 0; m < 3; m++) {
        const char *settings[] = {metrics[m][0], metrics[m][1], "weights=distance", NULL};
        dial_knobs knobs = test_knobs(ctx, &dial_model_knn, settings);
        dial_tensors codes = {0}, dense = {0};
        assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &codes));
        assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &dense_train, &dense));
        assert_non_null(dial_tensors_find(&codes, "x.codes"));
        double value[3], proba[6], dense_value[3], dense_proba[6];
        dial_predict_output out = {value, proba}, dense_out = {dense_value, dense_proba};
        assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &codes, &query, &out));
        assert_dial_ok(ctx, dial_model_knn.predict(ctx, &knobs, &dense, &query, &dense_out));
        assert_memory_equal(value, dense_value, sizeof value);
        assert_memory_equal(proba, dense_proba, sizeof proba);
        dial_tensors_clear(&codes);
        dial_tensors_clear(&dense);
        dial_knobs_free(&knobs);
    }
    dial_ctx_free(ctx);
}

static void test_fit_refuses_a_row_that_is_not_one_hot(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[2 * 5], y[2] = {0, 1};
    hand_row(x, 0, 0, 0);
    hand_row(x + 5, 1, 2, 1);
    x[5 + 2] = block_on[1]; /* row 1 has two levels on */
    dial_fit_input train = {x, 2, 5, y, DIAL_TASK_CLASSIFICATION, 2, &one_block, 1, NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned), DIAL_ERR_ARGUMENT,
                      "knn: row 1 is not one-hot in columns 1 to 3 (one-hot block 0): a cell is "
                      "neither its off nor its on value, or two are on");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* The codes may come from a file: every index is checked before use. */
static void test_damaged_codes_are_refused_at_validation(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[2 * 5], y[2] = {0, 1};
    hand_row(x, 0, 0, 0);
    hand_row(x + 5, 1, 2, 1);
    dial_fit_input train = {x, 2, 5, y, DIAL_TASK_CLASSIFICATION, 2, &one_block, 1, NULL};
    dial_fit_input shape = {NULL, 0, 5, NULL, DIAL_TASK_CLASSIFICATION, 2, NULL, 0, NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_knn.fit(ctx, &knobs, &train, &learned));
    assert_dial_ok(ctx, dial_model_knn.validate(ctx, &knobs, &learned, &shape));

    int64_t *codes = dial_tensors_find(&learned, "x.codes")->data;
    codes[1] = 3;
    assert_dial_error(ctx, dial_model_knn.validate(ctx, &knobs, &learned, &shape), DIAL_ERR_FORMAT,
                      "knn: the learned tensor 'x.codes' gives row 1 level 3 in block 0 of 3 "
                      "levels");
    codes[1] = 2;
    int64_t *blocks = dial_tensors_find(&learned, "x.blocks")->data;
    blocks[0] = 3; /* 3 levels from input 3 run past the 5 inputs */
    assert_dial_error(ctx, dial_model_knn.validate(ctx, &knobs, &learned, &shape), DIAL_ERR_FORMAT,
                      "knn: the learned tensor 'x.blocks' gives block 0 offset 3 and 3 levels: "
                      "blocks must follow one another within the 5 inputs");
    blocks[0] = 1;
    double *onehot = dial_tensors_find(&learned, "x.onehot")->data;
    onehot[3] = onehot[2];
    assert_dial_error(ctx, dial_model_knn.validate(ctx, &knobs, &learned, &shape), DIAL_ERR_FORMAT,
                      "knn: the learned tensor 'x.onehot' gives one-hot input 1 the off and on "
                      "values -0.75 and -0.75; they must be finite and differ");
    shape.n_features = 6;
    assert_dial_error(ctx, dial_model_knn.validate(ctx, &knobs, &learned, &shape), DIAL_ERR_FORMAT,
                      "knn: the learned tensor 'x.numeric' must be f64 of shape [2 x 3], found "
                      "f64 [2 x 2] with 2 dimensions");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- a column of 5,000 levels ------------------------------------------- */

enum { MANY_ROWS = 6000, MANY_LEVELS = 5000 };

static char *many_levels_csv(void) {
    size_t size = (size_t)MANY_ROWS * 40 + 64, used = 0;
    char *text = malloc(size);
    used += (size_t)snprintf(text, size, "city,size,label\n");
    for (size_t i = 0; i < MANY_ROWS; i++)
        used +=
            (size_t)snprintf(text + used, size - used, "c%zu,%zu,%s\n", (i * 7919) % MANY_LEVELS,
                             (i * 37) % 101, (i * 13) % 7 < 3 ? "yes" : "no");
    return text;
}

static void test_five_thousand_levels_make_a_small_model_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    char *csv = many_levels_csv();
    char *path = test_write_temp(csv, strlen(csv), ".csv");
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, "label", &table);
    assert_int_equal(data->features[0]->n_levels, MANY_LEVELS);

    dial_knobs knobs = test_knobs(ctx, &dial_model_knn, NULL);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_knn, &knobs, &all, &model));
    char *saved = test_write_temp("", 0, ".dial");
    assert_dial_ok(ctx, dial_model_save(ctx, model, saved));
    struct stat st;
    assert_int_equal(stat(saved, &st), 0);
    /* dense, the rows alone took 6000 x 5001 x 8 bytes, 240 MB */
    if (st.st_size >= 5 << 20) fail_msg("the model file has %lld bytes", (long long)st.st_size);

    /* the loaded model predicts as the fitted one, and both as the dense
     * rows (on a few queries: the dense search costs 5,001 terms a pair) */
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load(ctx, saved, &loaded));
    size_t query_rows[8] = {0, 1, 2, 999, 2500, 4001, 5998, 5999};
    dial_view queries = {data, query_rows, 8};
    double fitted_value[8], loaded_value[8], dense_value[8];
    double fitted_proba[16], loaded_proba[16], dense_proba[16];
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &queries, fitted_value, fitted_proba));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &queries, loaded_value, loaded_proba));
    dense_predict(ctx, &knobs, &all, &queries, dense_value, dense_proba);
    assert_memory_equal(fitted_value, dense_value, sizeof dense_value);
    assert_memory_equal(fitted_proba, dense_proba, sizeof dense_proba);
    assert_memory_equal(loaded_value, dense_value, sizeof dense_value);
    assert_memory_equal(loaded_proba, dense_proba, sizeof dense_proba);

    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    remove(saved);
    remove(path);
    free(saved);
    free(path);
    free(csv);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_data_predicts_as_the_dense_rows_with_every_metric),
        cmocka_unit_test(test_credit_data_regression_predicts_as_the_dense_rows),
        cmocka_unit_test(test_unseen_and_irregular_queries_predict_as_the_dense_rows),
        cmocka_unit_test(test_fit_refuses_a_row_that_is_not_one_hot),
        cmocka_unit_test(test_damaged_codes_are_refused_at_validation),
        cmocka_unit_test(test_five_thousand_levels_make_a_small_model_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
