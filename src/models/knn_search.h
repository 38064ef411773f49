/*
 * The exact neighbour search of knn (internal to src/models/knn*.c; the
 * family's map is at the top of knn.c): the k nearest training rows of
 * every query, by brute force over tiles of transposed rows or through a
 * kd-tree, on the thread budget, each query's answered by a vote (or
 * mean) or kept as a sorted list for a prepared fold. Every search finds
 * the same neighbours, ordered by (distance, training row index).
 */
#ifndef DIAL_KNN_SEARCH_H
#define DIAL_KNN_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "dial/model.h"
#include "models/knn_compact.h"
#include "models/knn_distance.h"
#include "models/knn_kdtree.h"

typedef enum knn_weighting { KNN_UNIFORM, KNN_DISTANCE } knn_weighting;

/* A dot-product kernel: see KNN_DOTS_KERNEL. */
typedef void (*knn_dots_fn)(const double *const *q, const double *tile, size_t d, size_t nj,
                            double *dots);

typedef struct knn_search {
    knn_distance metric;
    knn_weighting weighting;
    size_t k;     /* at most n_train */
    size_t block; /* queries per block */
    const double *train, *train_y;
    size_t n_train, d;
    dial_task task;
    size_t n_classes;
    const double *queries;
    size_t n_queries;
    const knn_kdtree *tree; /* NULL: brute force */
    /* brute force over training rows kept as category codes (train is then
     * NULL), with the codes of the queries' blocks */
    const knn_compact *compact;
    const int64_t *query_codes;
    const double *tiles; /* the rows transposed tile by tile (d x KNN_TILE_STRIDE each), or NULL */
    const double *train_norms; /* ||x||^2 of each row, +inf past the last (euclidean) */
    double max_train_norm;
    knn_dots_fn dots;
    dial_predict_output out;
    /* prepare_fold: instead of predicting, keep each query's k nearest
     * (n_queries x k, nearest first) and how many it has */
    size_t *keep_index;
    double *keep_dist; /* true distances */
    size_t *keep_count;
    char *scratch; /* per worker, scratch_size bytes each */
    size_t scratch_size;
} knn_search;

/* Finds the s->k nearest training rows of every query and answers each
 * (a prediction into s->out, or the kept lists), with the search the
 * algorithm knob picks ("auto", "brute" or "kd_tree"); s is set up but
 * for the search structures, which live only during the call. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_knn_search_run(dial_ctx *ctx, const char *algorithm, knn_search *s);

/* Turns the k nearest of query i (index, nearest first) into its
 * prediction in s->out. weight holds their true distances when the
 * weighting is by distance and receives the weights (any content
 * otherwise); votes has room for s->n_classes. The one arithmetic of both
 * predict and predict_fold, so they agree to the bit. */
void dial_knn_vote(const knn_search *s, double *votes, const size_t *index, double *weight,
                   size_t k, size_t i);

#endif
