/*
 * Preprocessing of sparse data (a dataset with data->sparse): what
 * preprocess.c does for dense columns, on compressed rows.
 *
 * Sparse data keeps its zeros: nothing is centred (centring makes every
 * absent entry a nonzero), so of the scalings only none and maxabs (each
 * column divided by its largest |value|, as scikit-learn's MaxAbsScaler)
 * are taken, and no value can be missing (the dataset refuses NaN), so
 * nothing is imputed. The tensors are those of the dense path (a centre of
 * zeros and a scale), so a loaded model transforms as the fitted one, and
 * a dense matrix made from sparse rows is, to the bit, the sparse one made
 * dense.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "data/preprocess.h"

#define PREPROCESS_CENTER "preprocess.center"
#define PREPROCESS_SCALE "preprocess.scale"

/* For each compressed column of data, the design-matrix input it feeds
 * (SIZE_MAX: none, a column the model does not know). *map is malloc'ed. */
static dial_status column_map(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                              const dial_dataset *data, size_t **map) {
    const dial_csr *m = data->sparse;
    *map = dial_malloc_array(ctx, m->n_cols ? m->n_cols : 1, sizeof **map);
    if (!*map) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory mapping sparse columns");
    for (size_t c = 0; c < m->n_cols; c++) (*map)[c] = SIZE_MAX;
    for (size_t j = 0; j < n_features; j++) {
        if (features[j].type != DIAL_COLUMN_NUMERIC) {
            free(*map);
            *map = NULL;
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "feature '%s' is categorical in the model but the data is sparse (a "
                             "LIBSVM file), whose features are numbers",
                             features[j].name);
        }
        size_t c = dial_csr_feature_column(data, j);
        if (c != SIZE_MAX) (*map)[c] = j; /* numeric only: feature j is input j */
    }
    return DIAL_OK;
}

dial_status dial_preprocess_expand_sparse(dial_ctx *ctx, const dial_feature *features,
                                          size_t n_features, const dial_view *view, double *x,
                                          size_t n_inputs) {
    size_t *map = NULL;
    dial_status status = column_map(ctx, features, n_features, view->data, &map);
    if (status != DIAL_OK) return status;
    const dial_csr *m = view->data->sparse;
    for (size_t i = 0; i < view->n; i++) {
        size_t row = dial_view_row(view, i);
        double *out = &x[i * n_inputs];
        memset(out, 0, n_inputs * sizeof *out);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
            if (map[m->col[k]] != SIZE_MAX) out[map[m->col[k]]] = m->value[k];
    }
    free(map);
    return DIAL_OK;
}

dial_status dial_preprocess_fit_sparse(dial_ctx *ctx, dial_scale scale,
                                       const dial_feature *features, size_t n_features,
                                       const dial_view *train, dial_tensors *learned) {
    if (scale == DIAL_SCALE_STANDARD || scale == DIAL_SCALE_MINMAX)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "scale=%s centres the features, which would make sparse data dense; use "
                         "scale=maxabs (each feature divided by its largest |value|) or "
                         "scale=none, the default for sparse data",
                         scale == DIAL_SCALE_STANDARD ? "standard" : "minmax");
    if (scale != DIAL_SCALE_MAXABS) return DIAL_OK;
    size_t *map = NULL;
    dial_status status = column_map(ctx, features, n_features, train->data, &map);
    if (status != DIAL_OK) return status;
    size_t shape[1] = {n_features};
    double *center = NULL, *spread = NULL;
    status =
        dial_tensors_add(ctx, learned, PREPROCESS_CENTER, DIAL_F64, 1, shape, (void **)&center);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, PREPROCESS_SCALE, DIAL_F64, 1, shape, (void **)&spread);
    if (status != DIAL_OK) {
        free(map);
        return status;
    }
    const dial_csr *m = train->data->sparse;
    for (size_t j = 0; j < n_features; j++) center[j] = spread[j] = 0;
    for (size_t i = 0; i < train->n; i++) {
        size_t row = dial_view_row(train, i);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
            size_t j = map[m->col[k]];
            if (j != SIZE_MAX && fabs(m->value[k]) > spread[j]) spread[j] = fabs(m->value[k]);
        }
    }
    for (size_t j = 0; j < n_features; j++)
        if (spread[j] == 0) spread[j] = 1; /* a column of zeros stays zeros */
    free(map);
    return DIAL_OK;
}

/* Sorts one row's entries by column (a feature order other than the
 * file's); rows are short, insertion sort is enough. */
static void sort_row(uint32_t *col, double *value, size_t n) {
    for (size_t a = 1; a < n; a++) {
        uint32_t c = col[a];
        double v = value[a];
        size_t b = a;
        for (; b > 0 && col[b - 1] > c; b--) {
            col[b] = col[b - 1];
            value[b] = value[b - 1];
        }
        col[b] = c;
        value[b] = v;
    }
}

dial_status dial_preprocess_transform_sparse(dial_ctx *ctx, const dial_feature *features,
                                             size_t n_features, const double *center,
                                             const double *spread, const dial_view *rows,
                                             dial_csr **out) {
    *out = NULL;
    for (size_t j = 0; center && j < n_features; j++)
        if (center[j] != 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "tensor '%s' centres input %zu by %g: sparse data is never centred",
                             PREPROCESS_CENTER, j, center[j]);
    size_t *map = NULL;
    dial_status status = column_map(ctx, features, n_features, rows->data, &map);
    if (status != DIAL_OK) return status;
    const dial_csr *m = rows->data->sparse;
    size_t nnz = 0;
    for (size_t i = 0; i < rows->n; i++) {
        size_t row = dial_view_row(rows, i);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
            nnz += map[m->col[k]] != SIZE_MAX;
    }
    dial_csr *x = dial_csr_alloc(ctx, rows->n, n_features, nnz);
    if (!x) {
        free(map);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory gathering %zu sparse rows", rows->n);
    }
    size_t at = 0;
    for (size_t i = 0; i < rows->n; i++) {
        size_t row = dial_view_row(rows, i), first = at;
        bool sorted = true;
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
            size_t j = map[m->col[k]];
            if (j == SIZE_MAX) continue;
            /* The arithmetic of the dense transform, (v - 0) / scale. */
            x->value[at] = spread ? (m->value[k] - 0.0) / spread[j] : m->value[k];
            x->col[at] = (uint32_t)j;
            if (at > first && x->col[at - 1] > x->col[at]) sorted = false;
            at++;
        }
        if (!sorted) sort_row(&x->col[first], &x->value[first], at - first);
        x->row_start[i + 1] = at;
    }
    free(map);
    *out = x;
    return DIAL_OK;
}
