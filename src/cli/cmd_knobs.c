/* dial knobs MODEL: the dashboard of one model. Every hyperparameter with
 * its type, default, valid bounds, default search range and condition, then
 * the parameters the fit learns. All of it read from the model's knob table,
 * the one source of truth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command knobs_command = {
    .name = "knobs",
    .usage = "dial knobs MODEL [--json]",
    .positional = (const char *const[]){"MODEL"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_HELP,
    .help = "Usage: dial knobs MODEL [--json]\n"
            "\n"
            "Shows the hyperparameters (knobs) of a model: type, default, valid values, what\n"
            "dial tune searches when no --space names the knob (a range, the values of a\n"
            "choice, or not searched) and when the knob applies; then the parameters the fit\n"
            "learns from the data. Set knobs in other commands with -s NAME=VALUE.\n"
            "\n"
            "Options:\n"
            "  --json        the same as one JSON object: {\"model\", \"summary\", \"tasks\",\n"
            "                \"knobs\": [{\"name\", \"type\", \"list_item\", \"default\",\n"
            "                \"bounds\", \"search\", \"searched\", \"choices\", \"condition\",\n"
            "                \"doc\"}], \"parameters\", \"preprocess\", \"nonparametric\"};\n"
            "                searched is true when dial tune searches the knob by default;\n"
            "                search is the range a search uses, {\"low\", \"high\", \"log\"},\n"
            "                or {\"choices\": [...]} the values a default search tries, or\n"
            "                null; choices lists the values of a choice or bool knob, else\n"
            "                null; a list knob (type int list in the table) has list_item\n"
            "                naming one value (\"layer\"), else null, and an array as\n"
            "                default\n"
            "  -h, --help    this help\n"
            "\n"
            "Example:\n"
            "  dial knobs logistic\n"
            "  dial knobs knn --json\n",
};

static bool is_power_of_ten(double x) {
    if (!(x > 0)) return false;
    double exponent = round(log10(x));
    return fabs(x - pow(10, exponent)) <= 1e-12 * x;
}

static void format_bound(const dial_knob_spec *spec, double value, char *buf, size_t size) {
    if (spec->type == DIAL_KNOB_INT)
        snprintf(buf, size, "%.0f", value);
    else if (spec->log_scale && is_power_of_ten(value) && (value < 1e-3 || value > 1e3))
        snprintf(buf, size, "%.0e", value);
    else
        snprintf(buf, size, "%g", value);
}

static bool is_list_knob(const dial_knob_spec *spec) {
    return spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
}

/* "float", "int", ..., or "int list" for a knob that holds a list. */
static void type_text(const dial_knob_spec *spec, char *buf, size_t size) {
    snprintf(buf, size, "%s%s", dial_knob_type_name(spec->type), is_list_knob(spec) ? " list" : "");
}

/* SEARCH: what `dial tune` tries for the knob when no --space names it,
 * read from the default space itself (a knob whose condition cannot hold
 * under the defaults, like knn's p while metric is euclidean, is not in
 * it), so the column cannot claim a search that does not happen. */
static void search_text(const dial_knob_spec *spec, const dial_param *searched, char *buf,
                        size_t size) {
    if (!searched) {
        snprintf(buf, size, "not searched");
    } else if (searched->kind == DIAL_PARAM_CHOICE) {
        size_t all = 2; /* a bool */
        if (spec->type == DIAL_KNOB_CHOICE)
            for (all = 0; spec->choices && spec->choices[all];) all++;
        if (searched->n_choices == all) {
            snprintf(buf, size, "all values");
            return;
        }
        size_t used = 0;
        buf[0] = '\0';
        for (size_t c = 0; c < searched->n_choices && used < size; c++) {
            int n = snprintf(buf + used, size - used, "%s%s", c ? ", " : "", searched->choices[c]);
            if (n < 0) break;
            used += (size_t)n;
        }
    } else {
        char low[32], high[32];
        format_bound(spec, searched->low, low, sizeof low);
        format_bound(spec, searched->high, high, sizeof high);
        snprintf(buf, size, "%s .. %s%s", low, high, searched->log ? " log" : "");
    }
}

/* The parameter of the default space that searches knob i, or NULL. */
static const dial_param *default_search(const dial_space *space, const dial_knob_spec *spec) {
    long at = dial_space_find(space, spec->name);
    return at >= 0 ? &space->params[at] : NULL;
}

static void print_knobs_text(const dial_model_family *family, const dial_knobs *knobs,
                             const dial_space *space) {
    printf("%s: %s\n", family->name, family->summary);
    printf("tasks: %s%s\n", cli_tasks_text(family->tasks),
           family->has_proba            ? "; predicts class probabilities (--proba)"
           : family->cluster_proba_knob ? "; predicts each row's probability of every cluster, "
                                          "its responsibilities (--proba)"
                                        : "");
    printf("\nKnobs (set with -s NAME=VALUE)\n");
    cli_table table;
    cli_table_init(&table, 6);
    table.wrap[3] = table.wrap[4] = table.wrap[5] = true;
    cli_table_add(&table, (const char *[]){"NAME", "TYPE", "DEFAULT", "VALID", "SEARCH", "ACTIVE"});
    for (size_t i = 0; i < knobs->n; i++) {
        const dial_knob_spec *spec = &knobs->specs[i];
        char bounds[256], search[96], condition[160], type[32];
        dial_knob_spec_bounds_text(spec, bounds, sizeof bounds);
        type_text(spec, type, sizeof type);
        search_text(spec, default_search(space, spec), search, sizeof search);
        if (spec->condition && spec->condition[0])
            snprintf(condition, sizeof condition, "when %s", spec->condition);
        else
            snprintf(condition, sizeof condition, "always");
        cli_table_add(&table, (const char *[]){spec->name, type, spec->default_text, bounds, search,
                                               condition});
        cli_table_note(&table, spec->doc);
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);

    printf("\nLearned parameters\n");
    if (family->params && family->n_params) {
        cli_table_init(&table, 3);
        table.wrap[1] = table.wrap[2] = true;
        cli_table_add(&table, (const char *[]){"NAME", "SHAPE", "MEANING"});
        for (size_t i = 0; i < family->n_params; i++)
            cli_table_add(&table, (const char *[]){family->params[i].name, family->params[i].shape,
                                                   family->params[i].doc});
        cli_table_print(&table, stdout, 2);
        cli_table_free(&table);
    } else {
        char *text = cli_format("nonparametric: %s",
                                family->nonparametric_doc ? family->nonparametric_doc : "");
        cli_print_wrapped(stdout, text, 2, CLI_WIDTH);
        free(text);
    }
    printf("\nLearned by the preprocessing of every model (n_inputs counts one column per\n"
           "numeric feature and one per level of each categorical one)\n");
    cli_table_init(&table, 3);
    table.wrap[2] = true;
    size_t n_pipeline;
    const dial_param_doc *pipeline = dial_pipeline_params(&n_pipeline);
    for (size_t i = 0; i < n_pipeline; i++)
        cli_table_add(&table,
                      (const char *[]){pipeline[i].name, pipeline[i].shape, pipeline[i].doc});
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);

    bool classifies = family->tasks & DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION);
    const char *example_data = family->unsupervised ? "data/iris_measurements.csv"
                               : classifies         ? "data/iris.csv"
                                                    : "data/diabetes.csv";
    const char *example_knob = NULL, *example_value = NULL;
    for (size_t i = 0; i < knobs->n && !example_knob; i++) {
        const dial_knob_spec *spec = &knobs->specs[i];
        if (strcmp(spec->name, "impute") != 0 && strcmp(spec->name, "scale") != 0 &&
            !(spec->condition && spec->condition[0])) {
            example_knob = spec->name;
            example_value = spec->default_text;
        }
    }
    printf("\nExample:\n  dial cv %s %s", family->name, example_data);
    if (example_knob) printf(" -s %s=%s", example_knob, example_value);
    printf("\n");
}

/* The range a search of the knob uses ({"low", "high", "log"}, also when
 * the default search leaves it out, as --space NAME takes it), or for a
 * choice or bool knob the values it tries ({"choices": [...]}); null
 * without either. */
static json_t *search_json(const dial_knob_spec *spec, const dial_param *searched) {
    if (spec->type == DIAL_KNOB_CHOICE || spec->type == DIAL_KNOB_BOOL) {
        if (!searched || searched->kind != DIAL_PARAM_CHOICE) return json_null();
        json_t *values = json_array();
        for (size_t c = 0; c < searched->n_choices; c++)
            json_array_append_new(values, json_string(searched->choices[c]));
        return json_pack("{s:o}", "choices", values);
    }
    if (!spec->has_search_range) return json_null();
    if (spec->type == DIAL_KNOB_INT)
        return json_pack("{s:I, s:I, s:b}", "low", (json_int_t)spec->search_low, "high",
                         (json_int_t)spec->search_high, "log", spec->log_scale);
    return json_pack("{s:o, s:o, s:b}", "low", cli_json_number(spec->search_low), "high",
                     cli_json_number(spec->search_high), "log", spec->log_scale);
}

static json_t *choices_json(const dial_knob_spec *spec) {
    if (spec->type == DIAL_KNOB_BOOL) return json_pack("[s, s]", "false", "true");
    if (spec->type != DIAL_KNOB_CHOICE || !spec->choices) return json_null();
    json_t *list = json_array();
    for (const char *const *choice = spec->choices; *choice; choice++)
        json_array_append_new(list, json_string(*choice));
    return list;
}

static json_t *params_json(const dial_param_doc *docs, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; docs && i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", docs[i].name, "shape",
                                              docs[i].shape, "doc", docs[i].doc));
    return list;
}

static json_t *knobs_json(const dial_model_family *family, const dial_knobs *knobs,
                          const dial_space *space) {
    json_t *tasks = json_array();
    if (family->tasks & DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION))
        json_array_append_new(tasks, json_string("classification"));
    if (family->tasks & DIAL_TASK_BIT(DIAL_TASK_REGRESSION))
        json_array_append_new(tasks, json_string("regression"));
    json_t *list = json_array();
    for (size_t i = 0; i < knobs->n; i++) {
        const dial_knob_spec *spec = &knobs->specs[i];
        char bounds[256];
        dial_knob_spec_bounds_text(spec, bounds, sizeof bounds);
        bool conditional = spec->condition && spec->condition[0];
        const dial_param *searched = default_search(space, spec);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:o, s:o, s:s, s:o, s:b, s:o, s:o, s:s}", "name",
                            spec->name, "type", dial_knob_type_name(spec->type), "list_item",
                            is_list_knob(spec) ? json_string(spec->list_item) : json_null(),
                            "default", cli_json_knob_value(knobs, i), "bounds", bounds, "search",
                            search_json(spec, searched), "searched", searched != NULL, "choices",
                            choices_json(spec), "condition",
                            conditional ? json_string(spec->condition) : json_null(), "doc",
                            spec->doc ? spec->doc : ""));
    }
    bool nonparametric = !family->params || !family->n_params;
    size_t n_pipeline;
    const dial_param_doc *pipeline = dial_pipeline_params(&n_pipeline);
    json_t *object = json_pack(
        "{s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:b}", "model", family->name, "summary",
        family->summary, "tasks", tasks, "proba", family->has_proba || family->cluster_proba_knob,
        "knobs", list, "parameters", params_json(family->params, family->n_params), "preprocess",
        params_json(pipeline, n_pipeline), "nonparametric", nonparametric);
    if (object && nonparametric && family->nonparametric_doc)
        json_object_set_new(object, "nonparametric_doc", json_string(family->nonparametric_doc));
    return object;
}

int cli_cmd_knobs(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&knobs_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    dial_ctx *ctx = cli_context(&opts);
    const dial_model_family *family;
    dial_knobs knobs;
    dial_status result = cli_model_knobs(ctx, &opts, opts.positional[0], &family, &knobs);
    dial_space space = {0};
    if (result == DIAL_OK) result = dial_space_from_knobs(ctx, &knobs, &space);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else {
        if (opts.json)
            cli_json_print(knobs_json(family, &knobs, &space), stdout, 15);
        else
            print_knobs_text(family, &knobs, &space);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
