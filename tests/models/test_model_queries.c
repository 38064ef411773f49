/* What a fitted model tells about itself from its learned tensors
 * (dial_model_target_column, dial_model_feature_importance,
 * dial_model_tensor_doc in dial/model.h): the CLI asks these instead of
 * reading tensor names. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A headerless CSV (its columns are then named V1, V2, V3) whose second
 * column is a continuous target. */
static const char headerless[] = "1.0,2.5,0.5\n"
                                 "2.0,4.1,1.5\n"
                                 "3.0,6.2,0.0\n"
                                 "4.0,8.4,2.5\n"
                                 "5.0,9.9,1.0\n"
                                 "6.0,12.5,3.0\n";

static dial_model *fit_headerless(dial_ctx *ctx) {
    char *path = test_write_temp(headerless, sizeof headerless - 1, ".csv");
    dial_model *model = test_fit_file(ctx, dial_model_family_find("linear"), path, "V2", NULL);
    remove(path);
    free(path);
    return model;
}

/* What a model file from before the record looks like: the tensor that
 * records the target's column is not there (renamed away in place). */
static void forget_target_column(dial_model *model) {
    dial_tensor *t =
        (dial_tensor *)dial_tensors_find(dial_model_get_tensors(model), "schema.target_column");
    assert_non_null(t);
    strcpy(t->name, "schema.forgotten");
}

static void target_column_is_where_the_target_was_in_training(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_model *first = test_fit_file(ctx, logistic, "data/credit_data.csv", "Status", NULL);
    assert_int_equal(dial_model_target_column(first), 0);
    dial_model *last = test_fit_file(ctx, logistic, "data/iris.csv", "species", NULL);
    assert_int_equal(dial_model_target_column(last), 4);
    dial_model *middle = fit_headerless(ctx);
    assert_string_equal(dial_model_target_name(middle), "V2");
    assert_int_equal(dial_model_target_column(middle), 1);
    dial_model_free(first);
    dial_model_free(last);
    dial_model_free(middle);
    dial_ctx_free(ctx);
}

/* Without the record, a target named V<k> was column k of a headerless
 * file, and any other name is taken to have been the last column. */
static void target_column_without_the_record_reads_the_name_or_takes_the_last(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *middle = fit_headerless(ctx);
    forget_target_column(middle);
    assert_int_equal(dial_model_target_column(middle), 1);
    dial_model *first = test_fit_file(ctx, dial_model_family_find("logistic"),
                                      "data/credit_data.csv", "Status", NULL);
    forget_target_column(first);
    assert_int_equal(dial_model_target_column(first), dial_model_n_features(first));
    dial_model_free(middle);
    dial_model_free(first);
    dial_ctx_free(ctx);
}

static const dial_tensor *tensor(const dial_model *model, const char *name) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    assert_non_null(t);
    return t;
}

static void tree_importance_is_its_impurity_tensor_per_feature(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("tree"), "data/iris.csv", "species", NULL);
    assert_true(dial_model_has_feature_importance(model));
    double out[4];
    assert_dial_ok(ctx, dial_model_feature_importance(ctx, model, out));
    const double *learned = tensor(model, "importance")->data;
    double sum = 0;
    for (size_t j = 0; j < 4; j++) {
        assert_true(out[j] == learned[j]);
        sum += out[j];
    }
    assert_true(fabs(sum - 1) < 1e-12);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void gbdt_importance_is_its_gain_tensor_per_feature(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("gbdt"), "data/iris.csv",
                                      "species", (const char *const[]){"n_estimators=5", NULL});
    double out[4];
    assert_dial_ok(ctx, dial_model_feature_importance(ctx, model, out));
    const double *learned = tensor(model, "importance_gain")->data;
    for (size_t j = 0; j < 4; j++) assert_true(out[j] == learned[j]);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A categorical feature is one input per level; its importance is theirs
 * summed, so the features' importances still sum to 1. */
static void a_categorical_feature_sums_its_levels(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("forest"), "data/credit_data.csv",
                                      "Status", (const char *const[]){"n_estimators=5", NULL});
    size_t n = dial_model_n_features(model);
    assert_true(dial_model_n_inputs(model) > n);
    double *out = calloc(n, sizeof *out);
    assert_dial_ok(ctx, dial_model_feature_importance(ctx, model, out));
    const double *learned = tensor(model, "importance")->data;
    size_t input = 0, categorical = 0;
    double total = 0;
    for (size_t j = 0; j < n; j++) {
        size_t width = 1;
        if (dial_model_feature_type(model, j) == DIAL_COLUMN_CATEGORICAL) {
            width = dial_model_feature_n_levels(model, j);
            categorical++;
        }
        double sum = 0;
        for (size_t k = 0; k < width; k++) sum += learned[input + k];
        assert_true(out[j] == sum);
        total += out[j];
        input += width;
    }
    assert_int_equal(input, dial_model_n_inputs(model));
    assert_true(categorical >= 4);
    assert_true(fabs(total - 1) < 1e-9);
    free(out);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void a_model_without_importance_says_so(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("logistic"), "data/iris.csv", "species", NULL);
    assert_false(dial_model_has_feature_importance(model));
    double out[4] = {-1, -1, -1, -1};
    assert_dial_error(ctx, dial_model_feature_importance(ctx, model, out), DIAL_ERR_UNSUPPORTED,
                      "model 'logistic' learns no feature importance; permutation importance "
                      "(dial_importance_permutation) measures one for any model");
    for (size_t j = 0; j < 4; j++) assert_true(out[j] == -1);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A tensor that does not have one value per input is refused, and out is
 * left as it was. */
static void an_importance_of_the_wrong_length_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("tree"), "data/iris.csv", "species", NULL);
    dial_tensor *t = (dial_tensor *)tensor(model, "importance");
    t->shape[0] = 3;
    double out[4] = {-1, -1, -1, -1};
    assert_dial_error(ctx, dial_model_feature_importance(ctx, model, out), DIAL_ERR_FORMAT,
                      "model 'tree': tensor 'importance' holds 3 values, not one per input (4)");
    for (size_t j = 0; j < 4; j++) assert_true(out[j] == -1);
    t->shape[0] = 4;
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* The pipeline's tensors are told in terms of the knobs that made them;
 * the family's come from its parameter docs. */
static void a_tensor_doc_tells_what_the_tensor_means(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = test_fit_file(ctx, dial_model_family_find("logistic"), "data/iris.csv",
                                      "species", (const char *const[]){"scale=minmax", NULL});
    char doc[256];
    dial_model_tensor_doc(model, "preprocess.center", doc, sizeof doc);
    assert_string_equal(doc, "the minimum the scaler learned, subtracted from each input: "
                             "x' = (x - center) / scale (scale=minmax)");
    dial_model_tensor_doc(model, "preprocess.scale", doc, sizeof doc);
    assert_string_equal(doc, "the range (max - min) the scaler learned, dividing each input "
                             "(scale=minmax)");
    dial_model_tensor_doc(model, "preprocess.fill", doc, sizeof doc);
    assert_string_equal(doc, "the value that replaces a missing feature: its training mean "
                             "(impute=mean), or its most frequent level for a categorical one");
    dial_model_tensor_doc(model, "schema.target_column", doc, sizeof doc);
    assert_string_equal(doc, "where the target was among the training file's columns "
                             "(0-based), so a headerless file that still holds it binds by "
                             "position");
    const dial_model_family *family = dial_model_get_family(model);
    for (size_t i = 0; i < family->n_params; i++) {
        dial_model_tensor_doc(model, family->params[i].name, doc, sizeof doc);
        assert_string_equal(doc, family->params[i].doc);
    }
    assert_int_equal(dial_model_tensor_doc(model, "no_such_tensor", doc, sizeof doc), 0);
    assert_string_equal(doc, "");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* Like snprintf: the whole length comes back, so a caller can size its
 * buffer, and a short buffer gets a cut, terminated text. */
static void a_tensor_doc_returns_its_length_and_cuts_safely(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("logistic"), "data/iris.csv", "species", NULL);
    size_t length = dial_model_tensor_doc(model, "preprocess.scale", NULL, 0);
    assert_int_equal(length, strlen("the standard deviation the scaler learned, dividing each "
                                    "input (scale=standard)"));
    char cut[8] = "xxxxxxx";
    assert_int_equal(dial_model_tensor_doc(model, "preprocess.scale", cut, sizeof cut), length);
    assert_string_equal(cut, "the sta");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(target_column_is_where_the_target_was_in_training),
        cmocka_unit_test(target_column_without_the_record_reads_the_name_or_takes_the_last),
        cmocka_unit_test(tree_importance_is_its_impurity_tensor_per_feature),
        cmocka_unit_test(gbdt_importance_is_its_gain_tensor_per_feature),
        cmocka_unit_test(a_categorical_feature_sums_its_levels),
        cmocka_unit_test(a_model_without_importance_says_so),
        cmocka_unit_test(an_importance_of_the_wrong_length_is_refused),
        cmocka_unit_test(a_tensor_doc_tells_what_the_tensor_means),
        cmocka_unit_test(a_tensor_doc_returns_its_length_and_cuts_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
