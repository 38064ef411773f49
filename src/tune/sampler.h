/*
 * Samplers (internal): where a trial's parameter values come from.
 * A value depends only on (seed, trial number, the parameter) and, for the
 * grid, the trial number's position in the middle-out grid order (for
 * random search over a finite space, in a seeded permutation of its
 * points), so the same seed gives the same trials on one worker or many.
 */
#ifndef DIAL_SAMPLER_H
#define DIAL_SAMPLER_H

#include "dial/tune.h"

typedef struct dial_sampler dial_sampler;

/* Order hints: how a sampler that orders its trials (the grid) may place a
 * parameter. By default (SPREAD) every parameter is visited middle-out, so
 * a search stopped early has seen every part of every range. A caller that
 * shares work between trials (the built-in objective) asks for more:
 * trials agreeing on an OUTER parameter come together (it varies slowest),
 * and an ASCENDING or DESCENDING parameter varies fastest, in that order
 * of its values. Samplers that do not order their trials ignore them. */
typedef enum dial_order_role {
    DIAL_ORDER_SPREAD = 0,
    DIAL_ORDER_OUTER,
    DIAL_ORDER_ASCENDING,
    DIAL_ORDER_DESCENDING
} dial_order_role;

/* space may be NULL for RANDOM (pure define-by-run) but is required for
 * GRID (every combination is enumerated up front) and used by QMC to give
 * each parameter its dimension (parameters outside the space fall back to
 * random draws). grid_points: values per continuous parameter (0 = 10).
 * The sampler keeps its own copy of what it needs from space. */
dial_status dial_sampler_create(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                const dial_space *space, size_t grid_points, dial_sampler **out);
/* The same with order hints: roles has one entry per parameter of space,
 * in its order (NULL: every parameter SPREAD); the sampler keeps a copy. */
dial_status dial_sampler_create_ordered(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                        const dial_space *space, size_t grid_points,
                                        const dial_order_role *roles, dial_sampler **out);
/* Everything a sampler is made from; the two functions above are this
 * with startup_trials 0 (= 10). */
typedef struct dial_sampler_settings {
    dial_sampler_kind kind;
    uint64_t seed;
    const dial_space *space;      /* may be NULL (define-by-run) */
    size_t grid_points;           /* GRID: values per continuous parameter; 0 = 10 */
    const dial_order_role *roles; /* one per space parameter, or NULL */
    size_t startup_trials;        /* model-based kinds: trials drawn by qmc first; 0 = 10 */
    /* GP: ignore what trials cost (no cost-aware choice between close
     * candidates); a benchmark sets it to measure what cost awareness
     * gains. */
    bool cost_blind;
} dial_sampler_settings;
dial_status dial_sampler_create_with(dial_ctx *ctx, const dial_sampler_settings *settings,
                                     dial_sampler **out);
void dial_sampler_free(dial_sampler *sampler);

/* ---- what a model-based sampler learns from ----------------------------------- */

/* One trial as a model-based sampler sees it. Samplers minimise: loss is
 * the value for a study that minimises and minus the value for one that
 * maximises. */
typedef struct dial_sampler_observation {
    int64_t number;
    /* COMPLETE, PRUNED or FAILED; RUNNING for a trial still running, and
     * for one that finished too recently to be used (it ran beside the
     * trial being proposed: see dial_study's jobs window), so that the
     * same trials are proposed whichever thread finished first. */
    dial_trial_state state;
    double loss;    /* COMPLETE: finite or +-inf; NaN otherwise */
    double seconds; /* finished: how long it ran (its cost); NaN while running */
    /* PRUNED: the last intermediate value it reported as a loss, and its
     * step; NaN and -1 without one. */
    double last_loss;
    int64_t last_step;
    /* One entry per parameter of the sampler's space, in its order: the
     * trial's value (CHOICE: the index into the space parameter's choices),
     * NaN when the trial lacks it (inactive, or not suggested yet). */
    const double *x;
} dial_sampler_observation;

/* The trials a proposal learns from, ascending number, all numbered below
 * the trial proposed. */
typedef struct dial_sampler_history {
    size_t n;
    /* Trials numbered below 0 come first: a warm start's prior (another
     * study's complete trials), learnt from as the study's own and counted
     * toward the startup trials. */
    const dial_sampler_observation *trials;
} dial_sampler_history;

/* Whether the sampler proposes whole points from the history (TPE, GP,
 * CMAES, AUTO); the others answer dial_sampler_suggest alone. */
bool dial_sampler_learns(const dial_sampler *sampler);
/* The whole point of trial number (one entry per space parameter: a valid
 * value, CHOICE an index, NaN for a parameter inactive at this point), as
 * a pure function of (seed, number, history): the first startup_trials
 * numbers get qmc points, later ones the kind's model. A sampler that does
 * not learn fills the point from dial_sampler_suggest. Errors: DIAL_ERR_NOMEM. */
dial_status dial_sampler_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                 const dial_sampler_history *history, double *point);
/* What the sampler uses and why, one line (dial_study_sampler_plan). */
void dial_sampler_describe(const dial_sampler *sampler, char *buf, size_t size);
/* The same after n_prior observations of a warm start's prior, which count
 * toward the startup trials (dial_sampler_propose): "qmc for the first 4
 * trials (a warm start's 6 count toward 10)", or no qmc at all. */
void dial_sampler_describe_after(const dial_sampler *sampler, size_t n_prior, char *buf,
                                 size_t size);

/* The value of parameter `param` for trial `number` (CHOICE: the index). */
dial_status dial_sampler_suggest(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                 const dial_param *param, double *value);

/* Tells the sampler of a trial this process finished (a model-based
 * sampler learns from it; the others ignore it). Call it with the study's
 * lock held. */
void dial_sampler_tell(dial_sampler *sampler, const dial_trial_record *record);

/* GRID: the number of grid points (a study of a grid ends there); other
 * samplers: 0 (no natural end). */
int64_t dial_sampler_grid_size(const dial_sampler *sampler);

#endif
