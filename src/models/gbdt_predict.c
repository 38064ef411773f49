/*
 * gbdt: the learned forest read and checked (it may come from a hostile
 * file), and predictions from it, whole or after chosen rounds. See
 * gbdt.c for the map of the family.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart.h"
#include "models/gbdt.h"
#include "models/gbdt_family.h"

/* ---- the forest of a model, checked ---------------------------------------------------- */

/* One node as prediction walks it, with its children as absolute indices.
 * A leaf is its own child on both sides (and reads feature 0), so a walk
 * takes exactly as many steps as its tree is deep, without a test for the
 * leaf: the steps of several rows then interleave and no branch depends on
 * the data. */
typedef struct gbdt_walk_node {
    uint32_t feature;
    uint32_t left, right;
    uint32_t default_left;
    uint32_t zero_left; /* where a 0 goes: learned on sparse rows, else 0 <= threshold */
    double threshold, value;
} gbdt_walk_node;

typedef struct gbdt_forest_view {
    dial_gbdt_loss loss;
    size_t n_scores, n_rounds;
    const double *base;
    gbdt_walk_node *nodes; /* owned */
    uint32_t *depth;       /* owned: the depth of each tree */
    const int64_t *offset; /* n_rounds * n_scores + 1 */
    /* Splits on categories: a node's feature is then n_inputs + its block
     * and its threshold the first word of its bitset in cats.bits. */
    dial_cart_categories cats;
    size_t n_inputs;
} gbdt_forest_view;

/* The tensor called name, of dtype and one dimension of length n (any
 * length when n is SIZE_MAX), or a DIAL_ERR_FORMAT naming what is wrong. */
static dial_status gbdt_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                               dial_dtype dtype, size_t n, const dial_tensor **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model has no tensor '%s'", name);
    if (t->dtype != dtype)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model tensor '%s' is %s; expected %s", name,
                         t->dtype == DIAL_F64 ? "float64" : "int64",
                         dtype == DIAL_F64 ? "float64" : "int64");
    if (t->ndim != 1 || !t->data || (n != SIZE_MAX && t->shape[0] != n)) {
        if (n == SIZE_MAX)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model tensor '%s' must have one dimension",
                             name);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor '%s' must have one dimension of %zu", name, n);
    }
    *out = t;
    return DIAL_OK;
}

static void gbdt_view_free(gbdt_forest_view *view) {
    free(view->nodes);
    free(view->depth);
    view->nodes = NULL;
    view->depth = NULL;
}

/* A split on a category: on a block's first input, its whole bitset
 * inside category_bits. */
static dial_status gbdt_check_category(dial_ctx *ctx, const dial_cart_categories *cats, int64_t at,
                                       int64_t input, int64_t node, size_t tree) {
    char who[96];
    snprintf(who, sizeof who, "gbdt model: node %lld of tree %zu", (long long)node, tree);
    return dial_cart_category_check(ctx, who, cats, input, at);
}

/* Reads and checks the forest: every size against the others, every node
 * (a feature within the inputs, children inside the tree and after their
 * parent, so that every walk ends), as the tensors may come from a file. */
static dial_status gbdt_view(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                             const dial_fit_input *in, gbdt_forest_view *view) {
    memset(view, 0, sizeof *view);
    dial_status status = dial_gbdt_resolve_loss(ctx, knobs, in->task, in->n_classes, &view->loss);
    if (status != DIAL_OK) return status;
    size_t k_n = dial_gbdt_loss_scores(view->loss, in->n_classes);
    view->n_scores = k_n;
    const dial_tensor *offset = NULL, *feature = NULL, *threshold = NULL, *default_left = NULL;
    const dial_tensor *left = NULL, *right = NULL, *value = NULL, *base = NULL;
    const dial_tensor *zero_left = NULL;
    status = gbdt_tensor(ctx, learned, "tree_offset", DIAL_I64, SIZE_MAX, &offset);
    if (status != DIAL_OK) return status;
    size_t n_trees = offset->shape[0] ? offset->shape[0] - 1 : 0;
    if (n_trees == 0 || n_trees % k_n != 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor 'tree_offset' has %zu entries; expected 1 + a "
                         "positive multiple of %zu (the trees of a round)",
                         offset->shape[0], k_n);
    const int64_t *off = offset->data;
    status = gbdt_tensor(ctx, learned, "feature", DIAL_I64, SIZE_MAX, &feature);
    if (status != DIAL_OK) return status;
    size_t n_nodes = feature->shape[0];
    if (off[0] != 0 || off[n_trees] < 0 || (uint64_t)off[n_trees] != n_nodes)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor 'tree_offset' must run from 0 to %zu (the nodes)",
                         n_nodes);
    for (size_t t = 0; t < n_trees; t++)
        if (off[t + 1] <= off[t] || off[t + 1] - off[t] > (int64_t)UINT32_MAX)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "gbdt model tensor 'tree_offset' must increase: tree %zu has %lld "
                             "nodes",
                             t, (long long)(off[t + 1] - off[t]));
    if (status == DIAL_OK)
        status = gbdt_tensor(ctx, learned, "threshold", DIAL_F64, n_nodes, &threshold);
    if (status == DIAL_OK)
        status = gbdt_tensor(ctx, learned, "default_left", DIAL_I64, n_nodes, &default_left);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "left", DIAL_I64, n_nodes, &left);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "right", DIAL_I64, n_nodes, &right);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "value", DIAL_F64, n_nodes, &value);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "base_score", DIAL_F64, k_n, &base);
    /* only fits on sparse rows learn where zeros go; files before have none */
    if (status == DIAL_OK && dial_tensors_find(learned, "zero_left"))
        status = gbdt_tensor(ctx, learned, "zero_left", DIAL_I64, n_nodes, &zero_left);
    const int64_t *category = NULL;
    if (status == DIAL_OK)
        status =
            dial_cart_categories_read(ctx, "gbdt", learned, in, n_nodes, &category, &view->cats);
    if (status != DIAL_OK) return status;
    view->n_inputs = in->n_features;
    const double *b = base->data;
    for (size_t k = 0; k < k_n; k++)
        if (!isfinite(b[k]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model's base_score %zu is %g", k, b[k]);
    if (n_nodes >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model has %zu nodes; at most %u", n_nodes,
                         UINT32_MAX - 1);
    view->nodes = dial_malloc(ctx, n_nodes * sizeof *view->nodes);
    view->depth = dial_calloc(ctx, n_trees, sizeof *view->depth);
    uint32_t *node_depth = dial_calloc(ctx, n_nodes, sizeof *node_depth);
    if (!view->nodes || !view->depth || !node_depth) {
        free(node_depth);
        gbdt_view_free(view);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory reading %zu nodes", n_nodes);
    }
    const int64_t *fe = feature->data, *dl = default_left->data, *le = left->data,
                  *ri = right->data;
    const double *th = threshold->data, *va = value->data;
    const int64_t *zl = zero_left ? zero_left->data : NULL;
    for (size_t t = 0; t < n_trees; t++) {
        int64_t start = off[t], size = off[t + 1] - off[t];
        for (int64_t j = 0; j < size; j++) {
            size_t i = (size_t)(start + j);
            gbdt_walk_node *node = &view->nodes[i];
            if (!isfinite(va[i]))
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu has value %g", (long long)j,
                                   t, va[i]);
            else if (fe[i] == -1) {
                if (le[i] != -1 || ri[i] != -1)
                    status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                       "gbdt model: leaf %lld of tree %zu has children (%lld, "
                                       "%lld); a leaf's are -1",
                                       (long long)j, t, (long long)le[i], (long long)ri[i]);
                if (category && category[i] != -1)
                    status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                       "gbdt model: leaf %lld of tree %zu has the category "
                                       "bitset %lld (a leaf has -1)",
                                       (long long)j, t, (long long)category[i]);
                *node = (gbdt_walk_node){.left = (uint32_t)i, .right = (uint32_t)i, .value = va[i]};
            } else if (fe[i] < 0 || (uint64_t)fe[i] >= in->n_features) {
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu splits on feature %lld; "
                                   "the model has %zu inputs",
                                   (long long)j, t, (long long)fe[i], in->n_features);
            } else if (le[i] <= j || le[i] >= size || ri[i] <= j || ri[i] >= size) {
                status =
                    dial_fail(ctx, DIAL_ERR_FORMAT,
                              "gbdt model: node %lld of tree %zu has children (%lld, %lld); "
                              "each must come after it and before %lld, the tree's size",
                              (long long)j, t, (long long)le[i], (long long)ri[i], (long long)size);
            } else if (category && category[i] != -1 &&
                       (status = gbdt_check_category(ctx, &view->cats, category[i], fe[i], j, t)) !=
                           DIAL_OK) {
                /* status holds the message */
            } else if (zl && zl[i] != 0 && zl[i] != 1) {
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu has zero_left %lld; expected "
                                   "0 or 1",
                                   (long long)j, t, (long long)zl[i]);
            } else if (isnan(th[i]) || (dl[i] != 0 && dl[i] != 1)) {
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu has threshold %g and "
                                   "default_left %lld; expected a number and 0 or 1",
                                   (long long)j, t, th[i], (long long)dl[i]);
            } else {
                *node = (gbdt_walk_node){.feature = (uint32_t)fe[i],
                                         .left = (uint32_t)(start + le[i]),
                                         .right = (uint32_t)(start + ri[i]),
                                         .default_left = (uint32_t)dl[i],
                                         .zero_left = zl ? (uint32_t)zl[i] : 0 <= th[i],
                                         .threshold = th[i],
                                         .value = va[i]};
                if (category && category[i] != -1) {
                    /* checked above: a block starts at the node's input */
                    node->feature = (uint32_t)(in->n_features + (size_t)dial_cart_category_block(
                                                                    &view->cats, fe[i]));
                    node->threshold = (double)category[i];
                }
                /* children come later: their depth is final when reached */
                uint32_t below = node_depth[i] + 1;
                if (node_depth[node->left] < below) node_depth[node->left] = below;
                if (node_depth[node->right] < below) node_depth[node->right] = below;
                if (view->depth[t] < below) view->depth[t] = below;
            }
            if (status != DIAL_OK) {
                free(node_depth);
                gbdt_view_free(view);
                return status;
            }
        }
    }
    free(node_depth);
    view->base = b;
    view->offset = off;
    view->n_rounds = n_trees / k_n;
    return DIAL_OK;
}

/* ---- predicting from the forest ------------------------------------------------------- */

#define GBDT_PREDICT_BLOCK 64

typedef struct gbdt_predictor {
    const gbdt_forest_view *view;
    const double *x;
    size_t n_rows, n_features;
    const size_t *rounds; /* stages, ascending */
    size_t n_stages;
    dial_predict_output *outs;
    double *scratch;        /* threads x n_scores x (block + 1) scores */
    uint32_t *codes;        /* threads x block x n_blocks category codes (NULL: none) */
    const dial_csr *sparse; /* NULL, or the rows compressed (x is then NULL) */
    double *dense;          /* sparse: threads x dense_rows x n_features zeros */
    size_t dense_rows;
} gbdt_predictor;

/* The rows' category codes, for a forest that splits categories. */
typedef struct gbdt_codes {
    const uint32_t *codes; /* per row, n_blocks entries; NULL: no category */
    size_t n_blocks, n_inputs;
    const uint64_t *bits;
} gbdt_codes;

static inline uint32_t gbdt_step(const gbdt_walk_node *node, const double *row,
                                 const gbdt_codes *cc, const uint32_t *codes, bool categorical) {
    if (categorical && node->feature >= cc->n_inputs) {
        uint32_t code = codes[node->feature - cc->n_inputs];
        bool left = cc->bits[(size_t)node->threshold + code / 64] >> (code % 64) & 1;
        return left ? node->left : node->right;
    }
    double v = row[node->feature];
    /* NaN compares false: it goes left only by default */
    uint32_t left = (uint32_t)(v <= node->threshold) | ((uint32_t)(v != v) & node->default_left);
    left = v == 0 ? node->zero_left : left;
    return left ? node->left : node->right;
}

/* Adds the tree at root (depth steps deep) to the scores of m rows of x,
 * four rows at a time so that their walks overlap. Inlined into its two
 * callers below with `categorical` a constant, so that a forest without
 * category splits walks without the category test in its inner loop (it
 * cost a quarter of dial cv gbdt on letter when it stayed in). */
static inline __attribute__((always_inline)) void
gbdt_walk_rows_as(const gbdt_walk_node *nodes, uint32_t root, uint32_t depth, const double *x,
                  size_t stride, size_t m, const gbdt_codes *cc, double *score, bool categorical) {
    size_t i = 0, nb = cc->n_blocks;
    const uint32_t *k = cc->codes; /* the codes of row i at k + i * nb */
    for (; i + 4 <= m; i += 4) {
        const double *r0 = x + i * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        const uint32_t *k0 = k ? k + i * nb : NULL, *k1 = k ? k0 + nb : NULL,
                       *k2 = k ? k1 + nb : NULL, *k3 = k ? k2 + nb : NULL;
        uint32_t a = root, b = root, c = root, d = root;
        for (uint32_t step = 0; step < depth; step++) {
            a = gbdt_step(nodes + a, r0, cc, k0, categorical);
            b = gbdt_step(nodes + b, r1, cc, k1, categorical);
            c = gbdt_step(nodes + c, r2, cc, k2, categorical);
            d = gbdt_step(nodes + d, r3, cc, k3, categorical);
        }
        score[i] += nodes[a].value;
        score[i + 1] += nodes[b].value;
        score[i + 2] += nodes[c].value;
        score[i + 3] += nodes[d].value;
    }
    for (; i < m; i++) {
        uint32_t a = root;
        for (uint32_t step = 0; step < depth; step++)
            a = gbdt_step(nodes + a, x + i * stride, cc, k ? k + i * nb : NULL, categorical);
        score[i] += nodes[a].value;
    }
}

static void gbdt_walk_rows(const gbdt_walk_node *nodes, uint32_t root, uint32_t depth,
                           const double *x, size_t stride, size_t m, const gbdt_codes *cc,
                           double *score) {
    if (cc->codes)
        gbdt_walk_rows_as(nodes, root, depth, x, stride, m, cc, score, true);
    else
        gbdt_walk_rows_as(nodes, root, depth, x, stride, m, cc, score, false);
}

/* Predicts rows i0 .. i0 + m - 1 (m <= GBDT_PREDICT_BLOCK), whose values
 * are the m rows of x (row-major, n_features each), into every stage's
 * output. */
static void gbdt_predict_rows(const gbdt_predictor *pr, int worker, const double *x, size_t i0,
                              size_t m) {
    const gbdt_forest_view *view = pr->view;
    size_t k_n = view->n_scores;
    /* the block's scores, class-major, then one row's scores side by side */
    double *score = pr->scratch + (size_t)worker * k_n * (GBDT_PREDICT_BLOCK + 1);
    double *row_score = score + k_n * GBDT_PREDICT_BLOCK;
    for (size_t k = 0; k < k_n; k++)
        for (size_t i = 0; i < m; i++) score[k * GBDT_PREDICT_BLOCK + i] = view->base[k];
    size_t nb = view->cats.n_blocks;
    gbdt_codes cc = {.n_blocks = nb, .n_inputs = view->n_inputs, .bits = view->cats.bits};
    if (pr->codes) {
        uint32_t *codes = pr->codes + (size_t)worker * GBDT_PREDICT_BLOCK * nb;
        for (size_t i = 0; i < m; i++)
            dial_cart_category_codes(&view->cats, x + i * pr->n_features, codes + i * nb);
        cc.codes = codes;
    }
    size_t stage = 0, round = 0;
    while (stage < pr->n_stages) {
        size_t target = pr->rounds[stage] < view->n_rounds ? pr->rounds[stage] : view->n_rounds;
        for (; round < target; round++)
            for (size_t k = 0; k < k_n; k++) {
                size_t tree = round * k_n + k;
                gbdt_walk_rows(view->nodes, (uint32_t)view->offset[tree], view->depth[tree], x,
                               pr->n_features, m, &cc, score + k * GBDT_PREDICT_BLOCK);
            }
        for (size_t i = 0; i < m; i++) {
            for (size_t k = 0; k < k_n; k++) row_score[k] = score[k * GBDT_PREDICT_BLOCK + i];
            dial_gbdt_emit(view->loss, k_n, row_score, i0 + i, &pr->outs[stage]);
        }
        stage++;
    }
}

static dial_status gbdt_predict_blocks(void *arg, size_t begin, size_t end, int worker) {
    const gbdt_predictor *pr = arg;
    for (size_t block = begin; block < end; block++) {
        size_t i0 = block * GBDT_PREDICT_BLOCK;
        size_t m = pr->n_rows - i0 < GBDT_PREDICT_BLOCK ? pr->n_rows - i0 : GBDT_PREDICT_BLOCK;
        if (!pr->sparse) {
            gbdt_predict_rows(pr, worker, pr->x + i0 * pr->n_features, i0, m);
            continue;
        }
        /* sparse rows: a few at a time written out into the worker's
         * zeroed rows, walked as dense ones, then zeroed again */
        const dial_csr *a = pr->sparse;
        double *rows = pr->dense + (size_t)worker * pr->dense_rows * pr->n_features;
        for (size_t s0 = i0; s0 < i0 + m; s0 += pr->dense_rows) {
            size_t sm = i0 + m - s0 < pr->dense_rows ? i0 + m - s0 : pr->dense_rows;
            for (size_t i = 0; i < sm; i++)
                for (size_t e = a->row_start[s0 + i]; e < a->row_start[s0 + i + 1]; e++)
                    rows[i * pr->n_features + a->col[e]] = a->value[e];
            gbdt_predict_rows(pr, worker, rows, s0, sm);
            for (size_t i = 0; i < sm; i++)
                for (size_t e = a->row_start[s0 + i]; e < a->row_start[s0 + i + 1]; e++)
                    rows[i * pr->n_features + a->col[e]] = 0;
        }
    }
    return DIAL_OK;
}

static dial_status gbdt_predict_stages(dial_ctx *ctx, const dial_knobs *knobs,
                                       const dial_tensors *learned, const dial_fit_input *in,
                                       const size_t *rounds, size_t n_stages,
                                       dial_predict_output *outs) {
    for (size_t s = 0; s < n_stages; s++) {
        if (rounds[s] == 0 || (s > 0 && rounds[s] <= rounds[s - 1]))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "gbdt: staged rounds must be positive and increasing; stage %zu is "
                             "%zu",
                             s, rounds[s]);
        if (outs[s].proba && in->task != DIAL_TASK_CLASSIFICATION)
            return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                             "gbdt: no class probabilities in regression");
    }
    gbdt_forest_view view;
    dial_status status = gbdt_view(ctx, knobs, learned, in, &view);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0 || n_stages == 0) {
        gbdt_view_free(&view);
        return DIAL_OK;
    }
    size_t n_blocks = (in->n_rows + GBDT_PREDICT_BLOCK - 1) / GBDT_PREDICT_BLOCK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > n_blocks) threads = (int)n_blocks;
    if (n_blocks < 4) threads = 1;
    gbdt_predictor pr = {.view = &view,
                         .x = in->x,
                         .n_rows = in->n_rows,
                         .n_features = in->n_features,
                         .rounds = rounds,
                         .n_stages = n_stages,
                         .outs = outs};
    pr.scratch = dial_malloc(ctx, (size_t)threads * view.n_scores * (GBDT_PREDICT_BLOCK + 1) *
                                      sizeof *pr.scratch);
    size_t nb = view.cats.n_blocks;
    if (nb)
        pr.codes = dial_malloc(ctx, (size_t)threads * GBDT_PREDICT_BLOCK * nb * sizeof *pr.codes);
    if (in->sparse) {
        if (in->sparse->n_rows != in->n_rows || in->sparse->n_cols != in->n_features) {
            free(pr.scratch);
            free(pr.codes);
            gbdt_view_free(&view);
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "gbdt: sparse rows are %zu x %zu; the input says %zu x %zu",
                             in->sparse->n_rows, in->sparse->n_cols, in->n_rows, in->n_features);
        }
        /* rows written out at a time: up to a block, within 256 KiB */
        size_t width = in->n_features ? in->n_features : 1;
        pr.sparse = in->sparse;
        pr.dense_rows = ((size_t)1 << 15) / width;
        if (pr.dense_rows < 1) pr.dense_rows = 1;
        if (pr.dense_rows > GBDT_PREDICT_BLOCK) pr.dense_rows = GBDT_PREDICT_BLOCK;
        pr.dense = dial_calloc(ctx, (size_t)threads * pr.dense_rows * width, sizeof *pr.dense);
    }
    if (!pr.scratch || (nb && !pr.codes) || (in->sparse && !pr.dense))
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", in->n_rows);
    else
        status = dial_parallel_for(ctx, threads, n_blocks, gbdt_predict_blocks, &pr);
    free(pr.scratch);
    free(pr.codes);
    free(pr.dense);
    gbdt_view_free(&view);
    return status;
}

dial_status dial_gbdt_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                              const dial_fit_input *in, dial_predict_output *out) {
    size_t all = SIZE_MAX;
    return gbdt_predict_stages(ctx, knobs, learned, in, &all, 1, out);
}

dial_status dial_gbdt_predict_staged(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_tensors *learned, const dial_fit_input *in,
                                     const size_t *rounds, size_t n_stages,
                                     dial_predict_output *outs) {
    return gbdt_predict_stages(ctx, knobs, learned, in, rounds, n_stages, outs);
}

/* Checks a model's tensors when a model file is loaded. */
dial_status dial_gbdt_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in) {
    gbdt_forest_view view;
    dial_status status = gbdt_view(ctx, knobs, learned, in, &view);
    if (status == DIAL_OK) gbdt_view_free(&view);
    return status;
}

/* A node reached from two parents would make the rules of a tree repeat a
 * subtree for each path to it (exponentially many for a crafted chain);
 * prediction does not mind, so the view does not check it. */
static dial_status gbdt_check_single_parents(dial_ctx *ctx, const int64_t *left,
                                             const int64_t *right, size_t n_nodes, size_t tree) {
    unsigned char *reached = dial_calloc(ctx, n_nodes, 1);
    if (!reached)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory reading tree %zu", tree);
    dial_status status = DIAL_OK;
    for (size_t i = 0; i < n_nodes && status == DIAL_OK; i++) {
        if (left[i] < 0) continue;
        int64_t children[2] = {left[i], right[i]};
        for (int side = 0; side < 2 && status == DIAL_OK; side++) {
            size_t c = (size_t)children[side]; /* inside the tree: checked by the view */
            if (reached[c]++)
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %zu of tree %zu is the child of two nodes; "
                                   "the file is damaged",
                                   c, tree);
        }
    }
    free(reached);
    return status;
}

/* The family's trees slot: tree index is round index / n_scores, adding to
 * score index % n_scores (a class with softmax). */
dial_status dial_gbdt_trees(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                            const dial_fit_input *in, size_t index, size_t *n_trees,
                            dial_tree *out) {
    gbdt_forest_view view;
    dial_status status = gbdt_view(ctx, knobs, learned, in, &view);
    if (status != DIAL_OK) return status;
    gbdt_view_free(&view);
    *n_trees = view.n_rounds * view.n_scores;
    if (index >= *n_trees) return DIAL_OK;
    size_t start = (size_t)view.offset[index], n_nodes = (size_t)view.offset[index + 1] - start;
    const int64_t *left = (const int64_t *)dial_tensors_find(learned, "left")->data + start;
    const int64_t *right = (const int64_t *)dial_tensors_find(learned, "right")->data + start;
    status = gbdt_check_single_parents(ctx, left, right, n_nodes, index);
    if (status != DIAL_OK) return status;
    const dial_tensor *category = dial_tensors_find(learned, "category");
    bool categories = category && view.cats.n_blocks;
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    size_t score = index % view.n_scores;
    *out = (dial_tree){
        .n_nodes = n_nodes,
        .input = (const int64_t *)dial_tensors_find(learned, "feature")->data + start,
        .threshold = (const double *)dial_tensors_find(learned, "threshold")->data + start,
        .left = left,
        .right = right,
        .category = categories ? (const int64_t *)category->data + start : NULL,
        .category_bits = categories ? view.cats.bits : NULL,
        .n_category_words = categories ? view.cats.n_words : 0,
        .default_left = (const int64_t *)dial_tensors_find(learned, "default_left")->data + start,
        .zero_left = dial_tensors_find(learned, "zero_left")
                         ? (const int64_t *)dial_tensors_find(learned, "zero_left")->data + start
                         : NULL,
        .n_samples = NULL,
        .value = (const double *)dial_tensors_find(learned, "value")->data + start,
        .n_values = 1,
        .leaf = DIAL_TREE_LEAF_SCORE,
        .ensemble = true,
        .round = index / view.n_scores,
        .score_class = !classification                   ? 0
                       : view.loss == DIAL_GBDT_LOGISTIC ? 1
                                                         : score,
        .log_odds = view.loss == DIAL_GBDT_LOGISTIC,
        .base_score = view.base[score],
    };
    return DIAL_OK;
}
