/*
 * Growing one regression tree of gradient boosting on binned features
 * (internal to src/models/gbdt*.c).
 *
 * Depth-wise (max_leaves 0): every node of a level that has a split worth
 * making is split, level by level, down to max_depth. Leaf-wise
 * (max_leaves > 0): the leaf whose split gains most is split next (ties to
 * the older leaf), until there are max_leaves leaves; max_depth still
 * bounds the depth unless it is 0.
 *
 * Rows are kept in one index array that each split partitions in place
 * (stably, so every node's rows stay ascending and its codes are read
 * forward); a node owns a contiguous range of it. Passive rows (rows left
 * out of the tree by subsampling, held out for early stopping, or a fold's
 * test rows) are partitioned alongside in an array of their own, so each
 * leaf also knows which of them land in it, without a walk down the tree
 * per row; they shape nothing. Of two new children only
 * the one with fewer rows gets its histogram built from its rows; the
 * other's is its parent's minus that one, computed in the parent's buffer.
 * The histograms of one level (or of one split) are built together, in
 * parallel over (child, group of features) when the work is large enough;
 * each histogram is summed in row order by one thread, so a tree is the
 * same on any number of threads.
 */
#ifndef DIAL_GBDT_TREE_H
#define DIAL_GBDT_TREE_H

#include <stdint.h>

#include "models/gbdt_hist.h"
#include "models/gbdt_split.h"

typedef struct dial_gbdt_tree_params {
    dial_gbdt_split_params split;
    double learning_rate; /* multiplies every node's weight */
    int max_depth;        /* 0: no limit (only with max_leaves > 0) */
    int max_leaves;       /* 0: depth-wise growth */
    /* Sparse rows: most slots of the range of features a node's histogram
     * holds at a time (0: DIAL_GBDT_RANGE_SLOTS), read when a grower first
     * grows on sparse rows. Memory and speed depend on it, the trees do
     * not. */
    size_t range_slots;
} dial_gbdt_tree_params;

/* 2^15 slots of 16 bytes, 512 KiB: half a core's L2 cache here. On the
 * 20,000-word text of bench/sparse_trees.py 2^16 was as fast, 2^12 took
 * half as much CPU time again (a row's cursor is visited once a range). */
#define DIAL_GBDT_RANGE_SLOTS ((size_t)1 << 15)

/* One node. Children come after their parent. */
typedef struct dial_gbdt_node {
    int32_t feature;      /* split feature, -1 for a leaf */
    uint8_t bin;          /* rows with code <= bin go left */
    uint8_t default_left; /* where missing values go */
    uint8_t zero_left;    /* where zeros go, on a feature of sparse rows with a zero bin */
    uint16_t depth;
    int32_t left, right;   /* child node indices, -1 for a leaf */
    uint32_t begin, end;   /* the node's rows in the grower's row array */
    uint32_t pbegin, pend; /* its passive rows in the grower's passive array */
    double value;          /* weight times the learning rate (every node has one) */
    double gain;           /* of the split, 0 for a leaf */
    dial_gbdt_sum sum;     /* derivatives of the node's rows */
    uint64_t bits[DIAL_GBDT_CATEGORY_WORDS]; /* a split on a category: codes going left */
} dial_gbdt_node;

/* What one tree is grown on. */
typedef struct dial_gbdt_tree_input {
    dial_gbdt_hist_input data;
    const uint32_t *rows; /* the rows to grow on, ascending */
    size_t n_rows;
    const uint32_t *features; /* the features a split may use, ascending */
    size_t n_features;
    const uint32_t *passive; /* rows routed to the leaves only, ascending (may be NULL) */
    size_t n_passive;
} dial_gbdt_tree_input;

typedef struct dial_gbdt_grower dial_gbdt_grower;

/* A grower for trees over a coded matrix of n_rows rows (active and
 * passive together) with the given bins; it keeps its buffers from tree to
 * tree. NULL when out of memory. */
dial_gbdt_grower *dial_gbdt_grower_new(const dial_ctx *ctx, const dial_gbdt_bins *bins,
                                       size_t n_rows);
void dial_gbdt_grower_free(dial_gbdt_grower *grower);

/* Grows one tree on up to threads threads (ctx is touched only by
 * dial_parallel_for, and never when threads is 1, so a grower may run
 * inside another parallel loop with one thread). Returns DIAL_OK or
 * DIAL_ERR_NOMEM (with no message when threads is 1). */
dial_status dial_gbdt_grow(dial_ctx *ctx, dial_gbdt_grower *grower,
                           const dial_gbdt_tree_params *params, const dial_gbdt_tree_input *in,
                           int threads);

/* The grown tree's nodes (valid until the next grow), the row array that
 * its leaves' [begin, end) ranges index, and the passive rows' array that
 * their [pbegin, pend) ranges index. */
const dial_gbdt_node *dial_gbdt_grower_nodes(const dial_gbdt_grower *grower, size_t *n_nodes);
const uint32_t *dial_gbdt_grower_rows(const dial_gbdt_grower *grower);
const uint32_t *dial_gbdt_grower_passive(const dial_gbdt_grower *grower);
/* Lets the caller change the leaves' values (the absolute error refreshes
 * them to medians). */
dial_gbdt_node *dial_gbdt_grower_nodes_mutable(dial_gbdt_grower *grower);

#endif
