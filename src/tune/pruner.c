/*
 * Pruners: making one by name and sending each request to its kind's
 * table (dial_pruner_ops in tune/pruner.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/pruner.h"

/* Every pruner kind, by its table. */
static const dial_pruner_ops *const pruner_kinds[] = {
    &dial_pruner_none_ops,
};

#define PRUNER_KIND_COUNT (sizeof pruner_kinds / sizeof pruner_kinds[0])

dial_status dial_pruner_create(dial_ctx *ctx, const char *name, const dial_pruner_setup *setup,
                               dial_pruner **out) {
    *out = NULL;
    const char *wanted = name ? name : "none";
    const dial_pruner_ops *ops = NULL;
    for (size_t i = 0; i < PRUNER_KIND_COUNT && !ops; i++)
        if (strcmp(pruner_kinds[i]->name, wanted) == 0) ops = pruner_kinds[i];
    if (!ops) {
        char names[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < PRUNER_KIND_COUNT && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     pruner_kinds[i]->name);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown pruner '%s'; pruners are: %s", wanted,
                         names);
    }
    dial_pruner *pruner = dial_calloc(ctx, 1, sizeof *pruner);
    if (!pruner) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making a pruner");
    pruner->ops = ops;
    dial_status status = ops->create ? ops->create(ctx, setup, &pruner->state) : DIAL_OK;
    if (status != DIAL_OK) {
        dial_pruner_free(pruner);
        return status;
    }
    *out = pruner;
    return DIAL_OK;
}

void dial_pruner_free(dial_pruner *pruner) {
    if (!pruner) return;
    if (pruner->ops->free) pruner->ops->free(pruner->state);
    free(pruner);
}

bool dial_pruner_should_prune(const dial_pruner *pruner, const dial_trial_record *trial) {
    if (!pruner || trial->n_intermediate == 0) return false;
    size_t last = trial->n_intermediate - 1;
    return pruner->ops->should_prune(pruner->state, trial, trial->intermediate_steps[last],
                                     trial->intermediate_values[last]);
}

void dial_pruner_tell(dial_pruner *pruner, const dial_trial_record *record) {
    if (pruner && pruner->ops->tell) pruner->ops->tell(pruner->state, record);
}

/* Placeholder until the median, asha and hyperband kinds land: only
 * "none" is known. */
dial_status dial_pruner_spec_normalize(dial_ctx *ctx, const char *spec, dial_resource resource,
                                       int64_t max_resource, char **out) {
    (void)resource, (void)max_resource;
    *out = NULL;
    if (spec && *spec && strcmp(spec, "none") != 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown pruner '%s'; pruners are: none", spec);
    *out = dial_strdup(ctx, "none");
    return *out ? DIAL_OK : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a pruner");
}
