/*
 * The `none` pruner: every trial runs to its end. The default.
 */
#include "tune/pruner.h"

static bool none_should_prune(const dial_pruner *pruner, const dial_pruner_query *query) {
    (void)pruner, (void)query;
    return false;
}

static size_t none_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                         int64_t *out, size_t capacity) {
    (void)pruner, (void)number, (void)max_resource, (void)out, (void)capacity;
    return 0;
}

static void none_describe(const dial_pruner *pruner, char *buf, size_t size) {
    (void)pruner;
    if (size) buf[0] = '\0';
}

const dial_pruner_ops dial_pruner_none_ops = {
    .name = "none",
    .settings = (const char *const[]){NULL},
    .should_prune = none_should_prune,
    .rungs = none_rungs,
    .describe = none_describe,
};
