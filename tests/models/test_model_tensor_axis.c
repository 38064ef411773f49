/* What a learned tensor's dimensions run over (dial_model_tensor_axis)
 * and the pipeline's own tensors (dial_pipeline_params): the models layer
 * answers from the parameter docs, so a program labels a tensor without
 * knowing its layout. */
#include "test_support.h"

#include <string.h>

static void the_pipeline_params_are_fill_center_and_scale(void **state) {
    (void)state;
    size_t n = 0;
    const dial_param_doc *params = dial_pipeline_params(&n);
    assert_int_equal(n, 3);
    assert_string_equal(params[0].name, "preprocess.fill");
    assert_string_equal(params[0].shape, "n_features");
    assert_string_equal(params[1].name, "preprocess.center");
    assert_string_equal(params[1].shape, "n_inputs");
    assert_string_equal(params[2].name, "preprocess.scale");
    assert_string_equal(params[2].shape, "n_inputs");
}

/* fill runs over raw features, center over inputs; the category tensors
 * of a two-class tree over positions, though their 2 columns match the 2
 * classes; value's columns over the classes. */
static void a_tree_on_categories_labels_only_what_runs_over_names(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("tree"), "data/credit_data.csv", "Status",
                      (const char *const[]){"max_depth=3", "scale=standard", NULL});
    assert_int_equal(dial_model_tensor_axis(model, "preprocess.fill", 0), DIAL_AXIS_FEATURES);
    assert_int_equal(dial_model_tensor_axis(model, "preprocess.center", 0), DIAL_AXIS_INPUTS);
    assert_int_equal(dial_model_tensor_axis(model, "importance", 0), DIAL_AXIS_INPUTS);
    assert_int_equal(dial_model_tensor_axis(model, "category_blocks", 0), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "category_blocks", 1), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "category_levels", 1), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "value", 0), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "value", 1), DIAL_AXIS_CLASSES);
    assert_int_equal(dial_model_tensor_axis(model, "value", 2), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "schema.target_column", 0), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(model, "no_such_tensor", 0), DIAL_AXIS_NONE);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A forest of 2 trees on iris has a tree_offset of 3 entries, as many as
 * the classes, and svm's 3 pairwise intercepts too: neither runs over the
 * classes. svm's n_support does. */
static void a_length_that_matches_the_classes_is_not_enough(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *forest = test_fit_file(ctx, dial_model_family_find("forest"), "data/iris.csv",
                                       "species", (const char *const[]){"n_estimators=2", NULL});
    assert_int_equal(dial_tensors_find(dial_model_get_tensors(forest), "tree_offset")->shape[0], 3);
    assert_int_equal(dial_model_tensor_axis(forest, "tree_offset", 0), DIAL_AXIS_NONE);
    dial_model *svm =
        test_fit_file(ctx, dial_model_family_find("svm"), "data/iris.csv", "species", NULL);
    assert_int_equal(dial_model_tensor_axis(svm, "intercept", 0), DIAL_AXIS_NONE);
    assert_int_equal(dial_model_tensor_axis(svm, "n_support", 0), DIAL_AXIS_CLASSES);
    assert_int_equal(dial_model_tensor_axis(svm, "support_vectors", 1), DIAL_AXIS_INPUTS);
    dial_model_free(forest);
    dial_model_free(svm);
    dial_ctx_free(ctx);
}

/* Two classes keep one score, the second class's: logistic's one coef row
 * and gbdt's one base score. */
static void a_two_class_score_is_the_second_class(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *logistic = test_fit_file(ctx, dial_model_family_find("logistic"),
                                         "data/breast_cancer.csv", "diagnosis", NULL);
    assert_int_equal(dial_model_tensor_axis(logistic, "coef", 0), DIAL_AXIS_SECOND_CLASS);
    assert_int_equal(dial_model_tensor_axis(logistic, "coef", 1), DIAL_AXIS_INPUTS);
    assert_int_equal(dial_model_tensor_axis(logistic, "intercept", 0), DIAL_AXIS_SECOND_CLASS);
    dial_model *gbdt = test_fit_file(ctx, dial_model_family_find("gbdt"), "data/credit_data.csv",
                                     "Status", (const char *const[]){"n_estimators=2", NULL});
    assert_int_equal(dial_model_tensor_axis(gbdt, "base_score", 0), DIAL_AXIS_SECOND_CLASS);
    assert_int_equal(dial_model_tensor_axis(gbdt, "importance_gain", 0), DIAL_AXIS_INPUTS);
    dial_model_free(logistic);
    dial_model_free(gbdt);
    dial_ctx_free(ctx);
}

/* A regression model has no classes, whatever the lengths. */
static void regression_has_no_class_axis(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("gbdt"), "data/diabetes.csv",
                                      "progression", (const char *const[]){"n_estimators=2", NULL});
    assert_int_equal(dial_model_tensor_axis(model, "base_score", 0), DIAL_AXIS_NONE);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_pipeline_params_are_fill_center_and_scale),
        cmocka_unit_test(a_tree_on_categories_labels_only_what_runs_over_names),
        cmocka_unit_test(a_length_that_matches_the_classes_is_not_enough),
        cmocka_unit_test(a_two_class_score_is_the_second_class),
        cmocka_unit_test(regression_has_no_class_axis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
