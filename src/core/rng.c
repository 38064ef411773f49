/* Random streams: xoshiro256** (Blackman and Vigna), seeded through
 * splitmix64 so that any (seed, stream) pair gives a well-mixed state. */
#include <math.h>

#include "dial/core.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

dial_rng dial_rng_stream(uint64_t seed, uint64_t stream_id) {
    /* Mix the stream id through its own splitmix step so that nearby ids
     * (trial 1, trial 2) start far apart. */
    uint64_t mix = stream_id;
    uint64_t x = seed ^ splitmix64(&mix);
    dial_rng rng;
    for (int i = 0; i < 4; i++) rng.s[i] = splitmix64(&x);
    return rng;
}

uint64_t dial_rng_next(dial_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double dial_rng_uniform(dial_rng *rng) { return (double)(dial_rng_next(rng) >> 11) * 0x1.0p-53; }

uint64_t dial_rng_below(dial_rng *rng, uint64_t n) {
    /* Rejection sampling: draws below the largest multiple of n are unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = dial_rng_next(rng);
    while (r >= limit);
    return r % n;
}

double dial_rng_normal(dial_rng *rng) {
    /* Box-Muller; the second deviate is dropped so the stream stays stateless. */
    double u1 = 1.0 - dial_rng_uniform(rng); /* in (0, 1] */
    double u2 = dial_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

void dial_rng_shuffle(dial_rng *rng, size_t *items, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)dial_rng_below(rng, i);
        size_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}
