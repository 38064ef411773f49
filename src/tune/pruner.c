/*
 * Pruners: the kinds by name, what the study tells a pruner of its trials,
 * and sending each judgement to its kind's table (dial_pruner_ops in
 * tune/pruner.h). A trial's values become losses against its resource
 * here, once, so that no kind knows the study's direction or resource.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/pruner.h"

/* Every pruner kind, by its table. */
static const dial_pruner_ops *const pruner_kinds[] = {
    &dial_pruner_none_ops,
    &dial_pruner_median_ops,
    &dial_pruner_asha_ops,
    &dial_pruner_hyperband_ops,
};

#define PRUNER_KIND_COUNT (sizeof pruner_kinds / sizeof pruner_kinds[0])

const dial_pruner_ops *dial_pruner_kind(const char *name) {
    for (size_t i = 0; i < PRUNER_KIND_COUNT; i++)
        if (strcmp(pruner_kinds[i]->name, name) == 0) return pruner_kinds[i];
    return NULL;
}

void dial_pruner_kind_names(char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < PRUNER_KIND_COUNT && used < size; i++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", pruner_kinds[i]->name);
}

dial_status dial_pruner_create(dial_ctx *ctx, const char *spec, dial_resource resource,
                               const dial_pruner_setup *setup, dial_pruner **out) {
    *out = NULL;
    dial_pruner_settings settings;
    dial_status status = dial_pruner_spec_read(ctx, spec, resource, 0, &settings);
    if (status != DIAL_OK) return status;
    dial_pruner *pruner = dial_calloc(ctx, 1, sizeof *pruner);
    if (!pruner) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making a pruner");
    pruner->settings = settings;
    pruner->setup = *setup;
    *out = pruner;
    return DIAL_OK;
}

void dial_pruner_free(dial_pruner *pruner) {
    if (!pruner) return;
    for (size_t i = 0; i < pruner->n_trials; i++) {
        free(pruner->trials[i].resources);
        free(pruner->trials[i].losses);
    }
    free(pruner->trials);
    free(pruner);
}

bool dial_pruner_active(const dial_pruner *pruner) {
    return pruner && pruner->settings.ops != &dial_pruner_none_ops;
}

/* ---- a record's values as losses against the resource ---- */

/* How many values the record has in the resource. */
static size_t record_values(const dial_pruner_settings *settings, const dial_trial_record *record) {
    return settings->resource == DIAL_RESOURCE_PATH ? record->n_path : record->n_intermediate;
}

/* Writes the record's values into resources and losses, ascending by
 * resource (an intermediate value may have been reported out of order). */
static void record_losses(const dial_pruner *pruner, const dial_trial_record *record,
                          int64_t *resources, double *losses) {
    const dial_pruner_settings *settings = &pruner->settings;
    double sign = pruner->setup.direction == DIAL_MAXIMIZE ? -1.0 : 1.0;
    size_t n = record_values(settings, record);
    for (size_t i = 0; i < n; i++) {
        int64_t resource;
        double value;
        if (settings->resource == DIAL_RESOURCE_PATH) {
            resource = record->path_steps[i];
            value = record->path_values[i];
        } else {
            resource =
                record->intermediate_steps[i] + (settings->resource == DIAL_RESOURCE_FOLDS ? 1 : 0);
            value = record->intermediate_values[i];
        }
        /* A value that is not a number is the worst there is. */
        double loss = isnan(value) ? INFINITY : sign * value;
        size_t at = i;
        while (at > 0 && resources[at - 1] > resource) {
            resources[at] = resources[at - 1];
            losses[at] = losses[at - 1];
            at--;
        }
        resources[at] = resource;
        losses[at] = loss;
    }
}

void dial_pruner_note(const dial_ctx *ctx, dial_pruner *pruner, const dial_trial_record *record) {
    if (!dial_pruner_active(pruner) || record->number < 0) return;
    size_t number = (size_t)record->number;
    if (number >= pruner->n_trials) {
        size_t n = pruner->n_trials ? pruner->n_trials : 16;
        while (n <= number) n *= 2;
        dial_pruner_trial *trials = dial_realloc_array(ctx, pruner->trials, n, sizeof *trials);
        if (!trials) return;
        memset(trials + pruner->n_trials, 0, (n - pruner->n_trials) * sizeof *trials);
        pruner->trials = trials;
        pruner->n_trials = n;
    }
    dial_pruner_trial *trial = &pruner->trials[number];
    size_t n = record_values(&pruner->settings, record);
    if (n > trial->capacity) {
        int64_t *resources = dial_realloc_array(ctx, trial->resources, n, sizeof *resources);
        if (!resources) return;
        trial->resources = resources;
        double *losses = dial_realloc_array(ctx, trial->losses, n, sizeof *losses);
        if (!losses) return;
        trial->losses = losses;
        trial->capacity = n;
    }
    record_losses(pruner, record, trial->resources, trial->losses);
    trial->n = n;
    trial->state = record->state;
    trial->known = true;
}

bool dial_pruner_should_prune(const dial_ctx *ctx, const dial_pruner *pruner,
                              const dial_trial_record *trial, int64_t horizon) {
    if (!dial_pruner_active(pruner)) return false;
    size_t n = record_values(&pruner->settings, trial);
    if (n == 0) return false;
    int64_t *resources = dial_malloc_array(ctx, n, sizeof *resources);
    double *losses = dial_malloc_array(ctx, n, sizeof *losses);
    bool prune = false;
    if (resources && losses) {
        record_losses(pruner, trial, resources, losses);
        dial_pruner_query query = {.ctx = ctx,
                                   .number = trial->number,
                                   .resources = resources,
                                   .losses = losses,
                                   .n = n,
                                   .horizon = horizon};
        prune = pruner->settings.ops->should_prune(pruner, &query);
    }
    free(resources);
    free(losses);
    return prune;
}

size_t dial_pruner_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                         int64_t *out, size_t capacity) {
    if (!dial_pruner_active(pruner)) return 0;
    if (max_resource <= 0) return 0;
    return pruner->settings.ops->rungs(pruner, number, max_resource, out, capacity);
}

/* ---- the plan for a header ---- */

/* What a resource counts, in the plural. */
static const char *resource_unit(dial_resource resource) {
    switch (resource) {
    case DIAL_RESOURCE_FOLDS: return "folds";
    case DIAL_RESOURCE_PATH: return "path steps";
    case DIAL_RESOURCE_STEPS: break;
    }
    return "steps";
}

void dial_pruner_plan(const dial_pruner *pruner, char *buf, size_t size) {
    if (!dial_pruner_active(pruner)) {
        snprintf(buf, size, "none");
        return;
    }
    const dial_pruner_settings *settings = &pruner->settings;
    char words[160];
    settings->ops->describe(pruner, words, sizeof words);
    /* Unknown, the largest resource is taken as unbounded: the first
     * rungs then show the pattern. */
    int64_t max = settings->max_resource;
    int64_t rungs[8];
    size_t shown = max > 0 ? 8 : 4;
    size_t n = dial_pruner_rungs(pruner, -1, max > 0 ? max : INT64_MAX, rungs, shown);
    char list[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && i < shown && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld",
                                 i == 0       ? ""
                                 : i + 1 == n ? " and "
                                              : ", ",
                                 (long long)rungs[i]);
    if (n > shown && used < sizeof list) snprintf(list + used, sizeof list - used, ", ...");
    const char *unit = resource_unit(settings->resource);
    if (n == 0)
        snprintf(buf, size, "%s (%s; no rung below %lld %s: nothing is judged)",
                 settings->ops->name, words, (long long)max, unit);
    else if (max <= 0)
        snprintf(buf, size, "%s (%s; judged after %s %s)", settings->ops->name, words, list, unit);
    else
        snprintf(buf, size, "%s (%s; judged after %s of %lld %s)", settings->ops->name, words, list,
                 (long long)max, unit);
}

/* ---- shared by the kinds ---- */

bool dial_pruner_value_at(const int64_t *resources, const double *losses, size_t n, int64_t rung,
                          double *loss) {
    for (size_t i = 0; i < n; i++)
        if (resources[i] >= rung) {
            *loss = losses[i];
            return true;
        }
    return false;
}

size_t dial_pruner_geometric_rungs(int64_t first, int64_t eta, int64_t max_resource, int64_t *out,
                                   size_t capacity) {
    size_t n = 0;
    for (int64_t rung = first; rung < max_resource; rung *= eta) {
        if (n < capacity) out[n] = rung;
        n++;
        if (rung > INT64_MAX / eta) break;
    }
    return n;
}
