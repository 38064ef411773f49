/*
 * The built-in objective (internal): what objective.c shares with the
 * procedures of tune_model.c. The public side is dial/tune_model.h.
 */
#ifndef DIAL_TUNE_OBJECTIVE_H
#define DIAL_TUNE_OBJECTIVE_H

#include "dial/tune_model.h"
#include "tune/sampler.h"

/* Checks that data has a target and that metric fits its task and the
 * family (dial_metric_check); for a metric on probabilities, that every
 * trial of the search gives them (the family's proba_knob fixed true in
 * knobs, not searched in space, which may be NULL). DIAL_ERR_ARGUMENT
 * otherwise, with the fix. */
dial_status dial_objective_check_metric(dial_ctx *ctx, const dial_model_family *family,
                                        const dial_knobs *knobs, const dial_space *space,
                                        const dial_dataset *data, dial_metric metric);

/* The order hints (tune/sampler.h) to open the study with, one per
 * parameter of dial_model_objective_space, so that a grid visits trials in
 * the order that shares the most prepared work (the family's prepare knobs
 * slowest, its path or warm knob fastest); NULL when the family shares
 * none. Owned by the objective. */
const dial_order_role *dial_objective_order_roles(const dial_model_objective *objective);

/* Turns the prepare-once path (see objective.c) on, as it is by default,
 * or off, so that every fold of every trial is fitted in full; for the
 * tests that compare the two. Call it before any trial runs. */
void dial_objective_set_prepare(dial_model_objective *objective, bool enabled);

/* Tells the objective how the study samples (before any trial runs): under
 * the grid sampler, a warm knob searched over a range chains along the
 * grid's values, and a path fit goes to the top of its range. Errors:
 * DIAL_ERR_NOMEM. */
dial_status dial_objective_set_sampler(dial_ctx *ctx, dial_model_objective *objective,
                                       dial_sampler_kind sampler, size_t grid_points);

/* Turns the chains along a path or warm knob off (they are on by
 * default), so that each trial's folds use predict_fold; for the tests
 * that compare the two. Call it before any trial runs. */
void dial_objective_set_chains(dial_model_objective *objective, bool enabled);

/* What a pruner's resource is for this objective (after
 * dial_objective_set_sampler): PATH when the space searches the family's
 * path knob and the chain along it is set up, max_resource the top of its
 * range (or of its list); else FOLDS, max_resource the number of folds. */
void dial_objective_pruner_resource(const dial_model_objective *objective, dial_resource *resource,
                                    int64_t *max_resource);

/* Tells the objective its study has a pruner of that resource (before any
 * trial runs): folds are then scored strictly in order (a pruned trial
 * has folds 0..k-1), and under PATH a path trial's folds are scored in
 * step to each of its rungs and judged there (objective_rungs.c). Off
 * (the default), trials run exactly as without a pruner. */
void dial_objective_set_pruning(dial_model_objective *objective, bool on, dial_resource resource);

/* How many path fits and warm rungs the chains have run (0 without). */
size_t dial_objective_chain_fits(const dial_model_objective *objective);

/* Seconds trial `number` of this objective's run spent preparing fold
 * entries that later trials reuse (prepare once, fit many: kNN's
 * neighbour lists, an SVM's kernel), part of its own duration; 0 for a
 * trial that prepared nothing or that another run (or process) ran. */
double dial_objective_prepare_seconds(const dial_model_objective *objective, int64_t number);

/* How many prepared fold entries the objective holds now, and how many it
 * has built; both 0 for a family without prepare_fold. */
void dial_objective_cache_stats(const dial_model_objective *objective, size_t *entries,
                                size_t *builds);

#endif
