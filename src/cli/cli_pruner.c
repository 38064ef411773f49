/* The pruner in a run's header (dial tune, run, ask): "pruner: PLAN" on
 * stderr beside the sampler's, said only when the study prunes, so a run
 * without --pruner reads as it always did. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void cli_print_pruner_plan(const dial_study *study) {
    char plan[256];
    dial_study_pruner_plan(study, plan, sizeof plan);
    if (strcmp(plan, "none") != 0) fprintf(stderr, "pruner: %s\n", plan);
}

char *cli_pruned_where(const dial_trial_record *trial, bool program) {
    if (program && trial->n_intermediate > 0)
        return cli_format("pruned at step %lld",
                          (long long)trial->intermediate_steps[trial->n_intermediate - 1]);
    if (!program && trial->n_path > 0)
        return cli_format("pruned at path step %lld",
                          (long long)trial->path_steps[trial->n_path - 1]);
    if (!program && trial->n_intermediate > 0)
        return cli_format("pruned after %zu fold%s", trial->n_intermediate,
                          trial->n_intermediate == 1 ? "" : "s");
    return cli_strdup("pruned before its first step");
}
