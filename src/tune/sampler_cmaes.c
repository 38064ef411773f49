/*
 * The cmaes sampler: CMA-ES over the FLOAT and INT parameters of the space
 * (sampler_cmaes_strategy.c), every other parameter (a CHOICE, which a
 * Gaussian cannot order) drawn at random per (seed, number, parameter), as
 * the random sampler draws it.
 *
 * The sampler keeps no state between proposals: the strategy that proposes
 * trial n is rebuilt by replaying the history, so the point is a pure
 * function of (seed, n, history) and `dial ask` run once per trial proposes
 * what an in-process study does. The replay cuts the trials after the qmc
 * startup ones, in number order, into generations of lambda trials; a
 * generation is told once all its trials have finished, and the first one
 * with a trial still running (or too few trials yet) stops the replay:
 * trial n is drawn from the last complete state with its own draws, so
 * parallel workers spread around the same mean.
 *
 * Where the first run starts: at the best startup trial (the centre when
 * none completed). Starting at the centre, as Optuna does, would throw away
 * what the qmc trials found, and a centred start flatters problems whose
 * optimum is central; the step size (a sixth of each range) still lets the
 * first generations look well beyond that point. Restarts begin at fresh
 * random means.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/sampler_cmaes.h"

/* Keeps the proposal draws apart from the other samplers' streams: trial n
 * draws from dial_rng_stream(seed, PROPOSAL_STREAM ^ n * golden). */
#define PROPOSAL_STREAM UINT64_C(0x636d6165735f7072)

/* What create works out from the space once. */
typedef struct cmaes_space {
    size_t d;                    /* coordinates the strategy evolves */
    size_t *dims;                /* their positions in the space */
    const dial_param **discrete; /* per coordinate: the parameter when discrete, else NULL */
    size_t n_at_random;          /* CHOICE parameters, drawn at random */
} cmaes_space;

/* A parameter the strategy can evolve: FLOAT or INT with more than one
 * value. */
static bool evolves(const dial_param *param) {
    if (param->kind == DIAL_PARAM_CHOICE || param->fixed) return false;
    return dial_sampler_from_unit(param, 0) != dial_sampler_from_unit(param, 1);
}

/* Finitely many values: rounded from the strategy's continuous coordinate,
 * with a margin. */
static bool discrete(const dial_param *param) {
    return param->kind == DIAL_PARAM_INT || param->step > 0;
}

static void cmaes_free(dial_sampler *sampler) {
    cmaes_space *space = sampler->state;
    if (!space) return;
    free(space->dims);
    free(space->discrete);
    free(space);
    sampler->state = NULL;
}

static dial_status cmaes_create(dial_ctx *ctx, dial_sampler *sampler) {
    cmaes_space *state = dial_calloc(ctx, 1, sizeof *state);
    if (!state) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the cmaes sampler");
    sampler->state = state;
    const dial_space *space = &sampler->space;
    state->dims = dial_calloc(ctx, space->n, sizeof *state->dims);
    state->discrete = dial_calloc(ctx, space->n, sizeof *state->discrete);
    if (!state->dims || !state->discrete)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the cmaes sampler");
    for (size_t i = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        if (evolves(param)) {
            state->discrete[state->d] = discrete(param) ? param : NULL;
            state->dims[state->d++] = i;
        } else if (param->kind == DIAL_PARAM_CHOICE && !param->fixed) {
            state->n_at_random++;
        }
    }
    return DIAL_OK;
}

/* The unit coordinates of a trial's values (NaN where it lacks one). */
static void to_unit(const dial_sampler *sampler, const dial_sampler_observation *trial,
                    double *unit) {
    const cmaes_space *state = sampler->state;
    for (size_t k = 0; k < state->d; k++) {
        size_t i = state->dims[k];
        double x = trial->x ? trial->x[i] : NAN;
        unit[k] = isnan(x) ? NAN : dial_sampler_to_unit(&sampler->space.params[i], x);
    }
}

/* The first run's mean: the best completed startup trial, else NULL (the
 * centre). A coordinate the trial lacks starts at the centre. */
static const double *start_mean(const dial_sampler *sampler, const dial_sampler_history *history,
                                double *unit) {
    const dial_sampler_observation *best = NULL;
    for (size_t t = 0; t < history->n; t++) {
        const dial_sampler_observation *trial = &history->trials[t];
        if (trial->number < 0 || (uint64_t)trial->number >= sampler->startup_trials) continue;
        if (trial->state != DIAL_TRIAL_COMPLETE || isnan(trial->loss)) continue;
        if (!best || trial->loss < best->loss) best = trial;
    }
    if (!best) return NULL;
    to_unit(sampler, best, unit);
    const cmaes_space *state = sampler->state;
    for (size_t k = 0; k < state->d; k++)
        if (isnan(unit[k])) unit[k] = 0.5;
    return unit;
}

/* A member of a generation in CMA-ES's ranking: completed trials by loss,
 * then pruned ones by their last loss, then failed ones (a full ranking
 * is what the update needs; a trial that did not finish is worst). */
typedef struct ranked {
    const dial_sampler_observation *trial;
    int group;
    double key;
} ranked;

static int compare_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->trial->number < y->trial->number ? -1 : x->trial->number > y->trial->number;
}

static ranked rank_of(const dial_sampler_observation *trial) {
    ranked r = {trial, 3, INFINITY};
    if (trial->state == DIAL_TRIAL_COMPLETE && !isnan(trial->loss)) {
        r.group = 0;
        r.key = trial->loss;
    } else if (trial->state == DIAL_TRIAL_PRUNED) {
        r.group = 1;
        r.key = isnan(trial->last_loss) ? INFINITY : trial->last_loss;
    } else if (trial->state == DIAL_TRIAL_FAILED) {
        r.group = 2;
    }
    return r;
}

/* Scratch of a replay, grown with the population. */
typedef struct replay_scratch {
    ranked *members;
    double *points, *fitness;
    size_t capacity;
} replay_scratch;

static dial_status grow(dial_ctx *ctx, replay_scratch *scratch, size_t population, size_t d) {
    if (population <= scratch->capacity) return DIAL_OK;
    ranked *members = dial_realloc_array(ctx, scratch->members, population, sizeof *members);
    if (members) scratch->members = members;
    double *points = dial_realloc_array(ctx, scratch->points, population * d, sizeof *points);
    if (points) scratch->points = points;
    double *fitness = dial_realloc_array(ctx, scratch->fitness, population, sizeof *fitness);
    if (fitness) scratch->fitness = fitness;
    if (!members || !points || !fitness)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    scratch->capacity = population;
    return DIAL_OK;
}

/* Tells the strategy every complete generation of history (trials numbered
 * from startup_trials to below number), stopping at the first that is
 * incomplete. */
static dial_status replay_generations(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                      const dial_sampler_history *history, dial_cmaes *cmaes,
                                      replay_scratch *scratch) {
    size_t d = cmaes->d, t = 0;
    while (t < history->n && (history->trials[t].number < 0 ||
                              (uint64_t)history->trials[t].number < sampler->startup_trials))
        t++;
    for (;;) {
        size_t population = cmaes->population;
        dial_status status = grow(ctx, scratch, population, d);
        if (status != DIAL_OK) return status;
        size_t found = 0;
        for (; found < population && t + found < history->n; found++) {
            const dial_sampler_observation *trial = &history->trials[t + found];
            if (trial->number >= number || trial->state == DIAL_TRIAL_RUNNING) break;
            scratch->members[found] = rank_of(trial);
        }
        if (found < population) return DIAL_OK;
        qsort(scratch->members, population, sizeof *scratch->members, compare_ranked);
        for (size_t i = 0; i < population; i++) {
            to_unit(sampler, scratch->members[i].trial, &scratch->points[i * d]);
            scratch->fitness[i] =
                scratch->members[i].group == 0 ? scratch->members[i].key : INFINITY;
        }
        status = dial_cmaes_tell(ctx, cmaes, scratch->points, scratch->fitness);
        if (status != DIAL_OK) return status;
        t += population;
    }
}

dial_status dial_cmaes_replay(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                              const dial_sampler_history *history, dial_cmaes *out) {
    memset(out, 0, sizeof *out);
    if (!sampler || sampler->kind != DIAL_SAMPLER_CMAES)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_cmaes_replay needs a cmaes sampler");
    const cmaes_space *state = sampler->state;
    if (!state || state->d == 0) return DIAL_OK;
    size_t d = state->d;
    double *start = dial_malloc_array(ctx, d, sizeof *start);
    if (!start) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
    dial_status status = dial_cmaes_init(ctx, out, d, state->discrete, sampler->seed,
                                         start_mean(sampler, history, start));
    free(start);
    replay_scratch scratch = {0};
    if (status == DIAL_OK)
        status = replay_generations(ctx, sampler, number, history, out, &scratch);
    free(scratch.members);
    free(scratch.points);
    free(scratch.fitness);
    if (status != DIAL_OK) dial_cmaes_free(out);
    return status;
}

static dial_status cmaes_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                 const dial_sampler_history *history, double *point) {
    const dial_space *space = &sampler->space;
    const cmaes_space *state = sampler->state;
    /* Everything the strategy does not evolve: the random sampler's draw
     * (a fixed or one-valued parameter gets its only value). */
    for (size_t i = 0; i < space->n; i++)
        point[i] = dial_sampler_random_value(sampler->seed, number, &space->params[i]);
    if (state->d > 0) {
        dial_cmaes cmaes;
        dial_status status = dial_cmaes_replay(ctx, sampler, number, history, &cmaes);
        if (status != DIAL_OK) return status;
        double *unit = dial_malloc_array(ctx, 2 * state->d, sizeof *unit);
        if (!unit) {
            dial_cmaes_free(&cmaes);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the cmaes sampler");
        }
        dial_rng rng = dial_rng_stream(
            sampler->seed, PROPOSAL_STREAM ^ ((uint64_t)number * UINT64_C(0x9e3779b97f4a7c15)));
        dial_cmaes_sample(&cmaes, &rng, unit + state->d, unit);
        for (size_t k = 0; k < state->d; k++) {
            size_t i = state->dims[k];
            point[i] = dial_sampler_from_unit(&space->params[i], unit[k]);
        }
        free(unit);
        dial_cmaes_free(&cmaes);
    }
    dial_sampler_point_settle(space, point);
    return DIAL_OK;
}

/* Answers nothing: a study of a learning kind takes whole points from
 * propose, and any parameter asked outside them is drawn at random. */
static bool cmaes_suggest(const dial_sampler *sampler, int64_t number, long index,
                          const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false;
}

static void cmaes_describe(const dial_sampler *sampler, const char *startup, char *buf,
                           size_t size) {
    const cmaes_space *state = sampler->state;
    if (!state || state->d == 0) {
        snprintf(buf, size,
                 "cmaes, with no float or int parameter to evolve: every value at random (%s)",
                 startup);
        return;
    }
    size_t population = dial_cmaes_default_population(state->d);
    snprintf(buf, size, "cmaes, population %zu with IPOP restarts (%s%s)", population, startup,
             state->n_at_random ? "; categoricals at random" : "");
}

const dial_sampler_ops dial_sampler_cmaes_ops = {
    .kind = DIAL_SAMPLER_CMAES,
    .name = "cmaes",
    .create = cmaes_create,
    .suggest = cmaes_suggest,
    .free = cmaes_free,
    .propose = cmaes_propose,
    .describe = cmaes_describe,
};
