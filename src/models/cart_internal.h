/*
 * CART's internals shared by its files (internal to src/models/cart_*.c):
 *   cart_params.c   the shared knobs
 *   cart_data.c     checks and binning of the training data
 *   cart_split.c    a node's statistics and its best split
 *   cart_scan.c     scoring the boundaries of one feature
 *   cart_grow.c     the workspace and node arrays, growing, pruning
 *   cart_tensors.c  the trees as tensors, their checks, packing
 *
 * Split finding at a node, for each candidate feature, one of two ways:
 *  - a node with many rows beside the feature's bins (times the classes)
 *    adds each row's weight to its bin's histogram (per class, or with w y)
 *    in one pass, then scans the bins in order;
 *  - otherwise the codes of the node's rows are gathered, the rows put in
 *    code order (counting sort over the node's code range, or a two-pass
 *    radix sort when that range is wide beside the node, or insertion sort
 *    for a handful of rows), and one scan moves the rows from the right
 *    child to the left one.
 * Either way every boundary between two codes is scored in O(1) (O(log n)
 * for absolute_error, which always sorts) from running sums:
 *   gini           sum_c L_c^2 / w_L + sum_c R_c^2 / w_R (maximised), the
 *                  proxy scikit-learn uses for the weighted Gini impurity;
 *   entropy        sum_c L_c ln L_c - w_L ln w_L + (same on the right);
 *   squared_error  S_L^2 / w_L + S_R^2 / w_R (sums of w y);
 *   absolute_error minus the sums of w |y - median| of both sides, with
 *                  the medians found in Fenwick trees over the node's rows
 *                  ranked by y.
 * Which features a node tries follows scikit-learn's BestSplitter: up to
 * max_features drawn without replacement, more while every one drawn was
 * constant in the node, and features found constant in a node are never
 * drawn again below it.
 */
#ifndef DIAL_CART_INTERNAL_H
#define DIAL_CART_INTERNAL_H

#include <float.h>
#include <math.h>

#include "models/cart.h"

/* A node is pure below this impurity, and a split must improve by at least
 * this much less than min_impurity_decrease (scikit-learn's EPSILON). */
#define CART_EPSILON DBL_EPSILON
/* Codes are 16 bits: at most this many bins per feature. */
#define CART_MAX_BINS 65536u
/* Nodes with at most this many rows are sorted by insertion. */
#define CART_INSERTION_ROWS 24
/* A node uses histograms for a feature when its bins times its classes are
 * at most this many times its rows (measured on letter and satimage). */
#define CART_HISTOGRAM_ROWS 2

typedef struct cart_pair {
    double value;
    uint32_t row;
} cart_pair;

static inline int dial_cart_pair_compare(const void *a, const void *b) {
    const cart_pair *p = a, *q = b;
    if (p->value < q->value) return -1;
    if (p->value > q->value) return 1;
    return (p->row > q->row) - (p->row < q->row);
}

typedef struct cart_frame {
    size_t start, end, depth;
    int64_t parent;
    bool is_left;
    size_t n_constants; /* features[0 .. n_constants) are constant in this node */
} cart_frame;

struct dial_cart_workspace {
    const dial_ctx *ctx; /* of the fit that made it: whose allocation hook it asks */
    size_t n_rows, n_features, n_classes;
    uint32_t *samples;    /* the tree's rows, each node's a contiguous run */
    uint32_t *order;      /* node-local positions in code order */
    uint32_t *order_tmp;  /* radix sort */
    uint16_t *node_codes; /* code of each node-local position for one feature */
    uint32_t *node_label; /* class of each node-local position */
    double *node_y;       /* value of each node-local position (regression) */
    double *node_w;       /* weight of each node-local position */
    uint32_t *bucket;     /* CART_MAX_BINS + 1 counters */
    double *hist;         /* bins x classes (or x 2) of one feature, at most n_rows */
    size_t *features;     /* a permutation of the features, constants first */
    size_t *constants;    /* the known constants of the nodes on the path, in order */
    double *total, *left, *right, *xlogx_left, *xlogx_right; /* per class */
    /* absolute_error: the node's rows ranked by y, and Fenwick trees */
    uint32_t *rank;
    cart_pair *by_y;
    double *rank_y, *rank_w, *fen_all_w, *fen_all_s, *fen_left_w, *fen_left_s;
    cart_frame *stack;
    size_t stack_capacity;
    /* categorical features, per code: rows, weight, sum of w y or class
     * weights, the levels present and their order; the best split's
     * levels and the node's levels as bitsets */
    uint32_t *cat_count, *cat_present;
    uint16_t *cat_rank;
    double *cat_w, *cat_stat;
    cart_pair *cat_order;
    uint64_t *split_bits, *split_present;
    /* sparse rows (cart_sparse.c): where[row] is the row's index in
     * samples (UINT32_MAX outside the tree's sample); entry_at and
     * entry_bin hold one feature's entries in the node (place, code).
     * node_entries counts the node's entries of all features, scanned
     * those its column scans read so far; past it the node stamps: the
     * features its rows hold get feature_stamp = node_stamp, their entry
     * counts (feature_count) and lists (entry_place, entry_code from
     * feature_first[f]), at most stamp_capacity entries */
    uint32_t *where, *entry_at;
    uint16_t *entry_bin;
    size_t node_entries, scanned, stamp_capacity;
    bool stamped;
    uint32_t *feature_stamp, *feature_count, *node_features, *entry_place, node_stamp;
    size_t *feature_first;
    uint16_t *entry_code;
    /* the tree's weights are whole numbers whose total squared is exact in
     * a double: sums of them are exact in any order, so a scan may add the
     * zero bin of a sparse feature at once (its weights the node's less
     * the entries') and still score every split as the dense rows would */
    bool exact_sums;
    double root_weight;
    double total_sq;     /* gini: sum of the squared class weights of the node */
    dial_cart_tree tree; /* the tree being grown */
};

typedef struct cart_split {
    bool found;
    size_t feature;
    uint16_t code_left, code_right; /* the last code on the left, the first on the right */
    size_t n_left;
    double proxy;
} cart_split;

static inline double cart_xlogx(double v) { return v > 0 ? v * log(v) : 0; }

/* Checks the task, the rows' count and targets, and the values of dense
 * rows (in->x; sparse rows are checked as they are binned). */
dial_status dial_cart_check_input(dial_ctx *ctx, const char *family, const dial_fit_input *in);
/* Grows data's bin_low and bin_high to hold at least need bins (doubling),
 * *bins_capacity the bins they hold; DIAL_ERR_NOMEM, the arrays kept, when
 * out of memory. Shared by the dense and the sparse binning. */
dial_status dial_cart_reserve_bins(const dial_ctx *ctx, dial_cart_data *data, size_t need,
                                   size_t *bins_capacity);

/* Sparse rows whose bins each hold one value (data->bin_low NULL): the
 * value of bin code of feature f, read from an entry that holds it (or 0
 * for the zeros' bin). */
double dial_cart_sparse_bin_value(const dial_cart_data *data, size_t f, uint16_t code);
/* Sparse rows: readies the search of the node's entries (the node's n
 * rows from ws->samples + start), before dial_cart_sparse_entries. */
void dial_cart_sparse_begin(dial_cart_workspace *ws, const dial_cart_data *data, size_t start,
                            size_t n);
/* Sparse rows: the entries of feature f among the node's rows into
 * ws->entry_at (the row's place in the node) and ws->entry_bin (its
 * code); returns how many. The nonzero ones, and maybe explicit zeros
 * (with the zero bin's code); 0 when the node's rows all hold 0. */
size_t dial_cart_sparse_entries(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                                size_t start, size_t n);
/* Sparse rows: the codes of feature f of the node's n rows into codes (in
 * the node's order); false, with codes unset, when no row of the node has
 * an entry (every one is 0: the feature is constant in the node). */
bool dial_cart_sparse_gather(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                             size_t start, size_t n, uint16_t *codes);
/* Puts the positions 0 .. n-1 in the order of their codes (codes[0 .. n),
 * between lo and hi), equal codes in position order, into ws->order. */
void dial_cart_order_codes(dial_cart_workspace *ws, const uint16_t *codes, size_t n, unsigned lo,
                           unsigned hi);

/* Grows tree's arrays to hold capacity nodes; false when out of memory. */
bool dial_cart_tree_reserve(const dial_ctx *ctx, dial_cart_tree *tree, size_t capacity);

/* Gathers the node's rows into node-local arrays and computes its weight,
 * impurity and value (written to value, n_outputs entries). For
 * classification ws->total holds the class weights afterwards. */
void dial_cart_node_stats(dial_cart_workspace *ws, const dial_cart_data *data,
                          const dial_cart_params *params, const double *weight, size_t start,
                          size_t n, double *node_weight, double *impurity, double *value);

/* Draws features as scikit-learn's BestSplitter and scores each; on return
 * *n_constants counts the features known constant for the children. */
void dial_cart_best_split(dial_cart_workspace *ws, const dial_cart_data *data,
                          const dial_cart_params *params, size_t start, size_t n, double w_node,
                          dial_rng *rng, size_t *n_constants, cart_split *best);

/* The scans of cart_scan.c: each scores the boundaries of feature f over
 * the node's n rows put in code order (ws->order, ws->node_codes) and
 * keeps the best in *best; msl is min_samples_leaf. */
void dial_cart_scan_gini(dial_cart_workspace *ws, size_t f, size_t n, double w_node, size_t msl,
                         cart_split *best);
void dial_cart_scan_entropy(dial_cart_workspace *ws, size_t f, size_t n, double w_node, size_t msl,
                            cart_split *best);
void dial_cart_scan_squared(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                            double sum_node, size_t msl, cart_split *best);
void dial_cart_scan_absolute(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                             double sum_node, size_t msl, cart_split *best);
/* Gini on sparse rows with exact sums (ws->exact_sums): the node's
 * entries of feature f put in code order and the rows without one added
 * as one bin, in O(entries) rather than O(n); scores what
 * dial_cart_scan_gini and the histogram way score. False when the
 * feature is constant in the node. */
bool dial_cart_scan_sparse_gini(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                                size_t start, size_t n, double w_node, size_t msl,
                                cart_split *best);
/* The histogram way (the node's rows need no order); false when feature f
 * is constant in the node. */
bool dial_cart_scan_histogram(dial_cart_workspace *ws, const dial_cart_data *data,
                              const dial_cart_params *params, size_t f, size_t start, size_t n,
                              double w_node, double sum_node, cart_split *best);
/* The native categorical way (cart_category.c): orders the levels present
 * in the node and scans each order's prefixes with the criterion's scan;
 * when the best split improves, ws->split_bits holds the levels it sends
 * left and ws->split_present those the node holds. False when the node
 * holds one level. */
bool dial_cart_scan_category(dial_cart_workspace *ws, const dial_cart_data *data,
                             const dial_cart_params *params, size_t f, size_t start, size_t n,
                             double w_node, double sum_node, cart_split *best);
/* The blocks data splits natively, as the tensors hold them: blocks
 * (n_blocks x 2) and levels (dial_cart_category_levels(data) x 2). */
dial_status dial_cart_categories_build(const dial_cart_data *data, int64_t *blocks, double *levels);
size_t dial_cart_category_levels(const dial_cart_data *data);

/* Builds a Fenwick tree (n + 1 entries) over values. */
void dial_cart_fen_build(double *fen, const double *values, size_t n);

#endif
