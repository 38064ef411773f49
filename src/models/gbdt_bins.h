/*
 * Feature bins of gradient boosting (internal to src/models/gbdt*.c).
 *
 * Each feature's values are cut into at most max_bins quantile bins, once
 * per dataset (or per cross-validation fold): bin b holds the values v with
 * edge[b-1] < v <= edge[b], where the edges are midpoints between
 * consecutive distinct training values and the last bin is unbounded. A
 * tree then works on one byte per value. A missing value (NaN) gets a code
 * of its own, one past the feature's last value bin, so every feature has
 * n_values + 1 histogram slots. Because codes are bytes, a feature has at
 * most 255 value bins.
 *
 * A split "code <= b" sends the same rows left as "value <= edge[b]" on the
 * raw value, which is what a saved model stores as its threshold: a model
 * predicts from raw (preprocessed) values exactly as it routed the binned
 * training rows.
 */
#ifndef DIAL_GBDT_BINS_H
#define DIAL_GBDT_BINS_H

#include <stdbool.h>
#include <stdint.h>

#include "dial/core.h"
#include "dial/data.h"

/* Most value bins of a feature: code 255 must stay free for a missing value
 * of a feature with 255 value bins. */
#define DIAL_GBDT_MAX_VALUE_BINS 255

/* Bytes after the end of every coded matrix (zeros): a vector gather reads
 * a row's code as the first byte of a four-byte word. */
#define DIAL_GBDT_CODES_PAD 4

typedef struct dial_gbdt_bins {
    size_t n_features;
    uint16_t *n_values; /* value bins of each feature (>= 1); code n_values[f] is "missing" */
    size_t *slot;       /* first histogram slot of each feature; slot[n_features] is the total */
    size_t *edge_start; /* feature f's n_values[f] - 1 edges at edges + edge_start[f] */
    double *edges;      /* upper edge of every bin but the last of each feature */
    bool *any_missing;  /* whether the rows the bins were fitted on had a missing value */
    uint16_t *levels;   /* per feature: levels of a categorical one, else 0; NULL: none */
    /* NULL for bins of dense rows. For bins of sparse rows
     * (gbdt_sparse_bins.c): per feature the code of the bin that holds
     * exactly the value 0 (an absent entry), or DIAL_GBDT_NO_ZERO when
     * every training row had another value there. */
    uint16_t *zero_code;
} dial_gbdt_bins;

/* zero_code of a feature without a zero bin. */
#define DIAL_GBDT_NO_ZERO 0xFFFFu

/* Learns the edges of the n_features columns of x (n_rows x n_features,
 * row-major, NaN for missing), with at most max_bins value bins per feature
 * (capped at DIAL_GBDT_MAX_VALUE_BINS), on up to threads threads. levels
 * (n_features entries, or NULL for none) marks categorical features: a
 * feature with levels[f] = L > 0 (at most DIAL_GBDT_MAX_VALUE_BINS) holds a
 * level code 0 .. L - 1 or NaN for none, and gets one bin per level
 * whatever max_bins, its code of none being the missing code. Fails with
 * DIAL_ERR_DATA on an infinite value (naming its row and feature) or
 * DIAL_ERR_NOMEM. On success *bins owns its arrays: free with
 * dial_gbdt_bins_free. */
dial_status dial_gbdt_bins_fit_levels(dial_ctx *ctx, const double *x, size_t n_rows,
                                      size_t n_features, int max_bins, const uint16_t *levels,
                                      int threads, dial_gbdt_bins *bins);

/* Codes the rows of x (n_rows x bins->n_features, row-major) with the
 * edges: *codes is malloc'ed, column-major (feature f's codes at
 * *codes + f * n_rows), followed by DIAL_GBDT_CODES_PAD zeros; free it
 * with free. An infinite value codes like the
 * largest or smallest finite one. Fails only with DIAL_ERR_NOMEM. */
dial_status dial_gbdt_bins_code(dial_ctx *ctx, const dial_gbdt_bins *bins, const double *x,
                                size_t n_rows, int threads, uint8_t **codes);

/* Bins of sparse rows (gbdt_sparse_bins.c), from the values the rows hold
 * and not their zeros, which would take every quantile of a text-like
 * column: edges as dial_gbdt_bins_fit_levels gives them for the nonzero
 * values, plus, for a feature some row has no value for (or a 0), a bin
 * holding exactly 0 (zero_code). When a feature has at most max_bins
 * distinct values, 0 counted, its edges are the dense ones, value for
 * value; past that, the cuts take max_bins - 2 bins and the zero bin's
 * two edges the rest. NaN entries are missing values. Fails with
 * DIAL_ERR_DATA on an infinite value (naming its row and feature, as the
 * dense binning does) or DIAL_ERR_NOMEM. */
dial_status dial_gbdt_bins_fit_sparse(dial_ctx *ctx, const dial_csr *rows, int max_bins,
                                      int threads, dial_gbdt_bins *bins);
/* The same, gathering the values of at most most_values entries at a time
 * (or of one feature, when it alone has more); the bins do not depend on
 * it. dial_gbdt_bins_fit_sparse takes 2^18 (2 MiB). */
dial_status dial_gbdt_bins_fit_sparse_ranges(dial_ctx *ctx, const dial_csr *rows, int max_bins,
                                             size_t most_values, int threads, dial_gbdt_bins *bins);

/* The code of every entry of rows (row_start[n_rows] of them, in entry
 * order) into a malloc'ed *codes followed by DIAL_GBDT_CODES_PAD zeros;
 * free it with free. Fails only with DIAL_ERR_NOMEM. */
dial_status dial_gbdt_bins_code_sparse(dial_ctx *ctx, const dial_gbdt_bins *bins,
                                       const dial_csr *rows, int threads, uint8_t **codes);

/* The raw value a split "code <= bin" of feature f compares with: the
 * bin's upper edge, or +inf for the last bin. */
double dial_gbdt_bins_threshold(const dial_gbdt_bins *bins, size_t f, unsigned bin);

/* The bin of v among n_edges ascending edges: the number of edges below
 * it (so v <= edge[bin], or the last bin), by a binary search whose steps
 * do not branch on the data. */
static inline unsigned dial_gbdt_bins_find(const double *edges, size_t n_edges, double v) {
    if (n_edges == 0) return 0;
    const double *base = edges;
    size_t n = n_edges;
    while (n > 1) {
        size_t half = n / 2;
        base = base[half - 1] < v ? base + half : base;
        n -= half;
    }
    return (unsigned)(base - edges) + (*base < v);
}

/* Shared with gbdt_sparse_bins.c: a key whose unsigned order is the order
 * of the (non-NaN) doubles, and back; keys sorted (n of them, tmp as
 * large; returns the array that holds them sorted, keys or tmp); and the
 * edges of one feature from its m sorted keys, at most max_bins - 1 of
 * them (returns their number): a bin per distinct value when there are at
 * most max_bins, else cuts at quantiles. */
uint64_t dial_gbdt_bins_key(double v);
double dial_gbdt_bins_value(uint64_t key);
uint64_t *dial_gbdt_bins_sort(uint64_t *keys, uint64_t *tmp, size_t n);
size_t dial_gbdt_bins_edges(const uint64_t *sorted, size_t m, size_t max_bins, double *edges);
/* A point between a < b that "<= point" separates. */
double dial_gbdt_bins_between(double a, double b);

/* Frees the arrays; the struct is left zeroed. NULL arrays are harmless. */
void dial_gbdt_bins_free(dial_gbdt_bins *bins);

#endif
