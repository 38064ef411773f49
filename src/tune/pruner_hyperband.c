/*
 * The `hyperband` pruner (Li et al. 2018), as Optuna's HyperbandPruner
 * runs it: brackets s = 0 .. floor(log_eta(max_resource / min_resource)),
 * bracket s an asha whose first rung is min_resource * eta^s. A trial's
 * bracket comes from (seed, trial number) only, through its own random
 * stream, with bracket s drawn in proportion to its budget
 * ceil(B * eta^(B-1-s) / (B - s)) for B brackets (the most aggressive
 * bracket gets the most trials); a trial is compared only with the trials
 * of its bracket.
 */
#include <stdio.h>

#include "tune/pruner.h"

#define HYPERBAND_STREAM UINT64_C(0x68797065726200) /* "hyperb" */

/* How many brackets: one per rung from min_resource up to max_resource. */
static int64_t bracket_count(const dial_pruner_settings *settings) {
    int64_t count = 1;
    for (int64_t r = settings->min_resource;
         r <= settings->max_resource / settings->reduction_factor; r *= settings->reduction_factor)
        count++;
    return count;
}

/* Bracket s's share of the trials, before normalising. */
static uint64_t bracket_budget(const dial_pruner_settings *settings, int64_t brackets, int64_t s) {
    int64_t rate = brackets - 1 - s;
    uint64_t power = 1;
    for (int64_t i = 0; i < rate; i++) power *= (uint64_t)settings->reduction_factor;
    uint64_t whole = (uint64_t)brackets * power;
    return (whole + (uint64_t)rate) / (uint64_t)(rate + 1); /* ceil(whole / (rate + 1)) */
}

/* Trial number's bracket: deterministic from the seed and the number. */
static int64_t bracket_of(const dial_pruner *pruner, int64_t number) {
    if (number < 0) return 0; /* the plan shows the widest bracket */
    const dial_pruner_settings *settings = &pruner->settings;
    int64_t brackets = bracket_count(settings);
    uint64_t total = 0;
    for (int64_t s = 0; s < brackets; s++) total += bracket_budget(settings, brackets, s);
    dial_rng rng = dial_rng_stream(pruner->setup.seed, HYPERBAND_STREAM ^ (uint64_t)number << 8);
    uint64_t draw = dial_rng_below(&rng, total);
    for (int64_t s = 0; s < brackets; s++) {
        uint64_t budget = bracket_budget(settings, brackets, s);
        if (draw < budget) return s;
        draw -= budget;
    }
    return brackets - 1;
}

/* The first rung of bracket s. */
static int64_t bracket_first_rung(const dial_pruner_settings *settings, int64_t s) {
    int64_t rung = settings->min_resource;
    for (int64_t i = 0; i < s; i++) rung *= settings->reduction_factor;
    return rung;
}

static bool same_bracket(const dial_pruner *pruner, int64_t number, int64_t judged) {
    return bracket_of(pruner, number) == bracket_of(pruner, judged);
}

static bool hyperband_should_prune(const dial_pruner *pruner, const dial_pruner_query *query) {
    int64_t s = bracket_of(pruner, query->number);
    return dial_pruner_halving_prunes(pruner, query, bracket_first_rung(&pruner->settings, s),
                                      same_bracket);
}

static size_t hyperband_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                              int64_t *out, size_t capacity) {
    int64_t first = bracket_first_rung(&pruner->settings, bracket_of(pruner, number));
    return dial_pruner_geometric_rungs(first, pruner->settings.reduction_factor, max_resource, out,
                                       capacity);
}

static void hyperband_describe(const dial_pruner *pruner, char *buf, size_t size) {
    snprintf(buf, size, "reduction factor %lld, %lld brackets",
             (long long)pruner->settings.reduction_factor,
             (long long)bracket_count(&pruner->settings));
}

const dial_pruner_ops dial_pruner_hyperband_ops = {
    .name = "hyperband",
    .settings = (const char *const[]){"reduction_factor", "min_resource", "max_resource", NULL},
    .needs_max_resource = true,
    .should_prune = hyperband_should_prune,
    .rungs = hyperband_rungs,
    .describe = hyperband_describe,
};
