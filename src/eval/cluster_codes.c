/*
 * Cluster labels as codes 0 .. k-1 (eval/cluster_metrics.h): a clustering
 * may leave a cluster empty on some rows (cluster 2 of 0, 1, 2, 3 absent
 * from a fold's test rows), and the metrics count the clusters present,
 * as scikit-learn does after its LabelEncoder. dbscan's noise (-1) is
 * one more group, as scikit-learn counts it.
 */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "eval/cluster_metrics.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

dial_status dial_eval_cluster_codes(dial_ctx *ctx, const char *metric, const char *what,
                                    const double *labels, size_t n, size_t *codes, size_t *k) {
    for (size_t i = 0; i < n; i++) {
        double label = labels[i];
        if (!(label >= -1) || label != floor(label) || isinf(label))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "metric '%s': %s[%zu] = %g is not a cluster index: must be an "
                             "integer >= 0, or -1 for noise",
                             metric, what, i, label);
    }
    double *sorted = dial_malloc_array(ctx, n ? n : 1, sizeof *sorted);
    if (!sorted) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    for (size_t i = 0; i < n; i++) sorted[i] = labels[i];
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (distinct == 0 || sorted[i] != sorted[distinct - 1]) sorted[distinct++] = sorted[i];
    for (size_t i = 0; i < n; i++) {
        const double *at = bsearch(&labels[i], sorted, distinct, sizeof *sorted, compare_doubles);
        codes[i] = (size_t)(at - sorted);
    }
    free(sorted);
    *k = distinct;
    return DIAL_OK;
}
