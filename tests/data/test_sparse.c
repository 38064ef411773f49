/* Sparse data end to end: a LIBSVM file read into compressed rows, views
 * and fingerprints on them, the preprocessing that keeps them sparse
 * (maxabs; standard refused), a dense family given them made dense (and
 * refused above the cap), and a model that predicts from a LIBSVM file with
 * any indices, saved and loaded. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csr.h"
#include "data/preprocess.h"
#include "dial/modelfile.h"

/* Whether the length bytes at bytes hold text. */
static bool holds(const char *bytes, size_t length, const char *text) {
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= length; i++)
        if (memcmp(bytes + i, text, n) == 0) return true;
    return false;
}

static dial_table *parse(dial_ctx *ctx, const char *text) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, strlen(text), &table));
    return table;
}

static dial_dataset *dataset(dial_ctx *ctx, const dial_table *table) {
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    return data;
}

static void a_libsvm_dataset_is_sparse_with_one_feature_per_index(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    assert_ptr_equal(data->sparse, table->sparse);
    assert_int_equal(data->n_rows, 500);
    assert_int_equal(data->n_features, 2999); /* the largest index in the file */
    assert_int_equal(data->n_classes, 5);
    /* Feature j is compressed column j. */
    for (size_t j = 0; j < data->n_features; j += 997)
        assert_int_equal(dial_csr_feature_column(data, j), j);
    /* A few dozen nonzeros a row, not 3000. */
    size_t nnz = data->sparse->row_start[500];
    assert_true(nnz > 500 * 20 && nnz < 500 * 150);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_sparse_nan_an_ignore_or_a_group_column_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "1 1:2 3:nan\n2 2:1\n");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "feature 'f3' has a missing (NaN) value on row 1: sparse data takes finite "
                      "numbers only");
    dial_table_free(table);
    table = parse(ctx, "1 1:2 3:1\n2 2:1\n");
    data = dataset(ctx, table);
    assert_dial_error(ctx, dial_dataset_ignore(ctx, data, "f2"), DIAL_ERR_DATA,
                      "column 'f2' cannot be ignored: the data is sparse (a LIBSVM file), whose "
                      "features cannot be taken out yet");
    const dial_column *group = NULL;
    assert_dial_error(ctx, dial_dataset_drop_feature(ctx, data, "f1", &group), DIAL_ERR_DATA,
                      "column 'f1' cannot be a column of folds or groups: the data is sparse (a "
                      "LIBSVM file), whose features cannot be taken out yet");
    assert_int_equal(data->n_features, 3);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void the_fingerprint_of_sparse_rows_follows_their_values(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *a = parse(ctx, "1 1:2 3:1\n2 2:1\n1 3:4\n");
    dial_table *b = parse(ctx, "1 1:2 3:1\n2 2:1\n1 3:5\n");
    dial_table *c = parse(ctx, "1 1:2 2:0 3:1\n2 2:1\n1 3:4\n"); /* an explicit 0 */
    dial_dataset *da = dataset(ctx, a), *db = dataset(ctx, b), *dc = dataset(ctx, c);
    dial_view va = dial_view_all(da), vb = dial_view_all(db), vc = dial_view_all(dc);
    assert_true(dial_view_fingerprint(&va) != dial_view_fingerprint(&vb));
    assert_true(dial_view_fingerprint(&va) == dial_view_fingerprint(&vc));
    size_t rows[] = {2, 0, 1};
    dial_view shuffled = {.data = da, .rows = rows, .n = 3};
    dial_data_fingerprints fa, fs;
    assert_true(dial_view_fingerprints(&va, &fa));
    assert_true(dial_view_fingerprints(&shuffled, &fs));
    assert_true(fa.exact != fs.exact);
    assert_true(fa.any_row_order == fs.any_row_order);
    dial_dataset_free(da);
    dial_dataset_free(db);
    dial_dataset_free(dc);
    dial_table_free(a);
    dial_table_free(b);
    dial_table_free(c);
    dial_ctx_free(ctx);
}

/* The schema preprocessing sees for data (borrowed names). */
static dial_feature *schema(dial_ctx *ctx, const dial_dataset *data) {
    (void)ctx;
    dial_feature *features = calloc(data->n_features, sizeof *features);
    for (size_t j = 0; j < data->n_features; j++)
        features[j] = (dial_feature){.name = data->features[j]->name, .type = DIAL_COLUMN_NUMERIC};
    return features;
}

static void standard_scaling_is_refused_on_sparse_data_naming_maxabs(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "1 1:2 3:1\n2 2:1\n");
    dial_dataset *data = dataset(ctx, table);
    dial_feature *features = schema(ctx, data);
    dial_view all = dial_view_all(data);
    dial_tensors learned = {0};
    assert_dial_error(ctx,
                      dial_preprocess_fit(ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD, features, 3,
                                          &all, &learned),
                      DIAL_ERR_ARGUMENT,
                      "scale=standard centres the features, which would make sparse data dense; "
                      "use scale=maxabs (each feature divided by its largest |value|) or "
                      "scale=none, the default for sparse data");
    assert_int_equal(learned.count, 0);
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void maxabs_divides_sparse_rows_as_their_dense_copy(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "1 1:2 3:-4\n2 2:1 3:2\n1 1:-1\n");
    dial_dataset *data = dataset(ctx, table);
    dial_feature *features = schema(ctx, data);
    size_t rows[] = {0, 1}; /* learned on the first two rows only */
    dial_view train = {.data = data, .rows = rows, .n = 2};
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_preprocess_fit(ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_MAXABS, features, 3,
                                            &train, &learned));
    /* No fill (a sparse value is never missing), a centre of zeros. */
    assert_null(dial_tensors_find(&learned, "preprocess.fill"));
    const double *center = NULL, *spread = NULL;
    assert_dial_ok(ctx, dial_preprocess_scaling(ctx, features, 3, &learned, &center, &spread));
    assert_true(center[0] == 0 && center[1] == 0 && center[2] == 0);
    assert_true(spread[0] == 2 && spread[1] == 1 && spread[2] == 4);
    dial_view all = dial_view_all(data);
    dial_csr *x = NULL;
    assert_dial_ok(ctx,
                   dial_preprocess_transform_sparse(ctx, features, 3, center, spread, &all, &x));
    assert_int_equal(x->row_start[3], 5);
    assert_true(x->value[0] == 1 && x->value[1] == -1 && x->value[4] == -0.5);
    double *dense = NULL, *sparse_dense = NULL;
    assert_dial_ok(ctx, dial_preprocess_transform(ctx, features, 3, &learned, &all, &dense, NULL));
    assert_dial_ok(ctx, dial_csr_to_dense(ctx, x, &sparse_dense));
    assert_memory_equal(dense, sparse_dense, 9 * sizeof(double));
    free(dense);
    free(sparse_dense);
    dial_csr_free(x);
    dial_tensors_clear(&learned);
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void maxabs_on_dense_data_divides_without_centring(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *csv = "a,b,y\n-3,0,x\n1,0,z\n2,0,x\n";
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "t.csv", csv, strlen(csv), NULL, &table));
    dial_dataset *data = dataset(ctx, table);
    dial_feature *features = schema(ctx, data);
    dial_view all = dial_view_all(data);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_preprocess_fit(ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_MAXABS, features, 2,
                                            &all, &learned));
    double *x = NULL;
    assert_dial_ok(ctx, dial_preprocess_transform(ctx, features, 2, &learned, &all, &x, NULL));
    double expected[] = {-1, 0, 1.0 / 3, 0, 2.0 / 3, 0};
    for (size_t k = 0; k < 6; k++) assert_true(x[k] == expected[k]);
    free(x);
    dial_tensors_clear(&learned);
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Predictions of model on a LIBSVM text, into value (n rows). */
static void predict_text(dial_ctx *ctx, const dial_model *model, const char *text, double *value) {
    dial_table *table = parse(ctx, text);
    dial_dataset *bound = NULL;
    assert_dial_ok(ctx, dial_model_bind(ctx, model, table, &bound));
    dial_view all = dial_view_all(bound);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, NULL));
    dial_dataset_free(bound);
    dial_table_free(table);
}

static void a_sparse_model_predicts_from_any_indices_and_survives_its_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *train = "1 1:1 2:0.1\n1 1:0.9 3:0.2\n2 2:1\n2 2:0.8 3:0.1\n3 3:1\n3 1:0 3:0.9\n";
    dial_table *table = parse(ctx, train);
    dial_dataset *data = dataset(ctx, table);
    const dial_model_family *knn = dial_model_family_find("knn");
    dial_knobs knobs = test_knobs(ctx, knn, (const char *const[]){"k=1", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, knn, &knobs, &all, &model));
    assert_int_equal(dial_model_n_features(model), 3);
    /* Index 9 the model never saw is ignored; a file without index 3 reads
     * it as 0. */
    double value[3];
    predict_text(ctx, model, "0 1:1 9:50\n0 2:1\n0 3:1 4:7\n", value);
    assert_true(value[0] == 0 && value[1] == 1 && value[2] == 2);
    predict_text(ctx, model, "0 2:0.9\n", value);
    assert_true(value[0] == 1);
    /* The file keeps "sparse" and the count, and the loaded model predicts
     * the same. */
    char *path = test_write_temp("", 0, ".dial");
    assert_dial_ok(ctx, dial_model_save(ctx, model, path));
    size_t length = 0;
    char *bytes = test_read_file(path, &length);
    assert_true(holds(bytes, length, "\"sparse\": true"));
    assert_false(holds(bytes, length, "\"f2\""));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load(ctx, path, &loaded));
    assert_int_equal(dial_model_n_features(loaded), 3);
    assert_string_equal(dial_model_feature_name(loaded, 2), "f3");
    predict_text(ctx, loaded, "0 1:1 9:50\n0 2:1\n0 3:1 4:7\n", value);
    assert_true(value[0] == 0 && value[1] == 1 && value[2] == 2);
    /* A CSV is no input for it. */
    const char *csv = "f1,f2,f3\n1,0,0\n";
    dial_table *dense = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "new.csv", csv, strlen(csv), NULL, &dense));
    dial_dataset *bound = NULL;
    assert_dial_error(ctx, dial_model_bind(ctx, loaded, dense, &bound), DIAL_ERR_DATA,
                      "the model was fitted on sparse data (a LIBSVM file, 3 features) and "
                      "predicts from one: give the rows in LIBSVM format");
    dial_table_free(dense);
    free(bytes);
    remove(path);
    free(path);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_dense_family_is_refused_rows_too_large_to_make_dense(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    /* 400 rows x 100,000 features: 305 MB dense, 400 nonzeros sparse;
     * kmeans takes dense input only (the target is not shown to it) */
    size_t size = 400 * 18 + 1;
    char *text = malloc(size), *at = text;
    for (int i = 0; i < 400; i++)
        at += sprintf(at, "%d.5 %d:1\n", i % 2, i == 0 ? 100000 : 1 + i % 7);
    dial_table *table = parse(ctx, text);
    dial_dataset *data = dataset(ctx, table);
    const dial_model_family *kmeans = dial_model_family_find("kmeans");
    dial_knobs knobs = test_knobs(ctx, kmeans, NULL);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    char expected[400];
    snprintf(
        expected, sizeof expected,
        "model 'kmeans' does not take sparse input, and these 400 x 100000 rows would take 305 "
        "MB dense (at most 256 MB); models that take sparse input: %s",
        "linear, logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt");
    assert_dial_error(ctx, dial_model_fit(ctx, kmeans, &knobs, &all, &model), DIAL_ERR_UNSUPPORTED,
                      expected);
    assert_null(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    free(text);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_libsvm_dataset_is_sparse_with_one_feature_per_index),
        cmocka_unit_test(a_sparse_nan_an_ignore_or_a_group_column_is_refused),
        cmocka_unit_test(the_fingerprint_of_sparse_rows_follows_their_values),
        cmocka_unit_test(standard_scaling_is_refused_on_sparse_data_naming_maxabs),
        cmocka_unit_test(maxabs_divides_sparse_rows_as_their_dense_copy),
        cmocka_unit_test(maxabs_on_dense_data_divides_without_centring),
        cmocka_unit_test(a_sparse_model_predicts_from_any_indices_and_survives_its_file),
        cmocka_unit_test(a_dense_family_is_refused_rows_too_large_to_make_dense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
