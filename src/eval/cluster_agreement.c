/*
 * How well clusters agree with known labels (eval/cluster_metrics.h), as
 * scikit-learn 1.2 computes them; neither cares how either side numbers
 * its groups:
 *  - adjusted Rand index (Hubert and Arabie 1985): over every pair of
 *    rows, how often the two sides agree on "same group or not", corrected
 *    for chance: 1 for the same partition, about 0 for a random one (it
 *    may go below 0).
 *  - normalised mutual information: the mutual information of the two
 *    labellings over the arithmetic mean of their entropies, in [0, 1].
 * Both read the contingency table of (label, cluster) pairs, built here by
 * sorting the pairs, so a clustering with as many clusters as rows costs
 * n log n, not n^2.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "eval/cluster_metrics.h"

/* The table's nonzero cells, and its row and column sums. */
typedef struct contingency {
    size_t n, n_true, n_pred, n_cells;
    size_t *cell_true, *cell_pred; /* n_cells each */
    double *cell_count;            /* n_cells */
    double *true_sums, *pred_sums; /* n_true, n_pred */
} contingency;

static int compare_sizes(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void contingency_free(contingency *t) {
    free(t->cell_true);
    free(t->cell_count);
    free(t->true_sums);
}

static dial_status contingency_build(dial_ctx *ctx, const char *name, const dial_metric_rows *rows,
                                     contingency *t) {
    size_t n = rows->n;
    *t = (contingency){.n = n};
    size_t *codes = dial_malloc_array(ctx, 2 * n, sizeof *codes);
    if (!codes) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    size_t *truth = codes, *pred = codes + n;
    dial_status status =
        dial_eval_cluster_codes(ctx, name, "y_true", rows->y_true, n, truth, &t->n_true);
    if (status == DIAL_OK)
        status = dial_eval_cluster_codes(ctx, name, "y_pred", rows->y_pred, n, pred, &t->n_pred);
    if (status != DIAL_OK) {
        free(codes);
        return status;
    }
    /* A pair's key orders it by label, then cluster; n_true * n_pred <=
     * n^2 fits a size_t for any n that fits in memory. */
    for (size_t i = 0; i < n; i++) truth[i] = truth[i] * t->n_pred + pred[i];
    qsort(truth, n, sizeof *truth, compare_sizes);
    size_t cells = 0;
    for (size_t i = 0; i < n; i++) cells += i == 0 || truth[i] != truth[i - 1];
    t->cell_true = dial_malloc_array(ctx, 2 * cells, sizeof *t->cell_true);
    t->cell_count = dial_malloc_array(ctx, cells, sizeof *t->cell_count);
    t->true_sums = dial_calloc(ctx, t->n_true + t->n_pred, sizeof *t->true_sums);
    if (!t->cell_true || !t->cell_count || !t->true_sums) {
        free(codes);
        contingency_free(t);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    }
    t->cell_pred = t->cell_true + cells;
    t->pred_sums = t->true_sums + t->n_true;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || truth[i] != truth[i - 1]) {
            t->cell_true[t->n_cells] = truth[i] / t->n_pred;
            t->cell_pred[t->n_cells] = truth[i] % t->n_pred;
            t->cell_count[t->n_cells++] = 0;
        }
        t->cell_count[t->n_cells - 1] += 1;
        t->true_sums[truth[i] / t->n_pred] += 1;
        t->pred_sums[truth[i] % t->n_pred] += 1;
    }
    free(codes);
    return DIAL_OK;
}

/* scikit-learn's adjusted_rand_score, from its pair confusion matrix. */
static double adjusted_rand(const contingency *t) {
    double n = (double)t->n, squares = 0, true_squares = 0, pred_squares = 0;
    for (size_t c = 0; c < t->n_cells; c++) squares += t->cell_count[c] * t->cell_count[c];
    for (size_t i = 0; i < t->n_true; i++) true_squares += t->true_sums[i] * t->true_sums[i];
    for (size_t j = 0; j < t->n_pred; j++) pred_squares += t->pred_sums[j] * t->pred_sums[j];
    double tp = squares - n, fp = pred_squares - squares, fn = true_squares - squares;
    double tn = n * n - fp - fn - squares;
    if (fn == 0 && fp == 0) return 1;
    return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

static double entropy(const double *sums, size_t k, double n) {
    double total = 0;
    for (size_t i = 0; i < k; i++)
        if (sums[i] > 0) total += sums[i] / n * (log(sums[i]) - log(n));
    return -total;
}

/* scikit-learn's normalized_mutual_info_score, average_method arithmetic. */
static double normalized_mutual_info(const contingency *t) {
    if (t->n_true == 1 && t->n_pred == 1) return 1; /* neither splits the rows: a match */
    if (t->n_true == 1 || t->n_pred == 1) return 0;
    double n = (double)t->n, log_n = log(n), mi = 0;
    for (size_t c = 0; c < t->n_cells; c++) {
        double count = t->cell_count[c], share = count / n;
        double outer = t->true_sums[t->cell_true[c]] * t->pred_sums[t->cell_pred[c]];
        double term = share * (log(count) - log_n) + share * (-log(outer) + log_n + log_n);
        mi += fabs(term) < DBL_EPSILON ? 0 : term;
    }
    if (mi < 0) mi = 0;
    if (mi == 0) return 0;
    double mean_entropy =
        (entropy(t->true_sums, t->n_true, n) + entropy(t->pred_sums, t->n_pred, n)) / 2;
    return mi / mean_entropy;
}

dial_status dial_eval_cluster_agreement(dial_ctx *ctx, dial_metric metric,
                                        const dial_metric_rows *rows, double *score) {
    const char *name = dial_metric_name(metric);
    if (rows->n == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot compute %s on 0 rows", name);
    if (!rows->y_true)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' compares the clusters with known labels, but the rows have "
                         "none: name the labels' column (dial: --labels COLUMN), or score with "
                         "silhouette",
                         name);
    if (!rows->y_pred)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs the predicted cluster of each row (y_pred)", name);
    contingency t;
    dial_status status = contingency_build(ctx, name, rows, &t);
    if (status != DIAL_OK) return status;
    *score = metric == DIAL_METRIC_ADJUSTED_RAND ? adjusted_rand(&t) : normalized_mutual_info(&t);
    contingency_free(&t);
    return DIAL_OK;
}
