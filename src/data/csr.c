/*
 * Compressed-row matrices: what a LIBSVM file is read into, and what a
 * family that takes sparse input is given, so text-sized data (tens of
 * thousands of columns, a few dozen nonzeros a row) costs memory in
 * proportion to its nonzeros, never to rows x columns.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csr.h"

void dial_csr_free(dial_csr *matrix) {
    if (!matrix) return;
    free(matrix->row_start);
    free(matrix->col);
    free(matrix->value);
    free(matrix);
}

dial_csr *dial_csr_alloc(const dial_ctx *ctx, size_t n_rows, size_t n_cols, size_t nnz) {
    dial_csr *m = dial_calloc(ctx, 1, sizeof *m);
    if (!m) return NULL;
    m->n_rows = n_rows;
    m->n_cols = n_cols;
    m->row_start = dial_calloc(ctx, n_rows + 1, sizeof *m->row_start);
    m->col = dial_malloc_array(ctx, nnz ? nnz : 1, sizeof *m->col);
    m->value = dial_malloc_array(ctx, nnz ? nnz : 1, sizeof *m->value);
    if (!m->row_start || !m->col || !m->value) {
        dial_csr_free(m);
        return NULL;
    }
    return m;
}

size_t dial_csr_dense_bytes(size_t n_rows, size_t n_cols) {
    if (n_cols && n_rows > SIZE_MAX / sizeof(double) / n_cols) return SIZE_MAX;
    return n_rows * n_cols * sizeof(double);
}

dial_status dial_csr_to_dense(dial_ctx *ctx, const dial_csr *matrix, double **x) {
    *x = NULL;
    size_t bytes = dial_csr_dense_bytes(matrix->n_rows, matrix->n_cols);
    if (bytes == SIZE_MAX)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "a dense matrix of %zu x %zu is too large",
                         matrix->n_rows, matrix->n_cols);
    if (bytes == 0) return DIAL_OK;
    double *out = dial_calloc(ctx, bytes / sizeof(double), sizeof(double));
    if (!out)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making %zu x %zu rows dense",
                         matrix->n_rows, matrix->n_cols);
    for (size_t i = 0; i < matrix->n_rows; i++)
        for (size_t k = matrix->row_start[i]; k < matrix->row_start[i + 1]; k++)
            out[i * matrix->n_cols + matrix->col[k]] = matrix->value[k];
    *x = out;
    return DIAL_OK;
}

size_t dial_csr_feature_column(const dial_dataset *data, size_t j) {
    const dial_column *col = data->features[j];
    if (!data->sparse || !col || !data->table) return SIZE_MAX;
    const dial_table *table = data->table;
    const dial_column *first = table->cols;
    if (col < first || col >= first + table->n_cols) return SIZE_MAX;
    size_t index = (size_t)(col - first);
    /* A CSV table made sparse: the first column of the column's block. */
    if (table->sparse_first) return table->sparse_first[index];
    if (index == 0) return SIZE_MAX; /* a LIBSVM file's label */
    size_t c = index - 1;
    return c < data->sparse->n_cols ? c : SIZE_MAX;
}
