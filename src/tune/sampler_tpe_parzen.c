/*
 * The tpe sampler's Parzen estimators (Bergstra et al. 2011, in the
 * multivariate form of Optuna's TPESampler(multivariate=True)): a mixture
 * with one kernel per observed trial plus a prior kernel, each kernel a
 * product over the parameters sharing one component index, so the model
 * keeps which values went together.
 *
 * A numerical parameter lives on its transformed axis (log for a log
 * knob), where a kernel is a Gaussian truncated to the range. A parameter
 * on a grid (a non-log INT, a step) has its range widened by half a step
 * at each end and a value's likelihood is the kernel's mass over its cell,
 * so the two end values are as reachable as the others. A CHOICE is
 * native: an observation's kernel puts most of its weight on the observed
 * choice and spreads the prior's share over all of them.
 *
 * The Gaussian tail masses are computed in log space (log_gauss_mass), so
 * a candidate many bandwidths away from a kernel gets a finite, ordered
 * log likelihood rather than log(0).
 */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/sampler_tpe.h"

/* ---- dimensions ---------------------------------------------------------- */

static void int_grid(const dial_param *param, double *low, double *high, double *step,
                     double *count) {
    /* As dial_sampler_from_unit: bounds that are not integers shrink to the
     * integers inside them. */
    *low = ceil(param->low);
    *high = floor(param->high);
    *step = param->step >= 1 ? floor(param->step) : 1;
    *count = floor((*high - *low) / *step) + 1;
}

bool dial_tpe_param_single(const dial_param *param) {
    if (param->fixed || !(param->low < param->high)) return true;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE: return false;
    case DIAL_PARAM_INT: {
        double low, high, step, count;
        int_grid(param, &low, &high, &step, &count);
        return !(low < high) || count < 2;
    }
    case DIAL_PARAM_FLOAT:
        return param->step > 0 && dial_sampler_step_count(param->low, param->high, param->step) < 2;
    }
    return true;
}

/* Whether the dimension's transformed axis is the log of its values. */
static bool log_axis(const dial_tpe_dimension *dim) {
    return !dim->categorical && dim->param->log && dim->bin == 0;
}

void dial_tpe_dimension_init(const dial_param *param, dial_tpe_dimension *dim) {
    *dim = (dial_tpe_dimension){.param = param};
    switch (param->kind) {
    case DIAL_PARAM_CHOICE:
        dim->categorical = true;
        dim->n_choices = (size_t)(param->high - param->low) + 1;
        return;
    case DIAL_PARAM_INT: {
        double low, high, step, count;
        int_grid(param, &low, &high, &step, &count);
        if (param->log && low >= 1) {
            /* dial_sampler_from_unit's log axis: integer i owns
             * [i - 1/2, i + 1/2), so both ends keep their half cells. */
            dim->low = log(low - 0.5);
            dim->high = log(high + 0.5);
        } else {
            dim->bin = step;
            dim->low = low - step / 2;
            dim->high = low + (count - 1) * step + step / 2;
        }
        return;
    }
    case DIAL_PARAM_FLOAT:
        if (param->log) {
            dim->low = log(param->low);
            dim->high = log(param->high);
        } else if (param->step > 0) {
            double count = dial_sampler_step_count(param->low, param->high, param->step);
            dim->bin = param->step;
            dim->low = param->low - param->step / 2;
            dim->high = param->low + (count - 1) * param->step + param->step / 2;
        } else {
            dim->low = param->low;
            dim->high = param->high;
        }
        return;
    }
}

static double transform(const dial_tpe_dimension *dim, double value) {
    if (dim->categorical) return value - dim->param->low;
    return log_axis(dim) ? log(value) : value;
}

double dial_tpe_untransform(const dial_tpe_dimension *dim, double t) {
    const dial_param *param = dim->param;
    if (dim->categorical) {
        double k = fmin(fmax(round(t), 0), (double)dim->n_choices - 1);
        return param->low + k;
    }
    double v = log_axis(dim) ? exp(t) : t;
    if (param->kind == DIAL_PARAM_INT) {
        double low, high, step, count;
        int_grid(param, &low, &high, &step, &count);
        double k = fmin(fmax(round((v - low) / step), 0), count - 1);
        return low + k * step;
    }
    if (param->step > 0) {
        double count = dial_sampler_step_count(param->low, param->high, param->step);
        double k = fmin(fmax(round((v - param->low) / param->step), 0), count - 1);
        v = param->low + k * param->step;
    }
    /* exp(log(x)) and low + k step can land an ulp outside the range. */
    return fmin(fmax(v, param->low), param->high);
}

double dial_tpe_nearest(const dial_tpe_dimension *dim, double value) {
    const dial_param *param = dim->param;
    bool inside = value >= param->low && value <= param->high;
    if (inside && param->kind == DIAL_PARAM_FLOAT && !(param->step > 0)) return value;
    if (!inside && !(value > param->low)) value = param->low; /* NaN too */
    if (!inside && value > param->high) value = param->high;
    return dial_tpe_untransform(dim, transform(dim, value));
}

/* ---- the normal distribution in log space -------------------------------- */

#define LOG_SQRT_2PI 0.91893853320467274178

/* Phi(z), the standard normal's distribution function. */
static double ndtr(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

/* log Phi(z), finite far into the left tail, where Phi itself underflows:
 * there, Phi(z) ~ phi(z) / -z (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...). */
static double log_ndtr(double z) {
    if (z > 6) return log1p(-ndtr(-z));
    if (z > -30) return log(ndtr(z));
    double inverse2 = 1 / (z * z);
    double series = 1 - inverse2 * (1 - 3 * inverse2 * (1 - 5 * inverse2 * (1 - 7 * inverse2)));
    return -0.5 * z * z - LOG_SQRT_2PI - log(-z) + log(series);
}

/* log(exp(a) - exp(b)) for a >= b. */
static double log_diff(double a, double b) {
    if (a == -INFINITY) return -INFINITY;
    return a + log1p(-exp(b - a));
}

/* The log of the standard normal's mass over [a, b]. In a tail the two
 * distribution values are close, so they are subtracted in log space,
 * in the left tail (the right one by symmetry) where they are accurate. */
static double log_gauss_mass(double a, double b) {
    if (!(a < b)) return -INFINITY;
    if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
    if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
    return log1p(-ndtr(a) - ndtr(-b));
}

/* A grid cell at most this many bandwidths wide has its mass computed by
 * the midpoint rule (cell_log_mass) rather than from two tail values. */
#define NARROW_CELL 0.25

/* log(sinh(x) / x). */
static double log_sinhc(double x) {
    double a = fabs(x);
    if (a < 1) {
        double x2 = x * x;
        return x2 * (1.0 / 6 - x2 * (1.0 / 180 - x2 / 2835));
    }
    return a - log(2 * a) + log1p(-exp(-2 * a));
}

/* Why the midpoint rule: the standard normal's mass over a cell of width
 * h centred at z is phi(z) times the integral of exp(-z u - u^2 / 2) for u
 * in [-h/2, h/2], which is h sinh(z h/2) / (z h/2) exp(-h^2/24) up to a
 * relative error of order h^4 (below 1e-3 for h <= NARROW_CELL, at any
 * z). That costs one polynomial where the exact difference of two tail
 * values costs two erfc and three logarithms, and a grid knob (an INT
 * over 1..100) is evaluated against a thousand kernels per candidate: the
 * constant part, log(h / sqrt(2 pi)) - h^2/24 less the kernel's log mass
 * in the range, is kept in log_norms. */

/* ---- the estimator --------------------------------------------------------- */

struct dial_parzen {
    const dial_tpe_dimension *dims;
    size_t n_dims;
    size_t n_obs;     /* kernels 0 .. n_obs-1 are the observations' */
    size_t n_kernels; /* n_obs + 1: the last is the prior's */
    double *log_weights;
    double *cumulative; /* running sums of the weights, for drawing a kernel */
    /* Per kernel and dimension (row k, column j): the centre on the
     * transformed axis (CHOICE: the observed offset; the prior's: -1), the
     * bandwidth, and the log normaliser: a density's log(sigma sqrt(2 pi)
     * mass), a grid's log(mass), where mass is the kernel's within the
     * dimension's range. */
    double *mus;
    double *sigmas;
    double *inverse_sigmas;
    double *log_norms;
    /* A grid's cell width over the bandwidth, halved, where the cell is
     * narrow enough for the midpoint rule (cell_log_mass); -1 where its
     * mass is computed exactly. */
    double *half_cells;
    /* Per CHOICE dimension: the log probability an observation's kernel
     * gives its own choice and any other. */
    double *log_hit;
    double *log_miss;
};

void dial_parzen_free(dial_parzen *parzen) {
    if (!parzen) return;
    free(parzen->log_weights);
    free(parzen->cumulative);
    free(parzen->mus);
    free(parzen->sigmas);
    free(parzen->inverse_sigmas);
    free(parzen->log_norms);
    free(parzen->half_cells);
    free(parzen->log_hit);
    free(parzen->log_miss);
    free(parzen);
}

size_t dial_parzen_kernels(const dial_parzen *parzen) { return parzen->n_kernels; }

static void set_weights(dial_parzen *parzen, const double *weights) {
    /* The prior weighs 1, as Optuna's prior_weight. */
    double total = 1;
    for (size_t k = 0; k < parzen->n_obs; k++) total += weights[k];
    double running = 0;
    for (size_t k = 0; k < parzen->n_kernels; k++) {
        double w = k < parzen->n_obs ? weights[k] : 1;
        parzen->log_weights[k] = log(w / total);
        running += w / total;
        parzen->cumulative[k] = running;
    }
    parzen->cumulative[parzen->n_kernels - 1] = 1;
}

/* Dimension j's kernels: numerical ones share the multivariate bandwidth
 * (Scott's rule as the BOHB paper and Optuna use it, with Optuna's magic
 * clip from below so that many observations do not make needles), the
 * prior is centred and as wide as the range.
 *
 * Scott's rule scales with the observations' spread; Optuna puts 0.2 times
 * the range in its place, the spread of observations uniform over the
 * range (0.2887 of it) rounded down. dial takes the smaller of that and
 * the observations' own spread in the same proportion: the same bandwidth
 * while the observations cover the range, a narrower one once the good
 * trials gather around an optimum, so candidates are drawn near it rather
 * than a fifth of the range around it. Optuna's default (univariate) TPE
 * narrows its kernels the same way, from the gaps between neighbouring
 * observations; with the fixed width, dial's tpe stalled where Optuna's
 * did not (bench/samplers_synthetic.py, sphere_mixed: median best 0.079
 * against Optuna's 0.034; 0.034 with this rule). */
/* The standard deviation of a uniform distribution over a unit range,
 * 1 / sqrt(12). */
#define UNIFORM_SPREAD 0.28867513459481287

static void set_numerical(dial_parzen *parzen, size_t j, const double *values) {
    const dial_tpe_dimension *dim = &parzen->dims[j];
    size_t n = parzen->n_obs, d = parzen->n_dims;
    double width = dim->high - dim->low;
    double mean = 0, spread = 0;
    for (size_t k = 0; k < n; k++) mean += transform(dim, values[k * d + j]);
    mean /= (double)(n ? n : 1);
    for (size_t k = 0; k < n; k++) {
        double t = transform(dim, values[k * d + j]) - mean;
        spread += t * t;
    }
    spread = sqrt(spread / (double)(n ? n : 1));
    double scale = fmin(width, spread / UNIFORM_SPREAD);
    double sigma = 0.2 * pow((double)(n ? n : 1), -1.0 / ((double)d + 4)) * scale;
    double floor_sigma = width / fmin(100.0, 1.0 + (double)parzen->n_kernels);
    sigma = fmin(fmax(sigma, floor_sigma), width);
    for (size_t k = 0; k < parzen->n_kernels; k++) {
        double mu = k < n ? transform(dim, values[k * d + j]) : 0.5 * (dim->low + dim->high);
        double s = k < n ? sigma : width;
        double log_mass = log_gauss_mass((dim->low - mu) / s, (dim->high - mu) / s);
        size_t cell = k * d + j;
        parzen->mus[cell] = mu;
        parzen->sigmas[cell] = s;
        parzen->inverse_sigmas[cell] = 1 / s;
        parzen->half_cells[cell] = -1;
        parzen->log_norms[cell] = log(s) + LOG_SQRT_2PI + log_mass;
        if (dim->bin > 0) {
            double h = dim->bin / s;
            parzen->log_norms[cell] = log_mass;
            if (h <= NARROW_CELL) {
                parzen->half_cells[cell] = h / 2;
                parzen->log_norms[cell] = log_mass - log(h) + LOG_SQRT_2PI + h * h / 24;
            }
        }
    }
}

/* Dimension j's kernels for a CHOICE: an observation's kernel gives its
 * choice 1 + prior/(n+1) and every choice prior/(n+1) before normalising
 * (Optuna's rule), so the prior's share shrinks as observations come. */
static void set_categorical(dial_parzen *parzen, size_t j, const double *values) {
    const dial_tpe_dimension *dim = &parzen->dims[j];
    size_t n = parzen->n_obs, d = parzen->n_dims;
    double share = 1.0 / (double)(n + 1), m = (double)dim->n_choices;
    parzen->log_hit[j] = log((share + 1) / (m * share + 1));
    parzen->log_miss[j] = log(share / (m * share + 1));
    for (size_t k = 0; k < parzen->n_kernels; k++) {
        parzen->mus[k * d + j] = k < n ? transform(dim, values[k * d + j]) : -1;
        parzen->sigmas[k * d + j] = 0;
        parzen->inverse_sigmas[k * d + j] = 0;
        parzen->half_cells[k * d + j] = -1;
        parzen->log_norms[k * d + j] = k < n ? 0 : log(m);
    }
}

dial_status dial_parzen_create(dial_ctx *ctx, const dial_tpe_dimension *dims, size_t n_dims,
                               size_t n_obs, const double *values, const double *weights,
                               dial_parzen **out) {
    *out = NULL;
    dial_parzen *parzen = dial_calloc(ctx, 1, sizeof *parzen);
    if (!parzen) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a tpe estimator");
    parzen->dims = dims;
    parzen->n_dims = n_dims;
    parzen->n_obs = n_obs;
    parzen->n_kernels = n_obs + 1;
    size_t cells = parzen->n_kernels * (n_dims ? n_dims : 1);
    parzen->log_weights = dial_malloc_array(ctx, parzen->n_kernels, sizeof(double));
    parzen->cumulative = dial_malloc_array(ctx, parzen->n_kernels, sizeof(double));
    parzen->mus = dial_malloc_array(ctx, cells, sizeof(double));
    parzen->sigmas = dial_malloc_array(ctx, cells, sizeof(double));
    parzen->inverse_sigmas = dial_malloc_array(ctx, cells, sizeof(double));
    parzen->log_norms = dial_malloc_array(ctx, cells, sizeof(double));
    parzen->half_cells = dial_malloc_array(ctx, cells, sizeof(double));
    parzen->log_hit = dial_malloc_array(ctx, n_dims ? n_dims : 1, sizeof(double));
    parzen->log_miss = dial_malloc_array(ctx, n_dims ? n_dims : 1, sizeof(double));
    if (!parzen->log_weights || !parzen->cumulative || !parzen->mus || !parzen->sigmas ||
        !parzen->inverse_sigmas || !parzen->log_norms || !parzen->half_cells || !parzen->log_hit ||
        !parzen->log_miss) {
        dial_parzen_free(parzen);
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "out of memory building a tpe estimator of %zu "
                         "kernels",
                         n_obs + 1);
    }
    set_weights(parzen, weights);
    for (size_t j = 0; j < n_dims; j++) {
        if (dims[j].categorical)
            set_categorical(parzen, j, values);
        else
            set_numerical(parzen, j, values);
    }
    *out = parzen;
    return DIAL_OK;
}

/* A draw from the Gaussian (mu, sigma) truncated to [low, high], by
 * rejection: a centre inside the range and a bandwidth no wider than it
 * accept at least a third of the draws, so the loop ends at once in
 * practice; the bound keeps it finite whatever the rounding. */
static double truncated_normal(dial_rng *rng, double mu, double sigma, double low, double high) {
    for (int attempt = 0; attempt < 200; attempt++) {
        double x = mu + sigma * dial_rng_normal(rng);
        if (x >= low && x <= high) return x;
    }
    return fmin(fmax(mu, low), high);
}

void dial_parzen_sample(const dial_parzen *parzen, dial_rng *rng, double *value) {
    double u = dial_rng_uniform(rng);
    size_t k = 0;
    while (k + 1 < parzen->n_kernels && parzen->cumulative[k] <= u) k++;
    size_t d = parzen->n_dims;
    for (size_t j = 0; j < d; j++) {
        const dial_tpe_dimension *dim = &parzen->dims[j];
        double mu = parzen->mus[k * d + j];
        if (dim->categorical) {
            double pick;
            if (mu < 0) {
                pick = (double)dial_rng_below(rng, dim->n_choices);
            } else if (dial_rng_uniform(rng) < exp(parzen->log_hit[j]) || dim->n_choices < 2) {
                pick = mu;
            } else {
                /* one of the other choices, each equally likely */
                pick = (double)dial_rng_below(rng, dim->n_choices - 1);
                if (pick >= mu) pick += 1;
            }
            value[j] = dial_tpe_untransform(dim, pick);
            continue;
        }
        double t = truncated_normal(rng, mu, parzen->sigmas[k * d + j], dim->low, dim->high);
        value[j] = dial_tpe_untransform(dim, t);
    }
}

/* Kernel k's log likelihood of dimension j at transformed value t. */
static double kernel_log_pdf(const dial_parzen *parzen, size_t k, size_t j, double t) {
    const dial_tpe_dimension *dim = &parzen->dims[j];
    size_t cell = k * parzen->n_dims + j;
    double mu = parzen->mus[cell];
    if (dim->categorical) {
        if (mu < 0) return -parzen->log_norms[cell];
        return mu == t ? parzen->log_hit[j] : parzen->log_miss[j];
    }
    double inverse = parzen->inverse_sigmas[cell];
    double z = (t - mu) * inverse;
    if (dim->bin > 0 && parzen->half_cells[cell] < 0) {
        double from = fmax(t - dim->bin / 2, dim->low), to = fmin(t + dim->bin / 2, dim->high);
        return log_gauss_mass((from - mu) * inverse, (to - mu) * inverse) - parzen->log_norms[cell];
    }
    if (dim->bin > 0)
        return -0.5 * z * z + log_sinhc(z * parzen->half_cells[cell]) - parzen->log_norms[cell];
    return -0.5 * z * z - parzen->log_norms[cell];
}

double dial_parzen_log_pdf(const dial_parzen *parzen, const double *value, double *scratch) {
    size_t d = parzen->n_dims, kernels = parzen->n_kernels;
    double *t = scratch + kernels;
    for (size_t j = 0; j < d; j++) t[j] = transform(&parzen->dims[j], value[j]);
    double largest = -INFINITY;
    for (size_t k = 0; k < kernels; k++) {
        double sum = parzen->log_weights[k];
        for (size_t j = 0; j < d; j++) sum += kernel_log_pdf(parzen, k, j, t[j]);
        scratch[k] = sum;
        if (sum > largest) largest = sum;
    }
    if (largest == -INFINITY) return -INFINITY;
    /* Kernels e^-50 below the nearest add less than a thousandth of an
     * ulp even a thousand at a time: most of the bad estimator's, far from
     * the candidate, cost a comparison instead of an exp. */
    double total = 0;
    for (size_t k = 0; k < kernels; k++)
        if (scratch[k] > largest - 50) total += exp(scratch[k] - largest);
    return largest + log(total);
}
