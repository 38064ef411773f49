/*
 * Studies and trials (internal): what study.c, trial.c and optimize.c
 * share. A study handle owns one storage connection and one sampler; its
 * mutex serialises every storage call, so trials of one handle may run on
 * several threads. The sampler is only read after it is made.
 */
#ifndef DIAL_TUNE_STUDY_INTERNAL_H
#define DIAL_TUNE_STUDY_INTERNAL_H

#include <pthread.h>

#include "dial/tune.h"
#include "tune/pruner.h"
#include "tune/sampler.h"
#include "tune/storage.h"
#include "tune/study_history.h"

struct dial_study {
    char *name;
    char *storage_path;  /* NULL in memory */
    char *storage_shown; /* storage_path with any password hidden, for messages */
    dial_direction direction;
    dial_sampler_kind sampler_kind;
    dial_space space; /* owned copy; n = 0 without one */
    size_t grid_points;
    uint64_t seed;
    double heartbeat_seconds;
    dial_sampler *sampler;
    dial_pruner *pruner; /* "none" unless the options name one */
    int64_t grid_size;   /* > 0 for a grid: the study ends there */
    dial_storage storage;
    int64_t study_id;
    pthread_mutex_t lock;
    /* A sampler that learns (study_propose.c): the history it learns from;
     * the numbers of the trials this handle runs; how many trials run at
     * once (dial_study_optimize's jobs, else 1), and whether a trial
     * waits, before its proposal, for the handle's trials numbered at
     * least `window` below it (only dial_study_optimize's workers do:
     * they will finish them; an asked trial may never be told). */
    bool learns;
    dial_history history;
    struct dial_own_trial {
        int64_t number;
        bool placed; /* its point is in the history */
    } * own_running;
    size_t n_own_running, own_capacity;
    int window;
    bool wait_for_window;
    pthread_cond_t trial_done;
    /* A warm start's prior (study_warm_start.c): another study's complete
     * trials as observations numbered -n_prior .. -1, their values in
     * prior_xs; put before the history in every proposal, never stored. */
    dial_sampler_observation *prior;
    double *prior_xs;
    size_t n_prior;
};

struct dial_trial {
    dial_study *study;
    int64_t trial_id;
    int64_t sample; /* the number the sampler is asked for; -1 for queued params */
    dial_ctx *ctx;  /* owned: the objective's context */
    dial_trial_record record;
    bool abandoned; /* dial_trial_abandon: expire it rather than finish it */
    /* A learning sampler's point for this trial, one value per parameter
     * of the study's space (NaN: inactive); NULL otherwise. */
    double *proposal;
    bool own; /* counted in study->own_running until freed */
    /* A proxy (trial_proxy.c): study is NULL and what needs it goes to
     * the ops; NULL for a study's own trial. */
    const dial_trial_proxy_ops *proxy;
    void *proxy_user;
};

/* The stream that seeds trial contexts; the samplers use others. */
#define DIAL_TRIAL_SEED_STREAM (UINT64_C(1) << 62)

/* The seed of trial number's context: from (study seed, number) only. */
uint64_t dial_trial_seed(uint64_t study_seed, int64_t number);

/* max_trials capped by the grid's size (0 = no limit). */
int64_t dial_study_trial_limit(const dial_study *study, int64_t max_trials);

/* Allocates a trial whose context has `threads` threads; *out is NULL when
 * the study already has max_trials trials. Errors go to ctx. A learning
 * sampler's point is not proposed yet: dial_study_propose does, outside
 * any lock of the caller's (it may wait for the caller's other trials). */
dial_status dial_study_start_trial(dial_ctx *ctx, dial_study *study, int64_t max_trials,
                                   int threads, dial_trial **out);
/* Stores the outcome of a trial and updates trial->record to match (a
 * trial declared stale by another worker meanwhile stays failed and
 * stale). The trial stays owned by the caller. */
dial_status dial_study_finish_trial(dial_ctx *ctx, dial_study *study, dial_trial *trial,
                                    dial_trial_state state, double value, const char *message);
/* Refreshes the heartbeats of running trials of this handle. */
dial_status dial_study_heartbeat(dial_ctx *ctx, dial_study *study, const int64_t *trial_ids,
                                 size_t n);
/* Leaves a running trial of this handle to expire at once: its heartbeat
 * is set to the epoch, so the next trial started (by any handle) marks it
 * stale and queues its params. */
dial_status dial_study_expire_trial(dial_ctx *ctx, dial_study *study, const dial_trial *trial);
/* Draws, stores and returns the value of one parameter of a space (CHOICE:
 * the index into param->choices), by the path of dial_trial_suggest_float
 * and friends: a value the trial already has, else the study's space's
 * distribution, else param's. function names the caller in messages,
 * which go to the trial's context. */
dial_status dial_trial_suggest_param(dial_trial *trial, const char *function,
                                     const dial_param *param, double *value);
/* ---- study_propose.c: proposals of a sampler that learns ---- */

/* With the study's lock held, right after the storage allocated trial
 * number to this handle: counts it among the handle's running trials, so
 * that a later trial waits for it (see wait_for_window). */
dial_status dial_study_own_started(dial_ctx *ctx, dial_study *study, int64_t number);
/* A trial of this handle ends (freed): it no longer runs here; wakes
 * trials waiting for it. Takes the lock. */
void dial_study_own_ended(dial_study *study, int64_t number);
/* With the lock held: a finished trial of this handle or one told by
 * number; the sampler, the history and the pruner learn from it. */
void dial_study_learn(dial_ctx *ctx, dial_study *study, const dial_trial_record *record);
/* With the lock held: brings the history and the pruner up to date with
 * what other processes stored, the trials numbered from the lowest one
 * that could still change (an in-memory study has no other writer; a
 * study that neither learns nor prunes keeps nothing). Errors: the
 * storage's, NOMEM. */
dial_status dial_study_read_others(dial_ctx *ctx, dial_study *study);
/* With the lock held: the highest number of the trials that trial number
 * is judged against. In dial_study_optimize with J jobs, number - J: they
 * have finished when it starts (it waited for them), so the verdicts do
 * not depend on which thread finished first. Otherwise (ask and tell,
 * separate workers) every trial stored. */
int64_t dial_study_judge_horizon(const dial_study *study, int64_t number);
/* The learning sampler's point for a trial just started by the sampler
 * (not from the queue): waits for the window, reads what other processes
 * stored since last time, and proposes; sets trial->proposal. Nothing to
 * do for a sampler that does not learn. Errors: the storage's, NOMEM. */
dial_status dial_study_propose(dial_ctx *ctx, dial_study *study, dial_trial *trial);

/* Frees a trial (not its stored record); NULL is harmless. */
void dial_trial_free(dial_trial *trial);

/* dial_study_open with order hints for its sampler (sampler.h): roles has
 * one entry per parameter of options->space (NULL: none). The built-in
 * objective's tuner (tune_model.c) passes the order that shares the most
 * prepared work. */
dial_status dial_study_open_ordered(dial_ctx *ctx, const dial_study_options *options,
                                    const dial_order_role *roles, dial_study **out);

#endif
