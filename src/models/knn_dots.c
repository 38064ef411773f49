/* The brute-force search of knn by dot products (knn_dots.h). */
#include <math.h>
#include <stdint.h>
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
    const double *norms; /* each training row's, by knn_row_norm */
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

/* The distance from q.x and the rows' norms as knn_row_norm gives them:
 * squared for euclidean, plain for cosine (their square roots taken once
 * per row rather than once per pair: the same values, a third of the
 * cost of a pair). */
static double knn_dot_distance(knn_metric metric, double qq, double xx, double qx) {
    if (metric == KNN_COSINE) {
        if (!(qq > 0) || !(xx > 0)) return 1;
        double distance = 1 - qx / (qq * xx);
        return distance < 0 ? 0 : (distance > 2 ? 2 : distance);
    }
    double squared = qq + xx - 2 * qx;
    return squared > 0 ? sqrt(squared) : 0;
}

/* A row's norm as knn_dot_distance takes it, from its squared norm. */
static double knn_row_norm(knn_metric metric, double squared) {
    return metric == KNN_COSINE ? sqrt(squared) : squared;
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
        qq = knn_row_norm(s->metric.metric, qq);
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

/* ---- sparse queries against sparse training rows ------------------------
 * A block of queries is turned inside out: for each input, the block's
 * queries that have it (their postings, built per block). Each training
 * row is then one pass over its nonzeros, each adding into the dot products
 * of only the queries that share the input: the work is the sum over the
 * inputs of (training rows with it) x (queries with it), not every training
 * nonzero for every query, which on text is several times less (a rare
 * word meets few queries). A training row's nonzeros are visited in their
 * stored order, so each dot product is summed in the order knn_dot_row
 * sums it and the distances are the same to the bit. */

typedef struct knn_posting {
    uint32_t query; /* within the block */
    double value;
} knn_posting;

enum { KNN_INVERTED_BLOCK = 64 }; /* the most queries of a block */

/* Queries per block: enough to share each training row's pass among many,
 * few enough that the block's heaps (k each) stay within 4 MiB. */
static size_t knn_inverted_block(size_t k) {
    size_t block = ((size_t)4 << 20) / ((k ? k : 1) * (sizeof(double) + sizeof(size_t)));
    if (block > KNN_INVERTED_BLOCK) block = KNN_INVERTED_BLOCK;
    return block ? block : 1;
}

/* The most nonzeros among the queries of one block. */
static size_t knn_inverted_max_nnz(const dial_csr *queries, size_t n_queries, size_t block) {
    size_t most = 0;
    for (size_t first = 0; first < n_queries; first += block) {
        size_t last = first + block < n_queries ? first + block : n_queries;
        size_t nnz = queries->row_start[last] - queries->row_start[first];
        if (nnz > most) most = nnz;
    }
    return most;
}

typedef struct knn_inverted_work {
    const knn_search *s;
    const knn_dot_rows *train;
    const dial_csr *queries;
    const double *norms;
    size_t block;         /* queries per unit of work */
    size_t max_block_nnz; /* the most nonzeros of a block's queries */
    char *scratch;        /* per worker: scratch_size bytes */
    size_t scratch_size;
} knn_inverted_work;

/* The scratch of one worker: the postings' starts per input (d + 1), the
 * postings, the block's dot products and squared norms, its heaps, and the
 * votes. Sized in bytes by knn_inverted_layout with base NULL. */
typedef struct knn_inverted_scratch {
    uint32_t *start;
    knn_posting *postings;
    double *dots, *qq, *dist, *votes;
    size_t *index;
} knn_inverted_scratch;

static size_t knn_inverted_layout(const knn_search *s, size_t block, size_t max_block_nnz,
                                  char *base, knn_inverted_scratch *out) {
    size_t used = 0;
#define KNN_CARVE(field, count)                       \
    do {                                              \
        used = (used + 63) / 64 * 64;                 \
        if (base) out->field = (void *)(base + used); \
        used += (count) * sizeof *out->field;         \
    } while (0)
    KNN_CARVE(start, s->d + 2);
    KNN_CARVE(postings, max_block_nnz ? max_block_nnz : 1);
    KNN_CARVE(dots, block);
    KNN_CARVE(qq, block);
    KNN_CARVE(dist, block * s->k);
    KNN_CARVE(votes, s->n_classes + 1);
    KNN_CARVE(index, block * s->k);
#undef KNN_CARVE
    return (used + 63) / 64 * 64;
}

/* The training row j's nonzeros: columns as either index type, values. */
static void knn_train_row(const knn_dot_rows *train, size_t j, size_t *begin, size_t *end) {
    if (train->csr) {
        *begin = train->csr->row_start[j];
        *end = train->csr->row_start[j + 1];
    } else {
        *begin = (size_t)train->rows.start[j];
        *end = (size_t)train->rows.start[j + 1];
    }
}

static dial_status knn_inverted_blocks(void *arg, size_t begin, size_t end, int worker) {
    knn_inverted_work *w = arg;
    const knn_search *s = w->s;
    const dial_csr *q = w->queries;
    const knn_dot_rows *train = w->train;
    size_t d = s->d, k = s->k;
    knn_inverted_scratch sc = {0};
    knn_inverted_layout(s, w->block, w->max_block_nnz,
                        w->scratch + (size_t)worker * w->scratch_size, &sc);
    for (size_t unit = begin; unit < end; unit++) {
        size_t first = unit * w->block;
        size_t count = s->n_queries - first < w->block ? s->n_queries - first : w->block;
        /* The block's postings by input: counted, placed, then start[t] is
         * where input t's postings begin. */
        memset(sc.start, 0, (d + 2) * sizeof *sc.start);
        for (size_t e = q->row_start[first]; e < q->row_start[first + count]; e++)
            sc.start[q->col[e] + 2]++;
        for (size_t t = 2; t < d + 2; t++) sc.start[t] += sc.start[t - 1];
        for (size_t b = 0; b < count; b++) {
            double qq = 0;
            for (size_t e = q->row_start[first + b]; e < q->row_start[first + b + 1]; e++) {
                double v = q->value[e];
                sc.postings[sc.start[q->col[e] + 1]++] = (knn_posting){(uint32_t)b, v};
                qq += v * v;
            }
            sc.qq[b] = knn_row_norm(s->metric.metric, qq);
            sc.dots[b] = 0;
        }
        knn_heap heaps[KNN_INVERTED_BLOCK];
        for (size_t b = 0; b < count; b++)
            heaps[b] = (knn_heap){sc.dist + b * k, sc.index + b * k, 0, k};
        for (size_t j = 0; j < s->n_train; j++) {
            size_t from, to;
            knn_train_row(train, j, &from, &to);
            for (size_t e = from; e < to; e++) {
                size_t t = train->csr ? train->csr->col[e] : (size_t)train->rows.column[e];
                double x = train->csr ? train->csr->value[e] : train->rows.value[e];
                for (uint32_t p = sc.start[t]; p < sc.start[t + 1]; p++)
                    sc.dots[sc.postings[p].query] += sc.postings[p].value * x;
            }
            for (size_t b = 0; b < count; b++) {
                double distance =
                    knn_dot_distance(s->metric.metric, sc.qq[b], w->norms[j], sc.dots[b]);
                sc.dots[b] = 0;
                knn_heap *h = &heaps[b];
                if (h->size < h->cap || knn_before(distance, j, h->dist[0], h->index[0]))
                    knn_heap_push(h, distance, j);
            }
        }
        for (size_t b = 0; b < count; b++) {
            size_t i = first + b;
            knn_heap *h = &heaps[b];
            knn_heap_sort(h);
            if (s->keep_index) {
                memcpy(s->keep_index + i * k, h->index, h->size * sizeof *h->index);
                memcpy(s->keep_dist + i * k, h->dist, h->size * sizeof *h->dist);
                s->keep_count[i] = h->size;
            } else {
                dial_knn_vote(s, sc.votes, h->index, h->dist, h->size, i);
            }
        }
    }
    return DIAL_OK;
}

/* The squared norm of each training row. */
static void knn_train_norms(const knn_dot_rows *train, size_t n, size_t d, double *norms) {
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
}

static dial_status knn_inverted_search(dial_ctx *ctx, const knn_dot_rows *train,
                                       const dial_csr *queries, const double *norms, size_t block,
                                       size_t max_block_nnz, const knn_search *s) {
    size_t units = (s->n_queries + block - 1) / block;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > units) threads = (int)(units ? units : 1);
    knn_inverted_work w = {.s = s,
                           .train = train,
                           .queries = queries,
                           .norms = norms,
                           .block = block,
                           .max_block_nnz = max_block_nnz};
    w.scratch_size = knn_inverted_layout(s, block, max_block_nnz, NULL, NULL);
    w.scratch = dial_malloc(ctx, (size_t)threads * w.scratch_size);
    if (!w.scratch)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory searching %zu rows", s->n_train);
    dial_status status = dial_parallel_for(ctx, threads, units, knn_inverted_blocks, &w);
    free(w.scratch);
    return status;
}

dial_status dial_knn_dot_search(dial_ctx *ctx, const knn_dot_rows *train, const double *queries_x,
                                const dial_csr *queries, const knn_search *s) {
    if ((queries && queries->n_cols > s->d) || (train->csr && train->csr->n_cols > s->d))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "knn: rows of %zu inputs for a model of %zu",
                         queries->n_cols, s->d);
    size_t n = s->n_train, d = s->d, k = s->k;
    double *norms = dial_malloc(ctx, (n ? n : 1) * sizeof *norms);
    if (!norms) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory for %zu rows", n);
    knn_train_norms(train, n, d, norms);
    for (size_t j = 0; j < n; j++) norms[j] = knn_row_norm(s->metric.metric, norms[j]);
    if (queries && !train->x) {
        size_t block = knn_inverted_block(k);
        size_t max_block_nnz = knn_inverted_max_nnz(queries, s->n_queries, block);
        /* The postings are counted in 32 bits; a block of queries with more
         * nonzeros than that (never seen) is searched row by row. */
        if (max_block_nnz < UINT32_MAX) {
            dial_status status =
                knn_inverted_search(ctx, train, queries, norms, block, max_block_nnz, s);
            free(norms);
            return status;
        }
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
