/*
 * The kd-tree of the knn search (internal to src/models/knn*.c), built
 * inside predict from the stored rows, so that a loaded model predicts
 * exactly as the fitted one. Median splits on the dimension of largest
 * spread, a bounding box per node; knn_search.c walks it.
 */
#ifndef DIAL_KNN_KDTREE_H
#define DIAL_KNN_KDTREE_H

#include <stddef.h>

#include "dial/core.h"

/* Rows of a leaf at most (a node with rows of one value is a leaf too). */
enum { KNN_LEAF_SIZE = 24 };

typedef struct knn_kdnode {
    size_t start, end;  /* rows order[start .. end) */
    size_t left, right; /* children; 0 for a leaf (the root is never a child) */
} knn_kdnode;

typedef struct knn_kdtree {
    size_t n_nodes, capacity, depth;
    knn_kdnode *nodes;
    double *lo, *hi; /* n_nodes x d boxes */
    double *points;  /* the rows in tree order, n x d */
    size_t *order;   /* training index of each row in tree order */
} knn_kdtree;

/* Builds the tree of the n rows of x (n x d, row-major) into tree, which
 * owns copies of them (the caller frees it with dial_knn_kdtree_free).
 * Errors: DIAL_ERR_NOMEM (tree is then left empty). */
dial_status dial_knn_kdtree_build(dial_ctx *ctx, const double *x, size_t n, size_t d,
                                  knn_kdtree *tree);

/* Frees what the tree holds (not the tree itself). */
void dial_knn_kdtree_free(knn_kdtree *tree);

#endif
