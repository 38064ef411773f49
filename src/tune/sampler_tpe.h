/*
 * The tpe sampler (internal to sampler_tpe*.c and its tests): the Parzen
 * estimator it builds of the good and of the bad trials
 * (sampler_tpe_parzen.c), and a trace of what a proposal used, so a test
 * can check the bounds that keep a suggestion's cost flat
 * (sampler_tpe.c).
 */
#ifndef DIAL_TUNE_SAMPLER_TPE_H
#define DIAL_TUNE_SAMPLER_TPE_H

#include "tune/sampler_internal.h"

/* The bad estimator keeps at most this many kernels (plus the prior): past
 * it, the newest half are kept as they are and the older trials are
 * represented by one trial per block (sampler_tpe.c), so a proposal's
 * model costs the same at 10,000 finished trials as at 1,000. */
#define DIAL_TPE_MAX_BAD_KERNELS 1000
/* Candidates drawn from the good estimator per proposal (Optuna's
 * n_ei_candidates). */
#define DIAL_TPE_CANDIDATES 24

/* One parameter of a group as the estimators see it: on its transformed
 * axis (log for a log knob), where kernels are Gaussians truncated to
 * [low, high]; or, for a CHOICE, a category among n_choices. */
typedef struct dial_tpe_dimension {
    const dial_param *param; /* borrowed from the sampler's space */
    bool categorical;
    double low, high; /* the kernels' support on the transformed axis */
    /* > 0: the parameter takes values on a grid of this spacing on the
     * transformed axis (a non-log INT or step), and a value's likelihood is
     * the kernel's mass over its cell; 0: a density. */
    double bin;
    size_t n_choices; /* CHOICE: how many indices low..high it has */
} dial_tpe_dimension;

/* Whether param takes a single value (fixed, or a range of one value): it
 * is left out of the model and always set to that value. */
bool dial_tpe_param_single(const dial_param *param);
/* Describes param (not single) for the estimators. */
void dial_tpe_dimension_init(const dial_param *param, dial_tpe_dimension *dim);
/* A valid value of the dimension's parameter from a point t of its
 * transformed axis (CHOICE: t is the offset from param->low), rounded to
 * its grid and kept within its range. */
double dial_tpe_untransform(const dial_tpe_dimension *dim, double t);
/* The valid value of the dimension's parameter nearest value (a value a
 * history brings from outside the range, or off its grid). */
double dial_tpe_nearest(const dial_tpe_dimension *dim, double value);

/* A multivariate Parzen estimator: one kernel per observation, each the
 * product over the dimensions of a truncated Gaussian (a category
 * distribution for a CHOICE) sharing one component index, plus a prior
 * kernel (centred, as wide as the range, uniform over choices) of weight
 * 1. */
typedef struct dial_parzen dial_parzen;

/* Builds the estimator of n_obs observations over n_dims dimensions:
 * values holds n_obs rows of n_dims valid parameter values (CHOICE: the
 * index), weights n_obs positive weights (normalised here together with
 * the prior's). The bandwidth follows Optuna's multivariate rule, sigma =
 * 0.2 n^(-1/(n_dims+4)) (high - low), with (high - low) replaced by the
 * observations' standard deviation over 0.2887 where that is smaller
 * (they gather), clipped to [(high - low) / min(100, n_obs + 2),
 * high - low]. dims are borrowed and
 * must outlive the estimator. Errors: DIAL_ERR_NOMEM (*out NULL). */
dial_status dial_parzen_create(dial_ctx *ctx, const dial_tpe_dimension *dims, size_t n_dims,
                               size_t n_obs, const double *values, const double *weights,
                               dial_parzen **out);
void dial_parzen_free(dial_parzen *parzen);
/* The number of kernels, the prior's included. */
size_t dial_parzen_kernels(const dial_parzen *parzen);
/* Draws a point (n_dims valid values) from the estimator. */
void dial_parzen_sample(const dial_parzen *parzen, dial_rng *rng, double *value);
/* The log likelihood of a point of valid values; scratch holds
 * dial_parzen_kernels(parzen) + n_dims doubles. */
double dial_parzen_log_pdf(const dial_parzen *parzen, const double *value, double *scratch);

/* What one proposal used: how many groups of parameters it sampled
 * jointly, how many of them had enough trials to be modelled (the others
 * were drawn from the prior), and the most kernels (prior excluded) of a
 * good and of a bad estimator. */
typedef struct dial_tpe_trace {
    size_t groups;
    size_t modelled_groups;
    size_t good_kernels;
    size_t bad_kernels;
} dial_tpe_trace;

/* The tpe proposal of trial number (dial_sampler_ops.propose) that also
 * fills *trace when trace is not NULL. Errors: DIAL_ERR_NOMEM. */
dial_status dial_tpe_propose_traced(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                    const dial_sampler_history *history, double *point,
                                    dial_tpe_trace *trace);

#endif
