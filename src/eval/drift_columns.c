/* A feature's values over the rows of a view, for the drift reference and
 * the drift comparison: copied from a dense column, or read from sparse
 * data transposed once, absent entries being 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/drift_internal.h"

/* The sparse column of feature j (a table column c >= 1 is sparse column
 * c - 1), or SIZE_MAX when the data has none: a feature always 0. */
static size_t sparse_column(const dial_dataset *data, size_t j) {
    const dial_column *column = data->features[j];
    if (!column) return SIZE_MAX;
    size_t c = (size_t)(column - data->table->cols);
    return c >= 1 && c - 1 < data->sparse->n_cols ? c - 1 : SIZE_MAX;
}

/* Whether the features are read from compressed columns: a LIBSVM
 * file's. A CSV table made sparse keeps its columns' values (dial/data.h),
 * read as dense ones are. */
static bool transposed(const dial_dataset *data) {
    return data->sparse && !(data->table && data->table->sparse_first);
}

dial_status dial_drift_columns_open(dial_ctx *ctx, const dial_view *view, dial_drift_columns *out) {
    memset(out, 0, sizeof *out);
    out->view = view;
    const dial_csr *csr = view->data->sparse;
    if (!transposed(view->data)) return DIAL_OK;
    size_t n_cols = csr->n_cols, nonzeros = 0;
    for (size_t i = 0; i < view->n; i++) {
        size_t r = dial_view_row(view, i);
        nonzeros += csr->row_start[r + 1] - csr->row_start[r];
    }
    out->n_sparse_cols = n_cols;
    out->start = dial_calloc(ctx, n_cols + 1, sizeof *out->start);
    out->row = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *out->row);
    out->value = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *out->value);
    if (!out->start || !out->row || !out->value) {
        dial_drift_columns_close(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading sparse columns");
    }
    for (size_t i = 0; i < view->n; i++) {
        size_t r = dial_view_row(view, i);
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++)
            out->start[csr->col[k] + 1]++;
    }
    for (size_t c = 0; c < n_cols; c++) out->start[c + 1] += out->start[c];
    size_t *next = dial_malloc_array(ctx, n_cols ? n_cols : 1, sizeof *next);
    if (!next) {
        dial_drift_columns_close(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading sparse columns");
    }
    memcpy(next, out->start, n_cols * sizeof *next);
    for (size_t i = 0; i < view->n; i++) {
        size_t r = dial_view_row(view, i);
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++) {
            size_t at = next[csr->col[k]]++;
            out->row[at] = i;
            out->value[at] = csr->value[k];
        }
    }
    free(next);
    return DIAL_OK;
}

void dial_drift_columns_close(dial_drift_columns *columns) {
    free(columns->start);
    free(columns->row);
    free(columns->value);
    memset(columns, 0, sizeof *columns);
}

void dial_drift_column_values(const dial_drift_columns *columns, size_t j, double *values) {
    const dial_view *view = columns->view;
    const dial_dataset *data = view->data;
    if (!transposed(data)) {
        const double *column = data->features[j]->values;
        for (size_t i = 0; i < view->n; i++) values[i] = column[dial_view_row(view, i)];
        return;
    }
    for (size_t i = 0; i < view->n; i++) values[i] = 0;
    size_t c = sparse_column(data, j);
    if (c == SIZE_MAX) return;
    for (size_t k = columns->start[c]; k < columns->start[c + 1]; k++)
        values[columns->row[k]] = columns->value[k];
}

size_t dial_drift_column_nonzeros(const dial_drift_columns *columns, size_t j) {
    const dial_view *view = columns->view;
    const dial_dataset *data = view->data;
    if (transposed(data)) {
        size_t c = sparse_column(data, j);
        return c == SIZE_MAX ? 0 : columns->start[c + 1] - columns->start[c];
    }
    size_t n = 0;
    const double *column = data->features[j]->values;
    for (size_t i = 0; i < view->n; i++) {
        double v = column[dial_view_row(view, i)];
        n += !isnan(v) && v != 0;
    }
    return n;
}
