/*
 * CART: one node's statistics and its best split. The map of the ways a
 * split is found is in cart_internal.h; the scans of one feature's
 * boundaries are in cart_scan.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cart_internal.h"

/* ---- node statistics ---------------------------------------------------------- */

/* Sorts the node's positions by y and fills the rank arrays (absolute
 * error): rank of each position, and y and weight by rank. */
static void cart_rank_node(dial_cart_workspace *ws, size_t n) {
    for (size_t k = 0; k < n; k++) ws->by_y[k] = (cart_pair){ws->node_y[k], (uint32_t)k};
    qsort(ws->by_y, n, sizeof *ws->by_y, dial_cart_pair_compare);
    for (size_t r = 0; r < n; r++) {
        uint32_t k = ws->by_y[r].row;
        ws->rank[k] = (uint32_t)r;
        ws->rank_y[r] = ws->node_y[k];
        ws->rank_w[r] = ws->node_w[k];
    }
}

/* scikit-learn's weighted median: the first value where the running weight
 * reaches half, or the mean of it and the next when it is exactly half. */
static double cart_median(const dial_cart_workspace *ws, size_t n, double total) {
    double half = total / 2, running = 0;
    for (size_t r = 0; r < n; r++) {
        running += ws->rank_w[r];
        if (running == half && r + 1 < n) return (ws->rank_y[r] + ws->rank_y[r + 1]) / 2;
        if (running >= half) return ws->rank_y[r];
    }
    return n ? ws->rank_y[n - 1] : 0;
}

/* Gathers the node's rows into node-local arrays and computes its weight,
 * impurity and value (written to value, n_outputs entries). For
 * classification ws->total holds the class weights afterwards. */
void dial_cart_node_stats(dial_cart_workspace *ws, const dial_cart_data *data,
                          const dial_cart_params *params, const double *weight, size_t start,
                          size_t n, double *node_weight, double *impurity, double *value) {
    const uint32_t *samples = ws->samples + start;
    double w_total = 0;
    if (data->n_classes) {
        size_t k = data->n_classes;
        memset(ws->total, 0, k * sizeof *ws->total);
        for (size_t i = 0; i < n; i++) {
            uint32_t row = samples[i], c = data->label[row];
            double w = weight[row];
            ws->node_label[i] = c;
            ws->node_w[i] = w;
            ws->total[c] += w;
            w_total += w;
        }
        double impurity_sum = 0;
        if (params->criterion == DIAL_CART_GINI) {
            for (size_t c = 0; c < k; c++) impurity_sum += ws->total[c] * ws->total[c];
            ws->total_sq = impurity_sum;
            *impurity = 1.0 - impurity_sum / (w_total * w_total);
        } else {
            for (size_t c = 0; c < k; c++)
                if (ws->total[c] > 0) {
                    double p = ws->total[c] / w_total;
                    impurity_sum -= p * log2(p);
                }
            *impurity = impurity_sum;
        }
        for (size_t c = 0; c < k; c++) value[c] = ws->total[c] / w_total;
        *node_weight = w_total;
        return;
    }
    double sum = 0, sum_sq = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t row = samples[i];
        double w = weight[row], y = data->y[row];
        ws->node_y[i] = y;
        ws->node_w[i] = w;
        w_total += w;
        sum += w * y;
        sum_sq += w * y * y;
    }
    *node_weight = w_total;
    if (params->criterion == DIAL_CART_SQUARED_ERROR) {
        double mean = sum / w_total;
        *impurity = sum_sq / w_total - mean * mean;
        value[0] = mean;
        return;
    }
    cart_rank_node(ws, n);
    double median = cart_median(ws, n, w_total), deviation = 0;
    for (size_t r = 0; r < n; r++) deviation += ws->rank_w[r] * fabs(ws->rank_y[r] - median);
    *impurity = deviation / w_total;
    value[0] = median;
}

/* ---- putting a node's rows in code order ---------------------------------------------- */

void dial_cart_order_codes(dial_cart_workspace *ws, const uint16_t *codes, size_t n, unsigned lo,
                           unsigned hi) {
    uint32_t *order = ws->order;
    size_t range = (size_t)(hi - lo) + 1;
    if (range <= 2 * n + 64) {
        /* two sets of counters, for even and odd rows: runs of equal codes
         * then do not wait on one counter */
        uint32_t *bucket = ws->bucket, *odd = ws->bucket + range + 1;
        memset(bucket, 0, 2 * (range + 1) * sizeof *bucket);
        size_t k = 0;
        for (; k + 1 < n; k += 2) {
            bucket[codes[k] - lo + 1]++;
            odd[codes[k + 1] - lo + 1]++;
        }
        if (k < n) bucket[codes[k] - lo + 1]++;
        for (size_t b = 1; b <= range; b++) bucket[b] += bucket[b - 1] + odd[b];
        for (k = 0; k < n; k++) order[bucket[codes[k] - lo]++] = (uint32_t)k;
    } else if (n <= CART_INSERTION_ROWS) {
        for (size_t i = 0; i < n; i++) {
            uint32_t key = (uint32_t)i;
            uint16_t kc = codes[i];
            size_t j = i;
            while (j > 0 && codes[order[j - 1]] > kc) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = key;
        }
    } else {
        /* two stable passes over the low then the high byte of code - lo */
        uint32_t *bucket = ws->bucket, *tmp = ws->order_tmp;
        memset(bucket, 0, 257 * sizeof *bucket);
        for (size_t k = 0; k < n; k++) bucket[((codes[k] - lo) & 0xff) + 1]++;
        for (size_t b = 1; b <= 256; b++) bucket[b] += bucket[b - 1];
        for (size_t k = 0; k < n; k++) tmp[bucket[(codes[k] - lo) & 0xff]++] = (uint32_t)k;
        memset(bucket, 0, 257 * sizeof *bucket);
        for (size_t k = 0; k < n; k++) bucket[((codes[k] - lo) >> 8) + 1]++;
        for (size_t b = 1; b <= 256; b++) bucket[b] += bucket[b - 1];
        for (size_t i = 0; i < n; i++) {
            uint32_t k = tmp[i];
            order[bucket[(codes[k] - lo) >> 8]++] = k;
        }
    }
}

/* Fills ws->node_codes and ws->order for feature f; false when the feature
 * is constant in the node. */
static bool cart_sort_node(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                           size_t start, size_t n) {
    const uint16_t *column = dial_cart_column(data, f);
    const uint32_t *samples = ws->samples + start;
    uint16_t *codes = ws->node_codes;
    unsigned lo = UINT16_MAX, hi = 0;
    if (!column) {
        if (!dial_cart_sparse_gather(ws, data, f, start, n, codes)) return false;
        for (size_t k = 0; k < n; k++) {
            if (codes[k] < lo) lo = codes[k];
            if (codes[k] > hi) hi = codes[k];
        }
    }
    for (size_t k = 0; column && k < n; k++) {
        unsigned c = column[samples[k]];
        codes[k] = (uint16_t)c;
        if (c < lo) lo = c;
        if (c > hi) hi = c;
    }
    if (lo == hi) return false;
    dial_cart_order_codes(ws, codes, n, lo, hi);
    return true;
}

/* ---- one node's best split -------------------------------------------------------- */

/* Draws features as scikit-learn's BestSplitter and scores each; on return
 * *n_constants counts the features known constant for the children. */
void dial_cart_best_split(dial_cart_workspace *ws, const dial_cart_data *data,
                          const dial_cart_params *params, size_t start, size_t n, double w_node,
                          dial_rng *rng, size_t *n_constants, cart_split *best) {
    *best = (cart_split){.found = false, .proxy = -INFINITY};
    double sum_node = 0;
    if (!data->n_classes) {
        for (size_t k = 0; k < n; k++) sum_node += ws->node_w[k] * ws->node_y[k];
        if (params->criterion == DIAL_CART_ABSOLUTE_ERROR) {
            /* node_stats ranked the rows; fen_left_s is free until the scans */
            dial_cart_fen_build(ws->fen_all_w, ws->rank_w, n);
            for (size_t r = 0; r < n; r++) ws->fen_left_s[r] = ws->rank_w[r] * ws->rank_y[r];
            dial_cart_fen_build(ws->fen_all_s, ws->fen_left_s, n);
        }
    }
    if (data->sparse) dial_cart_sparse_begin(ws, data, start, n);
    bool sparse_gini = data->sparse && ws->exact_sums && params->criterion == DIAL_CART_GINI;
    size_t *features = ws->features, n_features = data->n_features;
    size_t known = *n_constants, found_constants = 0, drawn_constants = 0;
    size_t f_i = n_features, total_constants = known, visited = 0;
    while (f_i > total_constants &&
           (visited < params->max_features || visited <= found_constants + drawn_constants)) {
        visited++;
        size_t f_j =
            drawn_constants + (size_t)dial_rng_below(rng, f_i - found_constants - drawn_constants);
        if (f_j < known) {
            size_t t = features[drawn_constants];
            features[drawn_constants] = features[f_j];
            features[f_j] = t;
            drawn_constants++;
            continue;
        }
        f_j += found_constants;
        size_t f = features[f_j];
        /* read only when needed: on a wide vocabulary each read of a
         * feature's array is a cache miss */
        bool category = data->n_blocks && data->block[f] >= 0;
        bool histogram = !category && !sparse_gini &&
                         params->criterion != DIAL_CART_ABSOLUTE_ERROR &&
                         (data->bin_start[f + 1] - data->bin_start[f]) *
                                 (data->n_classes ? data->n_classes : 2) <=
                             CART_HISTOGRAM_ROWS * n;
        size_t msl = params->min_samples_leaf;
        bool varies =
            category
                ? dial_cart_scan_category(ws, data, params, f, start, n, w_node, sum_node, best)
            : sparse_gini ? dial_cart_scan_sparse_gini(ws, data, f, start, n, w_node, msl, best)
            : histogram
                ? dial_cart_scan_histogram(ws, data, params, f, start, n, w_node, sum_node, best)
                : cart_sort_node(ws, data, f, start, n);
        if (!varies) {
            features[f_j] = features[total_constants];
            features[total_constants] = f;
            found_constants++;
            total_constants++;
            continue;
        }
        f_i--;
        features[f_j] = features[f_i];
        features[f_i] = f;
        if (histogram || category || sparse_gini) continue;
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
    }
    /* a node below this one may have swapped this node's known constants
     * with its own; put them back in their order, which the siblings and
     * children of this node rely on, and record those found here */
    memcpy(features, ws->constants, known * sizeof *features);
    memcpy(ws->constants + known, features + known, found_constants * sizeof *features);
    *n_constants = total_constants;
}
