/* dial tune --warm-start STUDY: a new search that starts from an old
 * study's trials (dial_study_warm_start): its best knobs first, all its
 * complete trials as the sampler's prior. Here: opening the old study,
 * refusing one of another model or metric, and the line that says what
 * was taken (docs/retrain.md). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

dial_status cli_warm_start_open(dial_ctx *ctx, const cli_options *opts, const char *model,
                                const char *metric, dial_study **old) {
    *old = NULL;
    if (!opts->warm_start) return DIAL_OK;
    dial_status status = cli_open_study(ctx, opts->warm_start, opts->warm_start_name, old);
    if (status != DIAL_OK) {
        char *why = cli_strdup(dial_ctx_error(ctx));
        status = dial_fail(ctx, status, "--warm-start: %s", why);
        free(why);
        return status;
    }
    dial_study_identity identity = {0};
    bool found = false;
    if (status == DIAL_OK)
        status = dial_study_identity_read(ctx, opts->warm_start, dial_study_name(*old), &identity,
                                          &found);
    const char *old_model = dial_study_identity_get(&identity, "model");
    const char *old_metric = dial_study_identity_get(&identity, "metric");
    if (status == DIAL_OK && (!old_model || strcmp(old_model, model) != 0))
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "--warm-start %s: study '%s' %s%s%s, not %s; a warm start needs a "
                           "study of the same model",
                           opts->warm_start, dial_study_name(*old),
                           old_model ? "tuned " : "is no study of a model",
                           old_model ? old_model : "", old_model ? "" : " (dial run's?)", model);
    if (status == DIAL_OK && old_metric && strcmp(old_metric, metric) != 0)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "--warm-start %s: study '%s' measured %s, this search %s; a warm start "
                           "needs the same metric (add -m %s)",
                           opts->warm_start, dial_study_name(*old), old_metric, metric, old_metric);
    dial_study_identity_free(&identity);
    if (status != DIAL_OK) {
        dial_study_free(*old);
        *old = NULL;
    }
    return status;
}

dial_status cli_warm_start(dial_ctx *ctx, const cli_options *opts, dial_study *study,
                           dial_study *old, bool tell) {
    if (!old) return DIAL_OK;
    dial_warm_start_report report;
    dial_status status = dial_study_warm_start(ctx, study, old, CLI_WARM_START_BEST, &report);
    if (status != DIAL_OK) {
        char *why = cli_strdup(dial_ctx_error(ctx));
        status = dial_fail(ctx, status, "--warm-start %s: %s", opts->warm_start, why);
        free(why);
        return status;
    }
    if (!tell) return DIAL_OK;
    char outside[96] = "";
    if (report.n_outside)
        snprintf(outside, sizeof outside, " (%zu outside this search's ranges left out)",
                 report.n_outside);
    fprintf(stderr,
            "warm start: study '%s': its best %zu enqueued first, its %zu complete trials%s the "
            "sampler's prior\n",
            dial_study_name(old), report.n_enqueued, report.n_prior, outside);
    return DIAL_OK;
}
