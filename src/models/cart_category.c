/*
 * CART's native categorical splits: scoring the subsets of a categorical
 * feature's levels in a node (the orders of cart.h's "Categories", each
 * scanned as a numeric feature would be), and finding the level of each
 * block in a row at prediction.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "models/cart_internal.h"

/* Puts the node's positions in the order of their level's rank
 * (ws->node_codes then holds the ranks, 0 .. m - 1), by counting. */
static void cart_order_by_rank(dial_cart_workspace *ws, const uint16_t *column, size_t start,
                               size_t n, size_t m) {
    const uint32_t *samples = ws->samples + start;
    uint32_t *bucket = ws->bucket;
    memset(bucket, 0, (m + 1) * sizeof *bucket);
    for (size_t k = 0; k < n; k++) {
        uint16_t rank = ws->cat_rank[column[samples[k]]];
        ws->node_codes[k] = rank;
        bucket[rank + 1]++;
    }
    for (size_t r = 1; r <= m; r++) bucket[r] += bucket[r - 1];
    for (size_t k = 0; k < n; k++) ws->order[bucket[ws->node_codes[k]]++] = (uint32_t)k;
}

bool dial_cart_scan_category(dial_cart_workspace *ws, const dial_cart_data *data,
                             const dial_cart_params *params, size_t f, size_t start, size_t n,
                             double w_node, double sum_node, cart_split *best) {
    const uint16_t *column = data->codes + f * data->n_rows;
    const uint32_t *samples = ws->samples + start;
    size_t k_classes = data->n_classes, width = k_classes ? k_classes : 1, m = 0;
    size_t n_codes = data->bin_start[f + 1] - data->bin_start[f];
    for (size_t k = 0; k < n; k++) {
        uint16_t c = column[samples[k]];
        double w = ws->node_w[k];
        if (!ws->cat_count[c]) {
            ws->cat_present[m++] = c;
            ws->cat_w[c] = 0;
            memset(ws->cat_stat + (size_t)c * width, 0, width * sizeof *ws->cat_stat);
        }
        ws->cat_count[c]++;
        ws->cat_w[c] += w;
        if (k_classes)
            ws->cat_stat[(size_t)c * width + ws->node_label[k]] += w;
        else
            ws->cat_stat[c] += w * ws->node_y[k];
    }
    for (size_t i = 0; i < m; i++) ws->cat_count[ws->cat_present[i]] = 0;
    if (m < 2) return false;
    /* one order for regression and two classes (by the share of class 1),
     * one per class for more */
    size_t n_orders = k_classes > 2 ? k_classes : 1;
    size_t words = (n_codes + 63) / 64, msl = params->min_samples_leaf;
    for (size_t o = 0; o < n_orders; o++) {
        size_t q = k_classes > 2 ? o : 1;
        double prior = k_classes ? ws->total[q] / w_node : sum_node / w_node;
        for (size_t i = 0; i < m; i++) {
            uint16_t c = ws->cat_present[i];
            double s = ws->cat_stat[(size_t)c * width + (k_classes ? q : 0)];
            double key = (s + DIAL_CART_CATEGORY_SMOOTH * prior) /
                         (ws->cat_w[c] + DIAL_CART_CATEGORY_SMOOTH);
            ws->cat_order[i] = (cart_pair){key, c};
        }
        qsort(ws->cat_order, m, sizeof *ws->cat_order, dial_cart_pair_compare);
        for (size_t r = 0; r < m; r++) ws->cat_rank[ws->cat_order[r].row] = (uint16_t)r;
        cart_order_by_rank(ws, column, start, n, m);
        double before = best->proxy;
        switch (params->criterion) {
        case DIAL_CART_GINI: dial_cart_scan_gini(ws, f, n, w_node, msl, best); break;
        case DIAL_CART_ENTROPY: dial_cart_scan_entropy(ws, f, n, w_node, msl, best); break;
        case DIAL_CART_SQUARED_ERROR:
            dial_cart_scan_squared(ws, f, n, w_node, sum_node, msl, best);
            break;
        case DIAL_CART_ABSOLUTE_ERROR:
            dial_cart_scan_absolute(ws, f, n, w_node, sum_node, msl, best);
            break;
        }
        if (!(best->proxy > before)) continue;
        /* the best split so far is this order's prefix up to code_left
         * (a rank): keep its levels, and which levels the node holds */
        memset(ws->split_bits, 0, words * sizeof *ws->split_bits);
        memset(ws->split_present, 0, words * sizeof *ws->split_present);
        for (size_t r = 0; r < m; r++) {
            uint32_t c = ws->cat_order[r].row;
            ws->split_present[c / 64] |= (uint64_t)1 << (c % 64);
            if (r <= best->code_left) ws->split_bits[c / 64] |= (uint64_t)1 << (c % 64);
        }
    }
    return true;
}

void dial_cart_category_codes(const dial_cart_categories *cats, const double *x, uint32_t *codes) {
    const double *pair = cats->levels;
    for (size_t b = 0; b < cats->n_blocks; b++) {
        size_t offset = (size_t)cats->blocks[2 * b], n_levels = (size_t)cats->blocks[2 * b + 1];
        uint32_t code = (uint32_t)n_levels;
        for (size_t l = 0; l < n_levels; l++)
            if (x[offset + l] == pair[2 * l + 1] && pair[2 * l] != pair[2 * l + 1]) {
                code = (uint32_t)l;
                break;
            }
        codes[b] = code;
        pair += 2 * n_levels;
    }
}

int64_t dial_cart_category_block(const dial_cart_categories *cats, int64_t column) {
    size_t lo = 0, hi = cats->n_blocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cats->blocks[2 * mid] < column)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cats->n_blocks && cats->blocks[2 * lo] == column ? (int64_t)lo : -1;
}

dial_status dial_cart_categories_build(const dial_cart_data *data, int64_t *blocks,
                                       double *levels) {
    size_t b = 0;
    double *pair = levels;
    for (size_t f = 0; f < data->n_features; f++) {
        if (data->block[f] < 0) continue;
        const dial_onehot_block *block = &data->blocks[data->block[f]];
        blocks[2 * b] = (int64_t)block->offset;
        blocks[2 * b + 1] = (int64_t)block->n_levels;
        for (size_t l = 0; l < block->n_levels; l++) {
            *pair++ = block->off[l];
            *pair++ = block->on[l];
        }
        b++;
    }
    return DIAL_OK;
}

size_t dial_cart_category_levels(const dial_cart_data *data) {
    size_t total = 0;
    for (size_t f = 0; f < data->n_features; f++)
        if (data->block[f] >= 0) total += data->blocks[data->block[f]].n_levels;
    return total;
}

dial_status dial_cart_category_check(dial_ctx *ctx, const char *who,
                                     const dial_cart_categories *cats, int64_t input, int64_t at) {
    int64_t b = dial_cart_category_block(cats, input);
    if (b < 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s splits input %" PRId64 " by category, but no block of "
                         "'category_blocks' starts there",
                         who, input);
    uint64_t words = ((uint64_t)cats->blocks[2 * b + 1] + 64) / 64;
    if (at < 0 || (uint64_t)at > cats->n_words || words > cats->n_words - (uint64_t)at)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s has its category bitset at word %" PRId64 ", but a split on block "
                         "%" PRId64 " (%" PRId64 " levels) needs %" PRIu64
                         " words and 'category_bits' has %zu; the file is damaged",
                         who, at, b, cats->blocks[2 * b + 1], words, cats->n_words);
    return DIAL_OK;
}

dial_status dial_cart_category_tensors_add(dial_ctx *ctx, dial_tensors *learned, size_t n_blocks,
                                           size_t n_levels, size_t n_nodes, size_t n_words,
                                           dial_cart_category_tensors *out) {
    size_t shape_blocks[2] = {n_blocks, 2}, shape_levels[2] = {n_levels, 2};
    size_t shape_nodes[1] = {n_nodes}, shape_words[1] = {n_words};
    dial_status status;
    if ((status = dial_tensors_add(ctx, learned, "category_blocks", DIAL_I64, 2, shape_blocks,
                                   (void **)&out->blocks)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "category_levels", DIAL_F64, 2, shape_levels,
                                   (void **)&out->levels)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "category", DIAL_I64, 1, shape_nodes,
                                   (void **)&out->category)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "category_bits", DIAL_I64, 1, shape_words,
                                   (void **)&out->bits)) != DIAL_OK)
        return status;
    return DIAL_OK;
}
