/* Native categorical splits of tree and forest (cart.h, "Categories"): a
 * categorical feature split by a subset of its levels, kept as a bitset
 * per split, which a saved model reads back bit for bit and which the
 * loader checks as coming from a hostile file. credit_data has four
 * categorical columns (Home, Marital, Records, Job). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_internal.h"

extern const dial_model_family dial_model_tree;
extern const dial_model_family dial_model_forest;

#define CREDIT "data/credit_data.csv"

static const dial_tensor *find(const dial_model *model, const char *name) {
    return dial_tensors_find(dial_model_get_tensors(model), name);
}

/* How many nodes split a category. */
static size_t category_splits(const dial_model *model) {
    const dial_tensor *category = find(model, "category");
    size_t count = 0;
    for (size_t i = 0; category && i < category->shape[0]; i++)
        count += ((const int64_t *)category->data)[i] >= 0;
    return count;
}

static void test_a_tree_on_credit_data_splits_categories_by_subsets(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, CREDIT, "Status",
                                      (const char *const[]){"max_depth=6", NULL});
    assert_true(category_splits(model) > 0);
    /* Home, Marital, Records, Job: four blocks, in input order */
    const dial_tensor *blocks = find(model, "category_blocks");
    assert_non_null(blocks);
    assert_int_equal(blocks->shape[0], 4);
    assert_non_null(find(model, "category_levels"));
    assert_non_null(find(model, "category_bits"));
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_categorical_onehot_keeps_one_level_per_split(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, &dial_model_tree, CREDIT, "Status",
                      (const char *const[]){"max_depth=6", "categorical=onehot", NULL});
    assert_null(find(model, "category"));
    assert_null(find(model, "category_bits"));
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Saves and loads the model, and predicts every row of the file with both:
 * the same classes and probabilities, bit for bit. */
static void assert_round_trip_predicts_the_same(dial_ctx *ctx, dial_model *model) {
    unsigned char *bytes = NULL, *again = NULL;
    size_t length = 0, length_again = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "trees.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, loaded, &again, &length_again));
    assert_int_equal(length, length_again);
    assert_memory_equal(bytes, again, length);

    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, CREDIT, "Status", &table);
    dial_view all = dial_view_all(data);
    size_t n = all.n, k = data->n_classes;
    double *value = malloc(n * sizeof *value), *value_loaded = malloc(n * sizeof *value);
    double *proba = malloc(n * k * sizeof *proba), *proba_loaded = malloc(n * k * sizeof *proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, proba));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, value_loaded, proba_loaded));
    assert_memory_equal(value, value_loaded, n * sizeof *value);
    assert_memory_equal(proba, proba_loaded, n * k * sizeof *proba);
    free(value);
    free(value_loaded);
    free(proba);
    free(proba_loaded);
    dial_dataset_free(data);
    dial_table_free(table);
    free(bytes);
    free(again);
    dial_model_free(loaded);
}

static void test_a_native_tree_round_trips_and_predicts_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, CREDIT, "Status", NULL);
    assert_true(category_splits(model) > 0);
    assert_round_trip_predicts_the_same(ctx, model);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_native_forest_round_trips_and_predicts_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, CREDIT, "Status",
                                      (const char *const[]){"n_estimators=10", NULL});
    assert_true(category_splits(model) > 0);
    assert_round_trip_predicts_the_same(ctx, model);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* The first node that splits a category. */
static size_t a_category_split(const dial_model *model) {
    const dial_tensor *category = find(model, "category");
    for (size_t i = 0; i < category->shape[0]; i++)
        if (((const int64_t *)category->data)[i] >= 0) return i;
    fail_msg("no split on a category");
    return 0;
}

/* The loader's word on the model with entry `at` of tensor `name` set to
 * value. */
static void assert_refused_at_load(dial_ctx *ctx, dial_model *model, const char *name, size_t at,
                                   int64_t value, const char *expected) {
    dial_tensor *t = (dial_tensor *)dial_tensors_find(&model->tensors, name);
    assert_non_null(t);
    ((int64_t *)t->data)[at] = value;
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_error(ctx, dial_model_load_buffer(ctx, "bad.dial", bytes, length, &loaded),
                      DIAL_ERR_FORMAT, expected);
    assert_null(loaded);
    free(bytes);
}

static void test_a_bitset_beyond_the_words_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, CREDIT, "Status",
                                      (const char *const[]){"max_depth=6", NULL});
    size_t node = a_category_split(model), n_words = find(model, "category_bits")->shape[0];
    const int64_t *feature = find(model, "feature")->data;
    const int64_t *blocks = find(model, "category_blocks")->data;
    size_t b = 0;
    while (blocks[2 * b] != feature[node]) b++;
    char expected[512];
    snprintf(expected, sizeof expected,
             "bad.dial: tree node %zu has its category bitset at word %zu, but a split on block "
             "%zu (%lld levels) needs 1 words and 'category_bits' has %zu; the file is damaged",
             node, n_words, b, (long long)blocks[2 * b + 1], n_words);
    assert_refused_at_load(ctx, model, "category", node, (int64_t)n_words, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_category_split_off_a_block_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, CREDIT, "Status",
                                      (const char *const[]){"max_depth=6", NULL});
    size_t node = a_category_split(model);
    char expected[512];
    snprintf(expected, sizeof expected,
             "bad.dial: tree node %zu splits input 0 by category, but no block of "
             "'category_blocks' starts there",
             node);
    assert_refused_at_load(ctx, model, "feature", node, 0, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_block_beyond_the_inputs_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, CREDIT, "Status",
                                      (const char *const[]){"n_estimators=3", NULL});
    const int64_t *blocks = find(model, "category_blocks")->data;
    size_t last = find(model, "category_blocks")->shape[0] - 1;
    char expected[512];
    snprintf(expected, sizeof expected,
             "bad.dial: forest model: category block %zu (columns 1000 + %lld) overlaps the one "
             "before it or lies beyond the 26 inputs",
             last, (long long)blocks[2 * last + 1]);
    assert_refused_at_load(ctx, model, "category_blocks", 2 * last, 1000, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* 45 rows of one colour, one-hot in three inputs: red (30 rows, class 1),
 * blue (10) and green (5, both class 0). */
static void colour_rows(double *x, double *y) {
    for (size_t i = 0; i < 45; i++) {
        size_t level = i < 30 ? 0 : i < 40 ? 1 : 2;
        for (size_t l = 0; l < 3; l++) x[3 * i + l] = l == level;
        y[i] = level == 0;
    }
}

/* Fits a tree of depth 1 on the colour rows, with or without naming the
 * one-hot block; returns whether the tree splits a category. */
static bool colour_tree_splits_category(bool name_the_block) {
    dial_ctx *ctx = test_ctx();
    double x[45 * 3], y[45], off[3] = {0, 0, 0}, on[3] = {1, 1, 1};
    colour_rows(x, y);
    dial_onehot_block block = {.offset = 0, .n_levels = 3, .off = off, .on = on};
    dial_fit_input in = {.x = x,
                         .n_rows = 45,
                         .n_features = 3,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2,
                         .onehot = name_the_block ? &block : NULL,
                         .n_onehot = name_the_block ? 1 : 0};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_tree, (const char *const[]){"max_depth=1", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_tree.fit(ctx, &knobs, &in, &learned));
    assert_int_equal(dial_tensors_find(&learned, "feature")->shape[0], 3);
    bool category = dial_tensors_find(&learned, "category") != NULL;
    if (category) {
        /* blue and green (bits 1 and 2) go left; the code of none (bit 3)
         * goes right, with red's 30 rows, the larger child */
        const int64_t *bits = dial_tensors_find(&learned, "category_bits")->data;
        assert_int_equal(bits[0], 6);
    }
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    return category;
}

static void test_a_fit_input_naming_its_blocks_splits_natively(void **state) {
    (void)state;
    assert_true(colour_tree_splits_category(true));
}

/* A fit input that does not name its one-hot blocks (as the tuner's folds
 * today) is split one-hot, whatever the knob says. */
static void test_a_fit_input_without_blocks_splits_one_hot(void **state) {
    (void)state;
    assert_false(colour_tree_splits_category(false));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_tree_on_credit_data_splits_categories_by_subsets),
        cmocka_unit_test(test_categorical_onehot_keeps_one_level_per_split),
        cmocka_unit_test(test_a_native_tree_round_trips_and_predicts_bit_for_bit),
        cmocka_unit_test(test_a_native_forest_round_trips_and_predicts_bit_for_bit),
        cmocka_unit_test(test_a_bitset_beyond_the_words_is_refused_at_load_time),
        cmocka_unit_test(test_a_category_split_off_a_block_is_refused_at_load_time),
        cmocka_unit_test(test_a_block_beyond_the_inputs_is_refused_at_load_time),
        cmocka_unit_test(test_a_fit_input_naming_its_blocks_splits_natively),
        cmocka_unit_test(test_a_fit_input_without_blocks_splits_one_hot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
