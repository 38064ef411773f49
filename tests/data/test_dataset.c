/* Datasets: choosing the target, inferring the task, class labels, and the
 * errors a user meets on the way. Figures on the real files come from
 * tests/data/reference_dataset.py. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table parsed from CSV text in memory; free with dial_table_free. */
static dial_table *parse_csv(dial_ctx *ctx, const char *text) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "test.csv", text, strlen(text), NULL, &table));
    return table;
}

static dial_table *read_table(dial_ctx *ctx, const char *path) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, &table));
    return table;
}

static size_t count_class(const dial_dataset *data, double c) {
    size_t n = 0;
    for (size_t i = 0; i < data->n_rows; i++) n += data->y[i] == c;
    return n;
}

/* ---- the target --------------------------------------------------------------- */

static void default_target_is_the_last_column(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    assert_int_equal(data->n_rows, 150);
    assert_int_equal(data->n_features, 4);
    assert_int_equal(data->target_index, 4);
    assert_string_equal(data->target_name, "species");
    assert_ptr_equal(data->table, table);
    const char *names[] = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    for (size_t j = 0; j < 4; j++) {
        assert_string_equal(data->features[j]->name, names[j]);
        assert_ptr_equal(data->features[j], &table->cols[j]);
    }
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void iris_is_three_classes_in_sorted_order(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    assert_int_equal(data->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(data->n_classes, 3);
    assert_string_equal(data->class_names[0], "setosa");
    assert_string_equal(data->class_names[1], "versicolor");
    assert_string_equal(data->class_names[2], "virginica");
    assert_true(data->y[0] == 0 && data->y[50] == 1 && data->y[149] == 2);
    for (size_t c = 0; c < 3; c++) assert_int_equal(count_class(data, (double)c), 50);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void target_by_name_can_be_the_first_column(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Status", &table);
    assert_int_equal(data->n_rows, 4454);
    assert_int_equal(data->target_index, 0);
    assert_int_equal(data->n_features, 13);
    assert_string_equal(data->features[0]->name, "Seniority");
    assert_string_equal(data->features[12]->name, "Price");
    assert_int_equal(data->n_classes, 2);
    assert_string_equal(data->class_names[0], "bad");
    assert_string_equal(data->class_names[1], "good");
    /* rows 1-3 are good, good, bad */
    assert_true(data->y[0] == 1 && data->y[1] == 1 && data->y[2] == 0);
    assert_int_equal(count_class(data, 0), 1254);
    assert_int_equal(count_class(data, 1), 3200);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void missing_feature_values_are_kept(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/credit_data.csv", "Status", &table);
    size_t missing = 0;
    for (size_t j = 0; j < data->n_features; j++)
        for (size_t i = 0; i < data->n_rows; i++) missing += isnan(data->features[j]->values[i]);
    assert_int_equal(missing, 455);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void target_by_one_based_index_text(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "5", DIAL_TASK_AUTO, &data));
    assert_string_equal(data->target_name, "species");
    dial_dataset_free(data);
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "1", DIAL_TASK_AUTO, &data));
    assert_string_equal(data->target_name, "sepal_length");
    assert_int_equal(data->task, DIAL_TASK_REGRESSION);
    assert_string_equal(data->features[0]->name, "sepal_width");
    assert_string_equal(data->features[3]->name, "species");
    assert_true(data->y[0] == 5.1);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_column_named_like_a_number_wins_over_the_index(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "2,x,y\n1,a,0.5\n2,b,1.5\n3,a,2.5\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "2", DIAL_TASK_AUTO, &data));
    assert_int_equal(data->target_index, 0);
    assert_string_equal(data->target_name, "2");
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void unknown_target_name_lists_the_columns(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, "foo", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target column 'foo' not found; columns are: sepal_length, sepal_width, "
                      "petal_length, petal_width, species");
    assert_null(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_target_that_differs_by_case_or_a_typo_is_suggested(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, "Species", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target column 'Species' not found; did you mean 'species'? columns are: "
                      "sepal_length, sepal_width, petal_length, petal_width, species");
    assert_dial_error(ctx,
                      dial_dataset_from_table(ctx, table, "petal_widht", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target column 'petal_widht' not found; did you mean 'petal_width'? "
                      "columns are: sepal_length, sepal_width, petal_length, petal_width, species");
    assert_null(data);
    size_t index = 99;
    assert_dial_ok(ctx, dial_table_column(ctx, table, "petal_length", "kept", &index));
    assert_int_equal(index, 2);
    assert_dial_error(ctx, dial_table_column(ctx, table, "SEPAL_WIDTH", "kept", &index),
                      DIAL_ERR_DATA,
                      "kept column 'SEPAL_WIDTH' not found; did you mean 'sepal_width'? columns "
                      "are: sepal_length, sepal_width, petal_length, petal_width, species");
    assert_int_equal(index, 2);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- LIBSVM's label ------------------------------------------------------------ */

static void a_libsvm_label_is_the_default_target(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/heart_scale.libsvm", NULL, &table);
    assert_true(table->target_first);
    assert_int_equal(data->target_index, 0);
    assert_string_equal(data->target_name, "label");
    assert_int_equal(data->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(data->n_classes, 2);
    assert_string_equal(data->class_names[0], "-1");
    assert_string_equal(data->class_names[1], "1");
    assert_int_equal(data->n_features, 13);
    assert_string_equal(data->features[0]->name, "f1");
    assert_string_equal(data->features[12]->name, "f13");
    dial_dataset_free(data);
    /* The features are sparse (the file's compressed columns): none of them
     * can be the target. */
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, "f13", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target 'f13' is a feature of a sparse (LIBSVM) file: its target is its "
                      "label, the first column; leave --target out");
    assert_null(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_csv_table_keeps_its_target_last(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "label,x,y\n1,2,a\n0,3,b\n");
    assert_false(table->target_first);
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    assert_string_equal(data->target_name, "y");
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- ignored columns ----------------------------------------------------------- */

static void an_ignored_column_leaves_the_features(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "id,b,name,a,y\n1,2,p,4,x\n2,3,q,5,z\n3,1,r,2,x\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "y", DIAL_TASK_AUTO, &data));
    dial_view all = dial_view_all(data);
    uint64_t before = dial_view_fingerprint(&all);
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "name"));
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "id"));
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "id")); /* twice is harmless */
    assert_int_equal(data->n_features, 2);
    assert_ptr_equal(data->features[0], &table->cols[1]);
    assert_ptr_equal(data->features[1], &table->cols[3]);
    /* Sorted, whatever order they were ignored in. */
    assert_int_equal(data->n_ignored, 2);
    assert_string_equal(data->ignored[0], "id");
    assert_string_equal(data->ignored[1], "name");
    assert_int_equal(data->target_index, 4);
    assert_true(dial_view_fingerprint(&all) != before);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void ignoring_the_target_an_unknown_column_or_every_feature_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "Id,a,y\n1,2,x\n2,3,z\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    assert_dial_error(ctx, dial_dataset_ignore(ctx, data, "id"), DIAL_ERR_DATA,
                      "ignored column 'id' not found; did you mean 'Id'? columns are: Id, a, y");
    assert_dial_error(ctx, dial_dataset_ignore(ctx, data, "zzzz"), DIAL_ERR_DATA,
                      "ignored column 'zzzz' not found; columns are: Id, a, y");
    assert_dial_error(ctx, dial_dataset_ignore(ctx, data, "y"), DIAL_ERR_DATA,
                      "column 'y' is the target; it cannot also be ignored");
    assert_dial_ok(ctx, dial_dataset_ignore(ctx, data, "Id"));
    assert_dial_error(ctx, dial_dataset_ignore(ctx, data, "a"), DIAL_ERR_DATA,
                      "ignoring column 'a' leaves no feature: a dataset needs at least one");
    assert_int_equal(data->n_features, 1);
    assert_int_equal(data->n_ignored, 1);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void unknown_target_among_many_columns_cuts_the_list_short(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/digits.csv");
    dial_dataset *data = NULL;
    assert_int_equal(dial_dataset_from_table(ctx, table, "foo", DIAL_TASK_AUTO, &data),
                     DIAL_ERR_DATA);
    const char *message = dial_ctx_error(ctx);
    assert_non_null(strstr(message, "target column 'foo' not found; columns are: pixel_0_0, "));
    assert_string_equal(message + strlen(message) - 5, ", ...");
    assert_true(strlen(message) < 800);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void target_index_out_of_range(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, "9", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "target column 9 is out of range: the file has 5 columns");
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, "0", DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "target column 0 is out of range: the file has 5 columns");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- the task ------------------------------------------------------------------- */

static void wine_is_three_cultivars(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/wine.csv", NULL, &table);
    assert_int_equal(data->n_rows, 178);
    assert_int_equal(data->n_features, 13);
    assert_int_equal(data->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(data->n_classes, 3);
    assert_string_equal(data->class_names[2], "class_2");
    assert_int_equal(count_class(data, 0), 59);
    assert_int_equal(count_class(data, 1), 71);
    assert_int_equal(count_class(data, 2), 48);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void diabetes_is_regression(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", NULL, &table);
    assert_int_equal(data->task, DIAL_TASK_REGRESSION);
    assert_int_equal(data->n_rows, 442);
    assert_int_equal(data->n_features, 10);
    assert_int_equal(data->n_classes, 0);
    assert_null(data->class_names);
    assert_true(data->y[0] == 151 && data->y[1] == 75);
    double sum = 0;
    for (size_t i = 0; i < data->n_rows; i++) sum += data->y[i];
    assert_true(sum == 67243);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* malignant comes first in the file; sorting makes benign class 0 anyway. */
static void breast_cancer_labels_map_in_sorted_order(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/breast_cancer.csv", NULL, &table);
    assert_int_equal(data->n_features, 30);
    assert_int_equal(data->n_classes, 2);
    assert_string_equal(data->class_names[0], "benign");
    assert_string_equal(data->class_names[1], "malignant");
    assert_true(data->y[0] == 1);
    assert_int_equal(count_class(data, 0), 357);
    assert_int_equal(count_class(data, 1), 212);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void same_labels_map_the_same_way_in_every_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *first = parse_csv(ctx, "x,y\n1,no\n2,yes\n3,no\n");
    dial_table *second = parse_csv(ctx, "x,y\n1,yes\n2,no\n");
    dial_dataset *a = NULL, *b = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, first, NULL, DIAL_TASK_AUTO, &a));
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, second, NULL, DIAL_TASK_AUTO, &b));
    assert_string_equal(a->class_names[0], "no");
    assert_string_equal(b->class_names[0], "no");
    assert_true(a->y[1] == 1 && b->y[0] == 1);
    dial_dataset_free(a);
    dial_dataset_free(b);
    dial_table_free(first);
    dial_table_free(second);
    dial_ctx_free(ctx);
}

static void digits_integer_labels_are_classes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/digits.csv", NULL, &table);
    assert_int_equal(data->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(data->n_classes, 10);
    assert_string_equal(data->class_names[0], "0");
    assert_string_equal(data->class_names[9], "9");
    assert_int_equal(count_class(data, 3), 183);
    assert_int_equal(count_class(data, 8), 174);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void numeric_labels_sort_by_value(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,y\n1,1\n2,-1\n3,1\n4,10\n5,2\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    assert_int_equal(data->n_classes, 4);
    const char *names[] = {"-1", "1", "2", "10"};
    for (size_t c = 0; c < 4; c++) assert_string_equal(data->class_names[c], names[c]);
    double y[] = {1, 0, 1, 3, 2};
    for (size_t i = 0; i < 5; i++) assert_true(data->y[i] == y[i]);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Writes a CSV with one feature and n_rows rows whose target cycles through
 * n_values distinct integers. */
static dial_table *integer_target(dial_ctx *ctx, size_t n_rows, size_t n_values) {
    char *text = malloc(32 * n_rows + 16);
    size_t used = (size_t)sprintf(text, "x,y\n");
    for (size_t i = 0; i < n_rows; i++)
        used += (size_t)sprintf(text + used, "%zu,%zu\n", i, 100 + i % n_values);
    dial_table *table = parse_csv(ctx, text);
    free(text);
    return table;
}

static void thirty_distinct_integers_are_classes_and_thirty_one_are_not(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *thirty = integer_target(ctx, 90, 30), *more = integer_target(ctx, 93, 31);
    dial_dataset *a = NULL, *b = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, thirty, NULL, DIAL_TASK_AUTO, &a));
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, more, NULL, DIAL_TASK_AUTO, &b));
    assert_int_equal(a->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(a->n_classes, 30);
    assert_int_equal(b->task, DIAL_TASK_REGRESSION);
    dial_dataset_free(a);
    dial_dataset_free(b);
    dial_table_free(thirty);
    dial_table_free(more);
    dial_ctx_free(ctx);
}

static void forced_regression_on_integer_labels(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/digits.csv");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_REGRESSION, &data));
    assert_int_equal(data->task, DIAL_TASK_REGRESSION);
    assert_true(data->y[1] == 1 && data->y[2] == 2);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void forced_classification_on_fractions_uses_distinct_values(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,y\n1,0.5\n2,1.5\n3,0.5\n4,-2\n5,1234567\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_CLASSIFICATION, &data));
    assert_int_equal(data->task, DIAL_TASK_CLASSIFICATION);
    assert_int_equal(data->n_classes, 4);
    const char *names[] = {"-2", "0.5", "1.5", "1234567"};
    for (size_t c = 0; c < 4; c++) assert_string_equal(data->class_names[c], names[c]);
    double y[] = {1, 2, 1, 0, 3};
    for (size_t i = 0; i < 5; i++) assert_true(data->y[i] == y[i]);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void forced_regression_on_text_labels_is_an_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_REGRESSION, &data),
                      DIAL_ERR_DATA,
                      "target 'species' is categorical (text): regression needs a numeric target");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- unusable data ---------------------------------------------------------------------- */

static void single_class_is_an_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,y\n1,a\n2,a\n3,a\n");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target 'y' has a single class ('a'): classification needs at least two");
    dial_table_free(table);
    table = parse_csv(ctx, "x,y\n1,7\n2,7\n");
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "target 'y' has a single class ('7'): classification needs at least two");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void missing_target_names_its_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *text =
        "x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n7,a\n8,b\n9,a\n10,b\n11,a\n12,NA\n13,b\n";
    dial_table *table = parse_csv(ctx, text);
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "target 'y' is missing on row 12");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void infinite_feature_names_its_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,z,y\n1,1,a\n2,2,b\n3,inf,a\n");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "feature 'z' has an infinite value on row 3");
    assert_dial_error(ctx, dial_dataset_features_only(ctx, table, &data), DIAL_ERR_DATA,
                      "feature 'z' has an infinite value on row 3");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void infinite_target_names_its_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,y\n1,0.5\n2,-inf\n");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "target 'y' has an infinite value on row 2");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void table_without_features_or_rows_is_an_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "y\na\nb\n");
    dial_dataset *data = NULL;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA,
                      "the table has 1 column: a dataset needs a target and at least one feature");
    dial_table_free(table);
    /* The CSV reader refuses a file without rows; another reader may not. */
    table = calloc(1, sizeof *table);
    table->n_cols = 2;
    table->cols = calloc(2, sizeof *table->cols);
    table->cols[0].name = strdup("x");
    table->cols[1].name = strdup("y");
    table->has_header = true;
    assert_dial_error(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data),
                      DIAL_ERR_DATA, "the table has no data rows");
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- features only, views, names ------------------------------------------------------------ */

static void features_only_takes_every_column(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = read_table(ctx, "data/iris.csv");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    assert_int_equal(data->n_rows, 150);
    assert_int_equal(data->n_features, 5);
    assert_int_equal(data->target_index, -1);
    assert_null(data->target_name);
    assert_null(data->y);
    assert_int_equal(data->n_classes, 0);
    assert_string_equal(data->features[4]->name, "species");
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void view_all_covers_every_row_in_order(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", NULL, &table);
    dial_view view = dial_view_all(data);
    assert_ptr_equal(view.data, data);
    assert_null(view.rows);
    assert_int_equal(view.n, 150);
    assert_int_equal(dial_view_row(&view, 17), 17);
    size_t rows[] = {4, 2};
    dial_view some = {.data = data, .rows = rows, .n = 2};
    assert_int_equal(dial_view_row(&some, 1), 2);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void task_names(void **state) {
    (void)state;
    assert_string_equal(dial_task_name(DIAL_TASK_AUTO), "auto");
    assert_string_equal(dial_task_name(DIAL_TASK_CLASSIFICATION), "classification");
    assert_string_equal(dial_task_name(DIAL_TASK_REGRESSION), "regression");
}

static void free_of_null_is_harmless(void **state) {
    (void)state;
    dial_dataset_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_target_is_the_last_column),
        cmocka_unit_test(iris_is_three_classes_in_sorted_order),
        cmocka_unit_test(target_by_name_can_be_the_first_column),
        cmocka_unit_test(missing_feature_values_are_kept),
        cmocka_unit_test(target_by_one_based_index_text),
        cmocka_unit_test(a_column_named_like_a_number_wins_over_the_index),
        cmocka_unit_test(unknown_target_name_lists_the_columns),
        cmocka_unit_test(unknown_target_among_many_columns_cuts_the_list_short),
        cmocka_unit_test(target_index_out_of_range),
        cmocka_unit_test(a_target_that_differs_by_case_or_a_typo_is_suggested),
        cmocka_unit_test(a_libsvm_label_is_the_default_target),
        cmocka_unit_test(a_csv_table_keeps_its_target_last),
        cmocka_unit_test(an_ignored_column_leaves_the_features),
        cmocka_unit_test(ignoring_the_target_an_unknown_column_or_every_feature_fails),
        cmocka_unit_test(wine_is_three_cultivars),
        cmocka_unit_test(diabetes_is_regression),
        cmocka_unit_test(breast_cancer_labels_map_in_sorted_order),
        cmocka_unit_test(same_labels_map_the_same_way_in_every_file),
        cmocka_unit_test(digits_integer_labels_are_classes),
        cmocka_unit_test(numeric_labels_sort_by_value),
        cmocka_unit_test(thirty_distinct_integers_are_classes_and_thirty_one_are_not),
        cmocka_unit_test(forced_regression_on_integer_labels),
        cmocka_unit_test(forced_classification_on_fractions_uses_distinct_values),
        cmocka_unit_test(forced_regression_on_text_labels_is_an_error),
        cmocka_unit_test(single_class_is_an_error),
        cmocka_unit_test(missing_target_names_its_row),
        cmocka_unit_test(infinite_feature_names_its_row),
        cmocka_unit_test(infinite_target_names_its_row),
        cmocka_unit_test(table_without_features_or_rows_is_an_error),
        cmocka_unit_test(features_only_takes_every_column),
        cmocka_unit_test(view_all_covers_every_row_in_order),
        cmocka_unit_test(task_names),
        cmocka_unit_test(free_of_null_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
