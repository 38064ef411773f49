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
} dial_gbdt_params;

/* The fitted trees: tree t = round * n_scores + class, its nodes at
 * nodes[tree_offset[t] .. tree_offset[t + 1]) with child indices relative
 * to the tree's first node. */
typedef struct dial_gbdt_forest {
    size_t n_scores, n_rounds;
    double *base; /* n_scores starting scores */
    dial_gbdt_node *nodes;
    size_t n_nodes, node_capacity;
    size_t *tree_offset; /* n_rounds * n_scores + 1 */
    size_t tree_capacity;
} dial_gbdt_forest;

/* Boosts n_estimators rounds (fewer with early stopping: the rounds up to
 * the best validation loss) on the n_rows rows of codes (column-major, from
 * dial_gbdt_bins_code) with targets y (class indices for the logistic and
 * softmax losses). On success *forest owns the trees (free with
 * dial_gbdt_forest_free). Errors: DIAL_ERR_NOMEM. */
dial_status dial_gbdt_boost(dial_ctx *ctx, const dial_gbdt_params *params,
                            const dial_gbdt_bins *bins, const uint8_t *codes, size_t n_rows,
                            const double *y, size_t n_classes, dial_gbdt_forest *forest);

void dial_gbdt_forest_free(dial_gbdt_forest *forest);

/* The scores of the n rows of codes (coded with the same bins) after the
 * first `rounds` rounds, class-major into margin (n_scores x n). */
/* Adds the trees of round `round` to the scores of the n rows of codes. */
void dial_gbdt_forest_add_round(const dial_gbdt_forest *forest, const dial_gbdt_bins *bins,
                                const uint8_t *codes, size_t n, size_t round, double *margin);
void dial_gbdt_forest_margins(const dial_gbdt_forest *forest, const dial_gbdt_bins *bins,
                              const uint8_t *codes, size_t n, size_t rounds, double *margin);

#endif
