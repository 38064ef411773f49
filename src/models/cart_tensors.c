/*
 * CART: the trees as named tensors, their checks (they may come from a
 * hostile file) and their packed layout for prediction. See cart.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart_internal.h"

/* Adds the category tensors of cart.h when some node splits a category. */
static dial_status cart_category_tensors_add(dial_ctx *ctx, dial_tensors *learned,
                                             const dial_cart_data *data,
                                             const dial_cart_tree *trees, size_t n_trees,
                                             size_t n_nodes) {
    size_t n_words = 0;
    for (size_t t = 0; t < n_trees; t++) n_words += trees[t].n_words;
    if (!data || data->n_blocks == 0 || n_words == 0) return DIAL_OK;
    size_t n_levels = dial_cart_category_levels(data);
    dial_cart_category_tensors made;
    dial_status status = dial_cart_category_tensors_add(ctx, learned, data->n_blocks, n_levels,
                                                        n_nodes, n_words, &made);
    if (status != DIAL_OK) return status;
    int64_t *category = made.category, *bits = made.bits;
    dial_cart_categories_build(data, made.blocks, made.levels);
    size_t at = 0, word = 0;
    for (size_t t = 0; t < n_trees; t++) {
        const dial_cart_tree *tree = &trees[t];
        /* a tree with no category split has neither (NULL): all -1 */
        for (size_t i = 0; i < tree->n_nodes; i++)
            category[at + i] =
                !tree->category || tree->category[i] < 0 ? -1 : tree->category[i] + (int64_t)word;
        if (tree->n_words) memcpy(bits + word, tree->bits, tree->n_words * sizeof *bits);
        at += tree->n_nodes;
        word += tree->n_words;
    }
    return DIAL_OK;
}

/* The node arrays of a tree that become tensors, in the tensors' order. */
typedef enum cart_field {
    CART_FEATURE,
    CART_THRESHOLD,
    CART_LEFT,
    CART_RIGHT,
    CART_VALUE,
    CART_N_SAMPLES,
    CART_IMPURITY,
    CART_FIELDS
} cart_field;

static const char *const cart_field_names[CART_FIELDS] = {
    "feature", "threshold", "left", "right", "value", "n_samples", "impurity"};

/* The array of field in tree. */
static void **cart_field_array(dial_cart_tree *tree, cart_field field) {
    switch (field) {
    case CART_FEATURE: return (void **)&tree->feature;
    case CART_THRESHOLD: return (void **)&tree->threshold;
    case CART_LEFT: return (void **)&tree->left;
    case CART_RIGHT: return (void **)&tree->right;
    case CART_VALUE: return (void **)&tree->value;
    case CART_N_SAMPLES: return (void **)&tree->n_samples;
    default: return (void **)&tree->impurity;
    }
}

/* Writes field of a compact tree (cart.h) out in full at out: a pure
 * leaf's feature as -1 and its value row as the 0s and the 1 it stands
 * for. */
static void cart_field_write(const dial_cart_tree *tree, cart_field field, unsigned char *out) {
    size_t m = tree->n_nodes, k = tree->n_outputs;
    if (field == CART_FEATURE) {
        int64_t *feature = (int64_t *)(void *)out;
        for (size_t i = 0; i < m; i++) feature[i] = tree->feature[i] < -1 ? -1 : tree->feature[i];
    } else if (field == CART_VALUE) {
        double *value = (double *)(void *)out;
        const double *row = tree->value;
        for (size_t i = 0; i < m; i++, value += k) {
            if (tree->feature[i] < -1) {
                for (size_t c = 0; c < k; c++) value[c] = 0.0;
                value[-2 - tree->feature[i]] = 1.0;
            } else {
                memcpy(value, row, k * sizeof *value);
                row += k;
            }
        }
    } else if (m) {
        memcpy(out, *cart_field_array((dial_cart_tree *)tree, field), m * 8);
    }
}

dial_status dial_cart_tensors_add(dial_ctx *ctx, dial_tensors *learned, const dial_cart_data *data,
                                  dial_cart_tree *trees, size_t n_trees, bool tree_offset,
                                  bool release) {
    size_t n_nodes = 0, n_outputs = n_trees ? trees[0].n_outputs : 1;
    for (size_t t = 0; t < n_trees; t++) n_nodes += trees[t].n_nodes;
    size_t shape[2] = {n_nodes, n_outputs};
    /* A tensor at a time, each tree's array freed once copied. Freed, the
     * arrays stay resident until their pages are given back, which costs
     * tens of milliseconds for a forest of 600,000 nodes (a madvise per
     * freed array), so that is done twice: once the threshold, left and
     * right tensors are written, and once the values are (the largest).
     * The trees and the model are then held together at most about three
     * arrays of them apart (a forest of a few hundred thousand nodes is
     * tens of megabytes). The features mark the pure leaves (cart.h), so
     * they are freed once the values are written. */
    for (cart_field field = 0; field < CART_FIELDS; field++) {
        bool wide = field == CART_VALUE;
        dial_dtype dtype = field == CART_THRESHOLD || field == CART_VALUE || field == CART_IMPURITY
                               ? DIAL_F64
                               : DIAL_I64;
        unsigned char *out;
        dial_status status = dial_tensors_add(ctx, learned, cart_field_names[field], dtype,
                                              wide ? 2 : 1, shape, (void **)&out);
        if (status != DIAL_OK) return status;
        size_t width = (wide ? n_outputs : 1) * 8, at = 0;
        for (size_t t = 0; t < n_trees; t++) {
            cart_field_write(&trees[t], field, out + at);
            at += trees[t].n_nodes * width;
            if (!release || field == CART_FEATURE) continue;
            void **array = cart_field_array(&trees[t], field);
            free(*array);
            *array = NULL;
            if (field != CART_VALUE) continue;
            free(trees[t].feature);
            trees[t].feature = NULL;
        }
        if (release && (field == CART_RIGHT || field == CART_VALUE)) dial_release_free_memory();
    }
    if (tree_offset) {
        size_t offset_shape[1] = {n_trees + 1}, at = 0;
        int64_t *offset;
        dial_status status = dial_tensors_add(ctx, learned, "tree_offset", DIAL_I64, 1,
                                              offset_shape, (void **)&offset);
        if (status != DIAL_OK) return status;
        for (size_t t = 0; t < n_trees; t++) {
            offset[t] = (int64_t)at;
            at += trees[t].n_nodes;
        }
        offset[n_trees] = (int64_t)at;
    }
    dial_status status = cart_category_tensors_add(ctx, learned, data, trees, n_trees, n_nodes);
    if (release)
        for (size_t t = 0; t < n_trees; t++) dial_cart_tree_free(&trees[t]);
    return status;
}

static dial_status cart_tensor(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                               const char *name, dial_dtype dtype, int ndim, size_t rows,
                               size_t cols, const char *per, const void **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor '%s'", family, name);
    bool shape_ok = t->ndim == ndim && t->shape[0] == rows && (ndim == 1 || t->shape[1] == cols);
    if (t->dtype != dtype || !shape_ok || (rows && !t->data)) {
        const char *type = dtype == DIAL_I64 ? "int64" : "float64";
        if (ndim == 1)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor '%s' must be %s of shape [%zu], one per %s", family,
                             name, type, rows, per);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor '%s' must be %s of shape [%zu x %zu], one row per %s",
                         family, name, type, rows, cols, per);
    }
    *out = t->data;
    return DIAL_OK;
}

/* Writes "tree node 5" or "forest tree 3 node 5" into buf. */
static const char *cart_node_name(char *buf, size_t size, const char *family, bool forest, size_t t,
                                  size_t i) {
    if (forest)
        snprintf(buf, size, "%s tree %zu node %zu", family, t, i);
    else
        snprintf(buf, size, "%s node %zu", family, i);
    return buf;
}

/* A node's category entry: -1, or for a split on a block's offset its
 * whole bitset inside the words. */
static dial_status cart_check_category(dial_ctx *ctx, const char *who, const dial_cart_view *v,
                                       const dial_cart_categories *cats, size_t i) {
    int64_t at = v->category[i];
    if (at == -1) return DIAL_OK;
    if (v->left[i] == -1)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s is a leaf but has the category bitset %" PRId64 " (a leaf has -1)",
                         who, at);
    return dial_cart_category_check(ctx, who, cats, v->feature[i], at);
}

static dial_status cart_check_tree(dial_ctx *ctx, const char *family, bool forest, size_t t,
                                   const dial_cart_view *v, const dial_fit_input *in,
                                   const dial_cart_categories *cats, int64_t *parent) {
    char who[96];
    if (v->n_nodes >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s: a tree of %zu nodes is more than dial takes",
                         family, v->n_nodes);
    for (size_t i = 0; i < v->n_nodes; i++) parent[i] = -1;
    const char *of_tree = forest ? " of its tree" : "";
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    for (size_t i = 0; i < v->n_nodes; i++) {
        int64_t l = v->left[i], r = v->right[i], f = v->feature[i];
        int64_t children[2] = {l, r};
        for (int side = 0; side < 2; side++) {
            int64_t c = children[side];
            if (c == -1) continue;
            if (c < 0 || (uint64_t)c >= v->n_nodes)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " outside the %zu nodes%s",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c,
                                 v->n_nodes, of_tree);
            if ((uint64_t)c <= i)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " that does not come after it "
                                 "(a child must follow its parent)",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c);
            if (parent[c] >= 0)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " that is already a child of "
                                 "node %" PRId64 " (a node has one parent)",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c,
                                 parent[c]);
            parent[c] = (int64_t)i;
        }
        if ((l == -1) != (r == -1))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s has one child (left %" PRId64 ", right %" PRId64
                             "): a node has two or none",
                             cart_node_name(who, sizeof who, family, forest, t, i), l, r);
        if (l == -1 && f != -1)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s is a leaf but splits on feature %" PRId64 " (a leaf has -1)",
                             cart_node_name(who, sizeof who, family, forest, t, i), f);
        if (l != -1 && (f < 0 || (uint64_t)f >= in->n_features || f > INT32_MAX))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s splits on feature %" PRId64 " but the model has %zu inputs",
                             cart_node_name(who, sizeof who, family, forest, t, i), f,
                             in->n_features);
        if (l != -1 && isnan(v->threshold[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has a threshold that is not a number",
                             cart_node_name(who, sizeof who, family, forest, t, i));
        if (v->category) {
            dial_status status = cart_check_category(
                ctx, cart_node_name(who, sizeof who, family, forest, t, i), v, cats, i);
            if (status != DIAL_OK) return status;
        }
        if (v->n_samples[i] < 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has %" PRId64 " samples",
                             cart_node_name(who, sizeof who, family, forest, t, i),
                             v->n_samples[i]);
        if (isnan(v->impurity[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has an impurity that is not a number",
                             cart_node_name(who, sizeof who, family, forest, t, i));
        for (size_t o = 0; o < v->n_outputs; o++) {
            double x = v->value[i * v->n_outputs + o];
            if (classification && !(x >= 0 && x <= 1))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s gives class %zu the probability %g, outside [0, 1]",
                                 cart_node_name(who, sizeof who, family, forest, t, i), o, x);
            if (!isfinite(x))
                return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has the value %g, not a finite number",
                                 cart_node_name(who, sizeof who, family, forest, t, i), x);
        }
    }
    return DIAL_OK;
}

/* The category tensors, when present: the blocks in order inside the
 * inputs, their levels' off and on values numbers, a word at least. */
static dial_status cart_read_categories(dial_ctx *ctx, const char *family,
                                        const dial_tensors *learned, const dial_fit_input *in,
                                        size_t n_nodes, dial_cart_forest *out) {
    const dial_tensor *blocks = dial_tensors_find(learned, "category_blocks");
    const dial_tensor *category = dial_tensors_find(learned, "category");
    if (!blocks && !category) return DIAL_OK;
    if (!blocks || blocks->ndim != 2 || blocks->shape[0] == 0 || blocks->shape[1] != 2)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor 'category_blocks' must be int64 of shape [n_blocks x "
                         "2], one row per one-hot block, beside 'category'",
                         family);
    size_t n_blocks = blocks->shape[0];
    const void *p = NULL;
    dial_status status = cart_tensor(ctx, family, learned, "category_blocks", DIAL_I64, 2, n_blocks,
                                     2, "one-hot block", &p);
    if (status != DIAL_OK) return status;
    const int64_t *pair = p;
    uint64_t end = 0, n_levels = 0;
    for (size_t b = 0; b < n_blocks; b++) {
        int64_t offset = pair[2 * b], levels = pair[2 * b + 1];
        if (offset < 0 || (uint64_t)offset < end || levels < 1 ||
            levels > (int64_t)DIAL_CART_CATEGORY_MAX_LEVELS ||
            (uint64_t)offset + (uint64_t)levels > in->n_features)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model: category block %zu (columns %" PRId64 " + %" PRId64
                             ") overlaps the one before it or lies beyond the %zu inputs",
                             family, b, offset, levels, in->n_features);
        end = (uint64_t)offset + (uint64_t)levels;
        n_levels += (uint64_t)levels;
    }
    if (in->n_features + n_blocks >= INT32_MAX)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s: %zu inputs are more than dial takes", family,
                         in->n_features);
    out->categories.n_blocks = n_blocks;
    out->categories.blocks = pair;
    status = cart_tensor(ctx, family, learned, "category_levels", DIAL_F64, 2, (size_t)n_levels, 2,
                         "level", &p);
    if (status != DIAL_OK) return status;
    out->categories.levels = p;
    for (size_t l = 0; l < 2 * n_levels; l++)
        if (!isfinite(out->categories.levels[l]))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor 'category_levels' holds %g, not a finite number",
                             family, out->categories.levels[l]);
    status = cart_tensor(ctx, family, learned, "category", DIAL_I64, 1, n_nodes, 0, "node", &p);
    if (status != DIAL_OK) return status;
    out->category = p;
    const dial_tensor *bits = dial_tensors_find(learned, "category_bits");
    if (!bits || bits->dtype != DIAL_I64 || bits->ndim != 1 || bits->shape[0] == 0 || !bits->data)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor 'category_bits' must be int64 of shape [n_words], the "
                         "bitsets of the splits on a category",
                         family);
    out->categories.n_words = bits->shape[0];
    out->categories.bits = bits->data;
    return DIAL_OK;
}

dial_status dial_cart_categories_read(dial_ctx *ctx, const char *family,
                                      const dial_tensors *learned, const dial_fit_input *in,
                                      size_t n_nodes, const int64_t **category,
                                      dial_cart_categories *cats) {
    dial_cart_forest forest = {0};
    dial_status status = cart_read_categories(ctx, family, learned, in, n_nodes, &forest);
    *category = forest.category;
    *cats = forest.categories;
    return status;
}

dial_status dial_cart_tensors_read(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                   const dial_fit_input *in, bool tree_offset,
                                   dial_cart_forest *out) {
    *out = (dial_cart_forest){0};
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    if (classification && in->n_classes < 1)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model: a classifier needs classes", family);
    const dial_tensor *feature = dial_tensors_find(learned, "feature");
    if (!feature)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor 'feature'", family);
    if (feature->ndim != 1 || feature->shape[0] == 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor 'feature' must be int64 of shape [n_nodes] with at least "
                         "one node",
                         family);
    size_t n = feature->shape[0];
    size_t n_outputs = classification ? in->n_classes : 1;
    const void *p = NULL;
    dial_status status;
#define CART_READ(name, dtype, ndim, rows, cols, per, field)                                    \
    if ((status = cart_tensor(ctx, family, learned, name, dtype, ndim, rows, cols, per, &p)) != \
        DIAL_OK)                                                                                \
        return status;                                                                          \
    out->field = p;
    CART_READ("feature", DIAL_I64, 1, n, 0, "node", feature)
    CART_READ("threshold", DIAL_F64, 1, n, 0, "node", threshold)
    CART_READ("left", DIAL_I64, 1, n, 0, "node", left)
    CART_READ("right", DIAL_I64, 1, n, 0, "node", right)
    CART_READ("value", DIAL_F64, 2, n, n_outputs, "node", value)
    CART_READ("n_samples", DIAL_I64, 1, n, 0, "node", n_samples)
    CART_READ("impurity", DIAL_F64, 1, n, 0, "node", impurity)
    CART_READ("importance", DIAL_F64, 1, in->n_features, 0, "input", importance)
#undef CART_READ
    out->n_nodes = n;
    out->n_outputs = n_outputs;
    out->n_trees = 1;
    if (tree_offset) {
        const dial_tensor *t = dial_tensors_find(learned, "tree_offset");
        if (!t || t->dtype != DIAL_I64 || t->ndim != 1 || t->shape[0] < 2 || !t->data)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor 'tree_offset' must be int64 of shape [n_trees + 1]",
                             family);
        const int64_t *offset = t->data;
        size_t n_trees = t->shape[0] - 1;
        if (offset[0] != 0 || offset[n_trees] != (int64_t)n)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor 'tree_offset' must run from 0 to the %zu nodes, "
                             "found %" PRId64 " to %" PRId64,
                             family, n, offset[0], offset[n_trees]);
        for (size_t i = 1; i <= n_trees; i++)
            if (offset[i] <= offset[i - 1])
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s model tensor 'tree_offset' must rise by at least one node "
                                 "per tree; entry %zu is %" PRId64 " after %" PRId64,
                                 family, i, offset[i], offset[i - 1]);
        out->offset = offset;
        out->n_trees = n_trees;
    }
    status = cart_read_categories(ctx, family, learned, in, n, out);
    if (status != DIAL_OK) return status;
    size_t largest = 0;
    for (size_t t = 0; t < out->n_trees; t++) {
        size_t m = dial_cart_forest_tree(out, t).n_nodes;
        if (m > largest) largest = m;
    }
    int64_t *parent = dial_malloc(ctx, largest * sizeof *parent);
    if (!parent)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory checking %zu nodes", family, n);
    for (size_t t = 0; t < out->n_trees && status == DIAL_OK; t++) {
        dial_cart_view v = dial_cart_forest_tree(out, t);
        status = cart_check_tree(ctx, family, tree_offset, t, &v, in, &out->categories, parent);
    }
    free(parent);
    return status;
}

size_t dial_cart_pack(const dial_cart_view *tree, const dial_cart_categories *cats, size_t n_inputs,
                      dial_cart_packed *out, uint32_t *stack) {
    /* depth first, left before right; a right child on the stack carries
     * the packed index of its parent, whose next it fills when it lands */
    size_t top = 0, count = 0;
    stack[top++] = 0;
    uint32_t *patch = stack + tree->n_nodes; /* parallel to stack */
    patch[0] = UINT32_MAX;
    while (top > 0 && count < tree->n_nodes) {
        top--;
        uint32_t node = stack[top], from = patch[top], at = (uint32_t)count++;
        if (from != UINT32_MAX) out[from].next = at;
        out[at].threshold = tree->threshold[node];
        if (tree->left[node] < 0) {
            const double *row = tree->value + (size_t)node * tree->n_outputs;
            size_t nonzero = 0, one = 0;
            for (size_t c = 0; c < tree->n_outputs; c++) nonzero += row[c] != 0.0;
            if (nonzero == 1)
                while (row[one] == 0.0) one++;
            bool pure = nonzero == 1 && row[one] == 1.0 && one < INT32_MAX - 2;
            out[at].feature = pure ? -2 - (int32_t)one : -1;
            out[at].next = node;
            continue;
        }
        out[at].feature = (int32_t)tree->feature[node];
        if (tree->category && tree->category[node] >= 0) {
            out[at].feature =
                (int32_t)(n_inputs + (size_t)dial_cart_category_block(cats, tree->feature[node]));
            out[at].threshold = (double)tree->category[node];
        }
        stack[top] = (uint32_t)tree->right[node];
        patch[top++] = at;
        stack[top] = (uint32_t)tree->left[node];
        patch[top++] = UINT32_MAX;
    }
    return count;
}

dial_cart_view dial_cart_forest_tree(const dial_cart_forest *forest, size_t t) {
    size_t start = forest->offset ? (size_t)forest->offset[t] : 0;
    size_t end = forest->offset ? (size_t)forest->offset[t + 1] : forest->n_nodes;
    size_t k = forest->n_outputs;
    return (dial_cart_view){end - start,
                            k,
                            forest->feature + start,
                            forest->left + start,
                            forest->right + start,
                            forest->n_samples + start,
                            forest->threshold + start,
                            forest->impurity + start,
                            forest->value + start * k,
                            forest->category ? forest->category + start : NULL,
                            forest->categories.bits};
}

dial_status dial_cart_trees(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                            const dial_fit_input *in, bool tree_offset, size_t index,
                            size_t *n_trees, dial_tree *out) {
    dial_cart_forest forest;
    dial_status status = dial_cart_tensors_read(ctx, family, learned, in, tree_offset, &forest);
    if (status != DIAL_OK) return status;
    *n_trees = forest.n_trees;
    if (index >= forest.n_trees) return DIAL_OK;
    dial_cart_view view = dial_cart_forest_tree(&forest, index);
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    *out = (dial_tree){
        .n_nodes = view.n_nodes,
        .input = view.feature,
        .threshold = view.threshold,
        .left = view.left,
        .right = view.right,
        .category = view.category,
        .category_bits = view.category ? forest.categories.bits : NULL,
        .n_category_words = view.category ? forest.categories.n_words : 0,
        .n_samples = view.n_samples,
        .value = view.value,
        .n_values = view.n_outputs,
        .leaf = classification ? DIAL_TREE_LEAF_CLASS_SHARES : DIAL_TREE_LEAF_PREDICTION,
        .ensemble = tree_offset,
        .round = index,
    };
    return DIAL_OK;
}
