/* tree (CART): the split finder on data built for it, scikit-learn's trees
 * reproduced on data/ files, accuracy beside scikit-learn on the large
 * datasets, and node arrays checked as coming from a hostile file.
 * Reference figures come from tests/models/reference_trees.py (scikit-learn
 * 1.2); held-out figures use the rows whose index % 5 == 0 as the test set. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_internal.h"

extern const dial_model_family dial_model_tree;

/* ---- helpers -------------------------------------------------------------- */

static const dial_tensor *tensor(const dial_model *model, const char *name) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    assert_non_null(t);
    return t;
}

static size_t node_count(const dial_model *model) { return tensor(model, "feature")->shape[0]; }

/* The path of a file of the shared data folder beside the repository, or
 * NULL (after saying so) when it is not there: CI has it, a bare checkout
 * may not. */
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

/* Fits on the rows whose index % 5 != 0 and scores the others: accuracy,
 * or RMSE for regression. */
static double holdout_score(const char *path, const char *target, const char *const *settings,
                            uint64_t seed) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_seed(ctx, seed);
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
    dial_knobs knobs = test_knobs(ctx, &dial_model_tree, settings);
    dial_view train_view = {data, train, n_train}, test_view = {data, test, n_test};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_tree, &knobs, &train_view, &model));
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_view, y_pred, NULL));
    bool classification = data->task == DIAL_TASK_CLASSIFICATION;
    double score;
    assert_dial_ok(ctx, dial_metric_score(
                            ctx, classification ? DIAL_METRIC_ACCURACY : DIAL_METRIC_RMSE, y_true,
                            y_pred, NULL, n_test, classification ? data->n_classes : 0, &score));
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    free(y_true);
    free(y_pred);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return score;
}

/* The mean held-out score over seeds 1..5: scikit-learn breaks ties between
 * equal splits at random, so its figures are means over seeds too. */
static double mean_holdout_score(const char *path, const char *target,
                                 const char *const *settings) {
    double sum = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) sum += holdout_score(path, target, settings, seed);
    return sum / 5;
}

/* ---- the split finder ------------------------------------------------------ */

/* Feature 1 separates the classes (values 1..3 against 7..9); feature 0 is
 * noise that both classes share. */
static void test_a_stump_splits_on_the_separating_feature_at_the_midpoint(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    enum { N = 40 };
    double x[N * 2], y[N];
    for (size_t i = 0; i < N; i++) {
        y[i] = (double)(i % 2);
        x[i * 2] = (double)((i * 7) % 13);
        x[i * 2 + 1] = y[i] == 0 ? 1.0 + (double)(i % 3) : 7.0 + (double)(i % 3);
    }
    dial_fit_input in = {.x = x,
                         .n_rows = N,
                         .n_features = 2,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_tree, (const char *const[]){"max_depth=1", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_tree.fit(ctx, &knobs, &in, &learned));
    const int64_t *feature = dial_tensors_find(&learned, "feature")->data;
    const double *threshold = dial_tensors_find(&learned, "threshold")->data;
    const int64_t *left = dial_tensors_find(&learned, "left")->data;
    const int64_t *right = dial_tensors_find(&learned, "right")->data;
    const int64_t *n_samples = dial_tensors_find(&learned, "n_samples")->data;
    const double *value = dial_tensors_find(&learned, "value")->data;
    const double *importance = dial_tensors_find(&learned, "importance")->data;
    assert_int_equal(dial_tensors_find(&learned, "feature")->shape[0], 3);
    assert_int_equal(feature[0], 1);
    assert_true(threshold[0] == 5.0); /* between 3, the largest of class 0, and 7 */
    assert_int_equal(left[0], 1);
    assert_int_equal(right[0], 2);
    assert_int_equal(feature[1], -1);
    assert_int_equal(feature[2], -1);
    assert_int_equal(n_samples[1], N / 2);
    assert_int_equal(n_samples[2], N / 2);
    assert_true(value[2] == 1.0 && value[3] == 0.0); /* left: class 0 */
    assert_true(value[4] == 0.0 && value[5] == 1.0);
    assert_true(importance[0] == 0.0 && importance[1] == 1.0);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- scikit-learn's trees on data/ files -------------------------------------- */

static void test_breast_cancer_tree_has_scikit_learns_43_nodes_and_root(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis", NULL);
    assert_int_equal(node_count(model), 43);
    assert_int_equal(((const int64_t *)tensor(model, "feature")->data)[0], 20);
    /* scikit-learn's 16.795000076293945 is the midpoint of float32 values */
    assert_true(fabs(((const double *)tensor(model, "threshold")->data)[0] - 16.795) < 1e-6);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_entropy_tree_has_scikit_learns_39_nodes_and_root(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis",
                                      (const char *const[]){"criterion=entropy", NULL});
    assert_int_equal(node_count(model), 39);
    assert_int_equal(((const int64_t *)tensor(model, "feature")->data)[0], 22);
    assert_true(fabs(((const double *)tensor(model, "threshold")->data)[0] - 105.95) < 1e-6);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_cost_complexity_pruning_keeps_scikit_learns_nodes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis",
                                      (const char *const[]){"ccp_alpha=0.01", NULL});
    assert_int_equal(node_count(model), 11);
    dial_model_free(model);
    model = test_fit_file(ctx, &dial_model_tree, "data/diabetes.csv", "progression",
                          (const char *const[]){"ccp_alpha=50", NULL});
    assert_int_equal(node_count(model), 39);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A pruned tree is renumbered: children still follow their parents. */
static void test_a_pruned_tree_keeps_its_nodes_in_preorder(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/diabetes.csv", "progression",
                                      (const char *const[]){"ccp_alpha=50", NULL});
    const int64_t *left = tensor(model, "left")->data, *right = tensor(model, "right")->data;
    const int64_t *feature = tensor(model, "feature")->data;
    size_t n = node_count(model), leaves = 0;
    for (size_t i = 0; i < n; i++) {
        if (feature[i] < 0) {
            leaves++;
            assert_int_equal(left[i], -1);
            continue;
        }
        assert_int_equal(left[i], (int64_t)i + 1);
        assert_true(right[i] > left[i] && right[i] < (int64_t)n);
    }
    assert_int_equal(leaves, (n + 1) / 2);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_min_impurity_decrease_gives_scikit_learns_tree_and_importances(void **state) {
    (void)state;
    static const double expected[30] = {[1] = 0.03450931385700574,
                                        [7] = 0.035210218344562186,
                                        [20] = 0.7691879645847058,
                                        [21] = 0.04266467426665019,
                                        [27] = 0.11842782894707611};
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis",
                                      (const char *const[]){"min_impurity_decrease=0.01", NULL});
    assert_int_equal(node_count(model), 11);
    const double *importance = tensor(model, "importance")->data;
    for (size_t f = 0; f < 30; f++) assert_true(fabs(importance[f] - expected[f]) < 1e-12);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_min_samples_leaf_keeps_that_many_rows_in_every_leaf(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis",
                                      (const char *const[]){"min_samples_leaf=5", NULL});
    assert_int_equal(node_count(model), 29);
    const int64_t *feature = tensor(model, "feature")->data;
    const int64_t *n_samples = tensor(model, "n_samples")->data;
    for (size_t i = 0; i < node_count(model); i++)
        if (feature[i] < 0) assert_true(n_samples[i] >= 5);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Depth 3 has no tie between splits; below it, nodes of two rows tie, and
 * only the held-out figure is compared. */
static void test_a_shallow_regression_tree_matches_scikit_learn(void **state) {
    (void)state;
    static const double expected[10] = {
        0.02078003835653888,  0.0, 0.37584937246690475, 0.0, 0.0, 0.0,
        0.021069918051207757, 0.0, 0.5823006711253487,  0.0};
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/diabetes.csv", "progression",
                                      (const char *const[]){"max_depth=3", NULL});
    assert_int_equal(node_count(model), 15);
    const double *importance = tensor(model, "importance")->data;
    for (size_t f = 0; f < 10; f++) assert_true(fabs(importance[f] - expected[f]) < 1e-12);
    dial_model_free(model);
    model = test_fit_file(ctx, &dial_model_tree, "data/diabetes.csv", "progression",
                          (const char *const[]){"max_depth=4", NULL});
    assert_int_equal(node_count(model), 31);
    dial_model_free(model);
    double rmse = holdout_score("data/diabetes.csv", "progression",
                                (const char *const[]){"max_depth=4", NULL}, 1);
    assert_true(fabs(rmse - 64.655045) < 1e-4);
    dial_ctx_free(ctx);
}

/* absolute_error ties often, so the held-out figure is a mean over seeds. */
static void test_absolute_error_tree_matches_scikit_learn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char *const settings[] = {"criterion=absolute_error", "max_depth=4", NULL};
    dial_model *model =
        test_fit_file(ctx, &dial_model_tree, "data/diabetes.csv", "progression", settings);
    assert_int_equal(node_count(model), 31);
    /* the root predicts the median of the 442 targets: the mean of the
     * 221st and 222nd, 140 and 141 */
    assert_true(((const double *)tensor(model, "value")->data)[0] == 140.5);
    dial_model_free(model);
    double rmse = mean_holdout_score("data/diabetes.csv", "progression", settings);
    assert_true(fabs(rmse / 66.903768 - 1) < 0.02);
    dial_ctx_free(ctx);
}

static void test_balanced_class_weights_balance_the_root(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/breast_cancer.csv", "diagnosis",
                                      (const char *const[]){"class_weight=balanced", NULL});
    const double *value = tensor(model, "value")->data;
    assert_true(fabs(value[0] - 0.5) < 1e-12 && fabs(value[1] - 0.5) < 1e-12);
    assert_true(fabs(((const double *)tensor(model, "impurity")->data)[0] - 0.5) < 1e-12);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_importances_sum_to_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/wine.csv", "cultivar", NULL);
    const dial_tensor *t = tensor(model, "importance");
    assert_int_equal(t->shape[0], 13);
    double sum = 0;
    for (size_t f = 0; f < 13; f++) {
        assert_true(((const double *)t->data)[f] >= 0);
        sum += ((const double *)t->data)[f];
    }
    assert_true(fabs(sum - 1) < 1e-12);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* ---- accuracy beside scikit-learn on the large datasets ----------------------- */

static void test_letter_accuracy_is_within_half_a_point_of_scikit_learn(void **state) {
    (void)state;
    char path[256];
    if (!shared_file("letter.csv", path, sizeof path)) skip();
    double accuracy = mean_holdout_score(path, "lettr", NULL);
    print_message("letter: accuracy %.6f, scikit-learn 0.882975\n", accuracy);
    assert_true(fabs(accuracy - 0.882975) < 0.005);
}

static void test_satimage_accuracy_is_within_half_a_point_of_scikit_learn(void **state) {
    (void)state;
    char path[256];
    if (!shared_file("satimage.csv", path, sizeof path)) skip();
    double accuracy = mean_holdout_score(path, "classes", NULL);
    print_message("satimage: accuracy %.6f, scikit-learn 0.852137\n", accuracy);
    assert_true(fabs(accuracy - 0.852137) < 0.005);
}

/* diamonds has three categorical columns, one-hot encoded on both sides
 * (categorical=onehot: scikit-learn splits one level at a time). */
static void test_diamonds_rmse_is_within_2_percent_of_scikit_learn(void **state) {
    (void)state;
    char path[256];
    if (!shared_file("diamonds.csv", path, sizeof path)) skip();
    double rmse = mean_holdout_score(
        path, "price", (const char *const[]){"max_depth=10", "categorical=onehot", NULL});
    print_message("diamonds: RMSE %.6f, scikit-learn 756.173897\n", rmse);
    assert_true(fabs(rmse / 756.173897 - 1) < 0.02);
}

/* ---- reproducibility and model files -------------------------------------------- */

static void assert_same_tensors(const dial_tensors *a, const dial_tensors *b) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const dial_tensor *t = &a->items[i], *u = dial_tensors_find(b, t->name);
        assert_non_null(u);
        assert_int_equal(dial_tensor_size(t), dial_tensor_size(u));
        assert_memory_equal(t->data, u->data, dial_tensor_size(t) * dial_dtype_size(t->dtype));
    }
}

static void test_the_same_seed_gives_the_same_tree_with_random_features(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char *const settings[] = {"max_features=sqrt", NULL};
    dial_model *a = test_fit_file(ctx, &dial_model_tree, "data/digits.csv", "digit", settings);
    dial_ctx_set_threads(ctx, 2);
    dial_model *b = test_fit_file(ctx, &dial_model_tree, "data/digits.csv", "digit", settings);
    assert_same_tensors(dial_model_get_tensors(a), dial_model_get_tensors(b));
    dial_ctx_set_seed(ctx, 2);
    dial_model *c = test_fit_file(ctx, &dial_model_tree, "data/digits.csv", "digit", settings);
    const dial_tensor *ta = tensor(a, "feature"), *tc = tensor(c, "feature");
    assert_true(ta->shape[0] != tc->shape[0] ||
                memcmp(ta->data, tc->data, ta->shape[0] * sizeof(int64_t)) != 0);
    dial_model_free(a);
    dial_model_free(b);
    dial_model_free(c);
    dial_ctx_free(ctx);
}

/* credit_data has categorical columns and missing values: the whole
 * pipeline goes through the file. */
static void test_a_model_file_round_trips_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/credit_data.csv", "Status",
                                      (const char *const[]){"max_depth=6", NULL});
    unsigned char *bytes = NULL, *again = NULL;
    size_t length = 0, length_again = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "tree.dial", bytes, length, &loaded));
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

/* The loader's word on a model whose tensor `name` got entry `node` set to
 * value. */
static void assert_refused_at_load(dial_ctx *ctx, dial_model *model, const char *name, size_t node,
                                   int64_t value, const char *expected) {
    dial_tensor *t = (dial_tensor *)dial_tensors_find(&model->tensors, name);
    assert_non_null(t);
    ((int64_t *)t->data)[node] = value;
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_error(ctx, dial_model_load_buffer(ctx, "bad.dial", bytes, length, &loaded),
                      DIAL_ERR_FORMAT, expected);
    assert_null(loaded);
    free(bytes);
}

/* The first internal node after the root. */
static size_t an_internal_node(const dial_model *model) {
    const int64_t *feature = tensor(model, "feature")->data;
    for (size_t i = 1; i < node_count(model); i++)
        if (feature[i] >= 0) return i;
    fail_msg("the tree has one split");
    return 0;
}

static void test_a_child_index_outside_the_nodes_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/iris.csv", "species", NULL);
    size_t node = an_internal_node(model), n = node_count(model);
    char expected[256];
    snprintf(expected, sizeof expected,
             "bad.dial: tree node %zu has a child index 99 outside the %zu nodes", node, n);
    assert_refused_at_load(ctx, model, "left", node, 99, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_child_that_points_back_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/iris.csv", "species", NULL);
    size_t node = an_internal_node(model);
    char expected[256];
    snprintf(expected, sizeof expected,
             "bad.dial: tree node %zu has a child index 0 that does not come after it (a child "
             "must follow its parent)",
             node);
    assert_refused_at_load(ctx, model, "right", node, 0, expected);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_a_split_on_a_feature_the_model_lacks_is_refused_at_load_time(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, &dial_model_tree, "data/iris.csv", "species", NULL);
    assert_refused_at_load(ctx, model, "feature", 0, 4,
                           "bad.dial: tree node 0 splits on feature 4 but the model has 4 inputs");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* 17 nodes: 0..7 split, with children 2i + 1 and 2i + 2; 8..16 are leaves. */
static void crafted_tree(dial_ctx *ctx, dial_tensors *set) {
    enum { N = 17 };
    size_t shape[2] = {N, 2}, one[1] = {2};
    int64_t *feature, *left, *right, *n_samples;
    double *threshold, *value, *impurity, *importance;
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, set, "feature", DIAL_I64, 1, shape, (void **)&feature));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, set, "threshold", DIAL_F64, 1, shape, (void **)&threshold));
    assert_dial_ok(ctx, dial_tensors_add(ctx, set, "left", DIAL_I64, 1, shape, (void **)&left));
    assert_dial_ok(ctx, dial_tensors_add(ctx, set, "right", DIAL_I64, 1, shape, (void **)&right));
    assert_dial_ok(ctx, dial_tensors_add(ctx, set, "value", DIAL_F64, 2, shape, (void **)&value));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, set, "n_samples", DIAL_I64, 1, shape, (void **)&n_samples));
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, set, "impurity", DIAL_F64, 1, shape, (void **)&impurity));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, set, "importance", DIAL_F64, 1, one, (void **)&importance));
    for (size_t i = 0; i < N; i++) {
        bool split = i < 8;
        feature[i] = split ? (int64_t)(i % 2) : -1;
        left[i] = split ? (int64_t)(2 * i + 1) : -1;
        right[i] = split ? (int64_t)(2 * i + 2) : -1;
        threshold[i] = split ? (double)i : 0;
        value[2 * i] = (double)(i % 2);
        value[2 * i + 1] = 1 - (double)(i % 2);
        n_samples[i] = 1;
    }
}

static void test_predict_refuses_crafted_nodes_with_words(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_tree, NULL);
    double x[2] = {3, 4}, value[1], proba[2];
    dial_fit_input in = {
        .x = x, .n_rows = 1, .n_features = 2, .task = DIAL_TASK_CLASSIFICATION, .n_classes = 2};
    dial_predict_output out = {value, proba};
    dial_tensors set = {0};
    crafted_tree(ctx, &set);
    assert_dial_ok(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out));
    /* 3 <= 0? no: right to 2; 3 <= 2? no: 6; 3 <= 6: left to 13, a leaf of class 0 */
    assert_true(value[0] == 0.0 && proba[0] == 1.0 && proba[1] == 0.0);

    int64_t *left = dial_tensors_find(&set, "left")->data;
    left[5] = 99;
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 5 has a child index 99 outside the 17 nodes");
    left[5] = 12; /* node 12 is node 5's right child too */
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 5 has a child index 12 that is already a child of node 5 (a "
                      "node has one parent)");
    left[5] = 3; /* node 3 is node 1's */
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 5 has a child index 3 that does not come after it (a child "
                      "must follow its parent)");
    left[5] = -1;
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 5 has one child (left -1, right 12): a node has two or none");
    left[5] = 11;
    double *probabilities = dial_tensors_find(&set, "value")->data;
    probabilities[2 * 13] = 1.5;
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 13 gives class 0 the probability 1.5, outside [0, 1]");
    dial_tensors_clear(&set);

    crafted_tree(ctx, &set);
    ((double *)dial_tensors_find(&set, "threshold")->data)[2] = NAN;
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree node 2 has a threshold that is not a number");
    dial_tensors_clear(&set);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_predict_refuses_missing_or_misshapen_tensors(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_tree, NULL);
    double x[2] = {3, 4}, value[1];
    dial_fit_input in = {.x = x, .n_rows = 1, .n_features = 2, .task = DIAL_TASK_REGRESSION};
    dial_predict_output out = {value, NULL};
    dial_tensors set = {0};
    crafted_tree(ctx, &set);
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree model tensor 'value' must be float64 of shape [17 x 1], one row per "
                      "node");
    dial_tensors_clear(&set);
    assert_dial_error(ctx, dial_model_tree.predict(ctx, &knobs, &set, &in, &out), DIAL_ERR_FORMAT,
                      "tree model has no tensor 'feature'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- knobs checked at fit time ------------------------------------------------- */

static void test_the_criterion_must_fit_the_task(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_tree, (const char *const[]){"criterion=gini", NULL});
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_tree, &knobs, &all, &model),
                      DIAL_ERR_KNOB,
                      "tree: criterion 'gini' is for classification; for regression use "
                      "squared_error or absolute_error (or auto)");
    dial_knobs_free(&knobs);
    knobs = test_knobs(ctx, &dial_model_tree, (const char *const[]){"class_weight=balanced", NULL});
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_tree, &knobs, &all, &model),
                      DIAL_ERR_KNOB,
                      "tree: class_weight=balanced applies to classification only; use "
                      "class_weight=none for regression");
    dial_knobs_free(&knobs);
    knobs = test_knobs(ctx, &dial_model_tree,
                       (const char *const[]){"max_features=count", "max_features_count=11", NULL});
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_tree, &knobs, &all, &model),
                      DIAL_ERR_KNOB,
                      "tree: knob 'max_features_count' = 11 is more than the 10 inputs; use at "
                      "most 10 or max_features=all");
    dial_knobs_free(&knobs);
    assert_null(model);
    dial_dataset_free(data);
    dial_table_free(table);

    data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    all = dial_view_all(data);
    knobs =
        test_knobs(ctx, &dial_model_tree, (const char *const[]){"criterion=absolute_error", NULL});
    assert_dial_error(ctx, dial_model_fit(ctx, &dial_model_tree, &knobs, &all, &model),
                      DIAL_ERR_KNOB,
                      "tree: criterion 'absolute_error' is for regression; for classification "
                      "use gini or entropy (or auto)");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_a_missing_value_without_imputation_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[4] = {1, NAN, 2, 3}, y[2] = {0, 1};
    dial_fit_input in = {.x = x,
                         .n_rows = 2,
                         .n_features = 2,
                         .y = y,
                         .task = DIAL_TASK_CLASSIFICATION,
                         .n_classes = 2};
    dial_knobs knobs = test_knobs(ctx, &dial_model_tree, NULL);
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_tree.fit(ctx, &knobs, &in, &learned), DIAL_ERR_DATA,
                      "tree: feature 1 of row 0 is nan; impute missing values first");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stump_splits_on_the_separating_feature_at_the_midpoint),
        cmocka_unit_test(test_breast_cancer_tree_has_scikit_learns_43_nodes_and_root),
        cmocka_unit_test(test_entropy_tree_has_scikit_learns_39_nodes_and_root),
        cmocka_unit_test(test_cost_complexity_pruning_keeps_scikit_learns_nodes),
        cmocka_unit_test(test_a_pruned_tree_keeps_its_nodes_in_preorder),
        cmocka_unit_test(test_min_impurity_decrease_gives_scikit_learns_tree_and_importances),
        cmocka_unit_test(test_min_samples_leaf_keeps_that_many_rows_in_every_leaf),
        cmocka_unit_test(test_a_shallow_regression_tree_matches_scikit_learn),
        cmocka_unit_test(test_absolute_error_tree_matches_scikit_learn),
        cmocka_unit_test(test_balanced_class_weights_balance_the_root),
        cmocka_unit_test(test_importances_sum_to_one),
        cmocka_unit_test(test_letter_accuracy_is_within_half_a_point_of_scikit_learn),
        cmocka_unit_test(test_satimage_accuracy_is_within_half_a_point_of_scikit_learn),
        cmocka_unit_test(test_diamonds_rmse_is_within_2_percent_of_scikit_learn),
        cmocka_unit_test(test_the_same_seed_gives_the_same_tree_with_random_features),
        cmocka_unit_test(test_a_model_file_round_trips_bit_for_bit),
        cmocka_unit_test(test_a_child_index_outside_the_nodes_is_refused_at_load_time),
        cmocka_unit_test(test_a_child_that_points_back_is_refused_at_load_time),
        cmocka_unit_test(test_a_split_on_a_feature_the_model_lacks_is_refused_at_load_time),
        cmocka_unit_test(test_predict_refuses_crafted_nodes_with_words),
        cmocka_unit_test(test_predict_refuses_missing_or_misshapen_tensors),
        cmocka_unit_test(test_the_criterion_must_fit_the_task),
        cmocka_unit_test(test_a_missing_value_without_imputation_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
