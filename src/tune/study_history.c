/*
 * A study's history for its model-based sampler (study_history.h). The
 * observations are dense by trial number (numbers are 0, 1, 2, ... in
 * every storage), so noting a trial is O(its params) and a snapshot is one
 * copy. The loss is the value turned so that lower is better, so that no
 * sampler needs to know the study's direction.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/study_history.h"

static dial_status history_nomem(dial_ctx *ctx) {
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory keeping the study's history");
}

/* Makes room for trial number and every number below it. */
static dial_status reserve(dial_ctx *ctx, dial_history *history, int64_t number) {
    size_t need = (size_t)number + 1;
    if (need > history->capacity) {
        size_t capacity = history->capacity ? history->capacity : 64;
        while (capacity < need) capacity *= 2;
        dial_sampler_observation *obs =
            dial_realloc_array(ctx, history->obs, capacity, sizeof *obs);
        if (!obs) return history_nomem(ctx);
        history->obs = obs;
        bool *known = dial_realloc_array(ctx, history->known, capacity, sizeof *known);
        if (!known) return history_nomem(ctx);
        history->known = known;
        size_t d = history->d ? history->d : 1;
        double *xs = dial_realloc_array(ctx, history->xs, capacity * d, sizeof *xs);
        if (!xs) return history_nomem(ctx);
        history->xs = xs;
        history->capacity = capacity;
    }
    for (size_t i = history->n; i < need; i++) {
        history->obs[i] = (dial_sampler_observation){.number = (int64_t)i,
                                                     .state = DIAL_TRIAL_RUNNING,
                                                     .loss = NAN,
                                                     .seconds = NAN,
                                                     .last_loss = NAN,
                                                     .last_step = -1};
        history->known[i] = false;
        for (size_t j = 0; j < history->d; j++) history->xs[i * history->d + j] = NAN;
    }
    if (need > history->n) history->n = need;
    return DIAL_OK;
}

/* The value of a record's param as the space has it: a choice's index
 * into the space parameter's choices (found by its text), NaN when the
 * text is not among them. */
static double space_value(const dial_param *param, const dial_trial_record *record, long at) {
    if (param->kind != DIAL_PARAM_CHOICE) return record->param_values[at];
    for (size_t c = 0; c < param->n_choices; c++)
        if (strcmp(param->choices[c], record->param_texts[at]) == 0) return (double)c;
    return NAN;
}

/* Moves first_open past the trials known and finished. */
static void advance(dial_history *history) {
    while ((size_t)history->first_open < history->n && history->known[history->first_open] &&
           history->obs[history->first_open].state != DIAL_TRIAL_RUNNING)
        history->first_open++;
}

dial_status dial_history_note(dial_ctx *ctx, dial_history *history, const dial_space *space,
                              dial_direction direction, const dial_trial_record *record) {
    if (record->number < 0) return DIAL_OK;
    dial_status status = reserve(ctx, history, record->number);
    if (status != DIAL_OK) return status;
    dial_sampler_observation *obs = &history->obs[record->number];
    double *x = history->xs + (size_t)record->number * history->d;
    obs->state = record->state;
    obs->loss = NAN;
    obs->seconds = NAN;
    obs->last_loss = NAN;
    obs->last_step = -1;
    double sign = direction == DIAL_MAXIMIZE ? -1.0 : 1.0;
    if (record->state == DIAL_TRIAL_COMPLETE) obs->loss = sign * record->value;
    if (record->state != DIAL_TRIAL_RUNNING && record->finished_at > 0 && record->started_at > 0)
        obs->seconds = fmax(record->finished_at - record->started_at, 0);
    if (history->by_path && record->n_path > 0) {
        size_t last = record->n_path - 1;
        obs->last_step = record->path_steps[last];
        obs->last_loss = sign * record->path_values[last];
    } else if (record->n_intermediate > 0) {
        size_t last = record->n_intermediate - 1;
        obs->last_step = record->intermediate_steps[last];
        obs->last_loss = sign * record->intermediate_values[last];
    }
    /* A running trial's stored params may be fewer than the point it runs
     * with: keep what was noted, overwrite what the record has. A finished
     * trial's params are all it used. */
    if (record->state != DIAL_TRIAL_RUNNING)
        for (size_t j = 0; j < history->d; j++) x[j] = NAN;
    for (size_t p = 0; p < record->n_params; p++) {
        long j = dial_space_find(space, record->param_names[p]);
        if (j >= 0 && (size_t)j < history->d)
            x[j] = space_value(&space->params[j], record, (long)p);
    }
    history->known[record->number] = true;
    advance(history);
    return DIAL_OK;
}

dial_status dial_history_note_point(dial_ctx *ctx, dial_history *history, int64_t number,
                                    const double *point) {
    dial_status status = reserve(ctx, history, number);
    if (status != DIAL_OK) return status;
    history->known[number] = true;
    history->obs[number].state = DIAL_TRIAL_RUNNING;
    memcpy(history->xs + (size_t)number * history->d, point, history->d * sizeof *point);
    return DIAL_OK;
}

dial_status dial_history_snapshot(dial_ctx *ctx, const dial_history *history, int64_t number,
                                  int window, dial_sampler_history *out, double **xs) {
    *out = (dial_sampler_history){0};
    *xs = NULL;
    size_t n = number < 0 ? 0 : (size_t)number;
    if (n > history->n) n = history->n;
    if (n == 0) return DIAL_OK;
    size_t d = history->d;
    dial_sampler_observation *obs = dial_malloc_array(ctx, n, sizeof *obs);
    double *values = dial_malloc_array(ctx, n * (d ? d : 1), sizeof *values);
    if (!obs || !values) {
        free(obs);
        free(values);
        return history_nomem(ctx);
    }
    memcpy(obs, history->obs, n * sizeof *obs);
    memcpy(values, history->xs, n * d * sizeof *values);
    /* Trials that ran beside this one: whether they finished first depends
     * on the threads, so they count as running, which keeps the proposal
     * the same whichever thread won. */
    int64_t beside = number - (window > 1 ? window : 1);
    for (size_t i = 0; i < n; i++) {
        obs[i].x = values + i * d;
        if ((int64_t)i > beside || !history->known[i]) {
            obs[i].state = DIAL_TRIAL_RUNNING;
            obs[i].loss = NAN;
            obs[i].seconds = NAN;
        }
    }
    out->n = n;
    out->trials = obs;
    *xs = values;
    return DIAL_OK;
}

void dial_history_free(dial_history *history) {
    free(history->obs);
    free(history->xs);
    free(history->known);
    *history = (dial_history){0};
}
