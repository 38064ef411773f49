/* Metrics, checked against scikit-learn 1.2 on fixed vectors. The vectors
 * and the expected figures come from tests/eval/reference_metrics.py. */
#include "test_support.h"

#include <math.h>

#define TOLERANCE 1e-12
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the reference vectors (copied from reference_metrics.py) ---------- */

static const double binary_true[] = {0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0};
static const double binary_pred[] = {0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1};
static const double binary_p1[] = {0.1, 0.9, 0.4, 0.4, 0.8, 0.6, 0.0, 1.0, 0.7, 0.3, 0.4, 0.55};

static const double multi_true[] = {0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 1, 1};
static const double multi_pred[] = {0, 2, 2, 2, 1, 0, 1, 1, 1, 2, 0, 1};
static const double multi_proba[] = {
    0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.2, 0.6, 0.0,  0.1,  0.9, 0.2, 0.5, 0.3, 0.5, 0.3, 0.2,
    0.1, 0.5, 0.4, 0.3, 0.4, 0.3, 0.3, 0.4, 0.3, 0.25, 0.25, 0.5, 0.6, 0.3, 0.1, 0.2, 0.6, 0.2,
};

static const double raw_true[] = {0, 1, 2, 1, 0};
static const double raw_proba[] = {
    0.5, 0.5, 0.5, 0.2, 0.0, 0.8, 0.1, 0.2, 0.3, 0.0, 1.0, 0.0, 2.0, 1.0, 1.0,
};

static const double sparse_true[] = {0, 1, 1, 0, 0, 1};
static const double sparse_pred[] = {0, 1, 2, 2, 0, 0};
static const double sparse_proba[] = {
    0.6, 0.2, 0.1, 0.1, 0.2, 0.5, 0.2, 0.1, 0.3, 0.3, 0.3, 0.1,
    0.4, 0.1, 0.4, 0.1, 0.5, 0.2, 0.2, 0.1, 0.5, 0.3, 0.1, 0.1,
};

static const double reg_true[] = {3.0, -0.5, 2.0, 7.0, 4.2, 1.1, 0.0, 5.5};
static const double reg_pred[] = {2.5, 0.0, 2.0, 8.0, 3.9, 1.5, -0.4, 6.0};

/* Scores a classification metric or fails the test. */
static double score(dial_metric metric, const double *y_true, const double *y_pred,
                    const double *proba, size_t n, size_t n_classes) {
    dial_ctx *ctx = test_ctx();
    double value = NAN;
    assert_dial_ok(ctx,
                   dial_metric_score(ctx, metric, y_true, y_pred, proba, n, n_classes, &value));
    dial_ctx_free(ctx);
    return value;
}

/* The binary proba matrix: columns 1 - p and p. */
static void binary_proba(double *out) {
    for (size_t i = 0; i < N_OF(binary_p1); i++) {
        out[2 * i] = 1 - binary_p1[i];
        out[2 * i + 1] = binary_p1[i];
    }
}

/* ---- binary ---------------------------------------------------------- */

static void test_binary_accuracy_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_ACCURACY, binary_true, binary_pred, NULL, 12, 2),
                       0.5833333333333334, TOLERANCE);
}

static void test_binary_balanced_accuracy_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_BALANCED_ACCURACY, binary_true, binary_pred, NULL, 12, 2),
                       0.5857142857142856, TOLERANCE);
}

static void test_binary_f1_takes_class_1_as_positive(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_F1, binary_true, binary_pred, NULL, 12, 2),
                       0.5454545454545454, TOLERANCE);
}

static void test_binary_roc_auc_averages_tied_ranks(void **state) {
    (void)state;
    double proba[24];
    binary_proba(proba);
    assert_float_equal(score(DIAL_METRIC_ROC_AUC, binary_true, NULL, proba, 12, 2), 0.8, TOLERANCE);
}

static void test_binary_log_loss_clips_certain_probabilities(void **state) {
    (void)state;
    double proba[24];
    binary_proba(proba);
    assert_float_equal(score(DIAL_METRIC_LOG_LOSS, binary_true, NULL, proba, 12, 2),
                       0.5043931538750633, TOLERANCE);
}

static void test_binary_f1_is_zero_without_any_positive(void **state) {
    (void)state;
    const double none[] = {0, 0, 0};
    assert_float_equal(score(DIAL_METRIC_F1, none, none, NULL, 3, 2), 0.0, 0.0);
}

/* ---- multiclass ------------------------------------------------------ */

static void test_multiclass_accuracy_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_ACCURACY, multi_true, multi_pred, NULL, 12, 3),
                       0.6666666666666666, TOLERANCE);
}

static void test_multiclass_balanced_accuracy_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_BALANCED_ACCURACY, multi_true, multi_pred, NULL, 12, 3),
                       0.6722222222222222, TOLERANCE);
}

static void test_multiclass_f1_is_the_macro_average(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_F1, multi_true, multi_pred, NULL, 12, 3),
                       0.6722222222222222, TOLERANCE);
}

static void test_multiclass_roc_auc_is_macro_one_vs_rest(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_ROC_AUC, multi_true, NULL, multi_proba, 12, 3),
                       0.8764274691358024, TOLERANCE);
}

static void test_multiclass_log_loss_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_LOG_LOSS, multi_true, NULL, multi_proba, 12, 3),
                       0.7506356771278746, TOLERANCE);
}

static void test_log_loss_renormalises_rows_after_clipping(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_LOG_LOSS, raw_true, NULL, raw_proba, 5, 3),
                       7.485829630561369, TOLERANCE);
}

static void test_macro_f1_skips_classes_never_seen_or_predicted(void **state) {
    (void)state;
    /* 4 declared classes; class 3 occurs nowhere, class 2 is only predicted */
    assert_float_equal(score(DIAL_METRIC_F1, sparse_true, sparse_pred, NULL, 6, 4),
                       0.38888888888888884, TOLERANCE);
}

static void test_balanced_accuracy_skips_classes_absent_from_y_true(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_BALANCED_ACCURACY, sparse_true, sparse_pred, NULL, 6, 4),
                       0.5, TOLERANCE);
}

static void test_multiclass_roc_auc_averages_the_classes_that_occur(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_ROC_AUC, sparse_true, NULL, sparse_proba, 6, 4),
                       0.9166666666666667, TOLERANCE);
}

/* ---- regression -------------------------------------------------------- */

static void test_rmse_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_RMSE, reg_true, reg_pred, NULL, 8, 0), 0.5196152422706632,
                       TOLERANCE);
}

static void test_mae_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_MAE, reg_true, reg_pred, NULL, 8, 0), 0.45, TOLERANCE);
}

static void test_r2_matches_sklearn(void **state) {
    (void)state;
    assert_float_equal(score(DIAL_METRIC_R2, reg_true, reg_pred, NULL, 8, 0), 0.9560875200121979,
                       TOLERANCE);
}

static void test_r2_of_a_constant_target_is_1_when_perfect_else_0(void **state) {
    (void)state;
    const double constant[] = {2.0, 2.0, 2.0}, off[] = {2.0, 1.0, 2.0};
    assert_float_equal(score(DIAL_METRIC_R2, constant, constant, NULL, 3, 0), 1.0, 0.0);
    assert_float_equal(score(DIAL_METRIC_R2, constant, off, NULL, 3, 0), 0.0, 0.0);
}

/* ---- names and properties ------------------------------------------------ */

static void test_every_metric_name_parses_back(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    for (int m = 0; m < DIAL_METRIC_COUNT; m++) {
        dial_metric parsed = DIAL_METRIC_COUNT;
        assert_dial_ok(ctx, dial_metric_parse(ctx, dial_metric_name((dial_metric)m), &parsed));
        assert_int_equal(parsed, m);
    }
    dial_ctx_free(ctx);
}

static void test_unknown_metric_suggests_the_one_it_abbreviates(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_metric parsed;
    assert_dial_error(
        ctx, dial_metric_parse(ctx, "acc", &parsed), DIAL_ERR_ARGUMENT,
        "unknown metric 'acc'; did you mean 'accuracy'? metrics are: accuracy, "
        "balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, "
        "calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic");
    dial_ctx_free(ctx);
}

static void test_unknown_metric_suggests_the_one_containing_it(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_metric parsed;
    assert_dial_error(
        ctx, dial_metric_parse(ctx, "auc", &parsed), DIAL_ERR_ARGUMENT,
        "unknown metric 'auc'; did you mean 'roc_auc'? metrics are: accuracy, "
        "balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, "
        "calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic");
    dial_ctx_free(ctx);
}

static void test_unknown_metric_suggests_the_closest_spelling(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_metric parsed;
    assert_dial_error(
        ctx, dial_metric_parse(ctx, "logloss", &parsed), DIAL_ERR_ARGUMENT,
        "unknown metric 'logloss'; did you mean 'log_loss'? metrics are: accuracy, "
        "balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, "
        "calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic");
    dial_ctx_free(ctx);
}

static void test_unknown_metric_without_a_close_name_lists_them(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_metric parsed;
    assert_dial_error(
        ctx, dial_metric_parse(ctx, "perplexity", &parsed), DIAL_ERR_ARGUMENT,
        "unknown metric 'perplexity'; metrics are: accuracy, balanced_accuracy, "
        "log_loss, roc_auc, f1, rmse, mae, r2, silhouette, davies_bouldin, "
        "calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, aic");
    dial_ctx_free(ctx);
}

static void test_losses_and_errors_are_minimised(void **state) {
    (void)state;
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_LOG_LOSS));
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_RMSE));
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_MAE));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_ACCURACY));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_BALANCED_ACCURACY));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_ROC_AUC));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_F1));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_R2));
}

static void test_only_log_loss_and_roc_auc_need_probabilities(void **state) {
    (void)state;
    for (int m = 0; m < DIAL_METRIC_COUNT; m++)
        assert_int_equal(dial_metric_needs_proba((dial_metric)m),
                         m == DIAL_METRIC_LOG_LOSS || m == DIAL_METRIC_ROC_AUC);
}

static void test_metric_tasks_and_defaults(void **state) {
    (void)state;
    assert_int_equal(dial_metric_task(DIAL_METRIC_F1), DIAL_TASK_CLASSIFICATION);
    assert_int_equal(dial_metric_task(DIAL_METRIC_ROC_AUC), DIAL_TASK_CLASSIFICATION);
    assert_int_equal(dial_metric_task(DIAL_METRIC_MAE), DIAL_TASK_REGRESSION);
    assert_int_equal(dial_metric_task(DIAL_METRIC_R2), DIAL_TASK_REGRESSION);
    assert_int_equal(dial_metric_default(DIAL_TASK_CLASSIFICATION), DIAL_METRIC_ACCURACY);
    assert_int_equal(dial_metric_default(DIAL_TASK_REGRESSION), DIAL_METRIC_R2);
}

/* ---- failures ---------------------------------------------------------- */

static void test_scoring_no_rows_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double value;
    assert_dial_error(
        ctx,
        dial_metric_score(ctx, DIAL_METRIC_ACCURACY, binary_true, binary_pred, NULL, 0, 2, &value),
        DIAL_ERR_ARGUMENT, "cannot compute accuracy on 0 rows");
    dial_ctx_free(ctx);
}

static void test_regression_metric_on_classes_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double value;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_RMSE, multi_true, multi_pred, NULL, 12, 3, &value),
        DIAL_ERR_ARGUMENT, "metric 'rmse' is for regression, but the target has 3 classes");
    dial_ctx_free(ctx);
}

static void test_classification_metric_on_values_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double value;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_F1, reg_true, reg_pred, NULL, 8, 0, &value),
        DIAL_ERR_ARGUMENT,
        "metric 'f1' is for classification, but the target is numeric (regression)");
    dial_ctx_free(ctx);
}

static void test_log_loss_without_probabilities_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double value;
    assert_dial_error(
        ctx,
        dial_metric_score(ctx, DIAL_METRIC_LOG_LOSS, binary_true, binary_pred, NULL, 12, 2, &value),
        DIAL_ERR_ARGUMENT, "metric 'log_loss' needs class probabilities, but none were given");
    dial_ctx_free(ctx);
}

static void test_class_index_out_of_range_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {0, 1, 2}, y_pred[] = {0, 1, 3};
    double value;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_ACCURACY, y_true, y_pred, NULL, 3, 3, &value),
        DIAL_ERR_ARGUMENT, "y_pred[2] = 3 is not a class index: must be an integer in [0, 2]");
    dial_ctx_free(ctx);
}

static void test_nan_prediction_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {1.0, 2.0}, y_pred[] = {1.0, NAN};
    double value;
    assert_dial_error(ctx,
                      dial_metric_score(ctx, DIAL_METRIC_MAE, y_true, y_pred, NULL, 2, 0, &value),
                      DIAL_ERR_NUMERIC,
                      "y_pred[1] = nan is not a finite number: the model's fit diverged or "
                      "overflowed (scaling the features or the target, or more regularisation, "
                      "may help)");
    dial_ctx_free(ctx);
}

static void test_nan_true_value_is_the_callers_mistake(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {1.0, INFINITY}, y_pred[] = {1.0, 2.0};
    double value;
    assert_dial_error(ctx,
                      dial_metric_score(ctx, DIAL_METRIC_RMSE, y_true, y_pred, NULL, 2, 0, &value),
                      DIAL_ERR_ARGUMENT, "y_true[1] = inf is not a finite number");
    dial_ctx_free(ctx);
}

static void test_infinite_probability_is_a_numeric_failure(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {0, 1}, proba[] = {0.5, 0.5, INFINITY, 0.0};
    double value;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_LOG_LOSS, y_true, NULL, proba, 2, 2, &value),
        DIAL_ERR_NUMERIC,
        "probability of row 1, class 0 = inf is not a finite number: the model's fit diverged or "
        "overflowed (scaling the features or the target, or more regularisation, may help)");
    dial_ctx_free(ctx);
}

/* ---- values whose squares pass the largest double ---------------------- */

/* reg_true and reg_pred times factor. */
static void scaled_regression(double factor, double *y_true, double *y_pred) {
    for (size_t i = 0; i < N_OF(reg_true); i++) {
        y_true[i] = reg_true[i] * factor;
        y_pred[i] = reg_pred[i] * factor;
    }
}

/* r2 does not depend on the unit: targets near 1e160 (whose squares are
 * infinite, which made r2 inf / inf = NaN) give the figure of the small
 * ones. */
static void test_r2_of_targets_near_1e160_is_that_of_small_ones(void **state) {
    (void)state;
    double y_true[N_OF(reg_true)], y_pred[N_OF(reg_true)];
    scaled_regression(1e160, y_true, y_pred);
    double r2 = score(DIAL_METRIC_R2, y_true, y_pred, NULL, N_OF(reg_true), 0);
    assert_float_equal(r2, 0.9560875200121979, TOLERANCE);
}

static void test_rmse_and_mae_of_targets_near_1e160_scale_with_them(void **state) {
    (void)state;
    double y_true[N_OF(reg_true)], y_pred[N_OF(reg_true)];
    scaled_regression(1e160, y_true, y_pred);
    double rmse = score(DIAL_METRIC_RMSE, y_true, y_pred, NULL, N_OF(reg_true), 0);
    assert_float_equal(rmse / 1e160, 0.5196152422706632, TOLERANCE);
    double mae = score(DIAL_METRIC_MAE, y_true, y_pred, NULL, N_OF(reg_true), 0);
    assert_float_equal(mae / 1e160, 0.45, TOLERANCE);
    /* absolute errors each finite, but whose plain sum is not */
    const double large[] = {1e308, -1e308, 1e308}, zeros[] = {0, 0, 0};
    assert_float_equal(score(DIAL_METRIC_MAE, large, zeros, NULL, 3, 0) / 1e308, 1.0, TOLERANCE);
}

static void test_a_constant_target_near_1e200_is_still_1_or_0(void **state) {
    (void)state;
    const double constant[] = {3e200, 3e200, 3e200}, off[] = {3e200, 3e200, -3e200};
    assert_float_equal(score(DIAL_METRIC_R2, constant, constant, NULL, 3, 0), 1.0, 0.0);
    assert_float_equal(score(DIAL_METRIC_R2, constant, off, NULL, 3, 0), 0.0, 0.0);
}

/* Errors beyond the largest double: no finite figure exists, so the
 * metric refuses rather than return inf or NaN. */
static void test_errors_beyond_the_largest_double_are_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {1.5e308, -1.5e308}, y_pred[] = {-1.5e308, 1.5e308};
    double value = 0;
    assert_dial_error(ctx,
                      dial_metric_score(ctx, DIAL_METRIC_RMSE, y_true, y_pred, NULL, 2, 0, &value),
                      DIAL_ERR_NUMERIC,
                      "rmse = inf is not a finite number: the errors are larger than a double "
                      "can hold (1.79769e+308); the predictions are far off the targets' scale");
    assert_dial_error(ctx,
                      dial_metric_score(ctx, DIAL_METRIC_MAE, y_true, y_pred, NULL, 2, 0, &value),
                      DIAL_ERR_NUMERIC,
                      "mae = inf is not a finite number: the errors are larger than a double "
                      "can hold (1.79769e+308); the predictions are far off the targets' scale");
    const double tiny_true[] = {1e-200, -1e-200}, huge_pred[] = {1e200, -1e200};
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_R2, tiny_true, huge_pred, NULL, 2, 0, &value),
        DIAL_ERR_NUMERIC,
        "r2 = -inf is not a finite number: the squared errors are more than 1.79769e+308 times "
        "the spread of the true values around their mean; the predictions are far off the "
        "targets' scale");
    dial_ctx_free(ctx);
}

static void test_roc_auc_of_a_single_class_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const double y_true[] = {1, 1, 1}, proba[] = {0.2, 0.8, 0.6, 0.4, 0.5, 0.5};
    double value;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_ROC_AUC, y_true, NULL, proba, 3, 2, &value),
        DIAL_ERR_ARGUMENT, "roc_auc is undefined: the true labels hold only one class");
    dial_ctx_free(ctx);
}

/* ---- the confusion matrix ---------------------------------------------- */

/* Rows true, columns predicted, as sklearn.metrics.confusion_matrix(
 * multi_true, multi_pred) gives: [[2 1 0] [1 3 1] [0 1 3]]. */
static void test_confusion_matrix_counts_true_by_predicted(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t counts[9];
    assert_dial_ok(ctx,
                   dial_confusion_matrix(ctx, multi_true, multi_pred, N_OF(multi_true), 3, counts));
    const size_t expected[9] = {2, 1, 0, 1, 3, 1, 0, 1, 3};
    size_t total = 0;
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(counts[i], expected[i]);
        total += counts[i];
    }
    assert_int_equal(total, N_OF(multi_true));
    dial_ctx_free(ctx);
}

/* A class that is only predicted keeps its row, all zeros (sklearn with
 * labels=[0, 1, 2]). */
static void test_confusion_matrix_keeps_a_class_never_true(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t counts[9];
    assert_dial_ok(
        ctx, dial_confusion_matrix(ctx, sparse_true, sparse_pred, N_OF(sparse_true), 3, counts));
    const size_t expected[9] = {2, 0, 1, 1, 1, 1, 0, 0, 0};
    for (size_t i = 0; i < 9; i++) assert_int_equal(counts[i], expected[i]);
    dial_ctx_free(ctx);
}

static void test_confusion_matrix_refuses_a_value_outside_the_classes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t counts[4] = {7, 7, 7, 7};
    const double truth[] = {0, 1, 1}, predicted[] = {0, 2, 1};
    assert_dial_error(ctx, dial_confusion_matrix(ctx, truth, predicted, 3, 2, counts),
                      DIAL_ERR_ARGUMENT,
                      "y_pred[1] = 2 is not a class index: must be an integer in [0, 1]");
    for (size_t i = 0; i < 4; i++) assert_int_equal(counts[i], 7);
    assert_dial_error(ctx, dial_confusion_matrix(ctx, truth, predicted, 3, 0, counts),
                      DIAL_ERR_ARGUMENT,
                      "a confusion matrix needs at least one class, got 0 classes");
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_accuracy_matches_sklearn),
        cmocka_unit_test(test_binary_balanced_accuracy_matches_sklearn),
        cmocka_unit_test(test_binary_f1_takes_class_1_as_positive),
        cmocka_unit_test(test_binary_roc_auc_averages_tied_ranks),
        cmocka_unit_test(test_binary_log_loss_clips_certain_probabilities),
        cmocka_unit_test(test_binary_f1_is_zero_without_any_positive),
        cmocka_unit_test(test_multiclass_accuracy_matches_sklearn),
        cmocka_unit_test(test_multiclass_balanced_accuracy_matches_sklearn),
        cmocka_unit_test(test_multiclass_f1_is_the_macro_average),
        cmocka_unit_test(test_multiclass_roc_auc_is_macro_one_vs_rest),
        cmocka_unit_test(test_multiclass_log_loss_matches_sklearn),
        cmocka_unit_test(test_log_loss_renormalises_rows_after_clipping),
        cmocka_unit_test(test_macro_f1_skips_classes_never_seen_or_predicted),
        cmocka_unit_test(test_balanced_accuracy_skips_classes_absent_from_y_true),
        cmocka_unit_test(test_multiclass_roc_auc_averages_the_classes_that_occur),
        cmocka_unit_test(test_rmse_matches_sklearn),
        cmocka_unit_test(test_mae_matches_sklearn),
        cmocka_unit_test(test_r2_matches_sklearn),
        cmocka_unit_test(test_r2_of_a_constant_target_is_1_when_perfect_else_0),
        cmocka_unit_test(test_every_metric_name_parses_back),
        cmocka_unit_test(test_unknown_metric_suggests_the_one_it_abbreviates),
        cmocka_unit_test(test_unknown_metric_suggests_the_one_containing_it),
        cmocka_unit_test(test_unknown_metric_suggests_the_closest_spelling),
        cmocka_unit_test(test_unknown_metric_without_a_close_name_lists_them),
        cmocka_unit_test(test_losses_and_errors_are_minimised),
        cmocka_unit_test(test_only_log_loss_and_roc_auc_need_probabilities),
        cmocka_unit_test(test_metric_tasks_and_defaults),
        cmocka_unit_test(test_scoring_no_rows_fails),
        cmocka_unit_test(test_regression_metric_on_classes_fails),
        cmocka_unit_test(test_classification_metric_on_values_fails),
        cmocka_unit_test(test_log_loss_without_probabilities_fails),
        cmocka_unit_test(test_class_index_out_of_range_fails),
        cmocka_unit_test(test_nan_prediction_fails),
        cmocka_unit_test(test_nan_true_value_is_the_callers_mistake),
        cmocka_unit_test(test_infinite_probability_is_a_numeric_failure),
        cmocka_unit_test(test_r2_of_targets_near_1e160_is_that_of_small_ones),
        cmocka_unit_test(test_rmse_and_mae_of_targets_near_1e160_scale_with_them),
        cmocka_unit_test(test_a_constant_target_near_1e200_is_still_1_or_0),
        cmocka_unit_test(test_errors_beyond_the_largest_double_are_refused),
        cmocka_unit_test(test_roc_auc_of_a_single_class_fails),
        cmocka_unit_test(test_confusion_matrix_counts_true_by_predicted),
        cmocka_unit_test(test_confusion_matrix_keeps_a_class_never_true),
        cmocka_unit_test(test_confusion_matrix_refuses_a_value_outside_the_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
