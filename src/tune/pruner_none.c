/*
 * The `none` pruner: every trial runs to its end. The default, and the
 * only kind until median, asha and hyperband come (each a file like this
 * one and a line in pruner.c).
 */
#include "tune/pruner.h"

static bool none_should_prune(const void *state, const dial_trial_record *trial, int64_t step,
                              double value) {
    (void)state, (void)trial, (void)step, (void)value;
    return false;
}

const dial_pruner_ops dial_pruner_none_ops = {
    .name = "none",
    .should_prune = none_should_prune,
};
