/*
 * Split finding: one scan of a feature's histogram per direction of the
 * missing values, as XGBoost's exact greedy search over bin boundaries.
 */
#include "models/gbdt_split.h"
#include "models/svm_vector.h" /* how hot loops are compiled: one copy per instruction set */

/* XGBoost's kRtEps: a split that gains less is no split. */
#define SPLIT_MIN_GAIN 1e-6

SVM_INLINE double split_threshold_l1(double g, double alpha) {
    if (g > alpha) return g - alpha;
    if (g < -alpha) return g + alpha;
    return 0;
}

SVM_INLINE double split_score(const dial_gbdt_split_params *p, double g, double h) {
    double t = split_threshold_l1(g, p->alpha), d = h + p->lambda;
    return d > 0 ? t * t / d : 0;
}

/* gain[k] = score(left) + score(right) for each candidate k, where the
 * right side is total minus the left. */
SVM_INLINE void split_gains(const dial_gbdt_split_params *p, dial_gbdt_sum total,
                            const double *restrict left_g, const double *restrict left_h,
                            double *restrict gain, size_t count) {
    double lambda = p->lambda;
    if (p->alpha == 0) {
        for (size_t k = 0; k < count; k++) {
            double right_g = total.g - left_g[k], right_h = total.h - left_h[k];
            gain[k] = left_g[k] * left_g[k] / (left_h[k] + lambda) +
                      right_g * right_g / (right_h + lambda);
        }
        return;
    }
    for (size_t k = 0; k < count; k++)
        gain[k] = split_score(p, left_g[k], left_h[k]) +
                  split_score(p, total.g - left_g[k], total.h - left_h[k]);
}

double dial_gbdt_leaf_weight(const dial_gbdt_split_params *p, double g, double h) {
    double d = h + p->lambda;
    return d > 0 ? -split_threshold_l1(g, p->alpha) / d : 0;
}

/* One copy per instruction set, so static: clang binds the copies of an
 * exported function only where every declaration names them. */
SVM_VECTOR_CLONES
static dial_gbdt_split split_feature(const dial_gbdt_split_params *p, const dial_gbdt_bins *bins,
                                     uint32_t f, const dial_gbdt_sum *h, dial_gbdt_sum total) {
    dial_gbdt_split best = {.gain = p->min_split_gain > SPLIT_MIN_GAIN ? p->min_split_gain
                                                                       : SPLIT_MIN_GAIN,
                            .feature = -1};
    unsigned n_values = bins->n_values[f];
    dial_gbdt_sum missing = h[n_values];
    /* Every row has a positive hessian, so a zero sum means no row. */
    bool has_missing = missing.h > 0;
    /* The first and last value bins with rows: a side is never empty, as
     * "total - left" alone could not tell after rounding. */
    unsigned first = 0, last = n_values;
    while (first < n_values && !(h[first].h > 0)) first++;
    if (first == n_values) return best;
    while (!(h[last - 1].h > 0)) last--;
    last--;
    double parent = split_score(p, total.g, total.h), mcw = p->min_child_weight;
    /* Per candidate bin: the left side's sums, then the gain. The gains of
     * all bins are computed apart from the choice, in a loop without
     * branches that the compiler vectorises (two divisions per bin). */
    double left_g[DIAL_GBDT_MAX_VALUE_BINS + 1], left_h[DIAL_GBDT_MAX_VALUE_BINS + 1];
    double gain[DIAL_GBDT_MAX_VALUE_BINS + 1];
    for (int pass = 0; pass < (has_missing ? 2 : 1); pass++) {
        bool missing_left = pass == 1;
        dial_gbdt_sum left = missing_left ? missing : (dial_gbdt_sum){0, 0};
        /* With the missing rows on the right, "every value left" splits too. */
        unsigned begin = missing_left ? 0 : first,
                 end = has_missing && !missing_left ? last + 1 : last;
        for (unsigned b = 0; b < begin; b++) left.g += h[b].g, left.h += h[b].h;
        size_t count = end > begin ? end - begin : 0;
        for (size_t k = 0; k < count; k++) {
            left.g += h[begin + k].g;
            left.h += h[begin + k].h;
            left_g[k] = left.g;
            left_h[k] = left.h;
        }
        split_gains(p, total, left_g, left_h, gain, count);
        for (size_t k = 0; k < count; k++) {
            double right_h = total.h - left_h[k];
            if (left_h[k] < mcw) continue;
            if (right_h < mcw) break;
            if (left_h[k] + p->lambda <= 0 || right_h + p->lambda <= 0) continue;
            if (gain[k] - parent > best.gain) {
                best.gain = gain[k] - parent;
                best.feature = (int32_t)f;
                best.bin = (uint8_t)(begin + k);
                /* Without missing rows here, a missing value met later
                 * follows the heavier side. */
                best.default_left = has_missing ? missing_left : left_h[k] >= right_h;
                best.left = (dial_gbdt_sum){left_g[k], left_h[k]};
                best.right = (dial_gbdt_sum){total.g - left_g[k], right_h};
            }
        }
    }
    return best;
}

static dial_gbdt_split split_category(const dial_gbdt_split_params *p, const dial_gbdt_bins *bins,
                                      uint32_t f, const dial_gbdt_sum *h, dial_gbdt_sum total) {
    dial_gbdt_split best = {.gain = p->min_split_gain > SPLIT_MIN_GAIN ? p->min_split_gain
                                                                       : SPLIT_MIN_GAIN,
                            .feature = -1};
    unsigned n_codes = (unsigned)bins->n_values[f] + 1, order[DIAL_GBDT_MAX_VALUE_BINS + 1];
    double key[DIAL_GBDT_MAX_VALUE_BINS + 1];
    size_t m = 0;
    /* insertion sort of the codes with rows: at most 256, ties by code */
    for (unsigned c = 0; c < n_codes; c++) {
        if (!(h[c].h > 0)) continue;
        double k = h[c].g / (h[c].h + DIAL_GBDT_CATEGORY_SMOOTH);
        size_t j = m++;
        while (j > 0 && key[j - 1] > k) {
            key[j] = key[j - 1];
            order[j] = order[j - 1];
            j--;
        }
        key[j] = k;
        order[j] = c;
    }
    if (m < 2) return best;
    double parent = split_score(p, total.g, total.h), mcw = p->min_child_weight;
    dial_gbdt_sum left = {0, 0};
    size_t cut = 0;
    for (size_t k = 0; k + 1 < m; k++) {
        left.g += h[order[k]].g;
        left.h += h[order[k]].h;
        double right_g = total.g - left.g, right_h = total.h - left.h;
        if (left.h < mcw || right_h < mcw) continue;
        if (left.h + p->lambda <= 0 || right_h + p->lambda <= 0) continue;
        double gain = split_score(p, left.g, left.h) + split_score(p, right_g, right_h) - parent;
        if (gain > best.gain) {
            best.gain = gain;
            best.feature = (int32_t)f;
            best.left = left;
            best.right = (dial_gbdt_sum){right_g, right_h};
            cut = k + 1;
        }
    }
    if (best.feature < 0) return best;
    bool absent_left = best.left.h >= best.right.h;
    for (unsigned c = 0; c < n_codes; c++)
        if (!(h[c].h > 0) && absent_left) best.bits[c / 64] |= (uint64_t)1 << (c % 64);
    for (size_t k = 0; k < cut; k++) best.bits[order[k] / 64] |= (uint64_t)1 << (order[k] % 64);
    unsigned none = bins->n_values[f];
    best.default_left = best.bits[none / 64] >> (none % 64) & 1;
    return best;
}

/* A feature of sparse rows with a zero bin z: zeros and missing values
 * each tried on both sides, the value bins but z scanned in
 * order. A cut b sends the value bins <= b left; b = z - 1 or z sends no
 * value of its own. Zeros go left in the first pass, right in the second. Zeros that the node's
 * rows do not have go where their value would (z <= b), missing values to the heavier side, as
 * above. */
static dial_gbdt_split split_sparse(const dial_gbdt_split_params *p, const dial_gbdt_bins *bins,
                                    uint32_t f, const dial_gbdt_sum *h, dial_gbdt_sum total,
                                    unsigned lo, unsigned hi) {
    dial_gbdt_split best = {.gain = p->min_split_gain > SPLIT_MIN_GAIN ? p->min_split_gain
                                                                       : SPLIT_MIN_GAIN,
                            .feature = -1};
    unsigned n_values = bins->n_values[f], z = bins->zero_code[f];
    dial_gbdt_sum zero = h[z], missing = h[n_values];
    bool has_zero = zero.h > 0, has_missing = missing.h > 0;
    /* the bins outside lo .. hi hold no row: no need to look at them */
    unsigned first = lo, last = hi < n_values ? hi + 1 : n_values;
    while (first < last && (first == z || !(h[first].h > 0))) first++;
    if (first == last) return best; /* no value but 0 (and missing): nothing to cut */
    while (last - 1 == z || !(h[last - 1].h > 0)) last--;
    last--;
    unsigned begin = first > 0 ? first - 1 : 0;
    double parent = split_score(p, total.g, total.h), mcw = p->min_child_weight;
    /* zeros left first: a tie between a split and its mirror image keeps
     * the one whose zeros go where their value would (z <= b) */
    for (int zpass = 0; zpass < (has_zero ? 2 : 1); zpass++)
        for (int ml = 0; ml < (has_missing ? 2 : 1); ml++) {
            int zl = has_zero ? 1 - zpass : 0;
            dial_gbdt_sum left = {0, 0};
            if (zl) left.g += zero.g, left.h += zero.h;
            if (ml) left.g += missing.g, left.h += missing.h;
            bool held_left = (zl && has_zero) || (ml && has_missing);
            bool held_right = (!zl && has_zero) || (!ml && has_missing);
            for (unsigned b = lo; b < begin; b++)
                if (b != z) left.g += h[b].g, left.h += h[b].h;
            for (unsigned b = begin; b <= last; b++) {
                if (b != z) left.g += h[b].g, left.h += h[b].h;
                /* a bin without rows (most of them, deep in a tree) moves
                 * no row: its cut is the one before it */
                if (b > begin && (b == z || !(h[b].h > 0))) continue;
                if (!(held_left || b >= first) || !(held_right || b < last)) continue;
                double right_g = total.g - left.g, right_h = total.h - left.h;
                if (left.h < mcw || right_h < mcw) continue;
                if (left.h + p->lambda <= 0 || right_h + p->lambda <= 0) continue;
                double gain =
                    split_score(p, left.g, left.h) + split_score(p, right_g, right_h) - parent;
                if (gain > best.gain) {
                    best.gain = gain;
                    best.feature = (int32_t)f;
                    best.bin = (uint8_t)b;
                    best.zero_left = has_zero ? zl : z <= b;
                    best.default_left = has_missing ? ml : left.h >= right_h;
                    best.left = left;
                    best.right = (dial_gbdt_sum){right_g, right_h};
                }
            }
        }
    return best;
}

dial_gbdt_split dial_gbdt_split_feature(const dial_gbdt_split_params *p, const dial_gbdt_bins *bins,
                                        uint32_t f, const dial_gbdt_sum *hist,
                                        dial_gbdt_sum total) {
    const dial_gbdt_sum *h = hist + bins->slot[f];
    if (bins->levels && bins->levels[f]) return split_category(p, bins, f, h, total);
    if (bins->zero_code && bins->zero_code[f] != DIAL_GBDT_NO_ZERO)
        return split_sparse(p, bins, f, h, total, 0, bins->n_values[f]);
    return split_feature(p, bins, f, h, total);
}

dial_gbdt_split dial_gbdt_split_feature_seen(const dial_gbdt_split_params *p,
                                             const dial_gbdt_bins *bins, uint32_t f,
                                             const dial_gbdt_sum *h, dial_gbdt_sum total,
                                             unsigned lo, unsigned hi) {
    if (bins->zero_code && bins->zero_code[f] != DIAL_GBDT_NO_ZERO)
        return split_sparse(p, bins, f, h, total, lo, hi);
    if (bins->levels && bins->levels[f]) return split_category(p, bins, f, h, total);
    return split_feature(p, bins, f, h, total);
}
