/*
 * The Gaussian process behind the gp sampler (internal to sampler_gp.c and
 * gp_*.c): gp_model.c fits and conditions it, gp_acquisition.c chooses the
 * next point from it (log expected improvement, and among near ties the
 * cheaper point by gp_cost.c's model of what a trial costs).
 *
 * Inputs live in the unit cube, one dimension per knob: a number's unit
 * coordinate (dial_sampler_to_unit, log for log knobs), a categorical's
 * choice index, compared by equality. The kernel is Matern 5/2 with one
 * length scale per dimension,
 *   k(a, b) = s (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r),
 *   r^2 = sum_d delta_d(a, b)^2 / l_d^2,
 * where delta_d is a_d - b_d for a number and (a_d != b_d) for a
 * categorical (a Hamming distance, as Optuna's GPSampler does), so that one
 * length scale per knob holds for every kind of knob. Outputs are the
 * losses warped by gp_warp.c, then standardised; observations carry noise
 * of variance `noise`.
 */
#ifndef DIAL_TUNE_GP_MODEL_H
#define DIAL_TUNE_GP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial/tune.h"

/* The gp sampler models at most this many finished trials; past them it
 * proposes through tpe. Conditioning costs n^3 / 3 and each of the fit's
 * likelihood evaluations (up to some 200) about n^3: measured on a 2-core
 * machine, a proposal takes 25 ms at 50 trials and 0.7 to 1 s at 300, as
 * long as a trial of most models dial tunes; beyond, the model would cost
 * more than the trials it chooses. */
#define DIAL_GP_MAX_TRIALS 300

/* What the gp learns from: n points of d dimensions (row-major, unit
 * coordinates or choice indices) and their outputs. Borrowed. */
typedef struct dial_gp_data {
    size_t n, d;
    const double *x;
    const double *y;
    const bool *categorical; /* d flags: compare by equality */
} dial_gp_data;

/* The kernel's hyperparameters on a log scale: d log length scales, then
 * log signal variance, then log noise variance (theta has d + 2 entries). */
#define DIAL_GP_LOG_SIGNAL(d) (d)
#define DIAL_GP_LOG_NOISE(d) ((d) + 1)

/* A gp conditioned on its data: what prediction needs. */
typedef struct dial_gp {
    size_t n, d;
    double *x;                      /* n * d, own copy */
    bool *categorical;              /* d, own copy */
    double *inverse_square_lengths; /* d: 1 / l^2 */
    double signal;                  /* s */
    double noise;                   /* noise variance, jitter included */
    double *chol;                   /* n * n: L, lower, row-major, of K + noise I = L L^T */
    double *alpha;                  /* n: (K + noise I)^-1 y */
} dial_gp;

/* Fits theta (d + 2 entries) to data by maximum marginal likelihood with
 * weak priors on the length scales, the signal and the noise: a
 * quasi-Newton search on bounded log parameters from a default start and
 * `restarts` starting points drawn from the stream (seed, stream). A
 * degenerate data set (one point, equal outputs) gives finite values.
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_gp_fit(dial_ctx *ctx, const dial_gp_data *data, uint64_t seed, uint64_t stream,
                        size_t restarts, double *theta);

/* Conditions a gp with hyperparameters theta on data, into *gp (free with
 * dial_gp_free). When the Cholesky factorisation fails (duplicate points,
 * a flat objective), it retries with jitter from 1e-8 up to 1e-2 added to
 * the noise. Errors: DIAL_ERR_NUMERIC when even that fails (non-finite
 * inputs), DIAL_ERR_NOMEM. */
dial_status dial_gp_condition(dial_ctx *ctx, const dial_gp_data *data, const double *theta,
                              dial_gp *gp);
void dial_gp_free(dial_gp *gp);

/* The posterior mean and variance (of the function, without the noise) at
 * point u (d entries). scratch has n entries. Thread-safe: reads gp. */
void dial_gp_predict(const dial_gp *gp, const double *u, double *scratch, double *mean,
                     double *variance);

/* log(E[max(best - f, 0)]) for f ~ N(mean, variance): the log of the
 * expected improvement on best for a minimiser, in a form that stays
 * finite and accurate far below best (Ament et al., "Unexpected
 * improvements to expected improvement", 2023). */
double dial_gp_log_expected_improvement(double mean, double variance, double best);

/* ---- gp_warp.c: the losses as the gp sees them ---------------------------- */

/* Replaces the n losses y by an increasing power transform of them fitted
 * by likelihood (Box-Cox when all are positive, else Yeo-Johnson; see
 * gp_warp.c; applied to the losses over their spread plus 0.01, so that
 * it is linear near their zero), so that heavy-tailed losses look
 * Gaussian to the model. The
 * order of the losses is kept; the caller standardises the result. Fewer
 * than three losses, equal losses or a non-finite one are left as they
 * are. Cannot fail. */
void dial_gp_warp_outputs(double *y, size_t n);

/* ---- gp_cost.c: what a trial costs --------------------------------------- */

/* A ridge regression of log seconds on the inputs (a number's unit
 * coordinate; a categorical's choices one-hot): cheap, and enough to
 * capture a cost that grows with a knob (an SVM's C, a forest's trees). */
typedef struct dial_gp_cost {
    size_t d;
    size_t n_features;
    const size_t *n_choices; /* borrowed: per dimension, choices (0 for a number) */
    double *weights;         /* n_features + 1 (intercept last) */
} dial_gp_cost;

/* Fits the cost model to the n points of x (n * d) with their seconds;
 * n_choices[j] is the number of choices of dimension j, 0 for a number.
 * Points whose seconds are not finite and positive are left out; *usable
 * is false when fewer than three remain (then no model is made). Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_gp_cost_fit(dial_ctx *ctx, size_t n, size_t d, const double *x,
                             const double *seconds, const size_t *n_choices, dial_gp_cost *cost,
                             bool *usable);
/* The predicted log seconds at u. */
double dial_gp_cost_log_seconds(const dial_gp_cost *cost, const double *u);
void dial_gp_cost_free(dial_gp_cost *cost);

/* ---- gp_acquisition.c: the next point ------------------------------------- */

/* How close two candidates' log EI must be for the cheaper to win: within
 * log(3), expected improvements within a factor of 3 of each other. EI
 * spans orders of magnitude across the cube, so this is still a near tie;
 * a margin of log(1.1) changed too few choices to gain anything on
 * bench/gp_cost_aware.c (time to target 1.00x), log(2) gained 1.15x and
 * log(3) 1.2x, with the same number of trials to the target. */
#define DIAL_GP_TIE_LOG_MARGIN 1.0986122886681098

/* How much log EI a point may give up to reuse work a recent trial
 * prepared (dial_gp_search.outer): log(3). A trial at a prepared value
 * costs a fraction of one at a new value (svm on satimage: 0.13 s against
 * 0.6 s, the kernel of every fold being made once per gamma), so a third
 * of the best expected improvement is still more improvement per second;
 * the margin stays below that ratio so that the model's choice keeps
 * winning whenever it is clearly better. */
#define DIAL_GP_REUSE_LOG_MARGIN 1.0986122886681098

/* What the acquisition search needs. */
typedef struct dial_gp_search {
    const dial_gp *gp;
    double best;              /* the incumbent's standardised loss */
    const dial_gp_cost *cost; /* NULL: cost-blind */
    /* d entries: the knob of each dimension; a coordinate is snapped to
     * a value the knob can take (an integer, a step, a choice) before
     * the acquisition is computed there, so rounding never lands on a
     * point the model did not score. */
    const dial_param *const *params;
    const double *incumbents; /* n_incumbents * d: the best points seen */
    size_t n_incumbents;
    /* Prepared reuse: d flags of the dimensions whose values a trial's fit
     * prepares once for all the trials that share them (the objective's
     * outer order hints: svm's gamma, the preprocessing; NULL: none), and
     * n_prepared points whose values of those dimensions recent trials
     * prepared. */
    const bool *outer;
    const double *prepared;
    size_t n_prepared;
} dial_gp_search;

/* Maximises log EI over the unit cube by random starts (uniform, and near
 * the incumbents; seeded from (seed, stream)) and a coordinate search from
 * the best few; when a point at a prepared point's outer values comes
 * within DIAL_GP_REUSE_LOG_MARGIN of that, takes it; else with a cost
 * model, among the candidates whose log EI is
 * within DIAL_GP_TIE_LOG_MARGIN of the best, takes the one with the most EI
 * per second. Writes the chosen point's d coordinates to u (snapped).
 * Errors: DIAL_ERR_NOMEM. */
dial_status dial_gp_search_point(dial_ctx *ctx, const dial_gp_search *search, uint64_t seed,
                                 uint64_t stream, double *u);

#endif
