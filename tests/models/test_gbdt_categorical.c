/* Native categorical splits of gbdt (gbdt_category.h): a categorical
 * feature of at most 255 levels split by a subset of its levels, the same
 * from a prepared fold as from a fit, kept in the category tensors of
 * cart.h, read back bit for bit and checked at load. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_internal.h"
#include "models/family_tuning.h"

extern const dial_model_family dial_model_gbdt;

#define CREDIT "data/credit_data.csv"
#define LEVELS 12

/* n rows of a category of LEVELS levels (one-hot in inputs 0 .. 11) and a
 * number (input 12); the target is 1 for the levels 0, 3, 4, 7 and 9 and
 * mostly 0 for the others, whatever the number. Row i has level
 * (i * 7) % (LEVELS + 1), the last meaning none (all zeros: a missing or
 * unseen level). */
typedef struct colour_data {
    double x[200 * (LEVELS + 1)], y[200];
    double off[LEVELS], on[LEVELS];
    dial_onehot_block block;
} colour_data;

static void colour_make(colour_data *d, size_t n, size_t first) {
    static const int positive[LEVELS] = {1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
    for (size_t l = 0; l < LEVELS; l++) d->off[l] = 0, d->on[l] = 1;
    d->block = (dial_onehot_block){.offset = 0, .n_levels = LEVELS, .off = d->off, .on = d->on};
    for (size_t i = 0; i < n; i++) {
        size_t r = first + i, level = r * 7 % (LEVELS + 1);
        double *row = d->x + i * (LEVELS + 1);
        for (size_t l = 0; l < LEVELS; l++) row[l] = l == level;
        row[LEVELS] = (double)(r % 10);
        d->y[i] = level < LEVELS && positive[level] ? 1 : r % 9 == 0;
    }
}

static dial_fit_input colour_input(colour_data *d, size_t n, bool blocks) {
    return (dial_fit_input){.x = d->x,
                            .n_rows = n,
                            .n_features = LEVELS + 1,
                            .y = d->y,
                            .task = DIAL_TASK_CLASSIFICATION,
                            .n_classes = 2,
                            .onehot = blocks ? &d->block : NULL,
                            .n_onehot = blocks ? 1 : 0};
}

static void test_a_stump_splits_the_levels_by_their_gradient(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static colour_data d;
    colour_make(&d, 200, 0);
    dial_fit_input in = colour_input(&d, 200, true);
    dial_knobs knobs = test_knobs(ctx, &dial_model_gbdt,
                                  (const char *const[]){"n_estimators=1", "max_depth=1", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &in, &learned));
    const dial_tensor *category = dial_tensors_find(&learned, "category");
    assert_non_null(category);
    assert_int_equal(((const int64_t *)category->data)[0], 0);
    assert_int_equal(((const int64_t *)dial_tensors_find(&learned, "feature")->data)[0], 0);
    /* one side holds exactly the levels 0, 3, 4, 7 and 9; none (bit 12,
     * its rows mostly 0) sits with the others */
    uint64_t bits =
        (uint64_t)((const int64_t *)dial_tensors_find(&learned, "category_bits")->data)[0];
    uint64_t positive = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 7 | 1u << 9;
    assert_true(bits == positive || bits == (~positive & 0x1FFF));
    dial_tensors_clear(&learned);

    /* without the blocks named, one-hot as before */
    in = colour_input(&d, 200, false);
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &in, &learned));
    assert_null(dial_tensors_find(&learned, "category"));
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* The tuner's path: a prepared fold with the blocks named predicts its
 * test rows (none rows among them) exactly as a fit and a prediction. */
static void test_predict_fold_with_categories_equals_fit_and_predict(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static colour_data train_d, test_d;
    colour_make(&train_d, 150, 0);
    colour_make(&test_d, 50, 150);
    dial_fit_input train = colour_input(&train_d, 150, true),
                   test = colour_input(&test_d, 50, true);
    test.y = NULL;
    static const char *const settings[] = {"n_estimators=8", "max_depth=3", "subsample=0.8", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_gbdt, settings);
    void *fold = NULL;
    assert_dial_ok(ctx,
                   dial_model_gbdt.tuning->prepare_fold(ctx, &knobs, &knobs, &train, &test, &fold));
    double from_fold[50], proba_fold[100], direct[50], proba_direct[100];
    dial_predict_output out = {from_fold, proba_fold};
    assert_dial_ok(ctx, dial_model_gbdt.tuning->predict_fold(ctx, &knobs, fold, &out));
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_gbdt.fit(ctx, &knobs, &train, &learned));
    assert_non_null(dial_tensors_find(&learned, "category"));
    dial_predict_output direct_out = {direct, proba_direct};
    assert_dial_ok(ctx, dial_model_gbdt.predict(ctx, &knobs, &learned, &test, &direct_out));
    assert_memory_equal(from_fold, direct, sizeof direct);
    assert_memory_equal(proba_fold, proba_direct, sizeof proba_direct);
    /* a trial of the other knob 'categorical' is fitted in full */
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "categorical", "onehot"));
    assert_dial_error(ctx, dial_model_gbdt.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED,
                      "gbdt: the fold was prepared for another knob 'categorical'");
    dial_model_gbdt.tuning->free_fold(fold);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_a_native_gbdt_round_trips_and_predicts_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_gbdt, CREDIT, "Status",
                                      (const char *const[]){"n_estimators=20", NULL});
    assert_non_null(dial_tensors_find(dial_model_get_tensors(model), "category_bits"));
    unsigned char *bytes = NULL, *again = NULL;
    size_t length = 0, length_again = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "gbdt.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, loaded, &again, &length_again));
    assert_int_equal(length, length_again);
    assert_memory_equal(bytes, again, length);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, CREDIT, "Status", &table);
    dial_view all = dial_view_all(data);
    size_t n = all.n;
    double *value = malloc(n * sizeof *value), *value_loaded = malloc(n * sizeof *value);
    double *proba = malloc(2 * n * sizeof *proba), *proba_loaded = malloc(2 * n * sizeof *proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, proba));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, value_loaded, proba_loaded));
    assert_memory_equal(value, value_loaded, n * sizeof *value);
    assert_memory_equal(proba, proba_loaded, 2 * n * sizeof *proba);
    free(value);
    free(value_loaded);
    free(proba);
    free(proba_loaded);
    dial_dataset_free(data);
    dial_table_free(table);
    free(bytes);
    free(again);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_damaged_gbdt_bitset_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_gbdt, CREDIT, "Status",
                                      (const char *const[]){"n_estimators=5", NULL});
    dial_tensor *category = (dial_tensor *)dial_tensors_find(&model->tensors, "category");
    const dial_tensor *bits = dial_tensors_find(&model->tensors, "category_bits");
    const int64_t *feature = dial_tensors_find(&model->tensors, "feature")->data;
    const int64_t *blocks = dial_tensors_find(&model->tensors, "category_blocks")->data;
    const int64_t *offset = dial_tensors_find(&model->tensors, "tree_offset")->data;
    int64_t *at = category->data;
    size_t node = 0;
    while (at[node] < 0) node++;
    size_t tree = 0;
    while (offset[tree + 1] <= (int64_t)node) tree++;
    size_t b = 0;
    while (blocks[2 * b] != feature[node]) b++;
    at[node] = (int64_t)bits->shape[0];
    char expected[512];
    snprintf(expected, sizeof expected,
             "bad.dial: gbdt model: node %lld of tree %zu has its category bitset at word %zu, "
             "but a split on block %zu (%lld levels) needs 1 words and 'category_bits' has %zu; "
             "the file is damaged",
             (long long)(node - (size_t)offset[tree]), tree, bits->shape[0], b,
             (long long)blocks[2 * b + 1], bits->shape[0]);
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_error(ctx, dial_model_load_buffer(ctx, "bad.dial", bytes, length, &loaded),
                      DIAL_ERR_FORMAT, expected);
    assert_null(loaded);
    free(bytes);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stump_splits_the_levels_by_their_gradient),
        cmocka_unit_test(test_predict_fold_with_categories_equals_fit_and_predict),
        cmocka_unit_test(test_a_native_gbdt_round_trips_and_predicts_bit_for_bit),
        cmocka_unit_test(test_a_damaged_gbdt_bitset_is_refused_at_load_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
