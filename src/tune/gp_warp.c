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
 * The transform, as HEBO chooses it: losses all positive take Box-Cox,
 *   (y^lambda - 1) / lambda, log y at lambda 0,
 * on y divided by their spread (scale only: Box-Cox keeps the loss's own
 * zero, where a floor of 0 makes the log the natural warp); any loss zero
 * or negative, Yeo-Johnson on the losses divided by their spread,
 *   ((1 + y)^lambda - 1) / lambda             for y >= 0,
 *   -((1 - y)^(2 - lambda) - 1) / (2 - lambda) for y < 0.
 * lambda maximises the profile log likelihood of a Gaussian fitted to the
 * transformed values (the Jacobian term included), searched by golden
 * section on [-2, 2] (scipy's bracket for Box-Cox): deterministic, and
 * the likelihood is unimodal in lambda in practice. The warped losses
 * are then standardised by the caller.
 */
#include <math.h>
#include <stddef.h>

#include "tune/gp_model.h"

#define LAMBDA_LOW (-2.0)
#define LAMBDA_HIGH 2.0
/* Golden-section steps: the bracket shrinks by 0.618 each, to 4e-10 of
 * its width after 45. */
#define GOLDEN_STEPS 45
/* Below this |lambda| the log (or its Yeo-Johnson form) is used: the
 * power's formula loses its digits to cancellation there. */
#define LAMBDA_ZERO 1e-8

static double box_cox(double y, double lambda) {
    if (fabs(lambda) < LAMBDA_ZERO) return log(y);
    return expm1(lambda * log(y)) / lambda;
}

static double yeo_johnson(double y, double lambda) {
    if (y >= 0) {
        if (fabs(lambda) < LAMBDA_ZERO) return log1p(y);
        return expm1(lambda * log1p(y)) / lambda;
    }
    double power = 2 - lambda;
    if (fabs(power) < LAMBDA_ZERO) return -log1p(-y);
    return -expm1(power * log1p(-y)) / power;
}

static double transform(bool positive, double y, double lambda) {
    return positive ? box_cox(y, lambda) : yeo_johnson(y, lambda);
}

/* The profile log likelihood of lambda: a Gaussian fitted to the
 * transformed values, n/2 log of its variance taken off, plus the log of
 * the transform's Jacobian, (lambda - 1) sum log y for Box-Cox and
 * (lambda - 1) sum sign(y) log(1 + |y|) for Yeo-Johnson. */
static double profile_log_likelihood(const double *y, size_t n, bool positive, double lambda) {
    double mean = 0, jacobian = 0;
    for (size_t i = 0; i < n; i++) {
        mean += transform(positive, y[i], lambda);
        jacobian += positive ? log(y[i]) : copysign(log1p(fabs(y[i])), y[i]);
    }
    mean /= (double)n;
    double variance = 0;
    for (size_t i = 0; i < n; i++) {
        double t = transform(positive, y[i], lambda) - mean;
        variance += t * t;
    }
    variance /= (double)n;
    if (!(variance > 0) || !isfinite(variance)) return -INFINITY;
    return (lambda - 1) * jacobian - 0.5 * (double)n * log(variance);
}

void dial_gp_warp_outputs(double *y, size_t n) {
    if (n < 3) return;
    double lowest = INFINITY, mean = 0, spread = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) return;
        lowest = fmin(lowest, y[i]);
        mean += y[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) spread += (y[i] - mean) * (y[i] - mean);
    spread = sqrt(spread / (double)n);
    /* Equal losses: nothing to warp; the caller's standardisation copes. */
    if (!(spread > 0)) return;
    bool positive = lowest > 0;
    for (size_t i = 0; i < n; i++) y[i] /= spread;
    /* Golden section for the largest profile likelihood. */
    const double ratio = 0.6180339887498949;
    double a = LAMBDA_LOW, b = LAMBDA_HIGH;
    double c = b - ratio * (b - a), d = a + ratio * (b - a);
    double fc = profile_log_likelihood(y, n, positive, c);
    double fd = profile_log_likelihood(y, n, positive, d);
    for (int step = 0; step < GOLDEN_STEPS; step++) {
        if (fc >= fd) {
            b = d, d = c, fd = fc;
            c = b - ratio * (b - a);
            fc = profile_log_likelihood(y, n, positive, c);
        } else {
            a = c, c = d, fc = fd;
            d = a + ratio * (b - a);
            fd = profile_log_likelihood(y, n, positive, d);
        }
    }
    double lambda = fc >= fd ? c : d;
    /* A likelihood that is nowhere finite (cannot happen with finite
     * positive spread, but a warp must never make a loss non-finite). */
    if (!isfinite(fc >= fd ? fc : fd)) lambda = 1;
    for (size_t i = 0; i < n; i++) y[i] = transform(positive, y[i], lambda);
}
