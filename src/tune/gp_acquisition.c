/*
 * The gp sampler's choice of the next point: log expected improvement
 * maximised over the unit cube (gp_model.h).
 *
 * Log EI is many orders of magnitude flat where the model is sure of no
 * improvement, so a gradient from one start finds nothing; instead many
 * starts are scored at once, half uniform over the cube and half near the
 * best points seen (where improvement usually lies), and a coordinate
 * search then climbs from the best few: a step along each knob both ways,
 * halved when no step helps, every choice of a categorical tried. Each
 * candidate is snapped to a value the knobs can take before it is scored.
 *
 * Cost awareness (the expected improvement per second): a point
 * that promises nearly as much as the best but costs less is worth more
 * per second of the study. Among the candidates whose log EI is within
 * DIAL_GP_TIE_LOG_MARGIN of the best, the one with the most log EI minus
 * predicted log seconds wins, and a coordinate search then walks from it
 * to more EI per second while staying within the margin. The margin keeps
 * the model's first choice whenever it is clearly better: a cheaper point
 * never wins on cost alone.
 *
 * Prepared reuse needs no timings: a trial whose outer knobs (those a fold
 * prepares once: svm's gamma and its kernel) take the values of a recent
 * trial finds its folds prepared, and costs a fraction of one that must
 * prepare anew. So besides the point of most log EI, the search looks for
 * the best point at each recent trial's outer values (the other knobs
 * free) and takes it when its log EI is within DIAL_GP_REUSE_LOG_MARGIN.
 * Near the optimum this lets a study try several C for one gamma at the
 * price of one new kernel, which is where a blind search of both knobs
 * spends most of its time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/gp_model.h"
#include "tune/sampler_internal.h"

#define UNIFORM_STARTS 1000
#define INCUMBENT_STARTS 500
#define CLIMBS 5
#define CLIMB_EVALUATIONS 400
#define CLIMB_FIRST_STEP 0.1
#define CLIMB_LAST_STEP 1e-4
/* Starts per prepared point; the reuse search draws from its own stream,
 * so the search of most log EI is the same with or without it. */
#define REUSE_STARTS 300
#define REUSE_STREAM UINT64_C(0x00000000005e05e0)

/* A coordinate as the model sees a value the knob can take. */
static double snap(const dial_param *param, double u) {
    if (param->kind == DIAL_PARAM_CHOICE) {
        double last = param->high - param->low;
        return fmin(fmax(round(u), 0), last);
    }
    u = fmin(fmax(u, 0), 1 - 1e-12);
    bool discrete = param->kind == DIAL_PARAM_INT || param->step > 0;
    return discrete ? dial_sampler_to_unit(param, dial_sampler_from_unit(param, u)) : u;
}

/* The number of choices of a categorical dimension (0 for a number). */
static size_t choices_of(const dial_param *param) {
    return param->kind == DIAL_PARAM_CHOICE ? (size_t)(param->high - param->low) + 1 : 0;
}

static double score(const dial_gp_search *search, const double *u, double *scratch) {
    double mean, variance;
    dial_gp_predict(search->gp, u, scratch, &mean, &variance);
    return dial_gp_log_expected_improvement(mean, variance, search->best);
}

/* Log EI per second: a point's log EI less its predicted log seconds. */
static double per_second(const dial_gp_search *search, double log_ei, const double *u) {
    return log_ei - dial_gp_cost_log_seconds(search->cost, u);
}

/* What a coordinate search climbs: log EI; or, with a threshold (the
 * cost-aware walk), log EI per second among the points whose log EI stays
 * at or above it (-inf for the others). */
typedef struct climb_goal {
    bool cost_aware;
    double threshold;
    const bool *fixed; /* d: dimensions the climb must not move (NULL: none) */
} climb_goal;

static double rate(const dial_gp_search *search, const climb_goal *goal, const double *u,
                   double *scratch) {
    double log_ei = score(search, u, scratch);
    if (!goal->cost_aware) return log_ei;
    return log_ei >= goal->threshold ? per_second(search, log_ei, u) : -INFINITY;
}

/* Climbs from u (updated in place, d entries; its rating is `value`) by
 * coordinate steps: a step along each knob both ways, halved when none
 * helps, every choice of a categorical tried. Returns the rating reached.
 * trial has d entries. Along a plateau of the loss (every C past some
 * value as good), the cost-aware goal walks to its cheap end, which the
 * candidates alone reach only by chance. */
static double climb(const dial_gp_search *search, const climb_goal *goal, double *u, double value,
                    double *trial, double *scratch) {
    size_t d = search->gp->d;
    double step = CLIMB_FIRST_STEP;
    int evaluations = 0;
    while (step >= CLIMB_LAST_STEP && evaluations < CLIMB_EVALUATIONS) {
        bool improved = false;
        for (size_t j = 0; j < d; j++) {
            if (goal->fixed && goal->fixed[j]) continue;
            const dial_param *param = search->params[j];
            size_t choices = choices_of(param);
            size_t tries = choices ? choices : 2;
            double best_coordinate = u[j];
            for (size_t t = 0; t < tries; t++) {
                double coordinate = choices ? (double)t : u[j] + (t ? step : -step);
                coordinate = snap(param, coordinate);
                if (coordinate == u[j]) continue;
                memcpy(trial, u, d * sizeof *trial);
                trial[j] = coordinate;
                double candidate = rate(search, goal, trial, scratch);
                evaluations++;
                if (candidate > value) value = candidate, best_coordinate = coordinate;
            }
            if (best_coordinate != u[j]) u[j] = best_coordinate, improved = true;
        }
        if (!improved) step *= 0.5;
    }
    return value;
}

/* A uniform start, or one near an incumbent (a normal step of 0.02 or 0.1
 * per coordinate, a categorical kept four times out of five). */
static void draw_start(const dial_gp_search *search, dial_rng *rng, bool near, double *u) {
    size_t d = search->gp->d;
    const double *incumbent = NULL;
    if (near && search->n_incumbents)
        incumbent = search->incumbents + dial_rng_below(rng, search->n_incumbents) * d;
    double spread = dial_rng_uniform(rng) < 0.5 ? 0.02 : 0.1;
    for (size_t j = 0; j < d; j++) {
        const dial_param *param = search->params[j];
        size_t choices = choices_of(param);
        double value;
        if (choices)
            value = incumbent && dial_rng_uniform(rng) < 0.8 ? incumbent[j]
                                                             : (double)dial_rng_below(rng, choices);
        else
            value =
                incumbent ? incumbent[j] + spread * dial_rng_normal(rng) : dial_rng_uniform(rng);
        u[j] = snap(param, value);
    }
}

/* The point of most log EI among those at a prepared point's outer
 * values, into u (its log EI returned): starts drawn as the main search
 * draws them with the outer coordinates then set, and a climb of the best
 * start along the free dimensions. point and trial have d entries. */
static double best_reusing(const dial_gp_search *search, dial_rng *rng, double *u, double *point,
                           double *trial, double *scratch) {
    size_t d = search->gp->d;
    const climb_goal free_only = {false, -INFINITY, search->outer};
    double best = -INFINITY;
    for (size_t p = 0; p < search->n_prepared; p++) {
        const double *prepared = search->prepared + p * d;
        double start_value = -INFINITY;
        for (size_t i = 0; i < REUSE_STARTS; i++) {
            draw_start(search, rng, i >= REUSE_STARTS / 2, trial);
            for (size_t j = 0; j < d; j++)
                if (search->outer[j]) trial[j] = prepared[j];
            double value = score(search, trial, scratch);
            if (value > start_value) start_value = value, memcpy(point, trial, d * sizeof *point);
        }
        double value = climb(search, &free_only, point, start_value, trial, scratch);
        if (value > best) best = value, memcpy(u, point, d * sizeof *u);
    }
    return best;
}

dial_status dial_gp_search_point(dial_ctx *ctx, const dial_gp_search *search, uint64_t seed,
                                 uint64_t stream, double *u) {
    size_t d = search->gp->d, n = search->gp->n;
    size_t starts = UNIFORM_STARTS + (search->n_incumbents ? INCUMBENT_STARTS : 0);
    size_t pool = starts + CLIMBS;
    double *points = dial_malloc_array(ctx, pool * d + 1, sizeof *points);
    double *values = dial_malloc_array(ctx, pool, sizeof *values);
    double *scratch = dial_malloc_array(ctx, n + 2 * d + 1, sizeof *scratch);
    size_t *order = dial_malloc_array(ctx, pool, sizeof *order);
    if (!points || !values || !scratch || !order) {
        free(points), free(values), free(scratch), free(order);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory choosing the gp sampler's point");
    }
    double *trial = scratch + n; /* d entries, then d more for the reuse search */
    dial_rng rng = dial_rng_stream(seed, stream);
    for (size_t i = 0; i < starts; i++) {
        draw_start(search, &rng, i >= UNIFORM_STARTS, points + i * d);
        values[i] = score(search, points + i * d, scratch);
    }
    /* The best few starts, by partial selection (ties to the earlier). */
    size_t climbs = 0;
    for (; climbs < CLIMBS && climbs < starts; climbs++) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < starts; i++) {
            bool taken = false;
            for (size_t c = 0; c < climbs; c++) taken = taken || order[c] == i;
            if (!taken && (pick == SIZE_MAX || values[i] > values[pick])) pick = i;
        }
        order[climbs] = pick;
    }
    const climb_goal most_ei = {false, -INFINITY, NULL};
    for (size_t c = 0; c < climbs; c++) {
        double *top = points + (starts + c) * d;
        memcpy(top, points + order[c] * d, d * sizeof *top);
        values[starts + c] = climb(search, &most_ei, top, values[order[c]], trial, scratch);
    }
    size_t total = starts + climbs, chosen = 0;
    for (size_t i = 1; i < total; i++)
        if (values[i] > values[chosen]) chosen = i;
    if (search->n_prepared) {
        dial_rng reuse_rng = dial_rng_stream(seed, stream ^ REUSE_STREAM);
        double value = best_reusing(search, &reuse_rng, u, trial + d, trial, scratch);
        if (value >= values[chosen] - DIAL_GP_REUSE_LOG_MARGIN) {
            free(points), free(values), free(scratch), free(order);
            return DIAL_OK;
        }
    }
    double threshold = values[chosen] - DIAL_GP_TIE_LOG_MARGIN;
    if (search->cost) {
        double best_rate = -INFINITY;
        size_t cheapest = chosen;
        for (size_t i = 0; i < total; i++) {
            if (!(values[i] >= threshold)) continue;
            double rate = per_second(search, values[i], points + i * d);
            if (rate > best_rate) best_rate = rate, cheapest = i;
        }
        chosen = cheapest;
    }
    memcpy(u, points + chosen * d, d * sizeof *u);
    if (search->cost) {
        const climb_goal cheaper = {true, threshold, NULL};
        climb(search, &cheaper, u, per_second(search, values[chosen], u), trial, scratch);
    }
    free(points), free(values), free(scratch), free(order);
    return DIAL_OK;
}
