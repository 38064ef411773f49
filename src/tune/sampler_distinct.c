/*
 * Random search without repeats. Independent draws over a small finite
 * space repeat themselves early: 40 draws of k in 1..50 try only about 26
 * distinct values, and every repeat is a trial spent learning nothing. When
 * every parameter of the space takes finitely many values (integers, steps,
 * choices) and the space has at most DIAL_DISTINCT_MAX_POINTS points, the
 * random sampler instead deals the points out like a shuffled deck:
 *
 *   - the points are those the grid sampler enumerates (sampler_grid.c):
 *     the union over the active combinations of the conditions, so two
 *     points never differ only in a parameter that is inactive in both;
 *   - the order is a weighted random permutation (Efraimidis and Spirakis,
 *     Weighted random sampling with a reservoir, 2006): point p gets the
 *     key E_p / w_p, E_p an exponential draw from the seed's stream and w_p
 *     the probability an independent draw gives p (the product of its
 *     active values' probabilities, so a log scale keeps its bias towards
 *     small values), and the points are taken in ascending key order. The
 *     first sample is thus distributed exactly as an independent draw, and
 *     each next one as a draw from the points not yet dealt;
 *   - sample i takes point i of that order, and once every point has been
 *     dealt, independent draws again (sampler_random.c).
 *
 * The order depends only on the seed and the space, and a sample only on
 * its index, so the same seed gives the same trials with any --jobs, and
 * trials still running hold their points (their sample index is taken
 * when they start).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* The seed's stream of the exponential keys (distinct from the streams of
 * independent draws, which mix a name hash with the trial number). */
#define DISTINCT_STREAM UINT64_C(0x64697374696e6374) /* "distinct" */

/* A space larger than this is not enumerated to count its points even
 * when its conditions could bring the count under the limit. */
#define DISTINCT_MAX_PRODUCT (16.0 * DIAL_DISTINCT_MAX_POINTS)

typedef struct distinct_key {
    double key;
    int64_t point;
} distinct_key;

static int compare_keys(const void *a, const void *b) {
    const distinct_key *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->point > y->point) - (x->point < y->point);
}

/* Whether every parameter takes finitely many values, and the product of
 * their counts (an upper bound on the points) is small enough to list. */
static bool space_is_small(const dial_space *space) {
    double product = 1;
    for (size_t i = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        bool continuum = param->kind == DIAL_PARAM_FLOAT && !(param->step > 0) && !param->fixed &&
                         param->low != param->high;
        if (continuum) return false;
        product *= dial_grid_value_count(param, 0);
        if (!(product <= DISTINCT_MAX_PRODUCT)) return false;
    }
    return space->n > 0;
}

dial_status dial_distinct_init(dial_ctx *ctx, dial_sampler *sampler) {
    const dial_space *space = &sampler->space;
    if (!space_is_small(space)) return DIAL_OK;
    dial_grid *grid = NULL;
    dial_status status = dial_grid_create(ctx, space, 0, false, NULL, &grid);
    if (status != DIAL_OK) return status;
    int64_t size = dial_grid_size(grid);
    if (size > DIAL_DISTINCT_MAX_POINTS || size < 2) {
        dial_grid_free(grid);
        return DIAL_OK;
    }
    distinct_key *keys = dial_malloc(ctx, (size_t)size * sizeof *keys);
    int64_t *order = dial_malloc(ctx, (size_t)size * sizeof *order);
    if (!keys || !order) {
        free(keys);
        free(order);
        dial_grid_free(grid);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory ordering %lld search points",
                         (long long)size);
    }
    dial_rng rng = dial_rng_stream(sampler->seed, DISTINCT_STREAM);
    for (int64_t p = 0; p < size; p++) {
        double weight = 1;
        for (size_t i = 0; i < space->n; i++)
            if (dial_grid_active(grid, p, i))
                weight *=
                    dial_sampler_value_probability(&space->params[i], dial_grid_value(grid, p, i));
        /* 1 - u is in (0, 1], so the exponential draw is finite; a point
         * no draw can give goes last. */
        double exponential = -log(1 - dial_rng_uniform(&rng));
        keys[p] = (distinct_key){weight > 0 ? exponential / weight : INFINITY, p};
    }
    qsort(keys, (size_t)size, sizeof *keys, compare_keys);
    for (int64_t p = 0; p < size; p++) order[p] = keys[p].point;
    free(keys);
    sampler->distinct = grid;
    sampler->distinct_order = order;
    sampler->n_distinct = size;
    return DIAL_OK;
}

/* ---- model-based samplers over a finite space ------------------------------
 * On a small finite space a model's best point is often one already run
 * (40 tpe trials of knn's k in 1..50 and two weightings tried 24 distinct
 * points; the gp's second proposal on 24 integers was a repeat): a repeat
 * learns nothing. dial_sampler_propose replaces such a proposal of any
 * sampler that has a deck (tpe, gp) by the first point of the seed's deck
 * that no trial has, so the result stays a function of the seed and the
 * history. */

/* Whether two points agree in every parameter (NaN, inactive, matches NaN). */
static bool same_point(const double *a, const double *b, size_t d) {
    for (size_t i = 0; i < d; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) return false;
    return true;
}

static bool history_has(const dial_sampler_history *history, const double *point, size_t d) {
    for (size_t t = 0; t < history->n; t++)
        if (same_point(history->trials[t].x, point, d)) return true;
    return false;
}

dial_status dial_distinct_replace_repeat(dial_ctx *ctx, const dial_sampler *sampler,
                                         const dial_sampler_history *history, double *point) {
    const dial_space *space = &sampler->space;
    size_t d = space->n;
    if (!sampler->distinct || !history_has(history, point, d)) return DIAL_OK;
    double *scratch = dial_malloc_array(ctx, d + 1, sizeof *scratch);
    if (!scratch) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a trial");
    for (int64_t k = 0; k < sampler->n_distinct; k++) {
        int64_t p = sampler->distinct_order[k];
        for (size_t i = 0; i < d; i++)
            scratch[i] = dial_grid_active(sampler->distinct, p, i)
                             ? dial_grid_value(sampler->distinct, p, i)
                             : NAN;
        if (!history_has(history, scratch, d)) {
            for (size_t i = 0; i < d; i++) point[i] = scratch[i];
            break;
        }
    }
    /* when every point has been run, the repeat stands */
    free(scratch);
    return DIAL_OK;
}

void dial_distinct_free(dial_sampler *sampler) {
    dial_grid_free(sampler->distinct);
    free(sampler->distinct_order);
}
