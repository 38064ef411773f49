/*
 * How tight and apart clusters are, from the rows and their clusters alone
 * (eval/cluster_metrics.h), as scikit-learn 1.2 computes them:
 *  - Davies-Bouldin (Davies and Bouldin 1979): for each cluster, the worst
 *    ratio (s_i + s_j) / d(c_i, c_j) over the other clusters, s the mean
 *    distance of a cluster's rows to its centroid and d the distance
 *    between centroids; the mean over clusters. Lower is better, 0 at best.
 *  - Calinski-Harabasz (1974), the variance ratio: the spread of the
 *    centroids around the mean of all rows (weighted by cluster size) over
 *    the spread of the rows around their centroids, times (n - k) / (k -
 *    1). Higher is better.
 *  - inertia: the sum of squared distances of the rows to the mean of
 *    their cluster (what k-means makes small; on the rows a model was
 *    fitted on, its inertia). Lower is better; it grows with the rows, so
 *    compare it on the same rows only.
 * Everything is one pass for the centroids and one for the distances, in
 * row order, so a score does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/cluster_metrics.h"

/* Cluster means (k x d), sizes (k) and the mean of all rows (d). */
typedef struct dispersion {
    size_t n, d, k;
    const double *x;
    const size_t *codes;
    double *means, *overall;
    size_t *sizes;
} dispersion;

static void dispersion_means(dispersion *s) {
    size_t d = s->d;
    for (size_t i = 0; i < s->n; i++) {
        const double *row = s->x + i * d;
        double *sum = s->means + s->codes[i] * d;
        s->sizes[s->codes[i]]++;
        for (size_t j = 0; j < d; j++) {
            sum[j] += row[j];
            s->overall[j] += row[j];
        }
    }
    for (size_t c = 0; c < s->k; c++)
        for (size_t j = 0; j < d; j++) s->means[c * d + j] /= (double)s->sizes[c];
    for (size_t j = 0; j < d; j++) s->overall[j] /= (double)s->n;
}

static double squared(const double *a, const double *b, size_t d) {
    double sum = 0;
    for (size_t j = 0; j < d; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sum;
}

static double within_squares(const dispersion *s) {
    double total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += squared(s->x + i * s->d, s->means + s->codes[i] * s->d, s->d);
    return total;
}

static double calinski_harabasz(const dispersion *s) {
    double between = 0;
    for (size_t c = 0; c < s->k; c++)
        between += (double)s->sizes[c] * squared(s->means + c * s->d, s->overall, s->d);
    double within = within_squares(s);
    if (within == 0) return 1;
    return between * (double)(s->n - s->k) / (within * ((double)s->k - 1));
}

/* scratch: k + k * k values. */
static double davies_bouldin(const dispersion *s, double *scratch) {
    size_t k = s->k, d = s->d;
    double *spread = scratch, *apart = scratch + k;
    memset(spread, 0, k * sizeof *spread);
    for (size_t i = 0; i < s->n; i++)
        spread[s->codes[i]] += sqrt(squared(s->x + i * d, s->means + s->codes[i] * d, d));
    bool spread_zero = true, apart_zero = true;
    for (size_t c = 0; c < k; c++) {
        spread[c] /= (double)s->sizes[c];
        spread_zero &= fabs(spread[c]) <= 1e-8; /* numpy's allclose(., 0) */
        for (size_t o = 0; o < k; o++) {
            apart[c * k + o] = sqrt(squared(s->means + c * d, s->means + o * d, d));
            apart_zero &= fabs(apart[c * k + o]) <= 1e-8;
        }
    }
    if (spread_zero || apart_zero) return 0;
    double total = 0;
    for (size_t c = 0; c < k; c++) {
        double worst = 0;
        for (size_t o = 0; o < k; o++) {
            double between = apart[c * k + o] == 0 ? INFINITY : apart[c * k + o];
            double ratio = (spread[c] + spread[o]) / between;
            if (ratio > worst) worst = ratio;
        }
        total += worst;
    }
    return total / (double)k;
}

static dial_status dispersion_check(dial_ctx *ctx, const char *name, const dial_metric_rows *rows) {
    if (rows->n == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot compute %s on 0 rows", name);
    if (!rows->x || rows->n_inputs == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs the rows' inputs (x and n_inputs), which it measures "
                         "the clusters on; score it with dial_metric_score_rows",
                         name);
    if (!rows->y_pred)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs the predicted cluster of each row (y_pred)", name);
    for (size_t i = 0; i < rows->n * rows->n_inputs; i++)
        if (!isfinite(rows->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "%s needs finite inputs, but row %zu, input %zu is %g: fill missing "
                             "values (the impute knob)",
                             name, i / rows->n_inputs, i % rows->n_inputs, rows->x[i]);
    return DIAL_OK;
}

dial_status dial_eval_cluster_dispersion(dial_ctx *ctx, dial_metric metric,
                                         const dial_metric_rows *rows, double *score) {
    const char *name = dial_metric_name(metric);
    dial_status status = dispersion_check(ctx, name, rows);
    if (status != DIAL_OK) return status;
    size_t n = rows->n, d = rows->n_inputs;
    dispersion s = {.n = n, .d = d, .x = rows->x};
    size_t *codes = dial_malloc_array(ctx, n, sizeof *codes);
    if (!codes) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    s.codes = codes;
    status = dial_eval_cluster_codes(ctx, name, "y_pred", rows->y_pred, n, codes, &s.k);
    if (status != DIAL_OK) goto done;
    if (metric != DIAL_METRIC_INERTIA && (s.k < 2 || s.k >= n)) {
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "%s is undefined for %zu rows in %zu cluster%s: it needs at least 2 "
                           "clusters, and fewer clusters than rows",
                           name, n, s.k, s.k == 1 ? "" : "s");
        goto done;
    }
    s.means = dial_calloc(ctx, s.k * d + d + s.k + s.k * s.k, sizeof *s.means);
    s.sizes = dial_calloc(ctx, s.k, sizeof *s.sizes);
    if (!s.means || !s.sizes) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
        goto done;
    }
    s.overall = s.means + s.k * d;
    dispersion_means(&s);
    if (metric == DIAL_METRIC_DAVIES_BOULDIN)
        *score = davies_bouldin(&s, s.overall + d);
    else if (metric == DIAL_METRIC_CALINSKI_HARABASZ)
        *score = calinski_harabasz(&s);
    else
        *score = within_squares(&s);
done:
    free(codes);
    free(s.means);
    free(s.sizes);
    return status;
}
