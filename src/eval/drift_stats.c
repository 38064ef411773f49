/* The statistics of the drift comparison (docs/drift.md), written out so
 * that a reference computation can repeat them from the stored histograms:
 * the population stability index, the Kolmogorov-Smirnov distance between
 * new values and the stored piecewise-linear CDF with the Kolmogorov
 * distribution's tail, and the chi-squared test of homogeneity with the
 * regularised incomplete gamma function. */
#include <math.h>

#include "eval/drift_internal.h"

double dial_drift_psi(const uint64_t *reference, const uint64_t *current, size_t n_cells) {
    double total_reference = 0, total_current = 0;
    for (size_t k = 0; k < n_cells; k++) {
        total_reference += (double)reference[k];
        total_current += (double)current[k];
    }
    if (total_reference == 0 || total_current == 0) return 0;
    double psi = 0;
    for (size_t k = 0; k < n_cells; k++) {
        if (reference[k] == 0 && current[k] == 0) continue;
        double p = fmax((double)reference[k] / total_reference, DIAL_DRIFT_PSI_EPSILON);
        double q = fmax((double)current[k] / total_current, DIAL_DRIFT_PSI_EPSILON);
        psi += (q - p) * log(q / p);
    }
    return psi;
}

double dial_kolmogorov_sf(double x) {
    if (isnan(x)) return NAN;
    if (x <= 0) return 1;
    if (x >= 1) {
        /* The alternating series converges fast here: at x = 1 the fifth
         * term is below 1e-21. */
        double sum = 0;
        for (int k = 1; k <= 100; k++) {
            double term = exp(-2.0 * k * k * x * x);
            sum += (k % 2) ? term : -term;
            if (term <= 1e-18 * sum) break;
        }
        return fmin(1, fmax(0, 2 * sum));
    }
    /* Below 1 the dual (Jacobi theta) series of the CDF converges fast. */
    const double pi = 3.14159265358979323846;
    double sum = 0;
    for (int k = 1; k <= 100; k++) {
        double odd = 2.0 * k - 1;
        double term = exp(-odd * odd * pi * pi / (8 * x * x));
        sum += term;
        if (term <= 1e-18 * sum || term == 0) break;
    }
    return fmin(1, fmax(0, 1 - sqrt(2 * pi) / x * sum));
}

/* P(a, x) by its series, for x < a + 1. */
static double gamma_p_series(double a, double x) {
    double term = 1 / a, sum = term;
    for (int n = 1; n < 100000; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-17) break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1. */
static double gamma_q_fraction(double a, double x) {
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1) < 1e-17) break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double dial_gamma_q(double a, double x) {
    if (!(a > 0) || !(x >= 0) || isinf(a)) return NAN;
    if (x == 0) return 1;
    if (isinf(x)) return 0;
    if (x < a + 1) return 1 - gamma_p_series(a, x);
    return gamma_q_fraction(a, x);
}

/* The stored CDF at edge k: the share of the reference rows <= edges[k]. */
static double reference_cdf_at_edge(const dial_drift_column *reference, const double *cumulative,
                                    size_t k) {
    return cumulative[k] / (double)reference->count;
}

double dial_drift_ks_statistic(const dial_drift_column *reference, const double *sorted, size_t n) {
    size_t m = reference->n_cells;
    if (n == 0 || m == 0 || reference->count == 0) return 0;
    /* cumulative counts; at most 4 * DIAL_DRIFT_BINS + 1 edges */
    double cumulative[4 * DIAL_DRIFT_BINS + 1];
    double running = 0;
    for (size_t k = 0; k < m; k++) {
        running += (double)reference->counts[k];
        cumulative[k] = running;
    }
    const double *edges = reference->edges;
    double total = (double)reference->count, d = 0;
    /* At each distinct new value t: F_new(t) = #(x <= t) / n against the
     * stored CDF, linear between edges. */
    size_t k = 0; /* first edge > t */
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && sorted[i + 1] == sorted[i]) continue;
        double t = sorted[i], stored;
        while (k < m && edges[k] <= t) k++;
        if (k == 0)
            stored = 0;
        else if (k == m)
            stored = 1;
        else
            /* linear across the cell's inside rows; the rows on its
             * upper edge are a jump there */
            stored =
                (cumulative[k - 1] + (t - edges[k - 1]) / (edges[k] - edges[k - 1]) *
                                         (double)(reference->counts[k] - reference->at_edge[k])) /
                total;
        d = fmax(d, fabs((double)(i + 1) / (double)n - stored));
    }
    /* At each edge: the share of new values <= it against the stored share. */
    size_t below = 0;
    for (size_t e = 0; e < m; e++) {
        while (below < n && sorted[below] <= edges[e]) below++;
        d = fmax(d,
                 fabs((double)below / (double)n - reference_cdf_at_edge(reference, cumulative, e)));
    }
    return d;
}

double dial_drift_chi_squared(const uint64_t *reference, const uint64_t *current, size_t n_cells,
                              double *df) {
    double r = 0, s = 0;
    size_t used = 0;
    for (size_t k = 0; k < n_cells; k++) {
        r += (double)reference[k];
        s += (double)current[k];
        used += reference[k] + current[k] > 0;
    }
    *df = 0;
    if (r == 0 || s == 0 || used < 2) return 0;
    double chi = 0;
    for (size_t k = 0; k < n_cells; k++) {
        double a = (double)reference[k], b = (double)current[k];
        if (a + b == 0) continue;
        double expected_a = r * (a + b) / (r + s), expected_b = s * (a + b) / (r + s);
        chi += (a - expected_a) * (a - expected_a) / expected_a +
               (b - expected_b) * (b - expected_b) / expected_b;
    }
    *df = (double)(used - 1);
    return chi;
}
