/*
 * Growing one tree of gradient boosting: partitions, histograms by
 * subtraction, splits level by level or best first.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt_tree.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <immintrin.h>
#define TREE_AVX512 1
#endif

/* Below this many slot updates (rows times features) a step runs on the
 * calling thread: starting threads costs more than it saves. */
#define TREE_PARALLEL_WORK ((size_t)1 << 17)
/* Features per histogram work item: the kernel's group. */
#define TREE_FEATURE_GROUP 4

/* One histogram to build from rows, or one feature of a child to finish
 * (subtract, when its histogram is its parent's minus its sibling's, then
 * search for a split). */
typedef struct tree_item {
    int32_t node;
    uint32_t first; /* index into the tree's feature list */
    uint32_t count;
} tree_item;

struct dial_gbdt_grower {
    const dial_ctx *ctx; /* of the fit that made it: whose allocation hook it asks */
    const dial_gbdt_bins *bins;
    size_t n_slots;
    uint32_t *rows, *tmp;     /* n_rows each */
    uint32_t *passive, *ptmp; /* n_rows each */
    dial_gbdt_node *nodes;
    dial_gbdt_sum **hist;    /* per node: its histogram, NULL when it has none */
    dial_gbdt_sum **sibling; /* per node: the sibling to subtract, NULL when built */
    dial_gbdt_split *best;   /* per node: its best split */
    size_t n_nodes, node_capacity;
    dial_gbdt_sum **pool; /* free histogram buffers */
    size_t n_pool, pool_capacity;
    int32_t *pending, *batch, *children; /* node lists */
    tree_item *items;
    size_t item_capacity;
    dial_gbdt_split *feature_best; /* per (child, feature) of a finishing step */
    size_t feature_best_capacity;
    /* sparse rows: the features cut into ranges of at most
     * params->range_slots slots (range q is features ranges[q] ..
     * ranges[q + 1] - 1), and per worker a histogram of a range's slots
     * and a count per feature, zero between nodes, and a cursor per row
     * (n_workers of each) */
    uint32_t *ranges;
    size_t n_ranges, range_slots, n_rows;
    dial_gbdt_sum **worker_hist;
    dial_gbdt_sparse_seen *worker_seen;
    size_t **worker_cursor;
    int n_workers;
    /* what the current step's parallel bodies read */
    const dial_gbdt_tree_params *params;
    const dial_gbdt_tree_input *in;
    size_t n_items;
};

dial_gbdt_grower *dial_gbdt_grower_new(const dial_ctx *ctx, const dial_gbdt_bins *bins,
                                       size_t n_rows) {
    dial_gbdt_grower *g = dial_calloc(ctx, 1, sizeof *g);
    if (!g) return NULL;
    g->ctx = ctx;
    g->bins = bins;
    g->n_slots = bins->slot[bins->n_features];
    g->n_rows = n_rows;
    g->rows = dial_malloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->rows);
    g->tmp = dial_malloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->tmp);
    g->passive = dial_malloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->passive);
    g->ptmp = dial_malloc(ctx, (n_rows ? n_rows : 1) * sizeof *g->ptmp);
    if (!g->rows || !g->tmp || !g->passive || !g->ptmp) {
        dial_gbdt_grower_free(g);
        return NULL;
    }
    return g;
}

void dial_gbdt_grower_free(dial_gbdt_grower *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_nodes; i++) free(g->hist[i]);
    for (size_t i = 0; i < g->n_pool; i++) free(g->pool[i]);
    free(g->pool);
    free(g->rows);
    free(g->tmp);
    free(g->passive);
    free(g->ptmp);
    free(g->nodes);
    free(g->hist);
    free(g->sibling);
    free(g->best);
    free(g->pending);
    free(g->batch);
    free(g->children);
    free(g->items);
    free(g->feature_best);
    for (int w = 0; w < g->n_workers; w++) {
        free(g->worker_hist[w]);
        free(g->worker_seen[w].held);
        free(g->worker_seen[w].lo);
        free(g->worker_seen[w].hi);
        free(g->worker_cursor[w]);
    }
    free(g->worker_hist);
    free(g->worker_seen);
    free(g->worker_cursor);
    free(g->ranges);
    free(g);
}

const dial_gbdt_node *dial_gbdt_grower_nodes(const dial_gbdt_grower *g, size_t *n_nodes) {
    *n_nodes = g->n_nodes;
    return g->nodes;
}

dial_gbdt_node *dial_gbdt_grower_nodes_mutable(dial_gbdt_grower *g) { return g->nodes; }

const uint32_t *dial_gbdt_grower_rows(const dial_gbdt_grower *g) { return g->rows; }

const uint32_t *dial_gbdt_grower_passive(const dial_gbdt_grower *g) { return g->passive; }

/* ---- buffers ------------------------------------------------------------------ */

static dial_gbdt_sum *tree_take(dial_gbdt_grower *g) {
    if (g->n_pool) return g->pool[--g->n_pool];
    return dial_malloc(g->ctx, (g->n_slots ? g->n_slots : 1) * sizeof(dial_gbdt_sum));
}

static dial_status tree_release(dial_gbdt_grower *g, dial_gbdt_sum *buffer) {
    if (!buffer) return DIAL_OK;
    if (g->n_pool == g->pool_capacity) {
        size_t capacity = g->pool_capacity ? 2 * g->pool_capacity : 16;
        dial_gbdt_sum **pool = dial_realloc(g->ctx, g->pool, capacity * sizeof *pool);
        if (!pool) {
            free(buffer);
            return DIAL_ERR_NOMEM;
        }
        g->pool = pool;
        g->pool_capacity = capacity;
    }
    g->pool[g->n_pool++] = buffer;
    return DIAL_OK;
}

/* Room for more nodes in every per-node array. */
static dial_status tree_reserve_nodes(dial_gbdt_grower *g, size_t more) {
    if (g->n_nodes + more <= g->node_capacity) return DIAL_OK;
    size_t capacity = g->node_capacity ? 2 * g->node_capacity : 64;
    while (capacity < g->n_nodes + more) capacity *= 2;
    dial_gbdt_node *nodes = dial_realloc(g->ctx, g->nodes, capacity * sizeof *nodes);
    if (nodes) g->nodes = nodes;
    dial_gbdt_sum **hist = dial_realloc(g->ctx, g->hist, capacity * sizeof *hist);
    if (hist) g->hist = hist;
    dial_gbdt_sum **sibling = dial_realloc(g->ctx, g->sibling, capacity * sizeof *sibling);
    if (sibling) g->sibling = sibling;
    dial_gbdt_split *best = dial_realloc(g->ctx, g->best, capacity * sizeof *best);
    if (best) g->best = best;
    int32_t *pending = dial_realloc(g->ctx, g->pending, capacity * sizeof *pending);
    if (pending) g->pending = pending;
    int32_t *batch = dial_realloc(g->ctx, g->batch, capacity * sizeof *batch);
    if (batch) g->batch = batch;
    int32_t *children = dial_realloc(g->ctx, g->children, capacity * sizeof *children);
    if (children) g->children = children;
    if (!nodes || !hist || !sibling || !best || !pending || !batch || !children)
        return DIAL_ERR_NOMEM;
    g->node_capacity = capacity;
    return DIAL_OK;
}

static dial_status tree_reserve_items(dial_gbdt_grower *g, size_t n_items, size_t n_best) {
    if (n_items > g->item_capacity) {
        tree_item *items = dial_realloc(g->ctx, g->items, n_items * sizeof *items);
        if (!items) return DIAL_ERR_NOMEM;
        g->items = items;
        g->item_capacity = n_items;
    }
    if (n_best > g->feature_best_capacity) {
        dial_gbdt_split *best = dial_realloc(g->ctx, g->feature_best, n_best * sizeof *best);
        if (!best) return DIAL_ERR_NOMEM;
        g->feature_best = best;
        g->feature_best_capacity = n_best;
    }
    return DIAL_OK;
}

/* ---- nodes ----------------------------------------------------------------------- */

static void tree_make_node(dial_gbdt_grower *g, const dial_gbdt_tree_params *p, int32_t id,
                           uint32_t begin, uint32_t end, uint32_t pbegin, uint32_t pend,
                           dial_gbdt_sum sum, uint16_t depth) {
    g->nodes[id] = (dial_gbdt_node){
        .feature = -1,
        .depth = depth,
        .left = -1,
        .right = -1,
        .begin = begin,
        .end = end,
        .pbegin = pbegin,
        .pend = pend,
        .value = p->learning_rate * dial_gbdt_leaf_weight(&p->split, sum.g, sum.h),
        .sum = sum,
    };
    g->hist[id] = NULL;
    g->sibling[id] = NULL;
    g->best[id] = (dial_gbdt_split){.feature = -1};
}

/* Whether a node could be split at all: room below it, two rows, and
 * enough hessian for two children. */
static bool tree_expandable(const dial_gbdt_tree_params *p, const dial_gbdt_node *node) {
    if (p->max_depth > 0 && node->depth >= p->max_depth) return false;
    return node->end - node->begin >= 2 && node->sum.h >= 2 * p->split.min_child_weight;
}

/* Splits rows[0 .. m) stably: left-going rows (code <= bin, or the missing
 * code when default_left) stay in place in order, the others gather in tmp
 * and follow them. Returns the number going left. */
static uint32_t tree_partition_scalar(const uint8_t *codes, unsigned missing, unsigned bin,
                                      unsigned default_left, uint32_t *rows, uint32_t *tmp,
                                      uint32_t m) {
    uint32_t n_left = 0, n_right = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t r = rows[i];
        unsigned code = codes[r];
        unsigned left = code == missing ? default_left : code <= bin;
        /* n_left <= i: the slot written was already read */
        rows[n_left] = r;
        tmp[n_right] = r;
        n_left += left;
        n_right += 1 - left;
    }
    memcpy(rows + n_left, tmp, n_right * sizeof *rows);
    return n_left;
}

/* The same on a categorical feature: rows whose code's bit is set go
 * left. */
static uint32_t tree_partition_category(const uint8_t *codes, const uint64_t *bits, uint32_t *rows,
                                        uint32_t *tmp, uint32_t m) {
    uint32_t n_left = 0, n_right = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t r = rows[i];
        unsigned code = codes[r], left = (unsigned)(bits[code / 64] >> (code % 64) & 1);
        rows[n_left] = r;
        tmp[n_right] = r;
        n_left += left;
        n_right += 1 - left;
    }
    memcpy(rows + n_left, tmp, n_right * sizeof *rows);
    return n_left;
}

#ifdef TREE_AVX512
/* The same, sixteen rows at a time: their codes gathered (four bytes from
 * each row's code on, hence the padding after every coded matrix), the
 * left-going ones packed in order into one whole vector stored at
 * rows + n_left, the others into one at tmp + n_right: as both counts are
 * at most i, each store lies within the sixteen slots just read (or
 * before them). */
__attribute__((target("avx512f"))) static uint32_t
tree_partition_avx512(const uint8_t *codes, unsigned missing, unsigned bin, unsigned default_left,
                      uint32_t *rows, uint32_t *tmp, uint32_t m) {
    const __m512i low_byte = _mm512_set1_epi32(0xFF), bins = _mm512_set1_epi32((int)bin);
    const __m512i missing_code = _mm512_set1_epi32((int)missing);
    uint32_t n_left = 0, n_right = 0, i = 0;
    for (; i + 16 <= m; i += 16) {
        __m512i r = _mm512_loadu_si512(rows + i);
        __m512i code =
            _mm512_and_si512(_mm512_i32gather_epi32(r, (const void *)codes, 1), low_byte);
        __mmask16 left = _mm512_cmple_epu32_mask(code, bins);
        if (default_left) left |= _mm512_cmpeq_epi32_mask(code, missing_code);
        _mm512_storeu_si512(rows + n_left, _mm512_maskz_compress_epi32(left, r));
        _mm512_storeu_si512(tmp + n_right, _mm512_maskz_compress_epi32((__mmask16)~left, r));
        unsigned count = (unsigned)__builtin_popcount(left);
        n_left += count;
        n_right += 16 - count;
    }
    for (; i < m; i++) {
        uint32_t r = rows[i];
        unsigned code = codes[r];
        unsigned left = code == missing ? default_left : code <= bin;
        rows[n_left] = r;
        tmp[n_right] = r;
        n_left += left;
        n_right += 1 - left;
    }
    memcpy(rows + n_left, tmp, n_right * sizeof *rows);
    return n_left;
}
#endif

/* Splits rows[0 .. m) stably by the node's split. Returns the number going
 * left, which come first. */
/* The same on sparse rows: each row's code found among its entries. */
static uint32_t tree_partition_sparse(const dial_gbdt_bins *bins, const dial_gbdt_sparse_rows *s,
                                      const dial_gbdt_node *node, uint32_t *rows, uint32_t *tmp,
                                      uint32_t m) {
    uint32_t f = (uint32_t)node->feature;
    unsigned missing = bins->n_values[f], zero = bins->zero_code[f];
    uint32_t n_left = 0, n_right = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t r = rows[i];
        unsigned code = dial_gbdt_sparse_code(s, bins->zero_code, r, f);
        unsigned left = code == missing ? node->default_left
                        : code == zero  ? node->zero_left
                                        : code <= node->bin;
        rows[n_left] = r;
        tmp[n_right] = r;
        n_left += left;
        n_right += 1 - left;
    }
    memcpy(rows + n_left, tmp, n_right * sizeof *rows);
    return n_left;
}

static uint32_t tree_partition(const dial_gbdt_grower *g, const dial_gbdt_tree_input *in,
                               const dial_gbdt_node *node, uint32_t *rows, uint32_t *tmp,
                               uint32_t m) {
    if (in->data.sparse) return tree_partition_sparse(g->bins, in->data.sparse, node, rows, tmp, m);
    const uint8_t *codes = in->data.codes + (size_t)node->feature * in->data.n_rows;
    unsigned missing = g->bins->n_values[node->feature];
    if (g->bins->levels && g->bins->levels[node->feature])
        return tree_partition_category(codes, node->bits, rows, tmp, m);
#ifdef TREE_AVX512
    /* row numbers are gathered as signed 32-bit offsets */
    if (m >= 64 && in->data.n_rows < ((size_t)1 << 31) && __builtin_cpu_supports("avx512f"))
        return tree_partition_avx512(codes, missing, node->bin, node->default_left, rows, tmp, m);
#endif
    return tree_partition_scalar(codes, missing, node->bin, node->default_left, rows, tmp, m);
}

/* ---- the parallel steps ---------------------------------------------------------- */

static dial_status tree_build_items(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    dial_gbdt_grower *g = arg;
    const dial_gbdt_tree_input *in = g->in;
    for (size_t k = begin; k < end; k++) {
        const tree_item *item = &g->items[k];
        const dial_gbdt_node *node = &g->nodes[item->node];
        const uint32_t *rows = g->rows + node->begin;
        size_t m = node->end - node->begin;
        /* rows 0 .. m-1 (ascending and distinct, they are exactly those
         * when the last is m-1) read codes and derivatives straight */
        if (m > 0 && rows[m - 1] == m - 1) rows = NULL;
        dial_gbdt_hist_build(&in->data, in->features + item->first, item->count, rows, m,
                             g->hist[item->node]);
    }
    return DIAL_OK;
}

static dial_status tree_finish_items(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    dial_gbdt_grower *g = arg;
    const dial_gbdt_tree_input *in = g->in;
    for (size_t k = begin; k < end; k++) {
        const tree_item *item = &g->items[k];
        int32_t id = item->node;
        dial_gbdt_sum *hist = g->hist[id];
        for (uint32_t j = item->first; j < item->first + item->count; j++) {
            uint32_t f = in->features[j];
            if (g->sibling[id]) dial_gbdt_hist_subtract(g->bins, &f, 1, hist, g->sibling[id]);
            g->feature_best[k * TREE_FEATURE_GROUP + (j - item->first)] =
                dial_gbdt_split_feature(&g->params->split, g->bins, f, hist, g->nodes[id].sum);
        }
    }
    return DIAL_OK;
}

static dial_status tree_run(dial_ctx *ctx, dial_gbdt_grower *g, size_t work, int threads,
                            dial_range_fn body) {
    if (threads <= 1 || work < TREE_PARALLEL_WORK) return body(g, 0, g->n_items, 0);
    return dial_parallel_for(ctx, threads, g->n_items, body, g);
}

/* Builds the histograms of nodes[0 .. n) from their rows (those with a
 * NULL sibling), subtracts for the others, and finds every node's best
 * split. */
static dial_status tree_histograms_and_splits(dial_ctx *ctx, dial_gbdt_grower *g,
                                              const int32_t *nodes, size_t n, int threads) {
    const dial_gbdt_tree_input *in = g->in;
    size_t groups = (in->n_features + TREE_FEATURE_GROUP - 1) / TREE_FEATURE_GROUP;
    dial_status status = tree_reserve_items(g, n * groups, n * groups * TREE_FEATURE_GROUP);
    if (status != DIAL_OK) return status;
    size_t work = 0;
    g->n_items = 0;
    for (size_t c = 0; c < n; c++) {
        int32_t id = nodes[c];
        if (g->sibling[id]) continue;
        for (size_t q = 0; q < groups; q++) {
            uint32_t first = (uint32_t)(q * TREE_FEATURE_GROUP);
            uint32_t count =
                (uint32_t)(in->n_features - first < TREE_FEATURE_GROUP ? in->n_features - first
                                                                       : TREE_FEATURE_GROUP);
            g->items[g->n_items++] = (tree_item){id, first, count};
        }
        work += (size_t)(g->nodes[id].end - g->nodes[id].begin) * in->n_features;
    }
    status = tree_run(ctx, g, work, threads, tree_build_items);
    if (status != DIAL_OK) return status;

    g->n_items = 0;
    for (size_t c = 0; c < n; c++)
        for (size_t q = 0; q < groups; q++) {
            uint32_t first = (uint32_t)(q * TREE_FEATURE_GROUP);
            uint32_t count =
                (uint32_t)(in->n_features - first < TREE_FEATURE_GROUP ? in->n_features - first
                                                                       : TREE_FEATURE_GROUP);
            g->items[g->n_items++] = (tree_item){nodes[c], first, count};
        }
    work = n * (g->n_slots / (g->bins->n_features ? g->bins->n_features : 1) + 1) * in->n_features;
    status = tree_run(ctx, g, work, threads, tree_finish_items);
    if (status != DIAL_OK) return status;

    /* Each node's best over its features, in feature order. */
    for (size_t c = 0; c < n; c++) {
        int32_t id = nodes[c];
        dial_gbdt_split best = {.feature = -1};
        for (size_t j = 0; j < in->n_features; j++) {
            const dial_gbdt_split *s =
                &g->feature_best[(c * groups + j / TREE_FEATURE_GROUP) * TREE_FEATURE_GROUP +
                                 j % TREE_FEATURE_GROUP];
            if (s->feature >= 0 && (best.feature < 0 || s->gain > best.gain)) best = *s;
        }
        g->best[id] = best;
        g->sibling[id] = NULL;
    }
    return DIAL_OK;
}

/* ---- sparse rows ------------------------------------------------------------------ */

/* On sparse rows a node's histogram is built from its rows, searched and
 * cleared by one worker, in a buffer of that worker's: no histogram
 * outlives its node, and no parent is kept for a subtraction (which would
 * cost every slot, where building costs the node's entries and the slots
 * of the features they hold). It is made one range of features at a
 * time (each row's entries of a range follow those of the range before,
 * so a cursor per row reads every entry once), which keeps a worker's
 * buffer at a range's slots and its updates within them. The best split
 * is taken over the features in order, as for dense rows, so it is the
 * same whatever the ranges. */
static dial_status tree_sparse_items(void *arg, size_t begin, size_t end, int worker) {
    dial_gbdt_grower *g = arg;
    const dial_gbdt_tree_input *in = g->in;
    const dial_gbdt_sparse_rows *sparse = in->data.sparse;
    const size_t *slot = g->bins->slot;
    dial_gbdt_sum *hist = g->worker_hist[worker];
    dial_gbdt_sparse_seen *seen = &g->worker_seen[worker];
    size_t *cursor = g->worker_cursor[worker];
    for (size_t k = begin; k < end; k++) {
        int32_t id = g->items[k].node;
        const dial_gbdt_node *node = &g->nodes[id];
        const uint32_t *rows = g->rows + node->begin;
        size_t m = node->end - node->begin;
        if (m > 0 && rows[m - 1] == m - 1) rows = NULL;
        for (size_t i = 0; i < m; i++) cursor[i] = sparse->row_start[rows ? rows[i] : i];
        dial_gbdt_split best = {.feature = -1};
        size_t j = 0;
        for (size_t q = 0; q < g->n_ranges; q++) {
            uint32_t first = g->ranges[q], last = g->ranges[q + 1];
            size_t j0 = j;
            while (j < in->n_features && in->features[j] < last) j++;
            dial_gbdt_hist_build_sparse(&in->data, first, last, in->features + j0, j - j0, rows, m,
                                        cursor, node->sum, seen, hist);
            for (size_t t = j0; t < j; t++) {
                uint32_t f = in->features[t];
                if (!seen->held[f]) continue;
                dial_gbdt_split s = dial_gbdt_split_feature_seen(
                    &g->params->split, g->bins, f, hist + (slot[f] - slot[first]), node->sum,
                    seen->lo[f], seen->hi[f]);
                if (s.feature >= 0 && (best.feature < 0 || s.gain > best.gain)) best = s;
            }
            dial_gbdt_hist_clear_sparse(g->bins, first, last, seen, hist);
        }
        g->best[id] = best;
    }
    return DIAL_OK;
}

/* Cuts the features into ranges of at most params->range_slots slots, or
 * of one feature when it alone has more. */
static dial_status tree_sparse_ranges(dial_gbdt_grower *g) {
    const dial_gbdt_bins *bins = g->bins;
    size_t d = bins->n_features, n = 0;
    size_t most = g->params->range_slots ? g->params->range_slots : DIAL_GBDT_RANGE_SLOTS;
    g->ranges = dial_malloc(g->ctx, (d + 1) * sizeof *g->ranges);
    if (!g->ranges) return DIAL_ERR_NOMEM;
    g->ranges[0] = 0;
    g->range_slots = 1;
    for (size_t f = 0; f < d;) {
        size_t last = f + 1;
        while (last < d && bins->slot[last + 1] - bins->slot[f] <= most) last++;
        size_t slots = bins->slot[last] - bins->slot[f];
        if (slots > g->range_slots) g->range_slots = slots;
        g->ranges[++n] = (uint32_t)last;
        f = last;
    }
    g->n_ranges = n;
    return DIAL_OK;
}

/* Every node of nodes[0 .. n) gets its best split, on sparse rows. */
static dial_status tree_sparse_splits(dial_ctx *ctx, dial_gbdt_grower *g, const int32_t *nodes,
                                      size_t n, int threads) {
    if (threads < 1) threads = 1;
    if ((size_t)threads > n) threads = n ? (int)n : 1;
    if (!g->ranges && tree_sparse_ranges(g) != DIAL_OK) return DIAL_ERR_NOMEM;
    if (threads > g->n_workers) {
        size_t count = (size_t)threads;
        dial_gbdt_sum **hist = dial_realloc(g->ctx, g->worker_hist, count * sizeof *hist);
        if (hist) g->worker_hist = hist;
        dial_gbdt_sparse_seen *seen =
            dial_realloc(g->ctx, g->worker_seen, count * sizeof *g->worker_seen);
        if (seen) g->worker_seen = seen;
        size_t **cursor = dial_realloc(g->ctx, g->worker_cursor, count * sizeof *cursor);
        if (cursor) g->worker_cursor = cursor;
        if (!hist || !seen || !cursor) return DIAL_ERR_NOMEM;
        size_t d = g->bins->n_features ? g->bins->n_features : 1;
        for (; g->n_workers < threads; g->n_workers++) {
            int w = g->n_workers;
            g->worker_hist[w] = dial_calloc(g->ctx, g->range_slots, sizeof **hist);
            g->worker_seen[w] = (dial_gbdt_sparse_seen){
                .held = dial_calloc(g->ctx, d, sizeof(uint32_t)),
                .lo = dial_malloc(g->ctx, d),
                .hi = dial_malloc(g->ctx, d),
            };
            g->worker_cursor[w] =
                dial_malloc(g->ctx, (g->n_rows ? g->n_rows : 1) * sizeof **cursor);
            if (!g->worker_hist[w] || !g->worker_seen[w].held || !g->worker_seen[w].lo ||
                !g->worker_seen[w].hi || !g->worker_cursor[w]) {
                free(g->worker_hist[w]);
                free(g->worker_seen[w].held);
                free(g->worker_seen[w].lo);
                free(g->worker_seen[w].hi);
                free(g->worker_cursor[w]);
                return DIAL_ERR_NOMEM;
            }
        }
    }
    dial_status status = tree_reserve_items(g, n, 0);
    if (status != DIAL_OK) return status;
    g->n_items = n;
    size_t work = 0;
    for (size_t c = 0; c < n; c++) {
        g->items[c] = (tree_item){nodes[c], 0, 0};
        work += (size_t)(g->nodes[nodes[c]].end - g->nodes[nodes[c]].begin) * 64;
    }
    if (threads <= 1 || work < TREE_PARALLEL_WORK) return tree_sparse_items(g, 0, n, 0);
    return dial_parallel_for(ctx, threads, n, tree_sparse_items, g);
}

/* ---- growing --------------------------------------------------------------------- */

/* Splits every node of the batch, then gives each child that may split a
 * histogram and a best split. Children with a split join pending. */
static dial_status tree_split_batch(dial_ctx *ctx, dial_gbdt_grower *g, size_t n_batch,
                                    size_t *n_pending, size_t *n_leaves, int threads) {
    const dial_gbdt_tree_params *p = g->params;
    dial_status status = tree_reserve_nodes(g, 2 * n_batch);
    if (status != DIAL_OK) return status;
    for (size_t b = 0; b < n_batch; b++) {
        int32_t id = g->batch[b];
        dial_gbdt_node *node = &g->nodes[id];
        const dial_gbdt_split *s = &g->best[id];
        node->feature = s->feature;
        node->bin = s->bin;
        node->default_left = s->default_left;
        node->zero_left = s->zero_left;
        node->gain = s->gain;
        memcpy(node->bits, s->bits, sizeof node->bits);
        uint32_t n_left = tree_partition(g, g->in, node, g->rows + node->begin,
                                         g->tmp + node->begin, node->end - node->begin);
        uint32_t n_passive_left = tree_partition(g, g->in, node, g->passive + node->pbegin,
                                                 g->ptmp + node->pbegin, node->pend - node->pbegin);
        int32_t left = (int32_t)g->n_nodes, right = left + 1;
        g->n_nodes += 2;
        node->left = left;
        node->right = right;
        uint16_t depth = (uint16_t)(node->depth + 1);
        uint32_t middle = node->begin + n_left, pmiddle = node->pbegin + n_passive_left;
        tree_make_node(g, p, left, node->begin, middle, node->pbegin, pmiddle, s->left, depth);
        tree_make_node(g, p, right, middle, node->end, pmiddle, node->pend, s->right, depth);
        (*n_leaves)++;
    }
    bool room = p->max_leaves <= 0 || *n_leaves < (size_t)p->max_leaves;
    size_t n_children = 0;
    if (g->in->data.sparse) {
        for (size_t b = 0; b < n_batch; b++) {
            const dial_gbdt_node *node = &g->nodes[g->batch[b]];
            if (room && tree_expandable(p, &g->nodes[node->left]))
                g->children[n_children++] = node->left;
            if (room && tree_expandable(p, &g->nodes[node->right]))
                g->children[n_children++] = node->right;
        }
        status = tree_sparse_splits(ctx, g, g->children, n_children, threads);
        if (status != DIAL_OK) return status;
        for (size_t c = 0; c < n_children; c++)
            if (g->best[g->children[c]].feature >= 0) g->pending[(*n_pending)++] = g->children[c];
        return DIAL_OK;
    }
    for (size_t b = 0; b < n_batch; b++) {
        int32_t id = g->batch[b];
        dial_gbdt_node *node = &g->nodes[id];
        int32_t left = node->left, right = node->right;
        bool need_left = room && tree_expandable(p, &g->nodes[left]);
        bool need_right = room && tree_expandable(p, &g->nodes[right]);
        dial_gbdt_sum *parent = g->hist[id];
        g->hist[id] = NULL;
        if (!need_left && !need_right) {
            status = tree_release(g, parent);
            if (status != DIAL_OK) return status;
            continue;
        }
        const dial_gbdt_node *l = &g->nodes[left], *r = &g->nodes[right];
        int32_t small = l->end - l->begin <= r->end - r->begin ? left : right;
        int32_t large = small == left ? right : left;
        bool need_large = small == left ? need_right : need_left;
        g->hist[small] = tree_take(g);
        if (!g->hist[small]) {
            free(parent);
            return DIAL_ERR_NOMEM;
        }
        g->children[n_children++] = small;
        if (need_large) {
            g->hist[large] = parent;
            g->sibling[large] = g->hist[small];
            g->children[n_children++] = large;
        } else {
            status = tree_release(g, parent);
            if (status != DIAL_OK) return status;
        }
    }
    /* Every histogram built from rows is complete before any subtraction
     * reads it: all builds run before all finishing steps. */
    status = tree_histograms_and_splits(ctx, g, g->children, n_children, threads);
    if (status != DIAL_OK) return status;
    /* A child that was built only for its sibling's subtraction, or has
     * no split, gives its buffer back. */
    for (size_t c = 0; c < n_children; c++) {
        int32_t id = g->children[c];
        if (tree_expandable(p, &g->nodes[id]) && g->best[id].feature >= 0)
            g->pending[(*n_pending)++] = id;
    }
    for (size_t c = 0; c < n_children; c++) {
        int32_t id = g->children[c];
        bool keep = tree_expandable(p, &g->nodes[id]) && g->best[id].feature >= 0;
        if (!keep) {
            status = tree_release(g, g->hist[id]);
            g->hist[id] = NULL;
            if (status != DIAL_OK) return status;
        }
    }
    return DIAL_OK;
}

/* Moves the nodes to split next from pending into batch; returns how many. */
static size_t tree_next_batch(dial_gbdt_grower *g, size_t *n_pending, size_t n_leaves) {
    const dial_gbdt_tree_params *p = g->params;
    if (*n_pending == 0) return 0;
    if (p->max_leaves <= 0) {
        /* depth-wise: the whole level, in node order */
        size_t n = *n_pending;
        memcpy(g->batch, g->pending, n * sizeof *g->batch);
        *n_pending = 0;
        for (size_t i = 1; i < n; i++) /* insertion sort: short, nearly sorted */
            for (size_t j = i; j > 0 && g->batch[j - 1] > g->batch[j]; j--) {
                int32_t t = g->batch[j];
                g->batch[j] = g->batch[j - 1];
                g->batch[j - 1] = t;
            }
        return n;
    }
    if (n_leaves >= (size_t)p->max_leaves) return 0;
    size_t pick = 0;
    for (size_t i = 1; i < *n_pending; i++) {
        double a = g->best[g->pending[i]].gain, b = g->best[g->pending[pick]].gain;
        if (a > b || (a == b && g->pending[i] < g->pending[pick])) pick = i;
    }
    g->batch[0] = g->pending[pick];
    g->pending[pick] = g->pending[--*n_pending];
    return 1;
}

dial_status dial_gbdt_grow(dial_ctx *ctx, dial_gbdt_grower *g, const dial_gbdt_tree_params *params,
                           const dial_gbdt_tree_input *in, int threads) {
    /* Buffers of the last tree go back to the pool. */
    for (size_t i = 0; i < g->n_nodes; i++)
        if (g->hist[i]) {
            dial_status status = tree_release(g, g->hist[i]);
            g->hist[i] = NULL;
            if (status != DIAL_OK) return status;
        }
    g->n_nodes = 0;
    g->params = params;
    g->in = in;
    dial_status status = tree_reserve_nodes(g, 1);
    if (status != DIAL_OK) return status;
    memcpy(g->rows, in->rows, in->n_rows * sizeof *g->rows);
    if (in->n_passive) memcpy(g->passive, in->passive, in->n_passive * sizeof *g->passive);
    /* four running sums, added at the end: the chain of one would wait on
     * every addition */
    dial_gbdt_sum part[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    size_t i = 0;
    for (; i + 4 <= in->n_rows; i += 4)
        for (size_t k = 0; k < 4; k++) {
            const dial_gbdt_pair *pair = &in->data.pairs[in->rows[i + k]];
            part[k].g += pair->g;
            part[k].h += pair->h;
        }
    for (; i < in->n_rows; i++) {
        const dial_gbdt_pair *pair = &in->data.pairs[in->rows[i]];
        part[0].g += pair->g;
        part[0].h += pair->h;
    }
    dial_gbdt_sum sum = {(part[0].g + part[1].g) + (part[2].g + part[3].g),
                         (part[0].h + part[1].h) + (part[2].h + part[3].h)};
    g->n_nodes = 1;
    tree_make_node(g, params, 0, 0, (uint32_t)in->n_rows, 0, (uint32_t)in->n_passive, sum, 0);
    size_t n_pending = 0, n_leaves = 1;
    bool splittable = tree_expandable(params, &g->nodes[0]) && in->n_features > 0 &&
                      (params->max_leaves <= 0 || params->max_leaves > 1);
    if (splittable && in->data.sparse) {
        int32_t root = 0;
        status = tree_sparse_splits(ctx, g, &root, 1, threads);
        if (status != DIAL_OK) return status;
        if (g->best[0].feature >= 0) g->pending[n_pending++] = 0;
    } else if (splittable) {
        g->hist[0] = tree_take(g);
        if (!g->hist[0]) return DIAL_ERR_NOMEM;
        int32_t root = 0;
        status = tree_histograms_and_splits(ctx, g, &root, 1, threads);
        if (status != DIAL_OK) return status;
        if (g->best[0].feature >= 0)
            g->pending[n_pending++] = 0;
        else {
            status = tree_release(g, g->hist[0]);
            g->hist[0] = NULL;
            if (status != DIAL_OK) return status;
        }
    }
    for (;;) {
        size_t n_batch = tree_next_batch(g, &n_pending, n_leaves);
        if (n_batch == 0) break;
        status = tree_split_batch(ctx, g, n_batch, &n_pending, &n_leaves, threads);
        if (status != DIAL_OK) return status;
    }
    /* Leaf-wise growth may stop with leaves still holding histograms. */
    for (size_t p = 0; p < n_pending; p++) {
        int32_t id = g->pending[p];
        status = tree_release(g, g->hist[id]);
        g->hist[id] = NULL;
        if (status != DIAL_OK) return status;
    }
    return DIAL_OK;
}
