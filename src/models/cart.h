/*
 * CART (Breiman, Friedman, Olshen and Stone, Classification and Regression
 * Trees, 1984): the tree builder shared by the tree and forest families
 * (internal to src/models/).
 *
 *  - dial_cart_data: the training features prepared once per fit. Each
 *    feature's distinct training values are sorted and every row gets the
 *    rank of its value as a 16-bit code, so split finding never sorts
 *    doubles: a node's rows are put in feature order by a counting sort (or
 *    a radix sort when the node is small beside the number of values).
 *    With at most 65536 distinct values, which covers nearly every tabular
 *    column, this is exact: the candidate thresholds are those of an exact
 *    CART, the midpoints between consecutive distinct values in the node,
 *    as scikit-learn's. A feature with more values is cut into 65535
 *    quantile bins, and its thresholds lie between consecutive bins.
 *  - dial_cart_grow: one tree, grown depth first with the rows of each node
 *    partitioned in place, optionally pruned by minimal cost-complexity.
 *    All its randomness (which features a node may split on) comes from
 *    the stream it is given, so a tree depends only on its data, weights
 *    and stream.
 *  - the node arrays as named tensors, their checks (they may come from a
 *    hostile file), prediction and impurity importance.
 *
 * Node layout: parallel arrays in preorder (a node's children come after it,
 * its left subtree before its right one). feature[i] is -1 for a leaf;
 * otherwise a row goes left when x[feature] <= threshold, or, for a split
 * on a category (category[i] >= 0), when the bit of its level is set in
 * the node's bitset (see "Categories" below). value[i] holds
 * the class probabilities (n_classes columns) or the prediction (one
 * column: the mean, or the median for absolute_error) of every node, so a
 * pruned node needs nothing new.
 */
#ifndef DIAL_CART_H
#define DIAL_CART_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial/model.h"

/* ---- the knobs the tree families share ---------------------------------- */

/*
 * Categories. When the fit input names its one-hot blocks (in->onehot) and
 * knob 'categorical' is native (the default), each categorical feature is
 * one split candidate whose codes are its levels, and a node splits it by
 * a subset of its levels, as LightGBM does: the levels present in the node
 * are ordered by their mean target (regression) or class share (for more
 * than two classes, one order per class, the best split of all kept),
 * each pulled toward the node's value by DIAL_CART_CATEGORY_SMOOTH rows of
 * it (LightGBM's cat_smooth) so that a rare level does not sort to an end
 * on one row, and every prefix of that order is scored as a numeric
 * threshold would be. For regression and two classes that order gives the
 * best subset exactly (Breiman et al. 1984, sec. 9.4) when no smoothing
 * moves it. A row with none of the block's levels (a level unseen in
 * training, or a missing value kept by impute=none) has the code
 * n_levels; it and the levels absent from the node go to the child with
 * more training rows (the left one on a tie). When in->onehot is NULL
 * (the tuner's folds today) or categorical=onehot, every one-hot column
 * is a numeric candidate, as before. A block of more than
 * DIAL_CART_CATEGORY_MAX_LEVELS levels also stays one-hot.
 *
 * Learned tensors, present only when some block was split natively:
 *   category_blocks [n_blocks x 2] int64: the offset and level count of
 *       each one-hot block, in ascending offset order;
 *   category_levels [sum of levels x 2] float64: the off and on value of
 *       each level's column, to find a row's level exactly as the fit did;
 *   category        [n_nodes] int64: -1, or for a split on a category the
 *       index in category_bits of its first word (its feature is the
 *       block's offset);
 *   category_bits   [n_words] int64: the bitsets, ceil((n_levels + 1) / 64)
 *       words a split, bit c of word c / 64 set when code c goes left.
 */
#define DIAL_CART_CATEGORY_SMOOTH 10.0
#define DIAL_CART_CATEGORY_MAX_LEVELS 65534u

extern const char *const dial_cart_categorical_choices[];

/* The docs of the category tensors, for a family's param table. */
#define DIAL_CART_CATEGORY_PARAMS                                                            \
    {"category_blocks", "n_blocks x 2",                                                      \
     "offset and level count of each one-hot block split natively (only with such splits)"}, \
        {"category_levels", "n_levels x 2",                                                  \
         "off and on value of each level's input, to find a row's level"},                   \
        {"category", "n_nodes",                                                              \
         "-1, or for a split on a category the first word of its bitset in category_bits"},  \
    {                                                                                        \
        "category_bits", "n_words",                                                          \
            "bitsets of the splits on a category: bit c set when level c goes left (c = "    \
            "n_levels: a level unseen in training or missing)"                               \
    }

#define DIAL_CART_CATEGORICAL_KNOB                                                            \
    {                                                                                         \
        .name = "categorical", .type = DIAL_KNOB_CHOICE, .default_text = "native",            \
        .choices = dial_cart_categorical_choices, .condition = "",                            \
        .doc = "how a categorical feature is split: native (by a subset of its levels, "      \
               "ordered by their mean target, as LightGBM's categorical splits; one node "    \
               "where one-hot needs a chain) or onehot (one level against the rest per node)" \
    }

extern const char *const dial_cart_criterion_choices[];
extern const char *const dial_cart_max_features_choices[];
extern const char *const dial_cart_max_features_searched[];
extern const char *const dial_cart_class_weight_choices[];

#define DIAL_CART_CRITERION_KNOB                                                              \
    {                                                                                         \
        .name = "criterion", .type = DIAL_KNOB_CHOICE, .default_text = "auto",                \
        .choices = dial_cart_criterion_choices, .condition = "",                              \
        .doc = "impurity a split lowers: gini or entropy (classification), squared_error or " \
               "absolute_error (regression); auto is gini or squared_error"                   \
    }

/* max_features is mtry: how many features, drawn at random, a node may
 * split on. A choice names the rule; fraction and count take their number
 * from the knob of that name. */
#define DIAL_CART_MAX_FEATURES_KNOBS(default_rule, search)                                      \
    {.name = "max_features",                                                                    \
     .type = DIAL_KNOB_CHOICE,                                                                  \
     .default_text = default_rule,                                                              \
     .choices = dial_cart_max_features_choices,                                                 \
     .has_search_range = search,                                                                \
     .search_choices = dial_cart_max_features_searched,                                         \
     .condition = "",                                                                           \
     .doc = "features drawn at random as split candidates at each node (mtry): all, sqrt or "   \
            "log2 of their number, a fraction or a count (the knobs below), or auto (sqrt for " \
            "classification, all for regression, as Breiman's forests)"},                       \
        {.name = "max_features_fraction",                                                       \
         .type = DIAL_KNOB_FLOAT,                                                               \
         .default_text = "0.5",                                                                 \
         .lower = 0,                                                                            \
         .lower_open = true,                                                                    \
         .upper = 1,                                                                            \
         .has_search_range = true,                                                              \
         .search_low = 0.05,                                                                    \
         .search_high = 1,                                                                      \
         .condition = "max_features=fraction",                                                  \
         .doc = "share of the features drawn at each node (at least one)"},                     \
    {                                                                                           \
        .name = "max_features_count", .type = DIAL_KNOB_INT, .default_text = "1", .lower = 1,   \
        .upper = INFINITY, .condition = "max_features=count",                                   \
        .doc = "number of features drawn at each node; at most the number of inputs"            \
    }

#define DIAL_CART_CLASS_WEIGHT_KNOB                                                         \
    {                                                                                       \
        .name = "class_weight", .type = DIAL_KNOB_CHOICE, .default_text = "none",           \
        .choices = dial_cart_class_weight_choices, .condition = "",                         \
        .doc = "weight of each training row in the impurities: none (1), or balanced (n / " \
               "(n_classes * class count), as scikit-learn's); classification only"         \
    }

typedef enum dial_cart_criterion {
    DIAL_CART_GINI = 0,
    DIAL_CART_ENTROPY,
    DIAL_CART_SQUARED_ERROR,
    DIAL_CART_ABSOLUTE_ERROR
} dial_cart_criterion;

/* What a family's knobs ask of each tree. */
typedef struct dial_cart_params {
    dial_cart_criterion criterion;
    size_t max_depth; /* SIZE_MAX: unlimited */
    size_t min_samples_split, min_samples_leaf;
    size_t max_features; /* features drawn per node, 1 .. n_features */
    double min_impurity_decrease;
    double ccp_alpha; /* 0: no pruning */
    bool balanced;    /* class_weight=balanced */
    bool native;      /* categorical=native */
} dial_cart_params;

/* Reads the shared knobs of family (named in messages) for the input in.
 * Knobs a family lacks (ccp_alpha, min_impurity_decrease) read as 0.
 * Fails with DIAL_ERR_KNOB when the criterion does not fit the task, when
 * class_weight is set for regression, or when max_features_count exceeds
 * the inputs. */
dial_status dial_cart_params_from_knobs(dial_ctx *ctx, const char *family, const dial_knobs *knobs,
                                        const dial_fit_input *in, dial_cart_params *out);

/* ---- training data -------------------------------------------------------- */

/* The split candidates are the data's features: each numeric input, and,
 * with native categories, each one-hot block as one feature whose codes
 * are its levels (n_levels for none). */
typedef struct dial_cart_data {
    size_t n_rows, n_features;
    size_t n_inputs;                 /* columns of the design matrix */
    size_t *column;                  /* owned: n_features, the input (a block's offset) */
    int64_t *block;                  /* owned: n_features, the index in blocks or -1 */
    const dial_onehot_block *blocks; /* borrowed: the fit input's onehot */
    size_t n_blocks;                 /* how many are split natively (0: none) */
    size_t max_codes;                /* largest n_levels + 1 of them */
    size_t n_classes;                /* 0 for regression */
    const double *y;                 /* borrowed: the value (regression) */
    uint32_t *label;                 /* owned: the class of each row (classification) */
    uint16_t *codes;                 /* owned: n_features x n_rows, the bin of each value */
    size_t *bin_start;               /* owned: n_features + 1 offsets into bin_low and bin_high */
    /* owned: smallest and largest training value of each bin; NULL for
     * sparse rows when every bin holds one value (an entry's, found by
     * dial_cart_sparse_bin_value) */
    double *bin_low, *bin_high;
    /* Sparse rows (cart_sparse.c; codes is then NULL): borrowed, the fit
     * input's compressed rows; owned, the bin of each of their entries,
     * per feature the bin of 0 (a row without an entry), and the nonzero
     * entries again by feature (col_start: n_features + 1 offsets into
     * col_row and col_code, rows ascending), so that a node finds its
     * entries of a feature without a pass over its rows. */
    const dial_csr *sparse;
    uint16_t *entry_codes;
    uint16_t *zero_code;
    size_t *col_start;
    uint32_t *col_row;
    uint16_t *col_code;
} dial_cart_data;

/* The column of feature f's codes, NULL for sparse rows. */
static inline const uint16_t *dial_cart_column(const dial_cart_data *data, size_t f) {
    return data->codes ? data->codes + f * data->n_rows : NULL;
}

/* dial_cart_data_prepare for sparse rows (in->sparse, cart_sparse.c): the
 * same bins, so the same trees, as of the rows made dense, with a code
 * per entry instead of one per row and feature. */
dial_status dial_cart_data_prepare_sparse(dial_ctx *ctx, const char *family,
                                          const dial_fit_input *in, dial_cart_data *out);

/* Checks the input (finite features, a valid target; family names the
 * model in messages) and bins its features; with native, the one-hot
 * blocks of in (when set) become categorical features, their rows
 * checked to be one-hot. The data borrows in->onehot. Free with
 * dial_cart_data_free (also after a failure). */
dial_status dial_cart_data_prepare(dial_ctx *ctx, const char *family, const dial_fit_input *in,
                                   bool native, dial_cart_data *out);
void dial_cart_data_free(dial_cart_data *data);
/* Frees the rows' codes, which only growing reads, and keeps what the
 * tensors read (bins, blocks): called once the trees are grown, so that a
 * fit's peak holds the codes or the model, not both. */
void dial_cart_data_drop_codes(dial_cart_data *data);

/* The per-class weights of class_weight=balanced (n_classes entries, to be
 * freed), or NULL when out of memory. */
double *dial_cart_balanced_weights(const dial_ctx *ctx, const dial_cart_data *data);

/* ---- growing a tree ------------------------------------------------------- */

/* A tree's nodes. A grown tree (dial_cart_grow's out) is held compactly,
 * as a forest holds all of its trees until the last is grown: a leaf
 * whose value row is all 0 but a 1 in column c (a pure leaf of a
 * classifier, most of the leaves of a full tree) has feature -2 - c and
 * no row in value, which holds the rows of the other nodes in order; and
 * category is NULL when the tree splits no category (every entry -1).
 * dial_cart_tensors_add writes them out in full. */
typedef struct dial_cart_tree {
    size_t n_nodes, capacity, n_outputs;
    int64_t *feature, *left, *right, *n_samples;
    int64_t *category; /* -1, or the first word of the node's bitset in bits */
    uint64_t *bits;
    size_t n_words, words_capacity;
    double *threshold, *impurity, *weighted_n;
    double *value; /* n_nodes x n_outputs (compact: fewer rows, as above) */
} dial_cart_tree;

void dial_cart_tree_free(dial_cart_tree *tree);

/* Scratch for growing trees on one thread; NULL when out of memory. */
typedef struct dial_cart_workspace dial_cart_workspace;
dial_cart_workspace *dial_cart_workspace_new(const dial_ctx *ctx, const dial_cart_data *data);
void dial_cart_workspace_free(dial_cart_workspace *ws);

/* Grows (and, when params->ccp_alpha > 0, prunes) a tree on the rows whose
 * weight is above 0 (weight: n_rows entries, e.g. bootstrap counts times
 * class weights). *tree must be zeroed or freed; on success it holds the
 * nodes. Returns DIAL_ERR_NOMEM without a message (no context: it may run
 * on a worker thread); the caller words it. */
dial_status dial_cart_grow(dial_cart_workspace *ws, const dial_cart_data *data,
                           const dial_cart_params *params, const double *weight, dial_rng *rng,
                           dial_cart_tree *tree);

/* Impurity importance (mean decrease in impurity, weighted by the rows that
 * reach each node) of each feature, normalised to sum to 1; all zero for a
 * tree that is a single leaf. */
void dial_cart_importance(const dial_cart_tree *tree, size_t n_features, double *out);

/* ---- trees as tensors ----------------------------------------------------- */

/* A read-only view of one tree's nodes (child indices local to the tree). */
typedef struct dial_cart_view {
    size_t n_nodes, n_outputs;
    const int64_t *feature, *left, *right, *n_samples;
    const double *threshold, *impurity, *value;
    const int64_t *category; /* NULL when no node splits a category */
    const uint64_t *bits;    /* the words category indexes */
} dial_cart_view;

/* The one-hot blocks a model splits natively, as its tensors hold them
 * (or as a fit builds them); n_blocks 0 when none. */
typedef struct dial_cart_categories {
    size_t n_blocks;
    const int64_t *blocks; /* n_blocks x 2: offset, n_levels */
    const double *levels;  /* per level: off, on */
    size_t n_words;
    const uint64_t *bits;
} dial_cart_categories;

/* The code of every block in row x, into codes (n_blocks entries): the
 * level whose column holds its on value (off and on differing), or n_levels
 * when none does. */
void dial_cart_category_codes(const dial_cart_categories *cats, const double *x, uint32_t *codes);

/* The index of the block whose offset is column, or -1. */
int64_t dial_cart_category_block(const dial_cart_categories *cats, int64_t column);

/* Checks, for tensors that may come from a file, that a split on input by
 * category starts a block and that its bitset (at its first word) lies
 * whole inside the words. who names the node in the message ("tree node
 * 3", "gbdt model: node 3 of tree 1"). DIAL_ERR_FORMAT otherwise. Shared by
 * tree, forest and gbdt, which store their category splits alike. */
dial_status dial_cart_category_check(dial_ctx *ctx, const char *who,
                                     const dial_cart_categories *cats, int64_t input, int64_t at);

/* The four category tensors (category_blocks [n_blocks x 2],
 * category_levels [n_levels x 2], category [n_nodes], category_bits
 * [n_words]) added to learned, their data left for the caller to fill. */
typedef struct dial_cart_category_tensors {
    int64_t *blocks;
    double *levels;
    int64_t *category;
    int64_t *bits;
} dial_cart_category_tensors;
dial_status dial_cart_category_tensors_add(dial_ctx *ctx, dial_tensors *learned, size_t n_blocks,
                                           size_t n_levels, size_t n_nodes, size_t n_words,
                                           dial_cart_category_tensors *out);

/* A tree laid out for prediction: 16 bytes a node, in preorder so that a
 * node's left child is the next node. For a split (feature >= 0), next is
 * the right child. For a leaf, next is the index of its row in the view's
 * value, and feature is -1, or -2 - c when that row is all 0 but a 1 in
 * column c (a pure leaf of a classifier): adding 1 to column c then gives
 * the same sum as adding the row, without reading it. */
typedef struct dial_cart_packed {
    double threshold;
    int32_t feature;
    uint32_t next;
} dial_cart_packed;

/* Packs a checked tree into out (at most tree->n_nodes entries; stack is
 * scratch of 2 x tree->n_nodes entries); returns how many nodes it wrote
 * (those reachable from the root). A split on a category packs with
 * feature n_inputs + its block and threshold the first word of its
 * bitset; cats (NULL when the model has none) names the blocks. */
size_t dial_cart_pack(const dial_cart_view *tree, const dial_cart_categories *cats, size_t n_inputs,
                      dial_cart_packed *out, uint32_t *stack);

/* The packed index of the leaf a row x reaches (a tree with no split on a
 * category). */
static inline uint32_t dial_cart_packed_leaf(const dial_cart_packed *nodes, const double *x) {
    uint32_t i = 0;
    while (nodes[i].feature >= 0)
        i = x[nodes[i].feature] <= nodes[i].threshold ? i + 1 : nodes[i].next;
    return i;
}

/* Whether a row goes right at a packed split: x its inputs, codes its
 * block codes (dial_cart_category_codes), bits the model's bitsets. */
static inline bool dial_cart_packed_right(const dial_cart_packed *node, const double *x,
                                          size_t n_inputs, const uint32_t *codes,
                                          const uint64_t *bits) {
    size_t f = (size_t)node->feature;
    if (f < n_inputs) return !(x[f] <= node->threshold);
    uint32_t code = codes[f - n_inputs];
    return !(bits[(size_t)node->threshold + code / 64] >> (code % 64) & 1);
}

/* The same as dial_cart_packed_leaf for a tree that may split categories. */
static inline uint32_t dial_cart_packed_leaf_categories(const dial_cart_packed *nodes,
                                                        const double *x, size_t n_inputs,
                                                        const uint32_t *codes,
                                                        const uint64_t *bits) {
    uint32_t i = 0;
    while (nodes[i].feature >= 0)
        i = dial_cart_packed_right(&nodes[i], x, n_inputs, codes, bits) ? nodes[i].next : i + 1;
    return i;
}

/* Adds the value of a packed leaf to sum (n_outputs entries). */
static inline void dial_cart_packed_add(const dial_cart_packed *leaf, const double *value,
                                        size_t n_outputs, double *sum) {
    if (leaf->feature <= -2) {
        sum[-2 - leaf->feature] += 1.0;
        return;
    }
    const double *row = value + (size_t)leaf->next * n_outputs;
    for (size_t c = 0; c < n_outputs; c++) sum[c] += row[c];
}

/* Adds the node tensors of n_trees trees, concatenated: feature, threshold,
 * left, right, value, n_samples, impurity; with tree_offset, also
 * "tree_offset" [n_trees + 1], where tree t's nodes start (its child
 * indices count from there); and, when data split categories natively,
 * the category tensors (above). With release, each tree is freed once
 * copied (unless its category bitsets are still to be read), so that the
 * trees and their tensors are not held whole at once. */
dial_status dial_cart_tensors_add(dial_ctx *ctx, dial_tensors *learned, const dial_cart_data *data,
                                  dial_cart_tree *trees, size_t n_trees, bool tree_offset,
                                  bool release);

/* The trees of a set of learned tensors, checked as coming from a hostile
 * file: every tensor present with its dtype and shape, and for every node
 * a feature in range, children both -1 (a leaf) or both inside its own tree
 * and after it (so a walk always ends), no node the child of two, a
 * threshold that is a number and values that are finite (probabilities in
 * [0, 1] for a classifier); with category tensors, blocks that lie in
 * order inside the inputs, levels whose off and on values are numbers,
 * and each categorical split on a block's offset with its whole bitset
 * inside category_bits. */
typedef struct dial_cart_forest {
    size_t n_trees, n_nodes, n_outputs;
    const int64_t *offset; /* n_trees + 1 entries; NULL for a lone tree */
    const int64_t *feature, *left, *right, *n_samples;
    const double *threshold, *impurity, *value;
    const double *importance; /* n_features */
    const int64_t *category;  /* NULL when the model splits no category */
    dial_cart_categories categories;
} dial_cart_forest;

dial_status dial_cart_tensors_read(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                   const dial_fit_input *in, bool tree_offset,
                                   dial_cart_forest *out);
/* The category tensors alone (for gbdt, which keeps its splits on
 * categories in the same form), checked as dial_cart_tensors_read checks
 * them: *category is NULL and cats->n_blocks 0 when they are absent. The
 * nodes' entries are for the caller to check against its nodes. */
dial_status dial_cart_categories_read(dial_ctx *ctx, const char *family,
                                      const dial_tensors *learned, const dial_fit_input *in,
                                      size_t n_nodes, const int64_t **category,
                                      dial_cart_categories *cats);

/* Tree t of a checked set. */
dial_cart_view dial_cart_forest_tree(const dial_cart_forest *forest, size_t t);

/* The family slot `trees` (dial/model.h) of tree (tree_offset false: one
 * tree) and forest: the tensors read and checked as
 * dial_cart_tensors_read does, tree index in the neutral form. */
dial_status dial_cart_trees(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                            const dial_fit_input *in, bool tree_offset, size_t index,
                            size_t *n_trees, dial_tree *out);

#endif
