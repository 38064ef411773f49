/* dial models: the model families in the registry, one line each. */
#include "cli/cli.h"

static const cli_command models_command = {
    .name = "models",
    .usage = "dial models [--json]",
    .options = CLI_OPT_JSON | CLI_OPT_HELP,
    .help = "Usage: dial models [--json]\n"
            "\n"
            "Lists the models dial can fit, one line each: the name to use in other commands,\n"
            "the tasks it does and what it is.\n"
            "\n"
            "Options:\n"
            "  --json        one JSON array of {\"name\", \"tasks\", \"proba\", \"summary\"}\n"
            "  -h, --help    this help\n"
            "\n"
            "Example:\n"
            "  dial models\n"
            "  dial knobs knn      # then the knobs of one of them\n",
};

static json_t *models_json(void) {
    json_t *list = json_array();
    for (size_t i = 0; i < dial_model_family_count(); i++) {
        const dial_model_family *family = dial_model_family_at(i);
        json_t *tasks = json_array();
        if (family->tasks & DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION))
            json_array_append_new(tasks, json_string("classification"));
        if (family->tasks & DIAL_TASK_BIT(DIAL_TASK_REGRESSION))
            json_array_append_new(tasks, json_string("regression"));
        if (family->tasks & DIAL_TASK_BIT(DIAL_TASK_CLUSTERING))
            json_array_append_new(tasks, json_string("clustering"));
        json_array_append_new(list, json_pack("{s:s, s:o, s:b, s:s}", "name", family->name, "tasks",
                                              tasks, "proba",
                                              family->has_proba || family->cluster_proba_knob,
                                              "summary", family->summary));
    }
    return list;
}

int cli_cmd_models(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&models_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (opts.json) {
        cli_json_print(models_json(), stdout, 17);
    } else {
        cli_table table;
        cli_table_init(&table, 3);
        table.wrap[2] = true;
        cli_table_add(&table, (const char *[]){"MODEL", "TASKS", "SUMMARY"});
        for (size_t i = 0; i < dial_model_family_count(); i++) {
            const dial_model_family *family = dial_model_family_at(i);
            cli_table_add(&table, (const char *[]){family->name, cli_tasks_text(family->tasks),
                                                   family->summary});
        }
        cli_table_print(&table, stdout, 0);
        cli_table_free(&table);
        printf("\nSee the knobs of one with 'dial knobs MODEL'.\n");
    }
    cli_options_free(&opts);
    return cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
