/*
 * The gp sampler's output warp: a monotone power transform of the losses,
 * fitted by likelihood, before the Gaussian process sees them (as HEBO
 * does; Cowen-Rivers et al., "HEBO: pushing the limits of sample-efficient
 * hyperparameter optimisation", 2022).
 *
 * Why: a GP assumes the losses are Gaussian around a smooth mean. Many
 * objectives are not: Rosenbrock's values span five orders of magnitude,
 * a validation error piles up near its floor with a long tail of bad
 * trials. Standardised as they are, the few huge losses set the scale, the
 * good ones are crushed together near the bottom, and the model cannot
 * tell them apart where it matters. A power transform that makes the
 * losses look Gaussian spreads the good end out again. The transform is
 * increasing, so the best trial stays the best and expected improvement
 * in the warped space still ranks points by their chance to beat it.
 *
 * The transform: Box-Cox,
 *   (y^lambda - 1) / lambda, log y at lambda 0,
 * on the losses divided by their spread plus a floor of 0.01 (WARP_FLOOR),
 * when every loss is positive
 * (HEBO's choice for that case): Box-Cox keeps the loss's own zero, and a
 * positive loss (an error rate, a distance, a sum of squares) usually has
 * its floor there, which makes the log its natural warp. lambda maximises
 * the profile log likelihood of a Gaussian fitted to the transformed
 * values (the Jacobian term included), searched by golden section on
 * [-2, 2] (scipy's bracket): deterministic, and the likelihood is
 * unimodal in lambda in practice. The warped losses are then standardised
 * by the caller.
 *
 * Losses of which some are zero or negative are left as they are. HEBO
 * warps them by Yeo-Johnson, but that transform pivots on zero, which for
 * such a loss is an arbitrary point (an objective's offset moves it), and
 * on bench/samplers_synthetic.py it stretched the few best losses of
 * Styblinski-Tang so far below the others that the search stayed in the
 * first basin it found (median best -167.4, against -180.2 unwarped).
 */
#include <math.h>
#include <stddef.h>

#include "tune/gp_model.h"

/* Added to the losses (divided by their spread) before the transform, so
 * that near the loss's zero the warp turns linear: without it, a loss that
 * reaches its zero (a quadratic at its optimum, a fit that becomes exact)
 * becomes a log spike, 1e-8 ten units below 1e-4, that no smooth kernel
 * models, and the search explores instead of closing in. Measured on
 * bench/samplers_synthetic.py and the quadratic of docs/run.md: without
 * the floor, (x - 2)^2 after 20 trials reached 4e-4 (5e-10 unwarped),
 * rosenbrock5 a median 49.7 and net_like 3.6e-4; with 1e-2, 1e-6, 5.1 and
 * 7e-8 (1e-3 reached 1.3e-5 on the quadratic). */
#define WARP_FLOOR 1e-2
#define LAMBDA_LOW (-2.0)
#define LAMBDA_HIGH 2.0
/* Golden-section steps: the bracket shrinks by 0.618 each, to 4e-10 of
 * its width after 45. */
#define GOLDEN_STEPS 45
/* Below this |lambda| the log is used: the power's formula loses its
 * digits to cancellation there. */
#define LAMBDA_ZERO 1e-8

static double box_cox(double y, double lambda) {
    if (fabs(lambda) < LAMBDA_ZERO) return log(y);
    return expm1(lambda * log(y)) / lambda;
}

/* The profile log likelihood of lambda: a Gaussian fitted to the
 * transformed values, n/2 log of its variance taken off, plus the log of
 * the transform's Jacobian, (lambda - 1) sum log y. */
static double profile_log_likelihood(const double *y, size_t n, double lambda) {
    double mean = 0, jacobian = 0;
    for (size_t i = 0; i < n; i++) {
        mean += box_cox(y[i], lambda);
        jacobian += log(y[i]);
    }
    mean /= (double)n;
    double variance = 0;
    for (size_t i = 0; i < n; i++) {
        double t = box_cox(y[i], lambda) - mean;
        variance += t * t;
    }
    variance /= (double)n;
    if (!(variance > 0) || !isfinite(variance)) return -INFINITY;
    return (lambda - 1) * jacobian - 0.5 * (double)n * log(variance);
}

void dial_gp_warp_outputs(double *y, size_t n) {
    if (n < 3) return;
    double mean = 0, spread = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || !(y[i] > 0)) return;
        mean += y[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) spread += (y[i] - mean) * (y[i] - mean);
    spread = sqrt(spread / (double)n);
    /* Equal losses: nothing to warp; the caller's standardisation copes. */
    if (!(spread > 0)) return;
    for (size_t i = 0; i < n; i++) y[i] = y[i] / spread + WARP_FLOOR;
    /* Golden section for the largest profile likelihood. */
    const double ratio = 0.6180339887498949;
    double a = LAMBDA_LOW, b = LAMBDA_HIGH;
    double c = b - ratio * (b - a), d = a + ratio * (b - a);
    double fc = profile_log_likelihood(y, n, c);
    double fd = profile_log_likelihood(y, n, d);
    for (int step = 0; step < GOLDEN_STEPS; step++) {
        if (fc >= fd) {
            b = d, d = c, fd = fc;
            c = b - ratio * (b - a);
            fc = profile_log_likelihood(y, n, c);
        } else {
            a = c, c = d, fc = fd;
            d = a + ratio * (b - a);
            fd = profile_log_likelihood(y, n, d);
        }
    }
    double lambda = fc >= fd ? c : d;
    /* A likelihood that is nowhere finite (cannot happen with finite
     * positive spread, but a warp must never make a loss non-finite). */
    if (!isfinite(fc >= fd ? fc : fd)) lambda = 1;
    for (size_t i = 0; i < n; i++) y[i] = box_cox(y[i], lambda);
}
