/*
 * A warm start (dial_study_warm_start, dial/tune.h): a new study begins
 * from an old study's trials, so that re-tuning after the data drifted
 * costs a fraction of the first search.
 *
 *   1. The spaces must agree: the knobs the old study's complete trials
 *      set and their types are the new space's, or the call fails naming
 *      the first knob that differs. Ranges may differ: an old trial with a
 *      value outside the new space (out of range, not a choice) is left
 *      out and counted.
 *   2. Its best n_best complete trials are enqueued (dial_study_enqueue),
 *      best first: the new study re-measures them first on the new data.
 *   3. Every complete old trial inside the space becomes the sampler's
 *      prior: observations numbered -n .. -1 (oldest first) placed before
 *      the study's own trials in every proposal (study_propose.c), which
 *      a model-based sampler (tpe, gp, auto) learns from as from its own;
 *      they also count toward its startup trials. They are never stored:
 *      the study's trials, its best and its counts are its own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/study_internal.h"

static const char *kind_name(dial_param_kind kind) {
    return kind == DIAL_PARAM_FLOAT ? "a float" : kind == DIAL_PARAM_INT ? "an int" : "a choice";
}

/* Step 1: every knob of the old trials is in the space with its type, and
 * every knob of the space is in some old trial. */
static dial_status check_spaces(dial_ctx *ctx, const dial_study *study, const dial_study *old,
                                const dial_trial_list *trials) {
    const dial_space *space = &study->space;
    bool *seen = dial_calloc(ctx, space->n ? space->n : 1, sizeof *seen);
    if (!seen) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a warm start");
    dial_status status = DIAL_OK;
    for (size_t t = 0; status == DIAL_OK && t < trials->count; t++) {
        const dial_trial_record *trial = &trials->items[t];
        if (trial->state != DIAL_TRIAL_COMPLETE) continue;
        for (size_t p = 0; status == DIAL_OK && p < trial->n_params; p++) {
            long j = dial_space_find(space, trial->param_names[p]);
            if (j < 0)
                status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                   "cannot warm-start from study '%s': it searched knob '%s', "
                                   "which this search does not; a warm start needs the same knobs "
                                   "(add --space %s=..., or start cold)",
                                   old->name, trial->param_names[p], trial->param_names[p]);
            else if (trial->param_kinds[p] != space->params[j].kind)
                status =
                    dial_fail(ctx, DIAL_ERR_ARGUMENT,
                              "cannot warm-start from study '%s': knob '%s' is %s there "
                              "but %s here; a warm start needs the same knob types",
                              old->name, trial->param_names[p], kind_name(trial->param_kinds[p]),
                              kind_name(space->params[j].kind));
            else
                seen[j] = true;
        }
    }
    for (size_t j = 0; status == DIAL_OK && j < space->n; j++)
        if (!seen[j])
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "cannot warm-start from study '%s': this search has knob '%s', "
                               "which no complete trial of it set; a warm start needs the same "
                               "knobs (fix it with -s %s=VALUE, or start cold)",
                               old->name, space->params[j].name, space->params[j].name);
    free(seen);
    return status;
}

/* The value of a trial's param p in the space (a choice's index), or NaN
 * when it lies outside the space: out of range, or not one of the choices. */
static double value_in_space(const dial_param *param, const dial_trial_record *trial, size_t p) {
    if (param->kind == DIAL_PARAM_CHOICE) {
        for (size_t c = 0; c < param->n_choices; c++)
            if (strcmp(param->choices[c], trial->param_texts[p]) == 0) return (double)c;
        return NAN;
    }
    double value = trial->param_values[p];
    return value >= param->low && value <= param->high ? value : NAN;
}

/* The trial's point in the space (NaN where it lacks a knob: inactive);
 * false when a value lies outside the space. */
static bool trial_point(const dial_space *space, const dial_trial_record *trial, double *x) {
    for (size_t j = 0; j < space->n; j++) x[j] = NAN;
    for (size_t p = 0; p < trial->n_params; p++) {
        long j = dial_space_find(space, trial->param_names[p]);
        if (j < 0) return false;
        x[j] = value_in_space(&space->params[j], trial, p);
        if (isnan(x[j])) return false;
    }
    return true;
}

/* Step 3: the complete trials inside the space, oldest first, as the
 * study's prior; *inside[i] says which of trials->items made it. */
static dial_status build_prior(dial_ctx *ctx, dial_study *study, const dial_trial_list *trials,
                               bool *inside, dial_warm_start_report *report) {
    size_t d = study->space.n;
    dial_sampler_observation *obs = dial_calloc(ctx, trials->count + 1, sizeof *obs);
    double *xs = dial_calloc(ctx, (trials->count + 1) * (d ? d : 1), sizeof *xs);
    if (!obs || !xs) {
        free(obs);
        free(xs);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a warm start");
    }
    double sign = study->direction == DIAL_MAXIMIZE ? -1.0 : 1.0;
    size_t n = 0;
    for (size_t t = 0; t < trials->count; t++) {
        const dial_trial_record *trial = &trials->items[t];
        inside[t] = false;
        if (trial->state != DIAL_TRIAL_COMPLETE) continue;
        report->n_old_complete++;
        double *x = xs + n * d;
        if (!trial_point(&study->space, trial, x)) {
            report->n_outside++;
            continue;
        }
        inside[t] = true;
        bool timed = trial->finished_at > 0 && trial->started_at > 0;
        obs[n] = (dial_sampler_observation){
            .state = DIAL_TRIAL_COMPLETE,
            .loss = sign * trial->value,
            .seconds = timed ? fmax(trial->finished_at - trial->started_at, 0) : NAN,
            .last_loss = NAN,
            .last_step = -1,
        };
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        obs[i].number = (int64_t)i - (int64_t)n;
        obs[i].x = xs + i * d;
    }
    free(study->prior);
    free(study->prior_xs);
    study->prior = obs;
    study->prior_xs = xs;
    study->n_prior = n;
    report->n_prior = n;
    return DIAL_OK;
}

/* Whether complete trial a is better than b in the direction (ties: the
 * lower number, so the order is the same on every run). */
static bool better(const dial_trial_record *a, const dial_trial_record *b,
                   dial_direction direction) {
    if (a->value != b->value)
        return direction == DIAL_MAXIMIZE ? a->value > b->value : a->value < b->value;
    return a->number < b->number;
}

/* "C=1.5,kernel=rbf": a trial's params as dial_study_enqueue reads them,
 * or NULL when a choice's text would not read back (a ',' or '='). */
static char *assignments_text(dial_ctx *ctx, const dial_trial_record *trial) {
    size_t length = 1;
    for (size_t p = 0; p < trial->n_params; p++) {
        if (strpbrk(trial->param_texts[p], ",=")) return NULL;
        length += strlen(trial->param_names[p]) + strlen(trial->param_texts[p]) + 2;
    }
    char *text = dial_malloc(ctx, length);
    if (!text) return NULL;
    size_t used = 0;
    for (size_t p = 0; p < trial->n_params; p++)
        used += (size_t)snprintf(text + used, length - used, "%s%s=%s", p ? "," : "",
                                 trial->param_names[p], trial->param_texts[p]);
    text[used] = '\0';
    return text;
}

/* Step 2: the best n_best trials inside the space, best first. */
static dial_status enqueue_best(dial_ctx *ctx, dial_study *study, const dial_trial_list *trials,
                                bool *inside, size_t n_best, dial_warm_start_report *report) {
    for (size_t k = 0; k < n_best; k++) {
        const dial_trial_record *best = NULL;
        size_t at = 0;
        for (size_t t = 0; t < trials->count; t++)
            if (inside[t] && (!best || better(&trials->items[t], best, study->direction))) {
                best = &trials->items[t];
                at = t;
            }
        if (!best) break;
        inside[at] = false;
        char *text = assignments_text(ctx, best);
        if (!text) continue;
        bool added = false;
        dial_status status = dial_study_enqueue(ctx, study, text, &added);
        free(text);
        /* A value off the new space's step is the one refusal left: that
         * trial is still in the prior, just not re-measured first. */
        if (status == DIAL_ERR_ARGUMENT) continue;
        if (status != DIAL_OK) return status;
        report->n_enqueued += added;
    }
    return DIAL_OK;
}

dial_status dial_study_warm_start(dial_ctx *ctx, dial_study *study, dial_study *old, size_t n_best,
                                  dial_warm_start_report *report) {
    dial_warm_start_report local;
    if (!report) report = &local;
    *report = (dial_warm_start_report){0};
    if (!study || !old)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_warm_start needs two studies");
    if (study->space.n == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "cannot warm-start study '%s': it has no space to place the old trials "
                         "in",
                         study->name);
    if (old->direction != study->direction)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "cannot warm-start from study '%s': it %s its value and this study %s "
                         "it; a warm start needs the same metric",
                         old->name, old->direction == DIAL_MAXIMIZE ? "maximizes" : "minimizes",
                         study->direction == DIAL_MAXIMIZE ? "maximizes" : "minimizes");
    dial_trial_list trials = {0};
    dial_status status = dial_study_trials(ctx, old, &trials);
    size_t n_complete = 0;
    for (size_t t = 0; status == DIAL_OK && t < trials.count; t++)
        n_complete += trials.items[t].state == DIAL_TRIAL_COMPLETE;
    if (status == DIAL_OK && n_complete == 0)
        status =
            dial_fail(ctx, DIAL_ERR_ARGUMENT,
                      "cannot warm-start from study '%s': it has no complete trial", old->name);
    if (status == DIAL_OK) status = check_spaces(ctx, study, old, &trials);
    bool *inside = NULL;
    if (status == DIAL_OK) {
        inside = dial_calloc(ctx, trials.count + 1, sizeof *inside);
        if (!inside) status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a warm start");
    }
    if (status == DIAL_OK) {
        pthread_mutex_lock(&study->lock);
        status = build_prior(ctx, study, &trials, inside, report);
        pthread_mutex_unlock(&study->lock);
    }
    if (status == DIAL_OK) status = enqueue_best(ctx, study, &trials, inside, n_best, report);
    free(inside);
    dial_trial_list_free(&trials);
    return status;
}
