/*
 * Compressed rows kept as learned tensors (internal to models/): a family
 * fitted on sparse input that keeps training rows (knn's rows, svm's
 * support vectors) keeps them compressed, never n_rows x n_inputs mostly
 * zeros, as three tensors named after a prefix P:
 *   P.row_start (int64) [n_rows + 1]  where each row's entries start in
 *       the two below: 0 first, their number last, never decreasing
 *   P.column (int64) [nnz]  the input of each entry, 0-based, ascending
 *       within a row
 *   P.value [nnz]           its value, finite
 * Reading them back checks every offset, column and value, so a damaged or
 * hostile model file is refused at load and never read out of bounds.
 */
#ifndef DIAL_LEARNED_CSR_H
#define DIAL_LEARNED_CSR_H

#include <stdbool.h>
#include <stdint.h>

#include "dial/data.h"

typedef struct dial_learned_csr {
    size_t n_rows, nnz;
    const int64_t *start, *column; /* borrowed from the tensors */
    const double *value;
} dial_learned_csr;

/* Whether learned holds P.row_start. */
bool dial_learned_csr_present(const dial_tensors *learned, const char *prefix);

/* Adds the three tensors of the rows rows[0 .. n_rows - 1] of a (every
 * row of a in order when rows is NULL) to learned. Errors: as
 * dial_tensors_add. */
dial_status dial_learned_csr_add(dial_ctx *ctx, dial_tensors *learned, const char *prefix,
                                 const dial_csr *a, const int64_t *rows, size_t n_rows);

/* Reads and checks the three tensors into *out, inputs below n_cols.
 * Errors: DIAL_ERR_FORMAT with a message naming the family, the tensor and
 * what is wrong. */
dial_status dial_learned_csr_read(dial_ctx *ctx, const char *family_name,
                                  const dial_tensors *learned, const char *prefix, size_t n_cols,
                                  dial_learned_csr *out);

#endif
