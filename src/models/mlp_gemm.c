/*
 * The multilayer perceptron's matrix product: register-blocked AVX-512 and
 * AVX2 kernels, picked at run time from what the CPU supports, and a
 * portable loop that gives the same bits (see models/mlp_gemm.h).
 *
 * A kernel keeps a tile of C (with AVX-512 up to 6 rows x 32 columns, 8 x
 * 24 or 12 x 16; with AVX2 4 x 12) in registers while it walks k, broadcasting one entry of A
 * per row and loading one row of B per step, and goes over k in slices
 * whose panel of B stays in the first-level cache. The last vector of a
 * tile is masked, so any n works without reading past a row. Each tile
 * shape is its own copy of the kernel (the shape is a constant where it is
 * inlined), so the tile lives in registers.
 */
#include "models/mlp_gemm.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MLP_GEMM_X86 1
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* The tiles must be registers even in a debug build, or the tests crawl. */
#pragma GCC optimize("O3")
#endif

/* Steps of k whose panel of B (k x 32 doubles) stays in a 48 KiB L1. */
#define MLP_GEMM_K_SLICE 128

static void gemm_portable(dial_mlp_gemm_start start, const double *row, size_t m, size_t n,
                          size_t k, const double *a, size_t a_row, size_t a_col, const double *b,
                          size_t ldb, double *c, size_t ldc) {
    for (size_t i = 0; i < m; i++) {
        double *c_row = c + i * ldc;
        if (start == DIAL_MLP_GEMM_ZERO)
            for (size_t j = 0; j < n; j++) c_row[j] = 0;
        else if (start == DIAL_MLP_GEMM_ROW)
            for (size_t j = 0; j < n; j++) c_row[j] = row[j];
        for (size_t p = 0; p < k; p++) {
            double a_ip = a[i * a_row + p * a_col];
            const double *b_row = b + p * ldb;
            for (size_t j = 0; j < n; j++) c_row[j] = fma(a_ip, b_row[j], c_row[j]);
        }
    }
}

#ifdef MLP_GEMM_X86

#define MLP_INLINE static inline __attribute__((always_inline))
/* Unrolls the loops over a tile's rows and vectors, whose counts are
 * constants where a tile is inlined, so its accumulators are registers. */
#ifdef __clang__
#define MLP_UNROLL _Pragma("clang loop unroll(full)")
#else
#define MLP_UNROLL _Pragma("GCC unroll 12")
#endif
#define MLP_AVX512 __attribute__((target("avx512f")))
#define MLP_AVX2 __attribute__((target("avx2,fma")))

/* ---- AVX-512: tiles of 1 to 4 vectors of 8 columns ------------------
 * A tile of v vectors has up to 6 (v = 4), 8 (v = 3) or 12 rows (v <= 2):
 * 24 accumulators or fewer, and the row of B and the broadcast, within 32
 * registers. */

MLP_AVX512 MLP_INLINE void tile512(int rows, int vecs, dial_mlp_gemm_start start, const double *row,
                                   size_t k, const double *a, size_t a_row, size_t a_col,
                                   const double *b, size_t ldb, double *c, size_t ldc,
                                   __mmask8 last) {
    __m512d acc[12][4];
    MLP_UNROLL
    for (int v = 0; v < vecs; v++) {
        __mmask8 mask = v == vecs - 1 ? last : (__mmask8)0xff;
        MLP_UNROLL
        for (int r = 0; r < rows; r++) {
            if (start == DIAL_MLP_GEMM_ZERO)
                acc[r][v] = _mm512_setzero_pd();
            else if (start == DIAL_MLP_GEMM_ROW)
                acc[r][v] = _mm512_maskz_loadu_pd(mask, row + 8 * v);
            else
                acc[r][v] = _mm512_maskz_loadu_pd(mask, c + (size_t)r * ldc + 8 * v);
        }
    }
    for (size_t p = 0; p < k; p++) {
        const double *b_p = b + p * ldb, *a_p = a + p * a_col;
        __m512d bv[4];
        MLP_UNROLL
        for (int v = 0; v < vecs; v++)
            bv[v] = _mm512_maskz_loadu_pd(v == vecs - 1 ? last : (__mmask8)0xff, b_p + 8 * v);
        MLP_UNROLL
        for (int r = 0; r < rows; r++) {
            __m512d av = _mm512_set1_pd(a_p[(size_t)r * a_row]);
            MLP_UNROLL
            for (int v = 0; v < vecs; v++) acc[r][v] = _mm512_fmadd_pd(av, bv[v], acc[r][v]);
        }
    }
    MLP_UNROLL
    for (int v = 0; v < vecs; v++) {
        __mmask8 mask = v == vecs - 1 ? last : (__mmask8)0xff;
        MLP_UNROLL
        for (int r = 0; r < rows; r++)
            _mm512_mask_storeu_pd(c + (size_t)r * ldc + 8 * v, mask, acc[r][v]);
    }
}

/* The most rows of a tile of vecs vectors. */
static int tile512_rows(int vecs) { return vecs == 4 ? 6 : vecs == 3 ? 8 : 12; }

#define MLP_T512(R, V)                                                       \
    case R:                                                                  \
        tile512(R, V, start, row, k, a, a_row, a_col, b, ldb, c, ldc, last); \
        return;
#define MLP_T512_UP_TO_5(V) \
    MLP_T512(1, V) MLP_T512(2, V) MLP_T512(3, V) MLP_T512(4, V) MLP_T512(5, V)

MLP_AVX512 static void tile512_any(int rows, int vecs, dial_mlp_gemm_start start, const double *row,
                                   size_t k, const double *a, size_t a_row, size_t a_col,
                                   const double *b, size_t ldb, double *c, size_t ldc,
                                   __mmask8 last) {
    switch (vecs) {
    case 4:
        switch (rows) {
            MLP_T512_UP_TO_5(4)
        default: tile512(6, 4, start, row, k, a, a_row, a_col, b, ldb, c, ldc, last); return;
        }
    case 3:
        switch (rows) {
            MLP_T512_UP_TO_5(3)
            MLP_T512(6, 3)
            MLP_T512(7, 3)
        default: tile512(8, 3, start, row, k, a, a_row, a_col, b, ldb, c, ldc, last); return;
        }
    case 2:
        switch (rows) {
            MLP_T512_UP_TO_5(2)
            MLP_T512(6, 2)
            MLP_T512(7, 2)
            MLP_T512(8, 2)
            MLP_T512(9, 2)
            MLP_T512(10, 2)
            MLP_T512(11, 2)
        default: tile512(12, 2, start, row, k, a, a_row, a_col, b, ldb, c, ldc, last); return;
        }
    default:
        switch (rows) {
            MLP_T512_UP_TO_5(1)
            MLP_T512(6, 1)
            MLP_T512(7, 1)
            MLP_T512(8, 1)
            MLP_T512(9, 1)
            MLP_T512(10, 1)
            MLP_T512(11, 1)
        default: tile512(12, 1, start, row, k, a, a_row, a_col, b, ldb, c, ldc, last); return;
        }
    }
}

/* Panels of at most 4 vectors over n columns, as even as they can be (100
 * columns: 4, 3, 3 and 3 vectors), so no panel is a thin one. */
MLP_AVX512 static void gemm512(dial_mlp_gemm_start start, const double *row, size_t m, size_t n,
                               size_t k, const double *a, size_t a_row, size_t a_col,
                               const double *b, size_t ldb, double *c, size_t ldc) {
    size_t n_vecs = (n + 7) / 8, n_panels = (n_vecs + 3) / 4;
    for (size_t k0 = 0; k0 < k; k0 += MLP_GEMM_K_SLICE) {
        size_t kc = k - k0 < MLP_GEMM_K_SLICE ? k - k0 : MLP_GEMM_K_SLICE;
        dial_mlp_gemm_start s = k0 == 0 ? start : DIAL_MLP_GEMM_ADD;
        size_t j0 = 0;
        for (size_t panel = 0; panel < n_panels; panel++) {
            int vecs = (int)(n_vecs / n_panels + (panel < n_vecs % n_panels ? 1 : 0));
            size_t cols = n - j0 < 8 * (size_t)vecs ? n - j0 : 8 * (size_t)vecs;
            __mmask8 last = (__mmask8)((1u << (cols - 8 * (size_t)(vecs - 1))) - 1);
            const double *row_j = s == DIAL_MLP_GEMM_ROW ? row + j0 : NULL;
            size_t tile_rows = (size_t)tile512_rows(vecs);
            for (size_t i0 = 0; i0 < m; i0 += tile_rows) {
                int rows = m - i0 < tile_rows ? (int)(m - i0) : (int)tile_rows;
                tile512_any(rows, vecs, s, row_j, kc, a + i0 * a_row + k0 * a_col, a_row, a_col,
                            b + k0 * ldb + j0, ldb, c + i0 * ldc + j0, ldc, last);
            }
            j0 += cols;
        }
    }
}

/* ---- AVX2: tiles of up to 4 rows x 3 vectors of 4 --------------------- */

MLP_AVX2 MLP_INLINE void tile256(int rows, int vecs, dial_mlp_gemm_start start, const double *row,
                                 size_t k, const double *a, size_t a_row, size_t a_col,
                                 const double *b, size_t ldb, double *c, size_t ldc, __m256i last) {
    const __m256i all = _mm256_set1_epi64x(-1);
    __m256d acc[4][3];
    MLP_UNROLL
    for (int v = 0; v < vecs; v++) {
        __m256i mask = v == vecs - 1 ? last : all;
        MLP_UNROLL
        for (int r = 0; r < rows; r++) {
            if (start == DIAL_MLP_GEMM_ZERO)
                acc[r][v] = _mm256_setzero_pd();
            else if (start == DIAL_MLP_GEMM_ROW)
                acc[r][v] = _mm256_maskload_pd(row + 4 * v, mask);
            else
                acc[r][v] = _mm256_maskload_pd(c + (size_t)r * ldc + 4 * v, mask);
        }
    }
    for (size_t p = 0; p < k; p++) {
        const double *b_p = b + p * ldb, *a_p = a + p * a_col;
        __m256d bv[3];
        MLP_UNROLL
        for (int v = 0; v < vecs; v++)
            bv[v] = _mm256_maskload_pd(b_p + 4 * v, v == vecs - 1 ? last : all);
        MLP_UNROLL
        for (int r = 0; r < rows; r++) {
            __m256d av = _mm256_broadcast_sd(a_p + (size_t)r * a_row);
            MLP_UNROLL
            for (int v = 0; v < vecs; v++) acc[r][v] = _mm256_fmadd_pd(av, bv[v], acc[r][v]);
        }
    }
    MLP_UNROLL
    for (int v = 0; v < vecs; v++) {
        __m256i mask = v == vecs - 1 ? last : all;
        MLP_UNROLL
        for (int r = 0; r < rows; r++)
            _mm256_maskstore_pd(c + (size_t)r * ldc + 4 * v, mask, acc[r][v]);
    }
}

#define MLP_TILE256_ARGS start, row, k, a, a_row, a_col, b, ldb, c, ldc, last
#define MLP_TILE256_ROWS(R)                               \
    case R:                                               \
        switch (vecs) {                                   \
        case 1: tile256(R, 1, MLP_TILE256_ARGS); return;  \
        case 2: tile256(R, 2, MLP_TILE256_ARGS); return;  \
        default: tile256(R, 3, MLP_TILE256_ARGS); return; \
        }

MLP_AVX2 static void tile256_any(int rows, int vecs, dial_mlp_gemm_start start, const double *row,
                                 size_t k, const double *a, size_t a_row, size_t a_col,
                                 const double *b, size_t ldb, double *c, size_t ldc, __m256i last) {
    switch (rows) {
        MLP_TILE256_ROWS(1)
        MLP_TILE256_ROWS(2)
        MLP_TILE256_ROWS(3)
    default:
        switch (vecs) {
        case 1: tile256(4, 1, MLP_TILE256_ARGS); return;
        case 2: tile256(4, 2, MLP_TILE256_ARGS); return;
        default: tile256(4, 3, MLP_TILE256_ARGS); return;
        }
    }
}

MLP_AVX2 static void gemm256(dial_mlp_gemm_start start, const double *row, size_t m, size_t n,
                             size_t k, const double *a, size_t a_row, size_t a_col, const double *b,
                             size_t ldb, double *c, size_t ldc) {
    /* Lane masks: the last vector of a tile keeps its first `used` lanes. */
    static const int64_t lanes[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    for (size_t k0 = 0; k0 < k; k0 += MLP_GEMM_K_SLICE) {
        size_t kc = k - k0 < MLP_GEMM_K_SLICE ? k - k0 : MLP_GEMM_K_SLICE;
        dial_mlp_gemm_start s = k0 == 0 ? start : DIAL_MLP_GEMM_ADD;
        for (size_t j0 = 0; j0 < n; j0 += 12) {
            size_t cols = n - j0 < 12 ? n - j0 : 12;
            int vecs = (int)((cols + 3) / 4);
            size_t used = cols - 4 * (size_t)(vecs - 1);
            __m256i last = _mm256_loadu_si256((const __m256i *)(const void *)(lanes + 4 - used));
            const double *row_j = s == DIAL_MLP_GEMM_ROW ? row + j0 : NULL;
            for (size_t i0 = 0; i0 < m; i0 += 4) {
                int rows = m - i0 < 4 ? (int)(m - i0) : 4;
                tile256_any(rows, vecs, s, row_j, kc, a + i0 * a_row + k0 * a_col, a_row, a_col,
                            b + k0 * ldb + j0, ldb, c + i0 * ldc + j0, ldc, last);
            }
        }
    }
}

#endif /* MLP_GEMM_X86 */

void dial_mlp_gemm_on(dial_mlp_gemm_kernel kernel, dial_mlp_gemm_start start, const double *row,
                      size_t m, size_t n, size_t k, const double *a, size_t a_row, size_t a_col,
                      const double *b, size_t ldb, double *c, size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        gemm_portable(start, row, m, n, 0, a, a_row, a_col, b, ldb, c, ldc);
        return;
    }
    switch (kernel) {
#ifdef MLP_GEMM_X86
    case DIAL_MLP_GEMM_AVX512:
        gemm512(start, row, m, n, k, a, a_row, a_col, b, ldb, c, ldc);
        return;
    case DIAL_MLP_GEMM_AVX2: gemm256(start, row, m, n, k, a, a_row, a_col, b, ldb, c, ldc); return;
#endif
    default: gemm_portable(start, row, m, n, k, a, a_row, a_col, b, ldb, c, ldc); return;
    }
}

bool dial_mlp_gemm_supports(dial_mlp_gemm_kernel kernel) {
    switch (kernel) {
#ifdef MLP_GEMM_X86
    case DIAL_MLP_GEMM_AVX512: return __builtin_cpu_supports("avx512f");
    case DIAL_MLP_GEMM_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    case DIAL_MLP_GEMM_PORTABLE: return true;
    default: return false;
    }
}

dial_mlp_gemm_kernel dial_mlp_gemm_best(void) {
    if (dial_mlp_gemm_supports(DIAL_MLP_GEMM_AVX512)) return DIAL_MLP_GEMM_AVX512;
    if (dial_mlp_gemm_supports(DIAL_MLP_GEMM_AVX2)) return DIAL_MLP_GEMM_AVX2;
    return DIAL_MLP_GEMM_PORTABLE;
}

void dial_mlp_gemm(dial_mlp_gemm_start start, const double *row, size_t m, size_t n, size_t k,
                   const double *a, size_t a_row, size_t a_col, const double *b, size_t ldb,
                   double *c, size_t ldc) {
    dial_mlp_gemm_on(dial_mlp_gemm_best(), start, row, m, n, k, a, a_row, a_col, b, ldb, c, ldc);
}
