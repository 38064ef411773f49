/*
 * Kernel values for the SVM (internal to src/models/svm*.c):
 *  - the four kernel functions, computed from dot products so that a whole
 *    row or block of kernel values is one BLAS call plus a pass over it;
 *  - an LRU cache of float rows sized by a byte budget;
 *  - the matrices Q of the two duals the solver works on, as rows served
 *    from that cache: C-SVC's Q_ij = y_i y_j K(x_i, x_j) and epsilon-SVR's
 *    2l x 2l matrix built from the l x l kernel.
 *
 * A matrix owns a copy of the rows it needs (in the solver's order), so it
 * never points into the caller's data once made. The kernel rows are
 * computed on demand, or read from a Gram matrix computed once (tuning:
 * every trial of a fold with the same kernel shares it). A Gram matrix
 * holds each value as the float a computed row would hold, so a dual
 * solved from either is the same to the bit.
 */
#ifndef DIAL_SVM_KERNEL_H
#define DIAL_SVM_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "dial/data.h"
#include "models/svm_solver.h"

typedef enum dial_svm_kernel_type {
    DIAL_SVM_LINEAR = 0, /* x.z */
    DIAL_SVM_RBF,        /* exp(-gamma |x - z|^2) */
    DIAL_SVM_POLY,       /* (gamma x.z + coef0)^degree */
    DIAL_SVM_SIGMOID     /* tanh(gamma x.z + coef0) */
} dial_svm_kernel_type;

typedef struct dial_svm_kernel {
    dial_svm_kernel_type type;
    double gamma, coef0;
    int degree;
} dial_svm_kernel;

/* Squared norm of each of the n rows of x (n x d, row-major). */
void dial_svm_kernel_norms(const double *x, size_t n, size_t d, double *norms);

/* K(a_r, x_j) for the m rows a_r of a (m x d, row-major, squared norms
 * norms_a) and the n rows x_j kept by columns in xt (d x n: feature t of
 * row j at xt[t n + j], squared norms norms) into out (m x n). */
void dial_svm_kernel_columns(const dial_svm_kernel *kernel, const double *xt, const double *norms,
                             size_t n, size_t d, const double *a, const double *norms_a, size_t m,
                             double *out);
/* Turns the n dot products v[j] = a.x_j into kernel values in place;
 * norm_a and norms[j] are the squared norms of a and x_j (rbf only). */
void dial_svm_kernel_finish(const dial_svm_kernel *kernel, double *v, size_t n, double norm_a,
                            const double *norms);
/* xt (d x n) = the n rows of x (n x d) kept by columns. */
void dial_svm_transpose(const double *x, size_t n, size_t d, double *xt);

/* The dot product of a and b (n entries), summed in eight interleaved
 * lanes so that it vectorises; the result does not depend on the processor. */
double dial_svm_dot(const double *a, const double *b, size_t n);

/* ---- the LRU cache of rows ---------------------------------------------- */

typedef struct dial_svm_cache dial_svm_cache;

/* A cache of up to n_rows rows of floats, holding at most budget floats in
 * all (never less than two full rows of n_rows). NULL when out of memory. */
dial_svm_cache *dial_svm_cache_new(const dial_ctx *ctx, size_t n_rows, size_t budget);
void dial_svm_cache_free(dial_svm_cache *cache);
/* Row `row` with room for len entries, made the most recently used; the
 * first *valid entries hold what was stored before (the caller fills the
 * rest and the row then counts as valid up to len). Evicts the least
 * recently used rows for room, never the row returned by the previous call.
 * NULL when out of memory. */
float *dial_svm_cache_row(dial_svm_cache *cache, size_t row, size_t len, size_t *valid);
/* Exchanges rows i and j and entries i and j of every row (the solver's
 * shrinking reorders its variables). A row holding one of the two entries
 * but not the other is cut short before it. */
void dial_svm_cache_swap(dial_svm_cache *cache, size_t i, size_t j);

/* ---- the Gram matrix ------------------------------------------------------ */

/* K(x_i, x_j) of n rows, each as the float a dual's cached row holds, and
 * K(x_i, x_i) as its diagonal holds it. The rows may be stored in another
 * order than the data's (tuning stores them grouped by class, so that the
 * rows of a pair of classes are two blocks of the matrix): data row i is
 * at position[i]. */
typedef struct dial_svm_gram {
    dial_svm_kernel kernel;
    size_t n;
    float *k;         /* n x n, row-major, by position */
    double *diag;     /* n, by position */
    size_t *position; /* n */
} dial_svm_gram;

/* The Gram matrix of the n rows of x (n x d), computed on up to `threads`
 * threads of ctx (the values do not depend on their number). order (n,
 * may be NULL for the data's order) lists the data rows by position.
 * spare (may be NULL) is a Gram matrix no one needs any more, taken over:
 * its memory is written anew when it has n rows, else freed. NULL when out
 * of memory. */
dial_svm_gram *dial_svm_gram_new(dial_ctx *ctx, int threads, const dial_svm_kernel *kernel,
                                 const double *x, size_t n, size_t d, const size_t *order,
                                 dial_svm_gram *spare);
void dial_svm_gram_free(dial_svm_gram *gram);

/* ---- the matrices of the duals -------------------------------------------- */

typedef struct dial_svm_matrix dial_svm_matrix;

/* Q of a C-SVC over the l rows `rows` of x (x has d columns) with labels y
 * (+1 or -1). Copies what it needs. NULL when out of memory. */
dial_svm_matrix *dial_svm_matrix_svc(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                     const double *x, size_t d, const size_t *rows, size_t l,
                                     const signed char *y, size_t cache_bytes);
/* Q of an epsilon-SVR over the l rows of x (2l variables: i and i + l are
 * row i's alpha and alpha*). NULL when out of memory. */
dial_svm_matrix *dial_svm_matrix_svr(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                     const double *x, size_t d, size_t l, size_t cache_bytes);
/* The same two over compressed rows (sparse input): kernel rows from
 * sparse dot products (svm_kernel_sparse.c), as LIBSVM computes them. The
 * matrix borrows a (which must outlive it) rather than copying the rows. */
dial_svm_matrix *dial_svm_matrix_svc_sparse(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                            const dial_csr *a, const size_t *rows, size_t l,
                                            const signed char *y, size_t cache_bytes);
dial_svm_matrix *dial_svm_matrix_svr_sparse(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                            const dial_csr *a, size_t l, size_t cache_bytes);
/* Q of a C-SVC as above, its kernel values read from gram (which must
 * outlive the matrix; rows are data rows). When the whole of Q fits in
 * cache_bytes, it has room for all of Q, kept in the solver's order: each
 * row is filled once, when first asked for, by copying runs of consecutive
 * Gram positions (see dial_svm_gram) while the order is still the
 * initial one. Otherwise its rows go through the LRU cache. room (may be
 * NULL: allocated) is where to keep all of Q, l x l floats, borrowed for
 * the matrix's life: the solves of a fit reuse one, already in cache.
 * NULL when out of memory. */
dial_svm_matrix *dial_svm_matrix_svc_gram(const dial_ctx *ctx, const dial_svm_gram *gram,
                                          const size_t *rows, size_t l, const signed char *y,
                                          size_t cache_bytes, float *room);
/* Q of an epsilon-SVR over every row of gram. NULL when out of memory. */
dial_svm_matrix *dial_svm_matrix_svr_gram(const dial_ctx *ctx, const dial_svm_gram *gram);
void dial_svm_matrix_free(dial_svm_matrix *matrix);
/* The solver's view of the matrix; valid while the matrix lives. */
dial_svm_q *dial_svm_matrix_q(dial_svm_matrix *matrix);

/* ---- compressed rows (svm_kernel_sparse.c) ------------------------------- */

/* Squared norm of row i of a. */
double dial_svm_sparse_norm(const dial_csr *a, size_t i);

/* out[j - from] = x_p . x_q for q = row_of[j], j in [from, from + count),
 * p = row_of[i]: row p is scattered into dense (a->n_cols doubles, all 0
 * on entry and again on return), then each dot is a pass over row q's
 * nonzeros. */
void dial_svm_sparse_dots(const dial_csr *a, const size_t *row_of, size_t i, size_t from,
                          size_t count, double *dense, double *out);

#endif
