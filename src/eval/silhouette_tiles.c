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
#include <stdint.h>
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
_Static_assert(LANES == 4, "fold_lanes adds four lanes");
_Static_assert(TILE % LANES == 0, "a row's lane is its index in its block, modulo LANES");

/* A distance whose square from |x|^2 + |y|^2 - 2 x.y is below this share
 * of |x|^2 + |y|^2 has lost too many digits to the subtraction (near
 * duplicates; a row and itself): it is measured difference by
 * difference instead. Above it, the relative error of the square is at
 * most about 2e-16 / 1e-4. */
#define SILHOUETTE_CANCELLATION 1e-4

/* The most a score keeps (partial sums) to read or compute each tile once. */
#define SILHOUETTE_PARTIALS_MAX ((size_t)128 << 20)

size_t dial_silhouette_blocks(size_t m) { return (m + TILE - 1) / TILE; }

size_t dial_silhouette_tile_count(size_t m) {
    size_t blocks = dial_silhouette_blocks(m);
    return blocks * (blocks + 1) / 2;
}

/* Where tile (bi, bj), bi <= bj, sits among the nb blocks' tiles: row bi
 * of the upper triangle, packed. */
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

/* The clusters present in each block, so that what a tile adds costs its
 * distances and its rows times the clusters of its columns, not times
 * every cluster (dbscan may find hundreds). */
typedef struct block_clusters {
    size_t *local; /* m: each row's cluster's place in its block's list */
    size_t *start; /* nb + 1: where each block's list begins in lists */
    size_t *lists; /* start[nb]: the clusters of each block, in order of appearance */
} block_clusters;

typedef struct tiles_job {
    const silhouette_points *points;
    block_clusters blocks;
    size_t nb;
    const double *tiles;   /* the memo's, or NULL: computed on the fly */
    double *partials;      /* read once: the stored partials (stored_partial), or NULL */
    size_t *stored_before; /* nb + 1: the clusters of earlier blocks, summed over blocks */
    double *later;         /* read once: m x k, each row's later half */
    double *scratch;       /* per worker */
    size_t per_worker;
    double *s;
} tiles_job;

void dial_silhouette_tile_compute(const silhouette_points *points, size_t item, double *tiles) {
    size_t nb = dial_silhouette_blocks(points->m), bi = 0, left = item;
    while (left >= nb - bi) left -= nb - bi++;
    compute_tile(points, bi, bi + left, tiles + item * TILE * TILE);
}

/* What a row sums, per cluster, is defined block by block: the distances
 * of a row of block bi to the rows of block bj, in bj's row order, in
 * LANES running sums per cluster of bj (rows j with the same j % LANES in
 * one; one sum when bj has more than LANES_MAX_CLUSTERS clusters, whose
 * rows rarely follow one another), folded into one sum per cluster (the
 * pair's partial: rows x bj's clusters); the row's sum over a cluster is
 * then the sum of its partials for the blocks before its own (bj < bi, in
 * order) plus the sum of those from its own block on (bj >= bi, in order;
 * a block without the cluster adds nothing). Every way of reading the
 * tiles below keeps that order. (The two halves let a pass that reads
 * each tile once keep only the partials of the half it cannot add at
 * once.) */
#define LANES_MAX_CLUSTERS 16

static size_t clusters_of(const tiles_job *job, size_t b) {
    return job->blocks.start[b + 1] - job->blocks.start[b];
}

static size_t lanes_of(size_t clusters) { return clusters <= LANES_MAX_CLUSTERS ? LANES : 1; }

/* Rows of block bi against block bj, from tile (bi, bj), into lanes (rows
 * x lanes x bj's clusters). The lane count is a constant in each loop: a
 * remainder by a variable would cost a division per distance. */
static void add_direct(const tiles_job *job, size_t bi, size_t bj, const double *tile,
                       double *lanes) {
    size_t m = job->points->m, rows = block_rows(m, bi), cols = block_rows(m, bj);
    size_t kb = clusters_of(job, bj);
    const size_t *local = job->blocks.local + bj * TILE;
    if (lanes_of(kb) == 1) {
        for (size_t r = 0; r < rows; r++) {
            const double *row = tile + r * TILE;
            double *own = lanes + r * kb;
            for (size_t j = 0; j < cols; j++) own[local[j]] += row[j];
        }
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const double *row = tile + r * TILE;
        double *own = lanes + r * LANES * kb;
        for (size_t j = 0; j < cols; j++) own[(j % LANES) * kb + local[j]] += row[j];
    }
}

/* Rows of block bi against block bj, from tile (bj, bi): row j of the
 * tile holds the distances of bj's row j, so each is added to every row. */
static void add_transposed(const tiles_job *job, size_t bi, size_t bj, const double *tile,
                           double *lanes) {
    size_t m = job->points->m, rows = block_rows(m, bi), cols = block_rows(m, bj);
    size_t kb = clusters_of(job, bj), width = lanes_of(kb);
    const size_t *local = job->blocks.local + bj * TILE;
    for (size_t j = 0; j < cols; j++) {
        const double *column = tile + j * TILE;
        size_t at = (width == 1 ? 0 : j % LANES) * kb + local[j];
        for (size_t r = 0; r < rows; r++) lanes[r * width * kb + at] += column[r];
    }
}

/* Both at once from tile (bi, bj), bi < bj, read once: rows of bi against
 * bj into lanes_i, rows of bj against bi into lanes_j, each in the order
 * add_direct and add_transposed add them. */
static void add_both(const tiles_job *job, size_t bi, size_t bj, const double *tile,
                     double *lanes_i, double *lanes_j) {
    size_t m = job->points->m, rows = block_rows(m, bi), cols = block_rows(m, bj);
    size_t kj = clusters_of(job, bj), width_j = lanes_of(kj);
    size_t ki = clusters_of(job, bi), width_i = lanes_of(ki);
    const size_t *local_i = job->blocks.local + bi * TILE, *local_j = job->blocks.local + bj * TILE;
    for (size_t r = 0; r < rows; r++) {
        const double *row = tile + r * TILE;
        double *own = lanes_i + r * width_j * kj;
        double *theirs = lanes_j + (width_i == 1 ? 0 : r % LANES) * ki + local_i[r];
        size_t stride = width_i * ki;
        if (width_j == 1)
            for (size_t j = 0; j < cols; j++) {
                own[local_j[j]] += row[j];
                theirs[j * stride] += row[j];
            }
        else
            for (size_t j = 0; j < cols; j++) {
                own[(j % LANES) * kj + local_j[j]] += row[j];
                theirs[j * stride] += row[j];
            }
    }
}

/* A pair's partial (rows x kb) from its lanes. */
static void fold_lanes(const double *lanes, size_t rows, size_t kb, double *partial) {
    size_t width = lanes_of(kb);
    if (width == 1) {
        memcpy(partial, lanes, rows * kb * sizeof *partial);
        return;
    }
    for (size_t r = 0; r < rows; r++, lanes += LANES * kb, partial += kb)
        for (size_t c = 0; c < kb; c++)
            partial[c] = (lanes[c] + lanes[kb + c]) + (lanes[2 * kb + c] + lanes[3 * kb + c]);
}

/* sums (rows x k) += a pair's partial over block bj's clusters. */
static void add_partial(const tiles_job *job, size_t rows, size_t bj, const double *partial,
                        double *sums) {
    size_t k = job->points->k, kb = clusters_of(job, bj);
    const size_t *list = job->blocks.lists + job->blocks.start[bj];
    for (size_t r = 0; r < rows; r++)
        for (size_t q = 0; q < kb; q++) sums[r * k + list[q]] += partial[r * kb + q];
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

static void finish_block(const tiles_job *job, size_t bi, const double *sums) {
    const silhouette_points *p = job->points;
    for (size_t r = 0; r < block_rows(p->m, bi); r++)
        job->s[bi * TILE + r] = row_silhouette(p, bi * TILE + r, sums + r * p->k);
}

/* Scratch a worker needs: a tile, two sets of lanes (rows x at most TILE:
 * LANES x LANES_MAX_CLUSTERS, or one lane of at most TILE clusters), a
 * partial, and its rows' two halves of sums. */
_Static_assert(LANES *LANES_MAX_CLUSTERS <= TILE, "lanes fit a tile's width");
#define SCRATCH_TILE (TILE * TILE)

/* The rows' sums: the half before their block (in earlier) plus the half
 * from it on (in later), into earlier. */
static void join_halves(double *earlier, const double *later, size_t count) {
    for (size_t c = 0; c < count; c++) earlier[c] += later[c];
}

/* Scoring, a block of rows at a time: s(i) of the rows of block `item`,
 * each tile computed where it is needed or read from the memo's. */
static void score_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    size_t bi = item, rows = block_rows(job->points->m, bi), k = job->points->k;
    double *tile = job->scratch + (size_t)worker * job->per_worker;
    double *lanes = tile + SCRATCH_TILE, *partial = lanes + SCRATCH_TILE;
    double *earlier = partial + SCRATCH_TILE, *later = earlier + TILE * k;
    memset(earlier, 0, 2 * TILE * k * sizeof *earlier);
    for (size_t bj = 0; bj < job->nb; bj++) {
        size_t low = bj < bi ? bj : bi, high = bj < bi ? bi : bj, kb = clusters_of(job, bj);
        const double *from = tile;
        if (job->tiles)
            from = job->tiles + tile_index(job->nb, low, high) * TILE * TILE;
        else
            compute_tile(job->points, low, high, tile);
        memset(lanes, 0, rows * lanes_of(kb) * kb * sizeof *lanes);
        if (bj < bi)
            add_transposed(job, bi, bj, from, lanes);
        else
            add_direct(job, bi, bj, from, lanes);
        fold_lanes(lanes, rows, kb, partial);
        add_partial(job, rows, bj, partial, bj < bi ? earlier : later);
    }
    join_halves(earlier, later, rows * k);
    finish_block(job, bi, earlier);
}

/* Read once, the stored partial of rows of block x against an earlier
 * block y < x (laid out block x after block x, each holding its rows
 * against every earlier block's clusters). */
static double *stored_partial(const tiles_job *job, size_t x, size_t y) {
    return job->partials + TILE * (job->stored_before[x] + job->blocks.start[y]);
}

/* Each tile read (or computed) once, first pass: block bi's rows against
 * bj >= bi, added at once into their later half; block bj's rows against
 * bi, stored for the second pass. */
static void partials_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    size_t bi = item, m = job->points->m, rows = block_rows(m, bi), ki = clusters_of(job, bi);
    double *lanes_i = job->scratch + (size_t)worker * job->per_worker;
    double *lanes_j = lanes_i + SCRATCH_TILE, *computed = lanes_j + SCRATCH_TILE;
    double *partial = computed + SCRATCH_TILE;
    double *later = job->later + bi * TILE * job->points->k;
    memset(later, 0, rows * job->points->k * sizeof *later);
    for (size_t bj = bi; bj < job->nb; bj++) {
        const double *tile = computed;
        if (job->tiles)
            tile = job->tiles + tile_index(job->nb, bi, bj) * TILE * TILE;
        else
            compute_tile(job->points, bi, bj, computed);
        size_t cols = block_rows(m, bj), kj = clusters_of(job, bj);
        memset(lanes_i, 0, rows * lanes_of(kj) * kj * sizeof *lanes_i);
        if (bj == bi) {
            add_direct(job, bi, bj, tile, lanes_i);
        } else {
            memset(lanes_j, 0, cols * lanes_of(ki) * ki * sizeof *lanes_j);
            add_both(job, bi, bj, tile, lanes_i, lanes_j);
            fold_lanes(lanes_j, cols, ki, stored_partial(job, bj, bi));
        }
        fold_lanes(lanes_i, rows, kj, partial);
        add_partial(job, rows, bj, partial, later);
    }
}

/* Second pass: a block's rows' earlier half from the stored partials, in
 * block order, joined with their later half; and their s(i). */
static void partials_score_item(void *arg, size_t item, int worker) {
    const tiles_job *job = arg;
    size_t bi = item, rows = block_rows(job->points->m, bi), k = job->points->k;
    double *earlier = job->scratch + (size_t)worker * job->per_worker;
    memset(earlier, 0, rows * k * sizeof *earlier);
    for (size_t bj = 0; bj < bi; bj++)
        add_partial(job, rows, bj, stored_partial(job, bi, bj), earlier);
    join_halves(earlier, job->later + bi * TILE * k, rows * k);
    finish_block(job, bi, earlier);
}

/* A thread pays off only for some thousands of distances. */
static int team_threads(const dial_ctx *ctx, const silhouette_points *p) {
    int threads = dial_ctx_threads(ctx);
    return p->m * p->m * p->d < 1000000 || threads < 1 ? 1 : threads;
}

/* Each block's clusters. Errors: DIAL_ERR_NOMEM. */
static dial_status list_clusters(dial_ctx *ctx, const silhouette_points *p, size_t nb,
                                 block_clusters *blocks) {
    size_t m = p->m, k = p->k;
    blocks->local = dial_malloc_array(ctx, m, sizeof *blocks->local);
    blocks->start = dial_malloc_array(ctx, nb + 1, sizeof *blocks->start);
    blocks->lists = dial_malloc_array(ctx, m, sizeof *blocks->lists);
    size_t *seen = dial_malloc_array(ctx, 2 * k, sizeof *seen), *place = seen + k;
    if (!blocks->local || !blocks->start || !blocks->lists || !seen) {
        free(seen);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", m);
    }
    for (size_t c = 0; c < k; c++) seen[c] = SIZE_MAX;
    size_t listed = 0;
    for (size_t b = 0; b < nb; b++) {
        blocks->start[b] = listed;
        for (size_t j = b * TILE; j < b * TILE + block_rows(m, b); j++) {
            size_t c = p->cluster[j];
            if (seen[c] != b) {
                seen[c] = b;
                place[c] = listed - blocks->start[b];
                blocks->lists[listed++] = c;
            }
            blocks->local[j] = place[c];
        }
    }
    blocks->start[nb] = listed;
    free(seen);
    return DIAL_OK;
}

static void free_clusters(block_clusters *blocks) {
    free(blocks->local);
    free(blocks->start);
    free(blocks->lists);
}

dial_status dial_silhouette_tiles_score(dial_ctx *ctx, const silhouette_points *points,
                                        const double *tiles, bool read_once, double *s) {
    int threads = team_threads(ctx, points);
    size_t nb = dial_silhouette_blocks(points->m), k = points->k;
    tiles_job job = {.points = points, .nb = nb, .tiles = tiles, .s = s};
    dial_status status = list_clusters(ctx, points, nb, &job.blocks);
    if (status != DIAL_OK) return status;
    /* Reading (or computing) each tile once stores the partials of every
     * block against the blocks before it (TILE x the earlier blocks'
     * clusters, per block: 10 MiB for 4096 rows in 20 clusters, 101 MiB
     * for 20,000 in 8) and each row's later half; without them (too many,
     * or no memory) each tile is read or computed twice, with the same
     * figures. */
    job.stored_before = dial_malloc_array(ctx, nb + 1, sizeof *job.stored_before);
    if (!job.stored_before) {
        free_clusters(&job.blocks);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", points->m);
    }
    job.stored_before[0] = 0;
    for (size_t b = 0; b < nb; b++)
        job.stored_before[b + 1] = job.stored_before[b] + job.blocks.start[b];
    size_t count = TILE * job.stored_before[nb] + nb * TILE * k;
    if (read_once && count <= SILHOUETTE_PARTIALS_MAX / sizeof(double) &&
        (job.partials = dial_malloc_array(ctx, count, sizeof *job.partials)))
        job.later = job.partials + TILE * job.stored_before[nb];
    job.per_worker = 4 * SCRATCH_TILE + 2 * TILE * k;
    job.scratch = dial_malloc_array(ctx, (size_t)threads * job.per_worker, sizeof *job.scratch);
    dial_team *team = NULL;
    status = job.scratch
                 ? dial_team_start(ctx, threads, &team)
                 : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", points->m);
    if (status == DIAL_OK && job.partials) {
        dial_team_run(team, partials_item, &job, nb);
        dial_team_run(team, partials_score_item, &job, nb);
    } else if (status == DIAL_OK) {
        dial_team_run(team, score_item, &job, nb);
    }
    dial_team_stop(team);
    free(job.partials);
    free(job.stored_before);
    free(job.scratch);
    free_clusters(&job.blocks);
    return status;
}
