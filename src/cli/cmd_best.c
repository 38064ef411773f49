/* dial best FILE: the best trial of a study and its knobs, for people or,
 * with --json, for scripts (`dial fit ... $(dial best s.db --json | ...)`). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command best_command = {
    .name = "best",
    .usage = "dial best FILE [--json] [--study-name NAME]",
    .positional = (const char *const[]){"FILE"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_STUDY_NAME | CLI_OPT_HELP,
    .help = "Usage: dial best FILE [--json] [--study-name NAME]\n"
            "\n"
            "Shows the best complete trial of a study kept in FILE (the SQLite file or the\n"
            "PostgreSQL database, postgresql://user@host/db, of 'dial tune --study'): its\n"
            "number, its value (the mean cross-validated score) with\n"
            "the standard deviation over folds, its time and its knobs, and, when the\n"
            "tuner scored its model along a path knob (gbdt's n_estimators, mlp's epochs),\n"
            "the best point of that path. Reads the file without changing it, also while a\n"
            "tuning run writes it.\n"
            "\n"
            "A study of a program ('dial ask', 'dial run') shows the value as told and the\n"
            "knobs as 'dial ask' prints them; its --json has {\"study\", \"direction\",\n"
            "\"number\", \"value\", \"knobs\", \"intermediate\", \"duration\"}.\n"
            "\n"
            "Options:\n"
            "  --study-name NAME   the study to read (default: the file's only study; a file\n"
            "                      with several names them)\n"
            "  --json              one JSON object: {\"study\", \"direction\", \"number\",\n"
            "                      \"value\", \"std\", \"knobs\", \"intermediate\": [{\"step\",\n"
            "                      \"value\"}], \"path\": [{\"step\", \"value\"}], \"duration\"}\n"
            "  -h, --help          this help\n"
            "\n"
            "Exit status: 1 when the study has no complete trial yet.\n"
            "\n"
            "Example:\n"
            "  dial tune knn data/iris.csv --target species --trials 20 --study iris.db\n"
            "  dial best iris.db --json\n",
};

static void print_best_text(const char *path, const dial_study *study, int64_t n_trials,
                            const dial_trial_record *best) {
    char *knobs = cli_trial_params_text(best);
    char *seconds = cli_seconds_text(cli_trial_seconds(best));
    bool higher = dial_study_direction(study) == DIAL_MAXIMIZE;
    char *shown = dial_study_storage_shown(NULL, path); /* no PostgreSQL password */
    printf("best of study %s in %s (%lld trials; %s is better)\n", dial_study_name(study),
           shown ? shown : path, (long long)n_trials, higher ? "higher" : "lower");
    free(shown);
    printf("  trial %lld: %.4f", (long long)best->number, best->value);
    if (best->n_intermediate > 1)
        printf(" \u00b1 %.4f over %zu folds", dial_objective_fold_std(best), best->n_intermediate);
    printf(", %s\n", seconds);
    printf("  knobs: %s\n", knobs);
    long at = cli_trial_best_path_step(best, dial_study_direction(study));
    if (at >= 0)
        printf("  path: %zu steps, best %.4f at step %lld\n", best->n_path, best->path_values[at],
               (long long)best->path_steps[at]);
    else if (best->n_path > 0)
        printf("  path: %zu steps, none with a value\n", best->n_path);
    free(knobs);
    free(seconds);
}

/* A program's study: the value as told, the knobs as dial ask prints
 * them (ready for eval), the intermediate values reported. */
static void print_program_best_text(const char *path, const dial_study *study, int64_t n_trials,
                                    const dial_trial_record *best) {
    char *knobs = cli_program_knobs_text(best);
    char *seconds = cli_seconds_text(cli_trial_seconds(best));
    char value[40];
    cli_format_double(best->value, value, sizeof value);
    printf("best of study %s in %s (%lld trials; %s is better)\n", dial_study_name(study), path,
           (long long)n_trials, dial_study_direction(study) == DIAL_MAXIMIZE ? "higher" : "lower");
    printf("  trial %lld: %s, %s\n", (long long)best->number, value, seconds);
    printf("  knobs: %s\n", knobs);
    free(knobs);
    free(seconds);
}

static json_t *program_best_json(const dial_study *study, const dial_trial_record *best) {
    return json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "study", dial_study_name(study), "direction",
        dial_study_direction(study) == DIAL_MAXIMIZE ? "maximize" : "minimize", "number",
        (json_int_t)best->number, "value", cli_json_number(best->value), "knobs",
        cli_program_knobs_json(best), "intermediate", cli_json_trial_intermediate(best), "duration",
        cli_json_number(cli_trial_seconds(best)));
}

static json_t *best_json(const dial_study *study, const dial_trial_record *best) {
    return json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "study", dial_study_name(study),
        "direction", dial_study_direction(study) == DIAL_MAXIMIZE ? "maximize" : "minimize",
        "number", (json_int_t)best->number, "value", cli_json_number(best->value), "std",
        cli_json_number(dial_objective_fold_std(best)), "knobs", cli_json_trial_params(best),
        "intermediate", cli_json_trial_intermediate(best), "path", cli_json_trial_path(best),
        "duration", cli_json_number(cli_trial_seconds(best)));
}

int cli_cmd_best(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&best_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study *study = NULL;
    dial_trial_list trials = {0, NULL};
    dial_trial_record best;
    memset(&best, 0, sizeof best);
    bool program = false;
    dial_status result = cli_open_study(ctx, path, opts.study_name, &study);
    if (result == DIAL_OK) result = cli_study_is_program(ctx, path, study, &program);
    if (result == DIAL_OK) result = dial_study_trials(ctx, study, &trials);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else if (dial_study_best(ctx, study, &best) != DIAL_OK) {
        size_t failed = 0, running = 0;
        for (size_t i = 0; i < trials.count; i++) {
            failed += trials.items[i].state == DIAL_TRIAL_FAILED;
            running += trials.items[i].state == DIAL_TRIAL_RUNNING;
        }
        status = cli_error(CLI_EXIT_FAILURE,
                           "study '%s' in %s has no complete trial yet (%zu trials: %zu failed, "
                           "%zu running)",
                           dial_study_name(study), path, trials.count, failed, running);
    } else {
        int64_t finished = 0;
        for (size_t i = 0; i < trials.count; i++)
            finished += trials.items[i].state != DIAL_TRIAL_RUNNING && !trials.items[i].stale;
        if (opts.json && program)
            cli_json_print_shortest(program_best_json(study, &best), stdout, false);
        else if (opts.json)
            cli_json_print(best_json(study, &best), stdout, 17);
        else if (program)
            print_program_best_text(path, study, finished, &best);
        else
            print_best_text(path, study, finished, &best);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_trial_record_clear(&best);
    dial_trial_list_free(&trials);
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
