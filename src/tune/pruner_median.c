/*
 * The `median` pruner (Optuna's MedianPruner): a trial stops when its
 * last value is worse than the median of the other complete trials'
 * values at the same resource (each one's value at the first resource >=
 * it that it reported). Nothing is pruned before warmup_trials trials are
 * complete, nor below warmup_steps of resource, nor where no complete
 * trial has a value. It judges wherever it is asked: each reported step
 * (STEPS, FOLDS); on a PATH the objective asks at its rungs, min_resource
 * * 3^k with min_resource the resource's default (max_resource / 27).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/pruner.h"

static int compare_losses(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool median_should_prune(const dial_pruner *pruner, const dial_pruner_query *query) {
    const dial_pruner_settings *settings = &pruner->settings;
    int64_t reached = query->resources[query->n - 1];
    if (reached < settings->warmup_steps) return false;
    size_t complete = 0, n = 0;
    for (size_t i = 0; i < pruner->n_trials && (int64_t)i <= query->horizon; i++)
        complete += (int64_t)i != query->number && pruner->trials[i].known &&
                    pruner->trials[i].state == DIAL_TRIAL_COMPLETE;
    if ((int64_t)complete < settings->warmup_trials || complete == 0) return false;
    double *values = dial_malloc_array(query->ctx, complete, sizeof *values);
    if (!values) return false;
    for (size_t i = 0; i < pruner->n_trials && (int64_t)i <= query->horizon; i++) {
        const dial_pruner_trial *other = &pruner->trials[i];
        double loss;
        if ((int64_t)i == query->number || !other->known || other->state != DIAL_TRIAL_COMPLETE)
            continue;
        if (dial_pruner_value_at(other->resources, other->losses, other->n, reached, &loss))
            values[n++] = loss;
    }
    bool prune = false;
    if (n > 0) {
        qsort(values, n, sizeof *values, compare_losses);
        double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        prune = query->losses[query->n - 1] > median;
    }
    free(values);
    return prune;
}

static size_t median_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                           int64_t *out, size_t capacity) {
    (void)number;
    const dial_pruner_settings *settings = &pruner->settings;
    if (settings->resource == DIAL_RESOURCE_PATH) {
        int64_t first = max_resource / 27 > 1 ? max_resource / 27 : 1;
        if (first < settings->warmup_steps) first = settings->warmup_steps;
        return dial_pruner_geometric_rungs(first, 3, max_resource, out, capacity);
    }
    /* Every step from the first one past the warm-up. */
    int64_t first = settings->warmup_steps > 1 ? settings->warmup_steps : 1;
    size_t n = 0;
    for (int64_t step = first; step < max_resource; step++) {
        if (n == capacity) return (size_t)(max_resource - first);
        out[n++] = step;
    }
    return n;
}

static void median_describe(const dial_pruner *pruner, char *buf, size_t size) {
    snprintf(buf, size, "warm-up %lld trials and %lld steps",
             (long long)pruner->settings.warmup_trials, (long long)pruner->settings.warmup_steps);
}

const dial_pruner_ops dial_pruner_median_ops = {
    .name = "median",
    .settings = (const char *const[]){"warmup_trials", "warmup_steps", NULL},
    .should_prune = median_should_prune,
    .rungs = median_rungs,
    .describe = median_describe,
};
