/*
 * Preprocessing of sparse data (a dataset with data->sparse): what
 * preprocess.c does for dense columns, on compressed rows.
 *
 * Sparse data is a LIBSVM file (numbers, one compressed column a feature)
 * or a CSV table made sparse (src/data/table_sparse.c: a categorical
 * feature's levels one-hot encoded in a block of columns, matched to the
 * model's levels by name, as preprocess.c matches them on dense data).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "data/preprocess.h"

#define PREPROCESS_CENTER "preprocess.center"
#define PREPROCESS_SCALE "preprocess.scale"

/* What a compressed column of the data feeds: a design-matrix input, or
 * one of these. */
#define COLUMN_UNUSED SIZE_MAX       /* no feature's: the target, an ignored column */
#define COLUMN_UNSEEN (SIZE_MAX - 1) /* a level the model never saw: all zeros */

typedef struct level_key {
    const char *name;
    size_t index;
} level_key;

static int compare_level_keys(const void *a, const void *b) {
    return strcmp(((const level_key *)a)->name, ((const level_key *)b)->name);
}

/* Maps the one-hot block of a CSV column (its levels, in the data's order)
 * to the inputs of a categorical feature (the model's levels), by name:
 * another file lists its levels in another order, and may have levels the
 * model never saw. */
static dial_status map_levels(dial_ctx *ctx, const dial_feature *feature, const dial_column *col,
                              size_t first, size_t offset, size_t *map) {
    if (col->type != DIAL_COLUMN_CATEGORICAL)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "feature '%s' is categorical in the model but numeric in the data: read "
                         "sparse, its numbers cannot be matched to the model's levels",
                         feature->name);
    if (col->levels == feature->levels) { /* the training data's own schema */
        for (size_t l = 0; l < col->n_levels; l++) map[first + l] = offset + l;
        return DIAL_OK;
    }
    size_t n = feature->n_levels;
    level_key *keys = dial_malloc_array(ctx, n ? n : 1, sizeof *keys);
    if (!keys) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory matching levels");
    for (size_t l = 0; l < n; l++) keys[l] = (level_key){feature->levels[l], l};
    qsort(keys, n, sizeof *keys, compare_level_keys);
    for (size_t l = 0; l < col->n_levels; l++) {
        level_key key = {.name = col->levels[l]};
        const level_key *hit = bsearch(&key, keys, n, sizeof *keys, compare_level_keys);
        map[first + l] = hit ? offset + hit->index : COLUMN_UNSEEN;
    }
    free(keys);
    return DIAL_OK;
}

/* For each compressed column of data, the design-matrix input it feeds, or
 * COLUMN_UNUSED, COLUMN_UNSEEN. *map is malloc'ed. A LIBSVM table's
 * features are numbers, one column each; a CSV table made sparse gives
 * each feature its block (table->sparse_first). */
static dial_status column_map(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                              const dial_dataset *data, size_t **map) {
    const dial_csr *m = data->sparse;
    const size_t *block = data->table ? data->table->sparse_first : NULL;
    *map = dial_malloc_array(ctx, m->n_cols ? m->n_cols : 1, sizeof **map);
    if (!*map) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory mapping sparse columns");
    for (size_t c = 0; c < m->n_cols; c++) (*map)[c] = COLUMN_UNUSED;
    dial_status status = DIAL_OK;
    size_t offset = 0;
    for (size_t j = 0; j < n_features && status == DIAL_OK; j++) {
        const dial_feature *feature = &features[j];
        bool categorical = feature->type == DIAL_COLUMN_CATEGORICAL;
        const dial_column *col = data->features[j];
        size_t c = dial_csr_feature_column(data, j);
        if (!block && categorical)
            status = dial_fail(ctx, DIAL_ERR_DATA,
                               "feature '%s' is categorical in the model but the data is sparse "
                               "(a LIBSVM file), whose features are numbers",
                               feature->name);
        else if (block && !categorical && col && col->type == DIAL_COLUMN_CATEGORICAL)
            status = dial_fail(ctx, DIAL_ERR_DATA,
                               "feature '%s' is categorical (text) in the data but numeric in the "
                               "model",
                               feature->name);
        else if (categorical && c != SIZE_MAX)
            status = map_levels(ctx, feature, col, c, offset, *map);
        else if (c != SIZE_MAX)
            (*map)[c] = offset;
        offset += categorical ? feature->n_levels : 1;
    }
    if (status != DIAL_OK) {
        free(*map);
        *map = NULL;
    }
    return status;
}

/* The warning of dial_model_predict for levels a model never saw, which
 * the dense path counts and this one says itself. */
static void warn_unseen(dial_ctx *ctx, size_t unseen) {
    if (unseen == 1)
        dial_log(ctx, DIAL_LOG_WARN,
                 "1 value of a categorical feature was a level unseen in training; encoded as all "
                 "zeros");
    else if (unseen > 1)
        dial_log(ctx, DIAL_LOG_WARN,
                 "%zu values of categorical features were levels unseen in training; encoded as "
                 "all zeros",
                 unseen);
}

dial_status dial_preprocess_expand_sparse(dial_ctx *ctx, const dial_feature *features,
                                          size_t n_features, const dial_view *view, double *x,
                                          size_t n_inputs) {
    size_t *map = NULL;
    dial_status status = column_map(ctx, features, n_features, view->data, &map);
    if (status != DIAL_OK) return status;
    const dial_csr *m = view->data->sparse;
    size_t unseen = 0;
    for (size_t i = 0; i < view->n; i++) {
        size_t row = dial_view_row(view, i);
        double *out = &x[i * n_inputs];
        memset(out, 0, n_inputs * sizeof *out);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
            size_t input = map[m->col[k]];
            if (input < COLUMN_UNSEEN)
                out[input] = m->value[k];
            else
                unseen += input == COLUMN_UNSEEN;
        }
    }
    free(map);
    warn_unseen(ctx, unseen);
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
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    size_t shape[1] = {n_inputs};
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
    for (size_t j = 0; j < n_inputs; j++) center[j] = spread[j] = 0;
    for (size_t i = 0; i < train->n; i++) {
        size_t row = dial_view_row(train, i);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
            size_t j = map[m->col[k]];
            if (j < COLUMN_UNSEEN && fabs(m->value[k]) > spread[j]) spread[j] = fabs(m->value[k]);
        }
    }
    for (size_t j = 0; j < n_inputs; j++)
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
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    for (size_t j = 0; center && j < n_inputs; j++)
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
            nnz += map[m->col[k]] < COLUMN_UNSEEN;
    }
    dial_csr *x = dial_csr_alloc(ctx, rows->n, n_inputs, nnz);
    if (!x) {
        free(map);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory gathering %zu sparse rows", rows->n);
    }
    size_t at = 0, unseen = 0;
    for (size_t i = 0; i < rows->n; i++) {
        size_t row = dial_view_row(rows, i), first = at;
        bool sorted = true;
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
            size_t j = map[m->col[k]];
            unseen += j == COLUMN_UNSEEN;
            if (j >= COLUMN_UNSEEN) continue;
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
    warn_unseen(ctx, unseen);
    *out = x;
    return DIAL_OK;
}

bool dial_preprocess_indexed_features(const dial_feature *features, size_t n_features) {
    char name[32];
    for (size_t j = 0; j < n_features; j++) {
        snprintf(name, sizeof name, "f%zu", j + 1);
        if (features[j].type != DIAL_COLUMN_NUMERIC || !features[j].name ||
            strcmp(features[j].name, name) != 0)
            return false;
    }
    return true;
}

bool dial_preprocess_bind_by_index(const dial_feature *features, size_t n_features,
                                   const dial_table *table) {
    if (table->sparse) return !table->sparse_first;
    return dial_preprocess_indexed_features(features, n_features);
}
