/*
 * The built-in objective under a pruner (see objective.c): folds strictly
 * in order, and a path trial judged at its rungs.
 *
 * How the folds move in step along a path: each fold is fitted once, to
 * the trial's own value, on a thread of its own, and its fit pauses after
 * scoring each rung (objective_chains.c's path_pause). One fold runs at a
 * time: the trial hands the turn to fold 1, which fits up to the rung and
 * hands it back, then to fold 2, and so on; when every fold has reached
 * the rung, the mean over the folds is reported and the pruner asked. A
 * pruned trial's fits end there; a trial that goes on resumes them, and
 * after the last rung each runs to the trial's value. A survivor so costs
 * what its fit costs without a pruner, and a trial pruned at rung r the
 * fits to r; a fold's model after m steps is, bit for bit, the one fitted
 * to m (the family's promise), so every score is the unpruned one. The
 * fits of the folds live at once (memory: folds x one fit's), but only one
 * computes, with the trial's thread budget.
 *
 * A rung where no trial's own fit scores (below a range's low end, between
 * a list's steps) is judged at the next step one does, so pruned and
 * complete trials have values at the same steps. A fold whose memo
 * already holds its path is not fitted at all; a fold that cannot be
 * paused (no prepared entry, a path the family refuses) ends the judging,
 * and the trial runs to its end.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/objective_internal.h"

/* The rungs a trial is judged at: at most this many (asha's rungs grow by
 * the reduction factor, so 64 covers any path a double can count). */
#define OBJECTIVE_MAX_RUNGS 64
/* No fold may run. */
#define NO_TURN SIZE_MAX

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

struct rung_walk;

/* One fold of the trial, fitted on a thread of its own. */
typedef struct fold_runner {
    struct rung_walk *walk;
    size_t f;
    dial_ctx *ctx; /* the fold's own: its seed and its error */
    path_pause pause;
    pthread_t thread;
    bool started;
    /* set by the fold's thread, read by the trial's after the turn
     * comes back (under the walk's lock) */
    bool finished;
    bool stopped; /* ended by the pruner: its status is no error */
    dial_status status;
    double score, paid;
} fold_runner;

/* A trial's folds along their path: whose turn it is, and what the
 * pruner said. */
typedef struct rung_walk {
    const dial_model_objective *objective;
    const dial_knobs *knobs;
    const double *key;
    size_t key_length;
    double *paths;
    size_t steps;
    fold_runner *runners;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t turn;  /* the fold that may compute, NO_TURN: none */
    bool stop;    /* pruned or failed: every fit ends at its next pause */
    bool through; /* judging is over: the fits run to their end */
} rung_walk;

/* A paused fold waits for its turn (or the end). */
static bool wait_for_turn(rung_walk *walk, size_t f) {
    while (walk->turn != f && !walk->stop) pthread_cond_wait(&walk->changed, &walk->lock);
    return !walk->stop;
}

static dial_status runner_at_rung(void *user, size_t i, double score) {
    (void)i;
    (void)score; /* pause->path has it */
    fold_runner *runner = user;
    rung_walk *walk = runner->walk;
    pthread_mutex_lock(&walk->lock);
    bool go_on = true;
    if (!walk->through) {
        walk->turn = NO_TURN;
        pthread_cond_broadcast(&walk->changed);
        go_on = wait_for_turn(walk, runner->f);
    }
    pthread_mutex_unlock(&walk->lock);
    if (go_on) return DIAL_OK;
    runner->stopped = true;
    return DIAL_ERR_INTERNAL; /* any status but DIAL_OK ends the fit; stopped says why */
}

static void *runner_main(void *arg) {
    fold_runner *runner = arg;
    rung_walk *walk = runner->walk;
    pthread_mutex_lock(&walk->lock);
    bool go = wait_for_turn(walk, runner->f);
    pthread_mutex_unlock(&walk->lock);
    dial_status status = DIAL_OK;
    if (go)
        status = dial_objective_score_fold_paused(
            runner->ctx, walk->objective, walk->knobs, runner->f, walk->key, walk->key_length,
            &runner->pause, &runner->score, runner->pause.path, &runner->paid);
    else
        runner->stopped = true;
    pthread_mutex_lock(&walk->lock);
    runner->status = status;
    runner->finished = true;
    if (walk->turn == runner->f) walk->turn = NO_TURN;
    pthread_cond_broadcast(&walk->changed);
    pthread_mutex_unlock(&walk->lock);
    return NULL;
}

/* Gives fold f the turn and waits until it pauses or ends. */
static void run_fold(rung_walk *walk, size_t f) {
    pthread_mutex_lock(&walk->lock);
    if (!walk->runners[f].finished) {
        walk->turn = f;
        pthread_cond_broadcast(&walk->changed);
        while (walk->turn == f) pthread_cond_wait(&walk->changed, &walk->lock);
    }
    pthread_mutex_unlock(&walk->lock);
}

/* The first fold that failed (not stopped by the pruner), or NULL. */
static const fold_runner *failed_runner(const rung_walk *walk, size_t n) {
    for (size_t f = 0; f < n; f++) {
        const fold_runner *runner = &walk->runners[f];
        if (runner->finished && !runner->stopped && runner->status != DIAL_OK) return runner;
    }
    return NULL;
}

/* The steps the trial is judged at: each rung moved to the first step a
 * fit scores at or above it, below the trial's own value, ascending and
 * distinct. */
static size_t judged_steps(dial_trial *trial, const dial_model_objective *objective, size_t steps,
                           size_t *judged) {
    int64_t rungs[OBJECTIVE_MAX_RUNGS];
    size_t n_rungs = dial_trial_prune_rungs(trial, (int64_t)steps, rungs, OBJECTIVE_MAX_RUNGS);
    if (n_rungs > OBJECTIVE_MAX_RUNGS) n_rungs = OBJECTIVE_MAX_RUNGS;
    size_t n = 0;
    for (size_t i = 0; i < n_rungs; i++) {
        size_t r = rungs[i] >= 1 ? dial_objective_path_step_from(objective, (size_t)rungs[i]) : 0;
        if (r == 0 || (n && r <= judged[n - 1])) continue; /* no step there, or judged there */
        if (r >= steps) break;                             /* the trial's own value ends it */
        judged[n++] = r;
    }
    return n;
}

dial_status dial_objective_judge_rungs(dial_ctx *fold_ctx, const dial_model_objective *objective,
                                       dial_trial *trial, const dial_knobs *knobs,
                                       const double *key, size_t key_length, double *paths,
                                       size_t steps, double *scores, double *paid, bool *pruned,
                                       bool *scored) {
    size_t judged[OBJECTIVE_MAX_RUNGS];
    size_t n_judged = key ? judged_steps(trial, objective, steps, judged) : 0;
    if (n_judged == 0) return DIAL_OK;
    dial_ctx *ctx = dial_trial_ctx(trial);
    size_t n = objective->splits.count;
    rung_walk walk = {.objective = objective,
                      .knobs = knobs,
                      .key = key,
                      .key_length = key_length,
                      .paths = paths,
                      .steps = steps,
                      .turn = NO_TURN};
    walk.runners = dial_calloc(ctx, n, sizeof *walk.runners);
    if (!walk.runners) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory judging a trial");
    pthread_mutex_init(&walk.lock, NULL);
    pthread_cond_init(&walk.changed, NULL);
    bool started = true;
    for (size_t f = 0; f < n && started; f++) {
        fold_runner *runner = &walk.runners[f];
        runner->walk = &walk;
        runner->f = f;
        runner->pause =
            (path_pause){judged, n_judged, paths + f * steps, steps, runner_at_rung, runner};
        runner->ctx = dial_ctx_clone(fold_ctx, dial_ctx_threads(fold_ctx));
        started = runner->ctx && pthread_create(&runner->thread, NULL, runner_main, runner) == 0;
        runner->started = started;
    }
    /* Without its threads the trial fails rather than go unjudged, which
     * would make its outcome depend on the machine's load. */
    dial_status status =
        started ? DIAL_OK
                : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory or threads judging a trial");
    for (size_t i = 0; status == DIAL_OK && i < n_judged && !*pruned; i++) {
        for (size_t f = 0; f < n; f++) run_fold(&walk, f);
        if (failed_runner(&walk, n)) break;
        bool answered = true;
        for (size_t f = 0; f < n; f++)
            answered = answered && !isnan(paths[f * steps + judged[i] - 1]);
        if (!answered) break;
        status = dial_objective_report_path(trial, paths, n, steps, judged[i]);
        if (status != DIAL_OK) break;
        *pruned = dial_trial_should_prune(trial);
    }
    pthread_mutex_lock(&walk.lock);
    bool finish = status == DIAL_OK && !*pruned && !failed_runner(&walk, n);
    walk.stop = !finish;
    walk.through = finish;
    pthread_cond_broadcast(&walk.changed);
    pthread_mutex_unlock(&walk.lock);
    for (size_t f = 0; finish && f < n; f++) run_fold(&walk, f);
    for (size_t f = 0; f < n; f++)
        if (walk.runners[f].started) pthread_join(walk.runners[f].thread, NULL);
    const fold_runner *failed = failed_runner(&walk, n);
    if (status == DIAL_OK && failed)
        status = dial_fail(ctx, failed->status, "fold %zu of %zu: %s", failed->f + 1, n,
                           dial_ctx_error(failed->ctx));
    *scored = finish && status == DIAL_OK;
    for (size_t f = 0; f < n; f++) {
        *paid += walk.runners[f].paid;
        if (*scored) scores[f] = walk.runners[f].score;
        dial_ctx_free(walk.runners[f].ctx);
    }
    /* A trial not scored here fills its path afresh: nothing a rung left
     * may stand for a fold that the chain does not answer then. */
    for (size_t i = 0; !*scored && i < n * steps; i++) paths[i] = NAN;
    pthread_cond_destroy(&walk.changed);
    pthread_mutex_destroy(&walk.lock);
    free(walk.runners);
    return status;
}
