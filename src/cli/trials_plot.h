/* dial trials --plot: a study's optimisation history drawn in the terminal. */
#ifndef DIAL_CLI_TRIALS_PLOT_H
#define DIAL_CLI_TRIALS_PLOT_H

#include <stdbool.h>
#include <stdio.h>

#include "dial/tune.h"

/* The width a plot takes: $COLUMNS when it is a whole number in [40, 1000]
 * (what a shell exports for its terminal), else 80. */
size_t cli_plot_width(void);

/* Draws the trials of list (ascending number) as a history: one column per
 * trial (or per run of trials when they outnumber the columns), its value
 * as the top edge of a block character, the best so far as a line, pruned
 * trials as a cross at their last intermediate value, failed ones as '!' on
 * the axis; then a legend. metric names the values ("accuracy", "value"),
 * program says a program's study (values in shortest round-trip form, a
 * model's with 4 decimals as the trial table shows them). Writes
 * UTF-8 lines at most width columns wide to out; a list with no value to
 * draw prints one line that says so. Owns nothing. */
void cli_trials_plot(FILE *out, const dial_trial_list *list, dial_direction direction,
                     const char *metric, bool program, size_t width);

#endif
