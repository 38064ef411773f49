/* Gaussian mixtures: EM from a given start against scikit-learn 1.2's
 * GaussianMixture from the same start, for each covariance type; its own
 * starts; the pipeline, the model file and the errors. Reference figures
 * come from  /usr/bin/python3 tests/models/reference_gmm.py */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/gmm.h"

extern const dial_model_family dial_model_gmm;

typedef struct raw_rows {
    size_t n, d;
    double *x;
} raw_rows;

static raw_rows load_rows(const char *path, const char *target) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    raw_rows rows = {data->n_rows, data->n_features, NULL};
    rows.x = malloc(rows.n * rows.d * sizeof *rows.x);
    for (size_t i = 0; i < rows.n; i++)
        for (size_t j = 0; j < rows.d; j++) rows.x[i * rows.d + j] = data->features[j]->values[i];
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return rows;
}

static double scalar(const dial_tensors *learned, const char *name) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    assert_non_null(t);
    return t->dtype == DIAL_F64 ? *(const double *)t->data : (double)*(const int64_t *)t->data;
}

/* The reference script's start: equal weights, means at rows (c * 37 + 5)
 * % n, covariances the diagonal of the columns' variances. */
static void reference_start(const raw_rows *rows, size_t k, gmm_covariance type, double *weights,
                            double *means, double *cov) {
    size_t n = rows->n, d = rows->d;
    double *variance = calloc(d, sizeof *variance), mean_variance = 0;
    for (size_t j = 0; j < d; j++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++) mean += rows->x[i * d + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++)
            variance[j] += (rows->x[i * d + j] - mean) * (rows->x[i * d + j] - mean);
        variance[j] /= (double)n;
        mean_variance += variance[j] / (double)d;
    }
    for (size_t c = 0; c < k; c++) {
        weights[c] = 1.0 / (double)k;
        memcpy(means + c * d, rows->x + ((c * 37 + 5) % n) * d, d * sizeof *means);
    }
    memset(cov, 0, gmm_covariance_size(type, k, d) * sizeof *cov);
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++) {
            if (type == GMM_FULL) cov[c * d * d + j * d + j] = variance[j];
            if (type == GMM_TIED) cov[j * d + j] = variance[j];
            if (type == GMM_DIAG) cov[c * d + j] = variance[j];
            if (type == GMM_SPHERICAL) cov[c] = mean_variance;
        }
    free(variance);
}

typedef struct parity_case {
    const char *path, *target, *k;
    size_t n_components;
    double lower_bound[4]; /* full, tied, diag, spherical */
    long iterations[4];
} parity_case;

static const parity_case parity_cases[] = {
    {"data/iris.csv",
     "species",
     "n_components=3",
     3,
     {-1.3231348698572547, -1.9571143616484823, -2.4119632189753837, -2.959691198781353},
     {9, 5, 9, 9}},
    {"data/wine.csv",
     "cultivar",
     "n_components=3",
     3,
     {-16.433996674021703, -18.213675587711357, -18.530344317078043, -63.06458940499959},
     {22, 7, 21, 35}},
    {"data/blobs.csv",
     "blob",
     "n_components=4",
     4,
     {-8.718365674345252, -8.940999696333078, -8.7172786050023, -8.726485125347704},
     {34, 10, 27, 17}},
};

/* For each set and covariance type, EM from the same start ends at
 * scikit-learn's log-likelihood (within 1e-6 relative) after as many
 * iterations. */
static void test_gmm_matches_scikit_learn_from_the_same_start(void **state) {
    (void)state;
    const char *types[] = {"covariance=full", "covariance=tied", "covariance=diag",
                           "covariance=spherical"};
    const gmm_covariance kinds[] = {GMM_FULL, GMM_TIED, GMM_DIAG, GMM_SPHERICAL};
    for (size_t s = 0; s < sizeof parity_cases / sizeof parity_cases[0]; s++) {
        const parity_case *p = &parity_cases[s];
        raw_rows rows = load_rows(p->path, p->target);
        size_t k = p->n_components, d = rows.d;
        for (size_t t = 0; t < 4; t++) {
            dial_ctx *ctx = test_ctx();
            dial_knobs knobs = test_knobs(
                ctx, &dial_model_gmm, (const char *const[]){"scale=none", p->k, types[t], NULL});
            double *weights = malloc(k * sizeof *weights), *means = malloc(k * d * sizeof *means);
            double *cov = malloc(gmm_covariance_size(kinds[t], k, d) * sizeof *cov);
            reference_start(&rows, k, kinds[t], weights, means, cov);
            dial_fit_input in = {rows.x, rows.n, d, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
            dial_tensors learned = {0};
            assert_dial_ok(ctx, dial_gmm_fit_from(ctx, &knobs, &in, weights, means, cov, &learned));
            double bound = scalar(&learned, "lower_bound");
            if (fabs(bound - p->lower_bound[t]) > 1e-6 * fabs(p->lower_bound[t]))
                fail_msg("%s %s: lower bound %.17g, scikit-learn's %.17g", p->path, types[t], bound,
                         p->lower_bound[t]);
            assert_int_equal((long)scalar(&learned, "n_iter"), p->iterations[t]);
            /* the model predicts and validates what it learned */
            assert_dial_ok(ctx, dial_model_gmm.validate(ctx, &knobs, &learned, &in));
            double *value = malloc(rows.n * sizeof *value);
            double *proba = malloc(rows.n * k * sizeof *proba);
            dial_predict_output out = {value, proba};
            assert_dial_ok(ctx, dial_model_gmm.predict(ctx, &knobs, &learned, &in, &out));
            for (size_t i = 0; i < rows.n; i++) {
                double sum = 0;
                for (size_t c = 0; c < k; c++) {
                    assert_true(proba[i * k + c] >= 0 && proba[i * k + c] <= 1);
                    sum += proba[i * k + c];
                    assert_true(proba[i * k + c] <= proba[i * k + (size_t)value[i]]);
                }
                assert_float_equal(sum, 1, 1e-12);
            }
            free(value);
            free(proba);
            free(weights);
            free(means);
            free(cov);
            dial_tensors_clear(&learned);
            dial_knobs_free(&knobs);
            dial_ctx_free(ctx);
        }
        free(rows.x);
    }
}

/* The information criteria of the mixture EM reaches from the reference
 * start on iris, on its training rows, equal scikit-learn's
 * GaussianMixture.bic and aic to 1e-9 relative for each covariance type
 * (so the log-likelihood of each row and the count of free parameters,
 * which differs by type, are scikit-learn's). */
static void test_gmm_bic_and_aic_match_scikit_learn(void **state) {
    (void)state;
    const char *types[] = {"covariance=full", "covariance=tied", "covariance=diag",
                           "covariance=spherical"};
    const gmm_covariance kinds[] = {GMM_FULL, GMM_TIED, GMM_DIAG, GMM_SPHERICAL};
    /* free parameters: means 12, weights 2, covariances 3 x 10, 10, 3 x 4, 3 */
    const size_t parameters[4] = {44, 24, 26, 17};
    const double bic[4] = {617.3848330889457, 707.2637346163539, 853.7408192830766,
                           972.8445087988075};
    const double aic[4] = {484.91688014871045, 635.0084875580437, 775.464301636574,
                           921.6637087991712};
    raw_rows rows = load_rows("data/iris.csv", "species");
    size_t k = 3, d = rows.d, n = rows.n;
    for (size_t t = 0; t < 4; t++) {
        dial_ctx *ctx = test_ctx();
        dial_knobs knobs =
            test_knobs(ctx, &dial_model_gmm,
                       (const char *const[]){"scale=none", "n_components=3", types[t], NULL});
        double *weights = malloc(k * sizeof *weights), *means = malloc(k * d * sizeof *means);
        double *cov = malloc(gmm_covariance_size(kinds[t], k, d) * sizeof *cov);
        reference_start(&rows, k, kinds[t], weights, means, cov);
        dial_fit_input in = {rows.x, n, d, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
        dial_tensors learned = {0};
        assert_dial_ok(ctx, dial_gmm_fit_from(ctx, &knobs, &in, weights, means, cov, &learned));
        double *log_likelihood = malloc(n * sizeof *log_likelihood);
        size_t n_parameters = 0;
        assert_dial_ok(ctx, dial_model_gmm.log_likelihood(ctx, &knobs, &learned, &in,
                                                          log_likelihood, &n_parameters));
        assert_int_equal(n_parameters, parameters[t]);
        dial_metric_rows scored = {
            .n = n, .log_likelihood = log_likelihood, .n_parameters = n_parameters};
        double value = 0;
        assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_BIC, &scored, &value));
        if (fabs(value - bic[t]) > 1e-9 * fabs(bic[t]))
            fail_msg("%s: bic %.17g, scikit-learn's %.17g", types[t], value, bic[t]);
        assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_AIC, &scored, &value));
        if (fabs(value - aic[t]) > 1e-9 * fabs(aic[t]))
            fail_msg("%s: aic %.17g, scikit-learn's %.17g", types[t], value, aic[t]);
        free(log_likelihood);
        free(weights);
        free(means);
        free(cov);
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
        dial_ctx_free(ctx);
    }
    free(rows.x);
}

/* A family without a likelihood is refused bic and aic, with the way out;
 * the metric refuses rows without log-likelihoods. */
static void test_bic_needs_a_likelihood(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    assert_dial_error(ctx,
                      dial_metric_check(ctx, DIAL_METRIC_BIC, DIAL_TASK_CLUSTERING, NULL,
                                        dial_model_family_find("kmeans"), NULL),
                      DIAL_ERR_ARGUMENT,
                      "metric 'bic' reads the rows' likelihood under the model, which kmeans does "
                      "not have (a gmm has): score kmeans with silhouette");
    assert_dial_ok(ctx, dial_metric_check(ctx, DIAL_METRIC_AIC, DIAL_TASK_CLUSTERING, NULL,
                                          &dial_model_gmm, NULL));
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_BIC));
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_AIC));
    double y_pred[2] = {0, 1}, value;
    dial_metric_rows scored = {.n = 2, .y_pred = y_pred};
    assert_dial_error(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_AIC, &scored, &value),
                      DIAL_ERR_ARGUMENT,
                      "metric 'aic' needs each row's log-likelihood under the model "
                      "(dial_model_log_likelihood), but none was given");
    dial_ctx_free(ctx);
}

/* From its own starts (k-means and random), every type fits without a NaN,
 * and 10 k-means starts reach at least scikit-learn's likelihood from the
 * reference start on iris with full covariances. */
static void test_gmm_fits_from_its_own_starts(void **state) {
    (void)state;
    raw_rows rows = load_rows("data/iris.csv", "species");
    const char *types[] = {"covariance=full", "covariance=tied", "covariance=diag",
                           "covariance=spherical"};
    for (size_t t = 0; t < 4; t++)
        for (size_t init = 0; init < 2; init++) {
            dial_ctx *ctx = test_ctx();
            dial_knobs knobs = test_knobs(
                ctx, &dial_model_gmm,
                (const char *const[]){"n_components=3", types[t],
                                      init ? "init=random" : "init=kmeans", "n_init=10", NULL});
            dial_fit_input in = {rows.x, rows.n, rows.d, NULL, DIAL_TASK_CLUSTERING,
                                 0,      NULL,   0,      NULL};
            dial_tensors learned = {0};
            assert_dial_ok(ctx, dial_model_gmm.fit(ctx, &knobs, &in, &learned));
            assert_dial_ok(ctx, dial_model_gmm.validate(ctx, &knobs, &learned, &in));
            double bound = scalar(&learned, "lower_bound");
            assert_true(isfinite(bound));
            if (t == 0 && init == 0) assert_true(bound >= -1.3231348698572547 - 1e-6);
            dial_tensors_clear(&learned);
            dial_knobs_free(&knobs);
            dial_ctx_free(ctx);
        }
    free(rows.x);
}

/* A component on one repeated row: reg_covar keeps it a proper normal
 * distribution, nothing is NaN; without reg_covar the fit says why. */
static void test_gmm_survives_a_degenerate_component(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[16] = {0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 6, 2, 5, 3, 7, 1};
    double weights[2] = {0.5, 0.5}, means[4] = {0, 0, 6, 2}, cov[8] = {1, 0, 0, 1, 1, 0, 0, 1};
    dial_fit_input in = {x, 8, 2, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_gmm,
                                  (const char *const[]){"n_components=2", "scale=none", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_gmm_fit_from(ctx, &knobs, &in, weights, means, cov, &learned));
    assert_true(isfinite(scalar(&learned, "lower_bound")));
    assert_dial_ok(ctx, dial_model_gmm.validate(ctx, &knobs, &learned, &in));
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    knobs = test_knobs(ctx, &dial_model_gmm,
                       (const char *const[]){"n_components=2", "scale=none", "reg_covar=0", NULL});
    assert_dial_error(ctx, dial_gmm_fit_from(ctx, &knobs, &in, weights, means, cov, &learned),
                      DIAL_ERR_NUMERIC,
                      "gmm: the covariance of component 0 is not positive definite: it collapsed "
                      "on too few rows; raise reg_covar or lower n_components");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Saved and loaded, the same clusters; a file's tensor of the wrong
 * shape is refused. */
static void test_a_gmm_model_survives_its_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris_measurements.csv", NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_gmm, (const char *const[]){"n_components=3", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_gmm, &knobs, &all, &model));
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "gmm.dial", bytes, length, &loaded));
    double *a = malloc(150 * sizeof *a), *b = malloc(150 * sizeof *b);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, a, NULL));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, b, NULL));
    assert_memory_equal(a, b, 150 * sizeof *a);
    dial_fit_input in = {NULL, 0, 4, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_tensors broken = {0};
    size_t three = 3, shape[2] = {3, 4};
    double *weights = NULL, *means = NULL;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &broken, "weights", DIAL_F64, 1, &three, (void **)&weights));
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, &broken, "means", DIAL_F64, 2, shape, (void **)&means));
    assert_dial_error(ctx, dial_model_gmm.validate(ctx, &knobs, &broken, &in), DIAL_ERR_FORMAT,
                      "gmm: the learned tensor 'covariances' is missing");
    shape[0] = 4;
    double *cov = NULL;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &broken, "covariances", DIAL_F64, 2, shape, (void **)&cov));
    assert_dial_error(ctx, dial_model_gmm.validate(ctx, &knobs, &broken, &in), DIAL_ERR_FORMAT,
                      "gmm: the learned tensor 'covariances' must be f64 of shape [3 x 4 x 4]");
    dial_tensors_clear(&broken);
    free(a);
    free(b);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A gmm model predicts each row's responsibilities, one column per
 * component, rows summing to 1, the largest the predicted cluster; a
 * kmeans model has none to give. */
static void test_a_gmm_model_predicts_responsibilities(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris_measurements.csv", NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    dial_view all = dial_view_all(data);
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_gmm, (const char *const[]){"n_components=3", NULL});
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_gmm, &knobs, &all, &model));
    assert_int_equal(dial_model_n_proba(model), 3);
    double value[150], proba[150 * 3];
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, proba));
    for (size_t i = 0; i < 150; i++) {
        double sum = 0;
        for (size_t c = 0; c < 3; c++) {
            assert_true(proba[i * 3 + c] >= 0 &&
                        proba[i * 3 + c] <= proba[i * 3 + (size_t)value[i]]);
            sum += proba[i * 3 + c];
        }
        assert_float_equal(sum, 1, 1e-12);
    }
    dial_model_free(model);
    dial_knobs_free(&knobs);
    const dial_model_family *kmeans = dial_model_family_find("kmeans");
    knobs = test_knobs(ctx, kmeans, (const char *const[]){"k=3", NULL});
    assert_dial_ok(ctx, dial_model_fit(ctx, kmeans, &knobs, &all, &model));
    assert_int_equal(dial_model_n_proba(model), 0);
    assert_dial_error(ctx, dial_model_predict(ctx, model, &all, value, proba), DIAL_ERR_UNSUPPORTED,
                      "model 'kmeans' does clustering: it has no class probabilities");
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmm_matches_scikit_learn_from_the_same_start),
        cmocka_unit_test(test_gmm_bic_and_aic_match_scikit_learn),
        cmocka_unit_test(test_bic_needs_a_likelihood),
        cmocka_unit_test(test_gmm_fits_from_its_own_starts),
        cmocka_unit_test(test_gmm_survives_a_degenerate_component),
        cmocka_unit_test(test_a_gmm_model_survives_its_file),
        cmocka_unit_test(test_a_gmm_model_predicts_responsibilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
