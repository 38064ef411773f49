/* The elbow curve of a clustering study (report_study.h): the study's
 * metric against the knob that sets how many clusters there are (kmeans's
 * k, a gmm's n_components), the plot a practitioner reads to choose it:
 * where the silhouette peaks, where the inertia stops falling fast, where
 * the BIC is lowest. One line per value of a searched categorical knob (a
 * gmm's covariance), so the shapes of covariance are compared k for k.
 *
 * A point is the best complete trial of its number of clusters (and line):
 * a random or Bayesian search may try a k twice, with other knobs, and the
 * curve shows what that k can reach. Its hover text names the trial.
 *
 * Which knob counts the clusters: the family's cluster_proba_knob (the
 * width of a mixture's responsibilities), else its knob named k. A
 * clustering family with neither (dbscan, whose eps and min_samples decide
 * how many clusters it finds) has no curve, and the page says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"
#include "cli/report_svg.h"

#define WIDTH 640
#define HEIGHT 400
#define LEGEND_WIDTH 140 /* the right margin that holds the lines' legend */

/* Okabe-Ito: told apart with the common colour blindnesses; a line also
 * carries its name in the legend. */
static const char *const line_colours[] = {"#0072b2", "#e69f00", "#009e73", "#d55e00",
                                           "#cc79a7", "#56b4e9", "#000000", "#f0e442"};
#define N_COLOURS (sizeof line_colours / sizeof line_colours[0])

typedef struct curve_point {
    double count;  /* the number of clusters */
    size_t line;   /* the categorical knob's choice, 0 without one */
    size_t best;   /* index in the trials of the best trial here */
    size_t trials; /* complete trials here */
} curve_point;

static int point_order(const void *a, const void *b) {
    const curve_point *p = a, *q = b;
    if (p->line != q->line) return p->line < q->line ? -1 : 1;
    return p->count < q->count ? -1 : p->count > q->count;
}

/* The knob's name that counts the clusters of a clustering study's family,
 * or NULL (not a clustering, or a family without such a knob); *family is
 * set when the study's model is a known family. */
static const char *count_knob_name(const report_study *rs, const dial_model_family **family) {
    *family = NULL;
    if (rs->program) return NULL;
    const char *model = dial_study_identity_get(&rs->identity, "model");
    *family = model ? dial_model_family_find(model) : NULL;
    if (!*family || !(*family)->unsupervised) return NULL;
    if ((*family)->cluster_proba_knob) return (*family)->cluster_proba_knob;
    for (size_t k = 0; k < (*family)->n_knobs; k++)
        if (strcmp((*family)->knobs[k].name, "k") == 0 && (*family)->knobs[k].type == DIAL_KNOB_INT)
            return "k";
    return NULL;
}

static long find_knob(const report_study *rs, const char *name) {
    for (size_t k = 0; k < rs->n_knobs; k++)
        if (strcmp(rs->knobs[k].name, name) == 0) return (long)k;
    return -1;
}

/* The trial's number of clusters: the knob's value, or when the study
 * searched a list of values (--space k=2,4,7, a categorical) the number
 * its choice reads as. */
static bool trial_count(const report_study *rs, const dial_trial_record *trial, size_t k,
                        double *count) {
    if (!report_trial_knob(rs, trial, k, count)) return false;
    if (!rs->knobs[k].categorical) return true;
    char *end;
    const char *text = rs->knobs[k].choices[(size_t)*count];
    *count = strtod(text, &end);
    return end != text && *end == '\0' && isfinite(*count);
}

/* The best complete trial of each (count, line), sorted by line then
 * count. Returns how many points; *out is malloc'ed. */
static size_t curve_points(const report_study *rs, size_t x_knob, long line_knob,
                           curve_point **out) {
    curve_point *points = cli_alloc(rs->trials.count + 1, sizeof *points);
    size_t n = 0;
    for (size_t i = 0; i < rs->trials.count; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        double count, line = 0;
        if (trial->state != DIAL_TRIAL_COMPLETE || !isfinite(trial->value) ||
            !trial_count(rs, trial, x_knob, &count) ||
            (line_knob >= 0 && !report_trial_knob(rs, trial, (size_t)line_knob, &line)))
            continue;
        size_t at = 0;
        while (at < n && !(points[at].count == count && points[at].line == (size_t)line)) at++;
        if (at == n) points[n++] = (curve_point){count, (size_t)line, i, 0};
        points[at].trials++;
        if (report_better(rs, trial->value, rs->trials.items[points[at].best].value))
            points[at].best = i;
    }
    qsort(points, n, sizeof *points, point_order);
    *out = points;
    return n;
}

/* "k=3, covariance=full: bic 236.1259 (trial 29, the best of 2 trials)" */
static char *point_title(const report_study *rs, const curve_point *p, size_t x_knob,
                         long line_knob) {
    const dial_trial_record *trial = &rs->trials.items[p->best];
    char value[40];
    report_value_text(rs, trial->value, value, sizeof value);
    char *line = line_knob >= 0 ? cli_format(", %s=%s", rs->knobs[line_knob].name,
                                             rs->knobs[line_knob].choices[p->line])
                                : cli_strdup("");
    char *title = cli_format("%s=%.0f%s: %s %s (trial %lld, the best of %zu trial%s)",
                             rs->knobs[x_knob].name, p->count, line, rs->metric, value,
                             (long long)trial->number, p->trials, p->trials == 1 ? "" : "s");
    free(line);
    return title;
}

/* A legend in the frame's right margin (the plot's lines stay clear of
 * it): the knob's name, then a short stroke of each line's colour and its
 * value, spaced for the larger text of a phone's page. */
static void curve_legend(report_buf *buf, const report_frame *frame, const report_knob *knob,
                         const bool *used) {
    double x = frame->x.to + 14, y = frame->y.to + 12;
    report_text(buf, x, y, "start", 11, knob->name);
    for (size_t c = 0; c < knob->n_choices; c++) {
        if (!used[c]) continue;
        y += 24;
        report_line(buf, x, y - 4, x + 16, y - 4, line_colours[c % N_COLOURS], 3);
        report_text(buf, x + 22, y, "start", 11, knob->choices[c]);
    }
}

void report_plot_cluster_curve(report_buf *buf, const report_study *rs) {
    const dial_model_family *family;
    const char *name = count_knob_name(rs, &family);
    if (!family || !family->unsupervised) return; /* not a clustering: no such plot */
    if (!name) {
        char *why = cli_format("No elbow curve: %s has no knob that sets the number of clusters "
                               "(its other knobs decide how many it finds).",
                               family->name);
        report_missing(buf, "elbow", why);
        free(why);
        return;
    }
    long x_knob = find_knob(rs, name);
    if (x_knob < 0) {
        char *why = cli_format("No elbow curve: the study did not search %s, the number of "
                               "clusters (search it with --space %s=2..10).",
                               name, name);
        report_missing(buf, "elbow", why);
        free(why);
        return;
    }
    long line_knob = -1;
    for (size_t k = 0; k < rs->n_knobs && line_knob < 0; k++)
        if (rs->knobs[k].categorical && rs->knobs[k].n_choices > 0 && (long)k != x_knob)
            line_knob = (long)k;
    curve_point *points;
    size_t n = curve_points(rs, (size_t)x_knob, line_knob, &points);
    if (n == 0) {
        report_missing(buf, "elbow", "No elbow curve: no complete trial yet.");
        free(points);
        return;
    }
    double *xs = cli_alloc(n, sizeof *xs), *ys = cli_alloc(n, sizeof *ys);
    for (size_t p = 0; p < n; p++) {
        xs[p] = points[p].count;
        ys[p] = rs->trials.items[points[p].best].value;
    }
    size_t n_lines = line_knob >= 0 ? rs->knobs[line_knob].n_choices : 1;
    bool *used = cli_alloc(n_lines, sizeof *used);
    for (size_t p = 0; p < n; p++) used[points[p].line] = true;
    /* Beyond the plots' point limit the marks go and the lines stay. */
    bool marks = n <= report_points_limit(rs);
    report_figure_begin(buf, "elbow");
    report_frame frame = {.right = line_knob >= 0 ? LEGEND_WIDTH : 0};
    report_scale_fit(&frame.x, xs, n, false);
    frame.x.integer = true;
    report_scale_fit(&frame.y, ys, n, false);
    report_frame_begin(&frame, buf, WIDTH, HEIGHT, "elbow curve");
    report_axis_x(&frame, name);
    report_axis_y(&frame, rs->metric);
    for (size_t first = 0; first < n;) {
        size_t last = first;
        while (last + 1 < n && points[last + 1].line == points[first].line) last++;
        const char *colour = line_colours[points[first].line % N_COLOURS];
        if (last > first) {
            report_polyline_begin(buf);
            for (size_t p = first; p <= last; p++)
                report_polyline_point(buf, report_scale_at(&frame.x, xs[p]),
                                      report_scale_at(&frame.y, ys[p]));
            char *title = line_knob >= 0
                              ? cli_format("%s=%s", rs->knobs[line_knob].name,
                                           rs->knobs[line_knob].choices[points[first].line])
                              : cli_strdup(rs->metric);
            report_polyline_end(buf, colour, 2, 1, false, title);
            free(title);
        }
        for (size_t p = first; p <= last && (marks || last == first); p++) {
            char *title = point_title(rs, &points[p], (size_t)x_knob, line_knob);
            report_circle(buf, report_scale_at(&frame.x, xs[p]), report_scale_at(&frame.y, ys[p]),
                          4, colour, title);
            free(title);
        }
        first = last + 1;
    }
    if (line_knob >= 0) curve_legend(buf, &frame, &rs->knobs[line_knob], used);
    report_frame_end(&frame);
    char *per_line = line_knob >= 0 ? cli_format(", one line per %s", rs->knobs[line_knob].name)
                                    : cli_strdup("");
    char *caption = cli_format(
        "Elbow curve: the best %s of the complete trials at each %s (the number of clusters)%s; "
        "%s is better.%s",
        rs->metric, name, per_line, rs->direction == DIAL_MAXIMIZE ? "higher" : "lower",
        marks ? " Hover a point for its trial." : " Too many points to mark: the lines only.");
    report_figure_end(buf, caption);
    free(caption);
    free(per_line);
    free(used);
    free(xs);
    free(ys);
    free(points);
}
