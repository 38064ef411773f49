/* A feature's values over the rows of a view, for the drift reference and
 * the drift comparison: copied from a dense column, or read from sparse
 * data transposed once, absent entries being 0. */
#include <inttypes.h>
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
    size_t n_cols = csr->n_cols;
    out->n_sparse_cols = n_cols;
    out->count = dial_calloc(ctx, n_cols ? n_cols : 1, sizeof *out->count);
    out->start = dial_calloc(ctx, n_cols + 1, sizeof *out->start);
    out->gathered = dial_calloc(ctx, n_cols ? n_cols : 1, sizeof *out->gathered);
    if (!out->count || !out->start || !out->gathered) {
        dial_drift_columns_close(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading sparse columns");
    }
    for (size_t i = 0; i < view->n; i++) {
        size_t r = dial_view_row(view, i);
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++)
            out->count[csr->col[k]]++;
    }
    return DIAL_OK;
}

dial_status dial_drift_columns_gather(dial_ctx *ctx, dial_drift_columns *columns,
                                      const size_t *features, size_t n) {
    const dial_view *view = columns->view;
    if (!transposed(view->data)) return DIAL_OK;
    if (view->n > UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "the drift reference reads at most %" PRIu32 " rows of sparse data, not "
                         "%zu",
                         UINT32_MAX, view->n);
    const dial_csr *csr = view->data->sparse;
    size_t n_cols = columns->n_sparse_cols;
    for (size_t f = 0; f < n; f++) {
        size_t c = sparse_column(view->data, features[f]);
        if (c != SIZE_MAX) columns->gathered[c] = true;
    }
    columns->start[0] = 0;
    for (size_t c = 0; c < n_cols; c++)
        columns->start[c + 1] = columns->start[c] + (columns->gathered[c] ? columns->count[c] : 0);
    size_t nonzeros = columns->start[n_cols];
    free(columns->row);
    free(columns->value);
    columns->row = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *columns->row);
    columns->value = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *columns->value);
    size_t *next = dial_malloc_array(ctx, n_cols ? n_cols : 1, sizeof *next);
    if (!columns->row || !columns->value || !next) {
        free(next);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading sparse columns");
    }
    memcpy(next, columns->start, n_cols * sizeof *next);
    for (size_t i = 0; i < view->n; i++) {
        size_t r = dial_view_row(view, i);
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++) {
            size_t c = csr->col[k];
            if (!columns->gathered[c]) continue;
            size_t at = next[c]++;
            columns->row[at] = (uint32_t)i;
            columns->value[at] = csr->value[k];
        }
    }
    free(next);
    return DIAL_OK;
}

void dial_drift_columns_close(dial_drift_columns *columns) {
    free(columns->count);
    free(columns->start);
    free(columns->gathered);
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
    if (c == SIZE_MAX || !columns->gathered[c]) return;
    for (size_t k = columns->start[c]; k < columns->start[c + 1]; k++)
        values[columns->row[k]] = columns->value[k];
}

size_t dial_drift_column_nonzeros(const dial_drift_columns *columns, size_t j) {
    const dial_view *view = columns->view;
    const dial_dataset *data = view->data;
    if (transposed(data)) {
        size_t c = sparse_column(data, j);
        return c == SIZE_MAX ? 0 : columns->count[c];
    }
    size_t n = 0;
    const double *column = data->features[j]->values;
    for (size_t i = 0; i < view->n; i++) {
        double v = column[dial_view_row(view, i)];
        n += !isnan(v) && v != 0;
    }
    return n;
}
