/*
 * Gradient histograms of gradient boosting (internal to src/models/gbdt*.c):
 * for each feature and bin, the sums of the first and second derivatives
 * of the rows of one tree node.
 *
 * A histogram has one slot per bin of every feature (dial_gbdt_bins.slot);
 * only the slots of the features a tree may split on are ever filled. The
 * sums of each slot are added in the order of the node's rows, whatever the
 * thread that builds it, so histograms are the same on any thread count.
 */
#ifndef DIAL_GBDT_HIST_H
#define DIAL_GBDT_HIST_H

#include <stdint.h>

#include "models/gbdt_bins.h"
#include "models/gbdt_loss.h"

typedef struct dial_gbdt_sum {
    double g, h;
} dial_gbdt_sum;

/* Rows kept compressed (gbdt_sparse_bins.c): the entries of row r are
 * row_start[r] .. row_start[r + 1], their features ascending in col and
 * their codes in codes; an entry absent has feature's zero code. */
typedef struct dial_gbdt_sparse_rows {
    const size_t *row_start;
    const uint32_t *col;
    const uint8_t *codes;
} dial_gbdt_sparse_rows;

/* The code of row r's feature f in sparse rows: its entry's, or the zero
 * code when it has none (a binary search: features are ascending). */
static inline unsigned dial_gbdt_sparse_code(const dial_gbdt_sparse_rows *s, const uint16_t *zero,
                                             uint32_t r, uint32_t f) {
    size_t lo = s->row_start[r], hi = s->row_start[r + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->col[mid] < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->row_start[r + 1] && s->col[lo] == f ? s->codes[lo] : zero[f];
}

/* Where a node's rows and derivatives are. */
typedef struct dial_gbdt_hist_input {
    const dial_gbdt_bins *bins;
    const uint8_t *codes;                /* column-major, n_rows per feature; NULL with sparse */
    const dial_gbdt_sparse_rows *sparse; /* NULL, or the rows compressed (then codes is NULL) */
    size_t n_rows;                       /* rows of the coded matrix */
    const dial_gbdt_pair *pairs;         /* derivatives of every row of the coded matrix */
} dial_gbdt_hist_input;

/* Fills the slots of features[0 .. n_features) of hist with the sums over
 * rows[0 .. m) (ascending row numbers; NULL means rows 0 .. m-1). */
void dial_gbdt_hist_build(const dial_gbdt_hist_input *in, const uint32_t *features,
                          size_t n_features, const uint32_t *rows, size_t m, dial_gbdt_sum *hist);

/* What a sparse histogram's rows held, per feature (indexed by feature,
 * over every feature of the bins): entries, and their smallest and
 * largest codes (valid where held > 0). */
typedef struct dial_gbdt_sparse_seen {
    uint32_t *held;
    uint8_t *lo, *hi;
} dial_gbdt_sparse_seen;

/* The same on sparse rows (in->sparse), for the features first .. last - 1
 * only: a sparse node's histogram is built one range of features at a
 * time, so that it takes the slots of a range, not of every feature (on a
 * text file of 20,000 words, 17 MiB a histogram). hist holds the range's
 * slots (bins->slot[first] is hist[0]); it and seen are zero on entry.
 * cursor[i] is the next entry of row i of the node (rows[i], or i when
 * rows is NULL) not yet read, at or past the range's first feature; it is
 * moved past the range, so the ranges taken in order read each entry
 * once. Then the zero bin of each of features[0 .. n_features) (those of
 * the tree within the range) with entries in the rows is the node's total
 * (sum) minus its other bins, set to exactly nothing when every row had
 * an entry. A feature without entries in the rows (held 0) has every row
 * in its zero bin and its slots left empty: no split. Only the slots from
 * lo to hi and the zero bin of a feature with entries are written, so
 * dial_gbdt_hist_clear_sparse zeroes them again at a cost in those, not
 * in every slot. Each slot is summed in the order of the rows, as in one
 * pass over every feature. */
void dial_gbdt_hist_build_sparse(const dial_gbdt_hist_input *in, uint32_t first, uint32_t last,
                                 const uint32_t *features, size_t n_features, const uint32_t *rows,
                                 size_t m, size_t *cursor, dial_gbdt_sum sum,
                                 dial_gbdt_sparse_seen *seen, dial_gbdt_sum *hist);
void dial_gbdt_hist_clear_sparse(const dial_gbdt_bins *bins, uint32_t first, uint32_t last,
                                 dial_gbdt_sparse_seen *seen, dial_gbdt_sum *hist);

/* parent -= child over the slots of features[0 .. n_features): what is left
 * is the histogram of the parent's other child. */
void dial_gbdt_hist_subtract(const dial_gbdt_bins *bins, const uint32_t *features,
                             size_t n_features, dial_gbdt_sum *parent, const dial_gbdt_sum *child);

#endif
