/*
 * Compressed-row matrices (dial_csr in dial/data.h): making one, and the
 * one way to turn one dense. Internal to the library.
 */
#ifndef DIAL_CSR_H
#define DIAL_CSR_H

#include "dial/data.h"

/* A CSR matrix of n_rows x n_cols with room for nnz entries, row_start
 * zeroed (every row empty). NULL when out of memory. Free with
 * dial_csr_free. */
dial_csr *dial_csr_alloc(const dial_ctx *ctx, size_t n_rows, size_t n_cols, size_t nnz);

/* Bytes a dense n_rows x n_cols matrix of doubles takes; SIZE_MAX when it
 * would overflow. */
size_t dial_csr_dense_bytes(size_t n_rows, size_t n_cols);

/* The matrix dense, row-major, into *x (malloc'ed, n_rows x n_cols; NULL
 * when the matrix is empty); the caller frees it. Errors: DIAL_ERR_NOMEM. */
dial_status dial_csr_to_dense(dial_ctx *ctx, const dial_csr *matrix, double **x);

/* The CSR column that feature j of data reads (column c >= 1 of a LIBSVM
 * table is column c - 1 of data->sparse; a CSV table made sparse gives the
 * first column of the feature's block, table->sparse_first[c]), or
 * SIZE_MAX for a feature that the file lacks (always 0) or a column that
 * is not a sparse one. */
size_t dial_csr_feature_column(const dial_dataset *data, size_t j);

#endif
