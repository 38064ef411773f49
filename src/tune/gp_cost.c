/*
 * What a trial costs, for the gp sampler's cost-aware choice: a ridge
 * regression of log seconds on the knobs (gp_model.h). A linear model in
 * the unit coordinates is a power law in a log knob, which is how the cost
 * of most fits grows (an SVM's with C, a forest's with its trees, a
 * network's with its epochs); it needs few trials, costs nothing next to
 * the gp, and cannot overfit the noise of timings the way a second gp
 * could. Only the ordering of near-tied candidates depends on it.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/gp_model.h"

/* The penalty on the slopes, for standardised timings in unit coordinates:
 * enough to keep a knob the timings do not inform near zero effect. */
#define COST_RIDGE 1e-2

/* The features of u: a number's coordinate, a categorical's choices
 * one-hot, then 1 for the intercept. */
static void features(const dial_gp_cost *cost, const double *u, double *out) {
    size_t f = 0;
    for (size_t j = 0; j < cost->d; j++) {
        size_t choices = cost->n_choices[j];
        if (!choices) {
            out[f++] = u[j];
            continue;
        }
        for (size_t c = 0; c < choices; c++) out[f++] = (double)c == u[j] ? 1 : 0;
    }
    out[f] = 1;
}

dial_status dial_gp_cost_fit(dial_ctx *ctx, size_t n, size_t d, const double *x,
                             const double *seconds, const size_t *n_choices, dial_gp_cost *cost,
                             bool *usable) {
    memset(cost, 0, sizeof *cost);
    *usable = false;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) used += isfinite(seconds[i]) && seconds[i] > 0;
    if (used < 3) return DIAL_OK;
    size_t n_features = 0;
    for (size_t j = 0; j < d; j++) n_features += n_choices[j] ? n_choices[j] : 1;
    size_t p = n_features + 1;
    cost->d = d, cost->n_features = n_features, cost->n_choices = n_choices;
    cost->weights = dial_calloc(ctx, p, sizeof *cost->weights);
    double *normal = dial_calloc(ctx, p * p, sizeof *normal);
    double *row = dial_malloc_array(ctx, p, sizeof *row);
    if (!cost->weights || !normal || !row) {
        free(normal), free(row);
        dial_gp_cost_free(cost);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting the gp sampler's cost model");
    }
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(seconds[i]) && seconds[i] > 0)) continue;
        features(cost, x + i * d, row);
        double target = log(seconds[i]);
        for (size_t a = 0; a < p; a++) {
            cost->weights[a] += row[a] * target;
            for (size_t b = 0; b < p; b++) normal[a * p + b] += row[a] * row[b];
        }
    }
    /* The intercept is barely penalised: the mean cost is not in doubt. */
    for (size_t a = 0; a < p; a++)
        normal[a * p + a] += a + 1 < p ? COST_RIDGE * (double)used : 1e-9;
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)p, 1, normal, (lapack_int)p,
                                    cost->weights, 1);
    free(normal), free(row);
    if (info != 0) { /* cannot happen with the ridge; be cost-blind then */
        dial_gp_cost_free(cost);
        return DIAL_OK;
    }
    *usable = true;
    return DIAL_OK;
}

double dial_gp_cost_log_seconds(const dial_gp_cost *cost, const double *u) {
    double total = cost->weights[cost->n_features];
    size_t f = 0;
    for (size_t j = 0; j < cost->d; j++) {
        size_t choices = cost->n_choices[j];
        if (!choices) {
            total += cost->weights[f++] * u[j];
            continue;
        }
        size_t pick = (size_t)u[j];
        if (pick < choices) total += cost->weights[f + pick];
        f += choices;
    }
    return total;
}

void dial_gp_cost_free(dial_gp_cost *cost) {
    if (!cost) return;
    free(cost->weights);
    memset(cost, 0, sizeof *cost);
}
