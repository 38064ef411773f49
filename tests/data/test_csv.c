/* The CSV reader: RFC 4180 parsing, type inference, missing values, the
 * bundled datasets, and the exact messages of every error. */
#include "test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses text as a CSV named t.csv, or fails the test. */
static dial_table *parse(dial_ctx *ctx, const char *text, const dial_csv_options *options) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "t.csv", text, strlen(text), options, &table));
    assert_non_null(table);
    return table;
}

/* Asserts that parsing text as t.csv fails with exactly this message. */
static void parse_fails(const char *text, dial_status status, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = (dial_table *)1;
    assert_dial_error(ctx, dial_csv_parse(ctx, "t.csv", text, strlen(text), NULL, &table), status,
                      expected);
    assert_null(table);
    dial_ctx_free(ctx);
}

static const dial_column *column(const dial_table *table, const char *name) {
    long j = dial_table_find(table, name);
    if (j < 0) fail_msg("no column '%s'", name);
    return &table->cols[j];
}

static void assert_levels(const dial_column *col, const char *const *levels, size_t n) {
    assert_int_equal(col->type, DIAL_COLUMN_CATEGORICAL);
    assert_int_equal(col->n_levels, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(col->levels[i], levels[i]);
}

static size_t count_missing(const dial_column *col, size_t n_rows) {
    size_t missing = 0;
    for (size_t i = 0; i < n_rows; i++) missing += isnan(col->values[i]) ? 1 : 0;
    return missing;
}

/* ---- the bundled datasets -------------------------------------------- */

static void iris_has_150_rows_4_numeric_columns_and_3_species(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_read(ctx, "data/iris.csv", NULL, &table));
    assert_int_equal(table->n_rows, 150);
    assert_int_equal(table->n_cols, 5);
    assert_true(table->has_header);
    const char *names[] = {"sepal_length", "sepal_width", "petal_length", "petal_width", "species"};
    for (size_t j = 0; j < 5; j++) assert_string_equal(table->cols[j].name, names[j]);
    for (size_t j = 0; j < 4; j++) {
        assert_int_equal(table->cols[j].type, DIAL_COLUMN_NUMERIC);
        assert_null(table->cols[j].levels);
    }
    double first[] = {5.1, 3.5, 1.4, 0.2}, last[] = {5.9, 3.0, 5.1, 1.8};
    for (size_t j = 0; j < 4; j++) {
        assert_true(table->cols[j].values[0] == first[j]);
        assert_true(table->cols[j].values[149] == last[j]);
    }
    const char *species[] = {"setosa", "versicolor", "virginica"};
    const dial_column *target = column(table, "species");
    assert_levels(target, species, 3);
    assert_true(target->values[0] == 0 && target->values[50] == 1 && target->values[149] == 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Figures from tests/data/credit_data_missing.py (pandas). */
static void credit_data_missing_values_per_column_match_pandas(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_read(ctx, "data/credit_data.csv", NULL, &table));
    assert_int_equal(table->n_rows, 4454);
    assert_int_equal(table->n_cols, 14);
    const char *names[] = {"Status", "Seniority", "Home",   "Time",   "Age",  "Marital", "Records",
                           "Job",    "Expenses",  "Income", "Assets", "Debt", "Amount",  "Price"};
    size_t missing[] = {0, 0, 6, 0, 0, 1, 0, 2, 0, 381, 47, 18, 0, 0};
    size_t rows_with_missing = 0;
    for (size_t j = 0; j < 14; j++) {
        assert_string_equal(table->cols[j].name, names[j]);
        assert_int_equal(count_missing(&table->cols[j], table->n_rows), missing[j]);
    }
    for (size_t i = 0; i < table->n_rows; i++) {
        bool any = false;
        for (size_t j = 0; j < 14; j++) any = any || isnan(table->cols[j].values[i]);
        rows_with_missing += any ? 1 : 0;
    }
    assert_int_equal(rows_with_missing, 415);
    double income = 0;
    const dial_column *col = column(table, "Income");
    assert_int_equal(col->type, DIAL_COLUMN_NUMERIC);
    for (size_t i = 0; i < table->n_rows; i++)
        if (!isnan(col->values[i])) income += col->values[i];
    assert_true(income == 577094.0);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void credit_data_levels_are_in_order_of_first_appearance(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_read(ctx, "data/credit_data.csv", NULL, &table));
    const char *status[] = {"good", "bad"};
    const char *home[] = {"rent", "owner", "parents", "priv", "other", "ignore"};
    const char *marital[] = {"married", "widow", "single", "separated", "divorced"};
    const char *records[] = {"no", "yes"};
    const char *job[] = {"freelance", "fixed", "partime", "others"};
    assert_levels(column(table, "Status"), status, 2);
    assert_levels(column(table, "Home"), home, 6);
    assert_levels(column(table, "Marital"), marital, 5);
    assert_levels(column(table, "Records"), records, 2);
    assert_levels(column(table, "Job"), job, 4);
    assert_int_equal(column(table, "Seniority")->type, DIAL_COLUMN_NUMERIC);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void every_bundled_csv_reads_with_its_shape(void **state) {
    (void)state;
    struct {
        const char *path;
        size_t rows, cols;
        const char *last_name;
        dial_column_type last_type;
    } files[] = {
        {"data/wine.csv", 178, 14, "cultivar", DIAL_COLUMN_CATEGORICAL},
        {"data/breast_cancer.csv", 569, 31, "diagnosis", DIAL_COLUMN_CATEGORICAL},
        {"data/digits.csv", 1797, 65, "digit", DIAL_COLUMN_NUMERIC},
        {"data/diabetes.csv", 442, 11, "progression", DIAL_COLUMN_NUMERIC},
    };
    dial_ctx *ctx = test_ctx();
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        dial_table *table = NULL;
        assert_dial_ok(ctx, dial_table_read(ctx, files[f].path, NULL, &table));
        assert_int_equal(table->n_rows, files[f].rows);
        assert_int_equal(table->n_cols, files[f].cols);
        assert_string_equal(table->cols[files[f].cols - 1].name, files[f].last_name);
        assert_int_equal(table->cols[files[f].cols - 1].type, files[f].last_type);
        for (size_t j = 0; j + 1 < table->n_cols; j++)
            assert_int_equal(table->cols[j].type, DIAL_COLUMN_NUMERIC);
        dial_table_free(table);
    }
    dial_ctx_free(ctx);
}

/* ---- RFC 4180 -------------------------------------------------------- */

static void quoted_fields_keep_separators_doubled_quotes_and_newlines(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx,
                              "name,\"x,y\"\n"
                              "\"a,b\",1\n"
                              "\"say \"\"hi\"\"\",2\n"
                              "\"two\nlines\",3\n"
                              "\"\"\"\",4\n",
                              NULL);
    assert_int_equal(table->n_rows, 4);
    assert_string_equal(table->cols[1].name, "x,y");
    const char *levels[] = {"a,b", "say \"hi\"", "two\nlines", "\""};
    assert_levels(&table->cols[0], levels, 4);
    for (size_t i = 0; i < 4; i++) assert_true(table->cols[1].values[i] == (double)(i + 1));
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void crlf_and_lf_line_ends_read_the_same(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *lf = parse(ctx, "a,b\n1,x\n2,y\n", NULL);
    dial_table *crlf = parse(ctx, "a,b\r\n1,x\r\n2,y\r\n", NULL);
    assert_int_equal(crlf->n_rows, 2);
    assert_string_equal(crlf->cols[1].name, "b");
    for (size_t i = 0; i < 2; i++) {
        assert_true(lf->cols[0].values[i] == crlf->cols[0].values[i]);
        assert_string_equal(crlf->cols[1].levels[i], lf->cols[1].levels[i]);
    }
    assert_string_equal(crlf->cols[1].levels[1], "y");
    dial_table_free(lf);
    dial_table_free(crlf);
    dial_ctx_free(ctx);
}

static void a_byte_order_mark_is_skipped(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx,
                              "\xEF\xBB\xBF"
                              "first,second\n1,2\n",
                              NULL);
    assert_string_equal(table->cols[0].name, "first");
    assert_true(table->cols[0].values[0] == 1);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void the_last_line_needs_no_line_end(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "a,b\n1,2\n3,4", NULL);
    assert_int_equal(table->n_rows, 2);
    assert_true(table->cols[1].values[1] == 4);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void blank_lines_are_skipped(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "\n\na,b\n\n1,2\n  \n\r\n3,4\n\n\n", NULL);
    assert_int_equal(table->n_rows, 2);
    assert_true(table->cols[0].values[1] == 3);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_quote_inside_an_unquoted_field_is_an_ordinary_character(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "height,n\n5'11\",1\n6'0\",2\n", NULL);
    const char *levels[] = {"5'11\"", "6'0\""};
    assert_levels(&table->cols[0], levels, 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- header and separator -------------------------------------------- */

static void a_first_row_of_numbers_is_data_named_v1_to_vn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "1,2.5,NA\n3,4,5\n", NULL);
    assert_false(table->has_header);
    assert_int_equal(table->n_rows, 2);
    assert_string_equal(table->cols[0].name, "V1");
    assert_string_equal(table->cols[2].name, "V3");
    assert_true(table->cols[1].values[0] == 2.5);
    assert_true(isnan(table->cols[2].values[0]));
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void header_no_reads_the_first_row_as_data(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.separator = 0, .header = DIAL_HEADER_NO};
    dial_table *table = parse(ctx, "a,b\nc,d\n", &options);
    assert_false(table->has_header);
    assert_int_equal(table->n_rows, 2);
    assert_string_equal(table->cols[1].name, "V2");
    const char *levels[] = {"b", "d"};
    assert_levels(&table->cols[1], levels, 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void header_yes_reads_numbers_as_names(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.separator = 0, .header = DIAL_HEADER_YES};
    dial_table *table = parse(ctx, "1,2\n3,4\n", &options);
    assert_true(table->has_header);
    assert_int_equal(table->n_rows, 1);
    assert_string_equal(table->cols[1].name, "2");
    assert_int_equal(dial_table_find(table, "2"), 1);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void the_separator_is_detected_from_the_first_line(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *semicolons = parse(ctx, "a;b;\"c,d\"\n1;2;3\n", NULL);
    assert_int_equal(semicolons->n_cols, 3);
    assert_string_equal(semicolons->cols[2].name, "c,d");
    dial_table *tabs = parse(ctx, "a\tb,c\n1\t2,5\n", NULL);
    /* One comma against one tab: the comma wins the tie. */
    assert_int_equal(tabs->n_cols, 2);
    dial_table *only_tabs = parse(ctx, "a\tb\tc\n1\t2\t3\n", NULL);
    assert_int_equal(only_tabs->n_cols, 3);
    assert_true(only_tabs->cols[2].values[0] == 3);
    dial_table *single = parse(ctx, "x\n1\n2\n", NULL);
    assert_int_equal(single->n_cols, 1);
    assert_int_equal(single->n_rows, 2);
    dial_table_free(semicolons);
    dial_table_free(tabs);
    dial_table_free(only_tabs);
    dial_table_free(single);
    dial_ctx_free(ctx);
}

static void a_given_separator_is_used(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.separator = '|', .header = DIAL_HEADER_AUTO};
    dial_table *table = parse(ctx, "a|b,c\n1|x,y\n", &options);
    assert_int_equal(table->n_cols, 2);
    assert_string_equal(table->cols[1].name, "b,c");
    assert_string_equal(table->cols[1].levels[0], "x,y");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void an_empty_header_name_is_named_by_its_position(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, ",a\n1,2\n", NULL);
    assert_true(table->has_header);
    assert_string_equal(table->cols[0].name, "V1");
    assert_string_equal(table->cols[1].name, "a");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- values and types ------------------------------------------------- */

static void missing_markers_are_nan_in_numeric_and_categorical_columns(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx,
                              "x,c\n"
                              "1,a\n"
                              ",\n"
                              "NA,NA\n"
                              "NaN,NaN\n"
                              "nan,nan\n"
                              "?,?\n"
                              "null,null\n"
                              "\"\",\"\"\n"
                              "2,b\n",
                              NULL);
    assert_int_equal(table->n_rows, 9);
    assert_int_equal(table->cols[0].type, DIAL_COLUMN_NUMERIC);
    const char *levels[] = {"a", "b"};
    assert_levels(&table->cols[1], levels, 2);
    for (size_t i = 1; i <= 7; i++) {
        assert_true(isnan(table->cols[0].values[i]));
        assert_true(isnan(table->cols[1].values[i]));
    }
    assert_true(table->cols[0].values[8] == 2 && table->cols[1].values[8] == 1);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_trailing_empty_field_is_missing(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "a,b,c\n1,2,\n", NULL);
    assert_int_equal(table->n_cols, 3);
    assert_true(isnan(table->cols[2].values[0]));
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void numbers_allow_blanks_signs_exponents_and_leading_points(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "x\n 5.1 \n-2\n+3e2\n.5\n5.\n1E-3\n-0\n007\n", NULL);
    double expected[] = {5.1, -2, 300, 0.5, 5, 0.001, -0.0, 7};
    assert_int_equal(table->cols[0].type, DIAL_COLUMN_NUMERIC);
    for (size_t i = 0; i < 8; i++) assert_true(table->cols[0].values[i] == expected[i]);
    assert_true(signbit(table->cols[0].values[6]));
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void inf_and_huge_values_are_infinite_numbers(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "x\ninf\n-inf\n1e999\n-1e999\nInfinity\n2\n", NULL);
    const dial_column *x = &table->cols[0];
    assert_int_equal(x->type, DIAL_COLUMN_NUMERIC);
    assert_true(isinf(x->values[0]) && x->values[0] > 0);
    assert_true(isinf(x->values[1]) && x->values[1] < 0);
    assert_true(isinf(x->values[2]) && x->values[2] > 0);
    assert_true(isinf(x->values[3]) && x->values[3] < 0);
    assert_true(isinf(x->values[4]) && x->values[4] > 0);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void numeric_looking_values_of_a_categorical_column_are_levels(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "size\nsmall\n10\nlarge\n10\n", NULL);
    const char *levels[] = {"small", "10", "large"};
    assert_levels(&table->cols[0], levels, 3);
    assert_true(table->cols[0].values[3] == 1);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_column_that_starts_numeric_and_is_mostly_text_is_categorical(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table =
        parse(ctx, "code,n\n1.50,1\n2,2\nNA,3\nB7,4\nC9,5\n1.50,6\nB7,7\nD1,8\n", NULL);
    /* The early numbers keep their text as levels: "1.50", not "1.5". */
    const char *levels[] = {"1.50", "2", "B7", "C9", "D1"};
    assert_levels(&table->cols[0], levels, 5);
    double expected[] = {0, 1, NAN, 2, 3, 0, 2, 4};
    for (size_t i = 0; i < 8; i++) {
        if (isnan(expected[i]))
            assert_true(isnan(table->cols[0].values[i]));
        else
            assert_true(table->cols[0].values[i] == expected[i]);
    }
    assert_int_equal(table->cols[1].type, DIAL_COLUMN_NUMERIC);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void an_all_missing_column_is_numeric(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "a,b\n1,\n2,NA\n", NULL);
    assert_int_equal(table->cols[1].type, DIAL_COLUMN_NUMERIC);
    assert_int_equal(count_missing(&table->cols[1], 2), 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Random decimal texts of every shape; each must parse to strtod's double. */
static void parsed_numbers_equal_strtod(void **state) {
    (void)state;
    const char *fixed[] = {"0.1",
                           "0.3",
                           "1e23",
                           "9007199254740993",
                           "9007199254740992",
                           "2.2250738585072011e-308",
                           "2.2250738585072014e-308",
                           "4.9e-324",
                           "2.4703282292062327e-324",
                           "1.7976931348623157e308",
                           "1.7976931348623159e308",
                           "1e-400",
                           "123456789012345678901234567890",
                           "0.000000000000000000000000000001",
                           "1e22",
                           "1e-22",
                           "123456789e-22",
                           "8.98846567431158e307",
                           "3.14159265358979323846264338327950288",
                           "0.30000000000000004",
                           "1e0000000000000000000000000001"};
    size_t n_fixed = sizeof fixed / sizeof fixed[0], n_random = 50000;
    size_t n = n_fixed + n_random;
    char(*texts)[80] = malloc(n * sizeof *texts);
    assert_non_null(texts);
    dial_rng rng = dial_rng_stream(7, 0);
    for (size_t i = 0; i < n; i++) {
        if (i < n_fixed) {
            snprintf(texts[i], sizeof texts[i], "%s", fixed[i]);
            continue;
        }
        char *t = texts[i];
        size_t at = 0;
        if (dial_rng_below(&rng, 3) == 0) t[at++] = '-';
        size_t int_digits = dial_rng_below(&rng, 22), frac_digits = dial_rng_below(&rng, 22);
        if (int_digits + frac_digits == 0) int_digits = 1;
        for (size_t d = 0; d < int_digits; d++) t[at++] = (char)('0' + dial_rng_below(&rng, 10));
        if (frac_digits) {
            t[at++] = '.';
            for (size_t d = 0; d < frac_digits; d++)
                t[at++] = (char)('0' + dial_rng_below(&rng, 10));
        }
        if (dial_rng_below(&rng, 2) == 0) {
            long exponent = (long)dial_rng_below(&rng, 700) - 350;
            if (dial_rng_below(&rng, 2)) exponent = (long)dial_rng_below(&rng, 60) - 30;
            at += (size_t)snprintf(t + at, sizeof texts[i] - at, "e%ld", exponent);
        }
        t[at] = '\0';
    }
    size_t size = 2 + n * 81;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t used = (size_t)snprintf(csv, size, "x\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(csv + used, size - used, "%s\n", texts[i]);

    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, csv, NULL);
    assert_int_equal(table->n_rows, n);
    assert_int_equal(table->cols[0].type, DIAL_COLUMN_NUMERIC);
    for (size_t i = 0; i < n; i++) {
        double expected = strtod(texts[i], NULL), got = table->cols[0].values[i];
        if (memcmp(&expected, &got, sizeof got) != 0)
            fail_msg("'%s' parsed as %.17g, strtod gives %.17g", texts[i], got, expected);
    }
    dial_table_free(table);
    dial_ctx_free(ctx);
    free(csv);
    free(texts);
}

/* ---- long lines ------------------------------------------------------- */

/* 100,000 columns, the most a dense CSV may have, of 100 bytes each: a
 * line of ten megabytes. The zeros past the 19th digit take strtod's path. */
static void a_row_of_ten_megabytes_at_the_column_limit_is_read(void **state) {
    (void)state;
    size_t n_cols = 100000, width = 100;
    size_t size = n_cols * width + 1;
    char *csv = malloc(size);
    assert_non_null(csv);
    for (size_t j = 0; j < n_cols; j++) {
        char *field = csv + width * j;
        memset(field, '0', width - 1);
        memcpy(field, "0.0125", 6);
        field[width - 1] = ',';
    }
    csv[size - 2] = '\n';
    csv[size - 1] = '\0';
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.separator = ',', .header = DIAL_HEADER_NO};
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "wide.csv", csv, size - 1, &options, &table));
    assert_int_equal(table->n_rows, 1);
    assert_int_equal(table->n_cols, n_cols);
    assert_true(table->cols[0].values[0] == 0.0125);
    assert_true(table->cols[n_cols - 1].values[0] == 0.0125);
    assert_string_equal(table->cols[n_cols - 1].name, "V100000");
    dial_table_free(table);
    dial_ctx_free(ctx);
    free(csv);
}

static void one_column_past_the_limit_is_refused_with_the_count(void **state) {
    (void)state;
    size_t n_cols = 100001;
    char *csv = malloc(2 * n_cols + 16);
    assert_non_null(csv);
    size_t at = 0;
    for (size_t j = 0; j < n_cols; j++) {
        csv[at++] = 'a';
        csv[at++] = j + 1 < n_cols ? ',' : '\n';
    }
    memcpy(csv + at, "1\n", 3);
    at += 2;
    dial_ctx *ctx = test_ctx();
    dial_table *table = (dial_table *)1;
    assert_dial_error(ctx, dial_csv_parse(ctx, "t.csv", csv, at, NULL, &table), DIAL_ERR_DATA,
                      "t.csv:1: 100001 columns; a dense CSV is limited to 100000 columns (use "
                      "LIBSVM sparse input for wider data)");
    assert_null(table);
    dial_ctx_free(ctx);
    free(csv);
}

/* A 52 MB file of one line with 13 million columns (took 3.1 GB before it
 * failed). It is refused with its width, the memory it costs beyond its own
 * bytes staying small: the child process measures its peak from a fresh
 * start, apart from what the other tests left in this one. */
static void a_file_of_thirteen_million_columns_is_refused_early(void **state) {
    (void)state;
    char directory[] = "/tmp/dial-wide-XXXXXX";
    assert_non_null(mkdtemp(directory));
    char path[64];
    snprintf(path, sizeof path, "%s/wide.csv", directory);
    size_t n_cols = 13000000;
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    for (size_t j = 0; j < n_cols; j++) fputs(j + 1 < n_cols ? "0.5," : "0.5\n", file);
    fputs("1\n", file);
    assert_int_equal(fclose(file), 0);
    long file_kilobytes = (long)(n_cols * 4 / 1024);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        long before = test_peak_kilobytes();
        dial_ctx *ctx = test_ctx();
        dial_table *table = NULL;
        dial_status status = dial_csv_read(ctx, path, NULL, &table);
        long grown = test_peak_kilobytes() - before;
        const char *expected = "%s:1: 13000000 columns; a dense CSV is limited to 100000 "
                               "columns (use LIBSVM sparse input for wider data)";
        char message[256];
        snprintf(message, sizeof message, expected, path);
        int failures = 0;
        if (status != DIAL_ERR_DATA || strcmp(dial_ctx_error(ctx), message) != 0) {
            fprintf(stderr, "got %s: %s\nwanted: %s\n", dial_status_name(status),
                    dial_ctx_error(ctx), message);
            failures |= 1;
        }
        /* The file's bytes, and 64 MB for everything else. */
        if (before < 0 || grown > file_kilobytes + 64 * 1024) {
            fprintf(stderr, "the peak grew by %ld kB reading a file of %ld kB\n", grown,
                    file_kilobytes);
            failures |= 2;
        }
        _exit(failures);
    }
    int child_status = 0;
    assert_int_equal(waitpid(child, &child_status, 0), child);
    unlink(path);
    rmdir(directory);
    assert_true(WIFEXITED(child_status));
    assert_int_equal(WEXITSTATUS(child_status), 0);
}

static void a_quoted_field_of_ten_megabytes_is_one_level(void **state) {
    (void)state;
    size_t text_length = 10u << 20;
    size_t size = text_length + 64;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t at = (size_t)snprintf(csv, size, "text,n\n\"");
    for (size_t i = 0; i < text_length; i++) csv[at + i] = "ab,\n"[i % 4];
    at += text_length;
    at += (size_t)snprintf(csv + at, size - at, "\",1\nshort,2\n");
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "long.csv", csv, at, NULL, &table));
    assert_int_equal(table->n_rows, 2);
    assert_int_equal(table->cols[0].n_levels, 2);
    assert_int_equal(strlen(table->cols[0].levels[0]), text_length);
    assert_memory_equal(table->cols[0].levels[0], csv + 8, text_length);
    assert_true(table->cols[1].values[1] == 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
    free(csv);
}

/* ---- threads ---------------------------------------------------------- */

static void assert_tables_equal(const dial_table *a, const dial_table *b) {
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    assert_int_equal(a->has_header, b->has_header);
    for (size_t j = 0; j < a->n_cols; j++) {
        const dial_column *x = &a->cols[j], *y = &b->cols[j];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->n_levels, y->n_levels);
        for (size_t k = 0; k < x->n_levels; k++) assert_string_equal(x->levels[k], y->levels[k]);
        for (size_t i = 0; i < a->n_rows; i++) {
            if (isnan(x->values[i]))
                assert_true(isnan(y->values[i]));
            else
                assert_true(x->values[i] == y->values[i]);
        }
    }
}

/* About 7 MB: enough for several chunks. Column "late" is numeric for the
 * first 40% of the rows and mostly text after, so the first chunk sees it
 * numeric; "rare" is missing until the last rows; quoted fields hold
 * separators. */
static char *big_csv(size_t n_rows, size_t *length) {
    size_t size = 64 + n_rows * 80;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t at = (size_t)snprintf(csv, size, "x,c,late,rare,q\n");
    for (size_t i = 0; i < n_rows; i++) {
        char late[32], rare[32];
        if (i < n_rows * 2 / 5)
            snprintf(late, sizeof late, "%zu.5", i % 97);
        else
            snprintf(late, sizeof late, "L%zu", i % 13);
        if (i + 50 < n_rows)
            snprintf(rare, sizeof rare, "NA");
        else
            snprintf(rare, sizeof rare, "r%zu", i % 7);
        at += (size_t)snprintf(csv + at, size - at, "%zu.%03zu,lvl%zu,%s,%s,\"a,%zu\"\"\"\n", i,
                               i % 1000, (i * 7919) % (1 + i / 1000), late, rare, i % 5);
    }
    *length = at;
    return csv;
}

static dial_table *parse_threads(const char *csv, size_t length, int threads) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, threads);
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "big.csv", csv, length, NULL, &table));
    dial_ctx_free(ctx);
    return table;
}

static void threaded_reads_equal_single_threaded_reads(void **state) {
    (void)state;
    size_t length;
    char *csv = big_csv(200000, &length);
    assert_true(length > (4u << 20));
    dial_table *one = parse_threads(csv, length, 1);
    assert_int_equal(one->n_rows, 200000);
    assert_int_equal(one->cols[0].type, DIAL_COLUMN_NUMERIC);
    assert_int_equal(one->cols[1].type, DIAL_COLUMN_CATEGORICAL);
    assert_int_equal(one->cols[2].type, DIAL_COLUMN_CATEGORICAL);
    assert_string_equal(one->cols[2].levels[0], "0.5");
    assert_int_equal(one->cols[2].n_levels, 97 + 13);
    assert_int_equal(one->cols[3].n_levels, 7);
    assert_string_equal(one->cols[4].levels[0], "a,0\"");
    for (int threads = 2; threads <= 4; threads++) {
        dial_table *many = parse_threads(csv, length, threads);
        assert_tables_equal(one, many);
        dial_table_free(many);
    }
    dial_table_free(one);
    free(csv);
}

static void threaded_errors_name_the_same_line_as_single_threaded(void **state) {
    (void)state;
    size_t length;
    char *csv = big_csv(200000, &length);
    /* Drop the last field (the quoted one) of line 180001. */
    char *line = csv;
    for (int i = 1; i < 180001; i++) line = strchr(line, '\n') + 1;
    char *eol = strchr(line, '\n');
    char *comma = eol;
    while (comma[0] != ',' || comma[1] != '"') comma--;
    memmove(comma, eol, (size_t)(csv + length - eol));
    length -= (size_t)(eol - comma);
    for (int threads = 1; threads <= 3; threads++) {
        dial_ctx *ctx = test_ctx();
        dial_ctx_set_threads(ctx, threads);
        dial_table *table = NULL;
        assert_dial_error(ctx, dial_csv_parse(ctx, "big.csv", csv, length, NULL, &table),
                          DIAL_ERR_DATA, "big.csv:180001: expected 5 fields, found 4");
        dial_ctx_free(ctx);
    }
    free(csv);
}

static void threaded_stray_text_names_the_same_line_as_single_threaded(void **state) {
    (void)state;
    size_t length;
    char *csv = big_csv(200000, &length);
    /* The x of line 190001, "189999.999", becomes "189999.99x". */
    char *line = csv;
    for (int i = 1; i < 190001; i++) line = strchr(line, '\n') + 1;
    char *comma = strchr(line, ',');
    comma[-1] = 'x';
    for (int threads = 1; threads <= 3; threads++) {
        dial_ctx *ctx = test_ctx();
        dial_ctx_set_threads(ctx, threads);
        dial_table *table = NULL;
        assert_dial_error(ctx, dial_csv_parse(ctx, "big.csv", csv, length, NULL, &table),
                          DIAL_ERR_DATA,
                          "big.csv:190001:1: column 'x' is numeric but this value is not a "
                          "number: '189999.99x'");
        dial_ctx_free(ctx);
    }
    free(csv);
}

static void a_cut_inside_a_quoted_field_gives_the_same_table(void **state) {
    (void)state;
    /* One quoted field of 4 MB made of short lines spans every cut. */
    size_t text_length = 4u << 20;
    size_t size = text_length + 128;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t at = (size_t)snprintf(csv, size, "a,b\n1,x\n2,\"");
    for (size_t i = 0; i < text_length; i++) csv[at + i] = "9,9\n"[i % 4];
    at += text_length;
    at += (size_t)snprintf(csv + at, size - at, "\"\n3,y\n");
    dial_table *one = parse_threads(csv, at, 1);
    assert_int_equal(one->n_rows, 3);
    dial_table *two = parse_threads(csv, at, 2);
    assert_tables_equal(one, two);
    dial_table_free(one);
    dial_table_free(two);
    free(csv);
}

/* ---- errors ----------------------------------------------------------- */

static void a_short_row_names_its_line_and_the_field_counts(void **state) {
    (void)state;
    parse_fails("a,b,c\n1,2,3\n4,5\n", DIAL_ERR_DATA, "t.csv:3: expected 3 fields, found 2");
}

static void a_long_row_names_its_line_and_the_field_counts(void **state) {
    (void)state;
    parse_fails("a,b\n1,2\n3,4,5,6\n", DIAL_ERR_DATA, "t.csv:3: expected 2 fields, found 4");
    parse_fails("a\n1\n2,3\n", DIAL_ERR_DATA, "t.csv:3: expected 1 field, found 2");
}

static void line_numbers_count_newlines_inside_quotes_and_blank_lines(void **state) {
    (void)state;
    parse_fails("a,b\n\"x\ny\nz\",1\n\n2\n", DIAL_ERR_DATA, "t.csv:6: expected 2 fields, found 1");
    parse_fails("a,b\r\n\"x\r\ny\",1\r\n2\r\n", DIAL_ERR_DATA,
                "t.csv:4: expected 2 fields, found 1");
}

static void the_iris_file_with_a_short_row_names_line_17(void **state) {
    (void)state;
    size_t length;
    char *bytes = test_read_file("data/iris.csv", &length);
    /* Line 17 is the 16th data row; drop its last field. */
    char *line = bytes;
    for (int i = 1; i < 17; i++) line = strchr(line, '\n') + 1;
    char *eol = strchr(line, '\n');
    char *comma = eol;
    while (*comma != ',') comma--;
    memmove(comma, eol, strlen(eol) + 1);
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_error(ctx, dial_csv_parse(ctx, "iris.csv", bytes, strlen(bytes), NULL, &table),
                      DIAL_ERR_DATA, "iris.csv:17: expected 5 fields, found 4");
    dial_ctx_free(ctx);
    free(bytes);
}

static void an_empty_file_is_an_error(void **state) {
    (void)state;
    parse_fails("", DIAL_ERR_DATA, "t.csv: the file is empty");
    parse_fails("\n\r\n  \n", DIAL_ERR_DATA, "t.csv: the file is empty");
    parse_fails("\xEF\xBB\xBF", DIAL_ERR_DATA, "t.csv: the file is empty");
}

static void a_header_without_rows_is_an_error(void **state) {
    (void)state;
    parse_fails("a,b\n", DIAL_ERR_DATA, "t.csv: the file has a header but no data rows");
    parse_fails("a,b\n\n\n", DIAL_ERR_DATA, "t.csv: the file has a header but no data rows");
}

static void a_stray_text_in_a_numeric_column_names_line_column_and_value(void **state) {
    (void)state;
    char csv[1024];
    size_t at = (size_t)snprintf(csv, sizeof csv, "sepal_length,sepal_width\n");
    for (int i = 2; i <= 20; i++)
        at +=
            (size_t)snprintf(csv + at, sizeof csv - at, "%d.5,%s\n", i, i == 12 ? "12.5x" : "3.0");
    parse_fails(csv, DIAL_ERR_DATA,
                "t.csv:12:2: column 'sepal_width' is numeric but this value is not a number: "
                "'12.5x'");
}

static void the_first_stray_text_in_the_file_is_reported(void **state) {
    (void)state;
    /* Column b's stray value comes first in the file although a is first. */
    parse_fails("a,b\n1,1\n1,oops\nbad,1\n1,1\n1,1\n1,1\n1,1\n1,1\n1,1\n1,1\n1,1\n1,1\n",
                DIAL_ERR_DATA,
                "t.csv:3:2: column 'b' is numeric but this value is not a number: 'oops'");
}

static void a_column_that_starts_with_text_but_is_mostly_numbers_is_an_error(void **state) {
    (void)state;
    parse_fails("x\nn/a\n1\n2\n3\n4\n5\n6\n7\n8\n9\n", DIAL_ERR_DATA,
                "t.csv:2:1: column 'x' is numeric but this value is not a number: 'n/a'");
}

static void an_unterminated_quote_names_the_line_where_it_starts(void **state) {
    (void)state;
    parse_fails("a,b\n1,2\n3,\"open\n4,5\n6,7\n", DIAL_ERR_DATA,
                "t.csv:3:2: unterminated quoted field: expected a closing '\"', found the end "
                "of the file");
    parse_fails("a,\"b\n", DIAL_ERR_DATA,
                "t.csv:1:2: unterminated quoted field: expected a closing '\"', found the end "
                "of the file");
}

static void text_after_a_closing_quote_is_an_error(void **state) {
    (void)state;
    parse_fails("a,b\n\"x\"y,1\n", DIAL_ERR_DATA,
                "t.csv:2:1: unexpected character after a closing quote: expected ',' or the end "
                "of the line, found 'y'");
}

static void a_duplicate_column_name_is_an_error(void **state) {
    (void)state;
    parse_fails("a,b,a\n1,2,3\n", DIAL_ERR_DATA,
                "t.csv:1:3: duplicate column name 'a' (also column 1)");
}

static void a_separator_that_is_a_quote_is_an_invalid_argument(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_csv_options options = {.separator = '"', .header = DIAL_HEADER_AUTO};
    dial_table *table = NULL;
    assert_dial_error(ctx, dial_csv_parse(ctx, "t.csv", "a\n1\n", 4, &options, &table),
                      DIAL_ERR_ARGUMENT,
                      "the CSV separator cannot be a quote or a line end; use ',', ';' or a tab");
    dial_ctx_free(ctx);
}

static void a_missing_file_is_an_io_error_with_the_reason(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_error(ctx, dial_csv_read(ctx, "data/no-such-file.csv", NULL, &table), DIAL_ERR_IO,
                      "data/no-such-file.csv: cannot open the file: No such file or directory");
    assert_null(table);
    dial_ctx_free(ctx);
}

/* ---- files ------------------------------------------------------------ */

static void reading_a_file_equals_parsing_its_bytes(void **state) {
    (void)state;
    const char *text = "x;kind\n1,5;a\n2;b\n";
    char *path = test_write_temp(text, strlen(text), ".csv");
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    /* "1,5" is not a number: a column of one text and one number is categorical. */
    assert_dial_ok(ctx, dial_csv_read(ctx, path, NULL, &table));
    assert_int_equal(table->n_rows, 2);
    assert_int_equal(table->cols[0].type, DIAL_COLUMN_CATEGORICAL);
    assert_string_equal(table->cols[0].levels[0], "1,5");
    dial_table_free(table);
    dial_ctx_free(ctx);
    unlink(path);
    free(path);
}

static void messages_name_the_file_as_given(void **state) {
    (void)state;
    const char *text = "a,b\n1\n";
    char *path = test_write_temp(text, strlen(text), ".csv");
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    char expected[512];
    snprintf(expected, sizeof expected, "%s:2: expected 2 fields, found 1", path);
    assert_dial_error(ctx, dial_table_read(ctx, path, NULL, &table), DIAL_ERR_DATA, expected);
    dial_ctx_free(ctx);
    unlink(path);
    free(path);
}

static void a_dash_reads_standard_input(void **state) {
    (void)state;
    const char *text = "a,b\n1,x\n2,y\n";
    char *path = test_write_temp(text, strlen(text), ".csv");
    int saved = dup(STDIN_FILENO);
    int fd = open(path, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_status status = dial_table_read(ctx, "-", NULL, &table);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_dial_ok(ctx, status);
    assert_int_equal(table->n_rows, 2);
    assert_int_equal(table->cols[1].n_levels, 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
    unlink(path);
    free(path);
}

static void table_find_returns_the_index_or_minus_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse(ctx, "a,b\n1,2\n", NULL);
    assert_int_equal(dial_table_find(table, "b"), 1);
    assert_int_equal(dial_table_find(table, "c"), -1);
    assert_int_equal(dial_table_find(NULL, "a"), -1);
    dial_table_free(table);
    dial_table_free(NULL);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iris_has_150_rows_4_numeric_columns_and_3_species),
        cmocka_unit_test(credit_data_missing_values_per_column_match_pandas),
        cmocka_unit_test(credit_data_levels_are_in_order_of_first_appearance),
        cmocka_unit_test(every_bundled_csv_reads_with_its_shape),
        cmocka_unit_test(quoted_fields_keep_separators_doubled_quotes_and_newlines),
        cmocka_unit_test(crlf_and_lf_line_ends_read_the_same),
        cmocka_unit_test(a_byte_order_mark_is_skipped),
        cmocka_unit_test(the_last_line_needs_no_line_end),
        cmocka_unit_test(blank_lines_are_skipped),
        cmocka_unit_test(a_quote_inside_an_unquoted_field_is_an_ordinary_character),
        cmocka_unit_test(a_first_row_of_numbers_is_data_named_v1_to_vn),
        cmocka_unit_test(header_no_reads_the_first_row_as_data),
        cmocka_unit_test(header_yes_reads_numbers_as_names),
        cmocka_unit_test(the_separator_is_detected_from_the_first_line),
        cmocka_unit_test(a_given_separator_is_used),
        cmocka_unit_test(an_empty_header_name_is_named_by_its_position),
        cmocka_unit_test(missing_markers_are_nan_in_numeric_and_categorical_columns),
        cmocka_unit_test(a_trailing_empty_field_is_missing),
        cmocka_unit_test(numbers_allow_blanks_signs_exponents_and_leading_points),
        cmocka_unit_test(inf_and_huge_values_are_infinite_numbers),
        cmocka_unit_test(numeric_looking_values_of_a_categorical_column_are_levels),
        cmocka_unit_test(a_column_that_starts_numeric_and_is_mostly_text_is_categorical),
        cmocka_unit_test(an_all_missing_column_is_numeric),
        cmocka_unit_test(parsed_numbers_equal_strtod),
        cmocka_unit_test(a_row_of_ten_megabytes_at_the_column_limit_is_read),
        cmocka_unit_test(one_column_past_the_limit_is_refused_with_the_count),
        cmocka_unit_test(a_file_of_thirteen_million_columns_is_refused_early),
        cmocka_unit_test(a_quoted_field_of_ten_megabytes_is_one_level),
        cmocka_unit_test(threaded_reads_equal_single_threaded_reads),
        cmocka_unit_test(threaded_errors_name_the_same_line_as_single_threaded),
        cmocka_unit_test(threaded_stray_text_names_the_same_line_as_single_threaded),
        cmocka_unit_test(a_cut_inside_a_quoted_field_gives_the_same_table),
        cmocka_unit_test(a_short_row_names_its_line_and_the_field_counts),
        cmocka_unit_test(a_long_row_names_its_line_and_the_field_counts),
        cmocka_unit_test(line_numbers_count_newlines_inside_quotes_and_blank_lines),
        cmocka_unit_test(the_iris_file_with_a_short_row_names_line_17),
        cmocka_unit_test(an_empty_file_is_an_error),
        cmocka_unit_test(a_header_without_rows_is_an_error),
        cmocka_unit_test(a_stray_text_in_a_numeric_column_names_line_column_and_value),
        cmocka_unit_test(the_first_stray_text_in_the_file_is_reported),
        cmocka_unit_test(a_column_that_starts_with_text_but_is_mostly_numbers_is_an_error),
        cmocka_unit_test(an_unterminated_quote_names_the_line_where_it_starts),
        cmocka_unit_test(text_after_a_closing_quote_is_an_error),
        cmocka_unit_test(a_duplicate_column_name_is_an_error),
        cmocka_unit_test(a_separator_that_is_a_quote_is_an_invalid_argument),
        cmocka_unit_test(a_missing_file_is_an_io_error_with_the_reason),
        cmocka_unit_test(reading_a_file_equals_parsing_its_bytes),
        cmocka_unit_test(messages_name_the_file_as_given),
        cmocka_unit_test(a_dash_reads_standard_input),
        cmocka_unit_test(table_find_returns_the_index_or_minus_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
