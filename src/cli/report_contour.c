/* The contour and the knob importance of a study's page (report_study.h):
 * the two plots that rest on the importance, the contour drawn as LIBSVM's
 * grid.py draws C against gamma. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"
#include "cli/report_svg.h"

#define WIDTH 640
#define HEIGHT 400
#define BLUE "#0072b2"

/* ---- contour ------------------------------------------------------------------------ */

#define GRID_X 32
#define GRID_Y 20

/* The two numeric knobs to draw: the most important first when the
 * importance is known, else the study's order. */
static bool contour_knobs(const report_study *rs, size_t pick[2]) {
    size_t found = 0;
    if (rs->has_importance) {
        /* a knob active in fewer than half the trials (a conditional one)
         * would leave the pair few trials to draw */
        for (size_t r = 0; r < rs->importance.n_knobs && found < 2; r++) {
            const dial_knob_share *share = &rs->importance.knobs[r];
            if (2 * share->n_trials < rs->importance.n_trials) continue;
            for (size_t k = 0; k < rs->n_knobs; k++)
                if (!rs->knobs[k].categorical && strcmp(rs->knobs[k].name, share->knob) == 0)
                    pick[found++] = k;
        }
        if (found == 2) return true;
        found = 0;
    }
    for (size_t k = 0; k < rs->n_knobs && found < 2; k++)
        if (!rs->knobs[k].categorical) pick[found++] = k;
    return found == 2;
}

/* The pair in the study's order, x first: svm's C across and gamma up, as
 * grid.py draws them, whichever of the two matters more. */
static bool contour_axes(const report_study *rs, size_t pick[2]) {
    if (!contour_knobs(rs, pick)) return false;
    if (pick[0] > pick[1]) {
        size_t first = pick[1];
        pick[1] = pick[0];
        pick[0] = first;
    }
    return true;
}

void report_plot_contour(report_buf *buf, const report_study *rs) {
    size_t pick[2];
    if (!contour_axes(rs, pick)) {
        report_missing(buf, "contour",
                       "No contour: it needs two numeric knobs, and this study searched fewer.");
        return;
    }
    size_t n = rs->trials.count, m = 0;
    double *px = cli_alloc(n + 1, sizeof *px), *py = cli_alloc(n + 1, sizeof *py),
           *pv = cli_alloc(n + 1, sizeof *pv);
    size_t *index = cli_alloc(n + 1, sizeof *index);
    for (size_t i = 0; i < n; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        if (trial->state != DIAL_TRIAL_COMPLETE || !isfinite(trial->value)) continue;
        if (!report_trial_knob(rs, trial, pick[0], &px[m]) ||
            !report_trial_knob(rs, trial, pick[1], &py[m]))
            continue;
        pv[m] = trial->value;
        index[m++] = i;
    }
    if (m < 3) {
        char *why = cli_format("No contour of %s and %s: it needs at least 3 complete trials with "
                               "both, and the study has %zu.",
                               rs->knobs[pick[0]].name, rs->knobs[pick[1]].name, m);
        report_missing(buf, "contour", why);
        free(why);
        free(px);
        free(py);
        free(pv);
        free(index);
        return;
    }
    double low, high;
    report_value_range(rs, &low, &high);
    report_figure_begin(buf, "contour");
    report_frame frame = {.right = 80, .no_grid = true};
    report_scale_fit(&frame.x, px, m, rs->knobs[pick[0]].log);
    report_scale_fit(&frame.y, py, m, rs->knobs[pick[1]].log);
    frame.x.integer = rs->knobs[pick[0]].integer;
    frame.y.integer = rs->knobs[pick[1]].integer;
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, "contour");
    /* Each cell takes the inverse-distance-weighted mean of the trials'
     * values, distances in the plot's own (log where searched so)
     * coordinates: near a trial the colour is its value. */
    double cell_w = (frame.x.to - frame.x.from) / GRID_X,
           cell_h = (frame.y.from - frame.y.to) / GRID_Y;
    double *sx = cli_alloc(m, sizeof *sx), *sy = cli_alloc(m, sizeof *sy);
    for (size_t j = 0; j < m; j++) {
        sx[j] = report_scale_at(&frame.x, px[j]);
        sy[j] = report_scale_at(&frame.y, py[j]);
    }
    for (int gy = 0; gy < GRID_Y; gy++)
        for (int gx = 0; gx < GRID_X; gx++) {
            double cx = frame.x.from + (gx + 0.5) * cell_w, cy = frame.y.to + (gy + 0.5) * cell_h;
            double weight = 0, sum = 0;
            for (size_t j = 0; j < m; j++) {
                double d2 = (sx[j] - cx) * (sx[j] - cx) + (sy[j] - cy) * (sy[j] - cy) + 1e-6;
                double w = 1 / (d2 * d2);
                weight += w;
                sum += w * pv[j];
            }
            char colour[8];
            report_viridis(report_colour_at(sum / weight, low, high), colour);
            report_rect(buf, frame.x.from + gx * cell_w, frame.y.to + gy * cell_h, cell_w + 0.3,
                        cell_h + 0.3, colour, NULL);
        }
    bool *keep;
    size_t stride, shown = report_thin(rs, report_points_limit(rs), &keep, &stride);
    for (size_t j = 0; j < m; j++) {
        if (!keep[index[j]]) continue;
        const dial_trial_record *trial = &rs->trials.items[index[j]];
        char *title = report_trial_title_short(rs, trial, trial->value);
        report_printf(buf,
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#fff\" stroke=\"#222\" "
                      "stroke-width=\"1\"><title>",
                      sx[j], sy[j]);
        report_escape(buf, title);
        report_puts(buf, "</title></circle>\n");
        free(title);
    }
    char *x_label =
        cli_format("%s%s", rs->knobs[pick[0]].name, rs->knobs[pick[0]].log ? " (log scale)" : "");
    char *y_label =
        cli_format("%s%s", rs->knobs[pick[1]].name, rs->knobs[pick[1]].log ? " (log scale)" : "");
    report_axis_x(&frame, x_label);
    report_axis_y(&frame, y_label);
    report_colorbar(&frame, low, high, rs->metric);
    report_frame_end(&frame);
    char *thin = report_thin_note(shown, n, stride);
    char *caption = cli_format(
        "Contour of %s against %s%s: the colour is the %s interpolated between the complete "
        "trials (white dots) by inverse-distance weighting (yellow: higher), as LIBSVM's grid.py "
        "draws C against gamma.%s",
        rs->knobs[pick[1]].name, rs->knobs[pick[0]].name,
        rs->has_importance ? ", the two most important numeric knobs" : "", rs->metric, thin);
    report_figure_end(buf, caption);
    free(caption);
    free(thin);
    free(keep);
    free(x_label);
    free(y_label);
    free(sx);
    free(sy);
    free(px);
    free(py);
    free(pv);
    free(index);
}

/* ---- importance ------------------------------------------------------------------------ */

void report_plot_importance(report_buf *buf, const report_study *rs) {
    if (!rs->has_importance) {
        char *why = cli_format("No knob importance: %s",
                               rs->importance_refusal ? rs->importance_refusal : "not computed");
        report_missing(buf, "importance", why);
        free(why);
        return;
    }
    const dial_knob_importance_result *result = &rs->importance;
    size_t n = result->n_knobs;
    double largest = 0;
    for (size_t i = 0; i < n; i++) largest = fmax(largest, result->knobs[i].importance);
    report_figure_begin(buf, "importance");
    double bar = 26, height = 70 + bar * (double)n;
    report_frame frame = {.left = 150, .right = 70};
    frame.x.low = 0;
    frame.x.high = largest > 0 ? largest * 1.05 : 1;
    frame.y.low = 0;
    frame.y.high = 1;
    report_frame_begin(&frame, buf, WIDTH, height, "knob importance");
    report_axis_x(&frame, "share of the variation of the value");
    for (size_t i = 0; i < n; i++) {
        const dial_knob_share *share = &result->knobs[i];
        double y = frame.top + bar * (double)i + 4;
        double w = report_scale_at(&frame.x, share->importance) - frame.x.from;
        char value[32];
        snprintf(value, sizeof value, "%.4f", share->importance);
        char *title = cli_format("%s: %s", share->knob, value);
        report_rect(buf, frame.x.from, y, w > 0 ? w : 0.5, bar - 8, BLUE, title);
        report_text(buf, frame.x.from - 6, y + bar / 2, "end", 12, share->knob);
        report_text(buf, frame.x.from + w + 4, y + bar / 2, "start", 12, value);
        free(title);
    }
    report_frame_end(&frame);
    char *caption = cli_format(
        "Knob importance by %s over %zu complete trials: each knob's share of the variation of "
        "the %s (the shares sum to 1), as 'dial knob-importance' prints it.",
        result->method == DIAL_KNOB_IMPORTANCE_FANOVA ? "fANOVA" : "PED-ANOVA", result->n_trials,
        rs->metric);
    report_figure_end(buf, caption);
    free(caption);
}
