/* The multilayer perceptron on sparse input (src/models/mlp_sparse.c): a fit
 * on compressed rows gives, bit for bit, the weights of the fit on the same
 * rows made dense; its accuracy against scikit-learn's MLPClassifier on the
 * same compressed rows; the model file; a LIBSVM file with indices the model
 * never saw. Reference figures: tests/models/reference_mlp_sparse.py
 * (scikit-learn 1.2); the holdout split is fixed: rows with index % 5 == 0
 * test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/modelfile.h"
#include "models/mlp_gemm.h"
#include "models/mlp_sparse.h"

extern const dial_model_family dial_model_mlp;

/* ---- helpers -------------------------------------------------------- */

/* A LIBSVM file as a dataset, with its holdout split. */
typedef struct holdout {
    dial_table *table;
    dial_dataset *data;
    size_t *train_rows, *test_rows;
    dial_view train, test;
} holdout;

static holdout load_holdout(dial_ctx *ctx, const char *path) {
    holdout h = {0};
    h.data = test_load_dataset(ctx, path, NULL, &h.table);
    assert_non_null(h.data->sparse);
    size_t n = h.data->n_rows, n_test = (n + 4) / 5;
    h.train_rows = malloc((n - n_test) * sizeof *h.train_rows);
    h.test_rows = malloc(n_test * sizeof *h.test_rows);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            h.test_rows[b++] = i;
        else
            h.train_rows[a++] = i;
    }
    h.train = (dial_view){h.data, h.train_rows, a};
    h.test = (dial_view){h.data, h.test_rows, b};
    return h;
}

static void free_holdout(holdout *h) {
    free(h->train_rows);
    free(h->test_rows);
    dial_dataset_free(h->data);
    dial_table_free(h->table);
}

/* The rows of a view as the family sees them: compressed (csr) and the
 * same rows made dense (x), with their class indices. */
typedef struct family_rows {
    dial_csr csr;
    double *x, *y;
    dial_fit_input sparse_in, dense_in;
} family_rows;

static void take_rows(const dial_view *view, family_rows *out) {
    const dial_csr *a = view->data->sparse;
    size_t n = view->n, d = a->n_cols, nnz = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = view->rows[i];
        nnz += a->row_start[r + 1] - a->row_start[r];
    }
    family_rows f = {.csr = {.n_rows = n, .n_cols = d}};
    f.csr.row_start = malloc((n + 1) * sizeof *f.csr.row_start);
    f.csr.col = malloc((nnz + 1) * sizeof *f.csr.col);
    f.csr.value = malloc((nnz + 1) * sizeof *f.csr.value);
    f.x = calloc(n * d, sizeof *f.x);
    f.y = malloc(n * sizeof *f.y);
    size_t at = 0;
    f.csr.row_start[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = view->rows[i];
        for (size_t k = a->row_start[r]; k < a->row_start[r + 1]; k++, at++) {
            f.csr.col[at] = a->col[k];
            f.csr.value[at] = a->value[k];
            f.x[i * d + a->col[k]] = a->value[k];
        }
        f.csr.row_start[i + 1] = at;
        f.y[i] = view->data->y[r];
    }
    f.sparse_in = (dial_fit_input){.n_rows = n,
                                   .n_features = d,
                                   .y = f.y,
                                   .task = DIAL_TASK_CLASSIFICATION,
                                   .n_classes = view->data->n_classes,
                                   .sparse = &f.csr};
    f.dense_in = f.sparse_in;
    f.dense_in.sparse = NULL;
    f.dense_in.x = f.x;
    *out = f;
    out->sparse_in.sparse = &out->csr; /* not f's, which this return ends */
}

static void free_rows(family_rows *f) {
    free(f->csr.row_start);
    free(f->csr.col);
    free(f->csr.value);
    free(f->x);
    free(f->y);
}

/* Asserts that two tensor sets hold the same names, shapes and bits. */
static void assert_same_tensors(const dial_tensors *a, const dial_tensors *b) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const dial_tensor *ta = &a->items[i];
        const dial_tensor *tb = dial_tensors_find(b, ta->name);
        assert_non_null(tb);
        assert_int_equal(ta->ndim, tb->ndim);
        assert_memory_equal(ta->shape, tb->shape, sizeof ta->shape);
        assert_memory_equal(ta->data, tb->data, dial_tensor_size(ta) * dial_dtype_size(ta->dtype));
    }
}

/* Fits the family with settings on a holdout's training rows, compressed
 * and made dense, and checks that both give the same weights and predict
 * the test rows (compressed and dense) with the same bits. */
static void assert_sparse_fit_is_the_dense_fit(const char *path, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, path);
    family_rows train, test;
    take_rows(&h.train, &train);
    take_rows(&h.test, &test);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, settings);
    dial_tensors sparse = {0}, dense = {0};
    assert_dial_ok(ctx, dial_model_mlp.fit(ctx, &knobs, &train.sparse_in, &sparse));
    assert_dial_ok(ctx, dial_model_mlp.fit(ctx, &knobs, &train.dense_in, &dense));
    assert_same_tensors(&sparse, &dense);
    size_t n = test.sparse_in.n_rows, k = test.sparse_in.n_classes;
    double *value_a = malloc(n * sizeof *value_a), *value_b = malloc(n * sizeof *value_b);
    double *proba_a = malloc(n * k * sizeof *proba_a), *proba_b = malloc(n * k * sizeof *proba_b);
    test.sparse_in.y = test.dense_in.y = NULL;
    assert_dial_ok(ctx, dial_model_mlp.predict(ctx, &knobs, &sparse, &test.sparse_in,
                                               &(dial_predict_output){value_a, proba_a}));
    assert_dial_ok(ctx, dial_model_mlp.predict(ctx, &knobs, &sparse, &test.dense_in,
                                               &(dial_predict_output){value_b, proba_b}));
    assert_memory_equal(value_a, value_b, n * sizeof *value_a);
    assert_memory_equal(proba_a, proba_b, n * k * sizeof *proba_a);
    free(value_a);
    free(value_b);
    free(proba_a);
    free(proba_b);
    dial_tensors_clear(&sparse);
    dial_tensors_clear(&dense);
    dial_knobs_free(&knobs);
    free_rows(&train);
    free_rows(&test);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* Accuracy on the holdout of a model fitted (dial_model_fit, so with the
 * sparse preprocessing) on the training rows with default knobs. */
static double holdout_accuracy(const char *path) {
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, path);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, NULL);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_mlp, &knobs, &h.train, &model));
    size_t n = h.test.n, right = 0;
    double *value = malloc(n * sizeof *value);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &h.test, value, NULL));
    for (size_t i = 0; i < n; i++) right += value[i] == h.data->y[h.test_rows[i]];
    free(value);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free_holdout(&h);
    dial_ctx_free(ctx);
    return (double)right / (double)n;
}

/* ---- the kernel --------------------------------------------------------- */

static void the_sparse_kernel_gives_the_bits_of_the_dense_product(void **state) {
    (void)state;
    /* A row of 7 nonzeros out of 23 inputs times a 23 x n matrix, for
     * every width up to 40 (each tail of every kernel), against
     * dial_mlp_gemm on the row with its zeros written out. */
    const uint32_t cols[] = {0, 3, 4, 9, 15, 21, 22};
    const double values[] = {0.5, -1.25, 3.0, 1e-3, -7.5, 0.3, 2.2};
    enum { INPUTS = 23, NONZEROS = 7, WIDEST = 40 };
    double b[INPUTS * WIDEST], bias[WIDEST], dense_row[INPUTS] = {0};
    dial_rng rng = dial_rng_stream(7, 1);
    for (size_t k = 0; k < INPUTS * WIDEST; k++) b[k] = 2 * dial_rng_uniform(&rng) - 1;
    for (size_t k = 0; k < WIDEST; k++) bias[k] = dial_rng_uniform(&rng);
    for (size_t e = 0; e < NONZEROS; e++) dense_row[cols[e]] = values[e];
    for (size_t n = 1; n <= WIDEST; n++) {
        double sparse_out[WIDEST + 1], dense_out[WIDEST + 1];
        sparse_out[n] = dense_out[n] = 42; /* nothing written past the row */
        dial_mlp_sparse_combine(n, NONZEROS, values, cols, b, n, bias, sparse_out);
        dial_mlp_gemm(DIAL_MLP_GEMM_ROW, bias, 1, n, INPUTS, dense_row, INPUTS, 1, b, n, dense_out,
                      n);
        assert_memory_equal(sparse_out, dense_out, (n + 1) * sizeof *sparse_out);
        dial_mlp_sparse_combine(n, NONZEROS, values, cols, b, n, NULL, sparse_out);
        dial_mlp_gemm(DIAL_MLP_GEMM_ZERO, NULL, 1, n, INPUTS, dense_row, INPUTS, 1, b, n, dense_out,
                      n);
        assert_memory_equal(sparse_out, dense_out, (n + 1) * sizeof *sparse_out);
    }
}

/* ---- sparse and dense fits ------------------------------------------------ */

static void heart_scale_sparse_fit_is_the_dense_fit_to_the_bit(void **state) {
    (void)state;
    assert_sparse_fit_is_the_dense_fit("data/heart_scale.libsvm",
                                       (const char *[]){"epochs=40", NULL});
    assert_sparse_fit_is_the_dense_fit(
        "data/heart_scale.libsvm",
        (const char *[]){"hidden=16,8", "activation=tanh", "dropout=0.2", "early_stopping=true",
                         "validation_fraction=0.2", "epochs=30", NULL});
    assert_sparse_fit_is_the_dense_fit(
        "data/heart_scale.libsvm",
        (const char *[]){"solver=sgd", "hidden=32", "batch_size=50", "epochs=30", NULL});
}

static void text_sparse_fit_is_the_dense_fit_to_the_bit(void **state) {
    (void)state;
    assert_sparse_fit_is_the_dense_fit(
        "data/text_small.libsvm", (const char *[]){"hidden=32", "batch_size=64", "epochs=8", NULL});
    assert_sparse_fit_is_the_dense_fit("data/text_small.libsvm",
                                       (const char *[]){"hidden=24,12", "activation=logistic",
                                                        "early_stopping=true", "alpha=0.01",
                                                        "batch_size=100", "epochs=6", NULL});
}

static void thread_count_does_not_change_the_sparse_weights(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/text_small.libsvm");
    /* Wide enough that a step is worth three threads (mlp_train.c). */
    dial_knobs knobs = test_knobs(
        ctx, &dial_model_mlp,
        (const char *[]){"hidden=128", "epochs=3", "dropout=0.1", "early_stopping=true", NULL});
    dial_model *one = NULL, *three = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_mlp, &knobs, &h.train, &one));
    dial_ctx_set_threads(ctx, 3);
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_mlp, &knobs, &h.train, &three));
    assert_same_tensors(dial_model_get_tensors(one), dial_model_get_tensors(three));
    dial_model_free(one);
    dial_model_free(three);
    dial_knobs_free(&knobs);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* ---- accuracy against scikit-learn --------------------------------------- */

/* reference_mlp_sparse.py: MLPClassifier on the same compressed rows,
 * seeds 0..9, scores 0.8519 .. 0.8889; the band is that widened by 0.05. */
static void heart_scale_accuracy_is_within_the_band_of_scikit_learn(void **state) {
    (void)state;
    double accuracy = holdout_accuracy("data/heart_scale.libsvm");
    assert_true(accuracy >= 0.8019 && accuracy <= 0.9389);
}

/* reference_mlp_sparse.py: 0.82 .. 0.87 over seeds 0..9, widened by 0.05. */
static void text_accuracy_is_within_the_band_of_scikit_learn(void **state) {
    (void)state;
    double accuracy = holdout_accuracy("data/text_small.libsvm");
    assert_true(accuracy >= 0.77 && accuracy <= 0.92);
}

/* ---- the model file and new data ------------------------------------------ */

static void a_model_fitted_on_sparse_rows_predicts_the_same_from_its_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/text_small.libsvm");
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_mlp, (const char *[]){"hidden=32", "epochs=20", NULL});
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_mlp, &knobs, &h.train, &model));
    const dial_tensor *w = dial_tensors_find(dial_model_get_tensors(model), "layer0.weight");
    assert_non_null(w);
    assert_int_equal(w->shape[0], h.data->sparse->n_cols);
    assert_int_equal(w->shape[1], 32);
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "mlp.dial", bytes, length, &loaded));
    assert_same_tensors(dial_model_get_tensors(model), dial_model_get_tensors(loaded));
    size_t n = h.test.n, k = h.data->n_classes;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    double *pa = malloc(n * k * sizeof *pa), *pb = malloc(n * k * sizeof *pb);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &h.test, a, pa));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &h.test, b, pb));
    assert_memory_equal(a, b, n * sizeof *a);
    assert_memory_equal(pa, pb, n * k * sizeof *pa);
    free(a);
    free(b);
    free(pa);
    free(pb);
    free(bytes);
    dial_model_free(model);
    dial_model_free(loaded);
    dial_knobs_free(&knobs);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

/* Predicts every row of LIBSVM text with model: classes and probabilities
 * (2 classes). */
static void predict_text(dial_ctx *ctx, const dial_model *model, const char *text, double *value,
                         double *proba) {
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "new.libsvm", text, strlen(text), &table));
    assert_dial_ok(ctx, dial_model_bind(ctx, model, table, &data));
    dial_view all = dial_view_all(data);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, proba));
    dial_dataset_free(data);
    dial_table_free(table);
}

static void an_index_the_model_never_saw_is_ignored_at_predict(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/heart_scale.libsvm");
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, (const char *[]){"epochs=50", NULL});
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_mlp, &knobs, &h.train, &model));
    /* heart_scale has 13 features: 14, 50 and 200 are new, and 2 and 5
     * are left out of some rows (they are then 0). */
    const char *with_new = "+1 1:0.5 3:-0.25 14:1 200:3\n"
                           "-1 2:0.1 13:0.7 50:2\n"
                           "+1 4:-1 5:0.2 6:1 7:-0.5 8:0.25 9:1 10:-1 11:0.5 12:0.5 13:-1\n";
    const char *known = "+1 1:0.5 3:-0.25\n"
                        "-1 2:0.1 13:0.7\n"
                        "+1 4:-1 5:0.2 6:1 7:-0.5 8:0.25 9:1 10:-1 11:0.5 12:0.5 13:-1\n";
    double value_a[3], value_b[3], proba_a[6], proba_b[6];
    predict_text(ctx, model, with_new, value_a, proba_a);
    predict_text(ctx, model, known, value_b, proba_b);
    assert_memory_equal(value_a, value_b, sizeof value_a);
    assert_memory_equal(proba_a, proba_b, sizeof proba_a);
    for (size_t i = 0; i < 3; i++)
        assert_true(fabs(proba_a[2 * i] + proba_a[2 * i + 1] - 1) < 1e-12);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

static void a_compressed_column_beyond_the_inputs_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    holdout h = load_holdout(ctx, "data/heart_scale.libsvm");
    family_rows train;
    take_rows(&h.train, &train);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, (const char *[]){"epochs=2", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_mlp.fit(ctx, &knobs, &train.sparse_in, &learned));
    /* Two rows, the second with a column (0-based 13) past the 13 inputs:
     * a bug in what calls the family, which must not read past the
     * weights. */
    size_t row_start[] = {0, 1, 3};
    uint32_t col[] = {0, 2, 13};
    double value[] = {1, 1, 1}, out[2];
    dial_csr csr = {.n_rows = 2, .n_cols = 14, .row_start = row_start, .col = col, .value = value};
    dial_fit_input in = {.n_rows = 2,
                         .n_features = 13,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2,
                         .sparse = &csr};
    assert_dial_error(
        ctx, dial_model_mlp.predict(ctx, &knobs, &learned, &in, &(dial_predict_output){out, NULL}),
        DIAL_ERR_INTERNAL, "mlp: row 2 has column 14 of 13 inputs: a bug in dial");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    free_rows(&train);
    free_holdout(&h);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_sparse_kernel_gives_the_bits_of_the_dense_product),
        cmocka_unit_test(heart_scale_sparse_fit_is_the_dense_fit_to_the_bit),
        cmocka_unit_test(text_sparse_fit_is_the_dense_fit_to_the_bit),
        cmocka_unit_test(thread_count_does_not_change_the_sparse_weights),
        cmocka_unit_test(heart_scale_accuracy_is_within_the_band_of_scikit_learn),
        cmocka_unit_test(text_accuracy_is_within_the_band_of_scikit_learn),
        cmocka_unit_test(a_model_fitted_on_sparse_rows_predicts_the_same_from_its_file),
        cmocka_unit_test(an_index_the_model_never_saw_is_ignored_at_predict),
        cmocka_unit_test(a_compressed_column_beyond_the_inputs_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
