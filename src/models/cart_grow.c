/*
 * CART: the workspace, the node arrays, growing one tree depth first,
 * minimal cost-complexity pruning and impurity importance. See cart.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart_internal.h"

void dial_cart_workspace_free(dial_cart_workspace *ws) {
    if (!ws) return;
    void *owned[] = {
        ws->samples,     ws->feature_stamp, ws->feature_count, ws->node_features, ws->feature_first,
        ws->entry_place, ws->entry_code,    ws->order,         ws->order_tmp,     ws->node_codes,
        ws->node_label,  ws->node_y,        ws->node_w,        ws->bucket,        ws->features,
        ws->total,       ws->left,          ws->right,         ws->xlogx_left,    ws->xlogx_right,
        ws->rank,        ws->by_y,          ws->rank_y,        ws->rank_w,        ws->fen_all_w,
        ws->fen_all_s,   ws->fen_left_w,    ws->fen_left_s,    ws->stack,         ws->hist,
        ws->constants,   ws->cat_count,     ws->cat_present,   ws->cat_rank,      ws->cat_w,
        ws->cat_stat,    ws->cat_order,     ws->split_bits,    ws->split_present, ws->where,
        ws->entry_at,    ws->entry_bin};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    dial_cart_tree_free(&ws->tree);
    free(ws);
}

dial_cart_workspace *dial_cart_workspace_new(const dial_ctx *ctx, const dial_cart_data *data) {
    dial_cart_workspace *ws = dial_calloc(ctx, 1, sizeof *ws);
    if (!ws) return NULL;
    ws->ctx = ctx;
    size_t n = data->n_rows, k = data->n_classes ? data->n_classes : 1;
    ws->n_rows = n;
    ws->n_features = data->n_features;
    ws->n_classes = data->n_classes;
    bool ok = (ws->samples = dial_malloc(ctx, n * sizeof *ws->samples)) &&
              (ws->order = dial_malloc(ctx, n * sizeof *ws->order)) &&
              (ws->order_tmp = dial_malloc(ctx, n * sizeof *ws->order_tmp)) &&
              (ws->node_codes = dial_malloc(ctx, n * sizeof *ws->node_codes)) &&
              (ws->node_w = dial_malloc(ctx, n * sizeof *ws->node_w)) &&
              (ws->bucket = dial_malloc(ctx, 2 * (CART_MAX_BINS + 1) * sizeof *ws->bucket)) &&
              (ws->hist = dial_malloc(ctx, CART_HISTOGRAM_ROWS * n * sizeof *ws->hist)) &&
              (ws->features = dial_malloc(ctx, (data->n_features + 1) * sizeof *ws->features)) &&
              (ws->constants = dial_malloc(ctx, (data->n_features + 1) * sizeof *ws->constants)) &&
              (ws->total = dial_malloc(ctx, k * sizeof *ws->total)) &&
              (ws->left = dial_malloc(ctx, k * sizeof *ws->left)) &&
              (ws->right = dial_malloc(ctx, k * sizeof *ws->right)) &&
              (ws->xlogx_left = dial_malloc(ctx, k * sizeof *ws->xlogx_left)) &&
              (ws->xlogx_right = dial_malloc(ctx, k * sizeof *ws->xlogx_right));
    if (ok && data->sparse) {
        /* a node stamps only while its entries are few beside the file's
         * (the large nodes scan columns), so each thread's lists stay an
         * eighth of the entries */
        size_t d = data->n_features + 1, nnz = data->sparse->row_start[n];
        ws->stamp_capacity = nnz / 8 > 4096 ? nnz / 8 : 4096;
        ok = (ws->feature_stamp = dial_calloc(ctx, d, sizeof *ws->feature_stamp)) &&
             (ws->feature_count = dial_malloc(ctx, d * sizeof *ws->feature_count)) &&
             (ws->node_features = dial_malloc(ctx, d * sizeof *ws->node_features)) &&
             (ws->feature_first = dial_malloc(ctx, d * sizeof *ws->feature_first)) &&
             (ws->entry_place = dial_malloc(ctx, ws->stamp_capacity * sizeof *ws->entry_place)) &&
             (ws->entry_code = dial_malloc(ctx, ws->stamp_capacity * sizeof *ws->entry_code)) &&
             (ws->where = dial_malloc(ctx, n * sizeof *ws->where)) &&
             (ws->entry_at = dial_malloc(ctx, (n + 1) * sizeof *ws->entry_at)) &&
             (ws->entry_bin = dial_malloc(ctx, (n + 1) * sizeof *ws->entry_bin));
    }
    if (ok && data->n_classes)
        ok = (ws->node_label = dial_malloc(ctx, n * sizeof *ws->node_label)) != NULL;
    if (ok && !data->n_classes)
        ok = (ws->node_y = dial_malloc(ctx, n * sizeof *ws->node_y)) &&
             (ws->rank = dial_malloc(ctx, n * sizeof *ws->rank)) &&
             (ws->by_y = dial_malloc(ctx, n * sizeof *ws->by_y)) &&
             (ws->rank_y = dial_malloc(ctx, n * sizeof *ws->rank_y)) &&
             (ws->rank_w = dial_malloc(ctx, n * sizeof *ws->rank_w)) &&
             (ws->fen_all_w = dial_malloc(ctx, (n + 1) * sizeof *ws->fen_all_w)) &&
             (ws->fen_all_s = dial_malloc(ctx, (n + 1) * sizeof *ws->fen_all_s)) &&
             (ws->fen_left_w = dial_malloc(ctx, (n + 1) * sizeof *ws->fen_left_w)) &&
             (ws->fen_left_s = dial_malloc(ctx, (n + 1) * sizeof *ws->fen_left_s));
    if (ok && data->n_blocks) {
        size_t codes = data->max_codes, words = (codes + 63) / 64;
        ok = (ws->cat_count = dial_calloc(ctx, codes, sizeof *ws->cat_count)) &&
             (ws->cat_present = dial_malloc(ctx, codes * sizeof *ws->cat_present)) &&
             (ws->cat_rank = dial_malloc(ctx, codes * sizeof *ws->cat_rank)) &&
             (ws->cat_w = dial_malloc(ctx, codes * sizeof *ws->cat_w)) &&
             (ws->cat_stat = dial_malloc(ctx, codes * k * sizeof *ws->cat_stat)) &&
             (ws->cat_order = dial_malloc(ctx, codes * sizeof *ws->cat_order)) &&
             (ws->split_bits = dial_malloc(ctx, words * sizeof *ws->split_bits)) &&
             (ws->split_present = dial_malloc(ctx, words * sizeof *ws->split_present));
    }
    if (!ok) {
        dial_cart_workspace_free(ws);
        return NULL;
    }
    return ws;
}

/* ---- the tree's node arrays ------------------------------------------------- */

void dial_cart_tree_free(dial_cart_tree *tree) {
    if (!tree) return;
    free(tree->feature);
    free(tree->left);
    free(tree->right);
    free(tree->n_samples);
    free(tree->threshold);
    free(tree->impurity);
    free(tree->weighted_n);
    free(tree->value);
    free(tree->category);
    free(tree->bits);
    *tree = (dial_cart_tree){0};
}

bool dial_cart_tree_reserve(const dial_ctx *ctx, dial_cart_tree *tree, size_t capacity) {
    if (capacity <= tree->capacity) return true;
    int64_t **ints[] = {&tree->feature, &tree->left, &tree->right, &tree->n_samples,
                        &tree->category};
    double **reals[] = {&tree->threshold, &tree->impurity, &tree->weighted_n};
    for (size_t i = 0; i < 5; i++) {
        int64_t *p = dial_realloc(ctx, *ints[i], capacity * sizeof *p);
        if (!p) return false;
        *ints[i] = p;
    }
    for (size_t i = 0; i < 3; i++) {
        double *p = dial_realloc(ctx, *reals[i], capacity * sizeof *p);
        if (!p) return false;
        *reals[i] = p;
    }
    double *value = dial_realloc(ctx, tree->value, capacity * tree->n_outputs * sizeof *value);
    if (!value) return false;
    tree->value = value;
    tree->capacity = capacity;
    return true;
}

/* Appends a leaf; returns its index, or -1 when out of memory. */
static int64_t cart_tree_add(const dial_ctx *ctx, dial_cart_tree *tree, size_t n_samples,
                             double weighted_n, double impurity) {
    if (tree->n_nodes == tree->capacity &&
        !dial_cart_tree_reserve(ctx, tree, tree->capacity ? 2 * tree->capacity : 64))
        return -1;
    size_t i = tree->n_nodes++;
    tree->feature[i] = tree->left[i] = tree->right[i] = tree->category[i] = -1;
    tree->n_samples[i] = (int64_t)n_samples;
    tree->threshold[i] = 0;
    tree->impurity[i] = impurity;
    tree->weighted_n[i] = weighted_n;
    return (int64_t)i;
}

/* Moves the node's rows whose code is at most split->code_left first,
 * keeping their order: each row is written to both sides and only the
 * count of its side moves on, so no branch waits on a coin toss. Sparse
 * rows read their codes from the node's entries (the rows without one
 * hold the zero bin) and keep ws->where up to date. */
static void cart_partition(dial_cart_workspace *ws, const dial_cart_data *data,
                           const cart_split *split, size_t start, size_t end) {
    const uint16_t *column = dial_cart_column(data, split->feature);
    uint32_t *samples = ws->samples + start, *right = ws->order_tmp;
    size_t n_left = 0, n_right = 0, n = end - start;
    bool category = data->block[split->feature] >= 0;
    /* a split feature varies in the node, so some row has an entry */
    if (!column) dial_cart_sparse_gather(ws, data, split->feature, start, n, ws->node_codes);
    for (size_t i = 0; i < n; i++) {
        uint32_t row = samples[i], code = column ? column[row] : ws->node_codes[i];
        size_t goes_left = category ? (size_t)(ws->split_bits[code / 64] >> (code % 64) & 1)
                                    : code <= split->code_left;
        samples[n_left] = row;
        right[n_right] = row;
        n_left += goes_left;
        n_right += 1 - goes_left;
    }
    memcpy(samples + n_left, right, n_right * sizeof *right);
    if (!column)
        for (size_t i = 0; i < n; i++) ws->where[samples[i]] = (uint32_t)(start + i);
}

/* The midpoint of the largest value on the left and the smallest on the
 * right, or the left one when the midpoint rounds onto the right one (as
 * scikit-learn). */
static double cart_threshold(const dial_cart_data *data, const cart_split *split) {
    size_t base = data->bin_start[split->feature];
    double a, b;
    if (data->bin_low) {
        a = data->bin_high[base + split->code_left];
        b = data->bin_low[base + split->code_right];
    } else {
        a = dial_cart_sparse_bin_value(data, split->feature, split->code_left);
        b = dial_cart_sparse_bin_value(data, split->feature, split->code_right);
    }
    double t = a / 2.0 + b / 2.0;
    if (t == b || isinf(t)) t = a;
    return t;
}

/* Appends the bitset of a categorical split to the tree's words: the
 * levels the scan sent left, and the levels absent from the node (and
 * the code of none) on the side with more of its n training rows, the
 * left on a tie. Returns the first word's index, or -1 when out of
 * memory. */
static int64_t cart_add_bits(dial_cart_workspace *ws, const dial_cart_data *data,
                             const cart_split *split, size_t n) {
    dial_cart_tree *tree = &ws->tree;
    size_t n_codes = data->bin_start[split->feature + 1] - data->bin_start[split->feature];
    size_t words = (n_codes + 63) / 64;
    if (tree->n_words + words > tree->words_capacity) {
        size_t capacity = 2 * tree->words_capacity + words + 16;
        uint64_t *bits = dial_realloc(ws->ctx, tree->bits, capacity * sizeof *bits);
        if (!bits) return -1;
        tree->bits = bits;
        tree->words_capacity = capacity;
    }
    bool absent_left = split->n_left >= n - split->n_left;
    uint64_t *out = tree->bits + tree->n_words;
    for (size_t w = 0; w < words; w++) {
        uint64_t absent = absent_left ? ~ws->split_present[w] : 0;
        size_t used = n_codes - 64 * w;
        uint64_t mask = used >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << used) - 1;
        out[w] = (ws->split_bits[w] | absent) & mask;
    }
    int64_t at = (int64_t)tree->n_words;
    tree->n_words += words;
    return at;
}

static bool cart_push(dial_cart_workspace *ws, size_t *top, cart_frame frame) {
    if (*top == ws->stack_capacity) {
        size_t capacity = ws->stack_capacity ? 2 * ws->stack_capacity : 64;
        cart_frame *stack = dial_realloc(ws->ctx, ws->stack, capacity * sizeof *stack);
        if (!stack) return false;
        ws->stack = stack;
        ws->stack_capacity = capacity;
    }
    ws->stack[(*top)++] = frame;
    return true;
}

/* ---- pruning ---------------------------------------------------------------------- */

/* Minimal cost-complexity pruning (Breiman et al. 1984, ch. 3; scikit-learn's
 * _cost_complexity_prune): while the weakest link, the internal node t with
 * the smallest (R(t) - R(T_t)) / (|leaves(T_t)| - 1), has that value at most
 * alpha, its subtree is cut to a leaf. R is the impurity weighted by the
 * share of the training weight. The kept nodes are then renumbered in
 * their (pre)order. */
static dial_status cart_prune(const dial_ctx *ctx, dial_cart_tree *tree, double alpha) {
    size_t n = tree->n_nodes;
    if (n < 3) return DIAL_OK;
    double *r_node = dial_malloc(ctx, n * sizeof *r_node),
           *r_branch = dial_malloc(ctx, n * sizeof *r_branch);
    size_t *leaves = dial_malloc(ctx, n * sizeof *leaves);
    int64_t *parent = dial_malloc(ctx, n * sizeof *parent),
            *renumber = dial_malloc(ctx, n * sizeof *renumber);
    bool *kept = dial_malloc(ctx, n * sizeof *kept),
         *internal = dial_malloc(ctx, n * sizeof *internal);
    bool *below = dial_calloc(ctx, n, sizeof *below);
    dial_status status = DIAL_OK;
    if (!r_node || !r_branch || !leaves || !parent || !renumber || !kept || !internal || !below) {
        status = DIAL_ERR_NOMEM;
        goto done;
    }
    double total = tree->weighted_n[0];
    for (size_t i = 0; i < n; i++) {
        r_node[i] = tree->weighted_n[i] / total * tree->impurity[i];
        kept[i] = true;
        internal[i] = tree->left[i] >= 0;
        parent[i] = -1;
    }
    for (size_t i = 0; i < n; i++)
        if (internal[i]) parent[tree->left[i]] = parent[tree->right[i]] = (int64_t)i;
    /* children come after their parent: one backward pass sums the subtrees */
    for (size_t i = n; i-- > 0;) {
        if (!internal[i]) {
            leaves[i] = 1;
            r_branch[i] = r_node[i];
        } else {
            size_t l = (size_t)tree->left[i], r = (size_t)tree->right[i];
            leaves[i] = leaves[l] + leaves[r];
            r_branch[i] = r_branch[l] + r_branch[r];
        }
    }
    while (internal[0]) {
        double weakest = INFINITY;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (!kept[i] || !internal[i]) continue;
            double a = (r_node[i] - r_branch[i]) / (double)(leaves[i] - 1);
            if (a < weakest) {
                weakest = a;
                at = i;
            }
        }
        if (weakest > alpha) break;
        /* in preorder the subtree of `at` is the run of nodes right after it */
        for (size_t j = at + 1; j < n; j++) {
            int64_t p = parent[j];
            if (p != (int64_t)at && !(p > (int64_t)at && below[p])) break;
            below[j] = true;
            kept[j] = false;
        }
        size_t cut_leaves = leaves[at] - 1;
        double cut_r = r_branch[at] - r_node[at];
        internal[at] = false;
        leaves[at] = 1;
        r_branch[at] = r_node[at];
        for (int64_t p = parent[at]; p >= 0; p = parent[p]) {
            leaves[p] -= cut_leaves;
            r_branch[p] -= cut_r;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) renumber[i] = kept[i] ? (int64_t)m++ : -1;
    for (size_t i = 0; i < n; i++) {
        if (!kept[i]) continue;
        size_t j = (size_t)renumber[i];
        tree->feature[j] = internal[i] ? tree->feature[i] : -1;
        tree->threshold[j] = internal[i] ? tree->threshold[i] : 0;
        tree->category[j] = internal[i] ? tree->category[i] : -1;
        tree->left[j] = internal[i] ? renumber[tree->left[i]] : -1;
        tree->right[j] = internal[i] ? renumber[tree->right[i]] : -1;
        tree->n_samples[j] = tree->n_samples[i];
        tree->impurity[j] = tree->impurity[i];
        tree->weighted_n[j] = tree->weighted_n[i];
        memmove(tree->value + j * tree->n_outputs, tree->value + i * tree->n_outputs,
                tree->n_outputs * sizeof *tree->value);
    }
    tree->n_nodes = m;
done:
    free(r_node);
    free(r_branch);
    free(leaves);
    free(parent);
    free(renumber);
    free(kept);
    free(internal);
    free(below);
    return status;
}

/* ---- growing ---------------------------------------------------------------------- */

/* Whether a value row is all 0 but a 1 in one column (a pure leaf of a
 * classifier), bit for bit, so that writing it back out gives the same
 * bytes; *column is then that column. */
static bool cart_one_hot(const double *row, size_t n_outputs, size_t *column) {
    size_t ones = 0;
    for (size_t c = 0; c < n_outputs; c++) {
        if (row[c] == 1.0) {
            ones++;
            *column = c;
        } else if (row[c] != 0.0 || signbit(row[c])) {
            return false;
        }
    }
    return ones == 1;
}

/* A copy of the grown tree in arrays of its exact size, held compactly
 * (cart.h): a forest keeps every tree so until all are grown, and on text
 * more than half its nodes are pure leaves. False when out of memory. */
static bool cart_tree_copy(const dial_ctx *ctx, const dial_cart_tree *from, dial_cart_tree *to) {
    size_t m = from->n_nodes, k = from->n_outputs, rows = 0;
    *to = (dial_cart_tree){.n_nodes = m, .capacity = m, .n_outputs = k};
    size_t bytes = (m ? m : 1) * sizeof(int64_t);
    bool ok = (to->feature = dial_malloc(ctx, bytes)) && (to->left = dial_malloc(ctx, bytes)) &&
              (to->right = dial_malloc(ctx, bytes)) && (to->n_samples = dial_malloc(ctx, bytes)) &&
              (to->threshold = dial_malloc(ctx, bytes)) &&
              (to->impurity = dial_malloc(ctx, bytes)) &&
              (to->weighted_n = dial_malloc(ctx, bytes));
    if (ok && from->n_words) {
        ok = (to->category = dial_malloc(ctx, bytes)) &&
             (to->bits = dial_malloc(ctx, from->n_words * sizeof *to->bits));
        if (ok) {
            memcpy(to->category, from->category, m * sizeof *to->category);
            memcpy(to->bits, from->bits, from->n_words * sizeof *to->bits);
            to->n_words = to->words_capacity = from->n_words;
        }
    }
    if (!ok) {
        dial_cart_tree_free(to);
        return false;
    }
    memcpy(to->feature, from->feature, m * sizeof *to->feature);
    memcpy(to->left, from->left, m * sizeof *to->left);
    memcpy(to->right, from->right, m * sizeof *to->right);
    memcpy(to->n_samples, from->n_samples, m * sizeof *to->n_samples);
    memcpy(to->threshold, from->threshold, m * sizeof *to->threshold);
    memcpy(to->impurity, from->impurity, m * sizeof *to->impurity);
    memcpy(to->weighted_n, from->weighted_n, m * sizeof *to->weighted_n);
    for (size_t i = 0; i < m; i++) {
        size_t c;
        if (from->left[i] < 0 && cart_one_hot(from->value + i * k, k, &c))
            to->feature[i] = -2 - (int64_t)c;
        else
            rows++;
    }
    to->value = dial_malloc(ctx, (rows ? rows : 1) * k * sizeof *to->value);
    if (!to->value) {
        dial_cart_tree_free(to);
        return false;
    }
    for (size_t i = 0, at = 0; i < m; i++) {
        if (to->feature[i] < -1) continue;
        memcpy(to->value + at * k, from->value + i * k, k * sizeof *to->value);
        at++;
    }
    return true;
}

dial_status dial_cart_grow(dial_cart_workspace *ws, const dial_cart_data *data,
                           const dial_cart_params *params, const double *weight, dial_rng *rng,
                           dial_cart_tree *out) {
    /* grown in the workspace's arrays, which keep their capacity from tree
     * to tree, and copied out at its exact size */
    dial_cart_tree *tree = &ws->tree;
    *out = (dial_cart_tree){.n_outputs = data->n_classes ? data->n_classes : 1};
    tree->n_nodes = 0;
    tree->n_words = 0;
    tree->n_outputs = out->n_outputs;
    size_t n = 0;
    for (size_t i = 0; i < data->n_rows; i++)
        if (weight[i] > 0) ws->samples[n++] = (uint32_t)i;
    if (n == 0) return DIAL_ERR_DATA;
    for (size_t f = 0; f < data->n_features; f++) ws->features[f] = f;
    if (data->sparse) {
        memset(ws->where, 0xff, data->n_rows * sizeof *ws->where);
        for (size_t i = 0; i < n; i++) ws->where[ws->samples[i]] = (uint32_t)i;
    }
    /* 2^26: the total weight squared, the largest gini sum, stays below
     * 2^53, where doubles hold every whole number */
    double w_sum = 0;
    ws->exact_sums = data->n_classes > 0;
    for (size_t i = 0; i < data->n_rows && ws->exact_sums; i++) {
        ws->exact_sums = weight[i] == floor(weight[i]);
        w_sum += weight[i];
    }
    ws->exact_sums = ws->exact_sums && w_sum <= 67108864.0;

    size_t top = 0;
    cart_frame root = {.start = 0, .end = n, .depth = 0, .parent = -1, .n_constants = 0};
    if (!cart_push(ws, &top, root)) return DIAL_ERR_NOMEM;
    while (top > 0) {
        cart_frame frame = ws->stack[--top];
        size_t count = frame.end - frame.start;
        if (tree->n_nodes == tree->capacity &&
            !dial_cart_tree_reserve(ws->ctx, tree, tree->capacity ? 2 * tree->capacity : 64))
            goto nomem;
        double w_node, impurity;
        double *value = tree->value + tree->n_nodes * tree->n_outputs;
        dial_cart_node_stats(ws, data, params, weight, frame.start, count, &w_node, &impurity,
                             value);
        int64_t id = cart_tree_add(ws->ctx, tree, count, w_node, impurity);
        if (frame.parent < 0)
            ws->root_weight = w_node;
        else if (frame.is_left)
            tree->left[frame.parent] = id;
        else
            tree->right[frame.parent] = id;

        bool leaf = frame.depth >= params->max_depth || count < params->min_samples_split ||
                    count < 2 * params->min_samples_leaf || impurity <= CART_EPSILON;
        if (leaf) continue;
        cart_split split;
        size_t n_constants = frame.n_constants;
        dial_cart_best_split(ws, data, params, frame.start, count, w_node, rng, &n_constants,
                             &split);
        if (!split.found) continue;
        cart_partition(ws, data, &split, frame.start, frame.end);
        if (params->min_impurity_decrease > 0) {
            /* the children's statistics as they will compute them */
            double w_left, w_right, imp_left, imp_right, regression_value;
            double *scratch = data->n_classes ? ws->xlogx_left : &regression_value;
            dial_cart_node_stats(ws, data, params, weight, frame.start, split.n_left, &w_left,
                                 &imp_left, scratch);
            dial_cart_node_stats(ws, data, params, weight, frame.start + split.n_left,
                                 count - split.n_left, &w_right, &imp_right, scratch);
            double improvement =
                w_node / ws->root_weight *
                (impurity - w_right / w_node * imp_right - w_left / w_node * imp_left);
            if (improvement + CART_EPSILON < params->min_impurity_decrease) continue;
        }
        tree->feature[id] = (int64_t)data->column[split.feature];
        if (data->block[split.feature] >= 0) {
            tree->threshold[id] = 0;
            tree->category[id] = cart_add_bits(ws, data, &split, count);
            if (tree->category[id] < 0) goto nomem;
        } else {
            tree->threshold[id] = cart_threshold(data, &split);
        }
        size_t middle = frame.start + split.n_left;
        cart_frame right = {middle, frame.end, frame.depth + 1, id, false, n_constants};
        cart_frame left = {frame.start, middle, frame.depth + 1, id, true, n_constants};
        if (!cart_push(ws, &top, right) || !cart_push(ws, &top, left)) goto nomem;
    }
    if (params->ccp_alpha > 0 && cart_prune(ws->ctx, tree, params->ccp_alpha) != DIAL_OK)
        goto nomem;
    if (!cart_tree_copy(ws->ctx, tree, out)) goto nomem;
    return DIAL_OK;
nomem:
    return DIAL_ERR_NOMEM;
}

void dial_cart_importance(const dial_cart_tree *tree, size_t n_features, double *out) {
    for (size_t f = 0; f < n_features; f++) out[f] = 0;
    for (size_t i = 0; i < tree->n_nodes; i++) {
        if (tree->left[i] < 0) continue;
        size_t l = (size_t)tree->left[i], r = (size_t)tree->right[i];
        out[tree->feature[i]] += tree->weighted_n[i] * tree->impurity[i] -
                                 tree->weighted_n[l] * tree->impurity[l] -
                                 tree->weighted_n[r] * tree->impurity[r];
    }
    double total = 0;
    for (size_t f = 0; f < n_features; f++) {
        out[f] /= tree->weighted_n[0];
        total += out[f];
    }
    if (total > 0)
        for (size_t f = 0; f < n_features; f++) out[f] /= total;
}
