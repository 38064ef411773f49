/* gbdt on sparse rows (issue 17; src/models/gbdt_sparse_bins.c): bins
 * from the nonzero values, histograms over the entries, and zeros sent to
 * the side that gains most, as XGBoost's sparsity-aware split search.
 * The split of the data is the other gbdt tests': rows whose 0-based
 * index is a multiple of 5 are predicted, the others fitted. The XGBoost
 * figures come from tests/models/reference_gbdt_sparse.py (XGBoost 1.7,
 * hist, the same knobs, absent entries its missing values). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/modelfile.h"
#include "models/gbdt.h"
#include "models/model_internal.h"

static const char *const knobs_30[] = {"n_estimators=30", "max_depth=4", "learning_rate=0.3", NULL};

typedef struct holdout {
    dial_table *table;
    dial_dataset *data;
    size_t *train, *test, n_train, n_test;
} holdout;

static holdout load_holdout(dial_ctx *ctx, const char *path) {
    holdout h = {0};
    h.data = test_load_dataset(ctx, path, NULL, &h.table);
    assert_non_null(h.data->sparse);
    size_t n = h.data->n_rows;
    h.train = malloc(n * sizeof *h.train);
    h.test = malloc(n * sizeof *h.test);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            h.test[h.n_test++] = i;
        else
            h.train[h.n_train++] = i;
    }
    return h;
}

static void free_holdout(holdout *h) {
    free(h->train);
    free(h->test);
    dial_dataset_free(h->data);
    dial_table_free(h->table);
}

/* Fits gbdt (settings) on the training rows of the sparse file. */
static dial_model *fit_holdout(dial_ctx *ctx, const holdout *h, const char *const *settings) {
    const dial_model_family *gbdt = dial_model_family_find("gbdt");
    dial_knobs knobs = test_knobs(ctx, gbdt, settings);
    dial_view rows = {.data = h->data, .rows = h->train, .n = h->n_train};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, gbdt, &knobs, &rows, &model));
    dial_knobs_free(&knobs);
    return model;
}

static double holdout_accuracy(dial_ctx *ctx, const holdout *h, const dial_model *model) {
    dial_view rows = {.data = h->data, .rows = h->test, .n = h->n_test};
    double *value = malloc(h->n_test * sizeof *value);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &rows, value, NULL));
    size_t right = 0;
    for (size_t i = 0; i < h->n_test; i++) right += value[i] == h->data->y[h->test[i]];
    free(value);
    return (double)right / (double)h->n_test;
}

static void accuracy_is_near_xgboost(const char *path, double xgboost, double tolerance) {
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, path);
    dial_model *model = fit_holdout(ctx, &h, knobs_30);
    /* fitted on the compressed rows: the learned directions of zeros kept */
    assert_non_null(dial_tensors_find(&model->tensors, "zero_left"));
    double accuracy = holdout_accuracy(ctx, &h, model);
    print_message("%s accuracy %.6f, XGBoost %.6f\n", path, accuracy, xgboost);
    assert_true(accuracy >= xgboost - tolerance);
    dial_model_free(model);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* 54 test rows: a row is 1.9 points */
static void heart_scale_accuracy_is_near_xgboost(void **state) {
    (void)state;
    accuracy_is_near_xgboost("data/heart_scale.libsvm", 0.777778, 0.04);
}

/* 100 test rows of word counts in 5 classes */
static void text_accuracy_is_near_xgboost(void **state) {
    (void)state;
    accuracy_is_near_xgboost("data/text_small.libsvm", 0.900000, 0.03);
}

/* Some split sends its zeros away from where the threshold would: the
 * default direction is learned, not read off the threshold. */
static void zeros_follow_a_learned_direction(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/text_small.libsvm");
    dial_model *model = fit_holdout(ctx, &h, knobs_30);
    const dial_tensor *zero_left = dial_tensors_find(&model->tensors, "zero_left");
    const dial_tensor *feature = dial_tensors_find(&model->tensors, "feature");
    const dial_tensor *threshold = dial_tensors_find(&model->tensors, "threshold");
    size_t against = 0, splits = 0;
    for (size_t i = 0; i < feature->shape[0]; i++) {
        if (((const int64_t *)feature->data)[i] < 0) continue;
        splits++;
        bool natural = 0 <= ((const double *)threshold->data)[i];
        against += ((const int64_t *)zero_left->data)[i] != natural;
    }
    print_message("%zu of %zu splits send zeros against their threshold\n", against, splits);
    assert_true(against > 0);
    dial_model_free(model);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* ---- the family on hand-made inputs -------------------------------------------------- */

/* The rows of a sparse file, each written out dense (n x d). */
static double *dense_rows(const dial_csr *a) {
    double *x = calloc(a->n_rows * a->n_cols, sizeof *x);
    for (size_t i = 0; i < a->n_rows; i++)
        for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++)
            x[i * a->n_cols + a->col[k]] = a->value[k];
    return x;
}

/* A model fitted on sparse rows predicts them as it predicts the same rows
 * written out dense: predict reads the compressed rows as the values they
 * stand for, zeros by their learned direction either way. */
static void sparse_rows_predict_as_the_same_rows_dense(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    const dial_csr *a = data->sparse;
    dial_knobs knobs = test_knobs(ctx, &dial_model_gbdt, knobs_30);
    dial_fit_input in = {.sparse = a,
                         .n_rows = a->n_rows,
                         .n_features = a->n_cols,
                         .y = data->y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = data->n_classes};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &in, &learned));
    size_t n = a->n_rows, k_n = data->n_classes;
    double *v_sparse = malloc(n * sizeof(double)), *v_dense = malloc(n * sizeof(double));
    double *p_sparse = malloc(n * k_n * sizeof(double)),
           *p_dense = malloc(n * k_n * sizeof(double));
    in.y = NULL;
    dial_predict_output out = {v_sparse, p_sparse};
    assert_dial_ok(ctx, dial_model_gbdt.predict(ctx, &knobs, &learned, &in, &out));
    double *x = dense_rows(a);
    dial_fit_input dense = in;
    dense.sparse = NULL;
    dense.x = x;
    out = (dial_predict_output){v_dense, p_dense};
    assert_dial_ok(ctx, dial_model_gbdt.predict(ctx, &knobs, &learned, &dense, &out));
    assert_memory_equal(v_sparse, v_dense, n * sizeof(double));
    assert_memory_equal(p_sparse, p_dense, n * k_n * sizeof(double));
    /* and the fit is no constant: it tells the classes apart on its rows */
    size_t right = 0;
    for (size_t i = 0; i < n; i++) right += v_sparse[i] == data->y[i];
    assert_true(right > n * 9 / 10);
    free(x);
    free(v_sparse);
    free(v_dense);
    free(p_sparse);
    free(p_dense);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* The tensors both fits write, equal to the bit. */
static void assert_same_forest(const dial_tensors *a, const dial_tensors *b) {
    static const char *const names[] = {"tree_offset",  "feature",    "threshold",
                                        "default_left", "left",       "right",
                                        "value",        "base_score", "importance_gain"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const dial_tensor *x = dial_tensors_find(a, names[k]), *y = dial_tensors_find(b, names[k]);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->shape[0], y->shape[0]);
        assert_memory_equal(x->data, y->data, x->shape[0] * 8);
    }
}

/* Where no value is 0 there is no zero bin and nothing to send either
 * way: the fit on sparse rows is, tree for tree and bit for bit, the fit
 * on the same rows dense. heart_scale's values, shifted by 2 into [1, 3],
 * every entry written. */
static void without_zeros_the_sparse_fit_is_the_dense_fit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/heart_scale.libsvm", NULL, &table);
    size_t n = data->sparse->n_rows, d = data->sparse->n_cols;
    double *x = dense_rows(data->sparse);
    dial_csr full = {.n_rows = n, .n_cols = d};
    full.row_start = malloc((n + 1) * sizeof *full.row_start);
    full.col = malloc(n * d * sizeof *full.col);
    full.value = malloc(n * d * sizeof *full.value);
    for (size_t i = 0; i < n; i++) {
        full.row_start[i] = i * d;
        for (size_t j = 0; j < d; j++) {
            x[i * d + j] += 2;
            full.col[i * d + j] = (uint32_t)j;
            full.value[i * d + j] = x[i * d + j];
        }
    }
    full.row_start[n] = n * d;
    dial_knobs knobs = test_knobs(ctx, &dial_model_gbdt, knobs_30);
    dial_fit_input in = {.x = x,
                         .n_rows = n,
                         .n_features = d,
                         .y = data->y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = data->n_classes};
    dial_tensors dense = {0}, sparse = {0};
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &in, &dense));
    in.x = NULL;
    in.sparse = &full;
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &in, &sparse));
    assert_same_forest(&dense, &sparse);
    /* zeros, never seen, go where their value would */
    const dial_tensor *zero_left = dial_tensors_find(&sparse, "zero_left");
    const dial_tensor *feature = dial_tensors_find(&sparse, "feature");
    const dial_tensor *threshold = dial_tensors_find(&sparse, "threshold");
    assert_non_null(zero_left);
    for (size_t i = 0; i < feature->shape[0]; i++)
        if (((const int64_t *)feature->data)[i] >= 0)
            assert_int_equal(((const int64_t *)zero_left->data)[i],
                             0 <= ((const double *)threshold->data)[i]);
    dial_tensors_clear(&dense);
    dial_tensors_clear(&sparse);
    free(full.row_start);
    free(full.col);
    free(full.value);
    free(x);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- the model file ------------------------------------------------------------------ */

static void a_sparse_fit_round_trips_through_a_model_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/text_small.libsvm");
    dial_model *model = fit_holdout(ctx, &h, knobs_30);
    unsigned char *bytes = NULL;
    size_t length = 0;
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "gbdt.dial", bytes, length, &loaded));
    assert_non_null(dial_tensors_find(&loaded->tensors, "zero_left"));
    dial_view rows = {.data = h.data, .rows = h.test, .n = h.n_test};
    size_t k_n = h.data->n_classes;
    double *v0 = malloc(h.n_test * sizeof(double)), *v1 = malloc(h.n_test * sizeof(double));
    double *p0 = malloc(h.n_test * k_n * sizeof(double)),
           *p1 = malloc(h.n_test * k_n * sizeof(double));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &rows, v0, p0));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &rows, v1, p1));
    assert_memory_equal(v0, v1, h.n_test * sizeof(double));
    assert_memory_equal(p0, p1, h.n_test * k_n * sizeof(double));
    free(v0);
    free(v1);
    free(p0);
    free(p1);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* A direction that is neither 0 nor 1 is refused when the file is read,
 * with the node named. */
static void a_damaged_zero_direction_is_refused_at_load(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/heart_scale.libsvm");
    dial_model *model = fit_holdout(ctx, &h, knobs_30);
    const int64_t *feature = dial_tensors_find(&model->tensors, "feature")->data;
    int64_t *zero_left = (int64_t *)dial_tensors_find(&model->tensors, "zero_left")->data;
    size_t node = 0;
    while (feature[node] < 0) node++;
    zero_left[node] = 2;
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    char expected[160];
    snprintf(expected, sizeof expected,
             "crafted.dial: gbdt model: node %zu of tree 0 has zero_left 2; expected 0 or 1", node);
    assert_int_equal(dial_model_load_buffer(ctx, "crafted.dial", bytes, length, &loaded),
                     DIAL_ERR_FORMAT);
    assert_null(loaded);
    print_message("%s\n", dial_ctx_error(ctx));
    assert_non_null(strstr(dial_ctx_error(ctx), strchr(expected, ' ') + 1));
    free(bytes);
    dial_model_free(model);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heart_scale_accuracy_is_near_xgboost),
        cmocka_unit_test(text_accuracy_is_near_xgboost),
        cmocka_unit_test(zeros_follow_a_learned_direction),
        cmocka_unit_test(sparse_rows_predict_as_the_same_rows_dense),
        cmocka_unit_test(without_zeros_the_sparse_fit_is_the_dense_fit),
        cmocka_unit_test(a_sparse_fit_round_trips_through_a_model_file),
        cmocka_unit_test(a_damaged_zero_direction_is_refused_at_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
