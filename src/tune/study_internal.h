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

struct dial_study {
    char *name;
    char *storage_path; /* NULL in memory */
    dial_direction direction;
    dial_sampler_kind sampler_kind;
    dial_space space; /* owned copy; n = 0 without one */
    size_t grid_points;
    uint64_t seed;
    double heartbeat_seconds;
    dial_sampler *sampler;
    dial_pruner *pruner; /* "none" until the options name one */
    int64_t grid_size;   /* > 0 for a grid: the study ends there */
    dial_storage storage;
    int64_t study_id;
    pthread_mutex_t lock;
};

struct dial_trial {
    dial_study *study;
    int64_t trial_id;
    int64_t sample; /* the number the sampler is asked for; -1 for queued params */
    dial_ctx *ctx;  /* owned: the objective's context */
    dial_trial_record record;
    bool abandoned; /* dial_trial_abandon: expire it rather than finish it */
};

/* The stream that seeds trial contexts; the samplers use others. */
#define DIAL_TRIAL_SEED_STREAM (UINT64_C(1) << 62)

/* The seed of trial number's context: from (study seed, number) only. */
uint64_t dial_trial_seed(uint64_t study_seed, int64_t number);

/* max_trials capped by the grid's size (0 = no limit). */
int64_t dial_study_trial_limit(const dial_study *study, int64_t max_trials);

/* Allocates a trial whose context has `threads` threads; *out is NULL when
 * the study already has max_trials trials. Errors go to ctx. */
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
/* Frees a trial (not its stored record); NULL is harmless. */
void dial_trial_free(dial_trial *trial);

/* dial_study_open with order hints for its sampler (sampler.h): roles has
 * one entry per parameter of options->space (NULL: none). The built-in
 * objective's tuner (tune_model.c) passes the order that shares the most
 * prepared work. */
dial_status dial_study_open_ordered(dial_ctx *ctx, const dial_study_options *options,
                                    const dial_order_role *roles, dial_study **out);

#endif
