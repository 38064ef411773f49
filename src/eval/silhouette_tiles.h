/*
 * The distances the silhouette sums, in square tiles (internal to
 * src/eval/silhouette*.c).
 *
 * The sample's m rows, in sample order, are cut into blocks of
 * SILHOUETTE_TILE rows; the distances between block bi and block bj (bi <=
 * bj) make tile (bi, bj), whose element (a, b) is the distance between row
 * bi * SILHOUETTE_TILE + a and row bj * SILHOUETTE_TILE + b. A tile is
 * always computed by the same call on the same rows, so its values do not
 * depend on whether it is computed on the fly, once for a whole score, or
 * once for every trial of a search that scores the same rows (a memo):
 * the three give the same score to the last bit. The distance of a row of
 * block bi to a row of an earlier block bj < bi is read from tile (bj, bi),
 * transposed.
 *
 * Every row's sum over a cluster is added in one fixed order, whichever
 * way the tiles are read (silhouette_tiles.c says which): block by block,
 * in SILHOUETTE_LANES running sums within a block (rows j with the same
 * j % LANES in one), so the additions do not wait on each other.
 */
#ifndef DIAL_EVAL_SILHOUETTE_TILES_H
#define DIAL_EVAL_SILHOUETTE_TILES_H

#include <stdbool.h>

#include "dial/core.h"

/* Rows of a block: a tile of 128 x 128 distances (128 KiB) stays in cache
 * while it is summed. A multiple of SILHOUETTE_LANES. */
#define SILHOUETTE_TILE 128
#define SILHOUETTE_LANES 4

/* The rows the silhouette is measured on, and their clusters. */
typedef struct silhouette_points {
    const double *x;     /* m x d, sample order, centred on their mean */
    const double *norms; /* m: their squared norms */
    size_t m, d;
    const size_t *cluster; /* m: each row's cluster, 0 .. k - 1 */
    const size_t *counts;  /* k: rows per cluster */
    size_t k;
} silhouette_points;

/* Blocks of m rows, and tiles (bi <= bj) of those blocks. */
size_t dial_silhouette_blocks(size_t m);
size_t dial_silhouette_tile_count(size_t m);

/* Computes tile number item (0 .. dial_silhouette_tile_count(m) - 1, the
 * packed upper triangle of blocks row by row) into its place in tiles;
 * reads only the points' x and norms. */
void dial_silhouette_tile_compute(const silhouette_points *points, size_t item, double *tiles);

/* s(i) of every row into s (m, sample order), reading the distances from
 * tiles when given (every tile, from dial_silhouette_tile_compute), else computing each
 * tile where it is needed: each tile once when read_once (keeping partial
 * sums of every pair of blocks, when they fit 128 MiB), else twice. The
 * same figures every way. Errors: DIAL_ERR_NOMEM. */
dial_status dial_silhouette_tiles_score(dial_ctx *ctx, const silhouette_points *points,
                                        const double *tiles, bool read_once, double *s);

#endif
