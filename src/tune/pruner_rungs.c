/*
 * Successive halving at rungs, what asha and each bracket of hyperband do
 * (Li et al. 2020, "A system for massively parallel hyperparameter
 * tuning"): rung k is the resource first * eta^k, below the largest
 * resource when it is known. A trial that reaches rung k goes on iff its
 * value there ranks within the top max(1, floor(n / eta)) of the n values
 * at rung k, its own included: the values every other admitted trial had
 * at the first resource >= the rung it reported, whatever its state.
 * Promotion never waits for a rung to fill, so no worker idles; a trial
 * is judged at a rung once, when it first reaches it, so a later report
 * below the next rung never changes the verdict.
 */
#include <stdint.h>

#include "tune/pruner.h"

/* Whether the query's trial, with loss `own` at rung, ranks outside the
 * top of the rung. */
static bool outside_top(const dial_pruner *pruner, const dial_pruner_query *query, int64_t rung,
                        double own,
                        bool (*member)(const dial_pruner *, int64_t number, int64_t judged)) {
    size_t n = 1;
    /* One pass to count, one to fill: the values are few. */
    for (size_t i = 0; i < pruner->n_trials && (int64_t)i <= query->horizon; i++) {
        const dial_pruner_trial *other = &pruner->trials[i];
        double loss;
        if ((int64_t)i == query->number || !other->known) continue;
        if (member && !member(pruner, (int64_t)i, query->number)) continue;
        n += dial_pruner_value_at(other->resources, other->losses, other->n, rung, &loss);
    }
    int64_t eta = pruner->settings.reduction_factor;
    size_t keep = (size_t)((int64_t)n / eta);
    if (keep < 1) keep = 1;
    /* Top `keep`: own is within it unless `keep` others are strictly
     * better (a tie promotes, as Optuna's successive halving does). */
    size_t better = 0;
    for (size_t i = 0; i < pruner->n_trials && (int64_t)i <= query->horizon; i++) {
        const dial_pruner_trial *other = &pruner->trials[i];
        double loss;
        if ((int64_t)i == query->number || !other->known) continue;
        if (member && !member(pruner, (int64_t)i, query->number)) continue;
        if (dial_pruner_value_at(other->resources, other->losses, other->n, rung, &loss) &&
            loss < own)
            better++;
    }
    return better >= keep;
}

bool dial_pruner_halving_prunes(const dial_pruner *pruner, const dial_pruner_query *query,
                                int64_t first,
                                bool (*member)(const dial_pruner *pruner, int64_t number,
                                               int64_t judged)) {
    int64_t reached = query->resources[query->n - 1];
    int64_t before = query->n > 1 ? query->resources[query->n - 2] : INT64_MIN;
    int64_t max = pruner->settings.max_resource > 0 ? pruner->settings.max_resource : INT64_MAX;
    int64_t eta = pruner->settings.reduction_factor;
    for (int64_t rung = first; rung <= reached && rung < max; rung *= eta) {
        /* The rungs it has just reached: those above its previous value. */
        double own;
        if (rung > before &&
            dial_pruner_value_at(query->resources, query->losses, query->n, rung, &own) &&
            outside_top(pruner, query, rung, own, member))
            return true;
        if (rung > INT64_MAX / eta) break;
    }
    return false;
}
