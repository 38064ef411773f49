/*
 * Gradient histograms: the inner loop of gradient boosting.
 *
 * Codes are column-major, so a feature's codes of a node's (ascending) rows
 * are read with short forward jumps. Features are taken four at a time, so
 * a row's derivatives are loaded and widened to double once for four
 * features, and the four slot updates are independent: a run of rows in
 * one bin makes each update wait for the previous one to the same slot,
 * and four such chains overlap where one would stall.
 */
#include <stddef.h>
#include <string.h>

#include "models/gbdt_hist.h"

/* Rows per slot above which a second histogram is used (measured on
 * letter, whose features have 16 bins). */
#ifndef HIST_ROWS_PER_SPARE_SLOT
#define HIST_ROWS_PER_SPARE_SLOT 8
#endif

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

static void hist_one(const uint8_t *restrict c0, dial_gbdt_sum *restrict h0,
                     const uint32_t *restrict rows, size_t m,
                     const dial_gbdt_pair *restrict pairs) {
    if (rows) {
        for (size_t i = 0; i < m; i++) {
            uint32_t r = rows[i];
            dial_gbdt_sum *s0 = h0 + c0[r];
            s0->g += pairs[r].g, s0->h += pairs[r].h;
        }
    } else {
        for (size_t r = 0; r < m; r++) {
            dial_gbdt_sum *s0 = h0 + c0[r];
            s0->g += pairs[r].g, s0->h += pairs[r].h;
        }
    }
}

/* The same with every other row summed into a second histogram (at
 * spare_offset sums from the first), so that two consecutive rows in one
 * bin do not wait for each other. */
static void hist_four_twice(const uint8_t *restrict c0, const uint8_t *restrict c1,
                            const uint8_t *restrict c2, const uint8_t *restrict c3,
                            dial_gbdt_sum *h0, dial_gbdt_sum *h1, dial_gbdt_sum *h2,
                            dial_gbdt_sum *h3, ptrdiff_t spare_offset,
                            const uint32_t *restrict rows, size_t m,
                            const dial_gbdt_pair *restrict pairs) {
    size_t i = 0;
    for (; i + 2 <= m; i += 2) {
        uint32_t r = rows ? rows[i] : (uint32_t)i, q = rows ? rows[i + 1] : (uint32_t)i + 1;
        double g = pairs[r].g, h = pairs[r].h, gq = pairs[q].g, hq = pairs[q].h;
        dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r], *s2 = h2 + c2[r], *s3 = h3 + c3[r];
        dial_gbdt_sum *t0 = h0 + spare_offset + c0[q], *t1 = h1 + spare_offset + c1[q];
        dial_gbdt_sum *t2 = h2 + spare_offset + c2[q], *t3 = h3 + spare_offset + c3[q];
        s0->g += g, s0->h += h;
        t0->g += gq, t0->h += hq;
        s1->g += g, s1->h += h;
        t1->g += gq, t1->h += hq;
        s2->g += g, s2->h += h;
        t2->g += gq, t2->h += hq;
        s3->g += g, s3->h += h;
        t3->g += gq, t3->h += hq;
    }
    for (; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        double g = pairs[r].g, h = pairs[r].h;
        dial_gbdt_sum *s0 = h0 + c0[r], *s1 = h1 + c1[r], *s2 = h2 + c2[r], *s3 = h3 + c3[r];
        s0->g += g, s0->h += h;
        s1->g += g, s1->h += h;
        s2->g += g, s2->h += h;
        s3->g += g, s3->h += h;
    }
}

void dial_gbdt_hist_build(const dial_gbdt_hist_input *in, const uint32_t *features,
                          size_t n_features, const uint32_t *rows, size_t m, dial_gbdt_sum *hist,
                          dial_gbdt_sum *spare) {
    const size_t *slot = in->bins->slot;
    for (size_t j = 0; j < n_features; j++) {
        uint32_t f = features[j];
        memset(hist + slot[f], 0, (slot[f + 1] - slot[f]) * sizeof *hist);
    }
    size_t j = 0;
    for (; j + 4 <= n_features; j += 4) {
        uint32_t f0 = features[j], f1 = features[j + 1], f2 = features[j + 2], f3 = features[j + 3];
        const uint8_t *c0 = in->codes + (size_t)f0 * in->n_rows;
        const uint8_t *c1 = in->codes + (size_t)f1 * in->n_rows;
        const uint8_t *c2 = in->codes + (size_t)f2 * in->n_rows;
        const uint8_t *c3 = in->codes + (size_t)f3 * in->n_rows;
        size_t widest = 0;
        for (size_t k = j; k < j + 4; k++)
            if (slot[features[k] + 1] - slot[features[k]] > widest)
                widest = slot[features[k] + 1] - slot[features[k]];
        /* a second histogram pays when rows outnumber its slots well */
        if (m >= HIST_ROWS_PER_SPARE_SLOT * widest) {
            for (size_t k = j; k < j + 4; k++) {
                uint32_t f = features[k];
                memset(spare + slot[f], 0, (slot[f + 1] - slot[f]) * sizeof *spare);
            }
            hist_four_twice(c0, c1, c2, c3, hist + slot[f0], hist + slot[f1], hist + slot[f2],
                            hist + slot[f3], spare - hist, rows, m, in->pairs);
            for (size_t k = j; k < j + 4; k++) {
                uint32_t f = features[k];
                for (size_t t = slot[f]; t < slot[f + 1]; t++) {
                    hist[t].g += spare[t].g;
                    hist[t].h += spare[t].h;
                }
            }
        } else {
            hist_four(c0, c1, c2, c3, hist + slot[f0], hist + slot[f1], hist + slot[f2],
                      hist + slot[f3], rows, m, in->pairs);
        }
    }
    for (; j < n_features; j++) {
        uint32_t f = features[j];
        hist_one(in->codes + (size_t)f * in->n_rows, hist + slot[f], rows, m, in->pairs);
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
