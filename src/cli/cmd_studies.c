/* dial studies FILE: the studies a study file (or PostgreSQL database)
 * holds, what each is an experiment of and how far it got; --delete and
 * --rename are the only changes it makes to it, and the listing opens it
 * read-only; --copy-to copies its studies into another storage. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const cli_command studies_command = {
    .name = "studies",
    .usage = "dial studies FILE [--json] [--delete NAME | --rename OLD NEW | --copy-to DST "
             "[--study-name NAME]]",
    .positional = (const char *const[]){"FILE"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_DELETE | CLI_OPT_RENAME | CLI_OPT_COPY_TO |
               CLI_OPT_STUDY_NAME | CLI_OPT_HELP,
    .help =
        "Usage: dial studies FILE [--json] [--delete NAME | --rename OLD NEW]\n"
        "       dial studies FILE --copy-to DST [--study-name NAME]\n"
        "\n"
        "Lists the studies kept in FILE (the SQLite file or the PostgreSQL database,\n"
        "postgresql://user@host/db, of 'dial tune --study FILE'), one\n"
        "line each: its name, the model, the data file and the metric it was created\n"
        "with, its trials by state (complete, pruned, failed, running), its best value and\n"
        "when it was created. A study is one experiment: 'dial tune' refuses to resume it\n"
        "with other data, another metric, sampler, space, folds or seed; give such a run\n"
        "its own --study-name. Listing reads the file without changing it, also while a\n"
        "tuning run writes it. A study of a program ('dial ask', 'dial run') shows\n"
        "program as its model, and its space (and command) on the line below.\n"
        "\n"
        "Options:\n"
        "  --json             one JSON object: {\"studies\": [{\"name\", \"model\", \"data\",\n"
        "                     \"metric\", \"direction\", \"complete\", \"pruned\", \"failed\",\n"
        "                     \"running\", \"best_value\", \"created\"}]}; created in UTC,\n"
        "                     \"2026-01-31T12:00:00Z\"; null where a study made before dial\n"
        "                     kept identities does not know; \"kind\": model or program;\n"
        "                     a program's study adds \"space\" (as --space-file takes\n"
        "                     it) and \"command\" (what dial run runs, or null)\n"
        "  --delete NAME      delete study NAME and all its trials\n"
        "  --rename OLD NEW   rename study OLD to NEW (a run then resumes it with\n"
        "                     --study-name NEW)\n"
        "  --copy-to DST      copy every study of FILE (or the one --study-name names)\n"
        "                     into DST, a SQLite file (created when missing) or a\n"
        "                     PostgreSQL database, whole: its trials with their numbers,\n"
        "                     states, values, knobs, intermediate values and paths, so\n"
        "                     dial trials, best and report print the same on the copy,\n"
        "                     and a run resumes it there; refused when DST holds a\n"
        "                     study of that name or a trial is still running\n"
        "  --study-name NAME  with --copy-to: the study to copy\n"
        "  -h, --help         this help\n"
        "\n"
        "Example:\n"
        "  dial tune knn data/iris.csv --trials 20 --study runs.db\n"
        "  dial tune knn data/iris.csv --trials 20 --study runs.db --study-name knn-f1 -m f1\n"
        "  dial studies runs.db\n"
        "  dial studies runs.db --rename knn knn-accuracy\n"
        "  dial studies runs.db --delete knn-f1\n"
        "  dial studies runs.db --copy-to archive.db --study-name knn-accuracy\n",
};

/* A study's identity value, or "-" when it has none. */
static const char *shown(const dial_study_summary *study, const char *key) {
    const char *value = dial_study_identity_get(&study->identity, key);
    return value && *value ? value : "-";
}

static void created_text(double seconds, const char *format, char *buf, size_t size) {
    time_t when = (time_t)seconds;
    struct tm utc;
    if (!(seconds > 0) || !gmtime_r(&when, &utc) || strftime(buf, size, format, &utc) == 0)
        snprintf(buf, size, "-");
}

static void print_studies_text(const char *path, const dial_study_summary *studies, size_t n) {
    printf("%s: %zu %s\n", path, n, n == 1 ? "study" : "studies");
    if (n == 0) return;
    printf("\n");
    cli_table table;
    cli_table_init(&table, 10);
    for (size_t c = 4; c < 9; c++) table.right[c] = true;
    table.wrap[2] = true;
    cli_table_add(&table, (const char *[]){"NAME", "MODEL", "DATA", "METRIC", "COMPLETE", "PRUNED",
                                           "FAILED", "RUNNING", "BEST", "CREATED (UTC)"});
    for (size_t i = 0; i < n; i++) {
        const dial_study_summary *study = &studies[i];
        char counts[4][24], best[40], created[40];
        int64_t values[4] = {study->n_complete, study->n_pruned, study->n_failed, study->n_running};
        for (size_t k = 0; k < 4; k++)
            snprintf(counts[k], sizeof counts[k], "%lld", (long long)values[k]);
        if (isnan(study->best_value))
            snprintf(best, sizeof best, "-");
        else
            snprintf(best, sizeof best, "%.4f", study->best_value);
        created_text(study->created_at, "%Y-%m-%d %H:%M", created, sizeof created);
        bool program = cli_is_program_study(&study->identity);
        cli_table_add(&table,
                      (const char *[]){study->name, program ? "program" : shown(study, "model"),
                                       shown(study, "note.data_file"), shown(study, "metric"),
                                       counts[0], counts[1], counts[2], counts[3], best, created});
        if (program) {
            /* What a program's study searches, and what runs it. */
            const char *command = dial_study_identity_get(&study->identity, "note.command");
            char *note = cli_format("space %s%s%s", shown(study, "space"),
                                    command ? "; command " : "", command ? command : "");
            cli_table_note(&table, note);
            free(note);
        }
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
}

static json_t *text_or_null(const dial_study_summary *study, const char *key) {
    const char *value = dial_study_identity_get(&study->identity, key);
    return value ? json_string(value) : json_null();
}

static json_t *studies_json(const dial_study_summary *studies, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const dial_study_summary *study = &studies[i];
        char created[40];
        created_text(study->created_at, "%Y-%m-%dT%H:%M:%SZ", created, sizeof created);
        bool program = cli_is_program_study(&study->identity);
        json_t *item = json_pack(
            "{s:s, s:s, s:o, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:o, s:s}", "name", study->name,
            "kind", program ? "program" : "model", "model", text_or_null(study, "model"), "data",
            text_or_null(study, "note.data_file"), "metric", text_or_null(study, "metric"),
            "direction", study->direction == DIAL_MAXIMIZE ? "maximize" : "minimize", "complete",
            (json_int_t)study->n_complete, "pruned", (json_int_t)study->n_pruned, "failed",
            (json_int_t)study->n_failed, "running", (json_int_t)study->n_running, "best_value",
            cli_json_number(study->best_value), "created", created);
        if (program) {
            /* The space as the object --space-file takes; the command dial
             * run runs, or null. */
            const char *space = dial_study_identity_get(&study->identity, "space");
            json_t *parsed = space ? json_loads(space, 0, NULL) : NULL;
            json_object_set_new(item, "space", parsed ? parsed : json_null());
            json_object_set_new(item, "command", text_or_null(study, "note.command"));
        }
        json_array_append_new(list, item);
    }
    return json_pack("{s:o}", "studies", list);
}

/* --copy-to: copies and says what it copied, naming both storages with
 * their passwords hidden. */
static dial_status copy_studies(dial_ctx *ctx, const cli_options *opts, const char *source) {
    size_t n_studies = 0;
    int64_t n_trials = 0;
    dial_status result = dial_study_copy(ctx, opts->positional[0], opts->copy_to, opts->study_name,
                                         &n_studies, &n_trials);
    if (result != DIAL_OK) return result;
    char *target = dial_study_storage_shown(ctx, opts->copy_to);
    const char *trials = n_trials == 1 ? "trial" : "trials";
    if (opts->study_name)
        printf("copied study '%s' (%lld %s) from %s to %s\n", opts->study_name, (long long)n_trials,
               trials, source, target ? target : "the target");
    else
        printf("copied %zu %s (%lld %s) from %s to %s\n", n_studies,
               n_studies == 1 ? "study" : "studies", (long long)n_trials, trials, source,
               target ? target : "the target");
    free(target);
    return DIAL_OK;
}

int cli_cmd_studies(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&studies_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (opts.delete_name && opts.rename_from) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE, "--delete and --rename cannot be combined; choose one");
    }
    if (opts.json && (opts.delete_name || opts.rename_from)) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE, "--json lists the studies; it cannot be combined with %s",
                         opts.delete_name ? "--delete" : "--rename");
    }
    if (opts.copy_to && (opts.json || opts.delete_name || opts.rename_from)) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE, "--copy-to cannot be combined with %s",
                         opts.json          ? "--json"
                         : opts.delete_name ? "--delete"
                                            : "--rename");
    }
    if (opts.study_name && !opts.copy_to) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         "--study-name chooses the study --copy-to copies; to list one study "
                         "use dial trials FILE --study-name NAME");
    }
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study_summary *studies = NULL;
    size_t n = 0;
    dial_status result = DIAL_OK;
    /* A PostgreSQL password never reaches the output. */
    char *shown = dial_study_storage_shown(ctx, path);
    if (shown) path = shown;
    if (opts.copy_to) {
        result = copy_studies(ctx, &opts, path);
    } else if (opts.delete_name) {
        result = dial_study_delete(ctx, opts.positional[0], opts.delete_name);
        if (result == DIAL_OK) printf("deleted study '%s' from %s\n", opts.delete_name, path);
    } else if (opts.rename_from) {
        result = dial_study_rename(ctx, opts.positional[0], opts.rename_from, opts.rename_to);
        if (result == DIAL_OK)
            printf("renamed study '%s' to '%s' in %s\n", opts.rename_from, opts.rename_to, path);
    } else {
        result = dial_study_summaries(ctx, opts.positional[0], &studies, &n);
        if (result == DIAL_OK && opts.json)
            cli_json_print(studies_json(studies, n), stdout, 17);
        else if (result == DIAL_OK)
            print_studies_text(path, studies, n);
    }
    if (result != DIAL_OK)
        status = cli_fail(ctx, result);
    else
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    dial_study_summaries_free(studies, n);
    free(shown);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
