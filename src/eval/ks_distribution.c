/* The finite-sample distribution of the two-sided Kolmogorov-Smirnov
 * statistic D_n of n values against a continuous CDF: P(D_n > d).
 *
 * No single method is both exact and cheap over every n and d, so the tail
 * is computed as Simard and L'Ecuyer (2011, "Computing the two-sided
 * Kolmogorov-Smirnov distribution", J. Stat. Softw. 39(11)) advise and as
 * scipy's stats.kstwo does, with the same boundaries between methods, so
 * that scipy repeats every p-value dial reports (docs/drift.md):
 *
 * - d <= 1/(2n): 1; n d <= 1 and d >= 1 - 1/n: Ruben and Gambino's closed
 *   forms;
 * - d >= 0.5, or n d^2 large enough that the two one-sided tails cannot
 *   overlap: twice the one-sided (Smirnov) tail, exact by Birnbaum and
 *   Tingey's sum;
 * - small n d^2: Durbin's matrix, raised to the n-th power by squaring with
 *   the scaling of Marsaglia, Tsang and Wang (2003);
 * - n <= 140 and moderate n d^2: Pomeranz's (1974) recursion;
 * - large n: Pelz and Good's (1976) asymptotic series in 1/sqrt(n).
 *
 * Intermediate values far below the double range are carried with a
 * separate power-of-two exponent. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/drift.h"

#define KS_PI 3.14159265358979323846
#define KS_SQRT_2PI 2.50662827463100050242
/* 2^128 and the exponent that goes with it: the scaling step. */
#define KS_SCALE 3.4028236692093846346e38
#define KS_SCALE_EXPONENT 128
/* log of the smallest normal double: exp of anything below is 0 */
#define KS_MIN_LOG (-708.3964185322641)

static double clip_probability(double p) { return p < 0 ? 0 : p > 1 ? 1 : p; }

/* log(n! / n^n) by Stirling's series with n log n taken out first. */
static double log_factorial_over_power(double n) {
    /* B_2j / (2j (2j - 1)) for j = 8 .. 1, highest power first */
    static const double stirling[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                                      -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                                      -5.952380952380952381e-4,  7.9365079365079365079e-4,
                                      -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    double r = 1 / n, r2 = r / n, series = 0;
    for (size_t i = 0; i < sizeof stirling / sizeof *stirling; i++)
        series = series * r2 + stirling[i];
    return log(n) / 2 - n + log(2 * KS_PI) / 2 + r * series;
}

/* P(D+_n >= x), the one-sided tail: x times the sum over v from 0 while
 * x + v/n < 1 of C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), each term in
 * logarithms (extended precision) so neither the binomial nor the powers
 * overflow. Above a million values the terms are too many and the
 * approximation exp(-(6 n x + 1)^2 / (18 n)) is used, as scipy does. */
static double smirnov_sf(uint64_t n, double x) {
    if (!(x > 0)) return 1;
    if (x >= 1) return 0;
    if (n == 1) return 1 - x;
    long double nx = (long double)n * x;
    long double below = floorl(nx);
    if (below == 0 || (below == 1 && nx == below))
        return 1 - x * pow(1 + x, (double)(n - 1)); /* x <= 1/n */
    if (-2.0 * (double)n * x * x < KS_MIN_LOG) return 0;
    if (below >= (long double)(n - 1)) return pow(1 - x, (double)n);
    if (n > 1000000) {
        double log_p = -pow(6.0 * (double)n * x + 1, 2) / 18.0 / (double)n;
        return log_p < -log(2.0) ? exp(log_p) : 1 + expm1(log_p);
    }
    /* the terms v = 0 .. last, where 1 - x - v/n > 0; in double precision
     * (a term's logarithm, at most about n ln 2, is then off by under 1e-10
     * relative, and the p-value by less than that), which is several times
     * faster than extended precision over the million terms a large n takes */
    double nd = (double)n, n_x = (double)nx;
    uint64_t last = n - (uint64_t)below - 1;
    long double log_binomial = 0;
    double sum = 0;
    for (uint64_t v = 0; v <= last; v++) {
        double vd = (double)v;
        double rest = ((nd - vd) - n_x) / nd; /* 1 - x - v/n */
        double at = x + vd / nd;              /* x + v/n */
        /* log(1 - at) from at while at is small: rest near 1 has lost the
         * digits that, times n - v, would matter */
        double log_rest = at < 0.5 ? log1p(-at) : log(rest);
        double log_term = (double)log_binomial + (vd - 1) * log(at) + (nd - vd) * log_rest;
        double term = log_term < KS_MIN_LOG ? 0 : exp(log_term);
        sum += term;
        /* Past the peak the terms only fall: stop once all that remain
         * could not move the sum by a rounding error. */
        if (term > 0 && 4 * (double)(last - v + 1) * term < DBL_EPSILON * sum) break;
        if (term == 0 && v > n / 2) break;
        log_binomial += logl((long double)(nd - vd) / (vd + 1));
    }
    return clip_probability(x * sum);
}

/* Durbin's matrix method for P(D_n < d), with n d = k - h (k an integer,
 * 0 <= h < 1): the (k, k) entry of H^n times n!/n^n, H the m x m matrix
 * (m = 2k - 1) of Durbin (1973), scaled as Marsaglia, Tsang and Wang do.
 * Costs m^3 log n; used only where m is small (at most 117). NaN when out
 * of memory. */
static double durbin_cdf(dial_ctx *ctx, uint64_t n, double d) {
    double nd = (double)n * d;
    size_t k = (size_t)ceil(nd), m = 2 * k - 1;
    double h = (double)k - nd;
    double *all = dial_calloc(ctx, 4 * m * m + 2 * m, sizeof *all);
    if (!all) {
        dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the Kolmogorov-Smirnov tail");
        return NAN;
    }
    double *H = all, *power = H + m * m, *product = power + m * m, *square = product + m * m;
    double *v = square + m * m, *w = v + m;
    double factorial = 1;
    for (size_t j = 0; j < m; j++) {
        w[j] = factorial;             /* 1/j! */
        factorial /= (double)(j + 1); /* may underflow: harmless */
        v[j] = (1 - pow(h, (double)(j + 1))) * factorial;
    }
    double corner = pow(fmax(2 * h - 1, 0), (double)m) - 2 * pow(h, (double)m);
    v[m - 1] = (1 + corner) * factorial;
    for (size_t col = 1; col < m; col++)
        for (size_t row = col - 1; row < m; row++) H[row * m + col] = w[row - col + 1];
    for (size_t row = 0; row < m; row++) H[row * m] = v[row];
    for (size_t col = 0; col < m; col++) H[(m - 1) * m + col] = v[m - 1 - col];
    for (size_t i = 0; i < m; i++) power[i * m + i] = 1;

    long exponent = 0, h_exponent = 0;
    for (uint64_t e = n; e > 0; e /= 2) {
        if (e % 2) {
            memset(product, 0, m * m * sizeof *product);
            for (size_t i = 0; i < m; i++)
                for (size_t l = 0; l < m; l++) {
                    double a = power[i * m + l];
                    if (a == 0) continue;
                    for (size_t j = 0; j < m; j++) product[i * m + j] += a * H[l * m + j];
                }
            memcpy(power, product, m * m * sizeof *power);
            exponent += h_exponent;
        }
        memset(square, 0, m * m * sizeof *square);
        for (size_t i = 0; i < m; i++)
            for (size_t l = 0; l < m; l++) {
                double a = H[i * m + l];
                if (a == 0) continue;
                for (size_t j = 0; j < m; j++) square[i * m + j] += a * H[l * m + j];
            }
        memcpy(H, square, m * m * sizeof *H);
        h_exponent *= 2;
        if (fabs(H[(k - 1) * m + (k - 1)]) > KS_SCALE) {
            for (size_t i = 0; i < m * m; i++) H[i] /= KS_SCALE;
            h_exponent += KS_SCALE_EXPONENT;
        }
    }
    double p = power[(k - 1) * m + (k - 1)];
    free(all);
    for (uint64_t i = 1; i <= n; i++) {
        p = (double)i * p / (double)n;
        if (fabs(p) < 1 / KS_SCALE) {
            p *= KS_SCALE;
            exponent -= KS_SCALE_EXPONENT;
        }
    }
    return clip_probability(ldexp(p, (int)exponent));
}

/* The columns [first, last] of row i of Pomeranz's table that can be
 * nonzero, for n d = whole + fraction. */
static void pomeranz_span(size_t i, size_t n, size_t whole, int ceil_f, int round_f, long *first,
                          long *last) {
    long l = (long)whole, a, b;
    if (i == 0) {
        a = -l - ceil_f - 1;
        b = l + ceil_f - 1;
    } else {
        long half = (long)(i + 1) / 2;
        if ((i + 1) % 2 == 0) { /* i odd */
            if (half == (long)n + 1) {
                a = (long)n - l - ceil_f - 1;
                b = (long)n + l + ceil_f - 1;
            } else {
                a = half - 1 - l - round_f - 1;
                b = half + l - 1 + ceil_f - 1;
            }
        } else {
            a = half - 1 - l - 1;
            b = half + l + round_f - 1;
        }
    }
    *first = a + 2 > 0 ? a + 2 : 0;
    *last = b < (long)n ? b : (long)n;
}

/* Pomeranz's recursion for P(D_n < d): 2n + 2 rows, each the convolution
 * of the last with Poisson-like weights (g/n)^j / j!, (2g/n)^j / j! or
 * ((1 - 2g)/n)^j / j!; only a band of each row is nonzero. The answer is
 * n! times the last row's entry n. For n <= 140. NaN when out of memory. */
static double pomeranz_cdf(dial_ctx *ctx, uint64_t n, double d) {
    double t = (double)n * d;
    size_t whole = (size_t)floor(t);
    double f = t - (double)whole, g = fmin(f, 1 - f);
    int ceil_f = f > 0, round_f = f > 0.5;
    size_t width = 2 * (whole + 1);
    double *all = dial_calloc(ctx, 5 * width, sizeof *all);
    if (!all) {
        dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the Kolmogorov-Smirnov tail");
        return NAN;
    }
    double *g_weight = all, *two_g_weight = g_weight + width, *rest_weight = two_g_weight + width;
    double *previous = rest_weight + width, *current = previous + width;
    g_weight[0] = two_g_weight[0] = rest_weight[0] = 1;
    for (size_t j = 1; j < width; j++) {
        g_weight[j] = g_weight[j - 1] * (g / (double)n) / (double)j;
        two_g_weight[j] = two_g_weight[j - 1] * (2 * g / (double)n) / (double)j;
        rest_weight[j] = rest_weight[j - 1] * ((1 - 2 * g) / (double)n) / (double)j;
    }
    long exponent = 0;
    current[0] = 1;
    long current_start = 0, previous_start = 0, first, last;
    pomeranz_span(0, n, whole, ceil_f, round_f, &first, &last);
    for (size_t i = 1; i < 2 * n + 2; i++) {
        long previous_first = first;
        double *swap = previous;
        previous = current;
        current = swap;
        previous_start = current_start;
        memset(current, 0, width * sizeof *current);
        pomeranz_span(i, n, whole, ceil_f, round_f, &first, &last);
        const double *weight = (i == 1 || i == 2 * n + 1) ? g_weight
                               : (i % 2)                  ? two_g_weight
                                                          : rest_weight;
        long span = last - previous_first + 1;
        if (span <= 0) continue;
        /* entry c of the new row (c = first .. last) sums the old row's
         * entries previous_first + j, j <= c - previous_first, weighted by
         * weight[c - previous_first - j] */
        const double *old = previous + (previous_first - previous_start);
        double largest = 0;
        for (long c = first; c <= last; c++) {
            long offset = c - previous_first;
            double sum = 0;
            for (long j = 0; j <= offset && j < span; j++) sum += old[j] * weight[offset - j];
            current[c - first] = sum;
            largest = fmax(largest, sum);
        }
        if (largest > 0 && largest < 1 / KS_SCALE) {
            for (long c = 0; c <= last - first; c++) current[c] *= KS_SCALE;
            exponent -= KS_SCALE_EXPONENT;
        }
        current_start = previous_start + first - previous_first;
    }
    double answer = current[(long)n - current_start];
    free(all);
    for (uint64_t j = 1; j <= n; j++) {
        if (fabs(answer) > KS_SCALE) {
            answer /= KS_SCALE;
            exponent += KS_SCALE_EXPONENT;
        }
        answer *= (double)j;
    }
    return clip_probability(ldexp(answer, (int)exponent));
}

/* Pelz and Good's approximation of P(D_n <= x): K0(z) + K1(z)/sqrt(n) +
 * K2(z)/n + K3(z)/n^1.5 at z = x sqrt(n), each K written through Jacobi's
 * theta transformation so its series converges fast for small z. */
static double pelz_good_cdf(uint64_t n, double x) {
    double z = sqrt((double)n) * x;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
    double pi2 = KS_PI * KS_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    double log_q = -pi2 / 8 / z2;
    if (log_q < KS_MIN_LOG) return 0;
    double q = exp(log_q);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3a = -30 * z6 - 90 * z8, k3b = pi2 * (135 * z4 - 96 * z6) / 4;
    double k3c = pi4 * (-60 * z2 + 212 * z4) / 16, k3d = pi6 * (5 - 30 * z2) / 64;
    /* sums over odd m = 2k - 1 of c(m) q^(m^2), by Horner in q^(8k) */
    double sum[4] = {0, 0, 0, 0};
    long terms = (long)ceil(16 * z / KS_PI);
    for (long k = terms; k >= 1; k--) {
        double m = 2.0 * (double)k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double step = pow(q, 8.0 * (double)k);
        double c[4] = {1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; i++) sum[i] = sum[i] * step + c[i];
    }
    double divisor[4] = {z, 6 * z4, 72 * z2 * z4 * z, 6480 * z6 * z4};
    for (int i = 0; i < 4; i++) sum[i] = sum[i] * q * KS_SQRT_2PI / divisor[i];
    /* the terms of K2 and K3 over every integer k */
    double r = exp(-pi2 / 2 / z2), extra2 = 0, extra3 = 0, root3z = sqrt(3.0) * z;
    for (long k = terms; k >= 1; k--) {
        double kk = (double)k * (double)k, power = pow(r, kk), kpi = KS_PI * (double)k;
        extra2 += kk * power;
        extra3 += (root3z + kpi) * (root3z - kpi) * kk * power;
    }
    sum[2] += extra2 * pi2 * KS_SQRT_2PI / (-36 * z3);
    sum[3] += extra3 * pi2 * KS_SQRT_2PI / (216 * z6);
    double root_n = sqrt((double)n);
    return sum[0] + sum[1] / root_n + sum[2] / (double)n + sum[3] / ((double)n * root_n);
}

double dial_kstwo_sf(dial_ctx *ctx, uint64_t n, double d) {
    if (isnan(d) || n == 0) return NAN;
    if (d >= 1) return 0;
    if (d <= 0) return 1;
    double nf = (double)n, t = nf * d;
    if (t <= 1) {
        if (t <= 0.5) return 1;
        double p;
        if (n <= 140) {
            p = 1;
            for (uint64_t i = 1; i <= n; i++) p *= (double)i / nf * (2 * t - 1);
        } else {
            p = exp(log_factorial_over_power(nf) + nf * log(2 * t - 1));
        }
        return clip_probability(1 - p);
    }
    if (t >= nf - 1) return clip_probability(2 * pow(1 - d, nf));
    if (d >= 0.5) return clip_probability(2 * smirnov_sf(n, d));
    double nd2 = t * d;
    if (n <= 140) {
        if (nd2 <= 0.754693) return clip_probability(1 - durbin_cdf(ctx, n, d));
        if (nd2 <= 4) return clip_probability(1 - pomeranz_cdf(ctx, n, d));
        return clip_probability(2 * smirnov_sf(n, d));
    }
    if (nd2 >= 370) return 0;
    if (nd2 >= 2.2) return clip_probability(2 * smirnov_sf(n, d));
    double cdf =
        (n <= 100000 && nf * pow(d, 1.5) <= 1.4) ? durbin_cdf(ctx, n, d) : pelz_good_cdf(n, d);
    return clip_probability(1 - cdf);
}
