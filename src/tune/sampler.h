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
void dial_sampler_free(dial_sampler *sampler);

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
