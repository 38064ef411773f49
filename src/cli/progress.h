/*
 * Progress on stderr while trials run (dial tune, dial run): on a terminal
 * one line redrawn in place (trials done, a bar, the time spent and left,
 * the best so far and its knobs); elsewhere one line per finished trial;
 * nothing with --quiet. The callbacks fit dial_optimize_options' on_trial
 * and on_wait, which the executor calls under a lock, one at a time.
 */
#ifndef DIAL_CLI_PROGRESS_H
#define DIAL_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dial/dial.h"

typedef struct cli_progress {
    bool quiet, terminal;
    const char *metric;  /* what a value is called: "accuracy", "value" */
    bool general_values; /* values to 6 significant digits (any scale) rather than %.4f */
    dial_direction direction;
    double timeout; /* seconds per search; 0 = none */
    /* the current search: outer fold `outer` of n_outer (0: no outer folds) */
    size_t outer, n_outer;
    int64_t total, done, done_before;
    double started; /* monotonic seconds */
    bool has_best;
    double best;
    char *best_knobs; /* owned */
    bool bar_shown;
} cli_progress;

/* Starts a search of `total` trials (0: no limit) of which done_before are
 * finished already, whose best so far is best (may be NULL): resets the
 * count, the clock and the best. Prints nothing. */
void cli_progress_begin(cli_progress *p, int64_t total, int64_t done_before,
                        const dial_trial_record *best);
/* Draws the bar (on a terminal, without --quiet); clears it. */
void cli_progress_draw(cli_progress *p);
void cli_progress_clear(cli_progress *p);
/* on_trial: counts a finished trial (a stale one does not count) and shows it. */
void cli_progress_on_trial(void *user, const dial_study *study, const dial_trial_record *trial);
/* on_wait: says why nothing moves while trials of another worker hold the budget. */
void cli_progress_on_wait(void *user, const dial_study *study, int64_t n_running,
                          double within_seconds);
/* Frees the best's knobs text. */
void cli_progress_free(cli_progress *p);

#endif
