/*
 * DBSCAN's kd-tree and its radius searches (internal to
 * src/models/dbscan*.c; the family's map is at the top of dbscan.c).
 *
 * Median splits on the dimension of largest spread, a bounding box per
 * node. Each search prunes a node whose box is farther than the radius
 * from the query, and takes a node whose box lies wholly within it without
 * a distance per row: in a dense cluster most of a neighbourhood is such
 * nodes, which is where the speed over listing neighbours comes from.
 *
 * Both box distances are computed per coordinate as |q - c| for a c in the
 * box (the nearest or the farthest), summed in the same order as a row's
 * distance: floating-point subtraction, squaring and addition are
 * monotonic, so the nearest box distance never exceeds a row's and the
 * farthest never falls below one. A box taken whole therefore holds only
 * rows a row-by-row test would have taken, and the labels stay exactly
 * those of the brute-force search (and of scikit-learn).
 */
#include "models/dbscan_tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kd_select.h"

/* Rows of a leaf at most (a node with rows of one value is a leaf too). */
enum { DBSCAN_LEAF_SIZE = 16 };

void dial_dbscan_tree_free(dbscan_tree *tree) {
    free(tree->nodes);
    free(tree->lo);
    free(tree->hi);
    free(tree->points);
    free(tree->order);
    free(tree->core);
    free(tree->label);
    free(tree->n_core);
    free(tree->joined);
    free(tree->lowest);
    free(tree->parent);
    memset(tree, 0, sizeof *tree);
}

double dial_dbscan_reduced(const double *a, const double *b, size_t d, bool manhattan) {
    double sum = 0;
    if (manhattan) {
        for (size_t j = 0; j < d; j++) sum += fabs(a[j] - b[j]);
        return sum;
    }
    for (size_t j = 0; j < d; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sum;
}

/* Reduced distance from q to the nearest point of the node's box; stops
 * early once past r (the sum only grows). */
static double dbscan_box_near(const dbscan_tree *t, size_t node, const double *q, double r) {
    const double *lo = t->lo + node * t->d, *hi = t->hi + node * t->d;
    double sum = 0;
    for (size_t j = 0; j < t->d && sum <= r; j++) {
        double c = q[j] < lo[j] ? lo[j] : q[j] > hi[j] ? hi[j] : q[j];
        double g = q[j] - c;
        sum += t->manhattan ? fabs(g) : g * g;
    }
    return sum;
}

/* Reduced distance from q to the farthest corner of the node's box. */
static double dbscan_box_far(const dbscan_tree *t, size_t node, const double *q, double r) {
    const double *lo = t->lo + node * t->d, *hi = t->hi + node * t->d;
    double sum = 0;
    for (size_t j = 0; j < t->d && sum <= r; j++) {
        double a = fabs(q[j] - lo[j]), b = fabs(q[j] - hi[j]);
        double g = a > b ? a : b;
        sum += t->manhattan ? g : g * g;
    }
    return sum;
}

/* Adds the node of rows order[start .. end) and its subtree; returns its
 * index, or SIZE_MAX when out of memory. */
static size_t dbscan_build(const dial_ctx *ctx, dbscan_tree *t, const double *x, size_t start,
                           size_t end) {
    size_t d = t->d;
    if (t->n_nodes == t->capacity) {
        size_t capacity = t->capacity ? 2 * t->capacity : 64;
        dbscan_node *nodes = dial_realloc_array(ctx, t->nodes, capacity, sizeof *nodes);
        if (nodes) t->nodes = nodes;
        double *lo = dial_realloc_array(ctx, t->lo, capacity * d, sizeof *lo);
        if (lo) t->lo = lo;
        double *hi = dial_realloc_array(ctx, t->hi, capacity * d, sizeof *hi);
        if (hi) t->hi = hi;
        if (!nodes || !lo || !hi) return SIZE_MAX;
        t->capacity = capacity;
    }
    size_t node = t->n_nodes++;
    double *lo = t->lo + node * d, *hi = t->hi + node * d;
    for (size_t j = 0; j < d; j++) lo[j] = hi[j] = x[t->order[start] * d + j];
    for (size_t i = start + 1; i < end; i++) {
        const double *row = x + t->order[i] * d;
        for (size_t j = 0; j < d; j++) {
            if (row[j] < lo[j]) lo[j] = row[j];
            if (row[j] > hi[j]) hi[j] = row[j];
        }
    }
    size_t dim = 0;
    double spread = -1;
    for (size_t j = 0; j < d; j++)
        if (hi[j] - lo[j] > spread) spread = hi[j] - lo[j], dim = j;
    t->nodes[node] = (dbscan_node){start, end, 0, 0};
    if (end - start <= DBSCAN_LEAF_SIZE || spread <= 0) return node;
    size_t mid = start + (end - start) / 2;
    dial_kd_select(x, d, dim, t->order, start, end, mid);
    size_t left = dbscan_build(ctx, t, x, start, mid);
    if (left == SIZE_MAX) return left;
    size_t right = dbscan_build(ctx, t, x, mid, end);
    if (right == SIZE_MAX) return right;
    t->nodes[node].left = left;
    t->nodes[node].right = right;
    return node;
}

dial_status dial_dbscan_tree_build(dial_ctx *ctx, const double *x, size_t n, size_t d,
                                   bool manhattan, dbscan_tree *tree) {
    memset(tree, 0, sizeof *tree);
    tree->n = n;
    tree->d = d;
    tree->manhattan = manhattan;
    size_t rows = n ? n : 1;
    tree->order = dial_malloc_array(ctx, rows, sizeof *tree->order);
    tree->points = dial_malloc_array(ctx, rows * (d ? d : 1), sizeof *tree->points);
    tree->core = dial_calloc(ctx, rows, sizeof *tree->core);
    tree->label = dial_malloc_array(ctx, rows, sizeof *tree->label);
    tree->parent = dial_malloc_array(ctx, rows, sizeof *tree->parent);
    if (!tree->order || !tree->points || !tree->core || !tree->label || !tree->parent) goto nomem;
    for (size_t i = 0; i < n; i++) {
        tree->order[i] = i;
        tree->label[i] = DBSCAN_NO_LABEL;
        tree->parent[i] = i;
    }
    if (n && dbscan_build(ctx, tree, x, 0, n) == SIZE_MAX) goto nomem;
    size_t nodes = tree->n_nodes ? tree->n_nodes : 1;
    tree->n_core = dial_calloc(ctx, nodes, sizeof *tree->n_core);
    tree->joined = dial_malloc_array(ctx, nodes, sizeof *tree->joined);
    tree->lowest = dial_malloc_array(ctx, nodes, sizeof *tree->lowest);
    if (!tree->n_core || !tree->joined || !tree->lowest) goto nomem;
    for (size_t k = 0; k < tree->n_nodes; k++) {
        tree->joined[k] = SIZE_MAX;
        tree->lowest[k] = DBSCAN_NO_LABEL;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(tree->points + i * d, x + tree->order[i] * d, d * sizeof(double));
    return DIAL_OK;
nomem:
    dial_dbscan_tree_free(tree);
    return dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory building a kd-tree of %zu rows",
                     n);
}

/* The node's box is within r of q (the caller checked). The nearer child
 * is counted first, so that a row's count reaches enough soon. While the
 * count is under enough, found (when not NULL) receives the rows. */
static size_t dbscan_count(const dbscan_tree *t, size_t node, const double *q, double r,
                           size_t count, size_t enough, size_t *found) {
    const dbscan_node *nd = &t->nodes[node];
    if (dbscan_box_far(t, node, q, r) <= r) {
        size_t size = nd->end - nd->start;
        if (found && count + size < enough)
            for (size_t p = nd->start; p < nd->end; p++) found[count++] = p;
        else
            count += size;
        return count;
    }
    if (!nd->left) {
        for (size_t p = nd->start; p < nd->end && count < enough; p++) {
            if (dial_dbscan_reduced(q, t->points + p * t->d, t->d, t->manhattan) > r) continue;
            if (found && count + 1 < enough) found[count] = p;
            count++;
        }
        return count;
    }
    double near_left = dbscan_box_near(t, nd->left, q, r);
    double near_right = dbscan_box_near(t, nd->right, q, r);
    size_t first = near_left <= near_right ? nd->left : nd->right;
    size_t second = first == nd->left ? nd->right : nd->left;
    double near_second = first == nd->left ? near_right : near_left;
    if ((first == nd->left ? near_left : near_right) <= r)
        count = dbscan_count(t, first, q, r, count, enough, found);
    if (count < enough && near_second <= r)
        count = dbscan_count(t, second, q, r, count, enough, found);
    return count;
}

size_t dial_dbscan_tree_count(const dbscan_tree *tree, const double *q, double r, size_t enough,
                              size_t *found) {
    if (!tree->n_nodes || dbscan_box_near(tree, 0, q, r) > r) return 0;
    return dbscan_count(tree, 0, q, r, 0, enough, found);
}

void dial_dbscan_tree_sum_core(dbscan_tree *tree) {
    /* pre-order: every child comes after its parent, so backwards sums up */
    for (size_t k = tree->n_nodes; k-- > 0;) {
        const dbscan_node *nd = &tree->nodes[k];
        if (nd->left) {
            tree->n_core[k] = tree->n_core[nd->left] + tree->n_core[nd->right];
            continue;
        }
        tree->n_core[k] = 0;
        for (size_t p = nd->start; p < nd->end; p++) tree->n_core[k] += tree->core[p];
    }
}

size_t dial_dbscan_tree_find(dbscan_tree *tree, size_t at) {
    size_t *parent = tree->parent;
    while (parent[at] != at) {
        parent[at] = parent[parent[at]]; /* path halving */
        at = parent[at];
    }
    return at;
}

/* The lower root becomes the parent, so the result does not depend on the
 * order the pairs come in (only the sets matter, but this keeps it tidy). */
static void dbscan_union(dbscan_tree *t, size_t a, size_t b) {
    a = dial_dbscan_tree_find(t, a);
    b = dial_dbscan_tree_find(t, b);
    if (a < b)
        t->parent[b] = a;
    else if (b < a)
        t->parent[a] = b;
}

/* Whether every core row under the node is already in at's set: then
 * joining at with them changes nothing, and the node is skipped whole. */
static bool dbscan_joined_with(dbscan_tree *t, size_t node, size_t at) {
    return t->joined[node] != SIZE_MAX &&
           dial_dbscan_tree_find(t, t->joined[node]) == dial_dbscan_tree_find(t, at);
}

/* After a visit: when the core rows under the node have come to share one
 * set, remembers one of them (sets only ever merge, so it stays true). */
static void dbscan_note_joined(dbscan_tree *t, size_t node) {
    const dbscan_node *nd = &t->nodes[node];
    size_t first = SIZE_MAX;
    if (nd->left) {
        size_t a = t->n_core[nd->left] ? t->joined[nd->left] : SIZE_MAX;
        size_t b = t->n_core[nd->right] ? t->joined[nd->right] : SIZE_MAX;
        if (!t->n_core[nd->left])
            t->joined[node] = b;
        else if (!t->n_core[nd->right])
            t->joined[node] = a;
        else if (a != SIZE_MAX && b != SIZE_MAX &&
                 dial_dbscan_tree_find(t, a) == dial_dbscan_tree_find(t, b))
            t->joined[node] = a;
        return;
    }
    for (size_t p = nd->start; p < nd->end; p++) {
        if (!t->core[p]) continue;
        if (first == SIZE_MAX)
            first = p;
        else if (dial_dbscan_tree_find(t, p) != dial_dbscan_tree_find(t, first))
            return;
    }
    t->joined[node] = first;
}

static void dbscan_join(dbscan_tree *t, size_t node, size_t at, double r) {
    const dbscan_node *nd = &t->nodes[node];
    /* A pair with both rows before at was joined by the lower row's call. */
    if (t->n_core[node] == 0 || nd->end <= at || dbscan_joined_with(t, node, at)) return;
    const double *q = t->points + at * t->d;
    if (dbscan_box_near(t, node, q, r) > r) return;
    if (dbscan_box_far(t, node, q, r) <= r) {
        /* Every core row under the node is within r of at: once they are
         * all joined to one row, joining that one row is enough. */
        if (t->joined[node] == SIZE_MAX) {
            for (size_t p = nd->start; p < nd->end; p++)
                if (t->core[p]) dbscan_union(t, at, p);
            t->joined[node] = at;
        } else {
            dbscan_union(t, at, t->joined[node]);
        }
        return;
    }
    if (nd->left) {
        dbscan_join(t, nd->left, at, r);
        dbscan_join(t, nd->right, at, r);
    } else {
        for (size_t p = nd->start > at ? nd->start : at + 1; p < nd->end; p++)
            if (t->core[p] && dial_dbscan_reduced(q, t->points + p * t->d, t->d, t->manhattan) <= r)
                dbscan_union(t, at, p);
    }
    if (t->joined[node] == SIZE_MAX) dbscan_note_joined(t, node);
}

void dial_dbscan_tree_join(dbscan_tree *tree, size_t at, double r) {
    if (tree->n_nodes) dbscan_join(tree, 0, at, r);
}

void dial_dbscan_tree_sum_labels(dbscan_tree *tree) {
    for (size_t k = tree->n_nodes; k-- > 0;) {
        const dbscan_node *nd = &tree->nodes[k];
        int64_t lowest = DBSCAN_NO_LABEL;
        if (nd->left) {
            lowest = tree->lowest[nd->left];
            if (tree->lowest[nd->right] < lowest) lowest = tree->lowest[nd->right];
        } else {
            for (size_t p = nd->start; p < nd->end; p++)
                if (tree->label[p] < lowest) lowest = tree->label[p];
        }
        tree->lowest[k] = lowest;
    }
}

static int64_t dbscan_lowest(const dbscan_tree *t, size_t node, const double *q, double r,
                             int64_t best) {
    const dbscan_node *nd = &t->nodes[node];
    if (t->lowest[node] >= best || dbscan_box_near(t, node, q, r) > r) return best;
    if (dbscan_box_far(t, node, q, r) <= r) return t->lowest[node];
    if (nd->left) {
        best = dbscan_lowest(t, nd->left, q, r, best);
        return dbscan_lowest(t, nd->right, q, r, best);
    }
    for (size_t p = nd->start; p < nd->end; p++)
        if (t->label[p] < best &&
            dial_dbscan_reduced(q, t->points + p * t->d, t->d, t->manhattan) <= r)
            best = t->label[p];
    return best;
}

int64_t dial_dbscan_tree_lowest_label(const dbscan_tree *tree, const double *q, double r) {
    return tree->n_nodes ? dbscan_lowest(tree, 0, q, r, DBSCAN_NO_LABEL) : DBSCAN_NO_LABEL;
}
