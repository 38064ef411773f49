/* Whether a metric fits a task and a family (dial_metric_check), said once
 * for cv, importance, the tuner and the command line; and predicting rows
 * and scoring them (eval/scoring.h), written once for cv and the tuner. */
#include "test_support.h"

#include <stdlib.h>

#include "eval/scoring.h"

static const dial_model_family *family(const char *name) {
    const dial_model_family *found = dial_model_family_find(name);
    assert_non_null(found);
    return found;
}

/* ---- the metric check -------------------------------------------------------- */

static void test_a_metric_of_the_task_and_a_family_that_does_it_pass(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_ACCURACY, DIAL_TASK_CLASSIFICATION,
                                          "species", family("knn"), NULL));
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_RMSE, DIAL_TASK_REGRESSION,
                                          "progression", family("linear"), NULL));
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_LOG_LOSS, DIAL_TASK_CLASSIFICATION,
                                          "species", family("logistic"), NULL));
    dial_ctx_free(ctx);
}

static void test_a_metric_of_the_other_task_names_the_target(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_RMSE, DIAL_TASK_CLASSIFICATION, "species",
                                        family("knn"), NULL),
                      DIAL_ERR_ARGUMENT,
                      "metric 'rmse' is for regression, but the target 'species' is a "
                      "classification target");
    assert_dial_error(
        ctx, dial_metric_check(ctx, DIAL_METRIC_F1, DIAL_TASK_REGRESSION, NULL, NULL, NULL),
        DIAL_ERR_ARGUMENT,
        "metric 'f1' is for classification, but the target '?' is a regression target");
    dial_ctx_free(ctx);
}

static void test_an_unknown_metric_number_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(
        ctx, dial_metric_check(ctx, DIAL_METRIC_COUNT, DIAL_TASK_REGRESSION, "y", NULL, NULL),
        DIAL_ERR_ARGUMENT, "unknown metric number 16");
    dial_ctx_free(ctx);
}

static void test_a_family_that_does_not_do_the_task_fails(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_ACCURACY, DIAL_TASK_CLASSIFICATION,
                                        "species", family("linear"), NULL),
                      DIAL_ERR_ARGUMENT, "model 'linear' does not do classification");
    dial_ctx_free(ctx);
}

/* A classifier without probabilities, made for the test: the check reads
 * its table only. */
static const dial_model_family no_proba = {
    .name = "no_proba",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = false,
};

static void test_probabilities_a_family_lacks_fail(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_ROC_AUC, DIAL_TASK_CLASSIFICATION,
                                        "species", &no_proba, NULL),
                      DIAL_ERR_ARGUMENT,
                      "metric 'roc_auc' needs class probabilities, which no_proba does not give");
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_F1, DIAL_TASK_CLASSIFICATION, "species",
                                          &no_proba, NULL));
    dial_ctx_free(ctx);
}

static void test_a_proba_knob_turned_off_fails_with_the_fix(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const dial_model_family *svm = family("svm");
    dial_knobs off = test_knobs(ctx, svm, NULL);
    static const char *const on_settings[] = {"probability=true", NULL};
    dial_knobs on = test_knobs(ctx, svm, on_settings);
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_LOG_LOSS, DIAL_TASK_CLASSIFICATION,
                                        "species", svm, &off),
                      DIAL_ERR_ARGUMENT,
                      "metric 'log_loss' needs class probabilities, which svm gives only with "
                      "probability=true: add -s probability=true");
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_LOG_LOSS, DIAL_TASK_CLASSIFICATION,
                                          "species", svm, &on));
    /* without knobs the knob is not looked at */
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_LOG_LOSS, DIAL_TASK_CLASSIFICATION,
                                          "species", svm, NULL));
    dial_knobs_free(&off);
    dial_knobs_free(&on);
    dial_ctx_free(ctx);
}

/* An unsupervised family, made for the test: the check reads its table
 * only. */
static const dial_model_family grouper = {
    .name = "grouper",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLUSTERING),
    .unsupervised = true,
};

/* A clustering learns no target: whatever the data's task, an unsupervised
 * family is scored by a clustering metric, and any other family is not. */
static void test_an_unsupervised_family_takes_a_clustering_metric_only(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_ok(
        ctx, dial_metric_check(ctx, DIAL_METRIC_SILHOUETTE, DIAL_TASK_AUTO, NULL, &grouper, NULL));
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_SILHOUETTE, DIAL_TASK_CLASSIFICATION,
                                          "species", &grouper, NULL));
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_ACCURACY, DIAL_TASK_CLASSIFICATION,
                                        "species", &grouper, NULL),
                      DIAL_ERR_ARGUMENT,
                      "metric 'accuracy' is for classification, but model 'grouper' does "
                      "clustering, which has no target: use silhouette");
    assert_dial_error(
        ctx, dial_metric_check(ctx, DIAL_METRIC_R2, DIAL_TASK_CLUSTERING, NULL, NULL, NULL),
        DIAL_ERR_ARGUMENT,
        "metric 'r2' is for regression, but the fit does clustering, which has no target: use "
        "silhouette");
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_SILHOUETTE, DIAL_TASK_CLASSIFICATION,
                                        "species", family("knn"), NULL),
                      DIAL_ERR_ARGUMENT,
                      "metric 'silhouette' is for clustering, but the target 'species' is a "
                      "classification target: score it with a classification metric (default "
                      "accuracy)");
    dial_ctx_free(ctx);
}

/* ---- scoring a view ---------------------------------------------------------- */

/* The score of a fitted model on every other row is the metric of its
 * predictions, probabilities included when the metric needs them. */
static void test_scoring_a_view_is_predicting_and_scoring_it(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    size_t rows[75];
    for (size_t i = 0; i < 75; i++) rows[i] = 2 * i + 1;
    dial_view test = {data, rows, 75};
    dial_model *model = test_fit_file(ctx, family("logistic"), "data/iris.csv", "species", NULL);
    double y[75], value[75], proba[75 * 3];
    for (size_t i = 0; i < 75; i++) y[i] = data->y[rows[i]];
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test, value, proba));
    dial_metric metrics[] = {DIAL_METRIC_ACCURACY, DIAL_METRIC_LOG_LOSS};
    for (size_t m = 0; m < 2; m++) {
        double expected = 0, score = 0;
        assert_dial_ok(ctx, dial_metric_score(ctx, metrics[m], y, value, proba, 75, 3, &expected));
        assert_dial_ok(ctx, dial_eval_score_view(ctx, model, &test, metrics[m], &score));
        assert_memory_equal(&score, &expected, sizeof score);
    }
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Split seeds depend on the run's seed and the split number alone. */
static void test_split_seeds_differ_by_split_and_seed(void **state) {
    (void)state;
    assert_true(dial_eval_split_seed(0, 0) == dial_eval_split_seed(0, 0));
    assert_true(dial_eval_split_seed(0, 0) != dial_eval_split_seed(0, 1));
    assert_true(dial_eval_split_seed(0, 0) != dial_eval_split_seed(1, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_metric_of_the_task_and_a_family_that_does_it_pass),
        cmocka_unit_test(test_a_metric_of_the_other_task_names_the_target),
        cmocka_unit_test(test_an_unknown_metric_number_fails),
        cmocka_unit_test(test_a_family_that_does_not_do_the_task_fails),
        cmocka_unit_test(test_probabilities_a_family_lacks_fail),
        cmocka_unit_test(test_a_proba_knob_turned_off_fails_with_the_fix),
        cmocka_unit_test(test_an_unsupervised_family_takes_a_clustering_metric_only),
        cmocka_unit_test(test_scoring_a_view_is_predicting_and_scoring_it),
        cmocka_unit_test(test_split_seeds_differ_by_split_and_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
