/*
 * The built-in objective under a pruner (see objective.c): folds strictly
 * in order, and a path trial judged at its rungs.
 *
 * How the folds move in step along a path: the family's predict_fold_path
 * runs one fit per fold and cannot pause, so a trial is not carried to a
 * rung by suspending its folds' fits there. Instead each fold is fitted
 * afresh to each rung through the chain's memo (objective_chains.c): the
 * fit to rung r scores every step up to r, the memo keeps them, and the
 * rung's judgment reads the mean over the folds. The family promises that
 * the model after m steps of a fit to N is, bit for bit, the model fitted
 * to m, so a survivor's scores at its own value come from the same kind of
 * fit as without a pruner, and its value and path are exactly the unpruned
 * ones. A rung where no trial's own fit scores (below a range's low end,
 * between a list's steps) is judged at the next step one does, so pruned
 * and complete trials have values at the same steps.
 *
 * The cost: a survivor with asha's defaults (rungs at 1/27, 1/9, 1/3 of the
 * range) fits 1/27 + 1/9 + 1/3 + 1 of its path, about 1.5 times its own
 * fit, up to about 2.4 times when a fourth rung lies just below the top
 * (18, 54, 162, 486 of 500); a trial pruned at the first rung costs 1/27
 * of one. A fit that goes to the top of the path whatever the trial asks
 * (a list of steps, or any path under the grid sampler) scores every rung
 * at once: pruning then saves no fit. Threads are not held at a barrier,
 * so the trial's thread budget stays with the fit.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/objective_internal.h"

/* The rungs a trial is judged at: at most this many (asha's rungs grow by
 * the reduction factor, so 64 covers any path a double can count). */
#define OBJECTIVE_MAX_RUNGS 64

static uint64_t settled_now(prepared_cache *cache) {
    pthread_mutex_lock(&cache->lock);
    uint64_t settled = cache->settled;
    pthread_mutex_unlock(&cache->lock);
    return settled;
}

dial_status dial_objective_score_fold_in_order(dial_ctx *ctx, const dial_model_objective *objective,
                                               const dial_knobs *knobs, size_t f, const double *key,
                                               size_t key_length, double *score, double *path,
                                               double *paid) {
    prepared_cache *cache = objective->cache;
    for (;;) {
        /* Read before the attempt, so a memo settled meanwhile is seen. */
        uint64_t settled = settled_now(cache);
        bool busy = false;
        dial_status status = dial_objective_score_fold_prepared(
            ctx, objective, knobs, f, key, key_length, score, path, &busy, paid);
        if (status != DIAL_OK || !busy) return status;
        pthread_mutex_lock(&cache->lock);
        while (cache->settled == settled) pthread_cond_wait(&cache->built, &cache->lock);
        pthread_mutex_unlock(&cache->lock);
    }
}

/* Scores every fold to rung r (the chain knob set to r in at_rung); false
 * in *answered when a fold's chain could not score step r (its fit fell
 * back to a full one), which ends the judging. */
static dial_status score_rung(dial_ctx *fold_ctx, const dial_model_objective *objective,
                              dial_trial *trial, const dial_knobs *at_rung, int64_t r,
                              const double *key, size_t key_length, double *paths, size_t steps,
                              double *paid, bool *answered) {
    size_t n = objective->splits.count;
    *answered = true;
    for (size_t f = 0; f < n && *answered; f++) {
        double score = NAN;
        double *path = paths + f * steps;
        dial_status status = dial_objective_score_fold_in_order(
            fold_ctx, objective, at_rung, f, key, key_length, &score, path, paid);
        if (status != DIAL_OK)
            return dial_fail(dial_trial_ctx(trial), status, "fold %zu of %zu at %s = %lld: %s",
                             f + 1, n, objective->chain_param->name, (long long)r,
                             dial_ctx_error(fold_ctx));
        *answered = !isnan(path[r - 1]);
    }
    return DIAL_OK;
}

dial_status dial_objective_judge_rungs(dial_ctx *fold_ctx, const dial_model_objective *objective,
                                       dial_trial *trial, const dial_knobs *knobs,
                                       const double *key, size_t key_length, double *paths,
                                       size_t steps, double *paid, bool *pruned) {
    int64_t rungs[OBJECTIVE_MAX_RUNGS];
    size_t n_rungs = dial_trial_prune_rungs(trial, (int64_t)steps, rungs, OBJECTIVE_MAX_RUNGS);
    if (n_rungs > OBJECTIVE_MAX_RUNGS) n_rungs = OBJECTIVE_MAX_RUNGS;
    if (n_rungs == 0 || !key) return DIAL_OK;
    dial_ctx *ctx = dial_trial_ctx(trial);
    dial_knobs at_rung = {0};
    dial_status status = dial_knobs_copy(ctx, knobs, &at_rung);
    size_t n = objective->splits.count;
    int64_t judged = 0; /* the step of the last judgment */
    for (size_t i = 0; status == DIAL_OK && i < n_rungs && !*pruned; i++) {
        /* Judged where a trial's own fit scores, so that the pruner
         * compares every trial at the same step: a rung below a range
         * at its low end, one between a list's steps at the next step. */
        int64_t r =
            rungs[i] >= 1 ? (int64_t)dial_objective_path_step_from(objective, (size_t)rungs[i]) : 0;
        if (r <= judged) continue;     /* no step there, or judged there already */
        if ((size_t)r >= steps) break; /* the trial's own value ends it */
        judged = r;
        status = dial_knobs_set_number(ctx, &at_rung, objective->chain_param->name, (double)r);
        bool answered = false;
        if (status == DIAL_OK)
            status = score_rung(fold_ctx, objective, trial, &at_rung, r, key, key_length, paths,
                                steps, paid, &answered);
        if (status != DIAL_OK || !answered) break;
        status = dial_objective_report_path(trial, paths, n, steps, (size_t)r);
        if (status == DIAL_OK && dial_trial_should_prune(trial)) *pruned = true;
    }
    /* The trial's own value fills its path afresh: nothing a rung left
     * may stand for a fold that the chain does not answer then. */
    for (size_t i = 0; i < n * steps; i++) paths[i] = NAN;
    dial_knobs_free(&at_rung);
    return status;
}
