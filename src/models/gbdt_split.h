/*
 * Split finding of gradient boosting (internal to src/models/gbdt*.c): the
 * second-order gain of XGBoost (Chen and Guestrin, 2016), with an L1 term:
 *
 *   score(G, H) = T(G)^2 / (H + lambda),  T(G) = sign(G) max(|G| - alpha, 0)
 *   gain = score(G_left, H_left) + score(G_right, H_right) - score(G, H)
 *   leaf weight = -T(G) / (H + lambda)
 *
 * over the sums G and H of the first and second derivatives of the rows on
 * each side (the gain is twice the drop of the regularised loss, as
 * XGBoost reports it and compares with its gamma).
 */
#ifndef DIAL_GBDT_SPLIT_H
#define DIAL_GBDT_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/gbdt_bins.h"
#include "models/gbdt_hist.h"

typedef struct dial_gbdt_split_params {
    double lambda, alpha;
    double min_child_weight; /* least sum of hessians on each side */
    double min_split_gain;   /* a split must gain more than this (and more than 1e-6) */
} dial_gbdt_split_params;

/* Words of the bitset of a split on a category: a bit per code, the
 * levels' and the code of none (at most DIAL_GBDT_MAX_VALUE_BINS + 1). */
#define DIAL_GBDT_CATEGORY_WORDS 4

/* LightGBM's cat_smooth: the hessian added to each level's when levels are
 * ordered by their mean gradient, so that a level of few rows sorts near
 * the middle rather than to an end. */
#define DIAL_GBDT_CATEGORY_SMOOTH 10.0

/* The best split of a node: rows with code <= bin go left, missing values
 * go left when default_left; on a categorical feature (bins->levels[f] >
 * 0), rows whose code's bit is set in bits go left instead (the code of
 * none, a missing value or a level unseen in training, is n_values).
 * feature is -1 when there is none. */
typedef struct dial_gbdt_split {
    double gain;
    int32_t feature;
    uint8_t bin;
    bool default_left;
    /* bins of sparse rows, on a feature with a zero bin: whether the rows
     * of value 0 (absent entries) go left, whatever the bin */
    bool zero_left;
    dial_gbdt_sum left, right;
    uint64_t bits[DIAL_GBDT_CATEGORY_WORDS];
} dial_gbdt_split;

/* The weight of a leaf with sums g, h. */
double dial_gbdt_leaf_weight(const dial_gbdt_split_params *p, double g, double h);

/* The best split of the node whose sums are total and histogram hist on
 * feature f, or a split with feature -1 when no split gains enough. Ties go
 * to the smaller bin, and missing values to the right before the left. On
 * a categorical feature, as LightGBM: the codes with rows in the node
 * (missing included) ordered by sum g / (sum h + DIAL_GBDT_CATEGORY_SMOOTH),
 * ties to the smaller code, and every prefix of that order tried as the
 * left side; codes without rows go with the side of larger hessian sum. */
/* On bins of sparse rows, a feature with a zero bin is split as XGBoost's
 * sparsity-aware search does (Chen and Guestrin, 2016, Algorithm 3): the
 * zero bin (the absent entries) is left out of the scan over the other
 * bins and tried on each side, the better kept (ties: left). The bins
 * are still in value order, so the zero bin's place among them costs
 * nothing: a cut at it moves no value. */
dial_gbdt_split dial_gbdt_split_feature(const dial_gbdt_split_params *p, const dial_gbdt_bins *bins,
                                        uint32_t f, const dial_gbdt_sum *hist, dial_gbdt_sum total);

/* The same for a node of sparse rows whose entries of feature f have
 * codes lo .. hi (dial_gbdt_sparse_seen): only those bins are read. h is
 * the feature's own slots (its n_values + 1), not a whole histogram: a
 * sparse node's histogram holds one range of features at a time. */
dial_gbdt_split dial_gbdt_split_feature_seen(const dial_gbdt_split_params *p,
                                             const dial_gbdt_bins *bins, uint32_t f,
                                             const dial_gbdt_sum *h, dial_gbdt_sum total,
                                             unsigned lo, unsigned hi);

#endif
