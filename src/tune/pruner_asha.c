/*
 * The `asha` pruner: asynchronous successive halving (Li et al. 2020) at
 * the rungs min_resource * reduction_factor^k below max_resource
 * (pruner_rungs.c), every trial against every other.
 */
#include <stdio.h>

#include "tune/pruner.h"

static bool asha_should_prune(const dial_pruner *pruner, const dial_pruner_query *query) {
    return dial_pruner_halving_prunes(pruner, query, pruner->settings.min_resource, NULL);
}

static size_t asha_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                         int64_t *out, size_t capacity) {
    (void)number;
    return dial_pruner_geometric_rungs(pruner->settings.min_resource,
                                       pruner->settings.reduction_factor, max_resource, out,
                                       capacity);
}

static void asha_describe(const dial_pruner *pruner, char *buf, size_t size) {
    snprintf(buf, size, "reduction factor %lld", (long long)pruner->settings.reduction_factor);
}

const dial_pruner_ops dial_pruner_asha_ops = {
    .name = "asha",
    .settings = (const char *const[]){"reduction_factor", "min_resource", "max_resource", NULL},
    .should_prune = asha_should_prune,
    .rungs = asha_rungs,
    .describe = asha_describe,
};
