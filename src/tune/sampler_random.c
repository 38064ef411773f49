/*
 * Random search: each parameter of each trial is an independent draw on the
 * parameter's own scale (over a finite space, sampler_distinct.c deals its
 * points without repeats first, weighted by the probabilities below). The draw for (trial number,
 * parameter) comes from its own stream, keyed by the seed, the number and a hash of the name, so it
 * does not depend on which parameters were asked before, in what order, or on which worker: the
 * same seed gives the same trials with any --jobs.
 *
 * The unit-to-scale mapping is shared with the quasi-random sampler, which
 * feeds it Sobol coordinates instead of random ones.
 */
#include <math.h>
#include <stdlib.h>

#include "tune/sampler_internal.h"

/* FNV-1a, 64 bits: a stable hash of the parameter's name (the same on every
 * platform and run, unlike a pointer). */
static uint64_t name_hash(const char *name) {
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        hash ^= *p;
        hash *= UINT64_C(0x100000001b3);
    }
    return hash;
}

/* Index k in [0, count) of the cell of u when [0, 1) is cut into count equal
 * cells: every cell, the first and the last included, is equally likely. */
static double cell_of(double u, double count) {
    double k = floor(u * count);
    return k > count - 1 ? count - 1 : k;
}

static double from_unit_int(const dial_param *param, double u) {
    /* Bounds that are not integers (a C caller's) shrink to the integers
     * inside them. */
    double low = ceil(param->low), high = floor(param->high);
    if (!(low < high)) return low <= high ? low : param->low;
    double step = param->step >= 1 ? floor(param->step) : 1;
    double count = floor((high - low) / step) + 1;
    if (!param->log || low < 1) return low + cell_of(u, count) * step;
    /* On a log scale each integer i owns [i - 1/2, i + 1/2) of the log
     * axis, so the two ends get their half cells too and stay reachable. */
    double a = log(low - 0.5), b = log(high + 0.5);
    double k = round((exp(a + u * (b - a)) - low) / step);
    return low + fmin(fmax(k, 0), count - 1) * step;
}

static double from_unit_float(const dial_param *param, double u) {
    double low = param->low, high = param->high;
    double v;
    if (param->log) {
        double a = log(low), b = log(high);
        v = exp(a + u * (b - a));
    } else {
        v = low + u * (high - low);
    }
    if (param->step > 0) {
        double count = dial_sampler_step_count(low, high, param->step);
        double k = param->log ? round((v - low) / param->step) : cell_of(u, count);
        v = low + fmin(fmax(k, 0), count - 1) * param->step;
    }
    /* exp(log(x)) can land an ulp outside the range. */
    return fmin(fmax(v, low), high);
}

double dial_sampler_step_count(double low, double high, double step) {
    /* The tolerance keeps a last point that rounding put a hair past high
     * (0.1..0.3 by 0.1 has three points, though (0.3 - 0.1) / 0.1 < 2). */
    return floor((high - low) / step + 1e-9) + 1;
}

double dial_sampler_from_unit(const dial_param *param, double u) {
    if (!(u >= 0)) u = 0;
    if (u >= 1) u = nextafter(1.0, 0.0);
    if (param->fixed || param->low == param->high) return param->low;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE: return param->low + cell_of(u, param->high - param->low + 1);
    case DIAL_PARAM_INT: return from_unit_int(param, u);
    case DIAL_PARAM_FLOAT: return from_unit_float(param, u);
    }
    return param->low;
}

double dial_sampler_random_value(uint64_t seed, int64_t number, const dial_param *param) {
    /* Multiplying by an odd constant keeps distinct numbers distinct, and
     * dial_rng_stream mixes the id, so nearby numbers start far apart. */
    uint64_t stream = name_hash(param->name) ^ ((uint64_t)number * UINT64_C(0x9e3779b97f4a7c15));
    dial_rng rng = dial_rng_stream(seed, stream);
    return dial_sampler_from_unit(param, dial_rng_uniform(&rng));
}

/* Where u crosses into the cell of the value at offset (k + half) steps
 * from low on a log axis from log(a) to log(b), within [0, 1]. */
static double log_boundary(double low, double step, double k, double a, double b) {
    double at = low + k * step;
    if (!(at > a)) return 0;
    if (!(at < b)) return 1;
    return (log(at) - log(a)) / (log(b) - log(a));
}

double dial_sampler_value_probability(const dial_param *param, double value) {
    if (param->fixed || param->low == param->high) return 1;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE: return 1 / (param->high - param->low + 1);
    case DIAL_PARAM_INT: {
        double low = ceil(param->low), high = floor(param->high);
        if (!(low < high)) return 1;
        double step = param->step >= 1 ? floor(param->step) : 1;
        double count = floor((high - low) / step) + 1;
        if (!param->log || low < 1) return 1 / count;
        /* from_unit_int: the value at k steps owns the log axis between
         * the points half a step either side, cut to the range's ends. */
        double k = round((value - low) / step);
        double a = low - 0.5, b = high + 0.5;
        double from = k <= 0 ? 0 : log_boundary(low, step, k - 0.5, a, b);
        double to = k >= count - 1 ? 1 : log_boundary(low, step, k + 0.5, a, b);
        return fmax(to - from, 0);
    }
    case DIAL_PARAM_FLOAT: {
        if (!(param->step > 0)) return 0; /* a continuum: no value has a mass */
        double low = param->low, high = param->high;
        double count = dial_sampler_step_count(low, high, param->step);
        if (!param->log) return 1 / count;
        double k = round((value - low) / param->step);
        double from = k <= 0 ? 0 : log_boundary(low, param->step, k - 0.5, low, high);
        double to = k >= count - 1 ? 1 : log_boundary(low, param->step, k + 0.5, low, high);
        return fmax(to - from, 0);
    }
    }
    return 0;
}

/* ---- the random sampler's table ---------------------------------------------- */

/* A finite space deals its points without repeats first
 * (sampler_distinct.c); a parameter inactive at the point dealt is drawn,
 * should the caller ask for it anyway. */
static bool random_suggest(const dial_sampler *sampler, int64_t number, long index,
                           const dial_param *own, double *value) {
    (void)own;
    if (index < 0 || number >= sampler->n_distinct) return false;
    int64_t point = sampler->distinct_order[number];
    if (!dial_grid_active(sampler->distinct, point, (size_t)index)) return false;
    *value = dial_grid_value(sampler->distinct, point, (size_t)index);
    return true;
}

const dial_sampler_ops dial_sampler_random_ops = {
    .kind = DIAL_SAMPLER_RANDOM,
    .name = "random",
    .create = dial_distinct_init,
    .suggest = random_suggest,
    .free = dial_distinct_free,
};
