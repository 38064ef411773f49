/*
 * What the model-based samplers share: a parameter's value as a unit
 * coordinate and back (the inverse of dial_sampler_from_unit, so a model
 * works in the unit cube whatever the scale), and which parameters apply
 * at a point of a conditional space.
 */
#include <math.h>
#include <string.h>

#include "tune/sampler_internal.h"

/* Keeps a coordinate strictly inside (0, 1), where every model's inverse
 * transform is defined. */
static double inside(double u) {
    if (!(u > 1e-12)) return 1e-12;
    if (u > 1 - 1e-12) return 1 - 1e-12;
    return u;
}

/* The centre of cell k of count equal cells of [0, 1). */
static double cell_centre(double k, double count) {
    return (fmin(fmax(k, 0), count - 1) + 0.5) / count;
}

static double int_to_unit(const dial_param *param, double value) {
    double low = ceil(param->low), high = floor(param->high);
    if (!(low < high)) return 0.5;
    double step = param->step >= 1 ? floor(param->step) : 1;
    double count = floor((high - low) / step) + 1;
    if (!param->log || low < 1) return cell_centre(round((value - low) / step), count);
    /* from_unit_int's log axis: value v owns the cell around log(v) of the
     * axis from log(low - 1/2) to log(high + 1/2). */
    double a = log(low - 0.5), b = log(high + 0.5);
    return (log(fmax(value, low)) - a) / (b - a);
}

static double float_to_unit(const dial_param *param, double value) {
    double low = param->low, high = param->high;
    if (param->step > 0 && !param->log) {
        double count = dial_sampler_step_count(low, high, param->step);
        return cell_centre(round((value - low) / param->step), count);
    }
    if (param->log) return (log(fmax(value, low)) - log(low)) / (log(high) - log(low));
    return (value - low) / (high - low);
}

double dial_sampler_to_unit(const dial_param *param, double value) {
    if (param->fixed || param->low == param->high || isnan(value)) return 0.5;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE:
        return inside(cell_centre(value - param->low, param->high - param->low + 1));
    case DIAL_PARAM_INT: return inside(int_to_unit(param, value));
    case DIAL_PARAM_FLOAT: return inside(float_to_unit(param, value));
    }
    return 0.5;
}

bool dial_sampler_point_active(const dial_space *space, size_t i, const double *point) {
    char controller[128];
    const char *values =
        dial_knob_condition_split(space->params[i].condition, controller, sizeof controller);
    long control = values ? dial_space_find(space, controller) : -1;
    if (control < 0 || (size_t)control == i) return true;
    const dial_param *param = &space->params[control];
    double index = point[control];
    if (param->kind != DIAL_PARAM_CHOICE || isnan(index)) return false;
    size_t pick = (size_t)index;
    if (!(index >= 0) || pick >= param->n_choices) return false;
    const char *chosen = param->choices[pick];
    size_t length = strlen(chosen);
    for (const char *p = values;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == length && strncmp(p, chosen, n) == 0) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

void dial_sampler_point_settle(const dial_space *space, double *point) {
    /* A parameter turned off turns off those it controls: repeat until
     * nothing changes (a chain is at most n long; conditions have no cycle). */
    for (size_t pass = 0; pass <= space->n; pass++) {
        bool changed = false;
        for (size_t i = 0; i < space->n; i++)
            if (!isnan(point[i]) && !dial_sampler_point_active(space, i, point)) {
                point[i] = NAN;
                changed = true;
            }
        if (!changed) return;
    }
}

bool dial_sampler_space_continuous(const dial_space *space) {
    for (size_t i = 0; i < space->n; i++)
        if (space->params[i].kind == DIAL_PARAM_CHOICE && !space->params[i].fixed) return false;
    return space->n > 0;
}
