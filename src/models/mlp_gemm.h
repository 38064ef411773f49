/*
 * The dense matrix product of the multilayer perceptron (internal): every
 * forward and backward product of models/mlp_network.c and
 * models/mlp_train.c.
 *
 * Each entry of the product is one chain of fused multiply-adds in
 * increasing k, c = fma(A(i,k), B(k,j), c), from a start value. A fused
 * multiply-add rounds once, the same in the AVX-512 and AVX2 kernels (with
 * their register blocks) as in the portable loop (C's fma), so the bits of a
 * product depend neither on the instruction set nor on how it is cut into
 * blocks: a product split over k, or over rows or columns of C, gives the
 * same entries as in one piece. That is what keeps the weights identical
 * for any thread count and any machine. Why not OpenBLAS: it runs generic
 * kernels on CPUs it does not know (OpenBLAS 0.3.21 takes a Sapphire
 * Rapids for a "Prescott"), where these kernels were measured 3 to 6 times
 * faster on the MLP's shapes, and its results change with its kernel.
 */
#ifndef DIAL_MLP_GEMM_H
#define DIAL_MLP_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/* Where each entry's chain starts. */
typedef enum dial_mlp_gemm_start {
    DIAL_MLP_GEMM_ZERO = 0, /* at 0 */
    DIAL_MLP_GEMM_ADD,      /* at C's own value: continues an earlier chain */
    DIAL_MLP_GEMM_ROW       /* at row[j] for every row i (a bias) */
} dial_mlp_gemm_start;

/* The kernels, for the tests that compare them. */
typedef enum dial_mlp_gemm_kernel {
    DIAL_MLP_GEMM_PORTABLE = 0,
    DIAL_MLP_GEMM_AVX2,
    DIAL_MLP_GEMM_AVX512
} dial_mlp_gemm_kernel;

/* C (m x n, row stride ldc) = start + sum over k of A(i,k) B(k,j), where
 * A(i,k) = a[i a_row + k a_col] (so a transposed A costs nothing) and
 * B(k,j) = b[k ldb + j]. row is read only with DIAL_MLP_GEMM_ROW. */
void dial_mlp_gemm(dial_mlp_gemm_start start, const double *row, size_t m, size_t n, size_t k,
                   const double *a, size_t a_row, size_t a_col, const double *b, size_t ldb,
                   double *c, size_t ldc);

/* Whether this CPU runs kernel; the portable one always. */
bool dial_mlp_gemm_supports(dial_mlp_gemm_kernel kernel);
/* The fastest kernel this CPU runs: the one dial_mlp_gemm uses. */
dial_mlp_gemm_kernel dial_mlp_gemm_best(void);
/* dial_mlp_gemm with the given kernel, which the CPU must support. */
void dial_mlp_gemm_on(dial_mlp_gemm_kernel kernel, dial_mlp_gemm_start start, const double *row,
                      size_t m, size_t n, size_t k, const double *a, size_t a_row, size_t a_col,
                      const double *b, size_t ldb, double *c, size_t ldc);

#endif
