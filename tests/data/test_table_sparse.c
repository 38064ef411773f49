/* A CSV table made sparse (src/data/table_sparse.c): every column's block
 * of compressed columns in file order, the values a sparse read refuses,
 * the rule that makes a CSV sparse by itself, the fingerprint that tells
 * it from the same file read dense, and a model fitted on it that keeps
 * its levels in its file and matches a new file's levels by name. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/csr.h"
#include "dial/modelfile.h"

static dial_table *parse_sparse(dial_ctx *ctx, const char *text) {
    dial_csv_options options = {.sparse = true};
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "t.csv", text, strlen(text), &options, &table));
    return table;
}

static void each_column_is_a_block_of_compressed_columns_in_file_order(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_sparse(ctx, "n,c,y\n0,a,1\n2.5,b,0\n-1,a,1\n");
    /* n one column, c one per level (a, b), y one. */
    const size_t first[] = {0, 1, 3, 4};
    for (size_t c = 0; c < 4; c++) assert_int_equal(table->sparse_first[c], first[c]);
    const dial_csr *m = table->sparse;
    assert_int_equal(m->n_rows, 3);
    assert_int_equal(m->n_cols, 4);
    /* A 0 is not stored; a level is a 1 in its column. */
    const size_t starts[] = {0, 2, 4, 7};
    const uint32_t cols[] = {1, 3, 0, 2, 0, 1, 3};
    const double values[] = {1, 1, 2.5, 1, -1, 1, 1};
    for (size_t i = 0; i < 4; i++) assert_int_equal(m->row_start[i], starts[i]);
    for (size_t k = 0; k < 7; k++) {
        assert_int_equal(m->col[k], cols[k]);
        assert_true(m->value[k] == values[k]);
    }
    /* The columns keep their values: the target is read from them. */
    assert_true(table->cols[0].values[1] == 2.5);
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "y", DIAL_TASK_AUTO, &data));
    assert_ptr_equal(data->sparse, m);
    assert_int_equal(data->n_classes, 2);
    assert_int_equal(dial_csr_feature_column(data, 0), 0);
    assert_int_equal(dial_csr_feature_column(data, 1), 1);
    /* Any column may be ignored, unlike a LIBSVM file's. */
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "n"));
    assert_int_equal(data->n_features, 1);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_missing_or_infinite_value_is_refused_with_its_column_and_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.sparse = true};
    dial_table *table = NULL;
    const char *missing = "n,c\n1,a\n2,NA\n";
    assert_dial_error(ctx, dial_csv_parse(ctx, "t.csv", missing, strlen(missing), &options, &table),
                      DIAL_ERR_DATA,
                      "column 'c' is missing on row 2: sparse data has no missing values; fill "
                      "them in, or read the file dense (--dense)");
    assert_null(table);
    const char *infinite = "n,c\n1,a\ninf,b\n";
    assert_dial_error(
        ctx, dial_csv_parse(ctx, "t.csv", infinite, strlen(infinite), &options, &table),
        DIAL_ERR_DATA,
        "column 'n' has an infinite value on row 2: sparse data takes finite numbers only");
    /* A LIBSVM table is sparse already. */
    const char *text = "1 1:2\n";
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, strlen(text), &table));
    assert_dial_error(ctx, dial_table_make_sparse(ctx, table), DIAL_ERR_ARGUMENT,
                      "the table is sparse already (a LIBSVM file)");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_csv_is_made_sparse_by_itself_when_its_one_hot_rows_are_mostly_zeros(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diamonds_sizes.csv", "cut", &table);
    size_t n_inputs = 0;
    double zeros = 0;
    assert_true(dial_dataset_prefers_sparse(data, &n_inputs, &zeros));
    /* 3,850 sizes, 7 colours, 8 clarities and 4 numbers, none of them 0:
     * 7 nonzeros a row. */
    assert_int_equal(n_inputs, 3850 + 7 + 8 + 4);
    assert_true(fabs(zeros - (1 - 7.0 / 3869)) < 1e-12);
    /* Without the sizes, 19 inputs: dense. */
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "size"));
    assert_false(dial_dataset_prefers_sparse(data, &n_inputs, &zeros));
    assert_int_equal(n_inputs, 19);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_csv_read_sparse_has_a_fingerprint_of_its_own(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *text = "n,c,y\n0,a,1\n2.5,b,0\n-1,a,1\n";
    dial_table *dense = NULL, *sparse = parse_sparse(ctx, text), *again = parse_sparse(ctx, text);
    assert_dial_ok(ctx, dial_csv_parse(ctx, "t.csv", text, strlen(text), NULL, &dense));
    dial_dataset *a = NULL, *b = NULL, *c = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, dense, NULL, DIAL_TASK_AUTO, &a));
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, sparse, NULL, DIAL_TASK_AUTO, &b));
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, again, NULL, DIAL_TASK_AUTO, &c));
    dial_view va = dial_view_all(a), vb = dial_view_all(b), vc = dial_view_all(c);
    /* Logistic fits sparse rows with another solver: a study must not mix them. */
    assert_true(dial_view_fingerprint(&va) != dial_view_fingerprint(&vb));
    assert_true(dial_view_fingerprint(&vb) == dial_view_fingerprint(&vc));
    dial_data_fingerprints fa, fb;
    assert_true(dial_view_fingerprints(&va, &fa) && dial_view_fingerprints(&vb, &fb));
    assert_true(fa.any_order != fb.any_order && fa.any_row_order != fb.any_row_order);
    dial_dataset_free(a);
    dial_dataset_free(b);
    dial_dataset_free(c);
    dial_table_free(dense);
    dial_table_free(sparse);
    dial_table_free(again);
    dial_ctx_free(ctx);
}

/* The lines of a CSV file after its header, last first: the levels then
 * appear in another order than the file's. */
static char *reversed_rows(const char *path) {
    size_t length = 0;
    char *text = test_read_file(path, &length);
    char *out = malloc(length + 2), *at = out;
    char *body = strchr(text, '\n') + 1;
    memcpy(at, text, (size_t)(body - text));
    at += body - text;
    char *end = text + length;
    while (end > body && end[-1] == '\n') end--;
    while (end > body) {
        char *line = end;
        while (line > body && line[-1] != '\n') line--;
        memcpy(at, line, (size_t)(end - line));
        at += end - line;
        *at++ = '\n';
        end = line > body ? line - 1 : body;
    }
    *at = '\0';
    free(text);
    return out;
}

static void a_model_of_a_csv_made_sparse_keeps_its_levels_and_binds_them_by_name(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.sparse = true};
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_read(ctx, "data/diamonds_2000.csv", &options, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "cut", DIAL_TASK_AUTO, &data));
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_knobs knobs = test_knobs(ctx, logistic, (const char *const[]){"scale=maxabs", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, logistic, &knobs, &all, &model));
    assert_true(dial_model_takes_sparse(model));
    size_t n = data->n_rows;
    double *fitted = malloc(n * sizeof *fitted), *proba = malloc(n * 5 * sizeof *proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, fitted, proba));

    /* Saved and loaded: the schema lists names and levels. */
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "m.dial", bytes, length, &loaded));
    assert_true(dial_model_takes_sparse(loaded));
    assert_int_equal(dial_model_n_inputs(loaded), 22);
    assert_string_equal(dial_model_feature_name(loaded, 1), "color");
    assert_int_equal(dial_model_feature_n_levels(loaded, 1), 7);

    /* The rows in reverse order, read sparse: other level codes, the same
     * predictions, to the bit. */
    char *text = reversed_rows("data/diamonds_2000.csv");
    dial_table *other = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "r.csv", text, strlen(text), &options, &other));
    assert_string_not_equal(other->cols[2].levels[0], table->cols[2].levels[0]);
    dial_dataset *bound = NULL;
    assert_dial_ok(ctx, dial_model_bind(ctx, loaded, other, &bound));
    assert_non_null(bound->sparse);
    dial_view rows = dial_view_all(bound);
    double *value = malloc(n * sizeof *value), *p = malloc(n * 5 * sizeof *p);
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &rows, value, p));
    for (size_t i = 0; i < n; i++) {
        assert_true(value[i] == fitted[n - 1 - i]);
        for (size_t k = 0; k < 5; k++) assert_true(p[i * 5 + k] == proba[(n - 1 - i) * 5 + k]);
    }
    dial_dataset_free(bound);
    dial_table_free(other);

    /* The same rows read dense bind by name too, and predict the same
     * classes (the design matrix made dense, the same weights). */
    assert_dial_ok(ctx, dial_csv_parse(ctx, "r.csv", text, strlen(text), NULL, &other));
    assert_dial_ok(ctx, dial_model_bind(ctx, loaded, other, &bound));
    assert_null(bound->sparse);
    rows = dial_view_all(bound);
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &rows, value, NULL));
    for (size_t i = 0; i < n; i++) assert_true(value[i] == fitted[n - 1 - i]);
    dial_dataset_free(bound);
    dial_table_free(other);

    free(text);
    free(value);
    free(p);
    free(bytes);
    free(fitted);
    free(proba);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_column_is_a_block_of_compressed_columns_in_file_order),
        cmocka_unit_test(a_missing_or_infinite_value_is_refused_with_its_column_and_row),
        cmocka_unit_test(a_csv_is_made_sparse_by_itself_when_its_one_hot_rows_are_mostly_zeros),
        cmocka_unit_test(a_csv_read_sparse_has_a_fingerprint_of_its_own),
        cmocka_unit_test(a_model_of_a_csv_made_sparse_keeps_its_levels_and_binds_them_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
