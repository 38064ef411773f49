/* forest: the same forest whatever the threads, accuracy and out-of-bag
 * score beside scikit-learn's RandomForestClassifier, bootstrap knobs, and
 * trees checked as coming from a hostile file. Reference figures come from
 * tests/models/reference_trees.py (scikit-learn 1.2); held-out figures use
 * the rows whose index % 5 == 0 as the test set, and are means over seeds
 * on both sides (one forest's accuracy varies with its seed by about a
 * point on these test sets). */
#include "test_support.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_internal.h"

extern const dial_model_family dial_model_forest;

/* ---- helpers -------------------------------------------------------------- */

static const dial_tensor *tensor(const dial_model *model, const char *name) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    assert_non_null(t);
    return t;
}

static const char *shared_file(const char *name, char *buf, size_t size) {
    snprintf(buf, size, "../shared/data/%s", name);
    FILE *f = fopen(buf, "rb");
    if (f) {
        fclose(f);
        return buf;
    }
    print_message("skipped: %s is not there (the shared data folder beside the repository)\n", buf);
    return NULL;
}

/* Fits on the rows whose index % 5 != 0 and scores the others (accuracy,
 * or RMSE for regression); the predictions go to *predictions when asked
 * (malloc'ed). */
static double holdout_score(const char *path, const char *target, const char *const *settings,
                            uint64_t seed, int threads, double **predictions) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_seed(ctx, seed);
    dial_ctx_set_threads(ctx, threads);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    size_t n = data->n_rows, n_test = 0, n_train = 0;
    size_t *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    double *y_true = malloc(n * sizeof *y_true), *y_pred = malloc(n * sizeof *y_pred);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0) {
            y_true[n_test] = data->y[i];
            test[n_test++] = i;
        } else {
            train[n_train++] = i;
        }
    }
    dial_knobs knobs = test_knobs(ctx, &dial_model_forest, settings);
    dial_view train_view = {data, train, n_train}, test_view = {data, test, n_test};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_forest, &knobs, &train_view, &model));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_view, y_pred, NULL));
    bool classification = data->task == DIAL_TASK_CLASSIFICATION;
    double score;
    assert_dial_ok(ctx, dial_metric_score(
                            ctx, classification ? DIAL_METRIC_ACCURACY : DIAL_METRIC_RMSE, y_true,
                            y_pred, NULL, n_test, classification ? data->n_classes : 0, &score));
    if (predictions)
        *predictions = y_pred;
    else
        free(y_pred);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    free(y_true);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return score;
}

static double mean_holdout_score(const char *path, const char *target, const char *const *settings,
                                 uint64_t seeds) {
    double sum = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++)
        sum += holdout_score(path, target, settings, seed, 2, NULL);
    return sum / (double)seeds;
}

static void assert_same_tensors(const dial_tensors *a, const dial_tensors *b) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const dial_tensor *t = &a->items[i], *u = dial_tensors_find(b, t->name);
        assert_non_null(u);
        assert_int_equal(dial_tensor_size(t), dial_tensor_size(u));
        assert_memory_equal(t->data, u->data, dial_tensor_size(t) * dial_dtype_size(t->dtype));
    }
}

/* ---- the same seed, the same forest ----------------------------------------- */

static void test_the_same_seed_gives_the_same_forest_with_1_2_or_3_threads(void **state) {
    (void)state;
    static const char *const settings[] = {"n_estimators=20", NULL};
    dial_ctx *ctx = test_ctx();
    dial_model *one = test_fit_file(ctx, &dial_model_forest, "data/digits.csv", "digit", settings);
    dial_ctx_set_threads(ctx, 2);
    dial_model *two = test_fit_file(ctx, &dial_model_forest, "data/digits.csv", "digit", settings);
    dial_ctx_set_threads(ctx, 3);
    dial_model *three =
        test_fit_file(ctx, &dial_model_forest, "data/digits.csv", "digit", settings);
    assert_same_tensors(dial_model_get_tensors(one), dial_model_get_tensors(two));
    assert_same_tensors(dial_model_get_tensors(one), dial_model_get_tensors(three));
    dial_model_free(one);
    dial_model_free(two);
    dial_model_free(three);
    dial_ctx_free(ctx);

    double *a, *b;
    double score_a = holdout_score("data/diabetes.csv", "progression", settings, 7, 1, &a);
    double score_b = holdout_score("data/diabetes.csv", "progression", settings, 7, 2, &b);
    assert_memory_equal(&score_a, &score_b, sizeof score_a);
    assert_memory_equal(a, b, 89 * sizeof *a);
    free(a);
    free(b);
}

static void test_another_seed_gives_another_forest(void **state) {
    (void)state;
    static const char *const settings[] = {"n_estimators=5", NULL};
    dial_ctx *ctx = test_ctx();
    dial_model *a = test_fit_file(ctx, &dial_model_forest, "data/wine.csv", "cultivar", settings);
    dial_ctx_set_seed(ctx, 2);
    dial_model *b = test_fit_file(ctx, &dial_model_forest, "data/wine.csv", "cultivar", settings);
    const dial_tensor *ta = tensor(a, "n_samples"), *tb = tensor(b, "n_samples");
    assert_true(ta->shape[0] != tb->shape[0] ||
                memcmp(ta->data, tb->data, ta->shape[0] * sizeof(int64_t)) != 0);
    dial_model_free(a);
    dial_model_free(b);
    dial_ctx_free(ctx);
}

/* ---- accuracy beside scikit-learn ------------------------------------------------ */

static void test_digits_accuracy_with_30_trees_matches_scikit_learn(void **state) {
    (void)state;
    double accuracy = mean_holdout_score("data/digits.csv", "digit",
                                         (const char *const[]){"n_estimators=30", NULL}, 3);
    print_message("digits: accuracy %.6f, scikit-learn 0.964722\n", accuracy);
    assert_true(fabs(accuracy - 0.964722) < 0.01);
}

static void test_diabetes_rmse_with_100_trees_is_within_2_percent_of_scikit_learn(void **state) {
    (void)state;
    double rmse = mean_holdout_score("data/diabetes.csv", "progression", NULL, 3);
    print_message("diabetes: RMSE %.6f, scikit-learn 56.947390\n", rmse);
    assert_true(fabs(rmse / 56.947390 - 1) < 0.02);
}

static void
test_letter_accuracy_with_30_trees_is_within_half_a_point_of_scikit_learn(void **state) {
    (void)state;
    char path[256];
    if (!shared_file("letter.csv", path, sizeof path)) skip();
    double accuracy =
        mean_holdout_score(path, "lettr", (const char *const[]){"n_estimators=30", NULL}, 3);
    print_message("letter: accuracy %.6f, scikit-learn 0.959300\n", accuracy);
    assert_true(fabs(accuracy - 0.959300) < 0.005);
}

static void
test_satimage_accuracy_with_30_trees_is_within_half_a_point_of_scikit_learn(void **state) {
    (void)state;
    char path[256];
    if (!shared_file("satimage.csv", path, sizeof path)) skip();
    double accuracy =
        mean_holdout_score(path, "classes", (const char *const[]){"n_estimators=30", NULL}, 3);
    print_message("satimage: accuracy %.6f, scikit-learn 0.917483\n", accuracy);
    assert_true(fabs(accuracy - 0.917483) < 0.005);
}

/* ---- bootstrap and the out-of-bag score ----------------------------------------- */

static void test_the_out_of_bag_score_matches_scikit_learns(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double sum = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        dial_ctx_set_seed(ctx, seed);
        dial_ctx_set_threads(ctx, 2);
        /* scikit-learn's figure is on the training rows of the fixed split */
        dial_table *table = NULL;
        dial_dataset *data = test_load_dataset(ctx, "data/digits.csv", "digit", &table);
        size_t *train = malloc(data->n_rows * sizeof *train), n_train = 0;
        for (size_t i = 0; i < data->n_rows; i++)
            if (i % 5 != 0) train[n_train++] = i;
        dial_view view = {data, train, n_train};
        dial_knobs knobs = test_knobs(ctx, &dial_model_forest, NULL);
        dial_model *model = NULL;
        assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_forest, &knobs, &view, &model));
        const dial_tensor *oob = tensor(model, "oob_score");
        assert_int_equal(oob->shape[0], 1);
        sum += ((const double *)oob->data)[0];
        dial_model_free(model);
        dial_knobs_free(&knobs);
        free(train);
        dial_dataset_free(data);
        dial_table_free(table);
    }
    print_message("digits: out-of-bag score %.6f, scikit-learn 0.968453\n", sum / 3);
    assert_true(fabs(sum / 3 - 0.968453) < 0.01);
    dial_ctx_free(ctx);
}

/* Without bootstrap every tree grows on every row, and there is no
 * out-of-bag row to score. */
static void test_without_bootstrap_every_tree_sees_every_row(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, &dial_model_forest, "data/iris.csv", "species",
                      (const char *const[]){"n_estimators=4", "bootstrap=false", NULL});
    assert_null(dial_tensors_find(dial_model_get_tensors(model), "oob_score"));
    const int64_t *offset = tensor(model, "tree_offset")->data;
    const int64_t *n_samples = tensor(model, "n_samples")->data;
    assert_int_equal(tensor(model, "tree_offset")->shape[0], 5);
    for (size_t t = 0; t < 4; t++) assert_int_equal(n_samples[offset[t]], 150);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* The grown trees are held with their pure leaves as a class alone until
 * the tensors are written (cart.h): the tensors still hold every leaf as
 * -1 with its whole value row, the pure one (class 0, the first column)
 * as its 1 and 0s and the impure one as its class shares, in each tree. */
static void test_pure_and_impure_leaves_are_written_out_whole_in_every_tree(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[6] = {0, 0, 0, 1, 1, 1}, y[6] = {1, 1, 2, 0, 0, 0};
    dial_fit_input in = {.x = x,
                         .n_rows = 6,
                         .n_features = 1,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 3};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_forest,
                   (const char *const[]){"n_estimators=3", "bootstrap=false", "max_depth=1", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_forest.fit(ctx, &knobs, &in, &learned));
    assert_int_equal(dial_tensors_find(&learned, "feature")->shape[0], 9);
    const int64_t *feature = dial_tensors_find(&learned, "feature")->data;
    const int64_t *left = dial_tensors_find(&learned, "left")->data;
    const double *value = dial_tensors_find(&learned, "value")->data;
    const double shares[3][3] = {{3.0 / 6.0, 2.0 / 6.0, 1.0 / 6.0}, /* the root */
                                 {0.0, 2.0 / 3.0, 1.0 / 3.0},       /* x = 0: classes 1, 1, 2 */
                                 {1.0, 0.0, 0.0}};                  /* x = 1: class 0 alone */
    for (size_t t = 0; t < 3; t++) {
        const int64_t *f = feature + 3 * t;
        assert_int_equal(f[0], 0);
        assert_int_equal(left[3 * t], 1);
        assert_int_equal(f[1], -1);
        assert_int_equal(f[2], -1);
        for (size_t node = 0; node < 3; node++)
            for (size_t c = 0; c < 3; c++) {
                double v = value[(3 * t + node) * 3 + c];
                assert_true(v == shares[node][c] && !signbit(v));
            }
    }
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* A bootstrap of 75 draws among 150 rows holds at most 75 distinct rows. */
static void test_max_samples_shrinks_each_bootstrap(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, &dial_model_forest, "data/iris.csv", "species",
                      (const char *const[]){"n_estimators=10", "max_samples=0.5", NULL});
    const int64_t *offset = tensor(model, "tree_offset")->data;
    const int64_t *n_samples = tensor(model, "n_samples")->data;
    for (size_t t = 0; t < 10; t++) {
        assert_true(n_samples[offset[t]] <= 75);
        assert_true(n_samples[offset[t]] >= 40); /* 75 (1 - e^-0.5) is 59 on average */
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_importances_are_averaged_over_the_trees_and_sum_to_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, "data/breast_cancer.csv",
                                      "diagnosis", (const char *const[]){"n_estimators=10", NULL});
    const dial_tensor *t = tensor(model, "importance");
    assert_int_equal(t->shape[0], 30);
    double sum = 0;
    size_t used = 0;
    for (size_t f = 0; f < 30; f++) {
        sum += ((const double *)t->data)[f];
        used += ((const double *)t->data)[f] > 0;
    }
    assert_true(fabs(sum - 1) < 1e-12);
    assert_true(used > 10); /* random features spread the importance */
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_mtry_knobs_are_checked_against_the_inputs(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_forest,
                   (const char *const[]){"max_features=count", "max_features_count=5", NULL});
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_forest, &knobs, &all, &model),
                      DIAL_ERR_KNOB,
                      "forest: knob 'max_features_count' = 5 is more than the 4 inputs; use at "
                      "most 4 or max_features=all");
    assert_null(model);
    dial_knobs_free(&knobs);
    static const char *const rules[][3] = {
        {"max_features=sqrt", NULL, NULL},
        {"max_features=log2", NULL, NULL},
        {"max_features=all", NULL, NULL},
        {"max_features=fraction", "max_features_fraction=0.3", NULL},
        {"max_features=count", "max_features_count=4", NULL}};
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        const char *settings[4] = {"n_estimators=3", rules[r][0], rules[r][1], NULL};
        knobs = test_knobs(ctx, &dial_model_forest, settings);
        assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_forest, &knobs, &all, &model));
        dial_model_free(model);
        model = NULL;
        dial_knobs_free(&knobs);
    }
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- model files -------------------------------------------------------------------- */

static void test_a_model_file_round_trips_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, "data/credit_data.csv", "Status",
                                      (const char *const[]){"n_estimators=8", "max_depth=8", NULL});
    unsigned char *bytes = NULL, *again = NULL;
    size_t length = 0, length_again = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "forest.dial", bytes, length, &loaded));
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, loaded, &again, &length_again));
    assert_int_equal(length, length_again);
    assert_memory_equal(bytes, again, length);
    assert_same_tensors(dial_model_get_tensors(model), dial_model_get_tensors(loaded));
    free(bytes);
    free(again);
    dial_model_free(model);
    dial_model_free(loaded);
    dial_ctx_free(ctx);
}

static void assert_refused_at_load(dial_ctx *ctx, dial_model *model, const char *expected) {
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_error(ctx, dial_model_load_buffer(ctx, "bad.dial", bytes, length, &loaded),
                      DIAL_ERR_FORMAT, expected);
    assert_null(loaded);
    free(bytes);
}

/* A child index that would be a node of the next tree is outside its own. */
static void test_a_child_outside_its_own_tree_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, "data/iris.csv", "species",
                                      (const char *const[]){"n_estimators=3", NULL});
    const int64_t *offset = tensor(model, "tree_offset")->data;
    int64_t *left = (int64_t *)((dial_tensor *)dial_tensors_find(&model->tensors, "left"))->data;
    size_t size = (size_t)(offset[2] - offset[1]);
    left[offset[1]] = (int64_t)size; /* the root of tree 1 */
    char expected[256];
    snprintf(expected, sizeof expected,
             "bad.dial: forest tree 1 node 0 has a child index %zu outside the %zu nodes of its "
             "tree",
             size, size);
    assert_refused_at_load(ctx, model, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_tree_offsets_that_do_not_rise_are_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_forest, "data/iris.csv", "species",
                                      (const char *const[]){"n_estimators=3", NULL});
    int64_t *offset =
        (int64_t *)((dial_tensor *)dial_tensors_find(&model->tensors, "tree_offset"))->data;
    offset[2] = offset[1];
    char expected[256];
    snprintf(expected, sizeof expected,
             "bad.dial: forest model tensor 'tree_offset' must rise by at least one node per "
             "tree; entry 2 is %" PRId64 " after %" PRId64,
             offset[1], offset[1]);
    assert_refused_at_load(ctx, model, expected);
    offset[2] = offset[3] + 5;
    int64_t last = offset[3];
    snprintf(expected, sizeof expected,
             "bad.dial: forest model tensor 'tree_offset' must rise by at least one node per "
             "tree; entry 3 is %" PRId64 " after %" PRId64,
             last, last + 5);
    assert_refused_at_load(ctx, model, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_same_seed_gives_the_same_forest_with_1_2_or_3_threads),
        cmocka_unit_test(test_another_seed_gives_another_forest),
        cmocka_unit_test(test_digits_accuracy_with_30_trees_matches_scikit_learn),
        cmocka_unit_test(test_diabetes_rmse_with_100_trees_is_within_2_percent_of_scikit_learn),
        cmocka_unit_test(test_letter_accuracy_with_30_trees_is_within_half_a_point_of_scikit_learn),
        cmocka_unit_test(
            test_satimage_accuracy_with_30_trees_is_within_half_a_point_of_scikit_learn),
        cmocka_unit_test(test_the_out_of_bag_score_matches_scikit_learns),
        cmocka_unit_test(test_without_bootstrap_every_tree_sees_every_row),
        cmocka_unit_test(test_pure_and_impure_leaves_are_written_out_whole_in_every_tree),
        cmocka_unit_test(test_max_samples_shrinks_each_bootstrap),
        cmocka_unit_test(test_importances_are_averaged_over_the_trees_and_sum_to_one),
        cmocka_unit_test(test_mtry_knobs_are_checked_against_the_inputs),
        cmocka_unit_test(test_a_model_file_round_trips_bit_for_bit),
        cmocka_unit_test(test_a_child_outside_its_own_tree_is_refused_at_load_time),
        cmocka_unit_test(test_tree_offsets_that_do_not_rise_are_refused_at_load_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
