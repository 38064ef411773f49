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
 * How: the sample is centred and cut into blocks, and the distances
 * between two blocks make a tile (eval/silhouette_tiles.c: one
 * cblas_dgemm each, |x|^2 + |y|^2 - 2 x.y). Each tile is computed once
 * and added to the sums of both its blocks' rows, when the partial sums
 * that takes fit 128 MiB (up to about 20,000 rows in a few clusters);
 * beyond that, each is computed twice. A search that scores the same rows
 * under one clustering after another (the tuner's trials, on one fold)
 * keeps the tiles in a memo and only sums them again. Each row's sums are
 * added in one fixed order and the mean summed in one order, so the score
 * depends neither on the thread count nor on where its tiles came from.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/team.h"
#include "eval/silhouette.h"
#include "eval/silhouette_tiles.h"

/* The stream of the sample: "silh". */
#define SILHOUETTE_SAMPLE_STREAM 0x73696c6800000000ULL

struct dial_silhouette_memo {
    pthread_mutex_t lock;
    pthread_cond_t built;
    enum { MEMO_EMPTY, MEMO_BUILDING, MEMO_READY, MEMO_REFUSED } state;
    size_t max_bytes;
    size_t m, d;
    double *x;     /* m x d: the centred sample the tiles measure */
    double *norms; /* m: its squared norms */
    double *tiles; /* dial_silhouette_tile_count(m) tiles */
    /* building: tiles handed out, tiles done, of total; every score that
     * finds it building these rows takes tiles too, rather than wait */
    size_t next, done, total;
};

dial_silhouette_memo *dial_silhouette_memo_create(dial_ctx *ctx, size_t max_bytes) {
    dial_silhouette_memo *memo = dial_calloc(ctx, 1, sizeof *memo);
    if (!memo) return NULL;
    if (pthread_mutex_init(&memo->lock, NULL) != 0) {
        free(memo);
        return NULL;
    }
    if (pthread_cond_init(&memo->built, NULL) != 0) {
        pthread_mutex_destroy(&memo->lock);
        free(memo);
        return NULL;
    }
    memo->max_bytes = max_bytes;
    return memo;
}

void dial_silhouette_memo_free(dial_silhouette_memo *memo) {
    if (!memo) return;
    pthread_cond_destroy(&memo->built);
    pthread_mutex_destroy(&memo->lock);
    free(memo->x);
    free(memo->norms);
    free(memo->tiles);
    free(memo);
}

/* The bytes of every tile of m rows. */
static size_t tiles_bytes(size_t m) {
    return dial_silhouette_tile_count(m) * SILHOUETTE_TILE * SILHOUETTE_TILE * sizeof(double);
}

/* The sample's rows in sample order, centred on their mean (distances do
 * not change, and the norms that the dot products subtract shrink, so
 * fewer digits are lost), with their squared norms. */
static void silhouette_gather(const dial_metric_rows *rows, const size_t *sample, size_t m,
                              double *x, double *norms, double *mean) {
    size_t d = rows->n_inputs;
    memset(mean, 0, d * sizeof *mean);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < d; j++) mean[j] += rows->x[sample[i] * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)m;
    for (size_t i = 0; i < m; i++) {
        const double *from = rows->x + sample[i] * d;
        double norm = 0;
        for (size_t j = 0; j < d; j++) {
            double v = from[j] - mean[j];
            x[i * d + j] = v;
            norm += v * v;
        }
        norms[i] = norm;
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

/* A worker of a score that builds the memo's tiles: takes tiles one at a
 * time until none is left; the one that finishes the last makes the memo
 * ready. */
static void build_share(void *arg, size_t item, int worker) {
    (void)item;
    (void)worker;
    dial_silhouette_memo *memo = arg;
    silhouette_points points = {.x = memo->x, .norms = memo->norms, .m = memo->m, .d = memo->d};
    pthread_mutex_lock(&memo->lock);
    while (memo->next < memo->total) {
        size_t tile = memo->next++;
        pthread_mutex_unlock(&memo->lock);
        dial_silhouette_tile_compute(&points, tile, memo->tiles);
        pthread_mutex_lock(&memo->lock);
        if (++memo->done == memo->total) {
            memo->state = MEMO_READY;
            pthread_cond_broadcast(&memo->built);
        }
    }
    pthread_mutex_unlock(&memo->lock);
}

/* Claims the empty memo for these rows: their copy, and room for their
 * tiles. Called locked; false (and the memo refused) when out of memory. */
static bool memo_claim(dial_ctx *ctx, dial_silhouette_memo *memo, const silhouette_points *points) {
    size_t m = points->m, d = points->d;
    memo->x = dial_malloc_array(ctx, m * d, sizeof *memo->x);
    memo->norms = dial_malloc_array(ctx, m, sizeof *memo->norms);
    memo->tiles = dial_malloc(ctx, tiles_bytes(m));
    if (!memo->x || !memo->norms || !memo->tiles) {
        /* Not enough memory now: the trials score without it. */
        free(memo->x);
        free(memo->norms);
        free(memo->tiles);
        memo->x = memo->norms = memo->tiles = NULL;
        memo->state = MEMO_REFUSED;
        return false;
    }
    memcpy(memo->x, points->x, m * d * sizeof *memo->x);
    memcpy(memo->norms, points->norms, m * sizeof *memo->norms);
    memo->m = m;
    memo->d = d;
    memo->next = memo->done = 0;
    memo->total = dial_silhouette_tile_count(m);
    memo->state = MEMO_BUILDING;
    return true;
}

/* The memo's tiles when it holds (or is building) those of these very rows
 * (a search's trials score one fold's rows again and again), building
 * them into it when it is empty and they fit its bytes; NULL when it
 * cannot serve these rows. A score that finds them being built helps
 * build them on its threads. Tiles once ready are never changed nor freed
 * before the memo, so they are read unlocked. */
static const double *memo_tiles(dial_ctx *ctx, dial_silhouette_memo *memo,
                                const silhouette_points *points) {
    size_t m = points->m, d = points->d;
    pthread_mutex_lock(&memo->lock);
    bool served = false;
    if (memo->state == MEMO_EMPTY)
        served = tiles_bytes(m) <= memo->max_bytes && memo_claim(ctx, memo, points);
    else if (memo->state != MEMO_REFUSED)
        served = memo->m == m && memo->d == d &&
                 memcmp(memo->x, points->x, m * d * sizeof *points->x) == 0;
    if (served && memo->state == MEMO_BUILDING) {
        pthread_mutex_unlock(&memo->lock);
        dial_team *team = NULL;
        if (dial_team_start(ctx, dial_ctx_threads(ctx), &team) != DIAL_OK) team = NULL;
        dial_team_run(team, build_share, memo, team ? (size_t)dial_ctx_threads(ctx) : 1);
        dial_team_stop(team);
        pthread_mutex_lock(&memo->lock);
        while (memo->state == MEMO_BUILDING) pthread_cond_wait(&memo->built, &memo->lock);
    }
    const double *tiles = served ? memo->tiles : NULL;
    pthread_mutex_unlock(&memo->lock);
    dial_ctx_clear_error(ctx);
    return tiles;
}

/* s(i) of the m sample rows into s, in sample order, on the context's
 * threads: from the memo's tiles, or from tiles made where they are
 * needed, both with the same figures. Errors: DIAL_ERR_NOMEM. */
static dial_status silhouette_run(dial_ctx *ctx, const dial_metric_rows *rows, const size_t *sample,
                                  const size_t *cluster, size_t m, size_t k, const size_t *counts,
                                  dial_silhouette_memo *memo, double *s) {
    size_t d = rows->n_inputs;
    double *x = dial_malloc_array(ctx, m * d, sizeof *x);
    double *norms = dial_malloc_array(ctx, m + d, sizeof *norms);
    if (!x || !norms) {
        free(x);
        free(norms);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    }
    silhouette_gather(rows, sample, m, x, norms, norms + m);
    silhouette_points points = {x, norms, m, d, cluster, counts, k};
    const double *tiles = memo ? memo_tiles(ctx, memo, &points) : NULL;
    dial_status status = dial_silhouette_tiles_score(ctx, &points, tiles, true, s);
    free(x);
    free(norms);
    return status;
}

dial_status dial_eval_silhouette_memo(dial_ctx *ctx, const dial_metric_rows *rows,
                                      dial_silhouette_memo *memo, double *score) {
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
    status = silhouette_run(ctx, rows, sample, cluster, m, k, counts, memo, s);
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

dial_status dial_eval_silhouette(dial_ctx *ctx, const dial_metric_rows *rows, double *score) {
    return dial_eval_silhouette_memo(ctx, rows, NULL, score);
}
