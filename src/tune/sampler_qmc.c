/*
 * Quasi-random search: a Sobol sequence with Owen scrambling.
 *
 * Point n of a Sobol sequence in dimension j is the XOR of the direction
 * numbers V_j[b] of the bits b set in n. The first 2^m points of two
 * dimensions then fill every box of a 2^a x 2^b grid of the unit square
 * with a + b = m equally (up to a small t), which random points do only on
 * average: the space is covered more evenly for the same number of trials.
 *
 * Direction numbers: Joe and Kuo, "Constructing Sobol sequences with better
 * two-dimensional projections", SIAM J. Sci. Comput. 30 (2008), table
 * new-joe-kuo-6.21201, dimensions 2 to 40 (dimension 1 is van der Corput).
 *
 * Scrambling: an unscrambled Sobol point 0 is the corner (0, ..., 0) and
 * every study with the same space would try the same points. Owen's nested
 * uniform scrambling flips bit k of a coordinate according to a hash of the
 * seed, the dimension and the k bits above it: the result is uniform on
 * (0, 1) for every point, keeps the net property, and differs from seed to
 * seed. Each coordinate is computed from (seed, n, dimension) alone, without
 * the points before it, so workers never need to agree on a position.
 * Indices past 2^32 wrap around (the direction numbers have 32 bits).
 */
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* One row of the table: the degree s of the primitive polynomial, its inner
 * coefficients a (s - 1 bits, highest first) and the initial direction
 * numbers m_1 .. m_s (m_k odd and below 2^k). */
typedef struct sobol_row {
    unsigned char s;
    unsigned char a;
    unsigned char m[8];
} sobol_row;

/* Dimensions 2 .. DIAL_SOBOL_DIMENSIONS. */
static const sobol_row sobol_table[DIAL_SOBOL_DIMENSIONS - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
    {7, 50, {1, 3, 1, 3, 5, 53, 69}},
    {7, 55, {1, 1, 5, 5, 23, 33, 13}},
    {7, 56, {1, 1, 7, 7, 1, 61, 123}},
    {7, 59, {1, 1, 7, 9, 13, 61, 49}},
    {7, 62, {1, 3, 3, 5, 3, 55, 33}},
    {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},
    {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},
    {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},
};

/* Keeps the scrambling keys apart from the random sampler's streams. */
#define QMC_STREAM UINT64_C(0x5eb01c0de0000000)

/* V[k - 1] = m_k * 2^(32 - k), with m_k for k > s from the recurrence
 *   m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^(s-1) a_{s-1} m_{k-s+1}
 *         ^ 2^s m_{k-s} ^ m_{k-s},
 * written directly on the shifted numbers. */
static void sobol_directions(size_t dimension, uint32_t *v) {
    if (dimension == 0) {
        for (int k = 1; k <= DIAL_SOBOL_BITS; k++) v[k - 1] = UINT32_C(1) << (32 - k);
        return;
    }
    const sobol_row *row = &sobol_table[dimension - 1];
    int s = row->s;
    for (int k = 1; k <= s; k++) v[k - 1] = (uint32_t)row->m[k - 1] << (32 - k);
    for (int k = s + 1; k <= DIAL_SOBOL_BITS; k++) {
        uint32_t x = v[k - s - 1] ^ (v[k - s - 1] >> s);
        for (int i = 1; i < s; i++)
            if ((row->a >> (s - 1 - i)) & 1) x ^= v[k - i - 1];
        v[k - 1] = x;
    }
}

dial_status dial_qmc_init(dial_ctx *ctx, dial_sampler *sampler) {
    size_t n = sampler->space.n < DIAL_SOBOL_DIMENSIONS ? sampler->space.n : DIAL_SOBOL_DIMENSIONS;
    sampler->n_dimensions = n;
    if (n == 0) return DIAL_OK;
    sampler->directions = dial_malloc(ctx, n * sizeof *sampler->directions);
    sampler->scramble_keys = dial_malloc(ctx, n * sizeof *sampler->scramble_keys);
    if (!sampler->directions || !sampler->scramble_keys)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the qmc sampler");
    for (size_t d = 0; d < n; d++) {
        sobol_directions(d, sampler->directions[d]);
        dial_rng rng = dial_rng_stream(sampler->seed, QMC_STREAM + d);
        sampler->scramble_keys[d] = dial_rng_next(&rng);
    }
    return DIAL_OK;
}

/* A well-mixed 64-bit function of its input (splitmix64's finaliser). */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Owen scrambling: bit k from the top is flipped by a coin that depends on
 * the key, k and the k original bits above it, so points that share their
 * leading bits (lie in the same elementary interval) are permuted alike. */
static uint32_t owen_scramble(uint32_t x, uint64_t key) {
    uint32_t out = x;
    for (int k = 0; k < 32; k++) {
        uint64_t prefix = k == 0 ? 0 : x >> (32 - k);
        uint64_t coin = mix64(key ^ mix64(((uint64_t)k << 32) | prefix)) >> 63;
        out ^= (uint32_t)coin << (31 - k);
    }
    return out;
}

uint32_t dial_qmc_sobol(const dial_sampler *sampler, uint64_t index, size_t dimension) {
    const uint32_t *v = sampler->directions[dimension];
    uint32_t x = 0;
    for (int b = 0; b < DIAL_SOBOL_BITS && index; b++, index >>= 1)
        if (index & 1) x ^= v[b];
    return x;
}

double dial_qmc_unit(const dial_sampler *sampler, int64_t number, size_t dimension) {
    uint32_t x = dial_qmc_sobol(sampler, (uint64_t)number, dimension);
    x = owen_scramble(x, sampler->scramble_keys[dimension]);
    /* The centre of the point's 2^-32 cell: never exactly 0 or 1. */
    return ((double)x + 0.5) * 0x1.0p-32;
}

/* ---- the qmc sampler's table ------------------------------------------------- */

/* Parameters beyond the Sobol dimensions, or outside the space, are left
 * to random draws. */
static bool qmc_suggest(const dial_sampler *sampler, int64_t number, long index,
                        const dial_param *own, double *value) {
    if (index < 0 || (size_t)index >= sampler->n_dimensions) return false;
    *value = dial_sampler_from_unit(own, dial_qmc_unit(sampler, number, (size_t)index));
    return true;
}

const dial_sampler_ops dial_sampler_qmc_ops = {
    .kind = DIAL_SAMPLER_QMC,
    .name = "qmc",
    .create = dial_qmc_init,
    .suggest = qmc_suggest,
};
