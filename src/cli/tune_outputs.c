/* What dial tune writes and runs besides the search itself, in words the
 * user reads: the checks of its output options (-o, --holdout-out,
 * --refit), the held-out rows written for dial score, which rows the
 * refit learned from, and which searches a nested run runs. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_tune_check_outputs(const cli_options *opts) {
    if (opts->output && strcmp(opts->output, "-") == 0 && opts->json)
        return cli_error(CLI_EXIT_USAGE,
                         "-o - writes the model to stdout, where --json would go; choose one");
    if ((opts->given & CLI_OPT_REFIT) && !opts->output)
        return cli_error(CLI_EXIT_USAGE,
                         "--refit chooses the rows of the model -o saves, but nothing is saved: "
                         "add -o FILE");
    if (opts->holdout_out && opts->output && strcmp(opts->holdout_out, opts->output) == 0)
        return cli_error(CLI_EXIT_USAGE,
                         "--holdout-out and -o both write %s; give them different files",
                         opts->output);
    const char *options[] = {"-o", "--holdout-out"};
    const char *outputs[] = {opts->output, opts->holdout_out};
    for (size_t i = 0; i < 2; i++) {
        if (!outputs[i]) continue;
        int refused = cli_check_option_output_not_input(options[i], outputs[i], opts->positional[1],
                                                        "the data file");
        if (refused < 0 && opts->study)
            refused = cli_check_option_output_not_input(options[i], outputs[i], opts->study,
                                                        "the study file");
        if (refused >= 0) return refused;
    }
    return -1;
}

dial_status cli_tune_check_holdout_out(dial_ctx *ctx, const cli_options *opts) {
    if (!opts->holdout_out || opts->holdout > 0) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "--holdout-out %s writes the held-out rows, but nothing is held out: add "
                     "--holdout F",
                     opts->holdout_out);
}

dial_status cli_tune_write_holdout(dial_ctx *ctx, const cli_options *opts, const dial_table *table,
                                   const dial_tune_result *result) {
    if (!opts->holdout_out) return DIAL_OK;
    return cli_write_rows(ctx, table, result->holdout_rows, result->n_holdout, opts->holdout_out);
}

char *cli_tune_refit_text(const cli_options *opts, const dial_tune_result *result) {
    if (!result->main_searched)
        return cli_format("not saved: add -o FILE to also search all %zu rows and save the best "
                          "found there",
                          result->n_search_rows);
    if (!opts->output)
        return cli_format("not saved: add -o FILE to refit the best on %s%zu rows and save it",
                          result->n_holdout ? "the search's " : "all ", result->n_search_rows);
    if (result->n_holdout && result->n_refit_rows > result->n_search_rows)
        return cli_format("refit on all %zu rows (the search's %zu and the %zu held out): saved "
                          "to %s",
                          result->n_refit_rows, result->n_search_rows, result->n_holdout,
                          opts->output);
    if (result->n_holdout)
        return cli_format("refit on the %zu rows the search saw, not the %zu held out "
                          "(--refit all uses every row): saved to %s",
                          result->n_refit_rows, result->n_holdout, opts->output);
    return cli_format("refit on all %zu rows: saved to %s", result->n_refit_rows, opts->output);
}

char *cli_tune_nested_runs_text(const cli_options *opts, int64_t n_trials, size_t n_rows) {
    char *each = n_trials > 0 ? cli_format("%lld trials", (long long)n_trials)
                              : cli_strdup(opts->sampler == DIAL_SAMPLER_GRID ? "the whole grid"
                                                                              : "the time given");
    char *text;
    if (opts->output) {
        char *total = n_trials > 0 ? cli_format(": %lld trials in all",
                                                (long long)n_trials * (long long)(opts->nested + 1))
                                   : cli_strdup("");
        text = cli_format("a search of %s on all %zu rows for the model -o saves, then %zu outer "
                          "searches of %s on their training rows for the nested estimate%s",
                          each, n_rows, opts->nested, each, total);
        free(total);
    } else {
        text = cli_format("%zu outer searches of %s on their training rows for the nested "
                          "estimate; no search on all rows, as nothing is saved (-o FILE adds "
                          "one, for the model it saves)",
                          opts->nested, each);
    }
    free(each);
    return text;
}

void cli_tune_print_nested(const cli_options *opts, const char *metric,
                           const dial_tune_result *result) {
    if (result->n_outer) {
        printf("nested %zu-fold: %s %.4f \u00b1 %.4f (outer folds: ", opts->nested, metric,
               result->nested_mean, result->nested_std);
        for (size_t i = 0; i < result->n_outer; i++)
            printf("%s%.4f", i ? " " : "", result->outer_scores[i]);
        printf(")\n  estimates how tuning, then fitting, does on new data; the inner "
               "searches' best\n  values average %.4f (optimistic: each is the best of many "
               "noisy scores)\n",
               result->inner_best_mean);
        if (result->n_outer < opts->nested)
            printf("  only %zu of %zu outer folds ran before the run stopped\n", result->n_outer,
                   opts->nested);
    } else {
        printf("nested %zu-fold: not run (the run stopped first)\n", opts->nested);
    }
}

dial_status cli_tune_set_drift_reference(dial_ctx *ctx, const dial_dataset *data,
                                         const dial_tune_result *result) {
    if (!result->model) return DIAL_OK;
    /* The refit learned from every row, or from the rows the search saw
     * (a holdout kept out of it). */
    dial_view rows = dial_view_all(data);
    if (result->n_refit_rows != data->n_rows && result->n_refit_rows == result->n_search_rows)
        rows = (dial_view){.data = data, .rows = result->search_rows, .n = result->n_search_rows};
    return dial_model_set_drift_reference(ctx, result->model, &rows);
}
