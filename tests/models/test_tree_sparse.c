/* tree and forest on sparse rows (issue 17; src/models/cart_sparse.c): a
 * code per entry of the rows instead of one per cell, with the bins the
 * rows made dense would get, so the trees grown are those of the dense
 * rows, bit for bit, and predicting reads the compressed rows as the
 * values they stand for. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/modelfile.h"
#include "models/model_internal.h"

/* The rows of a sparse file, each written out dense (n x d). */
static double *dense_rows(const dial_csr *a) {
    double *x = calloc(a->n_rows * a->n_cols, sizeof *x);
    for (size_t i = 0; i < a->n_rows; i++)
        for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++)
            x[i * a->n_cols + a->col[k]] = a->value[k];
    return x;
}

/* The same fit input with its rows dense: x owned by the caller (free
 * dense.x), sparse NULL. */
static dial_fit_input dense_twin(const dial_fit_input *in) {
    dial_fit_input dense = *in;
    dense.sparse = NULL;
    dense.x = dense_rows(in->sparse);
    return dense;
}

static const char *const cart_tensors[] = {"tree_offset", "feature",   "threshold",
                                           "left",        "right",     "value",
                                           "impurity",    "n_samples", "oob_score"};

/* Fits the family on the file's rows compressed and dense: the same
 * tensors to the bit, and the same predictions (and probabilities) from
 * compressed rows as from dense ones. */
static void sparse_fit_matches(const char *family_name, const char *path,
                               const char *const *settings, bool regression) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, NULL, &table);
    const dial_csr *a = data->sparse;
    assert_non_null(a);
    const dial_model_family *family = dial_model_family_find(family_name);
    assert_true(family->sparse_input);
    dial_knobs knobs = test_knobs(ctx, family, settings);
    size_t n = a->n_rows, d = a->n_cols, k = regression ? 1 : data->n_classes;
    dial_fit_input in = {.sparse = a,
                         .n_rows = n,
                         .n_features = d,
                         .y = data->y,
                         .task = regression ? DIAL_TASK_REGRESSION : DIAL_TASK_CLASSIFICATION,
                         .n_classes = regression ? 0 : k};
    dial_fit_input dense = dense_twin(&in);
    dial_tensors from_sparse = {0}, from_dense = {0};
    assert_dial_ok(ctx, family->fit(ctx, &knobs, &in, &from_sparse));
    assert_dial_ok(ctx, family->fit(ctx, &knobs, &dense, &from_dense));
    for (size_t t = 0; t < sizeof cart_tensors / sizeof cart_tensors[0]; t++) {
        const dial_tensor *p = dial_tensors_find(&from_sparse, cart_tensors[t]);
        const dial_tensor *q = dial_tensors_find(&from_dense, cart_tensors[t]);
        if (!q) continue; /* a family keeps some of them only */
        assert_non_null(p);
        assert_int_equal(p->ndim, q->ndim);
        size_t cells = 1;
        for (int j = 0; j < q->ndim; j++) {
            assert_int_equal(p->shape[j], q->shape[j]);
            cells *= q->shape[j];
        }
        assert_memory_equal(p->data, q->data, cells * 8);
    }
    double *v_sparse = malloc(n * sizeof(double)), *v_dense = malloc(n * sizeof(double));
    double *p_sparse = malloc(n * k * sizeof(double)), *p_dense = malloc(n * k * sizeof(double));
    in.y = dense.y = NULL;
    dial_predict_output out = {v_sparse, regression ? NULL : p_sparse};
    assert_dial_ok(ctx, family->predict(ctx, &knobs, &from_sparse, &in, &out));
    out = (dial_predict_output){v_dense, regression ? NULL : p_dense};
    assert_dial_ok(ctx, family->predict(ctx, &knobs, &from_dense, &dense, &out));
    assert_memory_equal(v_sparse, v_dense, n * sizeof(double));
    if (!regression) assert_memory_equal(p_sparse, p_dense, n * k * sizeof(double));
    size_t right = 0;
    for (size_t i = 0; i < n; i++) right += fabs(v_sparse[i] - data->y[i]) < 0.5;
    print_message("%s on %s: %zu of %zu training rows right\n", family_name, path, right, n);
    assert_true(right > n * 8 / 10); /* no constant: the trees tell classes apart */
    free(v_sparse);
    free(v_dense);
    free(p_sparse);
    free(p_dense);
    free((double *)dense.x);
    dial_tensors_clear(&from_sparse);
    dial_tensors_clear(&from_dense);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void sparse_fit_is_the_dense_fit(const char *family_name, const char *path,
                                        const char *const *settings) {
    sparse_fit_matches(family_name, path, settings, false);
}

/* heart_scale: 13 features in [-1, 1], zeros among the values */
static void a_tree_on_sparse_rows_is_the_tree_on_dense_rows(void **state) {
    (void)state;
    sparse_fit_is_the_dense_fit("tree", "data/heart_scale.libsvm", NULL);
    sparse_fit_is_the_dense_fit("tree", "data/text_small.libsvm",
                                (const char *const[]){"max_depth=8", NULL});
}

/* text_small: word counts, 500 rows of a wide vocabulary */
static void a_forest_on_sparse_rows_is_the_forest_on_dense_rows(void **state) {
    (void)state;
    sparse_fit_is_the_dense_fit("forest", "data/text_small.libsvm",
                                (const char *const[]){"n_estimators=20", NULL});
    sparse_fit_is_the_dense_fit("forest", "data/heart_scale.libsvm",
                                (const char *const[]){"n_estimators=10", NULL});
}

/* Gini with whole weights adds a sparse feature's zero bin at once; the
 * other criteria, and fractional weights (class_weight=balanced), gather
 * every row's code: each way gives the dense fit's trees. */
static void every_criterion_and_weighting_on_sparse_rows_gives_the_dense_trees(void **state) {
    (void)state;
    sparse_fit_is_the_dense_fit("forest", "data/text_small.libsvm",
                                (const char *const[]){"n_estimators=5", "criterion=entropy", NULL});
    sparse_fit_is_the_dense_fit(
        "forest", "data/text_small.libsvm",
        (const char *const[]){"n_estimators=5", "class_weight=balanced", NULL});
    sparse_fit_is_the_dense_fit("tree", "data/heart_scale.libsvm",
                                (const char *const[]){"class_weight=balanced", NULL});
    sparse_fit_is_the_dense_fit(
        "forest", "data/text_small.libsvm",
        (const char *const[]){"n_estimators=5", "min_samples_leaf=4", "max_features=all", NULL});
    sparse_fit_is_the_dense_fit("tree", "data/text_small.libsvm",
                                (const char *const[]){"min_samples_leaf=3", NULL});
    /* the class index taken as a number to predict */
    sparse_fit_matches("forest", "data/text_small.libsvm",
                       (const char *const[]){"n_estimators=5", NULL}, true);
    sparse_fit_matches("tree", "data/heart_scale.libsvm",
                       (const char *const[]){"criterion=absolute_error", NULL}, true);
}

/* Rows with explicit zeros, negative values (the zero bin in the middle)
 * and repeated values, from a fixed generator: the sparse fit equals the
 * dense one, and 1 and 2 threads grow the same forest. */
static void explicit_zeros_and_threads_give_the_dense_forest(void **state) {
    (void)state;
    enum { N = 400, D = 60, PER_ROW = 12 };
    size_t *row_start = malloc((N + 1) * sizeof *row_start);
    uint32_t *col = malloc(N * PER_ROW * sizeof *col);
    double *value = malloc(N * PER_ROW * sizeof *value), y[N];
    uint64_t state_rng = 12345;
    size_t nnz = 0;
    row_start[0] = 0;
    for (size_t i = 0; i < N; i++) {
        uint32_t f = 0;
        double score = 0;
        for (size_t e = 0; e < PER_ROW; e++) {
            state_rng = state_rng * 6364136223846793005ull + 1442695040888963407ull;
            f += 1 + (uint32_t)(state_rng >> 59); /* gaps of 1 to 32: ascending, some past D */
            if (f >= D) break;
            /* values among -2, -1, 0 (explicit), 1, 2, 3, and a few fractions */
            int pick = (int)(state_rng >> 40 & 7);
            double v = pick < 6 ? pick - 2 : 0.25 * (double)(state_rng >> 50 & 15);
            col[nnz] = f;
            value[nnz++] = v;
            score += f % 3 == 0 ? v : -0.5 * v;
        }
        row_start[i + 1] = nnz;
        y[i] = score > 1 ? 2 : score > -1 ? 1 : 0;
    }
    dial_csr a = {.n_rows = N, .n_cols = D, .row_start = row_start, .col = col, .value = value};
    dial_fit_input in = {.sparse = &a,
                         .n_rows = N,
                         .n_features = D,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 3};
    dial_fit_input dense = dense_twin(&in);
    const dial_model_family *forest = dial_model_family_find("forest");
    const char *const settings[][3] = {{"n_estimators=8", NULL},
                                       {"n_estimators=8", "min_samples_leaf=3", NULL},
                                       {"n_estimators=8", "criterion=entropy", NULL}};
    for (size_t s = 0; s < sizeof settings / sizeof settings[0]; s++) {
        dial_ctx *ctx = test_ctx();
        dial_knobs knobs = test_knobs(ctx, forest, settings[s]);
        dial_tensors one = {0}, two = {0}, from_dense = {0};
        assert_dial_ok(ctx, forest->fit(ctx, &knobs, &in, &one));
        dial_ctx_set_threads(ctx, 2);
        assert_dial_ok(ctx, forest->fit(ctx, &knobs, &in, &two));
        assert_dial_ok(ctx, forest->fit(ctx, &knobs, &dense, &from_dense));
        assert_int_equal(one.count, from_dense.count);
        for (size_t t = 0; t < from_dense.count; t++) {
            const dial_tensor *q = &from_dense.items[t];
            const dial_tensor *p = dial_tensors_find(&one, q->name);
            const dial_tensor *r = dial_tensors_find(&two, q->name);
            assert_non_null(p);
            assert_non_null(r);
            size_t bytes = dial_tensor_size(q) * dial_dtype_size(q->dtype);
            assert_int_equal(dial_tensor_size(p), dial_tensor_size(q));
            assert_int_equal(dial_tensor_size(r), dial_tensor_size(q));
            assert_memory_equal(p->data, q->data, bytes);
            assert_memory_equal(r->data, q->data, bytes);
        }
        const dial_tensor *features = dial_tensors_find(&one, "feature");
        size_t splits = 0;
        for (size_t i = 0; i < dial_tensor_size(features); i++)
            splits += ((const int64_t *)features->data)[i] >= 0;
        assert_true(splits > 8 * 10); /* the trees split, not one leaf each */
        dial_tensors_clear(&one);
        dial_tensors_clear(&two);
        dial_tensors_clear(&from_dense);
        dial_knobs_free(&knobs);
        dial_ctx_free(ctx);
    }
    free((double *)dense.x);
    free(row_start);
    free(col);
    free(value);
}

/* A feature of more distinct values than 16-bit codes hold (80,000 rows):
 * runs of values share a bin, and a bin's bounds (its lowest and highest
 * value, read back from the entries once the feature is cut) give the
 * thresholds the dense rows give, the zeros' run among the negatives and
 * the positives. */
static void a_feature_of_more_values_than_codes_gives_the_dense_tree(void **state) {
    (void)state;
    enum { N = 80000, D = 2 };
    size_t *row_start = malloc((N + 1) * sizeof *row_start);
    uint32_t *col = malloc(N * D * sizeof *col);
    double *value = malloc(N * D * sizeof *value), *y = malloc(N * sizeof *y);
    uint64_t rng = 99;
    size_t nnz = 0;
    row_start[0] = 0;
    for (size_t i = 0; i < N; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)(rng >> 11) / 9007199254740992.0 * 4 - 1; /* [-1, 3) */
        if (i % 7 != 0) { /* every seventh row holds 0 in feature 0 */
            col[nnz] = 0;
            value[nnz++] = v;
        }
        if (i % 3 == 0) {
            col[nnz] = 1;
            value[nnz++] = (double)(i % 5);
        }
        row_start[i + 1] = nnz;
        y[i] = (i % 7 != 0 && v > 1.3) ^ (i % 11 == 0);
    }
    dial_csr a = {.n_rows = N, .n_cols = D, .row_start = row_start, .col = col, .value = value};
    dial_fit_input in = {.sparse = &a,
                         .n_rows = N,
                         .n_features = D,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2};
    dial_fit_input dense = dense_twin(&in);
    const dial_model_family *tree = dial_model_family_find("tree");
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, tree, (const char *const[]){"max_depth=6", NULL});
    dial_tensors from_sparse = {0}, from_dense = {0};
    assert_dial_ok(ctx, tree->fit(ctx, &knobs, &in, &from_sparse));
    assert_dial_ok(ctx, tree->fit(ctx, &knobs, &dense, &from_dense));
    assert_int_equal(from_sparse.count, from_dense.count);
    for (size_t t = 0; t < from_dense.count; t++) {
        const dial_tensor *q = &from_dense.items[t];
        const dial_tensor *p = dial_tensors_find(&from_sparse, q->name);
        assert_non_null(p);
        assert_int_equal(dial_tensor_size(p), dial_tensor_size(q));
        assert_memory_equal(p->data, q->data, dial_tensor_size(q) * dial_dtype_size(q->dtype));
    }
    /* the root splits feature 0 near 1.3, between two bins' bounds */
    const dial_tensor *threshold = dial_tensors_find(&from_sparse, "threshold");
    const dial_tensor *feature = dial_tensors_find(&from_sparse, "feature");
    assert_int_equal(((const int64_t *)feature->data)[0], 0);
    assert_true(fabs(((const double *)threshold->data)[0] - 1.3) < 1e-3);
    dial_tensors_clear(&from_sparse);
    dial_tensors_clear(&from_dense);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    free((double *)dense.x);
    free(y);
    free(row_start);
    free(col);
    free(value);
}

/* Fitted on a file's rows and read back from a model file, the model
 * predicts the held-out rows (every fifth) as before. */
static void round_trip(const char *family_name, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    size_t n = data->n_rows, n_train = 0, n_test = 0, k = data->n_classes;
    size_t *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    const dial_model_family *family = dial_model_family_find(family_name);
    dial_knobs knobs = test_knobs(ctx, family, settings);
    dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
    dial_view test_rows = {.data = data, .rows = test, .n = n_test};
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, family, &knobs, &fit_rows, &model));
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "trees.dial", bytes, length, &loaded));
    double *v0 = malloc(n_test * sizeof(double)), *v1 = malloc(n_test * sizeof(double));
    double *p0 = malloc(n_test * k * sizeof(double)), *p1 = malloc(n_test * k * sizeof(double));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_rows, v0, p0));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &test_rows, v1, p1));
    assert_memory_equal(v0, v1, n_test * sizeof(double));
    assert_memory_equal(p0, p1, n_test * k * sizeof(double));
    size_t right = 0;
    for (size_t i = 0; i < n_test; i++) right += v0[i] == data->y[test[i]];
    print_message("%s held-out accuracy %.2f\n", family_name, (double)right / (double)n_test);
    free(v0);
    free(v1);
    free(p0);
    free(p1);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void sparse_fits_round_trip_through_a_model_file(void **state) {
    (void)state;
    round_trip("tree", NULL);
    round_trip("forest", (const char *const[]){"n_estimators=20", NULL});
}

/* A NaN among the entries is named by its row and feature, as in dense
 * rows. */
static void a_nan_entry_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t row_start[3] = {0, 2, 3};
    uint32_t col[3] = {0, 2, 1};
    double value[3] = {1, 2, NAN}, y[2] = {0, 1};
    dial_csr a = {.n_rows = 2, .n_cols = 3, .row_start = row_start, .col = col, .value = value};
    dial_fit_input in = {.sparse = &a,
                         .n_rows = 2,
                         .n_features = 3,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2};
    const dial_model_family *tree = dial_model_family_find("tree");
    dial_knobs knobs = test_knobs(ctx, tree, NULL);
    dial_tensors learned = {0};
    assert_dial_error(ctx, tree->fit(ctx, &knobs, &in, &learned), DIAL_ERR_DATA,
                      "tree: feature 1 of row 1 is nan; impute missing values first");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tree_on_sparse_rows_is_the_tree_on_dense_rows),
        cmocka_unit_test(a_forest_on_sparse_rows_is_the_forest_on_dense_rows),
        cmocka_unit_test(every_criterion_and_weighting_on_sparse_rows_gives_the_dense_trees),
        cmocka_unit_test(explicit_zeros_and_threads_give_the_dense_forest),
        cmocka_unit_test(a_feature_of_more_values_than_codes_gives_the_dense_tree),
        cmocka_unit_test(sparse_fits_round_trip_through_a_model_file),
        cmocka_unit_test(a_nan_entry_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
