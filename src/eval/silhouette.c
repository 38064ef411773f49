/*
 * The silhouette of a clustering (Rousseeuw 1987, "Silhouettes: a graphical
 * aid to the interpretation and validation of cluster analysis"), as
 * scikit-learn 1.2's silhouette_score computes it with the euclidean
 * distance, so figures compare with it directly.
 *
 * For row i of cluster A: a(i), the mean distance to the other rows of A;
 * b(i), the smallest mean distance to the rows of one other cluster; s(i) =
 * (b - a) / max(a, b), 0 for the only row of a cluster (and when a = b =
 * 0). The score is the mean of s(i): near 1, rows sit far closer to their
 * own cluster than to the next; near 0, on the border; below 0, nearer
 * another cluster than their own.
 *
 * Cost: every pair of rows, n^2 / 2 distances of n_inputs terms each.
 * Above max_rows rows (DIAL_SILHOUETTE_MAX_ROWS unless the caller says) a
 * sample of max_rows rows drawn without replacement from the caller's seed
 * is scored instead, as sklearn's sample_size does, so the time is bounded
 * and the same seed gives the same score. Rows are spread over the
 * context's threads; each row's s(i) is computed alone and the mean is
 * summed in row order, so the score does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/silhouette.h"

/* The stream of the sample: "silh". */
#define SILHOUETTE_SAMPLE_STREAM 0x73696c6800000000ULL

typedef struct silhouette_job {
    const dial_ctx *ctx; /* asked for the scratch memory */
    const double *x;     /* the caller's rows */
    size_t n_inputs;
    const size_t *rows;    /* the m rows scored, ascending */
    const size_t *cluster; /* m cluster ids, 0 .. k-1 */
    const size_t *counts;  /* k cluster sizes among the m rows */
    size_t m, k;
    double *s; /* m silhouettes */
} silhouette_job;

static double distance(const double *a, const double *b, size_t n_inputs) {
    double sum = 0;
    for (size_t j = 0; j < n_inputs; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sqrt(sum);
}

/* s(i) of rows begin .. end-1 of the sample. */
static dial_status silhouette_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const silhouette_job *job = arg;
    double *sums = dial_malloc_array(job->ctx, job->k, sizeof *sums);
    if (!sums) return DIAL_ERR_NOMEM;
    for (size_t i = begin; i < end; i++) {
        memset(sums, 0, job->k * sizeof *sums);
        const double *xi = job->x + job->rows[i] * job->n_inputs;
        for (size_t j = 0; j < job->m; j++)
            if (j != i)
                sums[job->cluster[j]] +=
                    distance(xi, job->x + job->rows[j] * job->n_inputs, job->n_inputs);
        size_t own = job->cluster[i];
        if (job->counts[own] < 2) {
            job->s[i] = 0;
            continue;
        }
        double a = sums[own] / (double)(job->counts[own] - 1), b = INFINITY;
        for (size_t c = 0; c < job->k; c++)
            if (c != own && sums[c] / (double)job->counts[c] < b)
                b = sums[c] / (double)job->counts[c];
        double larger = a > b ? a : b;
        job->s[i] = larger > 0 ? (b - a) / larger : 0;
    }
    free(sums);
    return DIAL_OK;
}

static int compare_sizes(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What the rows must hold: inputs, labels that are cluster indices, and
 * inputs that are numbers. */
static dial_status silhouette_check(dial_ctx *ctx, const dial_metric_rows *rows) {
    if (rows->n == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot compute silhouette on 0 rows");
    if (!rows->x || rows->n_inputs == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric 'silhouette' needs the rows' inputs (x and n_inputs), which it "
                         "measures the clusters on; score it with dial_metric_score_rows");
    if (!rows->y_pred)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric 'silhouette' needs the predicted cluster of each row (y_pred)");
    for (size_t i = 0; i < rows->n; i++) {
        double label = rows->y_pred[i];
        if (!(label >= -1) || label != floor(label) || isinf(label))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "y_pred[%zu] = %g is not a cluster index: must be an integer >= 0, "
                             "or -1 for noise",
                             i, label);
    }
    for (size_t i = 0; i < rows->n * rows->n_inputs; i++)
        if (!isfinite(rows->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "silhouette needs finite inputs, but row %zu, input %zu is %g: fill "
                             "missing values (the impute knob)",
                             i / rows->n_inputs, i % rows->n_inputs, rows->x[i]);
    return DIAL_OK;
}

/* The rows scored: all, or a seeded sample of max_rows of them, ascending. */
static size_t *silhouette_sample(const dial_ctx *ctx, const dial_metric_rows *rows, size_t *m) {
    size_t n = rows->n, cap = rows->max_rows ? rows->max_rows : DIAL_SILHOUETTE_MAX_ROWS;
    size_t *order = dial_malloc_array(ctx, n, sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < n; i++) order[i] = i;
    *m = n;
    if (n > cap) {
        /* The first cap steps of a Fisher-Yates shuffle: a uniform sample. */
        dial_rng rng = dial_rng_stream(rows->seed, SILHOUETTE_SAMPLE_STREAM);
        for (size_t i = 0; i < cap; i++) {
            size_t pick = i + (size_t)dial_rng_below(&rng, n - i);
            size_t swap = order[i];
            order[i] = order[pick];
            order[pick] = swap;
        }
        qsort(order, cap, sizeof *order, compare_sizes);
        *m = cap;
    }
    return order;
}

/* Numbers the distinct labels of the sample 0 .. k-1 in ascending order of
 * label (sklearn's LabelEncoder) into cluster, and counts each. */
static dial_status silhouette_clusters(dial_ctx *ctx, const dial_metric_rows *rows,
                                       const size_t *sample, size_t m, size_t *cluster,
                                       size_t **counts, size_t *k) {
    double *labels = dial_malloc_array(ctx, m, sizeof *labels);
    if (!labels) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    for (size_t i = 0; i < m; i++) labels[i] = rows->y_pred[sample[i]];
    qsort(labels, m, sizeof *labels, compare_doubles);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || labels[i] != labels[distinct - 1]) labels[distinct++] = labels[i];
    *k = distinct;
    *counts = dial_calloc(ctx, distinct, sizeof **counts);
    if (!*counts) {
        free(labels);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    }
    for (size_t i = 0; i < m; i++) {
        double label = rows->y_pred[sample[i]];
        const double *at = bsearch(&label, labels, distinct, sizeof *labels, compare_doubles);
        cluster[i] = (size_t)(at - labels);
        (*counts)[cluster[i]]++;
    }
    free(labels);
    return DIAL_OK;
}

dial_status dial_eval_silhouette(dial_ctx *ctx, const dial_metric_rows *rows, double *score) {
    dial_status status = silhouette_check(ctx, rows);
    if (status != DIAL_OK) return status;
    size_t m = 0, k = 0, *counts = NULL;
    size_t *sample = silhouette_sample(ctx, rows, &m);
    size_t *cluster = sample ? dial_malloc_array(ctx, m, sizeof *cluster) : NULL;
    double *s = cluster ? dial_malloc_array(ctx, m, sizeof *s) : NULL;
    if (!s) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", rows->n);
        goto done;
    }
    status = silhouette_clusters(ctx, rows, sample, m, cluster, &counts, &k);
    if (status != DIAL_OK) goto done;
    if (k < 2 || k >= m) {
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "silhouette is undefined for %zu rows in %zu cluster%s: it needs at "
                           "least 2 clusters, and fewer clusters than rows",
                           m, k, k == 1 ? "" : "s");
        goto done;
    }
    silhouette_job job = {ctx, rows->x, rows->n_inputs, sample, cluster, counts, m, k, s};
    status = dial_parallel_for(ctx, dial_ctx_threads(ctx), m, silhouette_rows, &job);
    if (status == DIAL_ERR_NOMEM)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    if (status != DIAL_OK) goto done;
    double sum = 0;
    for (size_t i = 0; i < m; i++) sum += s[i];
    *score = sum / (double)m;
done:
    free(sample);
    free(cluster);
    free(s);
    free(counts);
    return status;
}
