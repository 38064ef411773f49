/* The clustering metrics against scikit-learn 1.2 on iris, to 1e-9; the
 * figures and the clusters they score come from
 *   /usr/bin/python3 tests/eval/reference_cluster_metrics.py */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

/* iris's measurements, its species codes, and the script's clusters. */
typedef struct iris_rows {
    size_t n, d;
    double *x, *species, *clusters;
} iris_rows;

static iris_rows load_iris(void) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    iris_rows rows = {data->n_rows, data->n_features, NULL, NULL, NULL};
    rows.x = malloc(rows.n * rows.d * sizeof *rows.x);
    rows.species = malloc(rows.n * sizeof *rows.species);
    rows.clusters = malloc(rows.n * sizeof *rows.clusters);
    static const double renumber[3] = {0, 2, 5};
    for (size_t i = 0; i < rows.n; i++) {
        for (size_t j = 0; j < rows.d; j++) rows.x[i * rows.d + j] = data->features[j]->values[i];
        rows.species[i] = data->y[i];
        size_t moved = i % 10 == 0 ? ((size_t)data->y[i] + 1) % 3 : (size_t)data->y[i];
        rows.clusters[i] = renumber[moved];
    }
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return rows;
}

static void free_iris(iris_rows *rows) {
    free(rows->x);
    free(rows->species);
    free(rows->clusters);
}

static double score(dial_metric metric, const dial_metric_rows *rows) {
    dial_ctx *ctx = test_ctx();
    double value = NAN;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, metric, rows, &value));
    dial_ctx_free(ctx);
    return value;
}

static void assert_relative(double value, double expected) {
    if (!(fabs(value - expected) <= 1e-9 * fabs(expected) + 1e-12))
        fail_msg("%.17g, scikit-learn's %.17g", value, expected);
}

static void test_cluster_metrics_equal_scikit_learns_on_iris(void **state) {
    (void)state;
    iris_rows iris = load_iris();
    dial_metric_rows rows = {.n = iris.n,
                             .y_true = iris.species,
                             .y_pred = iris.clusters,
                             .x = iris.x,
                             .n_inputs = iris.d};
    assert_relative(score(DIAL_METRIC_DAVIES_BOULDIN, &rows), 1.013623647034211);
    assert_relative(score(DIAL_METRIC_CALINSKI_HARABASZ, &rows), 119.79073036418238);
    assert_relative(score(DIAL_METRIC_INERTIA, &rows), 259.0954);
    assert_relative(score(DIAL_METRIC_SILHOUETTE, &rows), 0.3190289340451141);
    assert_relative(score(DIAL_METRIC_ADJUSTED_RAND, &rows), 0.726326530612245);
    assert_relative(score(DIAL_METRIC_NORMALIZED_MUTUAL_INFO, &rows), 0.7040967257106153);
    free_iris(&iris);
}

/* The limits scikit-learn gives: one cluster (ARI and NMI 0), every row
 * its own cluster (ARI 0, NMI 0.3597), the labels themselves (1). */
static void test_agreement_at_its_limits(void **state) {
    (void)state;
    iris_rows iris = load_iris();
    double *own = malloc(iris.n * sizeof *own), *one = calloc(iris.n, sizeof *one);
    for (size_t i = 0; i < iris.n; i++) own[i] = (double)i;
    dial_metric_rows rows = {.n = iris.n, .y_true = iris.species, .y_pred = one};
    assert_relative(score(DIAL_METRIC_ADJUSTED_RAND, &rows), 0);
    assert_relative(score(DIAL_METRIC_NORMALIZED_MUTUAL_INFO, &rows), 0);
    rows.y_pred = own;
    assert_relative(score(DIAL_METRIC_ADJUSTED_RAND, &rows), 0);
    assert_relative(score(DIAL_METRIC_NORMALIZED_MUTUAL_INFO, &rows), 0.35965551364051956);
    rows.y_pred = iris.species;
    assert_relative(score(DIAL_METRIC_ADJUSTED_RAND, &rows), 1);
    assert_relative(score(DIAL_METRIC_NORMALIZED_MUTUAL_INFO, &rows), 1);
    free(own);
    free(one);
    free_iris(&iris);
}

static void test_cluster_metrics_say_what_they_miss(void **state) {
    (void)state;
    iris_rows iris = load_iris();
    dial_ctx *ctx = test_ctx();
    double value = 0, *one = calloc(iris.n, sizeof *one);
    dial_metric_rows rows = {.n = iris.n, .y_pred = iris.clusters, .x = iris.x, .n_inputs = 4};
    assert_dial_error(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_ADJUSTED_RAND, &rows, &value),
                      DIAL_ERR_ARGUMENT,
                      "metric 'adjusted_rand' compares the clusters with known labels, but the "
                      "rows have none: name the labels' column (dial: --labels COLUMN), or score "
                      "with silhouette");
    rows.y_pred = one;
    assert_dial_error(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_DAVIES_BOULDIN, &rows, &value),
                      DIAL_ERR_ARGUMENT,
                      "davies_bouldin is undefined for 150 rows in 1 cluster: it needs at least "
                      "2 clusters, and fewer clusters than rows");
    /* inertia is defined for one cluster: the spread around the mean */
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_INERTIA, &rows, &value));
    assert_true(value > 0);
    one[3] = 1.5;
    assert_dial_error(
        ctx, dial_metric_score_rows(ctx, DIAL_METRIC_CALINSKI_HARABASZ, &rows, &value),
        DIAL_ERR_ARGUMENT,
        "metric 'calinski_harabasz': y_pred[3] = 1.5 is not a cluster index: must be an "
        "integer >= 0, or -1 for noise");
    rows.x = NULL;
    assert_dial_error(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_INERTIA, &rows, &value),
                      DIAL_ERR_ARGUMENT,
                      "metric 'inertia' needs the rows' inputs (x and n_inputs), which it "
                      "measures the clusters on; score it with dial_metric_score_rows");
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_DAVIES_BOULDIN));
    assert_false(dial_metric_greater_is_better(DIAL_METRIC_INERTIA));
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_CALINSKI_HARABASZ));
    assert_true(dial_metric_needs_labels(DIAL_METRIC_NORMALIZED_MUTUAL_INFO));
    assert_false(dial_metric_needs_labels(DIAL_METRIC_SILHOUETTE));
    dial_metric parsed;
    assert_dial_ok(ctx, dial_metric_parse(ctx, "calinski_harabasz", &parsed));
    assert_int_equal(parsed, DIAL_METRIC_CALINSKI_HARABASZ);
    assert_int_equal(dial_metric_task(parsed), DIAL_TASK_CLUSTERING);
    free(one);
    dial_ctx_free(ctx);
    free_iris(&iris);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_metrics_equal_scikit_learns_on_iris),
        cmocka_unit_test(test_agreement_at_its_limits),
        cmocka_unit_test(test_cluster_metrics_say_what_they_miss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
