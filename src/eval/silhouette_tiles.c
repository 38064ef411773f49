/*
 * The silhouette's distances in tiles, and the sums read from them (see
 * eval/silhouette_tiles.h).
 *
 * A tile's distances come from one cblas_dgemm of its two blocks (|x|^2 +
 * |y|^2 - 2 x.y, as scikit-learn's euclidean_distances), several times
 * faster than difference by difference; a square that lost too many
 * digits to the subtraction is measured again difference by difference.
 * Blocks of rows are the items of a thread team; each row's s(i) is
 * computed alone from sums in a fixed order, so nothing depends on the
 * thread count.
 */
#include <cblas.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/team.h"
#include "eval/silhouette_tiles.h"

#define TILE SILHOUETTE_TILE
#define LANES SILHOUETTE_LANES
_Static_assert(LANES == 4, "row_silhouette adds four lanes");
_Static_assert(TILE % LANES == 0, "a row's lane is its index in its block, modulo LANES");

/* A distance whose square from |x|^2 + |y|^2 - 2 x.y is below this share
 * of |x|^2 + |y|^2 has lost too many digits to the subtraction (near
 * duplicates; a row and itself): it is measured difference by
 * difference instead. Above it, the relative error of the square is at
 * most about 2e-16 / 1e-4. */
#define SILHOUETTE_CANCELLATION 1e-4

size_t dial_silhouette_blocks(size_t m) { return (m + TILE - 1) / TILE; }

size_t dial_silhouette_tile_count(size_t m) {
    size_t blocks = dial_silhouette_blocks(m);
    return blocks * (blocks + 1) / 2;
}

/* Where tile (bi, bj), bi <= bj, sits among the nb blocks' tiles: row bi of the
 * upper triangle, packed. */
static size_t tile_index(size_t nb, size_t bi, size_t bj) {
    return bi * (2 * nb - bi + 1) / 2 + (bj - bi);
}

static size_t block_rows(size_t m, size_t bi) {
    size_t from = bi * TILE;
    return m - from < TILE ? m - from : TILE;
}

static double squared_distance(const double *a, const double *b, size_t d) {
    double sum = 0;
    for (size_t j = 0; j < d; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sum;
}

/* Tile (bi, bj) into tile (TILE x TILE, row stride TILE): the dot products
 * of the two blocks, then, row by row, the distances in their place. Three
 * passes the compiler (or SSE2, for the square roots, which C's sqrt
 * cannot vectorise while it may set errno) runs on pairs of numbers; the
 * rare square that lost its digits is measured again between the first
 * two. */
static void compute_tile(const silhouette_points *p, size_t bi, size_t bj, double *tile) {
    size_t d = p->d, rows = block_rows(p->m, bi), cols = block_rows(p->m, bj);
    const double *a = p->x + bi * TILE * d, *b = p->x + bj * TILE * d;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)d, 1.0, a,
                (int)d, b, (int)d, 0.0, tile, TILE);
    const double *norms = p->norms + bj * TILE;
    for (size_t r = 0; r < rows; r++) {
        double *row = tile + r * TILE, own = p->norms[bi * TILE + r];
        for (size_t j = 0; j < cols; j++) row[j] = own + norms[j] - 2 * row[j];
        for (size_t j = 0; j < cols; j++)
            if (row[j] < SILHOUETTE_CANCELLATION * (own + norms[j]))
                row[j] = squared_distance(a + r * d, b + j * d, d);
        size_t j = 0;
#ifdef __SSE2__
        for (; j + 2 <= cols; j += 2) _mm_storeu_pd(row + j, _mm_sqrt_pd(_mm_loadu_pd(row + j)));
#endif
        for (; j < cols; j++) row[j] = sqrt(row[j]);
    }
}

typedef struct tiles_job {
    const silhouette_points *points;
    size_t nb;
    const double *tiles; /* the memo's, or NULL: computed on the fly */
    double *out_tiles;   /* building: where every tile goes */
    double *partials;    /* nb x nb blocks of TILE x k: block (bi, bj)'s sums, or NULL */
    double *scratch;     /* per worker */
    size_t per_worker;
    double *s;
} tiles_job;

/* Building: tile number `item` of the packed upper triangle. */
static void build_item(void *arg, size_t item, int worker) {
    (void)worker;
    const tiles_job *job = arg;
    size_t bi = 0, left = item;
    while (left >= job->nb - bi) left -= job->nb - bi++;
    compute_tile(job->points, bi, bi + left, job->out_tiles + item * TILE * TILE);
}

/* What a row sums, per cluster, is defined block by block: the distances
 * of a row of block bi to the rows of block bj, in bj's row order, in
 * LANES running sums per cluster (lanes: rows x LANES x k), folded into
 * one sum per cluster (the block's partial, rows x k); the row's sum is
 * then its partials added for bj = 0, 1, ... in order. Every way of
 * reading the tiles below keeps that order. */

/* Rows of block bi against block bj, from tile (bi, bj). */
static void add_direct(const silhouette_points *p, size_t bi, size_t bj, const double *tile,
                       double *lanes) {
    size_t k = p->k, rows = block_rows(p->m, bi), cols = block_rows(p->m, bj);
    const size_t *cluster = p->cluster + bj * TILE;
    for (size_t r = 0; r < rows; r++) {
        const double *row = tile + r * TILE;
        double *own = lanes + r * LANES * k;
        for (size_t j = 0; j < cols; j++) own[(j % LANES) * k + cluster[j]] += row[j];
    }
}

/* Rows of block bi against block bj, from tile (bj, bi): row j of the
 * tile holds the distances of bj's row j, so each is added to every row. */
static void add_transposed(const silhouette_points *p, size_t bi, size_t bj, const double *tile,
                           double *lanes) {
    size_t k = p->k, rows = block_rows(p->m, bi), cols = block_rows(p->m, bj);
    const size_t *cluster = p->cluster + bj * TILE;
    for (size_t j = 0; j < cols; j++) {
        const double *column = tile + j * TILE;
        size_t at = (j % LANES) * k + cluster[j];
        for (size_t r = 0; r < rows; r++) lanes[r * LANES * k + at] += column[r];
    }
}

/* Both at once from tile (bi, bj), bi < bj, read once: rows of bi against
 * bj into lanes_i, rows of bj against bi into lanes_j, each in the order
 * add_direct and add_transposed add them. */
static void add_both(const silhouette_points *p, size_t bi, size_t bj, const double *tile,
                     double *lanes_i, double *lanes_j) {
    size_t k = p->k, rows = block_rows(p->m, bi), cols = block_rows(p->m, bj);
    const size_t *cluster_i = p->cluster + bi * TILE, *cluster_j = p->cluster + bj * TILE;
    for (size_t r = 0; r < rows; r++) {
        const double *row = tile + r * TILE;
        double *own = lanes_i + r * LANES * k, *theirs = lanes_j + (r % LANES) * k + cluster_i[r];
        for (size_t j = 0; j < cols; j++) {
            own[(j % LANES) * k + cluster_j[j]] += row[j];
            theirs[j * LANES * k] += row[j];
        }
    }
}

/* The block's partials from its lanes. */
static void fold_lanes(const double *lanes, size_t rows, size_t k, double *partial) {
    for (size_t r = 0; r < rows; r++, lanes += LANES * k, partial += k)
        for (size_t c = 0; c < k; c++)
            partial[c] = (lanes[c] + lanes[k + c]) + (lanes[2 * k + c] + lanes[3 * k + c]);
}

/* s(i) of row i from its sums per cluster (k). */
static double row_silhouette(const silhouette_points *p, size_t i, const double *sums) {
    size_t k = p->k, own = p->cluster[i];
    if (p->counts[own] < 2) return 0;
    double a = sums[own] / (double)(p->counts[own] - 1), b = INFINITY;
    for (size_t c = 0; c < k; c++)
        if (c != own && sums[c] / (double)p->counts[c] < b) b = sums[c] / (double)p->counts[c];
    double larger = a > b ? a : b;
    return larger > 0 ? (b - a) / larger : 0;
}

/* Scoring, a block of rows at a time: s(i) of the rows of block `item`,
 * each tile computed where it is needed or read from the memo's. Scratch:
 * a tile, lanes, a partial and the sums. */
static void score_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    const silhouette_points *p = job->points;
    size_t bi = item, rows = block_rows(p->m, bi), k = p->k;
    double *tile = job->scratch + (size_t)worker * job->per_worker;
    double *lanes = tile + TILE * TILE, *partial = lanes + TILE * LANES * k;
    double *sums = partial + TILE * k;
    memset(sums, 0, rows * k * sizeof *sums);
    for (size_t bj = 0; bj < job->nb; bj++) {
        size_t low = bj < bi ? bj : bi, high = bj < bi ? bi : bj;
        const double *from = tile;
        if (job->tiles)
            from = job->tiles + tile_index(job->nb, low, high) * TILE * TILE;
        else
            compute_tile(p, low, high, tile);
        memset(lanes, 0, rows * LANES * k * sizeof *lanes);
        if (bj < bi)
            add_transposed(p, bi, bj, from, lanes);
        else
            add_direct(p, bi, bj, from, lanes);
        fold_lanes(lanes, rows, k, partial);
        for (size_t c = 0; c < rows * k; c++) sums[c] += partial[c];
    }
    for (size_t r = 0; r < rows; r++)
        job->s[bi * TILE + r] = row_silhouette(p, bi * TILE + r, sums + r * k);
}

/* From the memo's tiles, each read once, first pass: the partials of the
 * tiles (bi, bj >= bi), both ways. Scratch: two sets of lanes. */
static void partials_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    const silhouette_points *p = job->points;
    size_t bi = item, nb = job->nb, k = p->k, rows = block_rows(p->m, bi);
    double *lanes_i = job->scratch + (size_t)worker * job->per_worker;
    double *lanes_j = lanes_i + TILE * LANES * k;
    for (size_t bj = bi; bj < nb; bj++) {
        const double *tile = job->tiles + tile_index(nb, bi, bj) * TILE * TILE;
        size_t cols = block_rows(p->m, bj);
        memset(lanes_i, 0, rows * LANES * k * sizeof *lanes_i);
        if (bj == bi) {
            add_direct(p, bi, bj, tile, lanes_i);
        } else {
            memset(lanes_j, 0, cols * LANES * k * sizeof *lanes_j);
            add_both(p, bi, bj, tile, lanes_i, lanes_j);
            fold_lanes(lanes_j, cols, k, job->partials + (bj * nb + bi) * TILE * k);
        }
        fold_lanes(lanes_i, rows, k, job->partials + (bi * nb + bj) * TILE * k);
    }
}

/* Second pass: a block's rows' sums, their partials added in block order,
 * and their s(i). Scratch: the sums. */
static void partials_score_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    const silhouette_points *p = job->points;
    size_t bi = item, nb = job->nb, k = p->k, rows = block_rows(p->m, bi);
    double *sums = job->scratch + (size_t)worker * job->per_worker;
    memset(sums, 0, rows * k * sizeof *sums);
    for (size_t bj = 0; bj < nb; bj++) {
        const double *partial = job->partials + (bi * nb + bj) * TILE * k;
        for (size_t c = 0; c < rows * k; c++) sums[c] += partial[c];
    }
    for (size_t r = 0; r < rows; r++)
        job->s[bi * TILE + r] = row_silhouette(p, bi * TILE + r, sums + r * k);
}

/* A thread pays off only for some thousands of distances. */
static int team_threads(const dial_ctx *ctx, const silhouette_points *p) {
    int threads = dial_ctx_threads(ctx);
    return p->m * p->m * p->d < 1000000 || threads < 1 ? 1 : threads;
}

dial_status dial_silhouette_tiles_build(dial_ctx *ctx, const silhouette_points *points,
                                        double *tiles) {
    dial_team *team = NULL;
    dial_status status = dial_team_start(ctx, team_threads(ctx, points), &team);
    if (status != DIAL_OK) return status;
    tiles_job job = {.points = points, .nb = dial_silhouette_blocks(points->m), .out_tiles = tiles};
    dial_team_run(team, build_item, &job, dial_silhouette_tile_count(points->m));
    dial_team_stop(team);
    return DIAL_OK;
}

size_t dial_silhouette_partials_count(size_t m, size_t k) {
    size_t nb = dial_silhouette_blocks(m);
    return nb * nb * TILE * k;
}

dial_status dial_silhouette_tiles_score(dial_ctx *ctx, const silhouette_points *points,
                                        const double *tiles, double *partials, double *s) {
    int threads = team_threads(ctx, points);
    size_t nb = dial_silhouette_blocks(points->m), k = points->k;
    if (!tiles) partials = NULL;
    size_t per_worker = partials ? 2 * TILE * LANES * k : TILE * TILE + TILE * (LANES + 2) * k;
    double *scratch = dial_malloc_array(ctx, (size_t)threads * per_worker, sizeof *scratch);
    dial_team *team = NULL;
    dial_status status =
        scratch ? dial_team_start(ctx, threads, &team)
                : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", points->m);
    if (status == DIAL_OK) {
        tiles_job job = {.points = points,
                         .nb = nb,
                         .tiles = tiles,
                         .partials = partials,
                         .scratch = scratch,
                         .per_worker = per_worker,
                         .s = s};
        if (partials) {
            dial_team_run(team, partials_item, &job, nb);
            dial_team_run(team, partials_score_item, &job, nb);
        } else {
            dial_team_run(team, score_item, &job, nb);
        }
    }
    dial_team_stop(team);
    free(scratch);
    return status;
}
