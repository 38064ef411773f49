/* Folds for rows that are not independent: grouped (stratified where the
 * classes allow), forward-chaining over time with a gap, and folds given by
 * a column; on data/grunfeld.csv (11 firms x 20 years) and small tables. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loaded {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    const dial_column *column; /* the scheme's column, out of the features */
    double *keys;
    dial_fold_scheme scheme;
} loaded;

/* Loads path with target, takes column out of the features and makes the
 * scheme of kind from it. */
static loaded load(const char *path, const char *target, const char *column, dial_fold_kind kind) {
    loaded l = {.ctx = test_ctx()};
    l.data = test_load_dataset(l.ctx, path, target, &l.table);
    size_t features = l.data->n_features;
    assert_dial_ok(l.ctx, dial_dataset_drop_feature(l.ctx, l.data, column, &l.column));
    assert_int_equal(l.data->n_features, features - 1);
    for (size_t j = 0; j < l.data->n_features; j++)
        assert_string_not_equal(l.data->features[j]->name, column);
    assert_dial_ok(l.ctx, dial_fold_keys(l.ctx, l.column, l.data->n_rows, kind, &l.keys));
    l.scheme = (dial_fold_scheme){.kind = kind, .keys = l.keys, .column = l.column->name};
    return l;
}

static loaded load_text(const char *csv, const char *target, const char *column,
                        dial_fold_kind kind) {
    char *path = test_write_temp(csv, strlen(csv), ".csv");
    loaded l = load(path, target, column, kind);
    remove(path);
    free(path);
    return l;
}

static void unload(loaded *l) {
    free(l->keys);
    dial_dataset_free(l->data);
    dial_table_free(l->table);
    dial_ctx_free(l->ctx);
}

static dial_splits folds(loaded *l, size_t k, size_t repeats, bool stratified, uint64_t seed) {
    dial_splits splits = {0};
    assert_dial_ok(l->ctx, dial_split_folds(l->ctx, l->data, &l->scheme, k, repeats, stratified,
                                            seed, &splits));
    return splits;
}

/* A numeric column's value on a row. */
static double value(const loaded *l, const char *name, size_t row) {
    long j = dial_table_find(l->table, name);
    assert_true(j >= 0);
    return l->table->cols[j].values[row];
}

static bool same_splits(const dial_splits *a, const dial_splits *b) {
    if (a->count != b->count) return false;
    for (size_t s = 0; s < a->count; s++) {
        if (a->items[s].n_test != b->items[s].n_test) return false;
        if (memcmp(a->items[s].test, b->items[s].test, a->items[s].n_test * sizeof(size_t)))
            return false;
    }
    return true;
}

/* ---- grouped ---------------------------------------------------------------- */

static void test_grouped_folds_never_put_a_firm_on_both_sides(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "firm", DIAL_FOLDS_GROUPED);
    dial_splits splits = folds(&l, 5, 3, false, 0);
    assert_int_equal(splits.count, 15);
    for (size_t r = 0; r < 3; r++) {
        size_t tested[220] = {0};
        for (size_t f = 0; f < 5; f++) {
            const dial_split *split = &splits.items[r * 5 + f];
            assert_int_equal(split->repeat, r);
            assert_int_equal(split->fold, f);
            assert_int_equal(split->n_train + split->n_test, 220);
            /* 11 firms of 20 rows in 5 folds: 2 or 3 firms a fold */
            assert_true(split->n_test == 40 || split->n_test == 60);
            for (size_t i = 0; i < split->n_test; i++) {
                tested[split->test[i]]++;
                for (size_t j = 0; j < split->n_train; j++)
                    assert_true(l.keys[split->test[i]] != l.keys[split->train[j]]);
            }
        }
        for (size_t row = 0; row < 220; row++) assert_int_equal(tested[row], 1);
    }
    dial_splits_free(&splits);
    unload(&l);
}

static void test_grouped_folds_depend_on_the_seed_and_repeat_only(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "firm", DIAL_FOLDS_GROUPED);
    dial_splits a = folds(&l, 5, 2, false, 7), b = folds(&l, 5, 2, false, 7);
    dial_splits other = folds(&l, 5, 2, false, 8);
    assert_true(same_splits(&a, &b));
    assert_false(same_splits(&a, &other));
    /* the firms are of one size, so only the shuffle decides: the two
     * repeats differ */
    dial_splits first = {1, a.items}, second = {1, a.items + 5};
    first.count = second.count = 5;
    assert_false(same_splits(&first, &second));
    dial_splits_free(&a);
    dial_splits_free(&b);
    dial_splits_free(&other);
    unload(&l);
}

/* Six groups of class a and three of class b, four rows each, in 3 folds:
 * stratified, every fold gets exactly one group of b (as
 * StratifiedGroupKFold does); without stratification, sizes alone decide. */
static const char *const CLASSES_BY_GROUP = "g,x,y\n"
                                            "1,1,a\n1,2,a\n1,3,a\n1,4,a\n"
                                            "2,1,a\n2,2,a\n2,3,a\n2,4,a\n"
                                            "3,1,a\n3,2,a\n3,3,a\n3,4,a\n"
                                            "4,1,a\n4,2,a\n4,3,a\n4,4,a\n"
                                            "5,1,a\n5,2,a\n5,3,a\n5,4,a\n"
                                            "6,1,a\n6,2,a\n6,3,a\n6,4,a\n"
                                            "7,1,b\n7,2,b\n7,3,b\n7,4,b\n"
                                            "8,1,b\n8,2,b\n8,3,b\n8,4,b\n"
                                            "9,1,b\n9,2,b\n9,3,b\n9,4,b\n";

static void test_stratified_grouped_folds_spread_each_class_over_the_folds(void **state) {
    (void)state;
    loaded l = load_text(CLASSES_BY_GROUP, "y", "g", DIAL_FOLDS_GROUPED);
    for (uint64_t seed = 0; seed < 20; seed++) {
        dial_splits splits = folds(&l, 3, 1, true, seed);
        for (size_t f = 0; f < 3; f++) {
            const dial_split *split = &splits.items[f];
            size_t b = 0;
            for (size_t i = 0; i < split->n_test; i++) b += l.data->y[split->test[i]] == 1;
            assert_int_equal(split->n_test, 12);
            assert_int_equal(b, 4);
        }
        dial_splits_free(&splits);
    }
    unload(&l);
}

static void test_grouped_folds_refuse_fewer_groups_than_folds(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "firm", DIAL_FOLDS_GROUPED);
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_folds(l.ctx, l.data, &l.scheme, 12, 1, false, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "cannot make 12 grouped folds from 11 groups of column 'firm': ask for at "
                      "most 11 folds");
    assert_int_equal(splits.count, 0);
    unload(&l);
}

/* ---- forward chaining --------------------------------------------------------- */

/* As scikit-learn's TimeSeriesSplit(n_splits=4, gap=11) on the 220 rows in
 * year order: test blocks of 220 // 5 = 44 rows (4 years of 11 firms) from
 * row 44 on, each trained on the rows before it but the last 11. */
static void test_time_folds_train_on_the_past_and_score_the_next_block(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "year", DIAL_FOLDS_TIME);
    l.scheme.gap = 11;
    dial_splits splits = folds(&l, 4, 1, true, 0);
    assert_int_equal(splits.count, 4);
    for (size_t f = 0; f < 4; f++) {
        const dial_split *split = &splits.items[f];
        assert_int_equal(split->n_test, 44);
        assert_int_equal(split->n_train, 44 * (f + 1) - 11);
        double first_test = 1e9, last_test = 0, last_train = 0;
        for (size_t i = 0; i < split->n_test; i++) {
            double year = value(&l, "year", split->test[i]);
            first_test = year < first_test ? year : first_test;
            last_test = year > last_test ? year : last_test;
        }
        for (size_t i = 0; i < split->n_train; i++) {
            double year = value(&l, "year", split->train[i]);
            last_train = year > last_train ? year : last_train;
        }
        assert_true(first_test == 1939 + 4 * (double)f);
        assert_true(last_test == first_test + 3);
        assert_true(last_train == first_test - 2); /* the gap: one year of 11 rows */
    }
    dial_splits_free(&splits);
    unload(&l);
}

static void test_time_keys_of_text_sort_by_the_text(void **state) {
    (void)state;
    /* levels appear in another order than their dates */
    loaded l = load_text("day,x,y\n2024-03-01,1,0\n2024-01-01,2,1\n2024-02-01,3,0\n"
                         "2024-01-15,4,1\n2024-02-15,5,0\n2024-03-15,6,1\n",
                         "y", "day", DIAL_FOLDS_TIME);
    double want[] = {4, 0, 2, 1, 3, 5};
    for (size_t i = 0; i < 6; i++) assert_true(l.keys[i] == want[i]);
    dial_splits splits = folds(&l, 2, 1, false, 0);
    /* blocks of 6 // 3 = 2 rows: the first trains on Jan 1 and Jan 15 */
    assert_int_equal(splits.items[0].n_train, 2);
    assert_int_equal(splits.items[0].train[0], 1);
    assert_int_equal(splits.items[0].train[1], 3);
    assert_int_equal(splits.items[1].test[0], 0);
    assert_int_equal(splits.items[1].test[1], 5);
    dial_splits_free(&splits);
    unload(&l);
}

static void test_time_folds_refuse_a_gap_that_leaves_nothing_to_train_on(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "year", DIAL_FOLDS_TIME);
    l.scheme.gap = 44;
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_folds(l.ctx, l.data, &l.scheme, 4, 1, false, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "cannot make 4 forward-chaining folds with a gap of 44 from 220 rows: the "
                      "first fold would train on no row; ask for fewer folds or a smaller gap");
    l.scheme.gap = 0;
    assert_dial_error(l.ctx, dial_split_folds(l.ctx, l.data, &l.scheme, 4, 3, false, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "forward-chaining folds are the same on every repeat: ask for 1 repeat, "
                      "not 3");
    unload(&l);
}

static void test_time_holdout_is_the_latest_rows(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "year", DIAL_FOLDS_TIME);
    l.scheme.gap = 11;
    dial_splits splits = {0};
    assert_dial_ok(l.ctx, dial_split_holdout_by(l.ctx, l.data, &l.scheme, 0.2, true, 3, &splits));
    const dial_split *split = &splits.items[0];
    assert_int_equal(split->n_test, 44);
    assert_int_equal(split->n_train, 220 - 44 - 11);
    for (size_t i = 0; i < split->n_test; i++)
        assert_true(value(&l, "year", split->test[i]) >= 1951);
    for (size_t i = 0; i < split->n_train; i++)
        assert_true(value(&l, "year", split->train[i]) <= 1949);
    dial_splits_free(&splits);
    unload(&l);
}

/* ---- holdout by group ---------------------------------------------------------- */

static void test_grouped_holdout_holds_out_whole_firms(void **state) {
    (void)state;
    loaded l = load("data/grunfeld.csv", "invest", "firm", DIAL_FOLDS_GROUPED);
    dial_splits splits = {0}, again = {0};
    assert_dial_ok(l.ctx, dial_split_holdout_by(l.ctx, l.data, &l.scheme, 0.2, false, 5, &splits));
    assert_dial_ok(l.ctx, dial_split_holdout_by(l.ctx, l.data, &l.scheme, 0.2, false, 5, &again));
    assert_true(same_splits(&splits, &again));
    const dial_split *split = &splits.items[0];
    assert_int_equal(split->n_test, 60); /* ceil(0.2 * 11) = 3 firms */
    assert_int_equal(split->n_train, 160);
    for (size_t i = 0; i < split->n_test; i++)
        for (size_t j = 0; j < split->n_train; j++)
            assert_true(l.keys[split->test[i]] != l.keys[split->train[j]]);
    dial_splits_free(&splits);
    dial_splits_free(&again);
    unload(&l);
}

/* ---- given folds --------------------------------------------------------------- */

static void test_given_folds_follow_the_column_and_keep_negative_rows_in_training(void **state) {
    (void)state;
    loaded l = load_text("fold,x,y\n1,1,0\n0,2,1\n-1,3,0\n2,4,1\n0,5,0\n1,6,1\n2,7,0\n-1,8,1\n",
                         "y", "fold", DIAL_FOLDS_PREDEFINED);
    dial_splits splits = folds(&l, 5 /* unused */, 1, true, 0);
    assert_int_equal(splits.count, 3);
    size_t want_test[3][2] = {{1, 4}, {0, 5}, {3, 6}};
    for (size_t f = 0; f < 3; f++) {
        assert_int_equal(splits.items[f].n_test, 2);
        assert_int_equal(splits.items[f].n_train, 6);
        assert_int_equal(splits.items[f].test[0], want_test[f][0]);
        assert_int_equal(splits.items[f].test[1], want_test[f][1]);
    }
    dial_splits_free(&splits);
    dial_splits holdout = {0};
    assert_dial_error(l.ctx,
                      dial_split_holdout_by(l.ctx, l.data, &l.scheme, 0.2, false, 0, &holdout),
                      DIAL_ERR_ARGUMENT,
                      "a holdout cannot be drawn from fold column 'fold': its folds already say "
                      "which rows are scored; leave out the holdout");
    unload(&l);
}

static void test_given_folds_refuse_a_single_fold(void **state) {
    (void)state;
    loaded l = load_text("fold,x,y\n0,1,0\n0,2,1\n-1,3,0\n", "y", "fold", DIAL_FOLDS_PREDEFINED);
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_folds(l.ctx, l.data, &l.scheme, 5, 1, false, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "fold column 'fold' gives 1 fold: cross-validation needs at least 2 distinct "
                      "values of 0 or more (a negative value keeps a row in training)");
    unload(&l);
}

/* ---- the column --------------------------------------------------------------- */

static void test_a_missing_key_names_the_column_and_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    const char *csv = "g,x,y\n1,1,0\n,2,1\n2,3,0\n";
    char *path = test_write_temp(csv, strlen(csv), ".csv");
    dial_dataset *data = test_load_dataset(ctx, path, "y", &table);
    double *keys = NULL;
    assert_dial_error(ctx, dial_fold_keys(ctx, &table->cols[0], 3, DIAL_FOLDS_GROUPED, &keys),
                      DIAL_ERR_DATA, "column 'g' is missing on row 2: every row needs its group");
    assert_null(keys);
    const dial_column *column = NULL;
    assert_dial_error(ctx, dial_dataset_drop_feature(ctx, data, "y", &column), DIAL_ERR_DATA,
                      "column 'y' is the target: the column that says how rows are split must be "
                      "another one");
    assert_dial_error(ctx, dial_dataset_drop_feature(ctx, data, "h", &column), DIAL_ERR_DATA,
                      "column 'h' not found; columns are: g, x, y");
    assert_dial_ok(ctx, dial_dataset_drop_feature(ctx, data, "g", &column));
    assert_dial_error(ctx, dial_dataset_drop_feature(ctx, data, "x", &column), DIAL_ERR_DATA,
                      "column 'x' is the only feature: without it no feature is left");
    dial_dataset_free(data);
    dial_table_free(table);
    remove(path);
    free(path);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouped_folds_never_put_a_firm_on_both_sides),
        cmocka_unit_test(test_grouped_folds_depend_on_the_seed_and_repeat_only),
        cmocka_unit_test(test_stratified_grouped_folds_spread_each_class_over_the_folds),
        cmocka_unit_test(test_grouped_folds_refuse_fewer_groups_than_folds),
        cmocka_unit_test(test_time_folds_train_on_the_past_and_score_the_next_block),
        cmocka_unit_test(test_time_keys_of_text_sort_by_the_text),
        cmocka_unit_test(test_time_folds_refuse_a_gap_that_leaves_nothing_to_train_on),
        cmocka_unit_test(test_time_holdout_is_the_latest_rows),
        cmocka_unit_test(test_grouped_holdout_holds_out_whole_firms),
        cmocka_unit_test(test_given_folds_follow_the_column_and_keep_negative_rows_in_training),
        cmocka_unit_test(test_given_folds_refuse_a_single_fold),
        cmocka_unit_test(test_a_missing_key_names_the_column_and_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
