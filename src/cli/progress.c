/* Progress on stderr while trials run, shared by dial tune and dial run
 * (progress.h says what it shows). The executor calls on_trial and
 * on_wait under its lock, so the state needs no lock of its own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/progress.h"

static double monotonic_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

void cli_progress_clear(cli_progress *p) {
    if (!p->bar_shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->bar_shown = false;
}

static void outer_prefix(const cli_progress *p, char *buf, size_t size) {
    if (p->outer)
        snprintf(buf, size, "outer %zu/%zu: ", p->outer, p->n_outer);
    else
        buf[0] = '\0';
}

/* Seconds as the bar shows them: tenths below ten seconds, never ms. */
static char *bar_seconds(double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    return seconds < 9.95 ? cli_format("%.1f s", seconds) : cli_seconds_text(seconds);
}

/* A value as progress shows it: a metric (between 0 and 1, or an error of
 * the data's scale) to 4 decimals; a program's value, whose scale is
 * anyone's, to 6 significant digits. malloc'ed. */
static char *value_text(const cli_progress *p, double value) {
    return p->general_values ? cli_format("%.6g", value) : cli_format("%.4f", value);
}

/* One line, redrawn in place: trials done, a bar, the best so far and its
 * knobs, the time spent and an estimate of the time left. */
void cli_progress_draw(cli_progress *p) {
    if (p->quiet || !p->terminal) return;
    double elapsed = monotonic_now() - p->started;
    int64_t ran = p->done - p->done_before;
    double left = NAN;
    if (p->total > 0 && ran > 0) left = elapsed / (double)ran * (double)(p->total - p->done);
    if (p->timeout > 0)
        left = isnan(left) ? p->timeout - elapsed : fmin(left, p->timeout - elapsed);
    char prefix[64], bar[24], count[64];
    outer_prefix(p, prefix, sizeof prefix);
    size_t width = sizeof bar - 3;
    size_t filled = p->total > 0 ? (size_t)((double)width * (double)p->done / (double)p->total) : 0;
    if (filled > width) filled = width;
    bar[0] = '[';
    for (size_t i = 0; i < width; i++) bar[1 + i] = i < filled ? '#' : '.';
    bar[width + 1] = ']';
    bar[width + 2] = '\0';
    if (p->total > 0)
        snprintf(count, sizeof count, "%lld/%lld %s", (long long)p->done, (long long)p->total, bar);
    else
        snprintf(count, sizeof count, "%lld trials", (long long)p->done);
    char *spent = bar_seconds(elapsed);
    char *remaining = isnan(left) ? cli_strdup("?") : bar_seconds(fmax(left, 0));
    char *value = p->has_best ? value_text(p, p->best) : NULL;
    char *best = p->has_best ? cli_format("best %s %s (%s)", p->metric, value, p->best_knobs)
                             : cli_format("no complete trial yet");
    char line[1024];
    snprintf(line, sizeof line, "%s%s  %s, ~%s left  %s", prefix, count, spent, remaining, best);
    line[CLI_WIDTH - 1] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->bar_shown = true;
    free(spent);
    free(remaining);
    free(value);
    free(best);
}

static bool better(const cli_progress *p, double value) {
    if (!p->has_best) return true;
    return p->direction == DIAL_MAXIMIZE ? value > p->best : value < p->best;
}

static void note_best(cli_progress *p, const dial_trial_record *trial) {
    if (!trial || trial->state != DIAL_TRIAL_COMPLETE || isnan(trial->value) ||
        !better(p, trial->value))
        return;
    p->has_best = true;
    p->best = trial->value;
    free(p->best_knobs);
    p->best_knobs = cli_trial_params_text(trial);
}

void cli_progress_begin(cli_progress *p, int64_t total, int64_t done_before,
                        const dial_trial_record *best) {
    cli_progress_clear(p);
    p->total = total;
    p->done = p->done_before = done_before;
    p->started = monotonic_now();
    p->has_best = false;
    free(p->best_knobs);
    p->best_knobs = NULL;
    note_best(p, best);
}

void cli_progress_on_trial(void *user, const dial_study *study, const dial_trial_record *trial) {
    (void)study;
    cli_progress *p = user;
    if (!trial->stale) p->done++;
    note_best(p, trial);
    if (p->quiet) return;
    if (p->terminal) {
        cli_progress_draw(p);
        return;
    }
    char prefix[64];
    outer_prefix(p, prefix, sizeof prefix);
    char *knobs = cli_trial_params_text(trial);
    char *seconds = cli_seconds_text(cli_trial_seconds(trial));
    if (trial->state == DIAL_TRIAL_COMPLETE) {
        char *value = value_text(p, trial->value);
        fprintf(stderr, "%strial %lld complete: %s %s (%s) %s\n", prefix, (long long)trial->number,
                p->metric, value, knobs, seconds);
        free(value);
    } else {
        /* A message of several lines (a program's stderr) shows its first
         * here; dial trials shows it all. */
        char *where = trial->state == DIAL_TRIAL_PRUNED && !trial->message
                          ? cli_pruned_where(trial, p->general_values)
                          : NULL;
        const char *message = where            ? where + strlen("pruned ")
                              : trial->message ? trial->message
                                               : "no message";
        fprintf(stderr, "%strial %lld %s: %.*s (%s) %s\n", prefix, (long long)trial->number,
                dial_trial_state_name(trial->state), (int)strcspn(message, "\n"), message, knobs,
                seconds);
        free(where);
    }
    fflush(stderr);
    free(knobs);
    free(seconds);
}

/* The study's budget is held by trials of another worker, perhaps a dead
 * one: say why nothing moves for up to a heartbeat period. */
void cli_progress_on_wait(void *user, const dial_study *study, int64_t n_running,
                          double within_seconds) {
    cli_progress *p = user;
    if (p->quiet) return;
    cli_progress_clear(p);
    bool one = n_running == 1;
    fprintf(stderr,
            "study %s: waiting for %lld trial%s running in another worker; if it died, %s here "
            "once %s heartbeat expires (within %g s)\n",
            dial_study_name(study), (long long)n_running, one ? "" : "s",
            one ? "it runs" : "they run", one ? "its" : "their", within_seconds);
    cli_progress_draw(p);
}

void cli_progress_free(cli_progress *p) {
    free(p->best_knobs);
    p->best_knobs = NULL;
}
