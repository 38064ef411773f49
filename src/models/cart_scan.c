/*
 * CART: scoring every boundary of one feature in a node, from sorted rows
 * (gini, entropy, squared and absolute error) or from a histogram of the
 * node's bins. The proxies each scan maximises are in cart_internal.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cart_internal.h"

/* The boundary after sorted position j (the left child holds positions
 * 0..j) is a candidate when the code changes there and both children keep
 * min_samples_leaf rows. Returns 1 to score, 0 to skip, -1 to stop. */
static inline int cart_boundary(const dial_cart_workspace *ws, size_t j, size_t n, size_t msl) {
    const uint32_t *order = ws->order;
    if (ws->node_codes[order[j]] == ws->node_codes[order[j + 1]]) return 0;
    if (j + 1 < msl) return 0;
    if (n - j - 1 < msl) return -1;
    return 1;
}

static inline void cart_consider(cart_split *best, size_t f, size_t n_left, unsigned code_left,
                                 unsigned code_right, double proxy) {
    if (proxy > best->proxy) {
        best->found = true;
        best->proxy = proxy;
        best->feature = f;
        best->n_left = n_left;
        best->code_left = (uint16_t)code_left;
        best->code_right = (uint16_t)code_right;
    }
}

/* The boundary after sorted position j. */
static inline void cart_consider_sorted(cart_split *best, const dial_cart_workspace *ws, size_t f,
                                        size_t j, double proxy) {
    cart_consider(best, f, j + 1, ws->node_codes[ws->order[j]], ws->node_codes[ws->order[j + 1]],
                  proxy);
}

void dial_cart_scan_gini(dial_cart_workspace *ws, size_t f, size_t n, double w_node, size_t msl,
                         cart_split *best) {
    size_t k_classes = ws->n_classes;
    double *left = ws->left, sq_left = 0, sq_right = ws->total_sq, w_left = 0;
    const double *total = ws->total;
    /* a small node clears only the classes it holds */
    if (n < k_classes)
        for (size_t k = 0; k < n; k++) left[ws->node_label[k]] = 0;
    else
        memset(left, 0, k_classes * sizeof *left);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j], c = ws->node_label[k];
        double w = ws->node_w[k], l = left[c], r = total[c] - l;
        sq_left += w * (2 * l + w);
        sq_right -= w * (2 * r - w);
        left[c] = l + w;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at)
            cart_consider_sorted(best, ws, f, j, sq_left / w_left + sq_right / (w_node - w_left));
    }
}

void dial_cart_scan_entropy(dial_cart_workspace *ws, size_t f, size_t n, double w_node, size_t msl,
                            cart_split *best) {
    size_t k_classes = ws->n_classes;
    double *left = ws->left, *right = ws->right, *xl = ws->xlogx_left, *xr = ws->xlogx_right;
    double t_left = 0, t_right = 0, w_left = 0;
    memset(left, 0, k_classes * sizeof *left);
    memset(xl, 0, k_classes * sizeof *xl);
    memcpy(right, ws->total, k_classes * sizeof *right);
    for (size_t c = 0; c < k_classes; c++) t_right += xr[c] = cart_xlogx(right[c]);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j], c = ws->node_label[k];
        double w = ws->node_w[k];
        left[c] += w;
        right[c] -= w;
        double nl = cart_xlogx(left[c]), nr = cart_xlogx(right[c]);
        t_left += nl - xl[c];
        t_right += nr - xr[c];
        xl[c] = nl;
        xr[c] = nr;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at)
            cart_consider_sorted(best, ws, f, j,
                                 t_left - cart_xlogx(w_left) + t_right -
                                     cart_xlogx(w_node - w_left));
    }
}

void dial_cart_scan_squared(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                            double sum_node, size_t msl, cart_split *best) {
    double s_left = 0, w_left = 0;
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j];
        double w = ws->node_w[k];
        s_left += w * ws->node_y[k];
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at) {
            double s_right = sum_node - s_left;
            cart_consider_sorted(best, ws, f, j,
                                 s_left * s_left / w_left + s_right * s_right / (w_node - w_left));
        }
    }
}

/* Fenwick trees over the node's ranks (1-based inside). */
static void cart_fen_add(double *fen, size_t n, size_t rank, double v) {
    for (size_t i = rank + 1; i <= n; i += i & (~i + 1)) fen[i] += v;
}

static double cart_fen_prefix(const double *fen, const double *minus, size_t count) {
    double s = 0;
    for (size_t i = count; i > 0; i -= i & (~i + 1)) s += fen[i] - (minus ? minus[i] : 0);
    return s;
}

/* The first rank whose running weight (a, less minus when given) reaches
 * target. */
static size_t cart_fen_search(const double *a, const double *minus, size_t n, size_t top,
                              double target) {
    size_t pos = 0;
    double acc = 0;
    for (size_t step = top; step; step >>= 1) {
        size_t next = pos + step;
        if (next > n) continue;
        double v = a[next] - (minus ? minus[next] : 0);
        if (acc + v < target) {
            pos = next;
            acc += v;
        }
    }
    return pos < n ? pos : n - 1;
}

/* Sum of w |y - median| of one side: a the side's weights and sums by rank
 * (less minus), w and s its totals. */
static double cart_fen_deviation(const dial_cart_workspace *ws, const double *fw, const double *fs,
                                 const double *mw, const double *ms, size_t n, size_t top, double w,
                                 double s) {
    size_t r = cart_fen_search(fw, mw, n, top, w / 2);
    double m = ws->rank_y[r];
    double w_low = cart_fen_prefix(fw, mw, r + 1), s_low = cart_fen_prefix(fs, ms, r + 1);
    return m * w_low - s_low + (s - s_low) - m * (w - w_low);
}

void dial_cart_fen_build(double *fen, const double *values, size_t n) {
    fen[0] = 0;
    for (size_t i = 1; i <= n; i++) fen[i] = values[i - 1];
    for (size_t i = 1; i <= n; i++) {
        size_t j = i + (i & (~i + 1));
        if (j <= n) fen[j] += fen[i];
    }
}

void dial_cart_scan_absolute(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                             double sum_node, size_t msl, cart_split *best) {
    size_t top = 1;
    while (top * 2 <= n) top *= 2;
    memset(ws->fen_left_w, 0, (n + 1) * sizeof *ws->fen_left_w);
    memset(ws->fen_left_s, 0, (n + 1) * sizeof *ws->fen_left_s);
    double s_left = 0, w_left = 0;
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j];
        double w = ws->node_w[k], y = ws->node_y[k];
        cart_fen_add(ws->fen_left_w, n, ws->rank[k], w);
        cart_fen_add(ws->fen_left_s, n, ws->rank[k], w * y);
        s_left += w * y;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (!at) continue;
        double dev_left = cart_fen_deviation(ws, ws->fen_left_w, ws->fen_left_s, NULL, NULL, n, top,
                                             w_left, s_left);
        double dev_right =
            cart_fen_deviation(ws, ws->fen_all_w, ws->fen_all_s, ws->fen_left_w, ws->fen_left_s, n,
                               top, w_node - w_left, sum_node - s_left);
        cart_consider_sorted(best, ws, f, j, -(dev_left + dev_right));
    }
}

/* ---- gini on sparse rows ------------------------------------------------------------ */

/* Adds weight w of class c to the left child's running gini sums. */
static inline void cart_gini_move(dial_cart_workspace *ws, uint32_t c, double w, double *sq_left,
                                  double *sq_right, double *w_left) {
    double l = ws->left[c], r = ws->total[c] - l;
    *sq_left += w * (2 * l + w);
    *sq_right -= w * (2 * r - w);
    ws->left[c] = l + w;
    *w_left += w;
}

/* The entries move left one at a time in code order, as dial_cart_scan_gini
 * moves rows, and the zero bin's rows at once, as the histogram way moves
 * a bin: with whole weights every sum is exact, so each boundary scores
 * the same double as on the dense rows and the same split wins. */
bool dial_cart_scan_sparse_gini(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                                size_t start, size_t n, double w_node, size_t msl,
                                cart_split *best) {
    size_t m = dial_cart_sparse_entries(ws, data, f, start, n);
    if (m == 0) return false;
    const uint16_t *bin = ws->entry_bin;
    const uint32_t *at = ws->entry_at;
    unsigned zero = data->zero_code[f], lo = UINT16_MAX, hi = 0;
    size_t n_zero = n - m;
    for (size_t j = 0; j < m; j++) {
        if (bin[j] < lo) lo = bin[j];
        if (bin[j] > hi) hi = bin[j];
    }
    unsigned lo_all = n_zero && zero < lo ? zero : lo, hi_all = n_zero && zero > hi ? zero : hi;
    if (lo_all == hi_all) return false;
    dial_cart_order_codes(ws, bin, m, lo, hi);
    size_t k_classes = ws->n_classes;
    double *zero_w = ws->right; /* the zero bin's class weights */
    memcpy(zero_w, ws->total, k_classes * sizeof *zero_w);
    for (size_t j = 0; j < m; j++) zero_w[ws->node_label[at[j]]] -= ws->node_w[at[j]];
    memset(ws->left, 0, k_classes * sizeof *ws->left);
    double sq_left = 0, sq_right = ws->total_sq, w_left = 0;
    size_t n_left = 0, j = 0;
    unsigned previous = lo_all;
    bool zero_left = n_zero == 0;
    while (j < m || !zero_left) {
        bool zeros = !zero_left && (j == m || bin[ws->order[j]] >= zero);
        unsigned code = zeros ? zero : bin[ws->order[j]];
        if (code != previous && n_left >= msl) {
            if (n - n_left < msl) break;
            cart_consider(best, f, n_left, previous, code,
                          sq_left / w_left + sq_right / (w_node - w_left));
        }
        if (zeros) {
            for (size_t c = 0; c < k_classes; c++)
                if (zero_w[c] != 0)
                    cart_gini_move(ws, (uint32_t)c, zero_w[c], &sq_left, &sq_right, &w_left);
            n_left += n_zero;
            zero_left = true;
        } else {
            uint32_t p = at[ws->order[j++]];
            cart_gini_move(ws, ws->node_label[p], ws->node_w[p], &sq_left, &sq_right, &w_left);
            n_left++;
        }
        previous = code;
    }
    return true;
}

/* ---- histogram split finding ------------------------------------------------------ */

/* For a node with many rows beside its feature's bins (times classes): one
 * pass adds each row's weight, per class (or with its w y), to the row's
 * bin, and the bins are scanned in order; each class or sum of a bin moves
 * to the left child at once. Returns false when the feature is constant in
 * the node. */
bool dial_cart_scan_histogram(dial_cart_workspace *ws, const dial_cart_data *data,
                              const dial_cart_params *params, size_t f, size_t start, size_t n,
                              double w_node, double sum_node, cart_split *best) {
    const uint16_t *column = dial_cart_column(data, f);
    const uint32_t *samples = ws->samples + start;
    size_t bins = data->bin_start[f + 1] - data->bin_start[f];
    size_t k = data->n_classes ? data->n_classes : 2, msl = params->min_samples_leaf;
    double *hist = ws->hist;
    uint32_t *count = ws->bucket;
    /* sparse rows: the node's codes gathered from its rows' entries */
    const uint16_t *gathered = NULL;
    if (!column) {
        if (!dial_cart_sparse_gather(ws, data, f, start, n, ws->node_codes)) return false;
        gathered = ws->node_codes;
    }
    memset(hist, 0, bins * k * sizeof *hist);
    memset(count, 0, bins * sizeof *count);
    if (data->n_classes) {
        for (size_t i = 0; i < n; i++) {
            unsigned b = gathered ? gathered[i] : column[samples[i]];
            count[b]++;
            hist[b * k + ws->node_label[i]] += ws->node_w[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned b = gathered ? gathered[i] : column[samples[i]];
            double w = ws->node_w[i];
            count[b]++;
            hist[2 * b] += w;
            hist[2 * b + 1] += w * ws->node_y[i];
        }
    }
    size_t lo = 0, hi = bins - 1;
    while (!count[lo]) lo++;
    while (!count[hi]) hi--;
    if (lo == hi) return false;

    double *left = ws->left, *right = ws->right, *xl = ws->xlogx_left, *xr = ws->xlogx_right;
    double sq_left = 0, sq_right = 0, t_left = 0, t_right = 0, w_left = 0, s_left = 0;
    if (data->n_classes) {
        memset(left, 0, k * sizeof *left);
        memset(xl, 0, k * sizeof *xl);
        memcpy(right, ws->total, k * sizeof *right);
        if (params->criterion == DIAL_CART_GINI)
            sq_right = ws->total_sq;
        else
            for (size_t c = 0; c < k; c++) t_right += xr[c] = cart_xlogx(right[c]);
    }
    size_t n_left = 0, previous = lo;
    for (size_t b = lo; b <= hi; b++) {
        if (!count[b]) continue;
        if (n_left >= msl && b > lo) {
            if (n - n_left < msl) break;
            double w_right = w_node - w_left, proxy;
            if (params->criterion == DIAL_CART_GINI) {
                proxy = sq_left / w_left + sq_right / w_right;
            } else if (params->criterion == DIAL_CART_ENTROPY) {
                proxy = t_left - cart_xlogx(w_left) + t_right - cart_xlogx(w_right);
            } else {
                double s_right = sum_node - s_left;
                proxy = s_left * s_left / w_left + s_right * s_right / w_right;
            }
            cart_consider(best, f, n_left, (unsigned)previous, (unsigned)b, proxy);
        }
        const double *h = hist + b * k;
        if (!data->n_classes) {
            w_left += h[0];
            s_left += h[1];
        } else if (params->criterion == DIAL_CART_GINI) {
            for (size_t c = 0; c < k; c++) {
                double w = h[c];
                if (w == 0) continue;
                sq_left += w * (2 * left[c] + w);
                sq_right -= w * (2 * right[c] - w);
                left[c] += w;
                right[c] -= w;
                w_left += w;
            }
        } else {
            for (size_t c = 0; c < k; c++) {
                double w = h[c];
                if (w == 0) continue;
                left[c] += w;
                right[c] -= w;
                double nl = cart_xlogx(left[c]), nr = cart_xlogx(right[c]);
                t_left += nl - xl[c];
                t_right += nr - xr[c];
                xl[c] = nl;
                xr[c] = nr;
                w_left += w;
            }
        }
        n_left += count[b];
        previous = b;
    }
    return true;
}
