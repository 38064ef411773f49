/* The samplers on the command line of dial tune, ask and run: the known
 * configurations of --enqueue, the plan a run's header shows, and the
 * startup trials a study keeps in its identity. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool cli_sampler_learns(dial_sampler_kind kind) {
    return kind == DIAL_SAMPLER_TPE || kind == DIAL_SAMPLER_GP || kind == DIAL_SAMPLER_CMAES ||
           kind == DIAL_SAMPLER_AUTO;
}

dial_status cli_enqueue_items(dial_ctx *ctx, const cli_options *opts, dial_study *study,
                              bool tell_skipped) {
    for (size_t i = 0; i < opts->n_enqueues; i++) {
        bool added = false;
        dial_status status = dial_study_enqueue(ctx, study, opts->enqueues[i], &added);
        if (status == DIAL_OK && !added && tell_skipped)
            fprintf(stderr,
                    "note: --enqueue '%s': study %s holds these values already (queued, or run "
                    "by a trial); not queued again\n",
                    opts->enqueues[i], dial_study_name(study));
        if (status == DIAL_OK) continue;
        /* The library names the item; the option and the whole text say
         * which --enqueue of the command line it came from. */
        char *why = cli_strdup(dial_ctx_error(ctx));
        dial_fail(ctx, status, "--enqueue '%s': %s", opts->enqueues[i], why);
        free(why);
        return status;
    }
    return DIAL_OK;
}

char *cli_sampler_plan(const dial_study *study) {
    char plan[512];
    dial_study_sampler_plan(study, plan, sizeof plan);
    return cli_strdup(plan);
}

void cli_print_sampler_plan(const dial_study *study) {
    char *plan = cli_sampler_plan(study);
    fprintf(stderr, "sampler: %s\n", plan);
    free(plan);
}

bool cli_startup_trials_parse(const char *text, size_t *out) {
    char *end;
    unsigned long long n = *text ? strtoull(text, &end, 10) : 0;
    if (!*text || *text == '-' || *end || n == 0 || n > 1000000) return false;
    *out = (size_t)n;
    return true;
}

dial_status cli_startup_trials_identity(dial_ctx *ctx, dial_sampler_kind kind,
                                        size_t startup_trials, dial_study_identity *identity) {
    if (!cli_sampler_learns(kind)) return DIAL_OK;
    char text[32];
    snprintf(text, sizeof text, "%zu", startup_trials ? startup_trials : CLI_STARTUP_TRIALS);
    return dial_study_identity_set(ctx, identity, "startup_trials", text);
}
