/*
 * Building the kd-tree of the knn search (internal to src/models/knn*.c;
 * the family's map is at the top of knn.c).
 *
 * Median splits on the dimension of largest spread, a bounding box per node.
 * The box's distance to a query is the reduced distance to the query clamped
 * into the box, computed by the same function as a row's: rounding is
 * monotonic, so it never exceeds the distance of a row inside the box and
 * pruning never loses a neighbour.
 */
#include "core/alloc.h"
#include "models/kd_select.h"
#include "models/knn_kdtree.h"

#include <stdlib.h>
#include <string.h>

void dial_knn_kdtree_free(knn_kdtree *tree) {
    free(tree->nodes);
    free(tree->lo);
    free(tree->hi);
    free(tree->points);
    free(tree->order);
}

/* Adds the node of rows order[start .. end) and its subtree; returns its
 * index, or (size_t)-1 when out of memory. */
static size_t knn_kd_build(const dial_ctx *ctx, knn_kdtree *tree, const double *x, size_t d,
                           size_t start, size_t end, size_t depth) {
    if (tree->n_nodes == tree->capacity) {
        size_t capacity = tree->capacity ? 2 * tree->capacity : 64;
        knn_kdnode *nodes = dial_realloc(ctx, tree->nodes, capacity * sizeof *nodes);
        if (nodes) tree->nodes = nodes;
        double *lo = dial_realloc(ctx, tree->lo, capacity * d * sizeof *lo);
        if (lo) tree->lo = lo;
        double *hi = dial_realloc(ctx, tree->hi, capacity * d * sizeof *hi);
        if (hi) tree->hi = hi;
        if (!nodes || !lo || !hi) return (size_t)-1;
        tree->capacity = capacity;
    }
    size_t node = tree->n_nodes++;
    if (depth > tree->depth) tree->depth = depth;
    double *lo = tree->lo + node * d, *hi = tree->hi + node * d;
    for (size_t t = 0; t < d; t++) lo[t] = hi[t] = x[tree->order[start] * d + t];
    for (size_t i = start + 1; i < end; i++) {
        const double *row = x + tree->order[i] * d;
        for (size_t t = 0; t < d; t++) {
            if (row[t] < lo[t]) lo[t] = row[t];
            if (row[t] > hi[t]) hi[t] = row[t];
        }
    }
    size_t dim = 0;
    double spread = -1;
    for (size_t t = 0; t < d; t++)
        if (hi[t] - lo[t] > spread) spread = hi[t] - lo[t], dim = t;
    tree->nodes[node] = (knn_kdnode){start, end, 0, 0};
    if (end - start <= KNN_LEAF_SIZE || spread <= 0) return node;

    size_t mid = start + (end - start) / 2;
    dial_kd_select(x, d, dim, tree->order, start, end, mid);
    size_t left = knn_kd_build(ctx, tree, x, d, start, mid, depth + 1);
    if (left == (size_t)-1) return left;
    size_t right = knn_kd_build(ctx, tree, x, d, mid, end, depth + 1);
    if (right == (size_t)-1) return right;
    tree->nodes[node].left = left;
    tree->nodes[node].right = right;
    return node;
}

dial_status dial_knn_kdtree_build(dial_ctx *ctx, const double *x, size_t n, size_t d,
                                  knn_kdtree *tree) {
    memset(tree, 0, sizeof *tree);
    tree->order = dial_malloc(ctx, n * sizeof *tree->order);
    tree->points = dial_malloc(ctx, n * d * sizeof *tree->points);
    if (!tree->order || !tree->points) goto nomem;
    for (size_t i = 0; i < n; i++) tree->order[i] = i;
    if (knn_kd_build(ctx, tree, x, d, 0, n, 0) == (size_t)-1) goto nomem;
    for (size_t i = 0; i < n; i++)
        memcpy(tree->points + i * d, x + tree->order[i] * d, d * sizeof(double));
    return DIAL_OK;
nomem:
    dial_knn_kdtree_free(tree);
    return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory building a kd-tree of %zu rows", n);
}
