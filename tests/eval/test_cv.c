/* The cross-validation runner. Its wiring is tested with small families
 * defined here (a nearest-class-mean classifier, a mean regressor, one that
 * fails on purpose), so the tests do not depend on the real models; the
 * last tests check real figures of knn on iris against scikit-learn. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a nearest-class-mean classifier ---------------------------------------
 * Learns the mean of each class ("means", n_classes x n_features) over a
 * random share `subsample` of the rows (drawn from the context's seed, so
 * that the runner's per-split seeds show in the scores) and predicts the
 * class of the nearest mean; proba is a softmax of minus the squared
 * distances. */

static const dial_knob_spec nearest_mean_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    {.name = "subsample",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = 1,
     .lower_open = true,
     .condition = "",
     .doc = "share of the training rows the means are computed from"},
};

static dial_status nearest_mean_fit(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_fit_input *in, dial_tensors *learned) {
    size_t k = in->n_classes, d = in->n_features;
    size_t shape[2] = {k, d};
    double *means = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "means", DIAL_F64, 2, shape, (void **)&means);
    if (status != DIAL_OK) return status;
    size_t *count = calloc(k, sizeof *count);
    if (!count) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory");
    double share = dial_knobs_float(knobs, "subsample");
    dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), 0);
    for (size_t i = 0; i < in->n_rows; i++) {
        if (share < 1 && dial_rng_uniform(&rng) >= share) continue;
        size_t c = (size_t)in->y[i];
        count[c]++;
        for (size_t j = 0; j < d; j++) means[c * d + j] += in->x[i * d + j];
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++) means[c * d + j] /= count[c] ? (double)count[c] : 1.0;
    free(count);
    return DIAL_OK;
}

static dial_status nearest_mean_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                        const dial_tensors *learned, const dial_fit_input *in,
                                        dial_predict_output *out) {
    const dial_tensor *t = dial_tensors_find(learned, "means");
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "no means");
    const double *means = t->data;
    size_t k = in->n_classes, d = in->n_features;
    for (size_t i = 0; i < in->n_rows; i++) {
        size_t best = 0;
        double best_distance = INFINITY, total = 0;
        double *distance = out->proba ? out->proba + i * k : NULL;
        for (size_t c = 0; c < k; c++) {
            double s = 0;
            for (size_t j = 0; j < d; j++) {
                double diff = in->x[i * d + j] - means[c * d + j];
                s += diff * diff;
            }
            if (s < best_distance) {
                best_distance = s;
                best = c;
            }
            if (distance) distance[c] = s;
        }
        out->value[i] = (double)best;
        if (!distance) continue;
        for (size_t c = 0; c < k; c++) total += (distance[c] = exp(best_distance - distance[c]));
        for (size_t c = 0; c < k; c++) distance[c] /= total;
    }
    return DIAL_OK;
}

static const dial_model_family nearest_mean = {
    .name = "nearest_mean",
    .summary = "nearest class mean (test family)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = true,
    .knobs = nearest_mean_knobs,
    .n_knobs = sizeof nearest_mean_knobs / sizeof nearest_mean_knobs[0],
    .fit = nearest_mean_fit,
    .predict = nearest_mean_predict,
};

/* ---- a mean regressor: predicts the training mean ---------------------------- */

static const dial_knob_spec mean_knobs[] = {DIAL_PREPROCESS_KNOBS("none")};

static dial_status mean_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                            dial_tensors *learned) {
    size_t shape[1] = {1};
    double *mean = NULL;
    dial_status status = dial_tensors_add(ctx, learned, "mean", DIAL_F64, 0, shape, (void **)&mean);
    if (status != DIAL_OK) return status;
    for (size_t i = 0; i < in->n_rows; i++) *mean += in->y[i];
    *mean /= (double)in->n_rows;
    return DIAL_OK;
}

static dial_status mean_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, dial_predict_output *out) {
    const dial_tensor *t = dial_tensors_find(learned, "mean");
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "no mean");
    for (size_t i = 0; i < in->n_rows; i++) out->value[i] = *(const double *)t->data;
    return DIAL_OK;
}

static const dial_model_family mean_regressor = {
    .name = "mean_regressor",
    .summary = "predicts the training mean (test family)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = false,
    .knobs = mean_knobs,
    .n_knobs = sizeof mean_knobs / sizeof mean_knobs[0],
    .fit = mean_fit,
    .predict = mean_predict,
};

/* ---- a family whose fit fails on an odd number of training rows ---------- */

static dial_status odd_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    if (in->n_rows % 2 == 1)
        return dial_fail(ctx, DIAL_ERR_NUMERIC, "cannot fit %zu rows: the count is odd",
                         in->n_rows);
    return nearest_mean_fit(ctx, knobs, in, learned);
}

static const dial_model_family odd_failer = {
    .name = "odd_failer",
    .summary = "fails on an odd number of rows (test family)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = false,
    .knobs = nearest_mean_knobs,
    .n_knobs = sizeof nearest_mean_knobs / sizeof nearest_mean_knobs[0],
    .fit = odd_fit,
    .predict = nearest_mean_predict,
};

/* ---- fixtures ------------------------------------------------------------------ */

typedef struct fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_knobs knobs;
    dial_splits splits;
} fixture;

static fixture setup(const char *path, const char *target, const dial_model_family *family,
                     size_t folds, size_t repeats, bool stratified) {
    fixture f = {.ctx = test_ctx()};
    f.data = test_load_dataset(f.ctx, path, target, &f.table);
    assert_dial_ok(f.ctx, dial_model_knobs_init(f.ctx, family, &f.knobs));
    assert_dial_ok(f.ctx,
                   dial_split_kfold(f.ctx, f.data, folds, repeats, stratified, 99, &f.splits));
    return f;
}

static void teardown(fixture *f) {
    dial_splits_free(&f->splits);
    dial_knobs_free(&f->knobs);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static dial_cv_result run(fixture *f, const dial_model_family *family, dial_metric metric,
                          int threads) {
    dial_cv_result result = {0};
    dial_ctx_set_threads(f->ctx, threads);
    assert_dial_ok(f->ctx,
                   dial_cv_run(f->ctx, family, &f->knobs, f->data, &f->splits, metric, &result));
    assert_int_equal(result.n_scores, f->splits.count);
    assert_int_equal(result.metric, metric);
    return result;
}

/* ---- wiring -------------------------------------------------------------- */

static void test_cv_scores_nearest_mean_on_iris(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &nearest_mean, 5, 1, true);
    dial_cv_result result = run(&f, &nearest_mean, DIAL_METRIC_ACCURACY, 1);
    /* nearest centroid on raw iris is right about 92% of the time */
    assert_true(result.mean > 0.88 && result.mean < 0.97);
    for (size_t i = 0; i < result.n_scores; i++)
        assert_true(result.scores[i] >= 0.75 && result.scores[i] <= 1.0);
    dial_cv_result_free(&result);
    teardown(&f);
}

static void test_cv_mean_and_population_std_summarise_the_scores(void **state) {
    (void)state;
    fixture f = setup("data/wine.csv", "cultivar", &nearest_mean, 4, 2, true);
    dial_cv_result result = run(&f, &nearest_mean, DIAL_METRIC_ACCURACY, 1);
    double sum = 0, squares = 0;
    for (size_t i = 0; i < result.n_scores; i++) sum += result.scores[i];
    double mean = sum / (double)result.n_scores;
    for (size_t i = 0; i < result.n_scores; i++)
        squares += (result.scores[i] - mean) * (result.scores[i] - mean);
    assert_float_equal(result.mean, mean, 1e-15);
    assert_float_equal(result.std, sqrt(squares / (double)result.n_scores), 1e-15);
    assert_true(result.std > 0);
    dial_cv_result_free(&result);
    teardown(&f);
}

/* The mean regressor's score on a split is known in closed form: the r2 of
 * the train rows' mean on the test rows. This pins that the runner fits on
 * train and scores on test, split by split, in order. */
static void test_cv_fits_on_train_rows_and_scores_test_rows(void **state) {
    (void)state;
    fixture f = setup("data/diabetes.csv", "progression", &mean_regressor, 5, 2, false);
    dial_cv_result result = run(&f, &mean_regressor, DIAL_METRIC_R2, 1);
    const double *y = f.data->y;
    for (size_t s = 0; s < f.splits.count; s++) {
        const dial_split *split = &f.splits.items[s];
        double train_mean = 0, test_mean = 0, residual = 0, total = 0;
        for (size_t i = 0; i < split->n_train; i++) train_mean += y[split->train[i]];
        train_mean /= (double)split->n_train;
        for (size_t i = 0; i < split->n_test; i++) test_mean += y[split->test[i]];
        test_mean /= (double)split->n_test;
        for (size_t i = 0; i < split->n_test; i++) {
            double v = y[split->test[i]];
            residual += (v - train_mean) * (v - train_mean);
            total += (v - test_mean) * (v - test_mean);
        }
        assert_float_equal(result.scores[s], 1 - residual / total, 1e-9);
        assert_true(result.scores[s] <= 0);
    }
    dial_cv_result_free(&result);
    teardown(&f);
}

static void test_cv_passes_probabilities_to_metrics_that_need_them(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &nearest_mean, 5, 1, true);
    dial_cv_result loss = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 1);
    dial_cv_result auc = run(&f, &nearest_mean, DIAL_METRIC_ROC_AUC, 1);
    assert_true(loss.mean > 0 && loss.mean < 1);
    assert_true(auc.mean > 0.9 && auc.mean <= 1);
    dial_cv_result_free(&loss);
    dial_cv_result_free(&auc);
    teardown(&f);
}

static void assert_same_scores(const dial_cv_result *a, const dial_cv_result *b) {
    assert_int_equal(a->n_scores, b->n_scores);
    assert_memory_equal(a->scores, b->scores, a->n_scores * sizeof *a->scores);
    assert_memory_equal(&a->mean, &b->mean, sizeof a->mean);
    assert_memory_equal(&a->std, &b->std, sizeof a->std);
}

static void test_cv_scores_do_not_depend_on_the_thread_count(void **state) {
    (void)state;
    fixture f = setup("data/wine.csv", "cultivar", &nearest_mean, 5, 2, true);
    /* the subsample makes each fit draw from its split's seed */
    assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &f.knobs, "subsample", "0.5"));
    dial_cv_result one = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 1);
    dial_cv_result two = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 2);
    dial_cv_result three = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 3);
    assert_same_scores(&one, &two);
    assert_same_scores(&one, &three);
    dial_cv_result_free(&one);
    dial_cv_result_free(&two);
    dial_cv_result_free(&three);
    teardown(&f);
}

static void test_cv_gives_each_split_its_own_seed_from_the_context(void **state) {
    (void)state;
    fixture f = setup("data/wine.csv", "cultivar", &nearest_mean, 5, 1, true);
    assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &f.knobs, "subsample", "0.3"));
    dial_cv_result first = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 1);
    dial_cv_result again = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 1);
    dial_ctx_set_seed(f.ctx, 12345);
    dial_cv_result reseeded = run(&f, &nearest_mean, DIAL_METRIC_LOG_LOSS, 1);
    assert_same_scores(&first, &again);
    assert_memory_not_equal(first.scores, reseeded.scores, first.n_scores * sizeof(double));
    dial_cv_result_free(&first);
    dial_cv_result_free(&again);
    dial_cv_result_free(&reseeded);
    teardown(&f);
}

static void test_freeing_an_empty_cv_result_is_harmless(void **state) {
    (void)state;
    dial_cv_result result = {0};
    dial_cv_result_free(&result);
    dial_cv_result_free(NULL);
}

/* ---- failures ---------------------------------------------------------------- */

static void test_cv_reports_the_first_failed_split_whatever_the_threads(void **state) {
    (void)state;
    /* iris in 4 folds: train sizes 112, 112, 113, 113; splits 2 and 3 fail */
    fixture f = setup("data/iris.csv", "species", &odd_failer, 4, 1, false);
    for (int threads = 1; threads <= 4; threads++) {
        dial_cv_result result = {0};
        dial_ctx_set_threads(f.ctx, threads);
        assert_dial_error(f.ctx,
                          dial_cv_run(f.ctx, &odd_failer, &f.knobs, f.data, &f.splits,
                                      DIAL_METRIC_ACCURACY, &result),
                          DIAL_ERR_NUMERIC,
                          "split 2 (repeat 0, fold 2): cannot fit 113 rows: the count is odd");
        assert_null(result.scores);
    }
    teardown(&f);
}

static void test_cv_with_a_metric_of_the_other_task_fails(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &nearest_mean, 5, 1, true);
    dial_cv_result result = {0};
    assert_dial_error(
        f.ctx,
        dial_cv_run(f.ctx, &nearest_mean, &f.knobs, f.data, &f.splits, DIAL_METRIC_R2, &result),
        DIAL_ERR_ARGUMENT,
        "metric 'r2' is for regression, but the target 'species' is a classification target");
    teardown(&f);
}

static void test_cv_with_probabilities_the_model_lacks_fails(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &odd_failer, 5, 1, true);
    dial_cv_result result = {0};
    assert_dial_error(
        f.ctx,
        dial_cv_run(f.ctx, &odd_failer, &f.knobs, f.data, &f.splits, DIAL_METRIC_LOG_LOSS, &result),
        DIAL_ERR_ARGUMENT,
        "metric 'log_loss' needs class probabilities, which odd_failer does not "
        "give");
    teardown(&f);
}

static void test_cv_with_a_model_of_the_other_task_fails(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &mean_regressor, 5, 1, true);
    dial_cv_result result = {0};
    assert_dial_error(f.ctx,
                      dial_cv_run(f.ctx, &mean_regressor, &f.knobs, f.data, &f.splits,
                                  DIAL_METRIC_ACCURACY, &result),
                      DIAL_ERR_ARGUMENT, "model 'mean_regressor' does not do classification");
    teardown(&f);
}

static void test_cv_with_splits_of_another_dataset_fails(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &nearest_mean, 5, 1, true);
    dial_table *wine_table = NULL;
    dial_dataset *wine = test_load_dataset(f.ctx, "data/wine.csv", "cultivar", &wine_table);
    dial_splits wine_splits = {0};
    assert_dial_ok(f.ctx, dial_split_kfold(f.ctx, wine, 2, 1, false, 1, &wine_splits));
    dial_cv_result result = {0};
    dial_status status = dial_cv_run(f.ctx, &nearest_mean, &f.knobs, f.data, &wine_splits,
                                     DIAL_METRIC_ACCURACY, &result);
    assert_int_equal(status, DIAL_ERR_ARGUMENT);
    assert_non_null(strstr(dial_ctx_error(f.ctx), "but the dataset has 150 rows"));
    dial_splits_free(&wine_splits);
    dial_dataset_free(wine);
    dial_table_free(wine_table);
    teardown(&f);
}

static void test_cv_without_splits_fails(void **state) {
    (void)state;
    fixture f = setup("data/iris.csv", "species", &nearest_mean, 5, 1, true);
    dial_splits none = {0};
    dial_cv_result result = {0};
    assert_dial_error(
        f.ctx,
        dial_cv_run(f.ctx, &nearest_mean, &f.knobs, f.data, &none, DIAL_METRIC_ACCURACY, &result),
        DIAL_ERR_ARGUMENT, "cross-validation needs at least one split");
    teardown(&f);
}

/* ---- real figures: knn on iris ---------------------------------------------------
 * scikit-learn's KNeighborsClassifier(7) after StandardScaler (knn's default
 * scaling), 5-fold StratifiedKFold(shuffle=True), averaged over seeds 0..19,
 * scores 0.955 (0.940 to 0.967 by seed; reference_metrics.py). dial draws
 * its folds from its own generator, so the figures agree as a band, not to
 * the last digit. */

#define SKLEARN_KNN7_IRIS_MEAN 0.9550000000000001

static void test_cv_knn_7_on_iris_agrees_with_sklearn(void **state) {
    (void)state;
    const dial_model_family *knn = dial_model_family_find("knn");
    if (!knn) skip();
    double sum = 0;
    int seeds = 20;
    for (int seed = 0; seed < seeds; seed++) {
        fixture f = setup("data/iris.csv", "species", knn, 5, 1, true);
        dial_splits_free(&f.splits);
        assert_dial_ok(f.ctx,
                       dial_split_kfold(f.ctx, f.data, 5, 1, true, (uint64_t)seed, &f.splits));
        assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &f.knobs, "k", "7"));
        dial_cv_result result = run(&f, knn, DIAL_METRIC_ACCURACY, 1);
        assert_true(result.mean > 0.93 && result.mean < 0.98);
        sum += result.mean;
        dial_cv_result_free(&result);
        teardown(&f);
    }
    assert_float_equal(sum / seeds, SKLEARN_KNN7_IRIS_MEAN, 0.01);
}

static void test_cv_knn_scores_are_the_same_on_one_or_two_threads(void **state) {
    (void)state;
    const dial_model_family *knn = dial_model_family_find("knn");
    if (!knn) skip();
    fixture f = setup("data/iris.csv", "species", knn, 5, 2, true);
    assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &f.knobs, "k", "7"));
    dial_cv_result one = run(&f, knn, DIAL_METRIC_ACCURACY, 1);
    dial_cv_result two = run(&f, knn, DIAL_METRIC_ACCURACY, 2);
    assert_same_scores(&one, &two);
    dial_cv_result_free(&one);
    dial_cv_result_free(&two);
    teardown(&f);
}

/* knn on diabetes with every target times 1e160: the neighbours are the
 * same, so r2 is that of the plain targets and rmse is theirs times 1e160;
 * the scores' squares pass the largest double, which once made r2 NaN and
 * the std of rmse infinite. */
static void test_cv_of_targets_near_1e160_gives_finite_scores(void **state) {
    (void)state;
    const dial_model_family *knn = dial_model_family_find("knn");
    if (!knn) skip();
    fixture f = setup("data/diabetes.csv", "progression", knn, 5, 1, false);
    dial_cv_result plain_r2 = run(&f, knn, DIAL_METRIC_R2, 1);
    dial_cv_result plain_rmse = run(&f, knn, DIAL_METRIC_RMSE, 1);
    for (size_t i = 0; i < f.data->n_rows; i++) f.data->y[i] *= 1e160;
    dial_cv_result r2 = run(&f, knn, DIAL_METRIC_R2, 1);
    dial_cv_result rmse = run(&f, knn, DIAL_METRIC_RMSE, 1);
    assert_true(isfinite(r2.mean) && isfinite(r2.std));
    assert_float_equal(r2.mean, plain_r2.mean, 1e-12);
    assert_float_equal(r2.std, plain_r2.std, 1e-12);
    assert_true(isfinite(rmse.mean) && isfinite(rmse.std));
    assert_float_equal(rmse.mean / 1e160, plain_rmse.mean, 1e-9);
    assert_float_equal(rmse.std / 1e160, plain_rmse.std, 1e-9);
    dial_cv_result_free(&plain_r2);
    dial_cv_result_free(&plain_rmse);
    dial_cv_result_free(&r2);
    dial_cv_result_free(&rmse);
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_scores_nearest_mean_on_iris),
        cmocka_unit_test(test_cv_mean_and_population_std_summarise_the_scores),
        cmocka_unit_test(test_cv_fits_on_train_rows_and_scores_test_rows),
        cmocka_unit_test(test_cv_passes_probabilities_to_metrics_that_need_them),
        cmocka_unit_test(test_cv_scores_do_not_depend_on_the_thread_count),
        cmocka_unit_test(test_cv_gives_each_split_its_own_seed_from_the_context),
        cmocka_unit_test(test_freeing_an_empty_cv_result_is_harmless),
        cmocka_unit_test(test_cv_reports_the_first_failed_split_whatever_the_threads),
        cmocka_unit_test(test_cv_with_a_metric_of_the_other_task_fails),
        cmocka_unit_test(test_cv_with_probabilities_the_model_lacks_fails),
        cmocka_unit_test(test_cv_with_a_model_of_the_other_task_fails),
        cmocka_unit_test(test_cv_with_splits_of_another_dataset_fails),
        cmocka_unit_test(test_cv_without_splits_fails),
        cmocka_unit_test(test_cv_knn_7_on_iris_agrees_with_sklearn),
        cmocka_unit_test(test_cv_knn_scores_are_the_same_on_one_or_two_threads),
        cmocka_unit_test(test_cv_of_targets_near_1e160_gives_finite_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
