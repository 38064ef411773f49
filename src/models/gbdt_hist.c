/*
 * Gradient histograms: the inner loop of gradient boosting.
 *
 * Codes are column-major, so a feature's codes of a node's (ascending) rows
 * are read with short forward jumps. Features are taken four at a time (the
 * last one to three together), so
 * a row's derivatives are loaded and widened to double once for four
 * features, and the four slot updates are independent: a run of rows in
 * one bin makes each update wait for the previous one to the same slot,
 * and four such chains overlap where one would stall.
 */
#include <string.h>

#include "models/gbdt_hist.h"

/* Adds rows into the slots of four features (h0 .. h3, codes c0 .. c3). */
static void hist_four(const uint8_t *restrict c0, const uint8_t *restrict c1,
                      const uint8_t *restrict c2, const uint8_t *restrict c3,
                      dial_gbdt_sum *restrict h0, dial_gbdt_sum *restrict h1,
                      dial_gbdt_sum *restrict h2, dial_gbdt_sum *restrict h3,
                      const uint32_t *restrict rows, size_t m,
                      const dial_gbdt_pair *restrict pairs) {
    if (rows) {
        for (size_t i = 0; i < m; i++) {
            uint32_t r = rows[i];
            double g = pairs[r].g, h = pairs[r].h;
            dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r], *s2 = h2 + c2[r], *s3 = h3 + c3[r];
            s0->g += g, s0->h += h;
            s1->g += g, s1->h += h;
            s2->g += g, s2->h += h;
            s3->g += g, s3->h += h;
        }
    } else {
        for (size_t r = 0; r < m; r++) {
            double g = pairs[r].g, h = pairs[r].h;
            dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r], *s2 = h2 + c2[r], *s3 = h3 + c3[r];
            s0->g += g, s0->h += h;
            s1->g += g, s1->h += h;
            s2->g += g, s2->h += h;
            s3->g += g, s3->h += h;
        }
    }
}

/* Adds rows into the slots of one feature. */
static void hist_one(const uint8_t *restrict c0, dial_gbdt_sum *restrict h0,
                     const uint32_t *restrict rows, size_t m,
                     const dial_gbdt_pair *restrict pairs) {
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        dial_gbdt_sum *s0 = h0 + c0[r];
        s0->g += pairs[r].g, s0->h += pairs[r].h;
    }
}

/* Adds rows into the slots of two features. */
static void hist_two(const uint8_t *restrict c0, const uint8_t *restrict c1,
                     dial_gbdt_sum *restrict h0, dial_gbdt_sum *restrict h1,
                     const uint32_t *restrict rows, size_t m,
                     const dial_gbdt_pair *restrict pairs) {
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        double g = pairs[r].g, h = pairs[r].h;
        dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r];
        s0->g += g, s0->h += h;
        s1->g += g, s1->h += h;
    }
}

/* Adds rows into the slots of three features. */
static void hist_three(const uint8_t *restrict c0, const uint8_t *restrict c1,
                       const uint8_t *restrict c2, dial_gbdt_sum *restrict h0,
                       dial_gbdt_sum *restrict h1, dial_gbdt_sum *restrict h2,
                       const uint32_t *restrict rows, size_t m,
                       const dial_gbdt_pair *restrict pairs) {
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        double g = pairs[r].g, h = pairs[r].h;
        dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r], *s2 = h2 + c2[r];
        s0->g += g, s0->h += h;
        s1->g += g, s1->h += h;
        s2->g += g, s2->h += h;
    }
}

void dial_gbdt_hist_build(const dial_gbdt_hist_input *in, const uint32_t *features,
                          size_t n_features, const uint32_t *rows, size_t m, dial_gbdt_sum *hist) {
    const size_t *slot = in->bins->slot;
    for (size_t j = 0; j < n_features; j++) {
        uint32_t f = features[j];
        memset(hist + slot[f], 0, (slot[f + 1] - slot[f]) * sizeof *hist);
    }
    size_t j = 0;
    for (; j + 4 <= n_features; j += 4) {
        uint32_t f0 = features[j], f1 = features[j + 1], f2 = features[j + 2], f3 = features[j + 3];
        hist_four(in->codes + (size_t)f0 * in->n_rows, in->codes + (size_t)f1 * in->n_rows,
                  in->codes + (size_t)f2 * in->n_rows, in->codes + (size_t)f3 * in->n_rows,
                  hist + slot[f0], hist + slot[f1], hist + slot[f2], hist + slot[f3], rows, m,
                  in->pairs);
    }
    /* the last one to three features in one pass over the rows */
    const uint8_t *c[3];
    dial_gbdt_sum *h[3];
    for (size_t q = 0; j + q < n_features; q++) {
        uint32_t f = features[j + q];
        c[q] = in->codes + (size_t)f * in->n_rows;
        h[q] = hist + slot[f];
    }
    switch (n_features - j) {
    case 3: hist_three(c[0], c[1], c[2], h[0], h[1], h[2], rows, m, in->pairs); break;
    case 2: hist_two(c[0], c[1], h[0], h[1], rows, m, in->pairs); break;
    case 1: hist_one(c[0], h[0], rows, m, in->pairs); break;
    default: break;
    }
}

void dial_gbdt_hist_subtract(const dial_gbdt_bins *bins, const uint32_t *features,
                             size_t n_features, dial_gbdt_sum *parent, const dial_gbdt_sum *child) {
    for (size_t j = 0; j < n_features; j++) {
        uint32_t f = features[j];
        for (size_t s = bins->slot[f]; s < bins->slot[f + 1]; s++) {
            parent[s].g -= child[s].g;
            parent[s].h -= child[s].h;
        }
    }
}

void dial_gbdt_hist_build_sparse(const dial_gbdt_hist_input *in, uint32_t first, uint32_t last,
                                 const uint32_t *features, size_t n_features, const uint32_t *rows,
                                 size_t m, size_t *cursor, dial_gbdt_sum sum,
                                 dial_gbdt_sparse_seen *seen, dial_gbdt_sum *hist) {
    const dial_gbdt_bins *bins = in->bins;
    const dial_gbdt_sparse_rows *s = in->sparse;
    const size_t *slot = bins->slot, base = bins->slot[first];
    const uint32_t *col = s->col;
    const uint8_t *codes = s->codes;
    uint32_t *held = seen->held;
    uint8_t *lo = seen->lo, *hi = seen->hi;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        size_t e = cursor[i], stop = s->row_start[r + 1];
        /* features are ascending in a row: its entries of the range, if
         * any, start at the cursor */
        if (e == stop || col[e] >= last) continue;
        double g = in->pairs[r].g, h = in->pairs[r].h;
        do {
            uint32_t f = col[e];
            uint8_t code = codes[e];
            dial_gbdt_sum *to = hist + (slot[f] - base) + code;
            to->g += g, to->h += h;
            if (held[f]++ == 0) {
                lo[f] = hi[f] = code;
            } else {
                lo[f] = code < lo[f] ? code : lo[f];
                hi[f] = code > hi[f] ? code : hi[f];
            }
        } while (++e < stop && col[e] < last);
        cursor[i] = e;
    }
    for (size_t j = 0; j < n_features; j++) {
        uint32_t f = features[j];
        unsigned zero = bins->zero_code[f];
        if (zero == DIAL_GBDT_NO_ZERO || held[f] == 0) continue;
        dial_gbdt_sum *h = hist + (slot[f] - base), rest = {0, 0};
        /* an explicit 0 is an entry coded as zero: the bin is recounted */
        for (unsigned c = lo[f]; c <= hi[f]; c++)
            if (c != zero) rest.g += h[c].g, rest.h += h[c].h;
        bool none = held[f] == m && h[zero].h == 0;
        h[zero] = none ? (dial_gbdt_sum){0, 0} : (dial_gbdt_sum){sum.g - rest.g, sum.h - rest.h};
    }
}

void dial_gbdt_hist_clear_sparse(const dial_gbdt_bins *bins, uint32_t first, uint32_t last,
                                 dial_gbdt_sparse_seen *seen, dial_gbdt_sum *hist) {
    size_t base = bins->slot[first];
    for (uint32_t f = first; f < last; f++) {
        if (!seen->held[f]) continue;
        dial_gbdt_sum *h = hist + (bins->slot[f] - base);
        memset(h + seen->lo[f], 0, ((size_t)seen->hi[f] - seen->lo[f] + 1) * sizeof *h);
        if (bins->zero_code[f] != DIAL_GBDT_NO_ZERO) h[bins->zero_code[f]] = (dial_gbdt_sum){0, 0};
        seen->held[f] = 0;
    }
}
