/* The trees of a fitted model in the family-neutral form (dial_tree,
 * dial_model_tree_count and dial_model_tree_get in dial/model.h): each
 * family with trees answers through its `trees` slot, and a program walks
 * the answer without knowing the family's tensors. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const dial_tensor *tensor(const dial_model *model, const char *name) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    assert_non_null(t);
    return t;
}

/* Every node a split (children inside the tree, after it) or a leaf. */
static void assert_well_formed(const dial_model *model, const dial_tree *tree) {
    assert_true(tree->n_nodes >= 1);
    for (size_t i = 0; i < tree->n_nodes; i++) {
        if (tree->left[i] < 0) {
            assert_int_equal(tree->input[i], -1);
            assert_int_equal(tree->right[i], -1);
            continue;
        }
        assert_true(tree->input[i] >= 0 && (size_t)tree->input[i] < dial_model_n_inputs(model));
        assert_true(tree->left[i] > (int64_t)i && (size_t)tree->left[i] < tree->n_nodes);
        assert_true(tree->right[i] > (int64_t)i && (size_t)tree->right[i] < tree->n_nodes);
    }
}

static void a_tree_model_has_one_tree_of_class_shares(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("tree"), "data/iris.csv",
                                      "species", (const char *const[]){"max_depth=2", NULL});
    size_t n = 0;
    assert_dial_ok(ctx, dial_model_tree_count(ctx, model, &n));
    assert_int_equal(n, 1);
    dial_tree tree;
    assert_dial_ok(ctx, dial_model_tree_get(ctx, model, 0, &tree));
    assert_well_formed(model, &tree);
    assert_false(tree.ensemble);
    assert_int_equal(tree.leaf, DIAL_TREE_LEAF_CLASS_SHARES);
    assert_int_equal(tree.n_values, 3);
    assert_int_equal(tree.n_nodes, dial_tensor_size(tensor(model, "feature")));
    assert_ptr_equal(tree.input, tensor(model, "feature")->data);
    assert_non_null(tree.n_samples);
    assert_int_equal(tree.n_samples[0], 150);
    assert_null(tree.default_left);
    assert_null(tree.category);
    /* the root splits setosa off on a petal measure: a pure leaf */
    size_t feature, level;
    assert_true(dial_model_input_feature(model, (size_t)tree.input[0], &feature, &level));
    assert_int_equal(level, SIZE_MAX);
    assert_string_equal(dial_model_feature_name(model, feature), "petal_width");
    const double *leaf = tree.value + (size_t)tree.left[0] * tree.n_values;
    assert_true(leaf[0] == 1.0 && leaf[1] == 0.0 && leaf[2] == 0.0);
    assert_int_equal(tree.n_samples[tree.left[0]], 50);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void a_forest_gives_each_of_its_trees(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("forest"), "data/diabetes.csv", "progression",
                      (const char *const[]){"n_estimators=3", "max_depth=3", NULL});
    size_t n = 0;
    assert_dial_ok(ctx, dial_model_tree_count(ctx, model, &n));
    assert_int_equal(n, 3);
    const int64_t *offset = tensor(model, "tree_offset")->data;
    for (size_t t = 0; t < n; t++) {
        dial_tree tree;
        assert_dial_ok(ctx, dial_model_tree_get(ctx, model, t, &tree));
        assert_well_formed(model, &tree);
        assert_true(tree.ensemble);
        assert_int_equal(tree.round, t);
        assert_int_equal(tree.leaf, DIAL_TREE_LEAF_PREDICTION);
        assert_int_equal(tree.n_values, 1);
        assert_int_equal(tree.n_nodes, (size_t)(offset[t + 1] - offset[t]));
        assert_ptr_equal(tree.threshold,
                         (const double *)tensor(model, "threshold")->data + offset[t]);
    }
    dial_tree tree;
    assert_dial_error(ctx, dial_model_tree_get(ctx, model, 3, &tree), DIAL_ERR_ARGUMENT,
                      "tree 3 is out of range: the forest model has 3 trees (0 to 2)");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Softmax: one tree per class a round, tree t adding to class t % 3 from
 * that class's base score. */
static void gbdt_multiclass_trees_add_to_one_class_score_each(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("gbdt"), "data/iris.csv", "species",
                      (const char *const[]){"n_estimators=2", "max_depth=1", NULL});
    size_t n = 0;
    assert_dial_ok(ctx, dial_model_tree_count(ctx, model, &n));
    assert_int_equal(n, 6);
    const double *base = tensor(model, "base_score")->data;
    for (size_t t = 0; t < n; t++) {
        dial_tree tree;
        assert_dial_ok(ctx, dial_model_tree_get(ctx, model, t, &tree));
        assert_well_formed(model, &tree);
        assert_int_equal(tree.n_nodes, 3);
        assert_int_equal(tree.leaf, DIAL_TREE_LEAF_SCORE);
        assert_true(tree.ensemble);
        assert_int_equal(tree.round, t / 3);
        assert_int_equal(tree.score_class, t % 3);
        assert_false(tree.log_odds);
        assert_true(tree.base_score == base[t % 3]);
        assert_null(tree.n_samples);
        assert_non_null(tree.default_left);
        assert_int_equal(tree.n_values, 1);
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Two classes: one score a round, the log-odds of class 1; a native split
 * on a category names its levels through the bitset. */
static void gbdt_binary_trees_add_to_the_log_odds_and_split_categories(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("gbdt"), "data/credit_data.csv", "Status",
                      (const char *const[]){"n_estimators=2", "max_depth=1", NULL});
    size_t n = 0;
    assert_dial_ok(ctx, dial_model_tree_count(ctx, model, &n));
    assert_int_equal(n, 2);
    dial_tree tree;
    assert_dial_ok(ctx, dial_model_tree_get(ctx, model, 0, &tree));
    assert_well_formed(model, &tree);
    assert_true(tree.log_odds);
    assert_int_equal(tree.score_class, 1);
    assert_string_equal(dial_model_class_name(model, 1), "good");
    assert_non_null(tree.category);
    assert_true(tree.category[0] >= 0);
    size_t feature, level;
    assert_true(dial_model_input_feature(model, (size_t)tree.input[0], &feature, &level));
    assert_string_equal(dial_model_feature_name(model, feature), "Records");
    assert_int_equal(level, 0); /* a category split sits on its block's first input */
    /* level "no" goes left, "yes" right */
    size_t no = 0, yes = 1;
    if (strcmp(dial_model_feature_level(model, feature, 0), "no") != 0) no = 1, yes = 0;
    uint64_t word = tree.category_bits[tree.category[0]];
    assert_true(word >> no & 1);
    assert_false(word >> yes & 1);
    assert_true(tree.value[tree.left[0]] > 0 && tree.value[tree.right[0]] < 0);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Regression: the base score plus one leaf of every tree, walked from the
 * neutral form alone, is the model's prediction. */
static void gbdt_regression_leaves_sum_to_the_prediction(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    dial_knobs knobs = test_knobs(ctx, dial_model_family_find("gbdt"),
                                  (const char *const[]){"n_estimators=5", "max_depth=2", NULL});
    dial_model *model = NULL;
    dial_view all = dial_view_all(data);
    assert_dial_ok(ctx, dial_model_fit(ctx, dial_model_family_find("gbdt"), &knobs, &all, &model));
    double predicted[3];
    dial_view first = {data, NULL, 3};
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &first, predicted, NULL));
    size_t n = 0;
    assert_dial_ok(ctx, dial_model_tree_count(ctx, model, &n));
    assert_int_equal(n, 5);
    for (size_t row = 0; row < 3; row++) {
        double sum = 0;
        for (size_t t = 0; t < n; t++) {
            dial_tree tree;
            assert_dial_ok(ctx, dial_model_tree_get(ctx, model, t, &tree));
            assert_int_equal(tree.score_class, 0);
            assert_false(tree.log_odds);
            if (t == 0) sum = tree.base_score;
            size_t node = 0;
            while (tree.left[node] >= 0) {
                double x = data->features[tree.input[node]]->values[row];
                node = (size_t)(x <= tree.threshold[node] ? tree.left[node] : tree.right[node]);
            }
            sum += tree.value[node];
        }
        assert_true(fabs(sum - predicted[row]) <= 1e-9 * fabs(predicted[row]));
    }
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void a_family_without_trees_says_which_have_them(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("knn"), "data/iris.csv", "species", NULL);
    size_t n = 7;
    assert_dial_error(ctx, dial_model_tree_count(ctx, model, &n), DIAL_ERR_UNSUPPORTED,
                      "model 'knn' has no trees; the families with trees are tree, forest, gbdt");
    assert_int_equal(n, 7);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Inputs map to features in order, a categorical feature one input per
 * level; past the inputs nothing is written. */
static void an_input_names_its_feature_and_level(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("tree"), "data/credit_data.csv",
                                      "Status", (const char *const[]){"max_depth=1", NULL});
    size_t input = 0;
    for (size_t j = 0; j < dial_model_n_features(model); j++) {
        bool categorical = dial_model_feature_type(model, j) == DIAL_COLUMN_CATEGORICAL;
        size_t width = categorical ? dial_model_feature_n_levels(model, j) : 1;
        for (size_t k = 0; k < width; k++, input++) {
            size_t feature = 99, level = 99;
            assert_true(dial_model_input_feature(model, input, &feature, &level));
            assert_int_equal(feature, j);
            assert_int_equal(level, categorical ? k : SIZE_MAX);
        }
    }
    assert_int_equal(input, dial_model_n_inputs(model));
    size_t feature = 99, level = 99;
    assert_false(dial_model_input_feature(model, input, &feature, &level));
    assert_int_equal(feature, 99);
    assert_int_equal(level, 99);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tree_model_has_one_tree_of_class_shares),
        cmocka_unit_test(a_forest_gives_each_of_its_trees),
        cmocka_unit_test(gbdt_multiclass_trees_add_to_one_class_score_each),
        cmocka_unit_test(gbdt_binary_trees_add_to_the_log_odds_and_split_categories),
        cmocka_unit_test(gbdt_regression_leaves_sum_to_the_prediction),
        cmocka_unit_test(a_family_without_trees_says_which_have_them),
        cmocka_unit_test(an_input_names_its_feature_and_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
