/* The brute-force search of knn by dot products (knn_dots.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/knn_dots.h"
#include "models/knn_heap.h"

enum { KNN_DOT_BLOCK = 16 }; /* queries per unit of parallel work */

typedef struct knn_dot_work {
    const knn_search *s;
    const knn_dot_rows *train;
    const double *queries_x;
    const dial_csr *queries;
    const double *norms; /* |x|^2 of each training row */
    char *scratch;       /* per worker: scratch_size bytes */
    size_t scratch_size;
} knn_dot_work;

/* q.x_j for the dense query q. */
static double knn_dot_row(const knn_dot_rows *train, size_t d, size_t j, const double *q) {
    double sum = 0;
    if (train->x) {
        const double *x = train->x + j * d;
        for (size_t t = 0; t < d; t++) sum += q[t] * x[t];
        return sum;
    }
    if (train->csr) {
        const dial_csr *a = train->csr;
        for (size_t e = a->row_start[j]; e < a->row_start[j + 1]; e++)
            sum += q[a->col[e]] * a->value[e];
        return sum;
    }
    const dial_learned_csr *a = &train->rows;
    for (int64_t k = a->start[j]; k < a->start[j + 1]; k++) sum += q[a->column[k]] * a->value[k];
    return sum;
}

static double knn_dot_distance(knn_metric metric, double qq, double xx, double qx) {
    if (metric == KNN_COSINE) {
        if (!(qq > 0) || !(xx > 0)) return 1;
        double distance = 1 - qx / (sqrt(qq) * sqrt(xx));
        return distance < 0 ? 0 : (distance > 2 ? 2 : distance);
    }
    double squared = qq + xx - 2 * qx;
    return squared > 0 ? sqrt(squared) : 0;
}

static dial_status knn_dot_blocks(void *arg, size_t begin, size_t end, int worker) {
    knn_dot_work *w = arg;
    const knn_search *s = w->s;
    size_t d = s->d, k = s->k;
    char *base = w->scratch + (size_t)worker * w->scratch_size;
    double *dense = (double *)base, *dist = dense + (d ? d : 1), *votes = dist + k;
    size_t *index = (size_t *)(votes + s->n_classes + 1);
    size_t last = end * KNN_DOT_BLOCK < s->n_queries ? end * KNN_DOT_BLOCK : s->n_queries;
    for (size_t i = begin * KNN_DOT_BLOCK; i < last; i++) {
        const double *q = dense;
        double qq = 0;
        const dial_csr *a = w->queries;
        if (a) {
            for (size_t e = a->row_start[i]; e < a->row_start[i + 1]; e++) {
                dense[a->col[e]] = a->value[e];
                qq += a->value[e] * a->value[e];
            }
        } else {
            q = w->queries_x + i * d;
            for (size_t t = 0; t < d; t++) qq += q[t] * q[t];
        }
        knn_heap h = {dist, index, 0, k};
        for (size_t j = 0; j < s->n_train; j++) {
            double distance =
                knn_dot_distance(s->metric.metric, qq, w->norms[j], knn_dot_row(w->train, d, j, q));
            if (h.size < h.cap || knn_before(distance, j, h.dist[0], h.index[0]))
                knn_heap_push(&h, distance, j);
        }
        knn_heap_sort(&h);
        if (s->keep_index) {
            memcpy(s->keep_index + i * k, index, h.size * sizeof *index);
            memcpy(s->keep_dist + i * k, dist, h.size * sizeof *dist);
            s->keep_count[i] = h.size;
        } else {
            /* dist holds the true distances, as the vote wants them */
            dial_knn_vote(s, votes, index, dist, h.size, i);
        }
        for (size_t e = a ? a->row_start[i] : 0; a && e < a->row_start[i + 1]; e++)
            dense[a->col[e]] = 0;
    }
    return DIAL_OK;
}

dial_status dial_knn_dot_search(dial_ctx *ctx, const knn_dot_rows *train, const double *queries_x,
                                const dial_csr *queries, const knn_search *s) {
    if ((queries && queries->n_cols > s->d) || (train->csr && train->csr->n_cols > s->d))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "knn: rows of %zu inputs for a model of %zu",
                         queries->n_cols, s->d);
    size_t n = s->n_train, d = s->d, k = s->k;
    double *norms = dial_malloc(ctx, (n ? n : 1) * sizeof *norms);
    if (!norms) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory for %zu rows", n);
    for (size_t j = 0; j < n; j++) {
        double sum = 0;
        if (train->x) {
            const double *x = train->x + j * d;
            for (size_t t = 0; t < d; t++) sum += x[t] * x[t];
        } else if (train->csr) {
            const dial_csr *a = train->csr;
            for (size_t e = a->row_start[j]; e < a->row_start[j + 1]; e++)
                sum += a->value[e] * a->value[e];
        } else {
            const dial_learned_csr *a = &train->rows;
            for (int64_t e = a->start[j]; e < a->start[j + 1]; e++)
                sum += a->value[e] * a->value[e];
        }
        norms[j] = sum;
    }
    size_t blocks = (s->n_queries + KNN_DOT_BLOCK - 1) / KNN_DOT_BLOCK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > blocks) threads = (int)(blocks ? blocks : 1);
    /* dense query, k distances, votes, then k indices */
    size_t doubles = (d ? d : 1) + k + s->n_classes + 1;
    size_t scratch_size = (doubles * sizeof(double) + k * sizeof(size_t) + 63) / 64 * 64;
    knn_dot_work w = {.s = s,
                      .train = train,
                      .queries_x = queries ? NULL : queries_x,
                      .queries = queries,
                      .norms = norms,
                      .scratch_size = scratch_size};
    /* zeroed: a sparse query is scattered into zeros and cleared after */
    w.scratch = dial_calloc(ctx, (size_t)threads, scratch_size);
    dial_status status =
        w.scratch ? dial_parallel_for(ctx, threads, blocks, knn_dot_blocks, &w)
                  : dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory searching %zu rows", n);
    free(w.scratch);
    free(norms);
    return status;
}
