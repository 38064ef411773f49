/*
 * CMA-ES (internal to sampler_cmaes*.c and their tests): the evolution
 * strategy of Hansen, "The CMA Evolution Strategy: A Tutorial" (2016),
 * with IPOP restarts (Auger and Hansen, 2005) and a margin for discrete
 * coordinates (Hamano et al., "CMA-ES with Margin", GECCO 2022).
 *
 * The strategy lives in the unit cube [0, 1]^d of the space's FLOAT and INT
 * parameters (dial_sampler_to_unit puts log knobs on a log axis). It never
 * sees a trial: sampler_cmaes.c ranks each finished generation and tells the
 * strategy its points, best first (sampler_cmaes_strategy.c updates it).
 */
#ifndef DIAL_TUNE_SAMPLER_CMAES_H
#define DIAL_TUNE_SAMPLER_CMAES_H

#include <lapacke.h>

#include "tune/sampler_internal.h"

/* The state of one run of the strategy (fields in Hansen's notation). */
typedef struct dial_cmaes {
    size_t d;
    /* Per coordinate: the parameter when it takes finitely many values (an
     * INT, a stepped FLOAT), whose cells the margin keeps reachable; NULL for
     * a continuous one. Borrowed from the sampler. */
    const dial_param *const *discrete;
    uint64_t seed; /* draws the fresh mean of a restart */
    size_t base_population;
    /* lambda and mu of the current run; IPOP doubles lambda at each restart. */
    size_t population, parents;
    /* lambda weights, best first: the mu positive ones sum to 1 */
    double *weights;
    double mu_eff, c_sigma, d_sigma, c_c, c_1, c_mu, chi_n;
    /* The margin: a discrete coordinate leaves its cell with probability at
     * least alpha = 1 / (d lambda), which is the normal quantile
     * margin_quantile standard deviations away. */
    double margin_quantile;
    double sigma, sigma0;
    double *mean, *p_sigma, *p_c;
    double *cov;        /* C, d x d, column-major */
    double *basis;      /* B: eigenvectors of C in its columns, column-major */
    double *scales;     /* D: square roots of C's eigenvalues */
    double *stretch;    /* A of CMA-ES with margin: 1 except on discrete coordinates */
    size_t generation;  /* generations since the current run started */
    size_t generations; /* generations told in all */
    size_t restarts;
    /* The best fitness of the last history_length generations, a ring: a
     * flat history means stagnation. */
    double *best_history;
    size_t history_length, history_filled;
    /* scratch */
    double *steps, *vector, *work;
    lapack_int lwork;
} dial_cmaes;

/* The first run's population: 4 + floor(3 ln d), the tutorial's lambda. */
size_t dial_cmaes_default_population(size_t d);

/* Starts the strategy in d >= 1 dimensions, mean at start (d unit
 * coordinates; NULL: the centre), sigma 1/6 of the cube's side, population
 * 4 + floor(3 ln d). discrete: d entries, see above. Errors: DIAL_ERR_NOMEM
 * (free with dial_cmaes_free, whatever the result). */
dial_status dial_cmaes_init(dial_ctx *ctx, dial_cmaes *cmaes, size_t d,
                            const dial_param *const *discrete, uint64_t seed, const double *start);
void dial_cmaes_free(dial_cmaes *cmaes);

/* One finished generation: points holds population rows of d unit
 * coordinates (NaN: the trial lacked the parameter), best first; fitness
 * their losses in the same order (pruned and failed trials +inf). Updates
 * the mean, paths, covariance and step size, and restarts with a doubled
 * population and a fresh mean when the run stagnates (flat fitness, a step
 * size too small or too large for the cube, an ill-conditioned
 * covariance). Errors: DIAL_ERR_NOMEM. */
dial_status dial_cmaes_tell(dial_ctx *ctx, dial_cmaes *cmaes, const double *points,
                            const double *fitness);

/* A point of the current distribution in the cube, into unit (d entries),
 * drawn from rng: resampled while outside the cube (up to 100 times), then
 * clipped into it. scratch: d doubles of the caller's. Reads the strategy
 * only, so parallel proposals may share one. */
void dial_cmaes_sample(const dial_cmaes *cmaes, dial_rng *rng, double *scratch, double *unit);

/* sampler_cmaes.c: the strategy that proposes trial number, rebuilt from
 * history into *out (free with dial_cmaes_free; out->d is 0 when the space
 * has no FLOAT or INT parameter to evolve). For tests, which read its
 * restarts, population and sigma. Errors: DIAL_ERR_NOMEM. */
dial_status dial_cmaes_replay(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                              const dial_sampler_history *history, dial_cmaes *out);

#endif
