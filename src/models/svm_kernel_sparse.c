/*
 * Kernel values of compressed rows for the SVM (see svm_kernel.h): what
 * LIBSVM does with its svm_node lists. Each row's squared norm is computed
 * once; a row of kernel values scatters the query row into a dense vector
 * of the columns and takes each dot product as one pass over the other
 * row's nonzeros, so its cost is the nonzeros of the rows, never rows x
 * columns. The kernel functions themselves (dial_svm_kernel_finish) and
 * the cache are the dense path's.
 */
#include "models/svm_kernel.h"

double dial_svm_sparse_norm(const dial_csr *a, size_t i) {
    double sum = 0;
    for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++) sum += a->value[k] * a->value[k];
    return sum;
}

void dial_svm_sparse_dots(const dial_csr *a, const size_t *row_of, size_t i, size_t from,
                          size_t count, double *dense, double *out) {
    size_t p = row_of[i];
    for (size_t k = a->row_start[p]; k < a->row_start[p + 1]; k++) dense[a->col[k]] = a->value[k];
    for (size_t j = 0; j < count; j++) {
        size_t q = row_of[from + j];
        double sum = 0;
        for (size_t k = a->row_start[q]; k < a->row_start[q + 1]; k++)
            sum += dense[a->col[k]] * a->value[k];
        out[j] = sum;
    }
    for (size_t k = a->row_start[p]; k < a->row_start[p + 1]; k++) dense[a->col[k]] = 0;
}
