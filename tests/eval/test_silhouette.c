/* The silhouette of a clustering (DIAL_METRIC_SILHOUETTE, src/eval/silhouette.c):
 * against figures worked out by hand and against scikit-learn 1.2's
 * silhouette_score, and every way it refuses rows. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

/* cmocka's assert_float_equal compares floats; these figures need doubles. */
static void assert_close(double got, double want, double tolerance) {
    if (!(fabs(got - want) <= tolerance))
        fail_msg("got %.17g, expected %.17g (tolerance %g)", got, want, tolerance);
}

static double silhouette(const double *x, size_t n_inputs, const double *labels, size_t n) {
    dial_ctx *ctx = test_ctx();
    dial_metric_rows rows = {.n = n, .y_pred = labels, .x = x, .n_inputs = n_inputs};
    double score = NAN;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, &rows, &score));
    dial_ctx_free(ctx);
    return score;
}

/* ---- figures ------------------------------------------------------------------ */

/* Rows 0, 1 | 4, 5 on a line. Row 0: a = 1, b = (4 + 5) / 2 = 4.5, s =
 * 3.5 / 4.5 = 7/9; row 1: a = 1, b = 3.5, s = 5/7; the other two mirror
 * them. Mean: (7/9 + 5/7) / 2 = 47/63 (sklearn: 0.746031746031746). */
static void test_two_clusters_on_a_line_give_the_hand_computed_mean(void **state) {
    (void)state;
    const double x[] = {0, 1, 4, 5}, labels[] = {0, 0, 1, 1};
    assert_close(silhouette(x, 1, labels, 4), 47.0 / 63.0, 1e-15);
}

/* A cluster of one row counts 0, and its distance still makes b of the
 * others: row 20 alone gives (2 (7/9 + 5/7) + 0) / 5 = 188/315 (sklearn:
 * 0.5968253968253968). */
static void test_a_row_alone_in_its_cluster_counts_zero(void **state) {
    (void)state;
    const double x[] = {0, 1, 4, 5, 20}, labels[] = {0, 0, 1, 1, 2};
    assert_close(silhouette(x, 1, labels, 5), 188.0 / 315.0, 1e-15);
}

/* Labels are names of clusters, not ranks: 5, 2, 9 score as 0, 1, 2 would.
 * sklearn: silhouette_score([[0,0],[0,3],[4,0],[4,3],[10,10],[11,10]],
 * [5,5,2,2,9,9]) = 0.5245135946959493. */
static void test_any_integer_labels_name_the_clusters(void **state) {
    (void)state;
    const double x[] = {0, 0, 0, 3, 4, 0, 4, 3, 10, 10, 11, 10};
    const double named[] = {5, 5, 2, 2, 9, 9}, ranked[] = {0, 0, 1, 1, 2, 2};
    assert_close(silhouette(x, 2, named, 6), 0.5245135946959493, 1e-12);
    assert_true(silhouette(x, 2, named, 6) == silhouette(x, 2, ranked, 6));
}

/* iris's four measurements, labelled by species: sklearn 1.2 gives
 *   /usr/bin/python3 -c "import pandas as pd; from sklearn.metrics import
 *   silhouette_score; d = pd.read_csv('data/iris.csv');
 *   print(repr(silhouette_score(d.iloc[:, :4].values, pd.factorize(d.species)[0])))"
 * 0.5034774406932966. */
typedef struct iris_rows {
    dial_table *table;
    dial_dataset *data;
    double *x, *species;
} iris_rows;

static iris_rows iris_load(dial_ctx *ctx) {
    iris_rows iris = {0};
    iris.data = test_load_dataset(ctx, "data/iris.csv", "species", &iris.table);
    size_t n = iris.data->n_rows, d = iris.data->n_features;
    iris.x = malloc(n * d * sizeof *iris.x);
    assert_non_null(iris.x);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) iris.x[i * d + j] = iris.data->features[j]->values[i];
    iris.species = iris.data->y;
    return iris;
}

static void iris_free(iris_rows *iris) {
    free(iris->x);
    dial_dataset_free(iris->data);
    dial_table_free(iris->table);
}

static void test_iris_by_species_matches_sklearn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    iris_rows iris = iris_load(ctx);
    assert_close(silhouette(iris.x, 4, iris.species, 150), 0.5034774406932966, 1e-12);
    iris_free(&iris);
    dial_ctx_free(ctx);
}

/* A labelled set's inputs (row-major) and labels, the whole file scored
 * (max_rows = its rows) on threads threads. */
static double file_silhouette(const char *path, const char *target, int threads) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, threads);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    size_t n = data->n_rows, d = data->n_features;
    double *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) x[i * d + j] = data->features[j]->values[i];
    dial_metric_rows rows = {.n = n, .y_pred = data->y, .x = x, .n_inputs = d, .max_rows = n};
    double score = NAN;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, &rows, &score));
    free(x);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return score;
}

/* The distances come from dot products in blocks (|x|^2 + |y|^2 - 2 x.y),
 * with the near duplicates measured difference by difference: digits (1797
 * rows of 64 pixels, many alike), by digit, is scikit-learn's figure to
 * 1e-9:
 *   /usr/bin/python3 -c "import pandas as pd; from sklearn.metrics import
 *   silhouette_score; d = pd.read_csv('data/digits.csv'); print(repr(
 *   silhouette_score(d.drop(columns=['digit']).values.astype(float), d.digit)))"
 * 0.1629432052257522. */
static void test_digits_by_digit_matches_sklearn_to_1e_9(void **state) {
    (void)state;
    assert_close(file_silhouette("data/digits.csv", "digit", 1), 0.1629432052257522, 1e-9);
}

/* Every one of letter's 20,000 rows (max_rows = 20,000: no sample; many
 * blocks of rows and of columns, on 2 threads), by letter, is
 * scikit-learn's silhouette_score to 1e-9 (as above, with
 * /work/shared/data/letter.csv, the labels pd.factorize(d.lettr)[0]):
 * 0.008646092723126967. Skipped without the shared data folder. */
static void test_the_exact_silhouette_of_20000_rows_matches_sklearn(void **state) {
    (void)state;
    const char *path = "../shared/data/letter.csv";
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_message("skipped: %s is not there (the shared data folder beside the "
                      "repository)\n",
                      path);
        return;
    }
    fclose(f);
    assert_close(file_silhouette(path, "lettr", 2), 0.008646092723126967, 1e-9);
}

/* ---- many rows: a seeded sample ------------------------------------------------- */

static double iris_sampled(dial_ctx *ctx, const iris_rows *iris, size_t max_rows, uint64_t seed) {
    dial_metric_rows rows = {.n = 150,
                             .y_pred = iris->species,
                             .x = iris->x,
                             .n_inputs = 4,
                             .seed = seed,
                             .max_rows = max_rows};
    double score = NAN;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, &rows, &score));
    return score;
}

static void test_up_to_max_rows_every_row_is_scored(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    iris_rows iris = iris_load(ctx);
    double all = silhouette(iris.x, 4, iris.species, 150);
    assert_true(iris_sampled(ctx, &iris, 150, 7) == all);
    assert_true(iris_sampled(ctx, &iris, 0, 7) == all); /* 0: DIAL_SILHOUETTE_MAX_ROWS */
    iris_free(&iris);
    dial_ctx_free(ctx);
}

static void test_above_max_rows_a_sample_drawn_from_the_seed_is_scored(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    iris_rows iris = iris_load(ctx);
    double all = silhouette(iris.x, 4, iris.species, 150);
    double first = iris_sampled(ctx, &iris, 60, 7);
    assert_true(iris_sampled(ctx, &iris, 60, 7) == first);
    assert_true(iris_sampled(ctx, &iris, 60, 8) != first);
    assert_true(first != all);
    assert_true(fabs(first - all) < 0.1);
    iris_free(&iris);
    dial_ctx_free(ctx);
}

static void test_the_thread_count_does_not_change_the_score(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    iris_rows iris = iris_load(ctx);
    double one = iris_sampled(ctx, &iris, 0, 1);
    dial_ctx_set_threads(ctx, 4);
    assert_true(iris_sampled(ctx, &iris, 0, 1) == one);
    iris_free(&iris);
    dial_ctx_free(ctx);
}

/* ---- what it refuses ------------------------------------------------------------ */

static void expect_refusal(const dial_metric_rows *rows, dial_status status, const char *message) {
    dial_ctx *ctx = test_ctx();
    double score = 42;
    assert_dial_error(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, rows, &score),
                      status, message);
    assert_true(score == 42);
    dial_ctx_free(ctx);
}

static void test_one_cluster_is_undefined(void **state) {
    (void)state;
    const double x[] = {0, 1, 4, 5}, labels[] = {3, 3, 3, 3};
    dial_metric_rows rows = {.n = 4, .y_pred = labels, .x = x, .n_inputs = 1};
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "silhouette is undefined for 4 rows in 1 cluster: it needs at least 2 "
                   "clusters, and fewer clusters than rows");
}

static void test_a_cluster_per_row_is_undefined(void **state) {
    (void)state;
    const double x[] = {0, 1, 4}, labels[] = {0, 1, 2};
    dial_metric_rows rows = {.n = 3, .y_pred = labels, .x = x, .n_inputs = 1};
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "silhouette is undefined for 3 rows in 3 clusters: it needs at least 2 "
                   "clusters, and fewer clusters than rows");
}

static void test_a_label_that_is_no_cluster_index_is_refused(void **state) {
    (void)state;
    const double x[] = {0, 1, 4, 5}, labels[] = {0, 0.5, 1, 1}, negative[] = {0, 0, -2, -2};
    dial_metric_rows rows = {.n = 4, .y_pred = labels, .x = x, .n_inputs = 1};
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "y_pred[1] = 0.5 is not a cluster index: must be an integer >= 0, or -1 for "
                   "noise");
    rows.y_pred = negative;
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "y_pred[2] = -2 is not a cluster index: must be an integer >= 0, or -1 for "
                   "noise");
}

/* dbscan's noise (-1) counts as one more cluster, as scikit-learn's
 * silhouette_score counts it: {0, 0, -1, -1} scores as {1, 1, 0, 0}. */
static void test_noise_is_scored_as_a_cluster_of_its_own(void **state) {
    (void)state;
    const double x[] = {0, 1, 4, 5}, noise[] = {0, 0, -1, -1}, shifted[] = {1, 1, 0, 0};
    dial_metric_rows rows = {.n = 4, .y_pred = noise, .x = x, .n_inputs = 1};
    dial_ctx *ctx = test_ctx();
    double a = 0, b = 1;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, &rows, &a));
    rows.y_pred = shifted;
    assert_dial_ok(ctx, dial_metric_score_rows(ctx, DIAL_METRIC_SILHOUETTE, &rows, &b));
    assert_true(a == b);
    dial_ctx_free(ctx);
}

static void test_a_missing_input_is_refused_with_its_row(void **state) {
    (void)state;
    const double x[] = {0, 0, 1, 1, 4, NAN, 5, 5}, labels[] = {0, 0, 1, 1};
    dial_metric_rows rows = {.n = 4, .y_pred = labels, .x = x, .n_inputs = 2};
    expect_refusal(&rows, DIAL_ERR_DATA,
                   "silhouette needs finite inputs, but row 2, input 1 is nan: fill missing "
                   "values (the impute knob)");
}

static void test_without_the_inputs_it_says_where_to_give_them(void **state) {
    (void)state;
    const double labels[] = {0, 0, 1, 1};
    dial_metric_rows rows = {.n = 4, .y_pred = labels};
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "metric 'silhouette' needs the rows' inputs (x and n_inputs), which it "
                   "measures the clusters on; score it with dial_metric_score_rows");
    dial_ctx *ctx = test_ctx();
    double score;
    assert_dial_error(
        ctx, dial_metric_score(ctx, DIAL_METRIC_SILHOUETTE, NULL, labels, NULL, 4, 0, &score),
        DIAL_ERR_ARGUMENT,
        "metric 'silhouette' needs the rows' inputs (x and n_inputs), which it "
        "measures the clusters on; score it with dial_metric_score_rows");
    dial_ctx_free(ctx);
}

static void test_zero_rows_and_no_labels_are_refused(void **state) {
    (void)state;
    const double x[] = {0, 1};
    dial_metric_rows rows = {.n = 0, .x = x, .n_inputs = 1};
    expect_refusal(&rows, DIAL_ERR_ARGUMENT, "cannot compute silhouette on 0 rows");
    rows.n = 2;
    expect_refusal(&rows, DIAL_ERR_ARGUMENT,
                   "metric 'silhouette' needs the predicted cluster of each row (y_pred)");
}

/* ---- name, direction, task -------------------------------------------------------- */

static void test_silhouette_is_the_clustering_metric_and_greater_is_better(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_metric parsed = DIAL_METRIC_COUNT;
    assert_dial_ok(ctx, dial_metric_parse(ctx, "silhouette", &parsed));
    assert_int_equal(parsed, DIAL_METRIC_SILHOUETTE);
    assert_string_equal(dial_metric_name(DIAL_METRIC_SILHOUETTE), "silhouette");
    assert_true(dial_metric_greater_is_better(DIAL_METRIC_SILHOUETTE));
    assert_false(dial_metric_needs_proba(DIAL_METRIC_SILHOUETTE));
    assert_int_equal(dial_metric_task(DIAL_METRIC_SILHOUETTE), DIAL_TASK_CLUSTERING);
    assert_int_equal(dial_metric_default(DIAL_TASK_CLUSTERING), DIAL_METRIC_SILHOUETTE);
    assert_string_equal(dial_task_name(DIAL_TASK_CLUSTERING), "clustering");
    assert_false(dial_task_needs_target(DIAL_TASK_CLUSTERING));
    assert_true(dial_task_needs_target(DIAL_TASK_CLASSIFICATION));
    assert_true(dial_task_needs_target(DIAL_TASK_REGRESSION));
    assert_dial_error(ctx, dial_metric_parse(ctx, "silhoute", &parsed), DIAL_ERR_ARGUMENT,
                      "unknown metric 'silhoute'; did you mean 'silhouette'? metrics are: "
                      "accuracy, balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, "
                      "silhouette, davies_bouldin, calinski_harabasz, inertia, adjusted_rand, "
                      "normalized_mutual_info, bic, aic");
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_clusters_on_a_line_give_the_hand_computed_mean),
        cmocka_unit_test(test_a_row_alone_in_its_cluster_counts_zero),
        cmocka_unit_test(test_any_integer_labels_name_the_clusters),
        cmocka_unit_test(test_iris_by_species_matches_sklearn),
        cmocka_unit_test(test_digits_by_digit_matches_sklearn_to_1e_9),
        cmocka_unit_test(test_the_exact_silhouette_of_20000_rows_matches_sklearn),
        cmocka_unit_test(test_up_to_max_rows_every_row_is_scored),
        cmocka_unit_test(test_above_max_rows_a_sample_drawn_from_the_seed_is_scored),
        cmocka_unit_test(test_the_thread_count_does_not_change_the_score),
        cmocka_unit_test(test_one_cluster_is_undefined),
        cmocka_unit_test(test_a_cluster_per_row_is_undefined),
        cmocka_unit_test(test_a_label_that_is_no_cluster_index_is_refused),
        cmocka_unit_test(test_noise_is_scored_as_a_cluster_of_its_own),
        cmocka_unit_test(test_a_missing_input_is_refused_with_its_row),
        cmocka_unit_test(test_without_the_inputs_it_says_where_to_give_them),
        cmocka_unit_test(test_zero_rows_and_no_labels_are_refused),
        cmocka_unit_test(test_silhouette_is_the_clustering_metric_and_greater_is_better),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
