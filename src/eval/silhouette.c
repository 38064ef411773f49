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
 * Cost: every pair of rows, n^2 distances of n_inputs terms each. Above
 * max_rows rows (DIAL_SILHOUETTE_MAX_ROWS unless the caller says) a sample
 * of max_rows rows drawn without replacement from the caller's seed is
 * scored instead, as sklearn's sample_size does, so the time is bounded
 * and the same seed gives the same score; a caller that wants every row
 * sets max_rows to the row count.
 *
 * How: the rows are put in cluster order and centred, and the distances
 * of a block of rows to a block of columns come from one cblas_dgemm
 * (|x|^2 + |y|^2 - 2 x.y, as scikit-learn's euclidean_distances), several
 * times faster than difference by difference; a square that lost too many
 * digits to the subtraction is measured again difference by difference.
 * In cluster order, a row's sum over a cluster is one run of columns.
 * Blocks of rows are the items of a thread team; each row's s(i) is
 * computed alone, its sums in column order, and the mean summed in one
 * order, so the score does not depend on the thread count.
 */
#include <cblas.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/team.h"
#include "eval/silhouette.h"

/* The stream of the sample: "silh". */
#define SILHOUETTE_SAMPLE_STREAM 0x73696c6800000000ULL

/* Rows of the sample per item of the team's work, and sample rows per
 * cblas_dgemm against them: the dot products of a block (SILHOUETTE_ROWS x
 * SILHOUETTE_COLUMNS, 1 MiB) stay in cache while they are summed. */
#define SILHOUETTE_ROWS 64
#define SILHOUETTE_COLUMNS 2048

/* A distance whose square from |x|^2 + |y|^2 - 2 x.y is below this share
 * of |x|^2 + |y|^2 has lost too many digits to the subtraction (near
 * duplicates; a row and itself): it is measured difference by
 * difference instead. Above it, the relative error of the square is at
 * most about 2e-16 / 1e-4. */
#define SILHOUETTE_CANCELLATION 1e-4

typedef struct silhouette_job {
    const double *x;     /* m x n_inputs: the sample in cluster order, centred */
    const double *norms; /* m: their squared norms */
    size_t n_inputs;
    const size_t *starts; /* k + 1: where each cluster's rows begin in x */
    size_t m, k;
    double *scratch; /* workers x (SILHOUETTE_ROWS x SILHOUETTE_COLUMNS + SILHOUETTE_ROWS x k) */
    double *s;       /* m silhouettes, in cluster order */
} silhouette_job;

static double squared_distance(const double *a, const double *b, size_t n_inputs) {
    double sum = 0;
    for (size_t j = 0; j < n_inputs; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sum;
}

/* The distances of row i to columns from .. from+width-1, in place of
 * their dot products with it. Three passes the compiler (or SSE2, for the
 * square roots, which C's sqrt cannot vectorise while it may set errno)
 * runs on pairs of numbers; the rare square that lost its digits is
 * measured again between the first two. */
static void silhouette_distances(const silhouette_job *job, size_t i, size_t from, size_t width,
                                 double *restrict row) {
    const double *norms = job->norms + from, own = job->norms[i];
    for (size_t j = 0; j < width; j++) row[j] = own + norms[j] - 2 * row[j];
    for (size_t j = 0; j < width; j++)
        if (row[j] < SILHOUETTE_CANCELLATION * (own + norms[j]))
            row[j] = squared_distance(job->x + i * job->n_inputs,
                                      job->x + (from + j) * job->n_inputs, job->n_inputs);
    size_t j = 0;
#ifdef __SSE2__
    for (; j + 2 <= width; j += 2) _mm_storeu_pd(row + j, _mm_sqrt_pd(_mm_loadu_pd(row + j)));
#endif
    for (; j < width; j++) row[j] = sqrt(row[j]);
}

/* The sum of n numbers in four running sums (every fourth number), so the
 * additions do not wait on each other; a fixed order all the same. */
static double silhouette_sum(const double *values, size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += values[j];
        s1 += values[j + 1];
        s2 += values[j + 2];
        s3 += values[j + 3];
    }
    for (; j < n; j++) s0 += values[j];
    return (s0 + s1) + (s2 + s3);
}

/* Adds the distances of rows begin .. begin+rows-1 to columns from .. to-1
 * (of the sample in cluster order) into sums (rows x k): per cluster, the
 * run of its columns in this block. */
static void silhouette_block(const silhouette_job *job, size_t begin, size_t rows, size_t from,
                             size_t to, double *dots, double *sums) {
    size_t d = job->n_inputs, width = to - from;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)width, (int)d, 1.0,
                job->x + begin * d, (int)d, job->x + from * d, (int)d, 0.0, dots, (int)width);
    for (size_t r = 0; r < rows; r++) {
        double *row = dots + r * width;
        silhouette_distances(job, begin + r, from, width, row);
        double *row_sums = sums + r * job->k;
        size_t c = 0;
        while (job->starts[c + 1] <= from) c++;
        for (size_t j = from; j < to; c++) {
            size_t end = job->starts[c + 1] < to ? job->starts[c + 1] : to;
            row_sums[c] += silhouette_sum(row + (j - from), end - j);
            j = end;
        }
    }
}

/* s(i) of the rows of item `item` (SILHOUETTE_ROWS of the sample). */
static void silhouette_item(void *arg, size_t item, int worker) {
    const silhouette_job *job = arg;
    size_t k = job->k, begin = item * SILHOUETTE_ROWS, rows = SILHOUETTE_ROWS;
    if (begin + rows > job->m) rows = job->m - begin;
    double *dots = job->scratch +
                   (size_t)worker * (SILHOUETTE_ROWS * SILHOUETTE_COLUMNS + SILHOUETTE_ROWS * k);
    double *sums = dots + SILHOUETTE_ROWS * SILHOUETTE_COLUMNS;
    memset(sums, 0, rows * k * sizeof *sums);
    for (size_t from = 0; from < job->m; from += SILHOUETTE_COLUMNS) {
        size_t to = from + SILHOUETTE_COLUMNS < job->m ? from + SILHOUETTE_COLUMNS : job->m;
        silhouette_block(job, begin, rows, from, to, dots, sums);
    }
    for (size_t r = 0; r < rows; r++) {
        size_t i = begin + r, own = 0;
        while (job->starts[own + 1] <= i) own++;
        const double *row_sums = sums + r * k;
        size_t own_count = job->starts[own + 1] - job->starts[own];
        if (own_count < 2) {
            job->s[i] = 0;
            continue;
        }
        double a = row_sums[own] / (double)(own_count - 1), b = INFINITY;
        for (size_t c = 0; c < k; c++) {
            double mean = row_sums[c] / (double)(job->starts[c + 1] - job->starts[c]);
            if (c != own && mean < b) b = mean;
        }
        double larger = a > b ? a : b;
        job->s[i] = larger > 0 ? (b - a) / larger : 0;
    }
}

/* The sample's rows in cluster order (each cluster's in sample order),
 * centred on their mean (distances do not change, and the norms that the
 * dot products subtract shrink, so fewer digits are lost), with their
 * squared norms and where each cluster starts. */
static void silhouette_gather(const dial_metric_rows *rows, const size_t *sample,
                              const size_t *cluster, size_t m, size_t k, const size_t *counts,
                              double *x, double *norms, size_t *starts, double *mean) {
    size_t d = rows->n_inputs;
    starts[0] = 0;
    for (size_t c = 0; c < k; c++) starts[c + 1] = starts[c] + counts[c];
    memset(mean, 0, d * sizeof *mean);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < d; j++) mean[j] += rows->x[sample[i] * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)m;
    /* starts[c] .. moves along as cluster c's rows are placed */
    size_t *next = starts + k + 1;
    memcpy(next, starts, k * sizeof *next);
    for (size_t i = 0; i < m; i++) {
        size_t at = next[cluster[i]]++;
        const double *from = rows->x + sample[i] * d;
        double norm = 0;
        for (size_t j = 0; j < d; j++) {
            double v = from[j] - mean[j];
            x[at * d + j] = v;
            norm += v * v;
        }
        norms[at] = norm;
    }
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

/* s(i) of the m sample rows into s, in cluster order, on the context's
 * threads. Errors: DIAL_ERR_NOMEM. */
static dial_status silhouette_run(dial_ctx *ctx, const dial_metric_rows *rows, const size_t *sample,
                                  const size_t *cluster, size_t m, size_t k, const size_t *counts,
                                  double *s) {
    size_t d = rows->n_inputs, items = (m + SILHOUETTE_ROWS - 1) / SILHOUETTE_ROWS;
    int threads = dial_ctx_threads(ctx);
    /* A thread pays off only for some thousands of distances. */
    if (m * m * d < 1000000 || threads < 1) threads = 1;
    size_t per_worker = SILHOUETTE_ROWS * SILHOUETTE_COLUMNS + SILHOUETTE_ROWS * k;
    double *x = dial_malloc_array(ctx, m * d, sizeof *x);
    double *norms = dial_malloc_array(ctx, m + d, sizeof *norms);
    size_t *starts = dial_malloc_array(ctx, 2 * k + 1, sizeof *starts);
    double *scratch = dial_malloc_array(ctx, (size_t)threads * per_worker, sizeof *scratch);
    dial_team *team = NULL;
    dial_status status = x && norms && starts && scratch
                             ? dial_team_start(ctx, threads, &team)
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    if (status == DIAL_OK) {
        silhouette_gather(rows, sample, cluster, m, k, counts, x, norms, starts, norms + m);
        silhouette_job job = {x, norms, d, starts, m, k, scratch, s};
        dial_team_run(team, silhouette_item, &job, items);
    }
    dial_team_stop(team);
    free(x);
    free(norms);
    free(starts);
    free(scratch);
    return status;
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
    status = silhouette_run(ctx, rows, sample, cluster, m, k, counts, s);
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
