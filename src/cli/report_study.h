/*
 * What `dial report` knows of a study while it draws it: the trials read
 * once (a snapshot, also of a running study), the identity the study was
 * created with, the searched knobs with their scales and categories, the
 * knob importance (or why there is none), and the counts. Internal to
 * cmd_report.c, report_study.c, report_study_plots.c, report_contour.c,
 * report_cluster_curve.c and report_model.c.
 */
#ifndef DIAL_CLI_REPORT_STUDY_H
#define DIAL_CLI_REPORT_STUDY_H

#include "cli/report_html.h"
#include "dial/knob_importance.h"

/* Past report_points_limit trials a plot draws every k-th one (the best
 * always) and its caption says so; the trial table lists them all. The
 * limit shrinks with the knobs (a slice each), so that the page of a
 * 10,000-trial study stays under REPORT_MAX_BYTES. */
struct report_study;
size_t report_points_limit(const struct report_study *rs);
/* Lines are heavier than points: parallel coordinates and intermediate
 * values draw at most this many trials. */
#define REPORT_MAX_LINES 400

/* A searched knob as the plots draw it. */
typedef struct report_knob {
    const char *name; /* borrowed from the trials */
    char *plot_name;  /* "slice-" id part (report_plot_name); owned */
    bool categorical, log;
    bool integer; /* an int knob: whole-number ticks */
    size_t n_choices;
    char **choices; /* owned: a categorical's values, in the space's order */
} report_knob;

typedef struct report_study {
    const char *path;
    dial_study *study;
    dial_direction direction;
    bool program; /* dial run / ask / tell: no model, no data */
    dial_trial_list trials;
    dial_study_identity identity;
    dial_space space;
    bool has_space;
    size_t n_knobs;
    report_knob *knobs; /* owned, in order of first appearance */
    dial_knob_importance_result importance;
    bool has_importance;
    char *importance_refusal; /* owned: why there is no importance, or NULL */
    long best;                /* index in trials of the best complete trial, or -1 */
    size_t counts[4];         /* per dial_trial_state */
    const char *metric;       /* the value's name: the metric, or "value" */
    char *sampler_plan;       /* owned: dial_study_sampler_plan's line, or NULL */
    char *pruner_plan;        /* owned: dial_study_pruner_plan's line, or NULL */
} report_study;

/* Reads study name (NULL: the file's only one) of path: its trials, its
 * identity, space, knobs and importance (a refusal is kept, not an error).
 * Errors: cli_open_study's and the storage's (message on ctx). Free with
 * report_study_free either way. */
dial_status report_study_read(dial_ctx *ctx, const char *path, const char *name, report_study *out);
void report_study_free(report_study *rs);

/* The trial's value of knob k into *value (a categorical's choice index);
 * false when the trial did not have the knob. */
bool report_trial_knob(const report_study *rs, const dial_trial_record *trial, size_t k,
                       double *value);
/* The trial's value of knob k as the CLI prints it (dial trials: a
 * model's float knob to 4 significant digits, a program's knob as dial ask
 * prints it), or NULL
 * when it has none. malloc'ed. */
char *report_trial_knob_text(const report_study *rs, const dial_trial_record *trial, size_t k);
/* A value as the CLI prints it: dial trials' "%.4f" for a model's study,
 * the shortest round-trip form for a program's. */
void report_value_text(const report_study *rs, double value, char *buf, size_t size);
/* Whether a is better than b in the study's direction (NaN never is). */
bool report_better(const report_study *rs, double a, double b);
/* Which trials a plot draws: every trial when at most max, else every k-th
 * and the best. Fills keep[i] (trials.count entries, malloc'ed) and
 * returns how many are kept; *stride is k (1: all). */
size_t report_thin(const report_study *rs, size_t max, bool **keep, size_t *stride);
/* The caption's note when a plot was thinned: " Showing 1,500 of 10,000
 * trials (every 7th, and the best)." or "". malloc'ed. */
char *report_thin_note(size_t shown, size_t total, size_t stride);

/* Helpers the plots share (report_study_plots.c). A mark's hover text:
 * the trial, its state, value and knobs; or its number and value alone. */
char *report_trial_title(const report_study *rs, const dial_trial_record *trial, double value);
char *report_trial_title_short(const report_study *rs, const dial_trial_record *trial,
                               double value);
/* The complete trials' lowest and highest finite value. */
void report_value_range(const report_study *rs, double *low, double *high);
/* t in [0, 1] of a value on the colour scale; higher values are yellow. */
double report_colour_at(double v, double low, double high);

/* The plots, each a figure or its missing-paragraph (report_study_plots.c;
 * the contour and the importance in report_contour.c). */
void report_plot_history(report_buf *buf, const report_study *rs);
void report_plot_parallel(report_buf *buf, const report_study *rs);
void report_plot_slices(report_buf *buf, const report_study *rs);
void report_plot_contour(report_buf *buf, const report_study *rs);
void report_plot_importance(report_buf *buf, const report_study *rs);
void report_plot_intermediate(report_buf *buf, const report_study *rs);
/* A clustering study's elbow curve (report_cluster_curve.c): its metric
 * against the number of clusters; nothing for a study of another kind. */
void report_plot_cluster_curve(report_buf *buf, const report_study *rs);

/* The model page (report_model.c): returns an exit status after writing
 * it to output or printing one error line. */
int report_model_page(dial_ctx *ctx, const char *path, const char *output);

#endif
