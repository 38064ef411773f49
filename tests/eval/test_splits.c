/* Splitters: k-fold (plain, stratified, repeated) and holdout, on the real
 * datasets in data/. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dataset and the table it borrows. */
typedef struct loaded {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
} loaded;

static loaded load(const char *path, const char *target) {
    loaded l = {test_ctx(), NULL, NULL};
    l.data = test_load_dataset(l.ctx, path, target, &l.table);
    return l;
}

/* Loads a dataset from CSV text written to a temporary file. */
static loaded load_text(const char *csv, const char *target) {
    char *path = test_write_temp(csv, strlen(csv), ".csv");
    loaded l = load(path, target);
    remove(path);
    free(path);
    return l;
}

static void unload(loaded *l) {
    dial_dataset_free(l->data);
    dial_table_free(l->table);
    dial_ctx_free(l->ctx);
}

static dial_splits kfold(loaded *l, size_t folds, size_t repeats, bool stratified, uint64_t seed) {
    dial_splits splits = {0};
    assert_dial_ok(l->ctx,
                   dial_split_kfold(l->ctx, l->data, folds, repeats, stratified, seed, &splits));
    assert_int_equal(splits.count, folds * repeats);
    return splits;
}

static void assert_ascending(const size_t *rows, size_t n) {
    for (size_t i = 1; i < n; i++) assert_true(rows[i - 1] < rows[i]);
}

/* Train and test of one split are disjoint, ascending, and together hold
 * every row once. */
static void assert_split_partitions(const dial_split *split, size_t n_rows) {
    assert_int_equal(split->n_train + split->n_test, n_rows);
    assert_ascending(split->train, split->n_train);
    assert_ascending(split->test, split->n_test);
    char *seen = calloc(n_rows, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < split->n_train; i++) seen[split->train[i]]++;
    for (size_t i = 0; i < split->n_test; i++) seen[split->test[i]]++;
    for (size_t r = 0; r < n_rows; r++) assert_int_equal(seen[r], 1);
    free(seen);
}

static bool splits_equal(const dial_splits *a, const dial_splits *b) {
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++) {
        const dial_split *x = &a->items[i], *y = &b->items[i];
        if (x->n_test != y->n_test || memcmp(x->test, y->test, x->n_test * sizeof *x->test) != 0)
            return false;
    }
    return true;
}

/* ---- k-fold -------------------------------------------------------------- */

static void check_each_row_tested_once_per_repeat(bool stratified) {
    loaded l = load("data/wine.csv", "cultivar");
    size_t folds = 5, repeats = 3, n = l.data->n_rows;
    dial_splits splits = kfold(&l, folds, repeats, stratified, 42);
    unsigned *tested = calloc(n * repeats, sizeof *tested);
    assert_non_null(tested);
    for (size_t i = 0; i < splits.count; i++) {
        const dial_split *split = &splits.items[i];
        for (size_t j = 0; j < split->n_test; j++) tested[split->repeat * n + split->test[j]]++;
    }
    for (size_t i = 0; i < n * repeats; i++) assert_int_equal(tested[i], 1);
    free(tested);
    dial_splits_free(&splits);
    unload(&l);
}

static void test_kfold_tests_every_row_once_per_repeat(void **state) {
    (void)state;
    check_each_row_tested_once_per_repeat(false);
}

static void test_stratified_kfold_tests_every_row_once_per_repeat(void **state) {
    (void)state;
    check_each_row_tested_once_per_repeat(true);
}

static void test_kfold_train_and_test_partition_the_rows_in_order(void **state) {
    (void)state;
    loaded l = load("data/breast_cancer.csv", "diagnosis");
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits splits = kfold(&l, 10, 2, stratified, 7);
        for (size_t i = 0; i < splits.count; i++)
            assert_split_partitions(&splits.items[i], l.data->n_rows);
        dial_splits_free(&splits);
    }
    unload(&l);
}

static void test_kfold_numbers_splits_repeat_major(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits splits = kfold(&l, 4, 3, false, 1);
    for (size_t i = 0; i < splits.count; i++) {
        assert_int_equal(splits.items[i].repeat, i / 4);
        assert_int_equal(splits.items[i].fold, i % 4);
    }
    dial_splits_free(&splits);
    unload(&l);
}

static void test_kfold_fold_sizes_differ_by_at_most_one(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", "cultivar"); /* 178 rows: 36, 36, 36, 35, 35 */
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits splits = kfold(&l, 5, 1, stratified, 3);
        for (size_t f = 0; f < 5; f++) {
            assert_true(splits.items[f].n_test == 35 || splits.items[f].n_test == 36);
        }
        dial_splits_free(&splits);
    }
    unload(&l);
}

static void test_kfold_on_a_regression_target(void **state) {
    (void)state;
    loaded l = load("data/diabetes.csv", "progression");
    dial_splits splits = kfold(&l, 5, 1, false, 9);
    for (size_t i = 0; i < splits.count; i++)
        assert_split_partitions(&splits.items[i], l.data->n_rows);
    dial_splits_free(&splits);
    unload(&l);
}

static void test_stratified_folds_keep_class_shares_within_one_row(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", "cultivar"); /* classes of 59, 71 and 48 rows */
    size_t folds = 5, k = l.data->n_classes;
    size_t *class_count = calloc(k, sizeof *class_count);
    assert_non_null(class_count);
    for (size_t i = 0; i < l.data->n_rows; i++) class_count[(size_t)l.data->y[i]]++;
    dial_splits splits = kfold(&l, folds, 4, true, 11);
    for (size_t s = 0; s < splits.count; s++) {
        const dial_split *split = &splits.items[s];
        for (size_t c = 0; c < k; c++) {
            size_t in_fold = 0;
            for (size_t j = 0; j < split->n_test; j++)
                in_fold += (size_t)l.data->y[split->test[j]] == c;
            double share = (double)class_count[c] / (double)folds;
            assert_true((double)in_fold > share - 1 && (double)in_fold < share + 1);
        }
    }
    dial_splits_free(&splits);
    free(class_count);
    unload(&l);
}

static void test_kfold_same_seed_gives_same_splits(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits a = kfold(&l, 5, 2, stratified, 2024);
        dial_splits b = kfold(&l, 5, 2, stratified, 2024);
        assert_true(splits_equal(&a, &b));
        dial_splits_free(&a);
        dial_splits_free(&b);
    }
    unload(&l);
}

static void test_kfold_different_seeds_give_different_splits(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits a = kfold(&l, 5, 1, true, 1);
    dial_splits b = kfold(&l, 5, 1, true, 2);
    assert_false(splits_equal(&a, &b));
    dial_splits_free(&a);
    dial_splits_free(&b);
    unload(&l);
}

static void test_kfold_repeats_shuffle_differently(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits splits = kfold(&l, 5, 2, stratified, 5);
        const dial_split *first = &splits.items[0], *second = &splits.items[5];
        assert_int_equal(first->n_test, second->n_test);
        assert_memory_not_equal(first->test, second->test, first->n_test * sizeof *first->test);
        dial_splits_free(&splits);
    }
    unload(&l);
}

static void test_kfold_repeat_does_not_depend_on_the_number_of_repeats(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits one = kfold(&l, 3, 1, true, 8);
    dial_splits three = kfold(&l, 3, 3, true, 8);
    for (size_t f = 0; f < 3; f++)
        assert_memory_equal(one.items[f].test, three.items[f].test,
                            one.items[f].n_test * sizeof(size_t));
    dial_splits_free(&one);
    dial_splits_free(&three);
    unload(&l);
}

static void test_kfold_with_one_fold_fails(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_kfold(l.ctx, l.data, 1, 1, false, 0, &splits),
                      DIAL_ERR_ARGUMENT, "folds must be at least 2, got 1");
    assert_int_equal(splits.count, 0);
    unload(&l);
}

static void test_kfold_with_more_folds_than_rows_fails(void **state) {
    (void)state;
    loaded l = load_text("a,b\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x\n", "b");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_kfold(l.ctx, l.data, 10, 1, false, 0, &splits),
                      DIAL_ERR_ARGUMENT, "cannot make 10 folds from 7 rows");
    unload(&l);
}

static void test_kfold_with_no_repeat_fails(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_kfold(l.ctx, l.data, 5, 0, false, 0, &splits),
                      DIAL_ERR_ARGUMENT, "repeats must be at least 1, got 0");
    unload(&l);
}

static void test_stratified_kfold_refuses_a_class_smaller_than_the_folds(void **state) {
    (void)state;
    loaded l = load_text("a,b\n1,y\n2,x\n3,y\n4,y\n5,x\n6,y\n7,y\n8,z\n9,z\n10,z\n11,z\n12,z\n"
                         "13,y\n",
                         "b");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_kfold(l.ctx, l.data, 5, 1, true, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "stratified 5-fold needs at least 5 rows of every class; class 'x' has 2");
    unload(&l);
}

static void test_stratified_kfold_on_a_regression_target_fails(void **state) {
    (void)state;
    loaded l = load("data/diabetes.csv", "progression");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_kfold(l.ctx, l.data, 5, 1, true, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "a stratified split needs a classification target; 'progression' is a "
                      "regression target");
    unload(&l);
}

/* ---- holdout --------------------------------------------------------------- */

static dial_splits holdout(loaded *l, double fraction, bool stratified, uint64_t seed) {
    dial_splits splits = {0};
    assert_dial_ok(l->ctx,
                   dial_split_holdout(l->ctx, l->data, fraction, stratified, seed, &splits));
    assert_int_equal(splits.count, 1);
    return splits;
}

static void test_holdout_rounds_the_test_part_up(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", "cultivar"); /* 0.25 * 178 = 44.5 -> 45 */
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits splits = holdout(&l, 0.25, stratified, 3);
        assert_int_equal(splits.items[0].n_test, 45);
        assert_int_equal(splits.items[0].n_train, 133);
        assert_split_partitions(&splits.items[0], l.data->n_rows);
        dial_splits_free(&splits);
    }
    unload(&l);
}

static void test_stratified_holdout_keeps_class_shares_within_one_row(void **state) {
    (void)state;
    loaded l = load("data/breast_cancer.csv", "diagnosis"); /* 212 malignant, 357 benign */
    dial_splits splits = holdout(&l, 0.3, true, 17);
    const dial_split *split = &splits.items[0];
    for (size_t c = 0; c < l.data->n_classes; c++) {
        size_t in_class = 0, in_test = 0;
        for (size_t i = 0; i < l.data->n_rows; i++) in_class += (size_t)l.data->y[i] == c;
        for (size_t j = 0; j < split->n_test; j++)
            in_test += (size_t)l.data->y[split->test[j]] == c;
        double share = (double)in_class * (double)split->n_test / (double)l.data->n_rows;
        assert_true((double)in_test > share - 1 && (double)in_test < share + 1);
    }
    dial_splits_free(&splits);
    unload(&l);
}

static void test_holdout_same_seed_same_split_other_seed_other_split(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    for (int stratified = 0; stratified < 2; stratified++) {
        dial_splits a = holdout(&l, 0.2, stratified, 100);
        dial_splits b = holdout(&l, 0.2, stratified, 100);
        dial_splits c = holdout(&l, 0.2, stratified, 101);
        assert_true(splits_equal(&a, &b));
        assert_false(splits_equal(&a, &c));
        dial_splits_free(&a);
        dial_splits_free(&b);
        dial_splits_free(&c);
    }
    unload(&l);
}

static void test_holdout_with_a_fraction_outside_0_1_fails(void **state) {
    (void)state;
    loaded l = load("data/iris.csv", "species");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_holdout(l.ctx, l.data, 1.0, false, 0, &splits),
                      DIAL_ERR_ARGUMENT, "test fraction must be in (0, 1), got 1");
    assert_dial_error(l.ctx, dial_split_holdout(l.ctx, l.data, 0.0, false, 0, &splits),
                      DIAL_ERR_ARGUMENT, "test fraction must be in (0, 1), got 0");
    unload(&l);
}

static void test_holdout_that_leaves_nothing_to_train_on_fails(void **state) {
    (void)state;
    loaded l = load_text("a,b\n1,x\n2,y\n3,x\n", "b");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_holdout(l.ctx, l.data, 0.7, false, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "a test fraction of 0.7 of 3 rows leaves no rows to train on");
    unload(&l);
}

static void test_stratified_holdout_refuses_a_class_of_one_row(void **state) {
    (void)state;
    loaded l = load_text("a,b\n1,x\n2,y\n3,x\n4,z\n5,x\n6,y\n", "b");
    dial_splits splits = {0};
    assert_dial_error(l.ctx, dial_split_holdout(l.ctx, l.data, 0.5, true, 0, &splits),
                      DIAL_ERR_ARGUMENT,
                      "a stratified holdout needs at least 2 rows of every class; class 'z' has 1");
    unload(&l);
}

static void test_freeing_empty_splits_is_harmless(void **state) {
    (void)state;
    dial_splits splits = {0};
    dial_splits_free(&splits);
    dial_splits_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kfold_tests_every_row_once_per_repeat),
        cmocka_unit_test(test_stratified_kfold_tests_every_row_once_per_repeat),
        cmocka_unit_test(test_kfold_train_and_test_partition_the_rows_in_order),
        cmocka_unit_test(test_kfold_numbers_splits_repeat_major),
        cmocka_unit_test(test_kfold_fold_sizes_differ_by_at_most_one),
        cmocka_unit_test(test_kfold_on_a_regression_target),
        cmocka_unit_test(test_stratified_folds_keep_class_shares_within_one_row),
        cmocka_unit_test(test_kfold_same_seed_gives_same_splits),
        cmocka_unit_test(test_kfold_different_seeds_give_different_splits),
        cmocka_unit_test(test_kfold_repeats_shuffle_differently),
        cmocka_unit_test(test_kfold_repeat_does_not_depend_on_the_number_of_repeats),
        cmocka_unit_test(test_kfold_with_one_fold_fails),
        cmocka_unit_test(test_kfold_with_more_folds_than_rows_fails),
        cmocka_unit_test(test_kfold_with_no_repeat_fails),
        cmocka_unit_test(test_stratified_kfold_refuses_a_class_smaller_than_the_folds),
        cmocka_unit_test(test_stratified_kfold_on_a_regression_target_fails),
        cmocka_unit_test(test_holdout_rounds_the_test_part_up),
        cmocka_unit_test(test_stratified_holdout_keeps_class_shares_within_one_row),
        cmocka_unit_test(test_holdout_same_seed_same_split_other_seed_other_split),
        cmocka_unit_test(test_holdout_with_a_fraction_outside_0_1_fails),
        cmocka_unit_test(test_holdout_that_leaves_nothing_to_train_on_fails),
        cmocka_unit_test(test_stratified_holdout_refuses_a_class_of_one_row),
        cmocka_unit_test(test_freeing_empty_splits_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
