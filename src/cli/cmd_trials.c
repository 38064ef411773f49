/* dial trials FILE: every trial of a study, as a table, JSON or CSV: its
 * number, state, value, knobs, per-fold values and duration; or, with
 * --plot, its history drawn in the terminal (trials_plot.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/trials_plot.h"

static const cli_command trials_command = {
    .name = "trials",
    .usage = "dial trials FILE [--json | --csv | --plot] [--study-name NAME]",
    .positional = (const char *const[]){"FILE"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_CSV | CLI_OPT_PLOT | CLI_OPT_STUDY_NAME | CLI_OPT_HELP,
    .help =
        "Usage: dial trials FILE [--json | --csv | --plot] [--study-name NAME]\n"
        "\n"
        "Lists every trial of a study kept in FILE (the SQLite file or the PostgreSQL\n"
        "database, postgresql://user@host/db, of 'dial tune --study FILE'), in the order\n"
        "they started: number, state (complete, pruned, failed or\n"
        "running), value (the mean cross-validated score), its standard deviation over\n"
        "folds, the knobs, the value of each fold and the duration; a failed trial shows\n"
        "why. Reads the file without changing it, also while a tuning run writes it.\n"
        "A study of a program ('dial ask', 'dial run') shows its values as told, its\n"
        "knobs as 'dial ask' prints them, and the count of intermediate values (STEPS).\n"
        "Under a pruned trial, where it stopped: 'pruned at step 3' (a program's last\n"
        "step), 'pruned after 2 folds' or 'pruned at path step 54' (a model's).\n"
        "\n"
        "Options:\n"
        "  --study-name NAME   the study to read (default: the file's only study; a file\n"
        "                      with several names them)\n"
        "  --json              one JSON object: {\"study\", \"direction\", \"trials\":\n"
        "                      [{\"number\", \"state\", \"value\", \"knobs\", \"intermediate\":\n"
        "                      [{\"step\", \"value\"}], \"path\": [{\"step\", \"value\"}],\n"
        "                      \"duration\", \"message\"}]}; path: the trial's scores\n"
        "                      along its model's path knob ([] when none)\n"
        "  --csv               one row per trial: number,state,value,duration, then one\n"
        "                      column per knob (empty where a trial does not have it)\n"
        "  --plot              the history drawn in the terminal: a column per trial\n"
        "                      (per run of trials when they outnumber the columns), its\n"
        "                      value the top edge of a block, the best so far a line,\n"
        "                      pruned trials a cross at their last reported value,\n"
        "                      failed ones '!' on the axis; as wide as $COLUMNS (40 to\n"
        "                      1000), else 80 columns\n"
        "  -h, --help          this help\n"
        "\n"
        "Example:\n"
        "  dial tune knn data/iris.csv --target species --trials 20 --study iris.db\n"
        "  dial trials iris.db --csv > trials.csv\n"
        "  dial trials iris.db --plot\n",
};

static char *folds_text(const dial_trial_record *trial) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < trial->n_intermediate; i++) {
        char *longer = cli_format("%s%s%.4f", text, i ? " " : "", trial->intermediate_values[i]);
        free(text);
        text = longer;
    }
    return text;
}

/* Under a pruned trial's row, where it stopped (--json says it too: its
 * last intermediate or path step). */
static void add_pruned_note(cli_table *table, const dial_trial_record *trial, bool program) {
    if (trial->state != DIAL_TRIAL_PRUNED) return;
    char *where = cli_pruned_where(trial, program);
    cli_table_note(table, where);
    free(where);
}

/* A program's study: values and knobs as told and asked (shortest
 * round-trip form, knobs as dial ask prints them), and the count of
 * intermediate values where a model's study shows its folds. */
static void add_program_rows(cli_table *table, const dial_trial_list *list) {
    cli_table_add(table, (const char *[]){"TRIAL", "STATE", "VALUE", "KNOBS", "STEPS", "TIME"});
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        char number[32], value[40] = "-", steps[32];
        snprintf(number, sizeof number, "%lld", (long long)trial->number);
        if (!isnan(trial->value)) cli_format_double(trial->value, value, sizeof value);
        snprintf(steps, sizeof steps, "%zu", trial->n_intermediate);
        char *knobs = cli_program_knobs_text(trial);
        char *seconds = cli_seconds_text(cli_trial_seconds(trial));
        cli_table_add(table, (const char *[]){number, dial_trial_state_name(trial->state), value,
                                              knobs, steps, seconds});
        if (trial->message) cli_table_note(table, trial->message);
        add_pruned_note(table, trial, true);
        free(knobs);
        free(seconds);
    }
}

static void add_model_rows(cli_table *table, const dial_trial_list *list) {
    cli_table_add(table,
                  (const char *[]){"TRIAL", "STATE", "VALUE", "STD", "KNOBS", "FOLDS", "TIME"});
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        char *number = cli_format("%lld", (long long)trial->number);
        double std = dial_objective_fold_std(trial);
        char *value = isnan(trial->value) ? cli_strdup("-") : cli_format("%.4f", trial->value);
        char *spread = isnan(std) ? cli_strdup("-") : cli_format("%.4f", std);
        char *knobs = cli_trial_params_text(trial);
        char *folds = folds_text(trial);
        char *seconds = cli_seconds_text(cli_trial_seconds(trial));
        const char *state = dial_trial_state_name(trial->state);
        cli_table_add(table, (const char *[]){number, state, value, spread, knobs, folds, seconds});
        if (trial->message) cli_table_note(table, trial->message);
        add_pruned_note(table, trial, false);
        free(number);
        free(value);
        free(spread);
        free(knobs);
        free(folds);
        free(seconds);
    }
}

static void print_summary(const char *path, const dial_study *study, const dial_trial_list *list) {
    size_t counts[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < list->count; i++) counts[list->items[i].state]++;
    char *shown = dial_study_storage_shown(NULL, path); /* no PostgreSQL password */
    printf("study %s in %s: %zu trials (%zu complete, %zu pruned, %zu failed, %zu running); %s "
           "is better\n",
           dial_study_name(study), shown ? shown : path, list->count, counts[DIAL_TRIAL_COMPLETE],
           counts[DIAL_TRIAL_PRUNED], counts[DIAL_TRIAL_FAILED], counts[DIAL_TRIAL_RUNNING],
           dial_study_direction(study) == DIAL_MAXIMIZE ? "higher" : "lower");
    free(shown);
}

static void print_trials_text(const char *path, const dial_study *study,
                              const dial_trial_list *list, bool program) {
    print_summary(path, study, list);
    if (list->count == 0) return;
    printf("\n");
    cli_table table;
    if (program) {
        cli_table_init(&table, 6);
        table.right[0] = table.right[2] = table.right[4] = table.right[5] = true;
        table.wrap[3] = true;
        add_program_rows(&table, list);
    } else {
        cli_table_init(&table, 7);
        table.right[0] = table.right[2] = table.right[3] = table.right[6] = true;
        table.wrap[4] = table.wrap[5] = true;
        add_model_rows(&table, list);
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
}

static json_t *trials_json(const dial_study *study, const dial_trial_list *list, bool program) {
    json_t *trials = json_array();
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        json_t *item = json_pack(
            "{s:I, s:s, s:o, s:o, s:o, s:o, s:o}", "number", (json_int_t)trial->number, "state",
            dial_trial_state_name(trial->state), "value", cli_json_number(trial->value), "knobs",
            program ? cli_program_knobs_json(trial) : cli_json_trial_params(trial), "intermediate",
            cli_json_trial_intermediate(trial), "path", cli_json_trial_path(trial), "duration",
            trial->finished_at > 0 ? cli_json_number(cli_trial_seconds(trial)) : json_null());
        if (trial->message) json_object_set_new(item, "message", json_string(trial->message));
        json_array_append_new(trials, item);
    }
    return json_pack("{s:s, s:s, s:o}", "study", dial_study_name(study), "direction",
                     dial_study_direction(study) == DIAL_MAXIMIZE ? "maximize" : "minimize",
                     "trials", trials);
}

/* The knobs' names in order of first appearance. */
static size_t knob_columns(const dial_trial_list *list, const char ***out) {
    size_t n = 0, capacity = 8;
    const char **names = cli_alloc(capacity, sizeof *names);
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        for (size_t p = 0; p < trial->n_params; p++) {
            bool seen = false;
            for (size_t c = 0; c < n && !seen; c++)
                seen = strcmp(names[c], trial->param_names[p]) == 0;
            if (seen) continue;
            if (n == capacity) {
                const char **grown = cli_alloc(capacity * 2, sizeof *grown);
                memcpy(grown, names, n * sizeof *names);
                free(names);
                names = grown;
                capacity *= 2;
            }
            names[n++] = trial->param_names[p];
        }
    }
    *out = names;
    return n;
}

static void print_trials_csv(const dial_trial_list *list, bool program) {
    const char **columns = NULL;
    size_t n_columns = knob_columns(list, &columns);
    fputs("number,state,value,duration", stdout);
    for (size_t c = 0; c < n_columns; c++) {
        fputc(',', stdout);
        cli_write_csv_field(stdout, columns[c]);
    }
    fputc('\n', stdout);
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        char value[40] = "", duration[40] = "";
        if (!isnan(trial->value)) cli_format_double(trial->value, value, sizeof value);
        if (trial->finished_at > 0)
            snprintf(duration, sizeof duration, "%.6f", cli_trial_seconds(trial));
        printf("%lld,%s,%s,%s", (long long)trial->number, dial_trial_state_name(trial->state),
               value, duration);
        for (size_t c = 0; c < n_columns; c++) {
            fputc(',', stdout);
            for (size_t p = 0; p < trial->n_params; p++) {
                if (strcmp(trial->param_names[p], columns[c]) != 0) continue;
                char *text = program
                                 ? cli_program_knob_text(trial, p)
                                 : cli_strdup(trial->param_texts[p] ? trial->param_texts[p] : "");
                cli_write_csv_field(stdout, text);
                free(text);
            }
        }
        fputc('\n', stdout);
    }
    free(columns);
}

/* The summary line, then the history drawn (nothing more for a study
 * without trials), its values named by the study's metric. Returns -1 to go
 * on, or the exit status after a failure to read the study's identity. */
static int print_trials_plot(dial_ctx *ctx, const char *path, const dial_study *study,
                             const dial_trial_list *list, bool program) {
    dial_study_identity identity = {0};
    bool found = false;
    dial_status result =
        dial_study_identity_read(ctx, path, dial_study_name(study), &identity, &found);
    if (result != DIAL_OK) return cli_fail(ctx, result);
    const char *metric = dial_study_identity_get(&identity, "metric");
    print_summary(path, study, list);
    if (list->count > 0) {
        printf("\n");
        cli_trials_plot(stdout, list, dial_study_direction(study),
                        metric && *metric ? metric : "value", program, cli_plot_width());
    }
    dial_study_identity_free(&identity);
    return -1;
}

int cli_cmd_trials(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&trials_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (opts.json + opts.csv + opts.plot > 1) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE, "%s cannot be combined; choose one",
                         !opts.plot              ? "--json and --csv"
                         : opts.json && opts.csv ? "--json, --csv and --plot"
                         : opts.json             ? "--json and --plot"
                                                 : "--csv and --plot");
    }
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study *study = NULL;
    dial_trial_list trials = {0, NULL};
    bool program = false;
    dial_status result = cli_open_study(ctx, path, opts.study_name, &study);
    if (result == DIAL_OK) result = cli_study_is_program(ctx, path, study, &program);
    if (result == DIAL_OK) result = dial_study_trials(ctx, study, &trials);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else {
        if (opts.json && program)
            cli_json_print_shortest(trials_json(study, &trials, true), stdout, false);
        else if (opts.json)
            cli_json_print(trials_json(study, &trials, false), stdout, 17);
        else if (opts.csv)
            print_trials_csv(&trials, program);
        else if (opts.plot)
            status = print_trials_plot(ctx, path, study, &trials, program);
        else
            print_trials_text(path, study, &trials, program);
        if (status < 0) status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_trial_list_free(&trials);
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
