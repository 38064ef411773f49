/*
 * k-nearest neighbours: classification by a (weighted) vote of the k training
 * rows nearest to a query, regression by their (weighted) mean.
 *
 * The model is nonparametric: fit keeps the training rows ("x", "y") and
 * predict searches them. Two exact searches give the same neighbours:
 *  - brute force over tiles of transposed training rows with vectorised
 *    kernels; for the euclidean metric the kernel estimates ||q||^2 +
 *    ||x||^2 - 2 q.x four queries at a time (the identity a dgemm would
 *    use: measured faster than OpenBLAS here, whose runtime detection may
 *    fall back to a generic kernel), and the rows whose estimate could be
 *    among the k nearest get their exact distance, so that cancellation
 *    never changes the order;
 *  - a kd-tree built inside predict from the stored rows (so a loaded model
 *    predicts exactly as the fitted one), for low dimension.
 * Every kept distance is computed by the same arithmetic, and neighbours are
 * ordered by (distance, training row index), so ties always go to the row
 * that comes first and both searches agree to the last bit.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/model.h"
#include "models/family_tuning.h"
#include "models/knn_compact.h"
#include "models/knn_distance.h"

static const char *const knn_weight_choices[] = {"uniform", "distance", NULL};
static const char *const knn_metric_choices[] = {"euclidean", "manhattan", "minkowski", NULL};
static const char *const knn_algorithm_choices[] = {"auto", "brute", "kd_tree", NULL};

static const dial_knob_spec knn_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "k",
     .type = DIAL_KNOB_INT,
     .default_text = "5",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 50,
     .condition = "",
     .doc = "number of neighbours that vote (or are averaged); all training rows when k exceeds "
            "their number (scikit-learn's default 5; searched 1..50, every k from one neighbour "
            "search per fold)"},
    {.name = "weights",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "uniform",
     .choices = knn_weight_choices,
     .condition = "",
     .doc = "weight of each neighbour: uniform, or distance (1/d; exact matches take all the "
            "weight)"},
    {.name = "metric",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "euclidean",
     .choices = knn_metric_choices,
     .condition = "",
     .doc = "distance between rows: euclidean, manhattan (sum of absolute differences) or "
            "minkowski with power p"},
    {.name = "p",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "2",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 5,
     .condition = "metric=minkowski",
     .doc = "power of the minkowski distance (1 is manhattan, 2 euclidean)"},
    {.name = "algorithm",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "auto",
     .choices = knn_algorithm_choices,
     .condition = "",
     .doc = "neighbour search: brute force, kd_tree, or auto (kd_tree up to 8 features, brute "
            "beyond); all give the same neighbours"},
};

/* ---- the k nearest so far: a max-heap on (distance, index) -------------- */

static inline int knn_before(double da, size_t ia, double db, size_t ib) {
    return da < db || (da == db && ia < ib);
}

typedef struct knn_heap {
    double *dist;
    size_t *index;
    size_t size, cap;
} knn_heap;

/* The distance a row must not exceed to enter: +inf until the heap is full. */
static inline double knn_heap_worst(const knn_heap *h) {
    return h->size < h->cap ? INFINITY : h->dist[0];
}

/* Puts (dist, index) at the root's place and lets it sink among the first
 * size entries. */
static void knn_heap_sink(knn_heap *h, size_t size, double dist, size_t index) {
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size &&
            knn_before(h->dist[child], h->index[child], h->dist[child + 1], h->index[child + 1]))
            child++;
        if (!knn_before(dist, index, h->dist[child], h->index[child])) break;
        h->dist[i] = h->dist[child];
        h->index[i] = h->index[child];
        i = child;
    }
    h->dist[i] = dist;
    h->index[i] = index;
}

static void knn_heap_push(knn_heap *h, double dist, size_t index) {
    if (h->size == h->cap) {
        if (knn_before(dist, index, h->dist[0], h->index[0]))
            knn_heap_sink(h, h->size, dist, index);
        return;
    }
    size_t i = h->size++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!knn_before(h->dist[parent], h->index[parent], dist, index)) break;
        h->dist[i] = h->dist[parent];
        h->index[i] = h->index[parent];
        i = parent;
    }
    h->dist[i] = dist;
    h->index[i] = index;
}

/* Sorts the heap's entries nearest first: the farthest goes to the end,
 * again and again (heapsort, as k may be as large as the training set). */
static void knn_heap_sort(knn_heap *h) {
    for (size_t end = h->size; end > 1; end--) {
        double dist = h->dist[end - 1];
        size_t index = h->index[end - 1];
        h->dist[end - 1] = h->dist[0];
        h->index[end - 1] = h->index[0];
        knn_heap_sink(h, end - 1, dist, index);
    }
}

/* ---- kd-tree -------------------------------------------------------------
 * Median splits on the dimension of largest spread, a bounding box per node.
 * The box's distance to a query is the reduced distance to the query clamped
 * into the box, computed by the same function as a row's: rounding is
 * monotonic, so it never exceeds the distance of a row inside the box and
 * pruning never loses a neighbour. */

enum { KNN_LEAF_SIZE = 24, KNN_AUTO_TREE_FEATURES = 8 };

typedef struct knn_kdnode {
    size_t start, end;  /* rows order[start .. end) */
    size_t left, right; /* children; 0 for a leaf (the root is never a child) */
} knn_kdnode;

typedef struct knn_kdtree {
    size_t n_nodes, capacity, depth;
    knn_kdnode *nodes;
    double *lo, *hi; /* n_nodes x d boxes */
    double *points;  /* the rows in tree order, n x d */
    size_t *order;   /* training index of each row in tree order */
} knn_kdtree;

static void knn_kdtree_free(knn_kdtree *tree) {
    free(tree->nodes);
    free(tree->lo);
    free(tree->hi);
    free(tree->points);
    free(tree->order);
}

static inline int knn_kd_less(const double *x, size_t d, size_t dim, size_t a, size_t b) {
    double va = x[a * d + dim], vb = x[b * d + dim];
    return va < vb || (va == vb && a < b);
}

/* Moves the row of rank nth (by coordinate dim, then index) to order[nth],
 * smaller ones before it and larger after (quickselect; the keys are
 * distinct, so duplicates cost nothing). */
static void knn_kd_select(const double *x, size_t d, size_t dim, size_t *order, size_t start,
                          size_t end, size_t nth) {
    ptrdiff_t lo = (ptrdiff_t)start, hi = (ptrdiff_t)end - 1, target = (ptrdiff_t)nth;
    while (hi > lo) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        /* median of three as the pivot */
        size_t a = order[lo], b = order[mid], c = order[hi], pivot;
        if (knn_kd_less(x, d, dim, a, b))
            pivot = knn_kd_less(x, d, dim, b, c) ? b : (knn_kd_less(x, d, dim, a, c) ? c : a);
        else
            pivot = knn_kd_less(x, d, dim, a, c) ? a : (knn_kd_less(x, d, dim, b, c) ? c : b);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (knn_kd_less(x, d, dim, order[i], pivot)) i++;
            while (knn_kd_less(x, d, dim, pivot, order[j])) j--;
            if (i <= j) {
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
                i++;
                j--;
            }
        }
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            return;
    }
}

/* Adds the node of rows order[start .. end) and its subtree; returns its
 * index, or (size_t)-1 when out of memory. */
static size_t knn_kd_build(knn_kdtree *tree, const double *x, size_t d, size_t start, size_t end,
                           size_t depth) {
    if (tree->n_nodes == tree->capacity) {
        size_t capacity = tree->capacity ? 2 * tree->capacity : 64;
        knn_kdnode *nodes = realloc(tree->nodes, capacity * sizeof *nodes);
        if (nodes) tree->nodes = nodes;
        double *lo = realloc(tree->lo, capacity * d * sizeof *lo);
        if (lo) tree->lo = lo;
        double *hi = realloc(tree->hi, capacity * d * sizeof *hi);
        if (hi) tree->hi = hi;
        if (!nodes || !lo || !hi) return (size_t)-1;
        tree->capacity = capacity;
    }
    size_t node = tree->n_nodes++;
    if (depth > tree->depth) tree->depth = depth;
    double *lo = tree->lo + node * d, *hi = tree->hi + node * d;
    for (size_t t = 0; t < d; t++) lo[t] = hi[t] = x[tree->order[start] * d + t];
    for (size_t i = start + 1; i < end; i++) {
        const double *row = x + tree->order[i] * d;
        for (size_t t = 0; t < d; t++) {
            if (row[t] < lo[t]) lo[t] = row[t];
            if (row[t] > hi[t]) hi[t] = row[t];
        }
    }
    size_t dim = 0;
    double spread = -1;
    for (size_t t = 0; t < d; t++)
        if (hi[t] - lo[t] > spread) spread = hi[t] - lo[t], dim = t;
    tree->nodes[node] = (knn_kdnode){start, end, 0, 0};
    if (end - start <= KNN_LEAF_SIZE || spread <= 0) return node;

    size_t mid = start + (end - start) / 2;
    knn_kd_select(x, d, dim, tree->order, start, end, mid);
    size_t left = knn_kd_build(tree, x, d, start, mid, depth + 1);
    if (left == (size_t)-1) return left;
    size_t right = knn_kd_build(tree, x, d, mid, end, depth + 1);
    if (right == (size_t)-1) return right;
    tree->nodes[node].left = left;
    tree->nodes[node].right = right;
    return node;
}

static dial_status knn_kdtree_build(dial_ctx *ctx, const double *x, size_t n, size_t d,
                                    knn_kdtree *tree) {
    memset(tree, 0, sizeof *tree);
    tree->order = malloc(n * sizeof *tree->order);
    tree->points = malloc(n * d * sizeof *tree->points);
    if (!tree->order || !tree->points) goto nomem;
    for (size_t i = 0; i < n; i++) tree->order[i] = i;
    if (knn_kd_build(tree, x, d, 0, n, 0) == (size_t)-1) goto nomem;
    for (size_t i = 0; i < n; i++)
        memcpy(tree->points + i * d, x + tree->order[i] * d, d * sizeof(double));
    return DIAL_OK;
nomem:
    knn_kdtree_free(tree);
    return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory building a kd-tree of %zu rows", n);
}

/* ---- the search ------------------------------------------------------- */

/* Queries are handled in blocks (of at most KNN_QUERY_BLOCK, fewer when k
 * is large): a block's k-nearest heaps stay in cache while the training rows
 * stream past in tiles. */
enum { KNN_QUERY_BLOCK = 64, KNN_TRAIN_TILE = 256, KNN_LANES = 32 };
/* Distance between two features' rows of a transposed tile: padded so the
 * features of one row do not all fall in the same cache sets. */
enum { KNN_TILE_STRIDE = KNN_TRAIN_TILE + 8 };

typedef enum knn_weighting { KNN_UNIFORM, KNN_DISTANCE } knn_weighting;

/* A dot-product kernel: see KNN_DOTS_KERNEL. */
typedef void (*knn_dots_fn)(const double *const *q, const double *tile, size_t d, size_t nj,
                            double *dots);

typedef struct knn_search {
    knn_distance metric;
    knn_weighting weighting;
    size_t k;     /* at most n_train */
    size_t block; /* queries per block */
    const double *train, *train_y;
    size_t n_train, d;
    dial_task task;
    size_t n_classes;
    const double *queries;
    size_t n_queries;
    const knn_kdtree *tree; /* NULL: brute force */
    /* brute force over training rows kept as category codes (train is then
     * NULL), with the codes of the queries' blocks */
    const knn_compact *compact;
    const int64_t *query_codes;
    const double *tiles; /* the rows transposed tile by tile (d x KNN_TILE_STRIDE each), or NULL */
    const double *train_norms; /* ||x||^2 of each row, +inf past the last (euclidean) */
    double max_train_norm;
    knn_dots_fn dots;
    dial_predict_output out;
    /* prepare_fold: instead of predicting, keep each query's k nearest
     * (n_queries x k, nearest first) and how many it has */
    size_t *keep_index;
    double *keep_dist; /* true distances */
    size_t *keep_count;
    char *scratch; /* per worker, scratch_size bytes each */
    size_t scratch_size;
} knn_search;

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
    }
}

/* Turns the k nearest of query i (index, nearest first) into its
 * prediction. weight holds their true distances when the weighting is by
 * distance and receives the weights (any content otherwise). The one
 * arithmetic of both predict and predict_fold, so they agree to the bit. */
static void knn_vote(const knn_search *s, double *votes, const size_t *index, double *weight,
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
    knn_vote(s, w->votes, h->index, h->dist, k, i);
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

/* ---- the family ------------------------------------------------------- */

static dial_status knn_check_target(dial_ctx *ctx, const char *who, const double *y, size_t n,
                                    dial_task task, size_t n_classes, dial_status status) {
    for (size_t i = 0; i < n; i++) {
        if (task == DIAL_TASK_CLASSIFICATION) {
            if (!(y[i] >= 0 && y[i] < (double)n_classes && y[i] == floor(y[i])))
                return dial_fail(ctx, status,
                                 "knn: %s of row %zu is %g, expected a class index in 0..%zu", who,
                                 i, y[i], n_classes - 1);
        } else if (!isfinite(y[i])) {
            return dial_fail(ctx, status, "knn: %s of row %zu is %g, expected a finite number", who,
                             i, y[i]);
        }
    }
    return DIAL_OK;
}

static dial_status knn_check_features(dial_ctx *ctx, const double *x, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            if (!isfinite(x[i * d + t]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "knn: feature %zu of row %zu is %g; impute missing values first",
                                 t, i, x[i * d + t]);
    return DIAL_OK;
}

static dial_status knn_check_task(dial_ctx *ctx, dial_task task, size_t n_classes) {
    if (task == DIAL_TASK_REGRESSION) return DIAL_OK;
    if (task == DIAL_TASK_CLASSIFICATION && n_classes >= 1) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "knn: the task must be classification (with at least one class) or "
                     "regression, got %s with %zu classes",
                     dial_task_name(task), n_classes);
}

/* Keeps copies of the training rows: they are what the model predicts from. */
static dial_status knn_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "knn: no training rows");
    if (in->n_features == 0)
        return dial_fail(ctx, DIAL_ERR_DATA, "knn: no features to measure distances on");
    status = knn_check_features(ctx, in->x, in->n_rows, in->n_features);
    if (status != DIAL_OK) return status;
    status =
        knn_check_target(ctx, "target", in->y, in->n_rows, in->task, in->n_classes, DIAL_ERR_DATA);
    if (status != DIAL_OK) return status;

    double *x, *y;
    size_t shape[2] = {in->n_rows, in->n_features};
    if (in->n_onehot) {
        /* Category codes: a row costs a code per categorical feature, not a
         * column per level (knn_compact.h). */
        status = knn_compact_fit(ctx, in, learned);
    } else {
        status = dial_tensors_add(ctx, learned, "x", DIAL_F64, 2, shape, (void **)&x);
        if (status == DIAL_OK) memcpy(x, in->x, in->n_rows * in->n_features * sizeof *x);
    }
    if (status != DIAL_OK) return status;
    status = dial_tensors_add(ctx, learned, "y", DIAL_F64, 1, shape, (void **)&y);
    if (status != DIAL_OK) return status;
    memcpy(y, in->y, in->n_rows * sizeof *y);
    (void)knobs;
    return DIAL_OK;
}

/* The stored rows, checked: they may come from a file. Dense rows ("x")
 * set *x; rows kept as category codes set *compact (and leave *x NULL). */
typedef struct knn_rows {
    const double *x;
    knn_compact compact;
    const double *y;
    size_t n;
} knn_rows;

static dial_status knn_learned_rows(dial_ctx *ctx, const dial_tensors *learned,
                                    const dial_fit_input *in, knn_rows *rows) {
    memset(rows, 0, sizeof *rows);
    const dial_tensor *x = dial_tensors_find(learned, "x");
    const dial_tensor *y = dial_tensors_find(learned, "y");
    dial_status status = DIAL_OK;
    if (knn_compact_present(learned)) {
        if (x)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensors hold both dense rows 'x' and category "
                             "codes 'x.codes'; a model keeps one or the other");
        status = knn_compact_load(ctx, learned, in->n_features, &rows->compact);
        if (status != DIAL_OK) return status;
        rows->n = rows->compact.n_rows;
    } else {
        if (!x) return dial_fail(ctx, DIAL_ERR_FORMAT, "knn: the learned tensor 'x' is missing");
        if (x->dtype != DIAL_F64 || x->ndim != 2 || x->shape[0] == 0 ||
            x->shape[1] != in->n_features)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor 'x' must be f64 of shape [rows x %zu] with "
                             "at least one row",
                             in->n_features);
        for (size_t i = 0; i < dial_tensor_size(x); i++)
            if (!isfinite(((const double *)x->data)[i]))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "knn: the learned tensor 'x' holds %g at %zu",
                                 ((const double *)x->data)[i], i);
        rows->x = x->data;
        rows->n = x->shape[0];
    }
    if (!y) return dial_fail(ctx, DIAL_ERR_FORMAT, "knn: the learned tensor 'y' is missing");
    if (y->dtype != DIAL_F64 || y->ndim != 1 || y->shape[0] != rows->n)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "knn: the learned tensor 'y' must be f64 of shape [%zu], one value per "
                         "training row",
                         rows->n);
    status = knn_check_target(ctx, "learned tensor 'y'", y->data, y->shape[0], in->task,
                              in->n_classes, DIAL_ERR_FORMAT);
    if (status != DIAL_OK) return status;
    rows->y = y->data;
    return DIAL_OK;
}

/* Refuses damaged rows when a model file is loaded, not at its first use. */
static dial_status knn_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    (void)knobs;
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    knn_rows rows;
    if (status == DIAL_OK) status = knn_learned_rows(ctx, learned, in, &rows);
    return status;
}

/* Lays the training rows out in transposed tiles for the brute-force
 * kernels, and for the euclidean metric their squared norms. */
static dial_status knn_tiles_build(dial_ctx *ctx, knn_search *s, double **tiles, double **norms) {
    size_t n_tiles = (s->n_train + KNN_TRAIN_TILE - 1) / KNN_TRAIN_TILE, d = s->d;
    *tiles = calloc(n_tiles * KNN_TILE_STRIDE * d, sizeof **tiles);
    int dots = s->metric.metric == KNN_EUCLIDEAN;
    *norms = dots ? malloc(n_tiles * KNN_TRAIN_TILE * sizeof **norms) : NULL;
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

/* The distance and the weighting the knobs ask for. */
static void knn_configure(const dial_knobs *knobs, knn_search *s) {
    s->weighting =
        strcmp(dial_knobs_choice(knobs, "weights"), "distance") == 0 ? KNN_DISTANCE : KNN_UNIFORM;
    const char *metric = dial_knobs_choice(knobs, "metric");
    s->metric = (knn_distance){.metric = strcmp(metric, "manhattan") == 0   ? KNN_MANHATTAN
                                         : strcmp(metric, "minkowski") == 0 ? KNN_MINKOWSKI
                                                                            : KNN_EUCLIDEAN};
    if (s->metric.metric == KNN_MINKOWSKI) {
        double p = dial_knobs_float(knobs, "p");
        s->metric.p = p;
        /* The same distances, computed faster (scikit-learn does the same). */
        if (p == 1) s->metric.metric = KNN_MANHATTAN;
        if (p == 2) s->metric.metric = KNN_EUCLIDEAN;
        if (p == floor(p) && p <= 16) s->metric.p_int = (int)p;
    }
}

/* k as predict uses it: at least 1, at most the training rows. */
static size_t knn_effective_k(long k, size_t n_train) {
    return k < 1 ? 1 : ((size_t)k > n_train ? n_train : (size_t)k);
}

/* Finds the s->k nearest training rows of every query and answers each
 * (knn_answer), with the search the algorithm knob picks; s is set up but
 * for the search structures, which live only during the call. */
static dial_status knn_search_run(dial_ctx *ctx, const char *algorithm, knn_search *s) {
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
        status = knn_compact_expand(ctx, s->compact, &expanded);
        if (status != DIAL_OK) return status;
        s->train = expanded;
        s->compact = NULL;
    }
    if (use_tree) {
        status = knn_kdtree_build(ctx, s->train, s->n_train, s->d, &tree);
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
    if (use_tree) knn_kdtree_free(&tree);
    s->tree = NULL;
    return status;
}

static dial_status knn_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    if (status != DIAL_OK) return status;
    if (in->task == DIAL_TASK_REGRESSION && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "knn: no class probabilities in regression");
    knn_rows rows;
    status = knn_learned_rows(ctx, learned, in, &rows);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0) return DIAL_OK;
    status = knn_check_features(ctx, in->x, in->n_rows, in->n_features);
    if (status != DIAL_OK) return status;

    knn_search s = {.train = rows.x,
                    .compact = rows.x ? NULL : &rows.compact,
                    .train_y = rows.y,
                    .n_train = rows.n,
                    .d = in->n_features,
                    .task = in->task,
                    .n_classes = in->task == DIAL_TASK_CLASSIFICATION ? in->n_classes : 0,
                    .queries = in->x,
                    .n_queries = in->n_rows,
                    .out = *out};
    int64_t *query_codes = NULL;
    if (s.compact) {
        status = knn_compact_query_codes(ctx, s.compact, in->x, in->n_rows, &query_codes);
        if (status != DIAL_OK) return status;
        s.query_codes = query_codes;
    }
    s.k = knn_effective_k(dial_knobs_int(knobs, "k"), s.n_train);
    knn_configure(knobs, &s);
    status = knn_search_run(ctx, dial_knobs_choice(knobs, "algorithm"), &s);
    free(query_codes);
    return status;
}

/* ---- prepare once, fit many -----------------------------------------------
 * For tuning: the neighbours of a fold's test rows depend on the metric
 * (and p) but not on k or the weights. prepare_fold finds, for every test
 * row, its K nearest training rows once, K the largest k the search may
 * ask for, and keeps them sorted by (distance, index) as predict orders
 * them; the k nearest are then the first k of that list, so predict_fold
 * answers any k <= K and either weighting by knn_vote, the arithmetic of
 * predict, and the predictions are those of a full fit and predict to the
 * bit. The algorithm knob is among the prepare knobs only because it is a
 * search option: every algorithm finds the same neighbours. */

static const char *const knn_prepare_knobs[] = {"metric", "p", "algorithm", NULL};

/* Lists larger than this are not kept: the tuner then fits every trial in
 * full, whose search holds only a block of queries' heaps at a time. */
#define KNN_FOLD_MAX_BYTES ((size_t)1 << 30)

typedef struct knn_fold {
    size_t n_test, n_train, k_max; /* k_max: the K of the lists */
    dial_task task;
    size_t n_classes;
    knn_distance metric; /* what the lists were measured with */
    size_t *index;       /* n_test x k_max training rows, nearest first */
    double *dist;        /* n_test x k_max true distances */
    size_t *count;       /* n_test: entries of each list (k_max) */
    double *train_y;     /* n_train: class index or value */
} knn_fold;

static void knn_free_fold(void *state) {
    knn_fold *fold = state;
    if (!fold) return;
    free(fold->index);
    free(fold->dist);
    free(fold->count);
    free(fold->train_y);
    free(fold);
}

static dial_status knn_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_knobs *knobs_max, const dial_fit_input *train,
                                    const dial_fit_input *test, void **fold_state) {
    *fold_state = NULL;
    dial_status status = knn_check_task(ctx, train->task, train->n_classes);
    if (status != DIAL_OK) return status;
    if (train->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "knn: no training rows");
    if (train->n_features == 0 || test->n_features != train->n_features)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "knn: the fold has %zu training and %zu test features; expected the "
                         "same number, at least 1",
                         train->n_features, test->n_features);
    status = knn_check_features(ctx, train->x, train->n_rows, train->n_features);
    if (status == DIAL_OK)
        status = knn_check_features(ctx, test->x, test->n_rows, test->n_features);
    if (status == DIAL_OK)
        status = knn_check_target(ctx, "target", train->y, train->n_rows, train->task,
                                  train->n_classes, DIAL_ERR_DATA);
    if (status != DIAL_OK) return status;

    long k = dial_knobs_int(knobs, "k"), k_max = knobs_max ? dial_knobs_int(knobs_max, "k") : k;
    size_t big_k = knn_effective_k(k_max > k ? k_max : k, train->n_rows);
    size_t n_test = test->n_rows;
    if (n_test && big_k > KNN_FOLD_MAX_BYTES / n_test / (sizeof(double) + sizeof(size_t)))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the lists of the %zu nearest of %zu test rows would exceed %zu MiB",
                         big_k, n_test, KNN_FOLD_MAX_BYTES >> 20);
    knn_fold *fold = calloc(1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory preparing a fold");
    size_t cells = n_test * big_k;
    fold->index = malloc((cells ? cells : 1) * sizeof *fold->index);
    fold->dist = malloc((cells ? cells : 1) * sizeof *fold->dist);
    fold->count = calloc(n_test ? n_test : 1, sizeof *fold->count);
    fold->train_y = malloc(train->n_rows * sizeof *fold->train_y);
    if (!fold->index || !fold->dist || !fold->count || !fold->train_y) {
        knn_free_fold(fold);
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "knn: out of memory for the %zu nearest of %zu test rows", big_k, n_test);
    }
    memcpy(fold->train_y, train->y, train->n_rows * sizeof *fold->train_y);
    fold->n_test = n_test;
    fold->n_train = train->n_rows;
    fold->k_max = big_k;
    fold->task = train->task;
    fold->n_classes = train->task == DIAL_TASK_CLASSIFICATION ? train->n_classes : 0;

    knn_search s = {.train = train->x,
                    .train_y = train->y,
                    .n_train = train->n_rows,
                    .d = train->n_features,
                    .task = fold->task,
                    .n_classes = fold->n_classes,
                    .queries = test->x,
                    .n_queries = n_test,
                    .k = big_k,
                    .keep_index = fold->index,
                    .keep_dist = fold->dist,
                    .keep_count = fold->count};
    knn_configure(knobs, &s);
    fold->metric = s.metric;
    status = n_test ? knn_search_run(ctx, dial_knobs_choice(knobs, "algorithm"), &s) : DIAL_OK;
    if (status != DIAL_OK) {
        knn_free_fold(fold);
        return status;
    }
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status knn_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                    dial_predict_output *out) {
    const knn_fold *fold = state;
    if (fold->task == DIAL_TASK_REGRESSION && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "knn: no class probabilities in regression");
    knn_search s = {.train_y = fold->train_y,
                    .n_train = fold->n_train,
                    .task = fold->task,
                    .n_classes = fold->n_classes,
                    .out = *out};
    knn_configure(knobs, &s);
    if (s.metric.metric != fold->metric.metric ||
        (s.metric.metric == KNN_MINKOWSKI && s.metric.p != fold->metric.p))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the fold was prepared for another metric than '%s'",
                         dial_knobs_choice(knobs, "metric"));
    size_t k = knn_effective_k(dial_knobs_int(knobs, "k"), fold->n_train);
    if (k > fold->k_max)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the fold was prepared for k up to %zu, not %zu", fold->k_max, k);
    double *weight = malloc((k + fold->n_classes + 1) * sizeof *weight);
    if (!weight) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory predicting a fold");
    double *votes = weight + k;
    for (size_t i = 0; i < fold->n_test; i++) {
        size_t n = fold->count[i] < k ? fold->count[i] : k;
        if (s.weighting == KNN_DISTANCE)
            memcpy(weight, fold->dist + i * fold->k_max, n * sizeof *weight);
        knn_vote(&s, votes, fold->index + i * fold->k_max, weight, n, i);
    }
    free(weight);
    return DIAL_OK;
}

static const char knn_nonparametric_doc[] =
    "keeps the training rows after preprocessing: \"x\" [n_rows x n_features] and \"y\" [n_rows] "
    "(class index or value); a prediction searches them for the k nearest. With categorical "
    "features a row keeps its level codes instead of one-hot columns: \"x.numeric\", "
    "\"x.codes\", \"x.blocks\" and \"x.onehot\" in place of \"x\"";

static const dial_family_tuning knn_tuning = {
    .prepare_knobs = knn_prepare_knobs,
    .prepare_fold = knn_prepare_fold,
    .predict_fold = knn_predict_fold,
    .free_fold = knn_free_fold,
};

const dial_model_family dial_model_knn = {
    .name = "knn",
    .summary = "k-nearest neighbours: vote or mean of the k closest training rows",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = knn_knobs,
    .n_knobs = sizeof knn_knobs / sizeof knn_knobs[0],
    .params = NULL,
    .n_params = 0,
    .nonparametric_doc = knn_nonparametric_doc,
    .fit = knn_fit,
    .predict = knn_predict,
    .tuning = &knn_tuning,
    .validate = knn_validate,
};
