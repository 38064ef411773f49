/*
 * The brute-force search of knn by dot products (internal to
 * src/models/knn*.c; the family's map is at the top of knn.c): for
 * compressed rows (sparse input), and for the cosine metric on any rows.
 * Each query row is made dense in a vector of the inputs (a sparse one
 * scattered there), each training row's dot product with it is a pass
 * over the training row's nonzeros (or its inputs, when dense); sparse
 * queries against sparse training rows are instead searched a block of
 * queries at a time through the block's postings per input, which adds
 * only the products of inputs both rows have, in the same order (the same
 * distances to the bit, several times faster on text). The squared norms
 * are computed once:
 *   euclidean  sqrt(max(0, |q|^2 + |x|^2 - 2 q.x))   (scikit-learn's
 *              euclidean_distances computes it so too)
 *   cosine     1 - q.x / (|q| |x|), in [0, 2]; 1 when either row is all
 *              zeros (scikit-learn's cosine_distances)
 * Neighbours are ordered by (distance, training row index), as the other
 * searches order them, and answered by dial_knn_vote or kept as lists.
 */
#ifndef DIAL_KNN_DOTS_H
#define DIAL_KNN_DOTS_H

#include "models/knn_search.h"
#include "models/learned_csr.h"

/* Training rows: dense (x, n_rows x d), else compressed: the fit's
 * (csr, a prepared fold's) or a model's (rows, csr NULL). */
typedef struct knn_dot_rows {
    const double *x;
    const dial_csr *csr;
    dial_learned_csr rows;
} knn_dot_rows;

/* Finds the s->k nearest of train (s->n_train rows of s->d inputs) for
 * each query, the rows of queries_x (dense, s->n_queries x s->d) or of
 * queries (compressed, at most s->d columns; queries_x NULL), by s->metric
 * (KNN_EUCLIDEAN or KNN_COSINE), and answers them as dial_knn_search_run
 * does (a prediction into s->out, or s->keep_*), on the thread budget.
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_knn_dot_search(dial_ctx *ctx, const knn_dot_rows *train, const double *queries_x,
                                const dial_csr *queries, const knn_search *s);

#endif
