/*
 * The multilayer perceptron's first layer on compressed rows (internal):
 * the forward product of sparse rows with the first weight matrix, and
 * that matrix's gradient from a minibatch's nonzeros, for
 * models/mlp_train.c and models/mlp.c. Nothing here makes a row dense.
 *
 * Every entry is the chain of fused multiply-adds that the dense product
 * (models/mlp_gemm.h) makes of the same row with its zeros written out,
 * less the links whose input is 0, which leave the sum as it was
 * (fma(0, w, c) is c): so a fit on sparse rows gives the weights of the
 * fit on the same rows dense, to the bit, as long as the columns of a row
 * increase (a LIBSVM file's do).
 */
#ifndef DIAL_MLP_SPARSE_H
#define DIAL_MLP_SPARSE_H

#include <stdint.h>

#include "dial/data.h"
#include "models/mlp_network.h"

/* out[0 .. n) = start[0 .. n) (0 when start is NULL) + the sum over e <
 * count of value[e] b[index[e] ldb + 0 .. n), each entry one chain of fused
 * multiply-adds in increasing e; the fastest kernel this CPU runs
 * (dial_mlp_gemm_best), every kernel the same bits. */
void dial_mlp_sparse_combine(size_t n, size_t count, const double *value, const uint32_t *index,
                             const double *b, size_t ldb, const double *start, double *out);

/* Checks that csr holds n_rows rows whose columns are below n_features
 * (a model's first layer has n_features rows); DIAL_ERR_INTERNAL names
 * the first that is not. */
dial_status dial_mlp_sparse_check(dial_ctx *ctx, const dial_csr *csr, size_t n_rows,
                                  size_t n_features);

/* Row i of a block of compressed rows: rows[first + i] of csr, or row
 * first + i when rows is NULL. */
static inline size_t dial_mlp_sparse_row(const size_t *rows, size_t first, size_t i) {
    return rows ? rows[first + i] : first + i;
}

/* The first layer's pre-activations of m rows (dial_mlp_sparse_row):
 * z (m x sizes[1]) = bias + row times weights. */
void dial_mlp_sparse_first_layer(const dial_mlp_network *net, const double *params,
                                 const dial_csr *csr, const size_t *rows, size_t first, size_t m,
                                 double *z);

/* dial_mlp_forward_rows on the n rows (rows, first 0) of csr. */
dial_status dial_mlp_sparse_forward_rows(dial_ctx *ctx, int threads, const dial_mlp_network *net,
                                         const double *params, const dial_csr *csr,
                                         const size_t *rows, size_t n, double *out,
                                         double *scratch);

/* A minibatch's nonzeros by column, for the first layer's gradient: the
 * entries of column j are at col_start[j] .. col_start[j + 1], in the
 * minibatch's row order. Its arrays are sized once, for the minibatch of
 * the most nonzeros that the training rows can give. */
typedef struct dial_mlp_sparse_batch {
    size_t n_features;
    size_t *col_start;   /* n_features + 1 */
    uint32_t *batch_row; /* per entry: its row in the minibatch, 0 .. m - 1 */
    double *value;       /* per entry */
    size_t capacity;     /* entries the arrays hold */
} dial_mlp_sparse_batch;

/* Sizes a batch for minibatches of batch_size of the n training rows
 * (dial_mlp_sparse_row with first 0) of csr. DIAL_ERR_NOMEM; free with
 * dial_mlp_sparse_batch_free. */
dial_status dial_mlp_sparse_batch_init(dial_ctx *ctx, dial_mlp_sparse_batch *batch,
                                       const dial_csr *csr, const size_t *rows, size_t n,
                                       size_t n_features, size_t batch_size);
void dial_mlp_sparse_batch_free(dial_mlp_sparse_batch *batch);

/* Fills batch with the m rows rows[0 .. m) of csr, the minibatch in its
 * order. */
void dial_mlp_sparse_batch_fill(dial_mlp_sparse_batch *batch, const dial_csr *csr,
                                const size_t *rows, size_t m);

/* The gradient of the first layer's weight rows j .. j + count (count x
 * n_out, row-major, into g): the sum over the minibatch's rows of their
 * value in column j times delta (m x n_out, the gradient at the first
 * layer's units), 0 for a column no row of the minibatch has. */
void dial_mlp_sparse_gradient(const dial_mlp_sparse_batch *batch, const double *delta, size_t n_out,
                              size_t j, size_t count, double *g);

#endif
