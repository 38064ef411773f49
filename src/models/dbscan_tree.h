/*
 * The radius searches of DBSCAN (internal to src/models/dbscan*.c): a
 * kd-tree over the rows and the three questions DBSCAN asks of it, each
 * answered without listing a core row's neighbours, so that memory stays
 * linear in the rows however dense they are (scikit-learn keeps every
 * neighbourhood; at 100,000 rows in tight blobs that is gigabytes).
 *
 * Radii are reduced distances: the squared distance for euclidean (as
 * scikit-learn's kd-tree compares them: sum of squares <= eps^2), the
 * distance itself for manhattan.
 */
#ifndef DIAL_DBSCAN_TREE_H
#define DIAL_DBSCAN_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial/core.h"

/* No cluster: the label of a row that is not a core row, and the answer of
 * dial_dbscan_tree_lowest_label when no core row is within the radius. */
#define DBSCAN_NO_LABEL INT64_MAX

typedef struct dbscan_node {
    size_t start, end;  /* rows at tree positions start .. end */
    size_t left, right; /* children; 0 for a leaf (the root is never a child) */
} dbscan_node;

typedef struct dbscan_tree {
    size_t n, d, n_nodes, capacity;
    bool manhattan;
    dbscan_node *nodes; /* in pre-order: a parent before its children */
    double *lo, *hi;    /* n_nodes x d bounding boxes */
    double *points;     /* the rows in tree order, n x d */
    size_t *order;      /* the caller's index of each tree position */
    /* Filled by the caller, per tree position, before the searches that
     * read them: */
    bool *core;     /* is the row a core row (for join and lowest_label) */
    int64_t *label; /* its cluster, DBSCAN_NO_LABEL if none (for lowest_label) */
    /* Per node, kept by the searches: */
    size_t *n_core;  /* core rows under the node (dial_dbscan_tree_sum_core) */
    size_t *joined;  /* a core row every core row under it is joined to, or SIZE_MAX */
    int64_t *lowest; /* the lowest label under it (dial_dbscan_tree_sum_labels) */
    size_t *parent;  /* union-find over tree positions (join) */
} dbscan_tree;

/* Builds the tree of the n rows of x (n x d, row-major), copying them; the
 * per-row and per-node arrays are allocated too, core all false, every
 * label DBSCAN_NO_LABEL, every row its own set. The caller frees it with
 * dial_dbscan_tree_free. Errors: DIAL_ERR_NOMEM (tree then left empty). */
dial_status dial_dbscan_tree_build(dial_ctx *ctx, const double *x, size_t n, size_t d,
                                   bool manhattan, dbscan_tree *tree);

/* Frees what the tree holds (not the tree itself); harmless on an empty one. */
void dial_dbscan_tree_free(dbscan_tree *tree);

/* Reduced distance between two rows of d values. */
double dial_dbscan_reduced(const double *a, const double *b, size_t d, bool manhattan);

/* How many rows lie within the reduced radius r of q, counting no further
 * than enough (a row is core once enough are found). found (NULL: not
 * wanted) has room for enough - 1 tree positions: when the count is under
 * enough, it holds the positions of all those rows (a row that is not core
 * has them listed without a second search). */
size_t dial_dbscan_tree_count(const dbscan_tree *tree, const double *q, double r, size_t enough,
                              size_t *found);

/* Recounts n_core per node from core; call once core is final. */
void dial_dbscan_tree_sum_core(dbscan_tree *tree);

/* Joins the core row at tree position at with every core row within r of
 * it, in the union-find over positions (skipping pairs the other row's own
 * call has joined: call it for every core row). */
void dial_dbscan_tree_join(dbscan_tree *tree, size_t at, double r);

/* The set (a tree position) the row at tree position at belongs to. */
size_t dial_dbscan_tree_find(dbscan_tree *tree, size_t at);

/* Recomputes lowest per node from label; call once label is final. */
void dial_dbscan_tree_sum_labels(dbscan_tree *tree);

/* The lowest label of a core row within r of q, DBSCAN_NO_LABEL if none:
 * scikit-learn's label of a border row (the first cluster to reach it,
 * clusters growing in the order of their numbers). */
int64_t dial_dbscan_tree_lowest_label(const dbscan_tree *tree, const double *q, double r);

#endif
