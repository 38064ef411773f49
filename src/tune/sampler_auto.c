/*
 * The auto sampler, dial's default: qmc for the startup trials (they cover
 * the space evenly, which a model needs first), then a Gaussian process
 * while the study is small and its space continuous (where GP-based
 * search is the strongest: few trials, smooth responses), then tpe (its
 * cost grows linearly with the trials where a GP's grows cubically, and it
 * models categorical and conditional knobs natively). It owns one sampler
 * of each kind it hands over to, made from its own settings, so each
 * proposal is still a pure function of (seed, number, history).
 *
 * In a space of at most AUTO_TURNS_KNOBS knobs, gp and tpe take turns:
 * the odd-numbered trials go to tpe. There the GP's model is soon sure of
 * the region of the best values and its expected improvement stays on
 * it: a cross-validated score is a step function of the knobs, and on a
 * flat top every point scores the same. Tuning logistic's C on
 * breast_cancer (seed 2), 24 of gp's 30 trials fell within a third of a
 * decade of C, 10 of them within 0.005 decades of one run before, and the
 * narrow better value a quarter of a decade below was never tried; tpe's
 * draws around the good trials spread wider. Taking turns keeps the GP's
 * precision on smooth responses and finds such values
 * (bench/samplers_ml.py, RESULTS.md: logistic's normalised score 0.41 ->
 * 0.11, svm's 0.42 -> 0.38), but on gbdt's 7 knobs, where the GP's model
 * is what is scarce, it cost more than it found, hence the limit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* Trials numbered below this go to the GP in a continuous space. A GP's
 * proposal costs O(n^3) in the n trials it models; past a hundred, tpe's
 * linear cost and its equal footing on a well-explored space win. */
#define AUTO_GP_TRIALS 100
/* The most knobs a space has for gp and tpe to take turns (see above). */
#define AUTO_TURNS_KNOBS 3

typedef struct auto_state {
    dial_sampler *gp; /* NULL when the space is not continuous */
    dial_sampler *tpe;
    bool turns; /* gp and tpe take turns while gp is used */
} auto_state;

static dial_status auto_create(dial_ctx *ctx, dial_sampler *sampler) {
    auto_state *state = dial_calloc(ctx, 1, sizeof *state);
    if (!state) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the auto sampler");
    sampler->state = state;
    dial_sampler_settings settings = {.kind = DIAL_SAMPLER_TPE,
                                      .seed = sampler->seed,
                                      .space = &sampler->space,
                                      .grid_points = sampler->grid_points,
                                      .roles = sampler->roles,
                                      .startup_trials = sampler->startup_trials,
                                      .cost_blind = sampler->cost_blind};
    dial_status status = dial_sampler_create_with(ctx, &settings, &state->tpe);
    if (status == DIAL_OK && dial_sampler_space_continuous(&sampler->space)) {
        settings.kind = DIAL_SAMPLER_GP;
        status = dial_sampler_create_with(ctx, &settings, &state->gp);
        state->turns = sampler->space.n <= AUTO_TURNS_KNOBS;
    }
    return status;
}

static void auto_free(dial_sampler *sampler) {
    auto_state *state = sampler->state;
    if (!state) return;
    dial_sampler_free(state->gp);
    dial_sampler_free(state->tpe);
    free(state);
}

/* Every parameter is proposed; suggest is only asked for names outside the
 * space, which are drawn at random. */
static bool auto_suggest(const dial_sampler *sampler, int64_t number, long index,
                         const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false;
}

static dial_status auto_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                const dial_sampler_history *history, double *point) {
    const auto_state *state = sampler->state;
    const dial_sampler *chosen = state->tpe;
    if (state->gp && number < AUTO_GP_TRIALS)
        chosen = state->turns && number % 2 == 1 ? state->tpe : state->gp;
    return dial_sampler_propose(ctx, chosen, number, history, point);
}

/* The first categorical knob of the space, the reason gp is not used. */
static const char *first_choice(const dial_space *space) {
    for (size_t i = 0; i < space->n; i++)
        if (space->params[i].kind == DIAL_PARAM_CHOICE && !space->params[i].fixed)
            return space->params[i].name;
    return NULL;
}

static void auto_describe(const dial_sampler *sampler, const char *startup, char *buf,
                          size_t size) {
    const auto_state *state = sampler->state;
    size_t n = sampler->space.n;
    if (n == 0) {
        snprintf(buf, size, "auto: random draws (the space is empty)");
    } else if (state->gp) {
        snprintf(buf, size,
                 "auto: %s, then gp%s (a continuous space of %zu knob%s) up to trial %d, then tpe",
                 startup, state->turns ? " and tpe in turn" : "", n, n == 1 ? "" : "s",
                 AUTO_GP_TRIALS);
    } else {
        snprintf(buf, size,
                 "auto: %s, then tpe (knob '%s' is categorical, which tpe models natively)",
                 startup, first_choice(&sampler->space));
    }
}

const dial_sampler_ops dial_sampler_auto_ops = {
    .kind = DIAL_SAMPLER_AUTO,
    .name = "auto",
    .create = auto_create,
    .suggest = auto_suggest,
    .free = auto_free,
    .propose = auto_propose,
    .describe = auto_describe,
};
