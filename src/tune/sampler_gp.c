/*
 * The gp sampler: Bayesian optimisation with a Gaussian process (Snoek,
 * Larochelle and Adams, "Practical Bayesian optimization of machine
 * learning algorithms", 2012), in the way BoTorch and Optuna 3.6's
 * GPSampler practise it. This file turns the history into the model's data
 * and the model's choice back into a point; gp_model.c is the Gaussian
 * process, gp_acquisition.c the search for the next point, gp_cost.c what
 * a trial costs.
 *
 * From the history: each knob to the unit cube (dial_sampler_to_unit: log
 * for log knobs; integers and steps at their cell's centre), a categorical
 * by its choice index (the kernel compares choices by equality), an
 * inactive knob at the middle (a categorical at -1, its own value).
 * Outputs: COMPLETE trials' losses, an infinite one clipped to the finite
 * range; PRUNED trials count as the worst loss (they were stopped for
 * being bad, and leaving them out would let the model send the search
 * back there); FAILED trials are left out (a failure says nothing about
 * the loss). The losses are warped by a power transform (gp_warp.c: a
 * heavy tail of bad losses would otherwise crush the good ones together)
 * and standardised; the kernel's hyperparameters are fitted to the
 * finished trials alone.
 *
 * RUNNING trials get a constant liar, CL-max (the worst standardised loss
 * seen; Ginsbourger et al., 2010): conditioning on a bad value at a running
 * point drives the expected improvement there and around it to nearly
 * nothing, so parallel workers spread out. A liar at the mean would leave a
 * running point next to the best one still attractive, and several workers
 * would crowd there; the price of max is that the region around a running
 * point looks worse until it finishes, which a study pays for one trial.
 *
 * Each proposal is a pure function of (seed, number, history): the fit and
 * the search draw from streams of (seed, number), and nothing is kept
 * between proposals. Past DIAL_GP_MAX_TRIALS finished trials the kind hands
 * over to a tpe sampler it made with the same seed, space and startup.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/gp_model.h"
#include "tune/sampler_internal.h"

/* Keep the fit's and the search's streams apart from other samplers'. */
#define GP_FIT_STREAM UINT64_C(0x9b00f17000000000)
#define GP_SEARCH_STREAM UINT64_C(0x9b05ea2c00000000)
/* The fit's starts besides the default one. */
#define GP_FIT_RESTARTS 2
/* The best trials the acquisition search starts near. */
#define GP_INCUMBENTS 5
/* The recent trials whose outer values count as prepared: the objective
 * keeps the last few entries of each fold (OBJECTIVE_PREPARED_PER_FOLD,
 * 4), and with several jobs the latest trials may all still be running. */
#define GP_PREPARED_RECENT 3

typedef struct gp_state {
    dial_sampler *tpe; /* proposes past DIAL_GP_MAX_TRIALS */
} gp_state;

static dial_status gp_create(dial_ctx *ctx, dial_sampler *sampler) {
    gp_state *state = dial_calloc(ctx, 1, sizeof *state);
    if (!state) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the gp sampler");
    sampler->state = state;
    dial_sampler_settings settings = {.kind = DIAL_SAMPLER_TPE,
                                      .seed = sampler->seed,
                                      .space = sampler->space.n ? &sampler->space : NULL,
                                      .startup_trials = sampler->startup_trials};
    dial_status status = dial_sampler_create_with(ctx, &settings, &state->tpe);
    /* its deck: no repeats on a small finite space (sampler_distinct.c) */
    return status == DIAL_OK ? dial_distinct_init(ctx, sampler) : status;
}

static void gp_free(dial_sampler *sampler) {
    dial_distinct_free(sampler);
    gp_state *state = sampler->state;
    if (!state) return;
    dial_sampler_free(state->tpe);
    free(state);
    sampler->state = NULL;
}

static bool gp_suggest(const dial_sampler *sampler, int64_t number, long index,
                       const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false; /* a knob outside the space: a random draw */
}

/* Whether a knob of the space has more than one value to choose from. */
static bool modelled(const dial_param *param) { return !param->fixed && param->low < param->high; }

static size_t count_finished(const dial_sampler_history *history) {
    size_t n = 0;
    for (size_t i = 0; i < history->n; i++) {
        dial_trial_state state = history->trials[i].state;
        n += state == DIAL_TRIAL_COMPLETE || state == DIAL_TRIAL_PRUNED;
    }
    return n;
}

/* A point where no model can be made (nothing finished yet, no knob to
 * choose): the qmc point of number. */
static void fallback_point(const dial_sampler *sampler, int64_t number, double *point) {
    const dial_space *space = &sampler->space;
    for (size_t i = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        point[i] = i < sampler->n_dimensions
                       ? dial_sampler_from_unit(param, dial_qmc_unit(sampler, number, i))
                       : dial_sampler_random_value(sampler->seed, number, param);
    }
    dial_sampler_point_settle(space, point);
}

/* What one proposal builds from the history. */
typedef struct gp_inputs {
    size_t d;                  /* modelled knobs */
    size_t *dims;              /* d: their index in the space */
    const dial_param **params; /* d */
    bool *categorical;         /* d */
    size_t *n_choices;         /* d: choices of a categorical, 0 for a number */
    size_t n_fit, n_all;       /* finished rows, then running ones after them */
    double *x;                 /* n_all * d */
    double *y;                 /* n_all: standardised losses, liars last */
    double *seconds;           /* n_fit: cost of COMPLETE rows, NaN for the others */
    bool *complete;            /* n_fit */
    bool *outer;               /* d: values prepared once for the trials sharing them */
    size_t n_prepared;         /* rows of prepared */
    double *prepared;          /* GP_PREPARED_RECENT * d: recent trials' points */
    const double *prepared_values[GP_PREPARED_RECENT]; /* their knobs, as the trials ran */
} gp_inputs;

static void inputs_free(gp_inputs *in) {
    free(in->dims), free(in->params), free(in->categorical), free(in->n_choices);
    free(in->x), free(in->y), free(in->seconds), free(in->complete);
    free(in->outer), free(in->prepared);
}

/* Whether a trial's point is known: a trial that has not been given its
 * point yet (NaN everywhere) says nothing about where it runs, and a liar
 * at the centre of the cube would push the search away from there. */
static bool point_known(const dial_space *space, const double *x) {
    if (!x) return false;
    for (size_t i = 0; i < space->n; i++)
        if (!isnan(x[i])) return true;
    return space->n == 0;
}

static void encode(const gp_inputs *in, const double *values, double *row) {
    for (size_t j = 0; j < in->d; j++) {
        const dial_param *param = in->params[j];
        double value = values[in->dims[j]];
        if (in->categorical[j])
            row[j] = isnan(value) ? -1 : value - param->low;
        else
            row[j] = dial_sampler_to_unit(param, value);
    }
}

/* Fills in from the history; n_fit is 0 when nothing finished has a
 * loss. */
static dial_status build_inputs(dial_ctx *ctx, const dial_sampler *sampler,
                                const dial_sampler_history *history, gp_inputs *in) {
    const dial_space *space = &sampler->space;
    size_t n = history->n, d = 0;
    for (size_t i = 0; i < space->n; i++) d += modelled(&space->params[i]);
    in->d = d;
    in->dims = dial_malloc_array(ctx, d + 1, sizeof *in->dims);
    in->params = dial_malloc_array(ctx, d + 1, sizeof *in->params);
    in->categorical = dial_malloc_array(ctx, d + 1, sizeof *in->categorical);
    in->n_choices = dial_malloc_array(ctx, d + 1, sizeof *in->n_choices);
    in->x = dial_malloc_array(ctx, n * d + 1, sizeof *in->x);
    in->y = dial_malloc_array(ctx, n + 1, sizeof *in->y);
    in->seconds = dial_malloc_array(ctx, n + 1, sizeof *in->seconds);
    in->complete = dial_malloc_array(ctx, n + 1, sizeof *in->complete);
    if (!in->dims || !in->params || !in->categorical || !in->n_choices || !in->x || !in->y ||
        !in->seconds || !in->complete)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the gp sampler's history");
    for (size_t i = 0, j = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        if (!modelled(param)) continue;
        in->dims[j] = i;
        in->params[j] = param;
        in->categorical[j] = param->kind == DIAL_PARAM_CHOICE;
        in->n_choices[j] = in->categorical[j] ? (size_t)(param->high - param->low) + 1 : 0;
        j++;
    }
    /* The finite range of the complete losses: infinities and pruned
     * trials are placed at its ends. */
    double lowest = INFINITY, highest = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const dial_sampler_observation *o = &history->trials[i];
        if (o->state == DIAL_TRIAL_COMPLETE && isfinite(o->loss) && point_known(space, o->x)) {
            lowest = fmin(lowest, o->loss);
            highest = fmax(highest, o->loss);
        }
    }
    in->n_fit = 0;
    if (!isfinite(lowest)) return DIAL_OK;
    for (size_t i = 0; i < n; i++) {
        const dial_sampler_observation *o = &history->trials[i];
        bool complete = o->state == DIAL_TRIAL_COMPLETE && !isnan(o->loss);
        if (!point_known(space, o->x) || !(complete || o->state == DIAL_TRIAL_PRUNED)) continue;
        size_t row = in->n_fit++;
        encode(in, o->x, in->x + row * d);
        in->y[row] = complete ? fmin(fmax(o->loss, lowest), highest) : highest;
        in->complete[row] = complete;
        in->seconds[row] = complete ? o->seconds : NAN;
    }
    dial_gp_warp_outputs(in->y, in->n_fit);
    double mean = 0, spread = 0;
    for (size_t i = 0; i < in->n_fit; i++) mean += in->y[i];
    mean /= (double)in->n_fit;
    for (size_t i = 0; i < in->n_fit; i++) spread += (in->y[i] - mean) * (in->y[i] - mean);
    spread = sqrt(spread / (double)in->n_fit);
    /* A flat objective: every loss 0, and the model's variance decides. */
    if (!(spread > 0)) spread = 1;
    double worst = -INFINITY;
    for (size_t i = 0; i < in->n_fit; i++) {
        in->y[i] = (in->y[i] - mean) / spread;
        worst = fmax(worst, in->y[i]);
    }
    in->n_all = in->n_fit;
    for (size_t i = 0; i < n; i++) {
        const dial_sampler_observation *o = &history->trials[i];
        if (o->state != DIAL_TRIAL_RUNNING || !point_known(space, o->x)) continue;
        size_t row = in->n_all++;
        encode(in, o->x, in->x + row * d);
        in->y[row] = worst; /* CL-max: see the top of the file */
    }
    return DIAL_OK;
}

/* Prepared reuse (gp_acquisition.c): which modelled knobs are outer (the
 * objective's order hints), and the points of the latest trials with
 * distinct outer values, newest first. Left empty unless some knob is
 * outer and some other is free to vary at a prepared value. */
static dial_status find_prepared(dial_ctx *ctx, const dial_sampler *sampler,
                                 const dial_sampler_history *history, gp_inputs *in) {
    size_t d = in->d, n_outer = 0;
    in->n_prepared = 0;
    if (!sampler->roles) return DIAL_OK;
    in->outer = dial_calloc(ctx, d + 1, sizeof *in->outer);
    in->prepared = dial_malloc_array(ctx, GP_PREPARED_RECENT * d + 1, sizeof *in->prepared);
    if (!in->outer || !in->prepared)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the gp sampler's history");
    for (size_t j = 0; j < d; j++) {
        in->outer[j] = sampler->roles[in->dims[j]] == DIAL_ORDER_OUTER;
        n_outer += in->outer[j];
    }
    if (n_outer == 0 || n_outer == d) return DIAL_OK;
    /* the history is in trial order, the latest last; a warm start's
     * trials (numbered below 0, first) were prepared by another run */
    for (size_t i = history->n; i-- > 0 && in->n_prepared < GP_PREPARED_RECENT;) {
        const dial_sampler_observation *o = &history->trials[i];
        if (o->number < 0) break;
        if (!point_known(&sampler->space, o->x)) continue;
        double *row = in->prepared + in->n_prepared * d;
        encode(in, o->x, row);
        bool seen = false;
        for (size_t p = 0; p < in->n_prepared && !seen; p++) {
            bool same = true;
            for (size_t j = 0; j < d; j++)
                same = same && (!in->outer[j] || in->prepared[p * d + j] == row[j]);
            seen = same;
        }
        if (!seen) in->prepared_values[in->n_prepared++] = o->x;
    }
    return DIAL_OK;
}

/* The rows of the best complete trials, best first, into incumbents;
 * returns how many. */
static size_t pick_incumbents(const gp_inputs *in, double *incumbents) {
    size_t count = 0, taken[GP_INCUMBENTS];
    while (count < GP_INCUMBENTS) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < in->n_fit; i++) {
            bool used = !in->complete[i];
            for (size_t c = 0; c < count; c++) used = used || taken[c] == i;
            if (!used && (pick == SIZE_MAX || in->y[i] < in->y[pick])) pick = i;
        }
        if (pick == SIZE_MAX) break;
        taken[count] = pick;
        memcpy(incumbents + count * in->d, in->x + pick * in->d, in->d * sizeof *incumbents);
        count++;
    }
    return count;
}

static dial_status gp_propose_model(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                    gp_inputs *in, double *point) {
    size_t d = in->d;
    dial_gp gp = {0};
    dial_gp_cost cost = {0};
    bool cost_usable = false;
    double *theta = dial_malloc_array(ctx, d + 2, sizeof *theta);
    double *incumbents = dial_malloc_array(ctx, GP_INCUMBENTS * d + 1, sizeof *incumbents);
    double *u = dial_malloc_array(ctx, d + 1, sizeof *u);
    dial_status status = DIAL_OK;
    if (!theta || !incumbents || !u) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the gp sampler");
        goto done;
    }
    dial_gp_data fit = {in->n_fit, d, in->x, in->y, in->categorical};
    status = dial_gp_fit(ctx, &fit, sampler->seed, GP_FIT_STREAM + (uint64_t)number,
                         GP_FIT_RESTARTS, theta);
    if (status != DIAL_OK) goto done;
    dial_gp_data all = {in->n_all, d, in->x, in->y, in->categorical};
    status = dial_gp_condition(ctx, &all, theta, &gp);
    if (status != DIAL_OK) goto done;
    double best = INFINITY;
    for (size_t i = 0; i < in->n_fit; i++)
        if (in->complete[i]) best = fmin(best, in->y[i]);
    if (!sampler->cost_blind) {
        status = dial_gp_cost_fit(ctx, in->n_fit, d, in->x, in->seconds, in->n_choices, &cost,
                                  &cost_usable);
        if (status != DIAL_OK) goto done;
    }
    dial_gp_search search = {.gp = &gp,
                             .best = best,
                             .cost = cost_usable ? &cost : NULL,
                             .params = in->params,
                             .incumbents = incumbents,
                             .n_incumbents = pick_incumbents(in, incumbents),
                             .outer = in->outer,
                             .prepared = in->prepared,
                             .n_prepared = in->n_prepared};
    status =
        dial_gp_search_point(ctx, &search, sampler->seed, GP_SEARCH_STREAM + (uint64_t)number, u);
    if (status != DIAL_OK) goto done;
    const dial_space *space = &sampler->space;
    for (size_t i = 0; i < space->n; i++) point[i] = dial_sampler_from_unit(&space->params[i], 0.5);
    for (size_t j = 0; j < d; j++) {
        const dial_param *param = in->params[j];
        point[in->dims[j]] =
            in->categorical[j] ? param->low + u[j] : dial_sampler_from_unit(param, u[j]);
    }
    /* A point at a prepared trial's outer coordinates takes that trial's
     * values themselves: the unit cube and back may not give the same
     * double, and the objective's prepared folds are found by the exact
     * values. */
    for (size_t p = 0; p < in->n_prepared; p++) {
        bool same = true;
        for (size_t j = 0; j < d && same; j++)
            same = !in->outer[j] || u[j] == in->prepared[p * d + j];
        for (size_t j = 0; j < d && same; j++)
            if (in->outer[j]) point[in->dims[j]] = in->prepared_values[p][in->dims[j]];
        if (same) break;
    }
    dial_sampler_point_settle(space, point);
done:
    dial_gp_free(&gp);
    dial_gp_cost_free(&cost);
    free(theta), free(incumbents), free(u);
    return status;
}

static dial_status gp_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                              const dial_sampler_history *history, double *point) {
    const gp_state *state = sampler->state;
    if (count_finished(history) > DIAL_GP_MAX_TRIALS)
        return dial_sampler_propose(ctx, state->tpe, number, history, point);
    gp_inputs in = {0};
    dial_status status = build_inputs(ctx, sampler, history, &in);
    if (status == DIAL_OK) status = find_prepared(ctx, sampler, history, &in);
    if (status == DIAL_OK && (in.n_fit == 0 || in.d == 0))
        fallback_point(sampler, number, point);
    else if (status == DIAL_OK)
        status = gp_propose_model(ctx, sampler, number, &in, point);
    inputs_free(&in);
    /* A model that cannot be factorised even with jitter (non-finite
     * inputs) must not stop a study: the qmc point is a valid proposal. */
    if (status == DIAL_ERR_NUMERIC) {
        fallback_point(sampler, number, point);
        status = DIAL_OK;
    }
    return status;
}

static void gp_describe(const dial_sampler *sampler, const char *startup, char *buf, size_t size) {
    snprintf(buf, size,
             "gp, Matern 5/2 with one length scale per knob, log EI%s; %s; tpe past %d trials",
             sampler->cost_blind ? "" : " (the cheaper of near ties)", startup, DIAL_GP_MAX_TRIALS);
}

const dial_sampler_ops dial_sampler_gp_ops = {
    .kind = DIAL_SAMPLER_GP,
    .name = "gp",
    .create = gp_create,
    .suggest = gp_suggest,
    .free = gp_free,
    .propose = gp_propose,
    .describe = gp_describe,
};
