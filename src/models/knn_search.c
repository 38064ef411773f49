/*
 * The exact neighbour search of knn (internal to src/models/knn*.c; the
 * family's map is at the top of knn.c). Two searches give the same
 * neighbours:
 *  - brute force over tiles of transposed training rows with vectorised
 *    kernels; for the euclidean metric the kernel estimates ||q||^2 +
 *    ||x||^2 - 2 q.x four queries at a time, and the rows whose estimate
 *    could be among the k nearest get their exact distance, so that
 *    cancellation never changes the order;
 *  - a kd-tree (knn_kdtree.c), for low dimension.
 * Every kept distance is computed by the same arithmetic (knn_distance.h)
 * and the k nearest so far are kept in a heap on (distance, index)
 * (knn_heap.h).
 */
#include "core/alloc.h"
#include "models/knn_search.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/knn_heap.h"

/* Features up to which auto picks the kd-tree. */
enum { KNN_AUTO_TREE_FEATURES = 8 };

/* Queries are handled in blocks (of at most KNN_QUERY_BLOCK, fewer when k
 * is large): a block's k-nearest heaps stay in cache while the training rows
 * stream past in tiles. */
enum { KNN_QUERY_BLOCK = 64, KNN_TRAIN_TILE = 256, KNN_LANES = 32 };
/* Distance between two features' rows of a transposed tile: padded so the
 * features of one row do not all fall in the same cache sets. */
enum { KNN_TILE_STRIDE = KNN_TRAIN_TILE + 8 };

typedef struct knn_worker {
    double *heap_dist;  /* block x k */
    size_t *heap_index; /* block x k */
    double *dots;       /* 4 x KNN_TRAIN_TILE dot products */
    uint32_t *cand;     /* KNN_TRAIN_TILE candidate rows of a tile */
    double *cand_dist;  /* and their estimated distances */
    double *select;     /* a copy of those, for selecting the k-th */
    double *votes;      /* n_classes */
    size_t *stack;      /* kd nodes still to visit */
    double *stack_dist; /* their box distances */
} knn_worker;

static size_t knn_align(size_t bytes) { return (bytes + 63) / 64 * 64; }

static size_t knn_scratch_layout(const knn_search *s, knn_worker *w, char *base) {
    size_t at = 0, stack = s->tree ? 2 * (s->tree->depth + 2) : 0;
#define KNN_PLACE(field, count)                      \
    do {                                             \
        if (base) w->field = (void *)(base + at);    \
        at += knn_align((count) * sizeof *w->field); \
    } while (0)
    KNN_PLACE(heap_dist, s->block * s->k);
    KNN_PLACE(heap_index, s->block * s->k);
    KNN_PLACE(dots, 4 * KNN_TRAIN_TILE);
    KNN_PLACE(cand, KNN_TRAIN_TILE);
    KNN_PLACE(cand_dist, KNN_TRAIN_TILE);
    KNN_PLACE(select, KNN_TRAIN_TILE);
    KNN_PLACE(votes, s->n_classes + 1);
    KNN_PLACE(stack, stack + 1);
    KNN_PLACE(stack_dist, stack + 1);
#undef KNN_PLACE
    return at;
}

static knn_heap knn_worker_heap(const knn_search *s, const knn_worker *w, size_t slot) {
    return (knn_heap){w->heap_dist + slot * s->k, w->heap_index + slot * s->k, 0, s->k};
}

/* The tile kernels are compiled for several instruction sets (chosen when
 * the library loads, or when the search starts, where the compiler
 * supports it): wider vectors make them several times faster than the
 * baseline's. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(DIAL_NO_MULTIVERSION)
#define KNN_X86_DISPATCH 1
#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer's runtime is not ready when the ifunc resolvers of
 * target_clones run at load time: a tsan build gets the baseline. */
#define KNN_MULTIVERSION
#else
#define KNN_MULTIVERSION __attribute__((target_clones("default", "avx2", "avx512f")))
#endif
#else
#define KNN_X86_DISPATCH 0
#define KNN_MULTIVERSION
#endif

/* Estimates the manhattan distance from q to each row of one transposed
 * tile and lists in cand (and cand_dist) the rows whose estimate is at most
 * limit (and their estimates); returns their number. KNN_LANES rows at a
 * time keep independent sums in registers; the tile is padded to whole
 * lanes. */
KNN_MULTIVERSION static size_t knn_tile_manhattan(const double *q, const double *tile, size_t d,
                                                  size_t nj, double limit, uint32_t *cand,
                                                  double *cand_dist) {
    size_t found = 0;
    for (size_t j = 0; j < nj; j += KNN_LANES) {
        double acc[KNN_LANES] = {0};
        for (size_t t = 0; t < d; t++) {
            const double *col = tile + t * KNN_TILE_STRIDE + j;
            for (size_t u = 0; u < KNN_LANES; u++) acc[u] += fabs(q[t] - col[u]);
        }
        int any = 0;
        for (size_t u = 0; u < KNN_LANES; u++) any |= acc[u] <= limit;
        if (!any) continue;
        for (size_t u = 0; u < KNN_LANES && j + u < nj; u++)
            if (acc[u] <= limit) {
                cand[found] = (uint32_t)(j + u);
                cand_dist[found++] = acc[u];
            }
    }
    return found;
}

/* The same for minkowski with a whole p: the powers by repeated products,
 * the loop over p outside the lanes so that they stay vectorised. */
KNN_MULTIVERSION static size_t knn_tile_power(const double *q, const double *tile, size_t d,
                                              size_t nj, int p, double limit, uint32_t *cand,
                                              double *cand_dist) {
    size_t found = 0;
    for (size_t j = 0; j < nj; j += KNN_LANES) {
        double acc[KNN_LANES] = {0};
        for (size_t t = 0; t < d; t++) {
            const double *col = tile + t * KNN_TILE_STRIDE + j;
            double a[KNN_LANES], r[KNN_LANES];
            for (size_t u = 0; u < KNN_LANES; u++) r[u] = a[u] = fabs(q[t] - col[u]);
            for (int i = 1; i < p; i++)
                for (size_t u = 0; u < KNN_LANES; u++) r[u] *= a[u];
            for (size_t u = 0; u < KNN_LANES; u++) acc[u] += r[u];
        }
        int any = 0;
        for (size_t u = 0; u < KNN_LANES; u++) any |= acc[u] <= limit;
        if (!any) continue;
        for (size_t u = 0; u < KNN_LANES && j + u < nj; u++)
            if (acc[u] <= limit) {
                cand[found] = (uint32_t)(j + u);
                cand_dist[found++] = acc[u];
            }
    }
    return found;
}

/* The k-th smallest of values[0 .. n) (0 < k <= n); reorders values. */
static double knn_kth_smallest(double *values, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1, target = k - 1;
    while (lo < hi) {
        double pivot = values[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (values[i] < pivot) i++;
            while (values[j] > pivot) j--;
            if (i <= j) {
                double t = values[i];
                values[i] = values[j];
                values[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (target <= j && j < hi)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            break;
    }
    return values[target];
}

/* Squared euclidean distances by the identity ||q - x||^2 = ||q||^2 +
 * ||x||^2 - 2 q.x, four queries at a time: one multiply-add per feature
 * instead of three operations, and each column of the tile loaded serves the
 * four queries. The kernel writes the dot products of four queries with the
 * rows of one tile to dots (4 x KNN_TRAIN_TILE), lanes rows at a time; it is
 * stamped out for AVX-512 and AVX2 with fused multiply-adds (picked at run
 * time) and for any machine. */
#define KNN_DOTS_KERNEL(name, attributes, lanes, MULADD)                                         \
    attributes static void name(const double *const *q, const double *tile, size_t d, size_t nj, \
                                double *dots) {                                                  \
        for (size_t j = 0; j < nj; j += lanes) {                                                 \
            double a0[lanes] = {0}, a1[lanes] = {0}, a2[lanes] = {0}, a3[lanes] = {0};           \
            for (size_t t = 0; t < d; t++) {                                                     \
                const double *col = tile + t * KNN_TILE_STRIDE + j;                              \
                double b0 = q[0][t], b1 = q[1][t], b2 = q[2][t], b3 = q[3][t];                   \
                for (size_t u = 0; u < lanes; u++) {                                             \
                    a0[u] = MULADD(b0, col[u], a0[u]);                                           \
                    a1[u] = MULADD(b1, col[u], a1[u]);                                           \
                    a2[u] = MULADD(b2, col[u], a2[u]);                                           \
                    a3[u] = MULADD(b3, col[u], a3[u]);                                           \
                }                                                                                \
            }                                                                                    \
            for (size_t u = 0; u < lanes; u++) {                                                 \
                dots[j + u] = a0[u];                                                             \
                dots[KNN_TRAIN_TILE + j + u] = a1[u];                                            \
                dots[2 * KNN_TRAIN_TILE + j + u] = a2[u];                                        \
                dots[3 * KNN_TRAIN_TILE + j + u] = a3[u];                                        \
            }                                                                                    \
        }                                                                                        \
    }

#define KNN_MULTIPLY_ADD(a, b, c) ((a) * (b) + (c))
KNN_DOTS_KERNEL(knn_dots_plain, , 4, KNN_MULTIPLY_ADD)
#if KNN_X86_DISPATCH
KNN_DOTS_KERNEL(knn_dots_avx2, __attribute__((target("avx2,fma"))), 8, fma)
KNN_DOTS_KERNEL(knn_dots_avx512, __attribute__((target("avx512f,fma"))), 16, fma)
#endif

static knn_dots_fn knn_dots_pick(void) {
#if KNN_X86_DISPATCH
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return knn_dots_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return knn_dots_avx2;
#endif
    return knn_dots_plain;
}

/* Lists the rows of a tile whose estimate ||q||^2 + ||x||^2 - 2 q.x is at
 * most limit (norms: ||x||^2 of the tile's rows, +inf for the padding). */
KNN_MULTIVERSION static size_t knn_collect(const double *dots, const double *norms, double norm,
                                           double limit, size_t nj, uint32_t *cand,
                                           double *estimate) {
    size_t hits = 0;
    for (size_t j = 0; j < nj; j++) {
        double e = norm + norms[j] - 2 * dots[j];
        estimate[j] = e;
        hits += e <= limit;
    }
    if (hits == 0) return 0; /* the common case, once the heap is full */
    size_t found = 0;
    for (size_t j = 0; j < nj; j++)
        if (estimate[j] <= limit) {
            cand[found] = (uint32_t)j;
            estimate[found++] = estimate[j];
        }
    return found;
}

/* Offers the candidates of one tile to a query's heap. An estimate is within
 * slack * (base + distance) of the exact distance (base is 0 for the direct
 * sums, ||q||^2 + max ||x||^2 for the dot products), so a row passes only if
 * its estimate could be within the k nearest, and then gets its exact
 * distance from knn_reduced. */
static void knn_offer(const knn_search *s, knn_worker *w, knn_heap *h, const double *q, size_t j0,
                      const uint32_t *cand, const double *estimate, size_t found, double slack,
                      double base) {
    double worst = knn_heap_worst(h), limit = INFINITY;
    /* An empty heap lets every row of the first tile through: only those
     * whose estimate is near the k smallest estimates can be among the k
     * nearest. */
    if (h->size == 0 && found > h->cap) {
        memcpy(w->select, estimate, found * sizeof *w->select);
        double kth = knn_kth_smallest(w->select, found, h->cap);
        limit = kth + 4 * slack * (base + fabs(kth)) + DBL_MIN;
    }
    for (size_t c = 0; c < found; c++) {
        if (estimate[c] > limit) continue;
        size_t j = j0 + cand[c];
        double exact = knn_reduced(&s->metric, q, s->train + j * s->d, s->d, worst);
        if (exact > worst) continue;
        knn_heap_push(h, exact, j);
        worst = knn_heap_worst(h);
    }
}

/* The limit of an estimate for a row that could still enter the heap. */
static double knn_limit(const knn_heap *h, double slack, double base) {
    double worst = knn_heap_worst(h);
    return worst + slack * (base + worst) + DBL_MIN;
}

/* Brute euclidean through the dot-product kernel, four queries at a time. */
static void knn_brute_dots(const knn_search *s, knn_worker *w, knn_heap *heaps, size_t q0,
                           size_t q1) {
    size_t d = s->d;
    const double slack = (4.0 * (double)d + 8.0) * DBL_EPSILON;
    double norm[KNN_QUERY_BLOCK];
    for (size_t i = q0; i < q1; i++) {
        double n2 = 0;
        for (size_t t = 0; t < d; t++) n2 += s->queries[i * d + t] * s->queries[i * d + t];
        norm[i - q0] = n2;
    }
    for (size_t j0 = 0; j0 < s->n_train; j0 += KNN_TRAIN_TILE) {
        size_t nj = s->n_train - j0 < KNN_TRAIN_TILE ? s->n_train - j0 : KNN_TRAIN_TILE;
        const double *tile = s->tiles + j0 / KNN_TRAIN_TILE * KNN_TILE_STRIDE * d;
        for (size_t i = q0; i < q1; i += 4) {
            const double *quad[4];
            for (size_t r = 0; r < 4; r++) /* a short last group repeats its last query */
                quad[r] = s->queries + (i + r < q1 ? i + r : q1 - 1) * d;
            s->dots(quad, tile, d, nj, w->dots);
            for (size_t r = 0; r < 4 && i + r < q1; r++) {
                knn_heap *h = &heaps[i + r - q0];
                double base = norm[i + r - q0] + s->max_train_norm;
                size_t found =
                    knn_collect(w->dots + r * KNN_TRAIN_TILE, s->train_norms + j0, norm[i + r - q0],
                                knn_limit(h, slack, base), nj, w->cand, w->cand_dist);
                knn_offer(s, w, h, quad[r], j0, w->cand, w->cand_dist, found, slack, base);
            }
        }
    }
}

/* Brute force through the transposed tiles with the direct sums (manhattan,
 * or minkowski with a whole p). The vectorised sums may round differently
 * from knn_reduced (another order, fused multiply-adds), so they only pick
 * the candidates, as the dot products do. */
static void knn_brute_tiles(const knn_search *s, knn_worker *w, knn_heap *heaps, size_t q0,
                            size_t q1) {
    size_t d = s->d;
    const double slack = (4.0 * (double)d + 8.0) * DBL_EPSILON;
    for (size_t j0 = 0; j0 < s->n_train; j0 += KNN_TRAIN_TILE) {
        size_t nj = s->n_train - j0 < KNN_TRAIN_TILE ? s->n_train - j0 : KNN_TRAIN_TILE;
        const double *tile = s->tiles + j0 / KNN_TRAIN_TILE * KNN_TILE_STRIDE * d;
        for (size_t i = q0; i < q1; i++) {
            const double *q = s->queries + i * d;
            knn_heap *h = &heaps[i - q0];
            double limit = knn_limit(h, slack, 0);
            size_t found =
                s->metric.metric == KNN_MINKOWSKI
                    ? knn_tile_power(q, tile, d, nj, s->metric.p_int, limit, w->cand, w->cand_dist)
                    : knn_tile_manhattan(q, tile, d, nj, limit, w->cand, w->cand_dist);
            knn_offer(s, w, h, q, j0, w->cand, w->cand_dist, found, slack, 0);
        }
    }
}

/* Brute force for minkowski with a fractional p (pow is too slow to
 * estimate every distance first): tile by tile so the rows stay in cache
 * across a block of queries, each sum abandoned as soon as it is too far. */
static void knn_brute_general(const knn_search *s, knn_heap *heaps, size_t q0, size_t q1) {
    size_t d = s->d;
    for (size_t j0 = 0; j0 < s->n_train; j0 += KNN_TRAIN_TILE) {
        size_t j1 = s->n_train - j0 < KNN_TRAIN_TILE ? s->n_train : j0 + KNN_TRAIN_TILE;
        for (size_t i = q0; i < q1; i++) {
            knn_heap *h = &heaps[i - q0];
            const double *q = s->queries + i * d;
            double worst = knn_heap_worst(h);
            for (size_t j = j0; j < j1; j++) {
                double dist = knn_reduced(&s->metric, q, s->train + j * d, d, worst);
                if (dist > worst) continue;
                knn_heap_push(h, dist, j);
                worst = knn_heap_worst(h);
            }
        }
    }
}

/* Brute force over rows kept as category codes: each distance costs one
 * term per numeric input and at most two per categorical feature, however
 * many levels it has. */
static void knn_brute_compact(const knn_search *s, knn_heap *heaps, size_t q0, size_t q1) {
    const knn_compact *rows = s->compact;
    for (size_t j0 = 0; j0 < s->n_train; j0 += KNN_TRAIN_TILE) {
        size_t j1 = s->n_train - j0 < KNN_TRAIN_TILE ? s->n_train : j0 + KNN_TRAIN_TILE;
        for (size_t i = q0; i < q1; i++) {
            knn_heap *h = &heaps[i - q0];
            const double *q = s->queries + i * s->d;
            const int64_t *codes = s->query_codes + i * rows->n_blocks;
            double worst = knn_heap_worst(h);
            for (size_t j = j0; j < j1; j++) {
                double dist = knn_compact_reduced(&s->metric, rows, q, codes, j, worst);
                if (dist > worst) continue;
                knn_heap_push(h, dist, j);
                worst = knn_heap_worst(h);
            }
        }
    }
}

/* Depth first, nearer child first; a subtree whose box is farther than the
 * k-th nearest so far is skipped (a box at exactly that distance is still
 * visited: one of its rows may win the tie by index). Stamped out per
 * metric so the distances inline. */
#define KNN_DEFINE_KD_QUERY(suffix)                                                               \
    static void knn_kd_query_##suffix(const knn_search *s, knn_worker *w, knn_heap *h,            \
                                      const double *q) {                                          \
        const knn_kdtree *tree = s->tree;                                                         \
        const knn_distance *m = &s->metric;                                                       \
        size_t top = 0, d = s->d;                                                                 \
        w->stack[top] = 0;                                                                        \
        w->stack_dist[top++] = 0;                                                                 \
        while (top > 0) {                                                                         \
            top--;                                                                                \
            size_t node = w->stack[top];                                                          \
            double worst = knn_heap_worst(h);                                                     \
            if (w->stack_dist[top] > worst) continue;                                             \
            const knn_kdnode *n = &tree->nodes[node];                                             \
            if (n->left == 0) {                                                                   \
                for (size_t i = n->start; i < n->end; i++) {                                      \
                    double dist = knn_row_##suffix(m, q, tree->points + i * d, d, worst);         \
                    if (dist > worst) continue;                                                   \
                    knn_heap_push(h, dist, tree->order[i]);                                       \
                    worst = knn_heap_worst(h);                                                    \
                }                                                                                 \
                continue;                                                                         \
            }                                                                                     \
            double dl =                                                                           \
                knn_box_##suffix(m, q, tree->lo + n->left * d, tree->hi + n->left * d, d, worst); \
            double dr = knn_box_##suffix(m, q, tree->lo + n->right * d, tree->hi + n->right * d,  \
                                         d, worst);                                               \
            size_t near = dl <= dr ? n->left : n->right, far = dl <= dr ? n->right : n->left;     \
            double dnear = dl <= dr ? dl : dr, dfar = dl <= dr ? dr : dl;                         \
            if (dfar <= worst) {                                                                  \
                w->stack[top] = far;                                                              \
                w->stack_dist[top++] = dfar;                                                      \
            }                                                                                     \
            if (dnear <= worst) {                                                                 \
                w->stack[top] = near;                                                             \
                w->stack_dist[top++] = dnear;                                                     \
            }                                                                                     \
        }                                                                                         \
    }

KNN_DEFINE_KD_QUERY(euclidean)
KNN_DEFINE_KD_QUERY(manhattan)
KNN_DEFINE_KD_QUERY(minkowski)

static void knn_kd_query(const knn_search *s, knn_worker *w, knn_heap *h, const double *q) {
    switch (s->metric.metric) {
    case KNN_EUCLIDEAN: knn_kd_query_euclidean(s, w, h, q); break;
    case KNN_MANHATTAN: knn_kd_query_manhattan(s, w, h, q); break;
    case KNN_MINKOWSKI: knn_kd_query_minkowski(s, w, h, q); break;
    case KNN_COSINE: break; /* searched by dot products (knn_dots.c) */
    }
}

/* Turns the k nearest of query i (index, nearest first) into its
 * prediction. weight holds their true distances when the weighting is by
 * distance and receives the weights (any content otherwise). The one
 * arithmetic of both predict and predict_fold, so they agree to the bit. */
void dial_knn_vote(const knn_search *s, double *votes, const size_t *index, double *weight,
                   size_t k, size_t i) {
    if (s->weighting == KNN_UNIFORM) {
        for (size_t j = 0; j < k; j++) weight[j] = 1;
    } else {
        int exact = 0;
        for (size_t j = 0; j < k; j++)
            if (weight[j] == 0) exact = 1;
        /* As scikit-learn: when a training row matches exactly, the exact
         * matches share all the weight. */
        for (size_t j = 0; j < k; j++) weight[j] = exact ? (weight[j] == 0 ? 1 : 0) : 1 / weight[j];
    }
    if (s->task == DIAL_TASK_REGRESSION) {
        double sum = 0, total = 0;
        for (size_t j = 0; j < k; j++) {
            sum += weight[j] * s->train_y[index[j]];
            total += weight[j];
        }
        s->out.value[i] = sum / total;
        return;
    }
    for (size_t c = 0; c < s->n_classes; c++) votes[c] = 0;
    double total = 0;
    for (size_t j = 0; j < k; j++) {
        votes[(size_t)s->train_y[index[j]]] += weight[j];
        total += weight[j];
    }
    size_t best = 0; /* a tied vote goes to the smallest class index */
    for (size_t c = 1; c < s->n_classes; c++)
        if (votes[c] > votes[best]) best = c;
    s->out.value[i] = (double)best;
    if (s->out.proba)
        for (size_t c = 0; c < s->n_classes; c++)
            s->out.proba[i * s->n_classes + c] = votes[c] / total;
}

/* Sorts the k nearest of query i and predicts from them, or, when the
 * search keeps lists (prepare_fold), stores them: indices and true
 * distances, nearest first. */
static void knn_answer(const knn_search *s, knn_worker *w, knn_heap *h, size_t i) {
    knn_heap_sort(h);
    size_t k = h->size;
    if (s->keep_index) {
        size_t *index = s->keep_index + i * s->k;
        double *dist = s->keep_dist + i * s->k;
        for (size_t j = 0; j < k; j++) {
            index[j] = h->index[j];
            dist[j] = knn_true_distance(&s->metric, h->dist[j]);
        }
        s->keep_count[i] = k;
        return;
    }
    /* the reduced distances are not needed after this */
    if (s->weighting == KNN_DISTANCE)
        for (size_t j = 0; j < k; j++) h->dist[j] = knn_true_distance(&s->metric, h->dist[j]);
    dial_knn_vote(s, w->votes, h->index, h->dist, k, i);
}

static dial_status knn_search_blocks(void *arg, size_t begin, size_t end, int worker) {
    const knn_search *s = arg;
    knn_worker w = {0};
    knn_scratch_layout(s, &w, s->scratch + (size_t)worker * s->scratch_size);
    knn_heap heaps[KNN_QUERY_BLOCK];
    for (size_t block = begin; block < end; block++) {
        size_t q0 = block * s->block;
        size_t q1 = s->n_queries - q0 < s->block ? s->n_queries : q0 + s->block;
        for (size_t i = 0; i < q1 - q0; i++) heaps[i] = knn_worker_heap(s, &w, i);
        if (s->tree)
            for (size_t i = q0; i < q1; i++)
                knn_kd_query(s, &w, &heaps[i - q0], s->queries + i * s->d);
        else if (s->train_norms)
            knn_brute_dots(s, &w, heaps, q0, q1);
        else if (s->tiles)
            knn_brute_tiles(s, &w, heaps, q0, q1);
        else if (s->compact)
            knn_brute_compact(s, heaps, q0, q1);
        else
            knn_brute_general(s, heaps, q0, q1);
        for (size_t i = q0; i < q1; i++) knn_answer(s, &w, &heaps[i - q0], i);
    }
    return DIAL_OK;
}

/* Lays the training rows out in transposed tiles for the brute-force
 * kernels, and for the euclidean metric their squared norms. */
static dial_status knn_tiles_build(dial_ctx *ctx, knn_search *s, double **tiles, double **norms) {
    size_t n_tiles = (s->n_train + KNN_TRAIN_TILE - 1) / KNN_TRAIN_TILE, d = s->d;
    *tiles = dial_calloc(ctx, n_tiles * KNN_TILE_STRIDE * d, sizeof **tiles);
    int dots = s->metric.metric == KNN_EUCLIDEAN;
    *norms = dots ? dial_malloc(ctx, n_tiles * KNN_TRAIN_TILE * sizeof **norms) : NULL;
    if (!*tiles || (dots && !*norms)) {
        free(*tiles);
        free(*norms);
        *tiles = *norms = NULL;
        return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory laying out %zu training rows",
                         s->n_train);
    }
    for (size_t j = 0; j < s->n_train; j++) {
        double *tile = *tiles + j / KNN_TRAIN_TILE * KNN_TILE_STRIDE * d;
        for (size_t t = 0; t < d; t++)
            tile[t * KNN_TILE_STRIDE + j % KNN_TRAIN_TILE] = s->train[j * d + t];
    }
    s->tiles = *tiles;
    if (!dots) return DIAL_OK;
    for (size_t j = 0; j < n_tiles * KNN_TRAIN_TILE; j++) {
        double n2 = INFINITY; /* padding rows are never candidates */
        if (j < s->n_train) {
            n2 = 0;
            for (size_t t = 0; t < d; t++) n2 += s->train[j * d + t] * s->train[j * d + t];
            if (n2 > s->max_train_norm) s->max_train_norm = n2;
        }
        (*norms)[j] = n2;
    }
    s->train_norms = *norms;
    s->dots = knn_dots_pick();
    return DIAL_OK;
}

/* See knn_search.h; the answers come from knn_answer. */
dial_status dial_knn_search_run(dial_ctx *ctx, const char *algorithm, knn_search *s) {
    /* auto: measured on this code, a kd-tree beats brute force up to about
     * 8 features (on isotropic data; real data of low intrinsic dimension
     * can favour it further), and brute force wins beyond. */
    int use_tree =
        strcmp(algorithm, "kd_tree") == 0 ||
        (strcmp(algorithm, "auto") == 0 && s->d <= KNN_AUTO_TREE_FEATURES && s->k < s->n_train / 2);

    knn_kdtree tree;
    double *norms = NULL, *tiles = NULL, *expanded = NULL;
    dial_status status = DIAL_OK;
    if (s->compact && use_tree) {
        /* The tree needs coordinates: the dense rows, as they were fitted. */
        status = dial_knn_compact_expand(ctx, s->compact, &expanded);
        if (status != DIAL_OK) return status;
        s->train = expanded;
        s->compact = NULL;
    }
    if (use_tree) {
        status = dial_knn_kdtree_build(ctx, s->train, s->n_train, s->d, &tree);
        if (status != DIAL_OK) {
            free(expanded);
            return status;
        }
        s->tree = &tree;
    } else if (s->compact) {
        /* knn_brute_compact needs no layout */
    } else if (s->metric.metric != KNN_MINKOWSKI || s->metric.p_int) {
        status = knn_tiles_build(ctx, s, &tiles, &norms);
        if (status != DIAL_OK) return status;
    }

    /* about 4 MB of heaps per worker at most, and never fewer than 4 queries
     * per block (the dot-product kernel's group) */
    s->block = KNN_QUERY_BLOCK;
    while (s->block > 4 && s->block * s->k * (sizeof(double) + sizeof(size_t)) > ((size_t)4 << 20))
        s->block /= 2;
    size_t n_blocks = (s->n_queries + s->block - 1) / s->block;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > n_blocks) threads = (int)n_blocks;
    s->scratch_size = knn_scratch_layout(s, &(knn_worker){0}, NULL);
    s->scratch = aligned_alloc(64, s->scratch_size * (size_t)threads);
    if (!s->scratch) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory for the neighbour search");
    } else {
        status = dial_parallel_for(ctx, threads, n_blocks, knn_search_blocks, s);
    }
    free(s->scratch);
    s->scratch = NULL;
    free(norms);
    free(tiles);
    free(expanded);
    s->tiles = s->train_norms = NULL;
    if (use_tree) dial_knn_kdtree_free(&tree);
    s->tree = NULL;
    return status;
}
