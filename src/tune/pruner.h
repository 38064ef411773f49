/*
 * Pruners (internal to src/tune): whether a running trial should stop
 * after an intermediate value, judged from what the study has seen. Like
 * samplers and storages, a pruner kind is a table of functions
 * (dial_pruner_ops) with a contract per slot; a new kind (median, asha,
 * hyperband) is a file with its table and one line in pruner.c's list,
 * touching neither the objective nor the CLI. Only `none` exists today.
 * Adding one: docs/adding-a-sampler.md.
 */
#ifndef DIAL_TUNE_PRUNER_H
#define DIAL_TUNE_PRUNER_H

#include "dial/tune.h"

/* What a pruner is made for: the study's direction and seed. */
typedef struct dial_pruner_setup {
    dial_direction direction;
    uint64_t seed;
} dial_pruner_setup;

typedef struct dial_pruner_ops {
    const char *name; /* as an option would spell it */
    /* Optional (NULL: no state): makes the kind's state for one study into
     * *state. Errors: DIAL_ERR_ARGUMENT (a setting out of range, with its
     * range), DIAL_ERR_NOMEM. */
    dial_status (*create)(dial_ctx *ctx, const dial_pruner_setup *setup, void **state);
    /* Whether trial (its record so far: params, intermediate values) should
     * stop now that it reported value at step. Only reads the state: it
     * may run on several threads at once. Must depend on the trials it was
     * told and on trial alone, never on timing, so a run with one worker
     * and a run with many prune alike when told alike. */
    bool (*should_prune)(const void *state, const dial_trial_record *trial, int64_t step,
                         double value);
    /* Optional (NULL: ignores the history): learns from a trial this
     * process finished (complete, pruned or failed). Called with the
     * study's lock held, never at the same time as another tell. */
    void (*tell)(void *state, const dial_trial_record *record);
    /* Optional (NULL: nothing to free): frees the state; NULL is harmless. */
    void (*free)(void *state);
} dial_pruner_ops;

extern const dial_pruner_ops dial_pruner_none_ops;

typedef struct dial_pruner {
    const dial_pruner_ops *ops;
    void *state; /* the kind's, owned */
} dial_pruner;

/* Makes the pruner named name (NULL: "none") for a study; free with
 * dial_pruner_free. Errors: DIAL_ERR_ARGUMENT for an unknown name (listing
 * the names), and those of the kind's create. */
dial_status dial_pruner_create(dial_ctx *ctx, const char *name, const dial_pruner_setup *setup,
                               dial_pruner **out);
void dial_pruner_free(dial_pruner *pruner);

/* The kind's should_prune; false for a trial that has reported nothing or
 * a NULL pruner. */
bool dial_pruner_should_prune(const dial_pruner *pruner, const dial_trial_record *trial);

/* The kind's tell, if it has one; call with the study's lock held. */
void dial_pruner_tell(dial_pruner *pruner, const dial_trial_record *record);

#endif
