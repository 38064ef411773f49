/* The LIBSVM reader: the bundled heart_scale data, rows kept sparse,
 * comments, and the exact messages of every error. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dial_table *parse(dial_ctx *ctx, const char *text) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, strlen(text), &table));
    assert_non_null(table);
    return table;
}

/* Cell (row i, column j) of a LIBSVM table: the label for column 0, else
 * the compressed entry of column j - 1 (0 when absent). */
static double cell(const dial_table *table, size_t j, size_t i) {
    if (j == 0) return table->cols[0].values[i];
    const dial_csr *m = table->sparse;
    for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
        if (m->col[k] == j - 1) return m->value[k];
    return 0;
}

static void parse_fails(const char *text, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = (dial_table *)1;
    assert_dial_error(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, strlen(text), &table),
                      DIAL_ERR_DATA, expected);
    assert_null(table);
    dial_ctx_free(ctx);
}

static void heart_scale_has_270_rows_a_label_and_13_features(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_libsvm_read(ctx, "data/heart_scale.libsvm", &table));
    assert_int_equal(table->n_rows, 270);
    assert_int_equal(table->n_cols, 14);
    assert_false(table->has_header);
    assert_string_equal(table->cols[0].name, "label");
    assert_string_equal(table->cols[1].name, "f1");
    assert_string_equal(table->cols[13].name, "f13");
    for (size_t j = 0; j < 14; j++) assert_int_equal(table->cols[j].type, DIAL_COLUMN_NUMERIC);
    /* +1 1:0.708333 2:1 3:1 4:-0.320755 5:-0.105023 6:-1 7:1 8:-0.419847 9:-1
     * 10:-0.225806 12:1 13:-1 (feature 11 absent, so 0) */
    double first[] = {1, 0.708333,  1,  1,         -0.320755, -0.105023, -1,
                      1, -0.419847, -1, -0.225806, 0,         1,         -1};
    for (size_t j = 0; j < 14; j++) assert_true(cell(table, j, 0) == first[j]);
    size_t positive = 0;
    for (size_t i = 0; i < table->n_rows; i++) {
        double label = cell(table, 0, i);
        assert_true(label == 1 || label == -1);
        positive += label == 1 ? 1 : 0;
    }
    assert_int_equal(positive, 120);
    /* Read sparse, never dense: the features have no column of values. */
    assert_non_null(table->sparse);
    assert_int_equal(table->sparse->n_rows, 270);
    assert_int_equal(table->sparse->n_cols, 13);
    for (size_t j = 1; j < 14; j++) assert_null(table->cols[j].values);
    assert_int_equal(table->sparse->row_start[1], 12); /* the first row's 12 entries */
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A file of more than one release step (16 MB), read through a mapping
 * whose parsed pages are dropped as the parse goes: the same table as the
 * same bytes parsed in memory, and an error on its last line still quotes
 * that line. */
static void a_large_mapped_file_reads_as_the_same_bytes_in_memory(void **state) {
    (void)state;
    size_t rows = 250000, capacity = rows * 160 + 64, length = 0;
    char *text = malloc(capacity);
    assert_non_null(text);
    for (size_t i = 0; i < rows; i++) {
        length += (size_t)snprintf(text + length, capacity - length, "%zu", i % 3);
        for (size_t k = 0; k < 8; k++)
            length += (size_t)snprintf(text + length, capacity - length, " %zu:%.6f",
                                       1 + k * 97 + (i * 31 + k * 7) % 97, (double)(i % 1000) / 7);
        text[length++] = '\n';
    }
    assert_true(length > ((size_t)24 << 20)); /* past the first release step */
    char *path = test_write_temp(text, length, ".libsvm");
    dial_ctx *ctx = test_ctx();
    dial_table *mapped = NULL, *in_memory = NULL;
    assert_dial_ok(ctx, dial_libsvm_read(ctx, path, &mapped));
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, length, &in_memory));
    assert_int_equal(mapped->n_rows, rows);
    assert_int_equal(mapped->n_cols, in_memory->n_cols);
    const dial_csr *a = mapped->sparse, *b = in_memory->sparse;
    assert_memory_equal(a->row_start, b->row_start, (rows + 1) * sizeof *a->row_start);
    assert_memory_equal(a->col, b->col, a->row_start[rows] * sizeof *a->col);
    assert_memory_equal(a->value, b->value, a->row_start[rows] * sizeof *a->value);
    assert_memory_equal(mapped->cols[0].values, in_memory->cols[0].values, rows * sizeof(double));
    dial_table_free(mapped);
    dial_table_free(in_memory);
    unlink(path);
    free(path);

    memcpy(text + length, "1 x:2\n", 6);
    path = test_write_temp(text, length + 6, ".libsvm");
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s:%zu:3: expected a feature index (an integer >= 1), found 'x'", path, rows + 1);
    assert_dial_error(ctx, dial_libsvm_read(ctx, path, &mapped), DIAL_ERR_DATA, expected);
    unlink(path);
    free(path);
    free(text);
    dial_ctx_free(ctx);
}

static void table_read_picks_libsvm_by_extension(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/heart_scale.libsvm", NULL, &table));
    assert_int_equal(table->n_cols, 14);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void table_read_picks_libsvm_by_content(void **state) {
    (void)state;
    const char *text = "# two rows\n1 1:0.5 3:2\n-1 2:1\n";
    char *path = test_write_temp(text, strlen(text), ".txt");
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, &table));
    assert_int_equal(table->n_rows, 2);
    assert_int_equal(table->n_cols, 4);
    assert_true(cell(table, 3, 0) == 2);
    dial_table_free(table);
    /* A .txt of comma-separated values stays CSV. */
    const char *csv = "a,b\n1,2\n";
    char *csv_path = test_write_temp(csv, strlen(csv), ".txt");
    assert_dial_ok(ctx, dial_table_read(ctx, csv_path, NULL, &table));
    assert_true(table->has_header);
    assert_string_equal(table->cols[1].name, "b");
    dial_table_free(table);
    dial_ctx_free(ctx);
    unlink(path);
    unlink(csv_path);
    free(path);
    free(csv_path);
}

static void absent_features_are_zero_and_columns_reach_the_largest_index(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "2 1:1.5\n3\n4 7:-2e1\n");
    assert_int_equal(table->n_rows, 3);
    assert_int_equal(table->n_cols, 8);
    assert_string_equal(table->cols[7].name, "f7");
    assert_true(cell(table, 0, 1) == 3);
    assert_true(cell(table, 1, 0) == 1.5 && cell(table, 1, 2) == 0);
    assert_true(cell(table, 7, 2) == -20 && cell(table, 7, 0) == 0);
    for (size_t j = 2; j < 7; j++)
        for (size_t i = 0; i < 3; i++) assert_true(cell(table, j, i) == 0);
    /* Two entries kept for three rows of eight columns; the empty row is
     * an empty range. */
    assert_int_equal(table->sparse->row_start[3], 2);
    assert_int_equal(table->sparse->row_start[1], table->sparse->row_start[2]);
    assert_int_equal(table->sparse->col[1], 6);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void comments_blank_lines_crlf_and_tabs_are_accepted(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table =
        parse(ctx, "# header comment\r\n\r\n+1\t1:1  2:2 # trailing\r\n   \n-1 2:3\r\n");
    assert_int_equal(table->n_rows, 2);
    assert_int_equal(table->n_cols, 3);
    assert_true(cell(table, 0, 0) == 1 && cell(table, 0, 1) == -1);
    assert_true(cell(table, 2, 0) == 2 && cell(table, 2, 1) == 3);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_bad_index_names_line_and_column(void **state) {
    (void)state;
    parse_fails("1 1:1\n1 1:1 x:2\n",
                "t.libsvm:2:7: expected a feature index (an integer >= 1), found 'x'");
    parse_fails("1 0:1\n", "t.libsvm:1:3: expected a feature index (an integer >= 1), found '0'");
    parse_fails("1 -3:1\n", "t.libsvm:1:3: expected a feature index (an integer >= 1), found '-3'");
    parse_fails("1 2000000:1\n",
                "t.libsvm:1:3: feature index 2000000 is too large: dial reads at most 1000000 "
                "features");
}

static void a_non_increasing_index_is_an_error(void **state) {
    (void)state;
    parse_fails("1 2:1 5:1 3:1\n",
                "t.libsvm:1:11: feature index 3 is not greater than the previous index 5: indices "
                "must increase along a line");
    parse_fails("1 2:1 2:1\n",
                "t.libsvm:1:7: feature index 2 is not greater than the previous index 2: indices "
                "must increase along a line");
}

static void a_missing_colon_is_an_error(void **state) {
    (void)state;
    parse_fails("1 1:1\n\n-1 4\n", "t.libsvm:3:4: expected index:value, found '4'");
}

static void a_bad_value_or_label_is_an_error(void **state) {
    (void)state;
    parse_fails("1 3:abc\n", "t.libsvm:1:5: the value of feature 3 is not a number: 'abc'");
    parse_fails("1 3:\n", "t.libsvm:1:5: the value of feature 3 is not a number: ''");
    parse_fails("1 1:1\nyes 1:1\n", "t.libsvm:2:1: the label is not a number: 'yes'");
}

static void an_empty_file_is_an_error(void **state) {
    (void)state;
    parse_fails("", "t.libsvm: the file is empty");
    parse_fails("# only a comment\n\n", "t.libsvm: the file is empty");
}

static void a_missing_file_is_an_io_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_error(ctx, dial_libsvm_read(ctx, "data/none.libsvm", &table), DIAL_ERR_IO,
                      "data/none.libsvm: cannot open the file: No such file or directory");
    assert_dial_error(ctx, dial_table_read(ctx, "data/none.svm", NULL, &table), DIAL_ERR_IO,
                      "data/none.svm: cannot open the file: No such file or directory");
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heart_scale_has_270_rows_a_label_and_13_features),
        cmocka_unit_test(a_large_mapped_file_reads_as_the_same_bytes_in_memory),
        cmocka_unit_test(table_read_picks_libsvm_by_extension),
        cmocka_unit_test(table_read_picks_libsvm_by_content),
        cmocka_unit_test(absent_features_are_zero_and_columns_reach_the_largest_index),
        cmocka_unit_test(comments_blank_lines_crlf_and_tabs_are_accepted),
        cmocka_unit_test(a_bad_index_names_line_and_column),
        cmocka_unit_test(a_non_increasing_index_is_an_error),
        cmocka_unit_test(a_missing_colon_is_an_error),
        cmocka_unit_test(a_bad_value_or_label_is_an_error),
        cmocka_unit_test(an_empty_file_is_an_error),
        cmocka_unit_test(a_missing_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
