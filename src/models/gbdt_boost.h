/*
 * The boosting loop of gradient boosting (internal to src/models/gbdt*.c):
 * rounds of trees fitted to the derivatives of the loss, with row and
 * feature sampling and early stopping on a validation split.
 *
 * Randomness: the validation split draws from stream
 * DIAL_GBDT_STREAM_VALIDATION of the seed, the tree of round r and class k
 * from stream DIAL_GBDT_STREAM_TREES + r * n_scores + k, so a tree's rows
 * and features depend only on (seed, round, class).
 *
 * Threads: with several scores per round (softmax), the trees of a round
 * are grown in parallel, one per thread (each tree depends only on the
 * derivatives of the round); with one score, each tree's histograms are
 * built in parallel. Either way the forest is the same on any number of
 * threads.
 */
#ifndef DIAL_GBDT_BOOST_H
#define DIAL_GBDT_BOOST_H

#include "models/gbdt_bins.h"
#include "models/gbdt_loss.h"
#include "models/gbdt_tree.h"

#define DIAL_GBDT_STREAM_VALIDATION 0x6762000000000000ULL /* "gb" */
#define DIAL_GBDT_STREAM_TREES 0x6762000000000001ULL

typedef struct dial_gbdt_forest dial_gbdt_forest;

typedef struct dial_gbdt_params {
    dial_gbdt_loss loss;
    double huber_delta;
    size_t n_estimators;
    dial_gbdt_tree_params tree;
    double subsample;             /* share of the rows each tree sees, (0, 1] */
    double colsample;             /* share of the features each tree may split on, (0, 1] */
    size_t early_stopping_rounds; /* 0: off */
    double validation_fraction;
    uint64_t seed;
    int threads;
    bool native; /* categorical=native: blocks of the fit input split by subsets */
    /* Optional (NULL: none): called after each round with the forest of
     * rounds 0 .. round; a status other than DIAL_OK stops the boosting,
     * which returns it. The forest is only read. */
    dial_status (*on_round)(void *user, const dial_gbdt_forest *forest, size_t round);
    void *on_round_user;
} dial_gbdt_params;

/* A node as a walk on codes reads it: rows with code <= bin, or with code
 * == missing (the missing code when missing values go left, 0xFFFF, never
 * a code, otherwise) go left; on a category (bin DIAL_GBDT_WALK_CATEGORY),
 * rows whose code's bit is set in the node's bits. A leaf is its own child on both sides with a
 * test every code passes, so a walk takes as many steps as its tree is
 * deep, without a test for the leaf: the steps of several rows interleave
 * and no branch depends on the data. Children are relative to the tree's
 * first node. */
typedef struct dial_gbdt_walk_node {
    uint32_t feature;
    uint16_t bin, missing;
    uint32_t left, right;
    double value;
} dial_gbdt_walk_node;

/* The bin of a walk node that splits a category: its bits are those of the
 * dial_gbdt_node at the same index (codes are at most 255; a leaf's bin is
 * 0xFFFF). */
#define DIAL_GBDT_WALK_CATEGORY 0xFFFE

/* The fitted trees: tree t = round * n_scores + class, its nodes at
 * nodes[tree_offset[t] .. tree_offset[t + 1]) with child indices relative
 * to the tree's first node. */
struct dial_gbdt_forest {
    size_t n_scores, n_rounds;
    double *base; /* n_scores starting scores */
    dial_gbdt_node *nodes;
    dial_gbdt_walk_node *walk; /* the same nodes, for walking codes */
    size_t n_nodes, node_capacity;
    size_t *tree_offset; /* n_rounds * n_scores + 1 */
    uint32_t *depth;     /* of each tree: the steps of a walk */
    size_t tree_capacity;
};

/* What boosting runs on: the rows it fits, and optionally rows after them
 * in the same coded matrix that it only predicts (a fold's test rows),
 * whose scores it keeps up to date round by round at the cost of
 * partitioning them alongside each tree's rows. */
typedef struct dial_gbdt_boost_data {
    const dial_gbdt_bins *bins;
    const uint8_t *codes; /* column-major, n_rows + n_extra codes per feature */
    /* NULL, or the rows compressed (codes is then NULL, and n_extra 0) */
    const dial_gbdt_sparse_rows *sparse;
    size_t n_rows;   /* the fitted rows, first */
    const double *y; /* their targets: class indices for logistic and softmax */
    size_t n_classes;
    size_t n_extra;
    /* n_scores x n_extra, class-major: the extra rows' scores after the
     * rounds run so far (all of them: early stopping does not take back
     * the rounds it drops); may be NULL when n_extra is 0 */
    double *extra_margin;
} dial_gbdt_boost_data;

/* Boosts n_estimators rounds (fewer with early stopping: the rounds up to
 * the best validation loss) on data. On success *forest owns the trees
 * (free with dial_gbdt_forest_free). Errors: DIAL_ERR_NOMEM, or what
 * on_round returned. */
dial_status dial_gbdt_boost(dial_ctx *ctx, const dial_gbdt_params *params,
                            const dial_gbdt_boost_data *data, dial_gbdt_forest *forest);

void dial_gbdt_forest_free(dial_gbdt_forest *forest);

/* Adds the trees of round `round` to the scores (class-major, n_scores x
 * n) of n rows of column-major codes, coded with the forest's bins: row i's
 * code of feature f is codes[f * stride + i]. */
void dial_gbdt_forest_add_round(const dial_gbdt_forest *forest, const uint8_t *codes, size_t stride,
                                size_t n, size_t round, double *margin);
/* The scores of those n rows after the first `rounds` rounds (all when
 * more), class-major into margin (n_scores x n): the starting scores, then
 * each round added in turn. */
void dial_gbdt_forest_margins(const dial_gbdt_forest *forest, const uint8_t *codes, size_t stride,
                              size_t n, size_t rounds, double *margin);

#endif
