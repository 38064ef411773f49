/* Permutation importance by groups: a shuffle permutes whole groups (the
 * i-th row of group g takes the value of the (i mod size)-th row of group
 * pi(g), groups numbered by their first row), checked value by value on a
 * crafted table; on the Grunfeld panel a feature every firm shares in the
 * same order gets exactly 0; the result depends on the seed alone; and the
 * group column's mistakes are refused with words. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y = 2 x + 1 exactly, so that a linear model's rmse moves with every
 * value of x that a shuffle changes. The group keys are not in the order
 * of their first rows (30 comes first), and the groups differ in size, so
 * that a permutation cycles through a smaller group's values. */
static const char crafted_csv[] = "x,g,y\n"
                                  "1,30,3\n"
                                  "2,30,5\n"
                                  "3,30,7\n"
                                  "4,10,9\n"
                                  "5,10,11\n"
                                  "6,20,13\n"
                                  "7,20,15\n"
                                  "8,20,17\n"
                                  "9,20,19\n"
                                  "10,40,21\n";

typedef struct grouped_fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    const dial_column *groups; /* taken out of the features */
    dial_model *model;
} grouped_fixture;

static dial_model *fit_model(dial_ctx *ctx, const char *model_name, const dial_dataset *data) {
    const dial_model_family *family = NULL;
    assert_dial_ok(ctx, dial_model_family_lookup(ctx, model_name, &family));
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, family, &knobs, &all, &model));
    dial_knobs_free(&knobs);
    return model;
}

/* A regression dataset of the CSV bytes (target `target`) whose column
 * `group` is taken out of the features, and model_name fitted on it. */
static grouped_fixture grouped_with(const char *csv, size_t length, const char *target,
                                    const char *group, const char *model_name) {
    grouped_fixture f = {.ctx = test_ctx()};
    assert_dial_ok(f.ctx, dial_csv_parse(f.ctx, "grouped.csv", csv, length, NULL, &f.table));
    assert_dial_ok(f.ctx,
                   dial_dataset_from_table(f.ctx, f.table, target, DIAL_TASK_REGRESSION, &f.data));
    assert_dial_ok(f.ctx, dial_dataset_drop_feature(f.ctx, f.data, group, &f.groups));
    f.model = fit_model(f.ctx, model_name, f.data);
    return f;
}

static grouped_fixture grunfeld_with(const char *model_name) {
    size_t length = 0;
    char *csv = test_read_file("data/grunfeld.csv", &length);
    grouped_fixture f = grouped_with(csv, length, "invest", "firm", model_name);
    free(csv);
    return f;
}

static void grouped_free(grouped_fixture *f) {
    dial_model_free(f->model);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

/* The rmse of the model on data with feature 0's values replaced. */
static double rmse_with(grouped_fixture *f, const double *values) {
    size_t n = f->data->n_rows;
    dial_column column = *f->data->features[0];
    column.values = (double *)values;
    const dial_column *features[1] = {&column};
    dial_dataset shadow = *f->data;
    shadow.features = features;
    double *prediction = malloc(n * sizeof *prediction), score = 0;
    assert_non_null(prediction);
    dial_view all = dial_view_all(&shadow);
    assert_dial_ok(f->ctx, dial_model_predict(f->ctx, f->model, &all, prediction, NULL));
    assert_dial_ok(f->ctx, dial_metric_score(f->ctx, DIAL_METRIC_RMSE, f->data->y, prediction, NULL,
                                             n, 0, &score));
    free(prediction);
    return score;
}

static void test_grouped_importance_permutes_whole_groups_as_documented(void **state) {
    grouped_fixture f = grouped_with(crafted_csv, strlen(crafted_csv), "y", "g", "linear");
    assert_int_equal(f.data->n_features, 1);
    enum { REPEATS = 6, SEED = 5, GROUPS = 4 };
    dial_importance_options options = {.groups = f.groups};
    dial_importance_result r;
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_RMSE,
                                                           REPEATS, SEED, &options, &r));
    assert_int_equal(r.n_groups, GROUPS);
    /* the groups by first row: 30 (rows 0-2), 10 (3-4), 20 (5-8), 40 (9) */
    static const size_t start[GROUPS + 1] = {0, 3, 5, 9, 10};
    const double *x = f.data->features[0]->values;
    double permuted[10];
    bool some_shuffle_moved = false;
    for (size_t repeat = 0; repeat < REPEATS; repeat++) {
        /* feature 0, so the unit and its stream are the repeat's number */
        dial_rng rng = dial_rng_stream(SEED, repeat);
        size_t pi[GROUPS] = {0, 1, 2, 3};
        dial_rng_shuffle(&rng, pi, GROUPS);
        for (size_t g = 0; g < GROUPS; g++) {
            size_t from = start[pi[g]], size = start[pi[g] + 1] - from;
            for (size_t i = 0; i < start[g + 1] - start[g]; i++)
                permuted[start[g] + i] = x[from + i % size];
        }
        /* rmse is lower-is-better: the importance is the score minus the baseline */
        double expected = rmse_with(&f, permuted) - r.baseline;
        assert_true(r.importance[repeat] == expected);
        some_shuffle_moved = some_shuffle_moved || expected > 0;
    }
    assert_true(some_shuffle_moved);
    assert_true(r.baseline < 1e-9);
    dial_importance_result_free(&r);
    grouped_free(&f);
}

/* Every firm of the Grunfeld panel has the years 1935..1954 in order:
 * permuting whole firms gives every row its own year back, while a shuffle
 * of rows takes a tree's use of it apart. */
static void test_grouped_importance_of_a_feature_every_group_shares_is_zero(void **state) {
    grouped_fixture f = grunfeld_with("tree");
    size_t year = 0;
    while (strcmp(f.data->features[year]->name, "year") != 0) year++;
    dial_importance_options options = {.groups = f.groups};
    dial_importance_result grouped, rows;
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           5, 0, &options, &grouped));
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_R2, 5, 0, &rows));
    assert_int_equal(grouped.n_groups, 11);
    assert_int_equal(rows.n_groups, 0);
    assert_true(grouped.mean[year] == 0 && grouped.std[year] == 0);
    assert_true(rows.mean[year] > 0.1);
    dial_importance_result_free(&grouped);
    dial_importance_result_free(&rows);
    grouped_free(&f);
}

static void assert_results_equal(const dial_importance_result *a, const dial_importance_result *b) {
    assert_int_equal(a->n_features, b->n_features);
    assert_int_equal(a->n_groups, b->n_groups);
    assert_memory_equal(a->importance, b->importance, a->n_features * a->repeats * sizeof(double));
    assert_memory_equal(a->mean, b->mean, a->n_features * sizeof(double));
}

static void test_grouped_importance_depends_on_the_seed_not_the_threads(void **state) {
    grouped_fixture f = grunfeld_with("linear");
    dial_importance_options options = {.groups = f.groups};
    dial_importance_result one, two, again, other;
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           4, 9, &options, &one));
    dial_ctx_set_threads(f.ctx, 2);
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           4, 9, &options, &two));
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           4, 9, &options, &again));
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           4, 10, &options, &other));
    assert_results_equal(&one, &two);
    assert_results_equal(&one, &again);
    assert_memory_not_equal(one.importance, other.importance,
                            one.n_features * one.repeats * sizeof(double));
    dial_importance_result_free(&one);
    dial_importance_result_free(&two);
    dial_importance_result_free(&again);
    dial_importance_result_free(&other);
    grouped_free(&f);
}

/* ---- the group column's mistakes ----------------------------------------------- */

static void test_grouped_importance_with_one_group_fails(void **state) {
    static const char csv[] = "x,g,y\n1,7,3\n2,7,5\n3,7,7\n";
    grouped_fixture f = grouped_with(csv, strlen(csv), "y", "g", "linear");
    dial_importance_options options = {.groups = f.groups};
    dial_importance_result r;
    assert_dial_error(f.ctx,
                      dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_RMSE, 2,
                                                       0, &options, &r),
                      DIAL_ERR_DATA,
                      "column 'g' holds 1 group; permuting whole groups needs at least 2 "
                      "(without groups, the rows are shuffled one by one)");
    grouped_free(&f);
}

static void test_grouped_importance_with_a_row_without_group_fails(void **state) {
    static const char csv[] = "x,g,y\n1,a,3\n2,b,5\n3,,7\n4,a,9\n";
    grouped_fixture f = grouped_with(csv, strlen(csv), "y", "g", "linear");
    dial_importance_options options = {.groups = f.groups};
    dial_importance_result r;
    assert_dial_error(f.ctx,
                      dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_RMSE, 2,
                                                       0, &options, &r),
                      DIAL_ERR_DATA, "column 'g' is missing on row 3: every row needs its group");
    grouped_free(&f);
}

static void test_grouped_importance_by_a_feature_of_the_model_fails(void **state) {
    grouped_fixture f = grouped_with(crafted_csv, strlen(crafted_csv), "y", "g", "linear");
    dial_importance_options options = {.groups = f.data->features[0]};
    dial_importance_result r;
    assert_dial_error(f.ctx,
                      dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_RMSE, 2,
                                                       0, &options, &r),
                      DIAL_ERR_ARGUMENT,
                      "column 'x' is a feature of the model, so it cannot say which rows form a "
                      "group; name a column the model was not fitted on (fit with --ignore x to "
                      "keep it out of the features)");
    grouped_free(&f);
}

static void test_grouped_importance_by_the_target_fails(void **state) {
    grouped_fixture f = grouped_with(crafted_csv, strlen(crafted_csv), "y", "g", "linear");
    long y = dial_table_find(f.table, "y");
    dial_importance_options options = {.groups = &f.table->cols[y]};
    dial_importance_result r;
    assert_dial_error(f.ctx,
                      dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_RMSE, 2,
                                                       0, &options, &r),
                      DIAL_ERR_ARGUMENT,
                      "column 'y' is the target: the column of the groups must be another one");
    grouped_free(&f);
}

/* No options, or options without groups, are the plain shuffle of rows. */
static void test_importance_without_groups_is_the_plain_shuffle(void **state) {
    grouped_fixture f = grunfeld_with("linear");
    dial_importance_options none = {0};
    dial_importance_result plain, with_null, with_none;
    assert_dial_ok(
        f.ctx, dial_importance_permutation(f.ctx, f.model, f.data, DIAL_METRIC_R2, 3, 2, &plain));
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           3, 2, NULL, &with_null));
    assert_dial_ok(f.ctx, dial_importance_permutation_with(f.ctx, f.model, f.data, DIAL_METRIC_R2,
                                                           3, 2, &none, &with_none));
    assert_results_equal(&plain, &with_null);
    assert_results_equal(&plain, &with_none);
    dial_importance_result_free(&plain);
    dial_importance_result_free(&with_null);
    dial_importance_result_free(&with_none);
    grouped_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouped_importance_permutes_whole_groups_as_documented),
        cmocka_unit_test(test_grouped_importance_of_a_feature_every_group_shares_is_zero),
        cmocka_unit_test(test_grouped_importance_depends_on_the_seed_not_the_threads),
        cmocka_unit_test(test_grouped_importance_with_one_group_fails),
        cmocka_unit_test(test_grouped_importance_with_a_row_without_group_fails),
        cmocka_unit_test(test_grouped_importance_by_a_feature_of_the_model_fails),
        cmocka_unit_test(test_grouped_importance_by_the_target_fails),
        cmocka_unit_test(test_importance_without_groups_is_the_plain_shuffle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
