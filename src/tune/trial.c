/* Trials, define-by-run: the objective asks for each parameter as it needs
 * it. Where a value comes from, first match wins:
 *   1. the trial already has the name (asked before, or params queued from
 *      a stale trial): the same value again;
 *   2. the study's space has the name: its distribution, so grid and qmc
 *      give that parameter its dimension;
 *   3. the distribution of the call's arguments.
 * The value is drawn by the sampler for the trial's sample index, and
 * stored before it is returned, so a worker that dies mid-trial leaves its
 * params behind to run again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/record.h"
#include "tune/study_internal.h"

int64_t dial_trial_number(const dial_trial *trial) { return trial->record.number; }
dial_ctx *dial_trial_ctx(dial_trial *trial) { return trial->ctx; }

void dial_trial_abandon(dial_trial *trial) {
    if (trial) trial->abandoned = true;
}

/* The study's pruner judges the trial's last reported value, under the
 * study's lock: a finishing trial may be telling it meanwhile. */
bool dial_trial_should_prune(dial_trial *trial) {
    if (trial && trial->proxy) return trial->proxy->should_prune(trial->proxy_user);
    if (!trial || !dial_pruner_active(trial->study->pruner)) return false;
    dial_study *study = trial->study;
    pthread_mutex_lock(&study->lock);
    bool prune = dial_pruner_should_prune(trial->ctx, study->pruner, &trial->record,
                                          dial_study_judge_horizon(study, trial->record.number));
    pthread_mutex_unlock(&study->lock);
    return prune;
}

void dial_trial_free(dial_trial *trial) {
    if (!trial) return;
    if (trial->own) dial_study_own_ended(trial->study, trial->record.number);
    free(trial->proposal);
    dial_trial_record_clear(&trial->record);
    dial_ctx_free(trial->ctx);
    free(trial);
}

static const char *kind_article(dial_param_kind kind) {
    switch (kind) {
    case DIAL_PARAM_FLOAT: return "a float";
    case DIAL_PARAM_INT: return "an int";
    case DIAL_PARAM_CHOICE: return "a choice";
    }
    return "unknown";
}

/* Lists choices as "a, b, c" for messages. */
static void choices_text(const char *const *choices, size_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int written = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", choices[i]);
        if (written < 0) break;
        used += (size_t)written;
    }
}

/* Index of text among the choices, or -1. */
static long choice_index(const char *const *choices, size_t n, const char *text) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(choices[i], text) == 0) return (long)i;
    return -1;
}

/* A value the trial already holds, checked against how it is asked now. */
static dial_status reuse(dial_trial *trial, long at, const char *function, const dial_param *asked,
                         const char *const *choices, double *value) {
    const dial_trial_record *record = &trial->record;
    if (record->param_kinds[at] != asked->kind)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': trial %lld already has it as %s, not %s", function, asked->name,
                         (long long)record->number, kind_article(record->param_kinds[at]),
                         kind_article(asked->kind));
    if (asked->kind != DIAL_PARAM_CHOICE) {
        *value = record->param_values[at];
        return DIAL_OK;
    }
    long index = choice_index(choices, asked->n_choices, record->param_texts[at]);
    if (index < 0) {
        char list[512];
        choices_text(choices, asked->n_choices, list, sizeof list);
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': trial %lld already has it as '%s', which is not one of: %s",
                         function, asked->name, (long long)record->number, record->param_texts[at],
                         list);
    }
    *value = (double)index;
    return DIAL_OK;
}

/* A proxy's value comes from the real trial, in the process that holds the
 * study (trial_proxy.c); the proxy's record keeps it, so that asking again
 * and dial_trial_get_record see what the real trial has. */
static dial_status suggest_by_proxy(dial_trial *trial, const char *function,
                                    const dial_param *asked, const char *const *choices,
                                    double *value) {
    dial_param param = *asked;
    param.choices = (char **)choices;
    double drawn = 0;
    dial_status status = trial->proxy->suggest(trial->proxy_user, trial->ctx, &param, &drawn);
    if (status != DIAL_OK) return status;
    char text[64];
    const char *stored_text = text;
    if (asked->kind == DIAL_PARAM_CHOICE) {
        if (!(drawn >= 0) || (size_t)drawn >= asked->n_choices)
            return dial_fail(trial->ctx, DIAL_ERR_INTERNAL,
                             "%s '%s': the study gave choice index %g of %zu", function,
                             asked->name, drawn, asked->n_choices);
        stored_text = choices[(size_t)drawn];
    } else {
        dial_format_param_value(asked->kind, drawn, text, sizeof text);
    }
    if (!dial_record_add_param(trial->ctx, &trial->record, asked->name, asked->kind, drawn,
                               stored_text))
        return dial_fail(trial->ctx, DIAL_ERR_NOMEM, "out of memory storing parameter '%s'",
                         asked->name);
    *value = drawn;
    return DIAL_OK;
}

/* Draws, stores and returns the value of one parameter. */
static dial_status suggest(dial_trial *trial, const char *function, const dial_param *asked,
                           const char *const *choices, double *value) {
    dial_study *study = trial->study;
    dial_ctx *ctx = trial->ctx;
    long at = dial_record_find_param(&trial->record, asked->name);
    if (at >= 0) return reuse(trial, at, function, asked, choices, value);
    if (trial->proxy) return suggest_by_proxy(trial, function, asked, choices, value);

    long in_space = dial_space_find(&study->space, asked->name);
    const dial_param *param = in_space >= 0 ? &study->space.params[in_space] : NULL;
    if (!param) {
        param = asked;
    } else if (param->kind != asked->kind) {
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s '%s': the study's space has it as %s, not %s",
                         function, asked->name, kind_article(param->kind),
                         kind_article(asked->kind));
    }
    /* A queued trial that asks for a parameter its params lack (a branch
     * the stale trial never reached) draws it by its number. */
    int64_t index = trial->sample;
    if (index < 0) {
        index = trial->record.number;
        if (study->grid_size > 0) index %= study->grid_size;
    }
    double drawn = 0;
    dial_status status = DIAL_OK;
    if (trial->proposal && in_space >= 0 && !isnan(trial->proposal[in_space]))
        drawn = trial->proposal[in_space]; /* a learning sampler's point (study_propose.c) */
    else
        status = dial_sampler_suggest(ctx, study->sampler, index, param, &drawn);
    if (status != DIAL_OK) return status;

    char text[64];
    const char *stored_text = text;
    if (param->kind == DIAL_PARAM_INT) {
        drawn = fmin(fmax(round(drawn), param->low), param->high);
    } else if (param->kind == DIAL_PARAM_CHOICE) {
        size_t pick = (size_t)drawn;
        if (!(drawn >= 0) || pick >= param->n_choices)
            return dial_fail(ctx, DIAL_ERR_INTERNAL,
                             "%s '%s': the sampler gave choice index %g of %zu", function,
                             asked->name, drawn, param->n_choices);
        stored_text = param == asked ? choices[pick] : param->choices[pick];
        long mine = choice_index(choices, asked->n_choices, stored_text);
        if (mine < 0) {
            char list[512];
            choices_text(choices, asked->n_choices, list, sizeof list);
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "%s '%s': the study's space chose '%s', which is not one of: %s",
                             function, asked->name, stored_text, list);
        }
        drawn = (double)mine;
    }
    if (param->kind != DIAL_PARAM_CHOICE)
        dial_format_param_value(param->kind, drawn, text, sizeof text);

    size_t position = trial->record.n_params;
    if (!dial_record_add_param(ctx, &trial->record, asked->name, asked->kind, drawn, stored_text))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory storing parameter '%s'", asked->name);
    pthread_mutex_lock(&study->lock);
    status = study->storage.ops->set_param(ctx, study->storage.self, trial->trial_id, position,
                                           asked->name, asked->kind, drawn, stored_text);
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    *value = drawn;
    return DIAL_OK;
}

dial_status dial_trial_suggest_param(dial_trial *trial, const char *function,
                                     const dial_param *param, double *value) {
    return suggest(trial, function, param, (const char *const *)param->choices, value);
}

dial_status dial_trial_suggest(dial_trial *trial, const dial_param *param, double *value) {
    if (!trial || !param || !param->name) return DIAL_ERR_ARGUMENT;
    return dial_trial_suggest_param(trial, "suggest", param, value);
}

static dial_status check_name(dial_trial *trial, const char *function, const char *name) {
    if (!name || name[0] == '\0')
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT, "%s: a parameter needs a name", function);
    return DIAL_OK;
}

static dial_status check_flags(dial_trial *trial, const char *function, const char *name,
                               int flags) {
    if (flags != DIAL_LINEAR && flags != DIAL_LOG)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': flags = %d is not DIAL_LINEAR (0) or DIAL_LOG (1)", function,
                         name, flags);
    return DIAL_OK;
}

dial_status dial_trial_suggest_float(dial_trial *trial, const char *name, double low, double high,
                                     int flags, double *value) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    const char *function = "suggest_float";
    dial_status status = check_name(trial, function, name);
    if (status == DIAL_OK) status = check_flags(trial, function, name, flags);
    if (status != DIAL_OK) return status;
    if (!isfinite(low) || !isfinite(high))
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': low and high must be finite numbers, got %g and %g", function,
                         name, low, high);
    if (low > high)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT, "%s '%s': low = %g is above high = %g",
                         function, name, low, high);
    if (flags == DIAL_LOG && low <= 0)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': a log scale needs low > 0, got low = %g", function, name, low);
    dial_param asked = {.name = (char *)name,
                        .kind = DIAL_PARAM_FLOAT,
                        .low = low,
                        .high = high,
                        .log = flags == DIAL_LOG,
                        .fixed = low == high,
                        .condition = ""};
    return suggest(trial, function, &asked, NULL, value);
}

dial_status dial_trial_suggest_int(dial_trial *trial, const char *name, int64_t low, int64_t high,
                                   int flags, int64_t *value) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    const char *function = "suggest_int";
    dial_status status = check_name(trial, function, name);
    if (status == DIAL_OK) status = check_flags(trial, function, name, flags);
    if (status != DIAL_OK) return status;
    if (low > high)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT, "%s '%s': low = %lld is above high = %lld",
                         function, name, (long long)low, (long long)high);
    if (flags == DIAL_LOG && low < 1)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "%s '%s': a log scale needs low >= 1, got low = %lld", function, name,
                         (long long)low);
    dial_param asked = {.name = (char *)name,
                        .kind = DIAL_PARAM_INT,
                        .low = (double)low,
                        .high = (double)high,
                        .step = 1,
                        .log = flags == DIAL_LOG,
                        .fixed = low == high,
                        .condition = ""};
    double drawn = 0;
    status = suggest(trial, function, &asked, NULL, &drawn);
    if (status == DIAL_OK) *value = (int64_t)drawn;
    return status;
}

dial_status dial_trial_suggest_choice(dial_trial *trial, const char *name,
                                      const char *const *choices, size_t n, size_t *index) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    const char *function = "suggest_choice";
    dial_status status = check_name(trial, function, name);
    if (status != DIAL_OK) return status;
    if (!choices || n == 0)
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT, "%s '%s': needs at least one choice",
                         function, name);
    for (size_t i = 0; i < n; i++)
        if (!choices[i])
            return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT, "%s '%s': choice %zu is NULL", function,
                             name, i);
    dial_param asked = {.name = (char *)name,
                        .kind = DIAL_PARAM_CHOICE,
                        .low = 0,
                        .high = (double)(n - 1),
                        .fixed = n == 1,
                        .n_choices = n,
                        .choices = (char **)choices,
                        .condition = ""};
    double drawn = 0;
    status = suggest(trial, function, &asked, choices, &drawn);
    if (status == DIAL_OK) *index = (size_t)drawn;
    return status;
}

dial_status dial_trial_report(dial_trial *trial, int64_t step, double value) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    dial_study *study = trial->study;
    if (!dial_record_set_intermediate(trial->ctx, &trial->record, step, value))
        return dial_fail(trial->ctx, DIAL_ERR_NOMEM, "out of memory recording step %lld",
                         (long long)step);
    if (trial->proxy) return trial->proxy->report(trial->proxy_user, trial->ctx, step, value);
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->report(trial->ctx, study->storage.self,
                                                    trial->trial_id, step, value, dial_tune_now());
    pthread_mutex_unlock(&study->lock);
    return status;
}

dial_status dial_trial_report_path(dial_trial *trial, const int64_t *steps, const double *values,
                                   size_t n) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    dial_study *study = trial->study;
    if (n > 0 && (!steps || !values))
        return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                         "report_path: %zu path steps given without their %s", n,
                         steps ? "values" : "steps");
    for (size_t i = 0; i < n; i++)
        if (steps[i] < 1 || (i > 0 && steps[i] <= steps[i - 1]))
            return dial_fail(trial->ctx, DIAL_ERR_ARGUMENT,
                             "path steps must be ascending and at least 1");
    if (!dial_record_set_path(trial->ctx, &trial->record, steps, values, n))
        return dial_fail(trial->ctx, DIAL_ERR_NOMEM, "out of memory recording a path of %zu steps",
                         n);
    if (trial->proxy)
        return trial->proxy->report_path(trial->proxy_user, trial->ctx, steps, values, n);
    /* The storage call refreshes the heartbeat too: a long fit that only
     * reports its path at the end still counts as alive from then on. */
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->report_path(
        trial->ctx, study->storage.self, trial->trial_id, steps, values, n, dial_tune_now());
    pthread_mutex_unlock(&study->lock);
    return status;
}

size_t dial_trial_prune_rungs(const dial_trial *trial, int64_t max_resource, int64_t *rungs,
                              size_t capacity) {
    if (!trial) return 0;
    if (trial->proxy)
        return trial->proxy->prune_rungs(trial->proxy_user, max_resource, rungs, capacity);
    return dial_pruner_rungs(trial->study->pruner, trial->record.number, max_resource, rungs,
                             capacity);
}
