/*
 * The gp sampler's Gaussian process: the Matern 5/2 kernel (gp_model.h),
 * its hyperparameters fitted by maximum marginal likelihood, conditioning
 * through LAPACK's Cholesky, the posterior at a point, and log EI.
 *
 * Fitting minimises the negative log marginal likelihood plus weak priors
 * (as BoTorch and Optuna do: without them a few points let a length scale
 * run to zero or infinity and the model says nothing useful),
 *   0.5 y' K^-1 y + sum log diag L + n/2 log 2 pi - log prior,
 * with its analytic gradient
 *   d/dp = -0.5 trace((alpha alpha' - K^-1) dK/dp),
 * by L-BFGS over unbounded variables mapped onto bounded log parameters
 * through a logistic, so the search needs no projection. A few restarts
 * from seeded points guard against a poor local optimum; the best wins.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/gp_model.h"

#define SQRT5 2.23606797749979
#define SQRT2 1.4142135623730951
#define LOG_2PI 1.8378770664093453

/* Bounds of the log parameters: length scales in unit-cube units (0.01 is
 * finer than any grid a knob is searched on; 20 makes a knob irrelevant),
 * the signal variance of standardised outputs, and a noise variance that
 * lets a deterministic objective be interpolated. */
static const double log_length_low = -4.605170185988091; /* log 0.01 */
static const double log_length_high = 2.995732273553991; /* log 20 */
static const double log_signal_low = -4.605170185988091; /* log 0.01 */
static const double log_signal_high = 2.995732273553991; /* log 20 */
static const double log_noise_low = -13.815510557964274; /* log 1e-6 */
static const double log_noise_high = 0.0;                /* log 1 */

/* Gamma priors, as log density up to a constant: (a - 1) log v - b v.
 * Length scales: Gamma(3, 6), mode 1/3 of the cube (BoTorch's old
 * default); signal: Gamma(2, 1), mode 1 for standardised outputs; noise:
 * Gamma(1.1, 30), small (Optuna 3.6's), so that noise must be earned. */
static const double length_shape = 3, length_rate = 6;
static const double signal_shape = 2, signal_rate = 1;
static const double noise_shape = 1.1, noise_rate = 30;

static void theta_bounds(size_t d, size_t p, double *low, double *high) {
    if (p < d) {
        *low = log_length_low, *high = log_length_high;
    } else if (p == DIAL_GP_LOG_SIGNAL(d)) {
        *low = log_signal_low, *high = log_signal_high;
    } else {
        *low = log_noise_low, *high = log_noise_high;
    }
}

static double squared_distance(const double *a, const double *b, const bool *categorical,
                               const double *inverse_square_lengths, size_t d) {
    double r2 = 0;
    for (size_t k = 0; k < d; k++) {
        double delta = categorical[k] ? (a[k] != b[k]) : a[k] - b[k];
        r2 += delta * delta * inverse_square_lengths[k];
    }
    return r2;
}

/* k(r) / s and the factor (5/3)(1 + sqrt5 r) exp(-sqrt5 r) that, times s
 * delta_d^2 / l_d^2, is dk / d log l_d. */
static double matern(double r2, double *length_factor) {
    double r = sqrt(r2);
    double e = exp(-SQRT5 * r);
    if (length_factor) *length_factor = (5.0 / 3.0) * (1 + SQRT5 * r) * e;
    return (1 + SQRT5 * r + (5.0 / 3.0) * r2) * e;
}

/* ---- the objective of the fit ---------------------------------------------- */

typedef struct fit_scratch {
    double *k;       /* n * n: K, then its Cholesky factor, then K^-1 */
    double *kernel;  /* n * n: k(x_i, x_j) / s, lower triangle */
    double *factor;  /* n * n: the length-scale factor, lower triangle */
    double *alpha;   /* n */
    double *inverse; /* d: 1 / l^2 */
} fit_scratch;

/* -log prior and its gradient (added into gradient) over theta. */
static double negative_log_prior(size_t d, const double *theta, double *gradient) {
    double total = 0;
    for (size_t p = 0; p < d + 2; p++) {
        double a = p < d ? length_shape : p == DIAL_GP_LOG_SIGNAL(d) ? signal_shape : noise_shape;
        double b = p < d ? length_rate : p == DIAL_GP_LOG_SIGNAL(d) ? signal_rate : noise_rate;
        double v = exp(theta[p]);
        total -= (a - 1) * theta[p] - b * v;
        gradient[p] -= (a - 1) - b * v;
    }
    return total;
}

/* The negative log marginal likelihood plus -log prior at theta, and its
 * gradient; +inf when K is not positive definite there. */
static double fit_objective(const dial_gp_data *data, fit_scratch *s, const double *theta,
                            double *gradient) {
    size_t n = data->n, d = data->d;
    double signal = exp(theta[DIAL_GP_LOG_SIGNAL(d)]);
    double noise = exp(theta[DIAL_GP_LOG_NOISE(d)]);
    for (size_t k = 0; k < d; k++) s->inverse[k] = exp(-2 * theta[k]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double r2 = squared_distance(data->x + i * d, data->x + j * d, data->categorical,
                                         s->inverse, d);
            double value = matern(r2, &s->factor[i * n + j]);
            s->kernel[i * n + j] = value;
            s->k[i * n + j] = signal * value;
        }
        s->k[i * n + i] = signal + noise;
    }
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, s->k, (lapack_int)n);
    if (info != 0) return INFINITY;
    memcpy(s->alpha, data->y, n * sizeof *s->alpha);
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, 1, s->k, (lapack_int)n, s->alpha, 1);
    double value = 0.5 * (double)n * LOG_2PI;
    for (size_t i = 0; i < n; i++) value += 0.5 * data->y[i] * s->alpha[i] + log(s->k[i * n + i]);
    info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, s->k, (lapack_int)n);
    if (info != 0) return INFINITY;
    /* W = alpha alpha' - K^-1 (lower triangle of k holds K^-1). */
    memset(gradient, 0, (d + 2) * sizeof *gradient);
    double trace_noise = 0, trace_signal = 0;
    for (size_t i = 0; i < n; i++) {
        double w = s->alpha[i] * s->alpha[i] - s->k[i * n + i];
        trace_noise += w;
        trace_signal += w; /* the diagonal of K - noise I is s */
        for (size_t j = 0; j < i; j++) {
            double wij = 2 * (s->alpha[i] * s->alpha[j] - s->k[i * n + j]);
            trace_signal += wij * s->kernel[i * n + j];
            double common = wij * s->factor[i * n + j];
            const double *a = data->x + i * d, *b = data->x + j * d;
            for (size_t k = 0; k < d; k++) {
                double delta = data->categorical[k] ? (a[k] != b[k]) : a[k] - b[k];
                gradient[k] += common * delta * delta;
            }
        }
    }
    for (size_t k = 0; k < d; k++) gradient[k] *= -0.5 * signal * s->inverse[k];
    gradient[DIAL_GP_LOG_SIGNAL(d)] = -0.5 * signal * trace_signal;
    gradient[DIAL_GP_LOG_NOISE(d)] = -0.5 * noise * trace_noise;
    return value + negative_log_prior(d, theta, gradient);
}

/* ---- L-BFGS over unbounded variables -------------------------------------- */

#define LBFGS_MEMORY 6
#define LBFGS_ITERATIONS 60

typedef struct bounded_problem {
    const dial_gp_data *data;
    fit_scratch *scratch;
    size_t m; /* d + 2 */
    double *theta, *theta_gradient;
} bounded_problem;

static double logistic(double v) { return 1 / (1 + exp(-v)); }

/* The objective at the unbounded variables v, and its gradient in v. */
static double bounded_objective(bounded_problem *problem, const double *v, double *gradient) {
    size_t d = problem->data->d;
    for (size_t p = 0; p < problem->m; p++) {
        double low, high;
        theta_bounds(d, p, &low, &high);
        problem->theta[p] = low + (high - low) * logistic(v[p]);
    }
    double value =
        fit_objective(problem->data, problem->scratch, problem->theta, problem->theta_gradient);
    if (!isfinite(value)) return INFINITY;
    for (size_t p = 0; p < problem->m; p++) {
        double low, high;
        theta_bounds(d, p, &low, &high);
        double sigma = logistic(v[p]);
        gradient[p] = problem->theta_gradient[p] * (high - low) * sigma * (1 - sigma);
    }
    return value;
}

static double dot(const double *a, const double *b, size_t m) {
    double total = 0;
    for (size_t i = 0; i < m; i++) total += a[i] * b[i];
    return total;
}

/* Minimises from v (updated in place); returns the value reached. work
 * has (2 LBFGS_MEMORY + 4) m + LBFGS_MEMORY entries. */
static double lbfgs(bounded_problem *problem, double *v, double *work) {
    size_t m = problem->m;
    double *g = work, *direction = g + m, *v_new = direction + m, *g_new = v_new + m;
    double *s_hist = g_new + m, *y_hist = s_hist + LBFGS_MEMORY * m;
    double *rho = y_hist + LBFGS_MEMORY * m, alpha_coef[LBFGS_MEMORY];
    size_t stored = 0, newest = 0;
    double value = bounded_objective(problem, v, g);
    if (!isfinite(value)) return value;
    for (int iteration = 0; iteration < LBFGS_ITERATIONS; iteration++) {
        /* Two-loop recursion: direction = -H g. */
        for (size_t i = 0; i < m; i++) direction[i] = -g[i];
        for (size_t k = 0; k < stored; k++) {
            size_t slot = (newest + LBFGS_MEMORY - k) % LBFGS_MEMORY;
            alpha_coef[slot] = rho[slot] * dot(s_hist + slot * m, direction, m);
            for (size_t i = 0; i < m; i++) direction[i] -= alpha_coef[slot] * y_hist[slot * m + i];
        }
        if (stored) {
            double *y = y_hist + newest * m;
            double scale = 1 / (rho[newest] * dot(y, y, m));
            for (size_t i = 0; i < m; i++) direction[i] *= scale;
        }
        for (size_t k = stored; k-- > 0;) {
            size_t slot = (newest + LBFGS_MEMORY - k) % LBFGS_MEMORY;
            double beta = rho[slot] * dot(y_hist + slot * m, direction, m);
            for (size_t i = 0; i < m; i++)
                direction[i] += (alpha_coef[slot] - beta) * s_hist[slot * m + i];
        }
        double slope = dot(direction, g, m);
        if (!(slope < 0)) { /* not a descent direction: steepest descent */
            for (size_t i = 0; i < m; i++) direction[i] = -g[i];
            slope = -dot(g, g, m);
            stored = 0;
        }
        if (!(slope < -1e-12)) break;
        double step = stored ? 1 : fmin(1, 1 / sqrt(-slope));
        double value_new = INFINITY;
        for (int tries = 0; tries < 30; tries++, step *= 0.5) {
            for (size_t i = 0; i < m; i++) v_new[i] = v[i] + step * direction[i];
            value_new = bounded_objective(problem, v_new, g_new);
            if (value_new <= value + 1e-4 * step * slope) break;
        }
        if (!(value_new <= value + 1e-4 * step * slope)) break;
        /* The pair (s, y) is kept only when it has curvature (s'y > 0),
         * which keeps the inverse Hessian estimate positive definite. */
        double sy = 0;
        for (size_t i = 0; i < m; i++) sy += (v_new[i] - v[i]) * (g_new[i] - g[i]);
        if (sy > 1e-12) {
            size_t slot = stored ? (newest + 1) % LBFGS_MEMORY : 0;
            for (size_t i = 0; i < m; i++) {
                s_hist[slot * m + i] = v_new[i] - v[i];
                y_hist[slot * m + i] = g_new[i] - g[i];
            }
            rho[slot] = 1 / sy;
            newest = slot;
            if (stored < LBFGS_MEMORY) stored++;
        }
        bool converged = value - value_new < 1e-9 * fmax(1, fabs(value));
        memcpy(v, v_new, m * sizeof *v);
        memcpy(g, g_new, m * sizeof *g);
        value = value_new;
        if (converged) break;
    }
    return value;
}

/* The unbounded variable of a log parameter. */
static double unbound(size_t d, size_t p, double theta) {
    double low, high;
    theta_bounds(d, p, &low, &high);
    double t = (theta - low) / (high - low);
    t = fmin(fmax(t, 1e-6), 1 - 1e-6);
    return log(t / (1 - t));
}

dial_status dial_gp_fit(dial_ctx *ctx, const dial_gp_data *data, uint64_t seed, uint64_t stream,
                        size_t restarts, double *theta) {
    size_t n = data->n, d = data->d, m = d + 2;
    /* The default start, and what a failed fit leaves. */
    for (size_t k = 0; k < d; k++) theta[k] = log(0.5);
    theta[DIAL_GP_LOG_SIGNAL(d)] = 0;
    theta[DIAL_GP_LOG_NOISE(d)] = log(1e-4);
    if (n == 0) return DIAL_OK;
    fit_scratch s = {0};
    size_t work_size = (2 * LBFGS_MEMORY + 4) * m + LBFGS_MEMORY;
    s.k = dial_malloc_array(ctx, n * n, sizeof *s.k);
    s.kernel = dial_calloc(ctx, n * n, sizeof *s.kernel);
    s.factor = dial_calloc(ctx, n * n, sizeof *s.factor);
    s.alpha = dial_malloc_array(ctx, n, sizeof *s.alpha);
    s.inverse = dial_malloc_array(ctx, d ? d : 1, sizeof *s.inverse);
    double *v = dial_malloc_array(ctx, 3 * m + work_size, sizeof *v);
    dial_status status = DIAL_OK;
    if (!s.k || !s.kernel || !s.factor || !s.alpha || !s.inverse || !v) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting the gp sampler's model");
        goto done;
    }
    double *best_v = v + m, *theta_gradient = best_v + m, *work = theta_gradient + m;
    bounded_problem problem = {data, &s, m, theta, theta_gradient};
    dial_rng rng = dial_rng_stream(seed, stream);
    double best = INFINITY;
    for (size_t start = 0; start <= restarts; start++) {
        for (size_t p = 0; p < m; p++) {
            double value = p < d ? log(0.5) : p == DIAL_GP_LOG_SIGNAL(d) ? 0 : log(1e-4);
            if (start > 0) { /* a seeded start around the default */
                double u = dial_rng_uniform(&rng);
                value = p < d                        ? log(0.05) + u * (log(2) - log(0.05))
                        : p == DIAL_GP_LOG_SIGNAL(d) ? log(0.3) + u * (log(3) - log(0.3))
                                                     : log(1e-6) + u * (log(1e-1) - log(1e-6));
            }
            v[p] = unbound(d, p, value);
        }
        double value = lbfgs(&problem, v, work);
        if (value < best) {
            best = value;
            memcpy(best_v, v, m * sizeof *v);
        }
    }
    if (isfinite(best)) {
        for (size_t p = 0; p < m; p++) {
            double low, high;
            theta_bounds(d, p, &low, &high);
            theta[p] = low + (high - low) * logistic(best_v[p]);
        }
    } else { /* every start failed: the default, which conditioning rescues */
        for (size_t k = 0; k < d; k++) theta[k] = log(0.5);
        theta[DIAL_GP_LOG_SIGNAL(d)] = 0;
        theta[DIAL_GP_LOG_NOISE(d)] = log(1e-4);
    }
done:
    free(s.k), free(s.kernel), free(s.factor), free(s.alpha), free(s.inverse), free(v);
    return status;
}

/* ---- conditioning and prediction ------------------------------------------ */

void dial_gp_free(dial_gp *gp) {
    if (!gp) return;
    free(gp->x), free(gp->categorical), free(gp->inverse_square_lengths);
    free(gp->chol), free(gp->alpha);
    memset(gp, 0, sizeof *gp);
}

dial_status dial_gp_condition(dial_ctx *ctx, const dial_gp_data *data, const double *theta,
                              dial_gp *gp) {
    size_t n = data->n, d = data->d;
    memset(gp, 0, sizeof *gp);
    gp->n = n, gp->d = d;
    gp->x = dial_malloc_array(ctx, n * d + 1, sizeof *gp->x);
    gp->categorical = dial_malloc_array(ctx, d + 1, sizeof *gp->categorical);
    gp->inverse_square_lengths = dial_malloc_array(ctx, d + 1, sizeof *gp->inverse_square_lengths);
    gp->chol = dial_malloc_array(ctx, n * n + 1, sizeof *gp->chol);
    gp->alpha = dial_malloc_array(ctx, n + 1, sizeof *gp->alpha);
    if (!gp->x || !gp->categorical || !gp->inverse_square_lengths || !gp->chol || !gp->alpha) {
        dial_gp_free(gp);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory conditioning the gp sampler's model");
    }
    memcpy(gp->x, data->x, n * d * sizeof *gp->x);
    memcpy(gp->categorical, data->categorical, d * sizeof *gp->categorical);
    for (size_t k = 0; k < d; k++) gp->inverse_square_lengths[k] = exp(-2 * theta[k]);
    gp->signal = exp(theta[DIAL_GP_LOG_SIGNAL(d)]);
    double noise = exp(theta[DIAL_GP_LOG_NOISE(d)]);
    /* Duplicate points or a length scale far above their spacing make K
     * singular in floating point: add jitter, ten times more each time. */
    for (double jitter = 0; jitter <= 1e-2 * 1.0001; jitter = jitter ? jitter * 10 : 1e-8) {
        gp->noise = noise + jitter;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < i; j++) {
                double r2 = squared_distance(gp->x + i * d, gp->x + j * d, gp->categorical,
                                             gp->inverse_square_lengths, d);
                gp->chol[i * n + j] = gp->signal * matern(r2, NULL);
                gp->chol[j * n + i] = 0;
            }
            gp->chol[i * n + i] = gp->signal + gp->noise;
        }
        lapack_int info =
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, gp->chol, (lapack_int)n);
        if (info != 0) continue;
        memcpy(gp->alpha, data->y, n * sizeof *gp->alpha);
        LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, 1, gp->chol, (lapack_int)n, gp->alpha,
                       1);
        bool finite = true;
        for (size_t i = 0; i < n; i++) finite = finite && isfinite(gp->alpha[i]);
        if (finite) return DIAL_OK;
    }
    dial_gp_free(gp);
    return dial_fail(ctx, DIAL_ERR_NUMERIC,
                     "the gp sampler's model could not be factorised even with jitter 1e-2 "
                     "(non-finite inputs?)");
}

void dial_gp_predict(const dial_gp *gp, const double *u, double *scratch, double *mean,
                     double *variance) {
    size_t n = gp->n, d = gp->d;
    double mu = 0, explained = 0;
    for (size_t i = 0; i < n; i++) {
        double r2 =
            squared_distance(u, gp->x + i * d, gp->categorical, gp->inverse_square_lengths, d);
        scratch[i] = gp->signal * matern(r2, NULL);
        mu += scratch[i] * gp->alpha[i];
    }
    /* v = L^-1 k*, in place; the variance is s - v'v. */
    for (size_t i = 0; i < n; i++) {
        const double *row = gp->chol + i * n;
        double total = scratch[i];
        for (size_t j = 0; j < i; j++) total -= row[j] * scratch[j];
        scratch[i] = total / row[i];
        explained += scratch[i] * scratch[i];
    }
    *mean = mu;
    *variance = fmax(gp->signal - explained, 1e-12 * gp->signal);
}

/* ---- log expected improvement ---------------------------------------------- */

/* log(phi(z) + z Phi(z)), the expected improvement of a unit normal over
 * -z. Below z = -1 the sum cancels: it is phi(z) (1 - t R(t)) with t = -z
 * and R Mills' ratio Phi(-t) / phi(t), computed from erfc up to t = 30 and
 * from its asymptotic series beyond (where erfc underflows). */
static double log_h(double z) {
    static const double log_sqrt_2pi = 0.9189385332046728;
    if (z > -1) {
        double cdf = 0.5 * erfc(-z / SQRT2);
        double pdf = exp(-0.5 * z * z) / 2.5066282746310002;
        return log(pdf + z * cdf);
    }
    double t = -z, one_minus;
    if (t <= 30) {
        double mills = 0.5 * erfc(t / SQRT2) * 2.5066282746310002 * exp(0.5 * t * t);
        one_minus = 1 - t * mills;
    } else {
        /* 1 - t R(t) = sum_k (-1)^(k+1) (2k-1)!! / t^(2k) */
        double inverse2 = 1 / (t * t), term = inverse2, total = 0;
        for (int k = 1; k <= 6; k++) {
            total += (k % 2 ? term : -term);
            term *= (2 * k + 1) * inverse2;
        }
        one_minus = total;
    }
    return -0.5 * z * z - log_sqrt_2pi + log(fmax(one_minus, 1e-300));
}

double dial_gp_log_expected_improvement(double mean, double variance, double best) {
    double sigma = sqrt(fmax(variance, 1e-300));
    return log(sigma) + log_h((best - mean) / sigma);
}
