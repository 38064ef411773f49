/* The plots of a study's page (report_study.h), after Optuna's
 * visualization module: the optimisation history, the parallel
 * coordinates, a slice per knob and the intermediate values (the contour
 * and the importance bars are in report_contour.c). Each draws a figure,
 * or says in its place why it cannot.
 *
 * Colours: the Okabe-Ito blue, orange and vermillion for kinds of marks,
 * and the viridis-like scale for values, all told apart with colour
 * blindness; pruned trials also differ in shape (rings, dashes), not in
 * colour alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"
#include "cli/report_svg.h"

#define WIDTH 640
#define HEIGHT 400
#define BLUE "#0072b2"
#define ORANGE "#e69f00"
#define VERMILLION "#d55e00"

/* The trial's knobs as the CLI lists them, for a mark's hover text. */
char *report_trial_title(const report_study *rs, const dial_trial_record *trial, double value) {
    char number[40];
    report_value_text(rs, value, number, sizeof number);
    char *knobs = rs->program ? cli_program_knobs_text(trial) : cli_trial_params_text(trial);
    char *title = cli_format("trial %lld (%s): %s %s; %s", (long long)trial->number,
                             dial_trial_state_name(trial->state), rs->metric, number, knobs);
    free(knobs);
    return title;
}

/* The number and value alone: the slices and the contour draw a mark per
 * trial for every knob, so their hover text is kept short. */
char *report_trial_title_short(const report_study *rs, const dial_trial_record *trial,
                               double value) {
    char number[40];
    report_value_text(rs, value, number, sizeof number);
    return cli_format("trial %lld: %s", (long long)trial->number, number);
}

/* Where a pruned trial stopped: its last intermediate value (NaN when it
 * reported none). */
static double last_intermediate(const dial_trial_record *trial) {
    if (trial->n_path) return trial->path_values[trial->n_path - 1];
    if (trial->n_intermediate) return trial->intermediate_values[trial->n_intermediate - 1];
    return NAN;
}

void report_value_range(const report_study *rs, double *low, double *high) {
    *low = INFINITY;
    *high = -INFINITY;
    for (size_t i = 0; i < rs->trials.count; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        if (trial->state != DIAL_TRIAL_COMPLETE || !isfinite(trial->value)) continue;
        if (trial->value < *low) *low = trial->value;
        if (trial->value > *high) *high = trial->value;
    }
}

/* t in [0, 1] of a value on the colour scale; higher values are yellow. */
double report_colour_at(double v, double low, double high) {
    return high > low ? (v - low) / (high - low) : 0.5;
}

static char *direction_words(const report_study *rs) {
    return cli_format("%s is better", rs->direction == DIAL_MAXIMIZE ? "higher" : "lower");
}

/* ---- history -------------------------------------------------------------- */

void report_plot_history(report_buf *buf, const report_study *rs) {
    const dial_trial_list *list = &rs->trials;
    size_t n = list->count;
    double *ys = cli_alloc(2 * n + 1, sizeof *ys), *xs = cli_alloc(n + 1, sizeof *xs);
    size_t n_ys = 0;
    for (size_t i = 0; i < n; i++) {
        const dial_trial_record *trial = &list->items[i];
        xs[i] = (double)trial->number;
        if (trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value))
            ys[n_ys++] = trial->value;
        else if (trial->state == DIAL_TRIAL_PRUNED && isfinite(last_intermediate(trial)))
            ys[n_ys++] = last_intermediate(trial);
    }
    if (n_ys == 0) {
        report_missing(buf, "history", "No optimisation history: no trial has a value yet.");
        free(ys);
        free(xs);
        return;
    }
    bool *keep;
    size_t stride, shown = report_thin(rs, report_points_limit(rs), &keep, &stride);
    report_figure_begin(buf, "history");
    report_frame frame = {0};
    report_scale_fit(&frame.x, xs, n, false);
    frame.x.integer = true;
    report_scale_fit(&frame.y, ys, n_ys, false);
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, "optimisation history");
    report_axis_x(&frame, "trial number");
    report_axis_y(&frame, rs->metric);
    /* Best so far: a step line through every trial that improved it. */
    double best = NAN;
    report_polyline_begin(buf);
    for (size_t i = 0; i < n; i++) {
        const dial_trial_record *trial = &list->items[i];
        if (trial->state != DIAL_TRIAL_COMPLETE || !isfinite(trial->value)) continue;
        if (!report_better(rs, trial->value, best)) continue;
        double x = report_scale_at(&frame.x, (double)trial->number);
        if (!isnan(best)) report_polyline_point(buf, x, report_scale_at(&frame.y, best));
        best = trial->value;
        report_polyline_point(buf, x, report_scale_at(&frame.y, best));
    }
    report_polyline_point(buf, frame.x.to, report_scale_at(&frame.y, best));
    report_polyline_end(buf, VERMILLION, 2, 1, false, "best so far");
    for (size_t i = 0; i < n; i++) {
        const dial_trial_record *trial = &list->items[i];
        if (!keep[i]) continue;
        bool complete = trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value);
        double stopped = last_intermediate(trial);
        bool was_pruned = trial->state == DIAL_TRIAL_PRUNED && isfinite(stopped);
        if (!complete && !was_pruned) continue;
        double x = report_scale_at(&frame.x, (double)trial->number);
        char *title = report_trial_title(rs, trial, complete ? trial->value : stopped);
        if (complete)
            report_circle(buf, x, report_scale_at(&frame.y, trial->value), 3.5, BLUE, title);
        else
            report_ring(buf, x, report_scale_at(&frame.y, stopped), 4, ORANGE, title);
        free(title);
    }
    report_frame_end(&frame);
    char *better = direction_words(rs), *thin = report_thin_note(shown, n, stride);
    char *caption = cli_format(
        "Optimisation history: the %s of each complete trial (blue dots) by trial number, and "
        "the best so far (vermillion line; %s).%s%s%s",
        rs->metric, better,
        rs->counts[DIAL_TRIAL_PRUNED] ? " Orange rings: pruned trials, at their last intermediate "
                                        "value."
                                      : "",
        rs->counts[DIAL_TRIAL_FAILED] ? " Failed trials have no value and are not drawn." : "",
        thin);
    report_figure_end(buf, caption);
    free(caption);
    free(better);
    free(thin);
    free(keep);
    free(ys);
    free(xs);
}

/* ---- parallel coordinates ---------------------------------------------------- */

/* The complete trials with a finite value, worst first, so that the best
 * are drawn last, on top. */
static size_t complete_order(const report_study *rs, const bool *keep, size_t **out) {
    size_t *order = cli_alloc(rs->trials.count + 1, sizeof *order), n = 0;
    for (size_t i = 0; i < rs->trials.count; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        if ((!keep || keep[i]) && trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value))
            order[n++] = i;
    }
    /* insertion sort by value: n is at most the thinning limit */
    for (size_t a = 1; a < n; a++) {
        size_t item = order[a], b = a;
        while (b > 0 && report_better(rs, rs->trials.items[order[b - 1]].value,
                                      rs->trials.items[item].value)) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = item;
    }
    *out = order;
    return n;
}

/* Knob k's scale over the complete trials (a categorical's: its columns). */
static void knob_scale(const report_study *rs, size_t k, report_scale *scale) {
    const report_knob *knob = &rs->knobs[k];
    if (knob->categorical) {
        scale->low = -0.5;
        scale->high = (double)knob->n_choices - 0.5;
        scale->log = false;
        return;
    }
    double *values = cli_alloc(rs->trials.count + 1, sizeof *values);
    size_t n = 0;
    for (size_t i = 0; i < rs->trials.count; i++)
        if (report_trial_knob(rs, &rs->trials.items[i], k, &values[n])) n++;
    report_scale_fit(scale, values, n, knob->log);
    free(values);
}

void report_plot_parallel(report_buf *buf, const report_study *rs) {
    if (rs->counts[DIAL_TRIAL_COMPLETE] < 2 || rs->n_knobs == 0) {
        report_missing(buf, "parallel",
                       rs->n_knobs == 0 ? "No parallel coordinates: the study searched no knob."
                                        : "No parallel coordinates: they need at least two "
                                          "complete trials.");
        return;
    }
    bool *keep;
    size_t stride, shown = report_thin(rs, REPORT_MAX_LINES, &keep, &stride);
    size_t *order, n = complete_order(rs, keep, &order);
    double low, high;
    report_value_range(rs, &low, &high);
    size_t n_axes = rs->n_knobs + 1;
    report_scale *scales = cli_alloc(n_axes, sizeof *scales);
    report_figure_begin(buf, "parallel");
    report_frame frame = {
        .left = 64, .right = 70, .top = 36, .bottom = 60}; /* room for a centred axis name */
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, "parallel coordinates");
    double *xs = cli_alloc(n_axes, sizeof *xs);
    for (size_t a = 0; a < n_axes; a++) {
        xs[a] = frame.x.from + (frame.x.to - frame.x.from) * (double)a / (double)(n_axes - 1);
        scales[a].from = frame.y.from;
        scales[a].to = frame.y.to;
        if (a < rs->n_knobs) {
            knob_scale(rs, a, &scales[a]);
        } else {
            double values[2] = {low, high};
            report_scale_fit(&scales[a], values, 2, false);
        }
    }
    for (size_t j = 0; j < n; j++) {
        const dial_trial_record *trial = &rs->trials.items[order[j]];
        char colour[8];
        report_viridis(report_colour_at(trial->value, low, high), colour);
        report_polyline_begin(buf);
        for (size_t a = 0; a < n_axes; a++) {
            double v = trial->value;
            if (a < rs->n_knobs && !report_trial_knob(rs, trial, a, &v)) continue;
            report_polyline_point(buf, xs[a], report_scale_at(&scales[a], v));
        }
        char *title = report_trial_title(rs, trial, trial->value);
        report_polyline_end(buf, colour, 1.5, 0.7, false, title);
        free(title);
    }
    /* Axes on top of the lines, each with its ends or categories. */
    for (size_t a = 0; a < n_axes; a++) {
        report_line(buf, xs[a], frame.y.from, xs[a], frame.y.to, "#333", 1);
        const char *name = a < rs->n_knobs ? rs->knobs[a].name : rs->metric;
        char *label =
            a < rs->n_knobs && rs->knobs[a].log ? cli_format("%s (log)", name) : cli_strdup(name);
        report_text(buf, xs[a], frame.y.from + 20 + (a % 2) * 14, "middle", 12, label);
        free(label);
        if (a < rs->n_knobs && rs->knobs[a].categorical) {
            for (size_t c = 0; c < rs->knobs[a].n_choices; c++)
                report_text(buf, xs[a] + 4, report_scale_at(&scales[a], (double)c) + 4, "start", 11,
                            rs->knobs[a].choices[c]);
            continue;
        }
        /* the last axis's ends go left of it, clear of the colour bar */
        const char *side = a + 1 == n_axes ? "end" : "start";
        double x = a + 1 == n_axes ? xs[a] - 4 : xs[a] + 4;
        char text[32];
        report_number_short(scales[a].low, text, sizeof text);
        report_text(buf, x, frame.y.from - 4, side, 11, text);
        report_number_short(scales[a].high, text, sizeof text);
        report_text(buf, x, frame.y.to - 6 - (double)(a % 2) * 14, side, 11, text);
    }
    report_colorbar(&frame, low, high, rs->metric);
    report_frame_end(&frame);
    char *thin = report_thin_note(shown, rs->trials.count, stride);
    char *caption = cli_format(
        "Parallel coordinates: one line per complete trial through its value of each searched "
        "knob and its %s (last axis), coloured by the %s (yellow: higher); the best are drawn "
        "on top. A knob a trial did not have is skipped.%s",
        rs->metric, rs->metric, thin);
    report_figure_end(buf, caption);
    free(caption);
    free(thin);
    free(xs);
    free(scales);
    free(order);
    free(keep);
}

/* ---- slices --------------------------------------------------------------------- */

/* A small offset in [-0.25, 0.25] of a categorical column, the same for
 * the same trial on every run (no randomness in the page). */
static double column_jitter(int64_t number) {
    uint64_t h = (uint64_t)number * UINT64_C(0x9e3779b97f4a7c15);
    h ^= h >> 29;
    return ((double)(h % 1001) / 1000.0 - 0.5) * 0.5;
}

static void slice_one(report_buf *buf, const report_study *rs, size_t k, const bool *keep,
                      const char *thin) {
    const report_knob *knob = &rs->knobs[k];
    char *name = cli_format("slice-%s", knob->plot_name);
    double *ys = cli_alloc(rs->trials.count + 1, sizeof *ys);
    size_t n_ys = 0;
    for (size_t i = 0; i < rs->trials.count; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        double v;
        if (trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value) &&
            report_trial_knob(rs, trial, k, &v))
            ys[n_ys++] = trial->value;
    }
    if (n_ys == 0) {
        char *why = cli_format("No slice of %s: no complete trial has it.", knob->name);
        report_missing(buf, name, why);
        free(why);
        free(ys);
        free(name);
        return;
    }
    report_figure_begin(buf, name);
    report_frame frame = {0};
    report_scale_fit(&frame.y, ys, n_ys, false);
    knob_scale(rs, k, &frame.x);
    frame.x.integer = knob->integer;
    char *label = cli_format("slice of %s", knob->name);
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, label);
    char *axis = cli_format("%s%s", knob->name, knob->log ? " (log scale)" : "");
    if (knob->categorical)
        report_axis_x_categories(&frame, (const char *const *)knob->choices, knob->n_choices, axis);
    else
        report_axis_x(&frame, axis);
    report_axis_y(&frame, rs->metric);
    size_t n = rs->trials.count;
    for (size_t i = 0; i < n; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        double v;
        if (!keep[i] || trial->state != DIAL_TRIAL_COMPLETE || !isfinite(trial->value) ||
            !report_trial_knob(rs, trial, k, &v))
            continue;
        if (knob->categorical) v += column_jitter(trial->number);
        char colour[8];
        report_viridis(n > 1 ? (double)i / (double)(n - 1) : 0.5, colour);
        char *title = report_trial_title_short(rs, trial, trial->value);
        report_circle(buf, report_scale_at(&frame.x, v), report_scale_at(&frame.y, trial->value),
                      3.5, colour, title);
        free(title);
    }
    report_frame_end(&frame);
    char *caption = cli_format(
        "Slice of %s: the %s of each complete trial against its value of %s%s, coloured by "
        "trial order (purple: first, yellow: last).%s",
        knob->name, rs->metric, knob->name,
        knob->categorical ? " (one column per value, spread sideways to show every trial)"
        : knob->log       ? " on a log axis, as it was searched"
                          : "",
        thin);
    report_figure_end(buf, caption);
    free(caption);
    free(axis);
    free(label);
    free(ys);
    free(name);
}

void report_plot_slices(report_buf *buf, const report_study *rs) {
    bool *keep;
    size_t stride, shown = report_thin(rs, report_points_limit(rs), &keep, &stride);
    char *thin = report_thin_note(shown, rs->trials.count, stride);
    for (size_t k = 0; k < rs->n_knobs; k++) slice_one(buf, rs, k, keep, thin);
    free(thin);
    free(keep);
}

/* ---- intermediate values ---------------------------------------------------------------- */

void report_plot_intermediate(report_buf *buf, const report_study *rs) {
    const dial_trial_list *list = &rs->trials;
    bool path = false, any = false;
    for (size_t i = 0; i < list->count; i++) {
        path = path || list->items[i].n_path > 0;
        any = any || list->items[i].n_intermediate > 0 || list->items[i].n_path > 0;
    }
    if (!any) {
        report_missing(buf, "intermediate",
                       "No intermediate values: no trial reported a step (dial tell --step, or "
                       "the folds of dial tune).");
        return;
    }
    double *xs = NULL, *ys = NULL;
    size_t n_points = 0;
    for (size_t i = 0; i < list->count; i++)
        n_points += path ? list->items[i].n_path : list->items[i].n_intermediate;
    xs = cli_alloc(n_points + 1, sizeof *xs);
    ys = cli_alloc(n_points + 1, sizeof *ys);
    n_points = 0;
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *t = &list->items[i];
        size_t count = path ? t->n_path : t->n_intermediate;
        for (size_t s = 0; s < count; s++) {
            xs[n_points] = (double)(path ? t->path_steps[s] : t->intermediate_steps[s]);
            ys[n_points++] = path ? t->path_values[s] : t->intermediate_values[s];
        }
    }
    bool *keep;
    size_t stride, shown = report_thin(rs, REPORT_MAX_LINES, &keep, &stride);
    report_figure_begin(buf, "intermediate");
    report_frame frame = {0};
    report_scale_fit(&frame.x, xs, n_points, false);
    frame.x.integer = true;
    report_scale_fit(&frame.y, ys, n_points, false);
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, "intermediate values");
    const char *x_label = path ? "path step (rounds or epochs)" : rs->program ? "step" : "fold";
    report_axis_x(&frame, x_label);
    report_axis_y(&frame, rs->metric);
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *t = &list->items[i];
        size_t count = path ? t->n_path : t->n_intermediate;
        if (!keep[i] || count == 0) continue;
        bool pruned = t->state == DIAL_TRIAL_PRUNED;
        char *title = report_trial_title(rs, t, pruned ? last_intermediate(t) : t->value);
        const char *colour = pruned ? ORANGE : BLUE;
        double last_x = 0, last_y = 0;
        if (count > 1) report_polyline_begin(buf);
        for (size_t s = 0; s < count; s++) {
            double x = (double)(path ? t->path_steps[s] : t->intermediate_steps[s]);
            double y = path ? t->path_values[s] : t->intermediate_values[s];
            if (!isfinite(y)) continue;
            last_x = report_scale_at(&frame.x, x);
            last_y = report_scale_at(&frame.y, y);
            if (count > 1) report_polyline_point(buf, last_x, last_y);
        }
        if (count > 1) report_polyline_end(buf, colour, 1.2, 0.6, pruned, title);
        if (pruned)
            report_ring(buf, last_x, last_y, 3.5, VERMILLION, title);
        else if (count == 1)
            report_circle(buf, last_x, last_y, 3, colour, title);
        free(title);
    }
    report_frame_end(&frame);
    char *thin = report_thin_note(shown, list->count, stride);
    char *caption = cli_format(
        "Intermediate values: one line per trial through the %s it reported at each %s; pruned "
        "trials are dashed orange lines that stop where they were stopped (vermillion ring), "
        "the others blue.%s",
        path ? "mean score over the folds" : rs->metric,
        path          ? "step of its model's path knob"
        : rs->program ? "step"
                      : "fold",
        thin);
    report_figure_end(buf, caption);
    free(caption);
    free(thin);
    free(keep);
    free(xs);
    free(ys);
}
