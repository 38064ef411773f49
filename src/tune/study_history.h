/*
 * A study's history as its model-based sampler sees it (study_history.c):
 * one observation per trial number, kept by the study handle and filled
 * from the trials it starts and finishes and from what other processes
 * stored (read again from the lowest number that could still change).
 * Only a study whose sampler learns keeps one.
 */
#ifndef DIAL_TUNE_STUDY_HISTORY_H
#define DIAL_TUNE_STUDY_HISTORY_H

#include "tune/sampler.h"

typedef struct dial_history {
    size_t d;                      /* values per observation: the space's parameters */
    size_t n, capacity;            /* observations, indexed by trial number */
    dial_sampler_observation *obs; /* x left NULL here: values in xs */
    double *xs;                    /* n x d */
    bool *known;                   /* whether number i was ever noted */
    int64_t first_open;            /* below it every trial is known and finished */
    /* The study prunes on its path (DIAL_RESOURCE_PATH): a trial's last
     * step and loss are its path's last, where a pruned one stopped. */
    bool by_path;
} dial_history;

/* Notes a trial as stored (running or finished): its state, its loss in
 * the study's direction, its cost, its values in the space's order
 * (choices by their text). A record whose params are not all known yet
 * (running) keeps values noted before. Errors: DIAL_ERR_NOMEM. */
dial_status dial_history_note(dial_ctx *ctx, dial_history *history, const dial_space *space,
                              dial_direction direction, const dial_trial_record *record);
/* Notes the point proposed for a trial just started (it runs with it). */
dial_status dial_history_note_point(dial_ctx *ctx, dial_history *history, int64_t number,
                                    const double *point);
/* A copy of the observations numbered below `number`, those numbered above
 * number - window (they ran beside it) marked RUNNING whatever their state,
 * for dial_sampler_propose; *xs holds their values. The caller frees both. */
dial_status dial_history_snapshot(dial_ctx *ctx, const dial_history *history, int64_t number,
                                  int window, dial_sampler_history *out, double **xs);
void dial_history_free(dial_history *history);

#endif
