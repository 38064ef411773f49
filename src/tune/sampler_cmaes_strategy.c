/*
 * CMA-ES, the strategy itself (sampler_cmaes.h): the update of one
 * generation, the margin of discrete coordinates, stagnation and IPOP
 * restarts. The equations and default constants are those of Hansen's
 * tutorial (2016), active CMA included (negative weights for the worse
 * half of a generation), as in the cmaes library Optuna uses. The update
 * needs a full ranking, not losses: a pruned or failed trial simply ranks
 * last, without a loss invented for it.
 *
 * Points reach the strategy as the values the trials ran with, not as the
 * draws that produced them (a study keeps only the values; an enqueued
 * trial was never drawn): each step y = (x - m) / sigma is therefore
 * treated as an injected solution (Hansen, "Injecting External Solutions
 * Into CMA-ES", 2011) and its Mahalanobis length clipped, so that a point
 * from far away cannot blow up the covariance.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/sampler_cmaes.h"

/* The stream that draws the fresh mean of restart r is RESTART_STREAM + r. */
#define RESTART_STREAM UINT64_C(0xc3a5c85c97cb3127)
/* Below these the run has converged as far as a unit cube can tell. */
#define TOLERANCE_X 1e-12
#define TOLERANCE_FUN 1e-12
/* Hansen's limits: a step size grown this much past sigma0 diverges, a
 * covariance this ill-conditioned has lost a direction. */
#define TOLERANCE_X_UP 1e4
#define MAX_CONDITION 1e14
/* IPOP stops doubling here: a generation of a million trials would never
 * finish anyway, and the scratch stays bounded. */
#define MAX_POPULATION ((size_t)1 << 20)
#define RESAMPLE_TRIES 100

/* The x with P(N(0, 1) > x) = tail, 0 < tail < 1/2, by bisection on erfc
 * (called once per run, so simplicity wins over a rational fit). */
static double normal_upper_quantile(double tail) {
    double low = 0, high = 40;
    for (int i = 0; i < 200 && high - low > 1e-12; i++) {
        double middle = 0.5 * (low + high);
        if (0.5 * erfc(middle / sqrt(2.0)) > tail)
            low = middle;
        else
            high = middle;
    }
    return 0.5 * (low + high);
}

/* Population, weights and learning rates for lambda (the tutorial's
 * defaults, its table 1, with the negative weights of active CMA: the
 * worse half of a generation pushes the covariance away from where it
 * lies). */
static dial_status set_population(dial_ctx *ctx, dial_cmaes *cmaes, size_t population) {
    size_t d = cmaes->d, parents = population / 2;
    double *weights = dial_realloc_array(ctx, cmaes->weights, population, sizeof *weights);
    if (!weights) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    cmaes->weights = weights;
    double *steps = dial_realloc_array(ctx, cmaes->steps, population * d, sizeof *steps);
    if (!steps) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    cmaes->steps = steps;
    cmaes->population = population;
    cmaes->parents = parents;
    double positive = 0, squares = 0, negative = 0, negative_squares = 0;
    for (size_t i = 0; i < population; i++) {
        weights[i] = log((double)(population + 1) / 2) - log((double)(i + 1));
        if (i < parents) {
            positive += weights[i];
            squares += weights[i] * weights[i];
        } else {
            negative -= weights[i];
            negative_squares += weights[i] * weights[i];
        }
    }
    double n = (double)d, mu_eff = positive * positive / squares;
    cmaes->mu_eff = mu_eff;
    cmaes->c_sigma = (mu_eff + 2) / (n + mu_eff + 5);
    cmaes->d_sigma = 1 + 2 * fmax(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + cmaes->c_sigma;
    cmaes->c_c = (4 + mu_eff / n) / (n + 4 + 2 * mu_eff / n);
    cmaes->c_1 = 2 / ((n + 1.3) * (n + 1.3) + mu_eff);
    cmaes->c_mu =
        fmin(1 - cmaes->c_1, 2 * (mu_eff - 2 + 1 / mu_eff) / ((n + 2) * (n + 2) + mu_eff));
    cmaes->chi_n = sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    /* The positive weights sum to 1; the negative ones as far as keeps C
     * positive definite (the tutorial's alpha-minus bounds). */
    double mu_eff_negative = negative > 0 ? negative * negative / negative_squares : 0;
    double scale_negative = fmin(1 + cmaes->c_1 / cmaes->c_mu,
                                 fmin(1 + 2 * mu_eff_negative / (mu_eff + 2),
                                      (1 - cmaes->c_1 - cmaes->c_mu) / (n * cmaes->c_mu)));
    for (size_t i = 0; i < population; i++)
        weights[i] = i < parents ? weights[i] / positive
                                 : (negative > 0 ? weights[i] * scale_negative / negative : 0);
    cmaes->margin_quantile = normal_upper_quantile(1 / (n * (double)population));
    /* Stagnation is judged over 10 + 30 d / lambda generations (the
     * tutorial's TolHistFun window), never more than was allocated for the
     * first, smallest population. */
    size_t length = 10 + (30 * d + population - 1) / population;
    cmaes->history_length = length < cmaes->history_length ? length : cmaes->history_length;
    return DIAL_OK;
}

/* Where the value of a discrete parameter changes next to u, below (toward
 * 0, direction -1) or above: the unit coordinate of the cell's edge by
 * bisection on dial_sampler_from_unit, which is monotone; NaN when u's cell
 * is the first (last) and has no edge that way. */
static double cell_edge(const dial_param *param, double u, int direction) {
    double value = dial_sampler_from_unit(param, u);
    double far = direction < 0 ? 0 : 1;
    if (dial_sampler_from_unit(param, far) == value) return NAN;
    double inside = u, outside = far;
    for (int i = 0; i < 64 && fabs(outside - inside) > 4 * DBL_EPSILON; i++) {
        double middle = 0.5 * (inside + outside);
        if (dial_sampler_from_unit(param, middle) == value)
            inside = middle;
        else
            outside = middle;
    }
    return 0.5 * (inside + outside);
}

/* CMA-ES with margin: a discrete coordinate whose whole distribution sits
 * inside one cell would never leave it (the integer freezes, and with it
 * the search along that axis). Keep the probability of crossing into the
 * nearest neighbouring cell at least alpha: in a cell at the end of the
 * range by moving the mean toward the one edge it has, in a middle cell by
 * stretching the coordinate (A_j > 1) so its spread reaches the nearer edge.
 * A is recomputed each generation, so it relaxes to 1 once sigma has grown
 * back. */
static void apply_margin(dial_cmaes *cmaes) {
    size_t d = cmaes->d;
    double z = cmaes->margin_quantile;
    for (size_t j = 0; j < d; j++) {
        cmaes->stretch[j] = 1;
        const dial_param *param = cmaes->discrete[j];
        if (!param) continue;
        double m = cmaes->mean[j];
        double spread = cmaes->sigma * sqrt(cmaes->cov[j + j * d]);
        if (!(spread > 0)) continue; /* a collapsed run is about to restart */
        double below = cell_edge(param, m, -1), above = cell_edge(param, m, +1);
        if (isnan(below) && isnan(above)) continue;
        if (isnan(below) || isnan(above)) {
            double edge = isnan(below) ? above : below;
            if (fabs(m - edge) > z * spread)
                cmaes->mean[j] = edge + (m < edge ? -1 : 1) * z * spread;
            continue;
        }
        double nearer = fmin(m - below, above - m);
        if (nearer > z * spread) cmaes->stretch[j] = nearer / (z * spread);
    }
}

/* B and D from C (LAPACK dsyev): false when it fails or C is no longer
 * positive definite enough to invert. */
static bool decompose(dial_cmaes *cmaes) {
    size_t d = cmaes->d;
    memcpy(cmaes->basis, cmaes->cov, d * d * sizeof *cmaes->basis);
    lapack_int info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)d, cmaes->basis,
                                         (lapack_int)d, cmaes->scales, cmaes->work, cmaes->lwork);
    if (info != 0) return false;
    /* eigenvalues come ascending */
    double smallest = cmaes->scales[0], largest = cmaes->scales[d - 1];
    if (!(smallest > 0) || !(largest < INFINITY) || largest / smallest > MAX_CONDITION)
        return false;
    for (size_t i = 0; i < d; i++) cmaes->scales[i] = sqrt(cmaes->scales[i]);
    return true;
}

/* A run from mean (d unit coordinates): sigma0, empty paths, C = I. */
static void start_run(dial_cmaes *cmaes, const double *mean) {
    size_t d = cmaes->d;
    for (size_t j = 0; j < d; j++) {
        cmaes->mean[j] = mean ? fmin(fmax(mean[j], 0), 1) : 0.5;
        cmaes->p_sigma[j] = cmaes->p_c[j] = 0;
        cmaes->scales[j] = 1;
    }
    for (size_t i = 0; i < d * d; i++) cmaes->cov[i] = cmaes->basis[i] = 0;
    for (size_t j = 0; j < d; j++) cmaes->cov[j + j * d] = cmaes->basis[j + j * d] = 1;
    cmaes->sigma = cmaes->sigma0;
    cmaes->generation = 0;
    cmaes->history_filled = 0;
    apply_margin(cmaes);
}

/* IPOP: the population doubles and the mean starts afresh, uniformly in the
 * cube, from the restart's own stream (the same seed restarts alike). */
static dial_status restart(dial_ctx *ctx, dial_cmaes *cmaes) {
    cmaes->restarts++;
    size_t population = cmaes->population;
    if (population <= MAX_POPULATION / 2) population *= 2;
    dial_status status = set_population(ctx, cmaes, population);
    if (status != DIAL_OK) return status;
    dial_rng rng = dial_rng_stream(cmaes->seed, RESTART_STREAM + cmaes->restarts);
    for (size_t j = 0; j < cmaes->d; j++) cmaes->vector[j] = dial_rng_uniform(&rng);
    start_run(cmaes, cmaes->vector);
    return DIAL_OK;
}

size_t dial_cmaes_default_population(size_t d) {
    return 4 + (size_t)floor(3 * log((double)(d ? d : 1)));
}

dial_status dial_cmaes_init(dial_ctx *ctx, dial_cmaes *cmaes, size_t d,
                            const dial_param *const *discrete, uint64_t seed, const double *start) {
    memset(cmaes, 0, sizeof *cmaes);
    cmaes->d = d;
    cmaes->discrete = discrete;
    cmaes->seed = seed;
    cmaes->sigma0 = 1.0 / 6; /* Optuna's: a sixth of each range */
    cmaes->base_population = dial_cmaes_default_population(d);
    cmaes->history_length = 10 + (30 * d + cmaes->base_population - 1) / cmaes->base_population;
    cmaes->mean = dial_calloc(ctx, d, sizeof *cmaes->mean);
    cmaes->p_sigma = dial_calloc(ctx, d, sizeof *cmaes->p_sigma);
    cmaes->p_c = dial_calloc(ctx, d, sizeof *cmaes->p_c);
    cmaes->cov = dial_calloc(ctx, d * d, sizeof *cmaes->cov);
    cmaes->basis = dial_calloc(ctx, d * d, sizeof *cmaes->basis);
    cmaes->scales = dial_calloc(ctx, d, sizeof *cmaes->scales);
    cmaes->stretch = dial_calloc(ctx, d, sizeof *cmaes->stretch);
    cmaes->vector = dial_calloc(ctx, d, sizeof *cmaes->vector);
    cmaes->best_history = dial_calloc(ctx, cmaes->history_length, sizeof *cmaes->best_history);
    if (!cmaes->mean || !cmaes->p_sigma || !cmaes->p_c || !cmaes->cov || !cmaes->basis ||
        !cmaes->scales || !cmaes->stretch || !cmaes->vector || !cmaes->best_history)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    /* dsyev's workspace, asked once for this d. */
    double size = 0;
    lapack_int info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)d, cmaes->basis,
                                         (lapack_int)d, cmaes->scales, &size, -1);
    cmaes->lwork = info == 0 && size >= (double)(3 * d) ? (lapack_int)size : (lapack_int)(3 * d);
    cmaes->work = dial_calloc(ctx, (size_t)cmaes->lwork, sizeof *cmaes->work);
    if (!cmaes->work) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    dial_status status = set_population(ctx, cmaes, cmaes->base_population);
    if (status != DIAL_OK) return status;
    start_run(cmaes, start);
    return DIAL_OK;
}

void dial_cmaes_free(dial_cmaes *cmaes) {
    if (!cmaes) return;
    free(cmaes->weights);
    free(cmaes->mean);
    free(cmaes->p_sigma);
    free(cmaes->p_c);
    free(cmaes->cov);
    free(cmaes->basis);
    free(cmaes->scales);
    free(cmaes->stretch);
    free(cmaes->best_history);
    free(cmaes->steps);
    free(cmaes->vector);
    free(cmaes->work);
    memset(cmaes, 0, sizeof *cmaes);
}

/* out = C^(-1/2) y = B D^-1 B' y; scratch: d doubles. */
static void whiten(const dial_cmaes *cmaes, const double *y, double *scratch, double *out) {
    size_t d = cmaes->d;
    for (size_t i = 0; i < d; i++) {
        double dot = 0;
        for (size_t j = 0; j < d; j++) dot += cmaes->basis[j + i * d] * y[j];
        scratch[i] = dot / cmaes->scales[i];
    }
    for (size_t j = 0; j < d; j++) {
        double sum = 0;
        for (size_t i = 0; i < d; i++) sum += cmaes->basis[j + i * d] * scratch[i];
        out[j] = sum;
    }
}

static double norm(const double *v, size_t d) {
    double sum = 0;
    for (size_t j = 0; j < d; j++) sum += v[j] * v[j];
    return sqrt(sum);
}

/* Two fitness values that no longer tell points apart. */
static bool flat(double a, double b) {
    if (a == b) return true; /* +inf == +inf too: a generation that all failed */
    return isfinite(a) && isfinite(b) &&
           fabs(a - b) <= TOLERANCE_FUN * (1 + fmin(fabs(a), fabs(b)));
}

/* Whether the run has stagnated: the tutorial's TolHistFun (with the
 * current generation flat too), TolX, TolXUp and NoEffectCoord
 * (ConditionCov is checked by decompose). */
static bool stagnated(const dial_cmaes *cmaes, const double *fitness) {
    size_t d = cmaes->d;
    if (cmaes->history_filled >= cmaes->history_length &&
        flat(fitness[0], fitness[cmaes->population - 1])) {
        double low = INFINITY, high = -INFINITY;
        for (size_t i = 0; i < cmaes->history_length; i++) {
            low = fmin(low, cmaes->best_history[i]);
            high = fmax(high, cmaes->best_history[i]);
        }
        if (flat(low, high)) return true;
    }
    double widest = 0;
    for (size_t j = 0; j < d; j++)
        widest = fmax(widest, fmax(fabs(cmaes->p_c[j]), sqrt(cmaes->cov[j + j * d])));
    if (cmaes->sigma * widest < TOLERANCE_X) return true;
    if (cmaes->sigma * cmaes->scales[d - 1] > TOLERANCE_X_UP * cmaes->sigma0) return true;
    for (size_t j = 0; j < d; j++)
        if (cmaes->mean[j] == cmaes->mean[j] + 0.2 * cmaes->sigma * sqrt(cmaes->cov[j + j * d]))
            return true;
    return false;
}

dial_status dial_cmaes_tell(dial_ctx *ctx, dial_cmaes *cmaes, const double *points,
                            const double *fitness) {
    size_t d = cmaes->d, parents = cmaes->parents, population = cmaes->population;
    double *y_w = cmaes->vector;
    /* whitened, scratch, and the weight each step gets in the rank-mu
     * update */
    double *whitened = dial_malloc_array(ctx, 2 * d + population, sizeof *whitened);
    if (!whitened) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    double *scratch = whitened + d, *rank_weights = whitened + 2 * d;
    /* The steps, clipped to the Mahalanobis length a sampled step rarely
     * exceeds (Hansen 2011: sqrt(d) + 2d / (d + 2)). */
    double limit = sqrt((double)d) + 2.0 * (double)d / ((double)d + 2);
    for (size_t j = 0; j < d; j++) y_w[j] = 0;
    for (size_t i = 0; i < population; i++) {
        double *y = &cmaes->steps[i * d];
        for (size_t j = 0; j < d; j++) {
            double x = points[i * d + j];
            /* a trial that lacked the parameter moved nowhere along it */
            y[j] = isnan(x) ? 0 : (x - cmaes->mean[j]) / (cmaes->sigma * cmaes->stretch[j]);
        }
        whiten(cmaes, y, scratch, whitened);
        double length = norm(whitened, d);
        if (length > limit) {
            for (size_t j = 0; j < d; j++) y[j] *= limit / length;
            length = limit;
        }
        rank_weights[i] = cmaes->weights[i];
        /* A negative weight acts on the step's direction only, never on
         * its length (the tutorial's w-circle), or C could lose its
         * positive definiteness. */
        if (i >= parents) rank_weights[i] *= length > 0 ? (double)d / (length * length) : 0;
        if (i < parents)
            for (size_t j = 0; j < d; j++) y_w[j] += cmaes->weights[i] * y[j];
    }
    for (size_t j = 0; j < d; j++)
        cmaes->mean[j] = fmin(fmax(cmaes->mean[j] + cmaes->sigma * y_w[j], 0), 1);
    /* Cumulation: the evolution paths of sigma and of C. */
    whiten(cmaes, y_w, scratch, whitened);
    double c_s = cmaes->c_sigma, c_c = cmaes->c_c, mu_eff = cmaes->mu_eff;
    double gain_s = sqrt(c_s * (2 - c_s) * mu_eff);
    for (size_t j = 0; j < d; j++)
        cmaes->p_sigma[j] = (1 - c_s) * cmaes->p_sigma[j] + gain_s * whitened[j];
    double p_sigma_length = norm(cmaes->p_sigma, d);
    double decay = 1 - pow(1 - c_s, 2.0 * (double)(cmaes->generation + 1));
    bool h_sigma = p_sigma_length / sqrt(decay) < (1.4 + 2 / ((double)d + 1)) * cmaes->chi_n;
    double gain_c = h_sigma ? sqrt(c_c * (2 - c_c) * mu_eff) : 0;
    for (size_t j = 0; j < d; j++) cmaes->p_c[j] = (1 - c_c) * cmaes->p_c[j] + gain_c * y_w[j];
    /* C: rank-one update from p_c, rank-mu update from the parents. */
    double c_1 = cmaes->c_1, c_mu = cmaes->c_mu;
    double weight_sum = 0;
    for (size_t i = 0; i < population; i++) weight_sum += cmaes->weights[i];
    double keep = 1 - c_1 - c_mu * weight_sum + (h_sigma ? 0 : c_1 * c_c * (2 - c_c));
    for (size_t b = 0; b < d; b++)
        for (size_t a = 0; a < d; a++) {
            double rank_mu = 0;
            for (size_t i = 0; i < population; i++)
                rank_mu += rank_weights[i] * cmaes->steps[i * d + a] * cmaes->steps[i * d + b];
            cmaes->cov[a + b * d] =
                keep * cmaes->cov[a + b * d] + c_1 * cmaes->p_c[a] * cmaes->p_c[b] + c_mu * rank_mu;
        }
    /* Step size: longer than expected path, larger steps (capped, as the
     * tutorial advises, so one generation can grow sigma by e at most). */
    cmaes->sigma *= exp(fmin(1, (c_s / cmaes->d_sigma) * (p_sigma_length / cmaes->chi_n - 1)));
    free(whitened);
    cmaes->generation++;
    cmaes->generations++;
    cmaes->best_history[cmaes->history_filled % cmaes->history_length] = fitness[0];
    cmaes->history_filled++;
    if (!decompose(cmaes) || !(cmaes->sigma > 0) || !isfinite(cmaes->sigma))
        return restart(ctx, cmaes);
    apply_margin(cmaes);
    if (stagnated(cmaes, fitness)) return restart(ctx, cmaes);
    return DIAL_OK;
}

void dial_cmaes_sample(const dial_cmaes *cmaes, dial_rng *rng, double *scratch, double *unit) {
    size_t d = cmaes->d;
    for (int attempt = 0; attempt < RESAMPLE_TRIES; attempt++) {
        for (size_t i = 0; i < d; i++) scratch[i] = cmaes->scales[i] * dial_rng_normal(rng);
        bool inside = true;
        for (size_t j = 0; j < d; j++) {
            double y = 0;
            for (size_t i = 0; i < d; i++) y += cmaes->basis[j + i * d] * scratch[i];
            unit[j] = cmaes->mean[j] + cmaes->sigma * cmaes->stretch[j] * y;
            inside = inside && unit[j] >= 0 && unit[j] <= 1;
        }
        if (inside) return;
    }
    for (size_t j = 0; j < d; j++) unit[j] = fmin(fmax(unit[j], 0), 1);
}
