/*
 * The svm family on compressed rows (sparse input; the map of the family
 * is at the top of svm.c): what differs from the dense path beyond the
 * kernel rows (svm_kernel_sparse.c).
 *
 * The support vectors are kept as compressed rows too, in memory and in
 * the model file, as three tensors in place of support_vectors (which would
 * be n_sv x n_inputs, mostly zeros: 3,000 vectors of 20,000 words are 480
 * MB dense): support_vectors.row_start, .column and .value
 * (learned_csr.h). Loading checks every offset and column before a
 * prediction reads one.
 * Prediction scatters the query row (sparse or dense) into a dense vector
 * of the inputs and takes each kernel value over a vector's nonzeros.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/learned_csr.h"
#include "models/svm_family.h"
#include "models/svm_kernel.h"

double dial_svm_gamma_scale_sparse(const dial_csr *a, size_t n_features) {
    double count = (double)a->n_rows * (double)n_features;
    if (count == 0) return 1;
    size_t nnz = a->row_start[a->n_rows];
    double sum = 0;
    for (size_t k = 0; k < nnz; k++) sum += a->value[k];
    /* the zeros count as entries: each adds mean^2 to the squares */
    double mean = sum / count, squares = (count - (double)nnz) * mean * mean;
    for (size_t k = 0; k < nnz; k++) squares += (a->value[k] - mean) * (a->value[k] - mean);
    double variance = squares / count;
    return variance > 0 ? 1 / ((double)n_features * variance) : 1;
}

dial_status dial_svm_vectors_add(dial_ctx *ctx, dial_tensors *learned, const dial_fit_input *in,
                                 const int64_t *support, size_t n_sv) {
    size_t d = in->n_features;
    if (!in->sparse) {
        double *sv = NULL;
        dial_status status = dial_svm_tensor_add(ctx, learned, "support_vectors", DIAL_F64, 2, n_sv,
                                                 d, (void **)&sv);
        for (size_t v = 0; status == DIAL_OK && v < n_sv; v++)
            memcpy(sv + v * d, in->x + (size_t)support[v] * d, d * sizeof *sv);
        return status;
    }
    return dial_learned_csr_add(ctx, learned, "support_vectors", in->sparse, support, n_sv);
}

bool dial_svm_has_sparse_vectors(const dial_tensors *learned) {
    return dial_tensors_find(learned, "support_vectors") == NULL &&
           dial_learned_csr_present(learned, "support_vectors");
}

dial_status dial_svm_sparse_vectors_read(dial_ctx *ctx, const dial_tensors *learned,
                                         dial_svm_model *m) {
    dial_learned_csr vectors;
    dial_status status =
        dial_learned_csr_read(ctx, "svm", learned, "support_vectors", m->d, &vectors);
    if (status != DIAL_OK) return status;
    m->n_sv = vectors.n_rows;
    m->sv = NULL;
    m->sv_start = vectors.start;
    m->sv_column = vectors.column;
    m->sv_value = vectors.value;
    return DIAL_OK;
}

void dial_svm_sparse_vector_norms(const dial_svm_model *m, double *norms) {
    for (size_t v = 0; v < m->n_sv; v++) {
        double sum = 0;
        for (int64_t k = m->sv_start[v]; k < m->sv_start[v + 1]; k++)
            sum += m->sv_value[k] * m->sv_value[k];
        norms[v] = sum;
    }
}

void dial_svm_sparse_kernel_row(const dial_svm_model *m, const double *query, double query_norm,
                                double *out) {
    for (size_t v = 0; v < m->n_sv; v++) {
        double sum = 0;
        for (int64_t k = m->sv_start[v]; k < m->sv_start[v + 1]; k++)
            sum += query[m->sv_column[k]] * m->sv_value[k];
        out[v] = sum;
    }
    dial_svm_kernel_finish(&m->kernel, out, m->n_sv, query_norm, m->sv_norms);
}

dial_status dial_svm_sparse_decisions(const dial_svm_settings *st, const dial_csr *a,
                                      const size_t *rows, const signed char *y, const double *alpha,
                                      size_t l, double rho, const size_t *test, size_t n_test,
                                      double *dec) {
    size_t n_sv = 0;
    for (size_t i = 0; i < l; i++) n_sv += alpha[i] > 0;
    size_t m = n_sv ? n_sv : 1;
    /* list[0]: the query row; list[1 + v]: support vector v's row */
    size_t *list = dial_malloc(st->ctx, (m + 1) * sizeof *list);
    double *coef = dial_malloc(st->ctx, m * sizeof *coef),
           *norms = dial_malloc(st->ctx, m * sizeof *norms);
    double *values = dial_malloc(st->ctx, m * sizeof *values);
    double *dense = dial_calloc(st->ctx, a->n_cols ? a->n_cols : 1, sizeof *dense);
    dial_status status = DIAL_ERR_NOMEM;
    if (list && coef && norms && values && dense) {
        size_t k = 0;
        for (size_t i = 0; i < l; i++) {
            if (!(alpha[i] > 0)) continue;
            list[1 + k] = rows[i];
            norms[k] = dial_svm_sparse_norm(a, rows[i]);
            coef[k++] = y[i] * alpha[i];
        }
        for (size_t r = 0; r < n_test; r++) {
            list[0] = test[r];
            dial_svm_sparse_dots(a, list, 0, 1, n_sv, dense, values);
            dial_svm_kernel_finish(&st->kernel, values, n_sv, dial_svm_sparse_norm(a, test[r]),
                                   norms);
            dec[r] = dial_svm_dot(coef, values, n_sv) - rho;
        }
        status = DIAL_OK;
    }
    free(list);
    free(coef);
    free(norms);
    free(values);
    free(dense);
    return status;
}
