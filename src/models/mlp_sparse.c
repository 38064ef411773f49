/*
 * The multilayer perceptron's first layer on compressed rows (see
 * models/mlp_sparse.h): one kernel, a sum of rows of a dense matrix picked
 * by index and weighted, and its two uses, the forward product (a row's
 * nonzeros pick rows of the first weight matrix) and the weight gradient
 * (a column's nonzeros in the minibatch pick rows of the gradient at the
 * first layer's units).
 *
 * The kernel keeps a slice of its output (AVX-512: up to 32 columns, AVX2:
 * 16) in registers while it walks the entries, so a row of 100 hidden
 * units costs a load of 100 weights per nonzero and one store. Like the
 * dense product's kernels (models/mlp_gemm.c) every lane rounds once per
 * fused multiply-add, so the kernels and the portable loop give the same
 * bits.
 */
#include "models/mlp_sparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/mlp_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MLP_SPARSE_X86 1
#include <immintrin.h>
#endif

static void combine_portable(size_t n, size_t count, const double *value, const uint32_t *index,
                             const double *b, size_t ldb, const double *start, double *out) {
    for (size_t j = 0; j < n; j++) out[j] = start ? start[j] : 0;
    for (size_t e = 0; e < count; e++) {
        const double *row = b + (size_t)index[e] * ldb;
        for (size_t j = 0; j < n; j++) out[j] = fma(value[e], row[j], out[j]);
    }
}

#ifdef MLP_SPARSE_X86

#define MLP_SPARSE_INLINE static inline __attribute__((always_inline))
#define MLP_SPARSE_AVX512 __attribute__((target("avx512f")))
#define MLP_SPARSE_AVX2 __attribute__((target("avx2,fma")))

/* vecs vectors of 8 columns (a constant where it is inlined, so acc stays
 * in registers), the last masked by last. */
MLP_SPARSE_AVX512 MLP_SPARSE_INLINE void
combine512_tile(int vecs, size_t count, const double *value, const uint32_t *index, const double *b,
                size_t ldb, const double *start, double *out, __mmask8 last) {
    __m512d acc[4];
    for (int v = 0; v < vecs; v++) {
        __mmask8 mask = v == vecs - 1 ? last : (__mmask8)0xff;
        acc[v] = start ? _mm512_maskz_loadu_pd(mask, start + 8 * v) : _mm512_setzero_pd();
    }
    for (size_t e = 0; e < count; e++) {
        __m512d a = _mm512_set1_pd(value[e]);
        const double *row = b + (size_t)index[e] * ldb;
        for (int v = 0; v < vecs; v++) {
            __mmask8 mask = v == vecs - 1 ? last : (__mmask8)0xff;
            acc[v] = _mm512_fmadd_pd(a, _mm512_maskz_loadu_pd(mask, row + 8 * v), acc[v]);
        }
    }
    for (int v = 0; v < vecs; v++) {
        __mmask8 mask = v == vecs - 1 ? last : (__mmask8)0xff;
        _mm512_mask_storeu_pd(out + 8 * v, mask, acc[v]);
    }
}

MLP_SPARSE_AVX512 static void combine_avx512(size_t n, size_t count, const double *value,
                                             const uint32_t *index, const double *b, size_t ldb,
                                             const double *start, double *out) {
    for (size_t j = 0; j < n; j += 32) {
        size_t width = n - j < 32 ? n - j : 32, vecs = (width + 7) / 8;
        __mmask8 last = (__mmask8)((1u << (width - 8 * (vecs - 1))) - 1);
        const double *s = start ? start + j : NULL;
        switch (vecs) {
        case 1: combine512_tile(1, count, value, index, b + j, ldb, s, out + j, last); break;
        case 2: combine512_tile(2, count, value, index, b + j, ldb, s, out + j, last); break;
        case 3: combine512_tile(3, count, value, index, b + j, ldb, s, out + j, last); break;
        default: combine512_tile(4, count, value, index, b + j, ldb, s, out + j, last); break;
        }
    }
}

/* The lanes of a masked AVX2 load or store: the first `lanes` of 4. */
MLP_SPARSE_AVX2 MLP_SPARSE_INLINE __m256i lanes256(size_t lanes) {
    return _mm256_set_epi64x(lanes > 3 ? -1 : 0, lanes > 2 ? -1 : 0, lanes > 1 ? -1 : 0,
                             lanes > 0 ? -1 : 0);
}

MLP_SPARSE_AVX2 MLP_SPARSE_INLINE void combine256_tile(int vecs, size_t count, const double *value,
                                                       const uint32_t *index, const double *b,
                                                       size_t ldb, const double *start, double *out,
                                                       __m256i last) {
    __m256i all = _mm256_set1_epi64x(-1);
    __m256d acc[4];
    for (int v = 0; v < vecs; v++) {
        __m256i mask = v == vecs - 1 ? last : all;
        acc[v] = start ? _mm256_maskload_pd(start + 4 * v, mask) : _mm256_setzero_pd();
    }
    for (size_t e = 0; e < count; e++) {
        __m256d a = _mm256_set1_pd(value[e]);
        const double *row = b + (size_t)index[e] * ldb;
        for (int v = 0; v < vecs; v++) {
            __m256i mask = v == vecs - 1 ? last : all;
            acc[v] = _mm256_fmadd_pd(a, _mm256_maskload_pd(row + 4 * v, mask), acc[v]);
        }
    }
    for (int v = 0; v < vecs; v++)
        _mm256_maskstore_pd(out + 4 * v, v == vecs - 1 ? last : all, acc[v]);
}

MLP_SPARSE_AVX2 static void combine_avx2(size_t n, size_t count, const double *value,
                                         const uint32_t *index, const double *b, size_t ldb,
                                         const double *start, double *out) {
    for (size_t j = 0; j < n; j += 16) {
        size_t width = n - j < 16 ? n - j : 16, vecs = (width + 3) / 4;
        __m256i last = lanes256(width - 4 * (vecs - 1));
        const double *s = start ? start + j : NULL;
        switch (vecs) {
        case 1: combine256_tile(1, count, value, index, b + j, ldb, s, out + j, last); break;
        case 2: combine256_tile(2, count, value, index, b + j, ldb, s, out + j, last); break;
        case 3: combine256_tile(3, count, value, index, b + j, ldb, s, out + j, last); break;
        default: combine256_tile(4, count, value, index, b + j, ldb, s, out + j, last); break;
        }
    }
}
#endif

static void combine_on(dial_mlp_gemm_kernel kernel, size_t n, size_t count, const double *value,
                       const uint32_t *index, const double *b, size_t ldb, const double *start,
                       double *out) {
#ifdef MLP_SPARSE_X86
    if (kernel == DIAL_MLP_GEMM_AVX512) {
        combine_avx512(n, count, value, index, b, ldb, start, out);
        return;
    }
    if (kernel == DIAL_MLP_GEMM_AVX2) {
        combine_avx2(n, count, value, index, b, ldb, start, out);
        return;
    }
#else
    (void)kernel;
#endif
    combine_portable(n, count, value, index, b, ldb, start, out);
}

void dial_mlp_sparse_combine(size_t n, size_t count, const double *value, const uint32_t *index,
                             const double *b, size_t ldb, const double *start, double *out) {
    combine_on(dial_mlp_gemm_best(), n, count, value, index, b, ldb, start, out);
}

dial_status dial_mlp_sparse_check(dial_ctx *ctx, const dial_csr *csr, size_t n_rows,
                                  size_t n_features) {
    if (csr->n_rows != n_rows || !csr->row_start)
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "mlp: %zu compressed rows for %zu rows: a bug in dial", csr->n_rows,
                         n_rows);
    for (size_t i = 0; i < n_rows; i++)
        for (size_t k = csr->row_start[i]; k < csr->row_start[i + 1]; k++)
            if (csr->col[k] >= n_features)
                return dial_fail(ctx, DIAL_ERR_INTERNAL,
                                 "mlp: row %zu has column %u of %zu inputs: a bug in dial", i + 1,
                                 (unsigned)csr->col[k] + 1, n_features);
    return DIAL_OK;
}

void dial_mlp_sparse_first_layer(const dial_mlp_network *net, const double *params,
                                 const dial_csr *csr, const size_t *rows, size_t first, size_t m,
                                 double *z) {
    dial_mlp_gemm_kernel kernel = dial_mlp_gemm_best();
    size_t width = net->sizes[1];
    const double *weight = params + net->weight_at[0], *bias = params + net->bias_at[0];
    for (size_t i = 0; i < m; i++) {
        size_t r = dial_mlp_sparse_row(rows, first, i), at = csr->row_start[r];
        combine_on(kernel, width, csr->row_start[r + 1] - at, csr->value + at, csr->col + at,
                   weight, width, bias, z + i * width);
    }
}

typedef struct sparse_forward_job {
    const dial_mlp_network *net;
    const double *params;
    const dial_csr *csr;
    const size_t *rows;
    size_t n;
    double *out, *scratch;
} sparse_forward_job;

static dial_status sparse_forward_blocks(void *arg, size_t begin, size_t end, int worker) {
    const sparse_forward_job *job = arg;
    const dial_mlp_network *net = job->net;
    size_t block_rows = net->block_rows, n_out = net->sizes[net->n_layers];
    double *acts = job->scratch + (size_t)worker * dial_mlp_block_scratch(net);
    double *outs[DIAL_MLP_MAX_LAYERS];
    for (size_t l = 0; l < net->n_layers; l++) outs[l] = dial_mlp_layer_out(net, acts, l);
    for (size_t block = begin; block < end; block++) {
        size_t first = block * block_rows,
               m = job->n - first < block_rows ? job->n - first : block_rows;
        dial_mlp_sparse_first_layer(net, job->params, job->csr, job->rows, first, m, outs[0]);
        dial_mlp_forward_from_first(net, job->params, m, outs, NULL);
        memcpy(job->out + first * n_out, outs[net->n_layers - 1], m * n_out * sizeof *job->out);
    }
    return DIAL_OK;
}

dial_status dial_mlp_sparse_forward_rows(dial_ctx *ctx, int threads, const dial_mlp_network *net,
                                         const double *params, const dial_csr *csr,
                                         const size_t *rows, size_t n, double *out,
                                         double *scratch) {
    sparse_forward_job job = {net, params, csr, rows, n, out, scratch};
    size_t blocks = (n + net->block_rows - 1) / net->block_rows;
    return dial_parallel_for(ctx, threads, blocks, sparse_forward_blocks, &job);
}

dial_status dial_mlp_sparse_batch_init(dial_ctx *ctx, dial_mlp_sparse_batch *batch,
                                       const dial_csr *csr, const size_t *rows, size_t n,
                                       size_t n_features, size_t batch_size) {
    memset(batch, 0, sizeof *batch);
    batch->n_features = n_features;
    if (batch_size > UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "mlp on sparse input takes minibatches of at most %u rows, not %zu",
                         (unsigned)UINT32_MAX, batch_size);
    /* The most nonzeros a minibatch can hold: those of the batch_size
     * longest rows, found from a count of the rows of each length. */
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = dial_mlp_sparse_row(rows, 0, i),
               length = csr->row_start[r + 1] - csr->row_start[r];
        if (length > longest) longest = length;
    }
    size_t *of_length = dial_calloc(ctx, longest + 1, sizeof *of_length);
    if (!of_length)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory sizing the minibatches of mlp");
    for (size_t i = 0; i < n; i++) {
        size_t r = dial_mlp_sparse_row(rows, 0, i);
        of_length[csr->row_start[r + 1] - csr->row_start[r]]++;
    }
    size_t left = batch_size, capacity = 0;
    for (size_t length = longest + 1; length-- > 0 && left > 0;) {
        size_t take = of_length[length] < left ? of_length[length] : left;
        capacity += take * length;
        left -= take;
    }
    free(of_length);
    batch->capacity = capacity;
    batch->col_start = dial_malloc(ctx, (n_features + 2) * sizeof *batch->col_start);
    batch->batch_row = dial_malloc(ctx, (capacity + 1) * sizeof *batch->batch_row);
    batch->value = dial_malloc(ctx, (capacity + 1) * sizeof *batch->value);
    if (!batch->col_start || !batch->batch_row || !batch->value) {
        dial_mlp_sparse_batch_free(batch);
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "out of memory for the minibatches of mlp (%zu nonzeros, %zu inputs)",
                         capacity, n_features);
    }
    return DIAL_OK;
}

void dial_mlp_sparse_batch_free(dial_mlp_sparse_batch *batch) {
    if (!batch) return;
    free(batch->col_start);
    free(batch->batch_row);
    free(batch->value);
    memset(batch, 0, sizeof *batch);
}

void dial_mlp_sparse_batch_fill(dial_mlp_sparse_batch *batch, const dial_csr *csr,
                                const size_t *rows, size_t m) {
    /* A counting sort by column: counted two places up, summed, then each
     * entry placed at col_start[c + 1], which ends as column c + 1's start.
     * Rows are placed in order, so a column's entries are in row order. */
    size_t *start = batch->col_start;
    memset(start, 0, (batch->n_features + 2) * sizeof *start);
    for (size_t i = 0; i < m; i++) {
        size_t r = rows[i];
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++) start[csr->col[k] + 2]++;
    }
    for (size_t c = 2; c < batch->n_features + 2; c++) start[c] += start[c - 1];
    for (size_t i = 0; i < m; i++) {
        size_t r = rows[i];
        for (size_t k = csr->row_start[r]; k < csr->row_start[r + 1]; k++) {
            size_t at = start[csr->col[k] + 1]++;
            batch->batch_row[at] = (uint32_t)i;
            batch->value[at] = csr->value[k];
        }
    }
}

void dial_mlp_sparse_gradient(const dial_mlp_sparse_batch *batch, const double *delta, size_t n_out,
                              size_t j, size_t count, double *g) {
    dial_mlp_gemm_kernel kernel = dial_mlp_gemm_best();
    for (size_t c = j; c < j + count; c++) {
        double *row = g + (c - j) * n_out;
        size_t at = batch->col_start[c], entries = batch->col_start[c + 1] - at;
        if (entries == 0)
            memset(row, 0, n_out * sizeof *row);
        else
            combine_on(kernel, n_out, entries, batch->value + at, batch->batch_row + at, delta,
                       n_out, NULL, row);
    }
}
