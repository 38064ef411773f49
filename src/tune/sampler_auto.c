/*
 * The auto sampler, dial's default: qmc for the startup trials (they cover
 * the space evenly, which a model needs first), then a Gaussian process
 * while the study is small and its space continuous (where GP-based
 * search is the strongest: few trials, smooth responses), then tpe (its
 * cost grows linearly with the trials where a GP's grows cubically, and it
 * models categorical and conditional knobs natively). It owns one sampler
 * of each kind it hands over to, made from its own settings, so each
 * proposal is still a pure function of (seed, number, history).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* Trials numbered below this go to the GP in a continuous space. A GP's
 * proposal costs O(n^3) in the n trials it models; past a hundred, tpe's
 * linear cost and its equal footing on a well-explored space win. */
#define AUTO_GP_TRIALS 100

typedef struct auto_state {
    dial_sampler *gp; /* NULL when the space is not continuous */
    dial_sampler *tpe;
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
    const dial_sampler *chosen = state->gp && number < AUTO_GP_TRIALS ? state->gp : state->tpe;
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
                 "auto: %s, then gp (a continuous space of %zu knob%s) up to trial %d, then tpe",
                 startup, n, n == 1 ? "" : "s", AUTO_GP_TRIALS);
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
