/* dial fit MODEL DATA: fits the model on every row, saves it to a .dial file
 * and prints a short summary. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command fit_command = {
    .name = "fit",
    .usage = "dial fit MODEL DATA [options]",
    .positional = (const char *const[]){"MODEL", "DATA"},
    .n_positional = 2,
    .options = CLI_OPTS_DATA | CLI_OPT_LABELS | CLI_OPT_SET | CLI_OPT_OUTPUT | CLI_OPT_SEED |
               CLI_OPT_JOBS | CLI_OPT_JSON | CLI_OPT_HELP,
    .help = "Usage: dial fit MODEL DATA [options]\n"
            "\n"
            "Fits MODEL (see 'dial models') on every row of DATA (CSV or LIBSVM; '-' reads\n"
            "stdin) and saves the fitted model, preprocessing included, to a .dial file that\n"
            "'dial predict' and 'dial inspect' read. Prints a summary: rows, features, classes,\n"
            "the score on the training rows (accuracy, r2, or a clustering's silhouette) and\n"
            "the fit time. A clustering (kmeans) has no target: every column is a feature\n"
            "unless --ignore'd.\n"
            "\n"
            "Options:\n"
            "  -t, --target COLUMN   the column to predict: a name or a 1-based index\n"
            "                        (default: the last column; a LIBSVM file's label)\n"
            "  --ignore COL[,COL]    columns that are not features, such as an id\n"
            "  --labels COLUMN       a clustering's known groups: not a feature; the summary\n"
            "                        shows how its clusters agree with them (adjusted_rand)\n"
            "  -s, --set NAME=VALUE  set a knob (repeatable; see 'dial knobs MODEL')\n"
            "  -o, --output FILE     where to save the model (default: MODEL.dial in the\n"
            "                        current directory); '-' writes it to stdout and prints\n"
            "                        no summary\n"
            "  --task TASK           classification, regression or auto (default: auto, from\n"
            "                        the target's values)\n"
            "  --sep CHAR            the CSV separator (default: detect , ; or tab)\n"
            "  --no-header           the first row is data, not column names\n"
            "  --sparse              read a CSV sparse: numbers and one-hot levels in\n"
            "                        compressed rows (models that take sparse input)\n"
            "  --dense               read a CSV dense even when its one-hot encoding would\n"
            "                        be mostly zeros (then read sparse by default)\n"
            "  --seed N              seed of the fit's randomness (default 0)\n"
            "  -j, --jobs N          threads to use (default: the number of CPUs)\n"
            "  --json                print the summary as JSON\n"
            "  -h, --help            this help\n"
            "\n"
            "Example:\n"
            "  dial fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o bc.dial\n"
            "  dial fit knn data/iris.csv -s k=7        # saves knn.dial\n"
            "  dial fit kmeans data/iris_measurements.csv -s k=3\n",
};

/* "C=0.5, k=7" for the knobs the user set, or NULL when none. */
static char *set_knobs_text(const dial_knobs *knobs) {
    char *text = NULL;
    for (size_t i = 0; i < knobs->n; i++) {
        if (!knobs->values[i].set_by_user) continue;
        char value[64];
        dial_knobs_format(knobs, i, value, sizeof value);
        char *longer = cli_format("%s%s%s=%s", text ? text : "", text ? ", " : "",
                                  knobs->specs[i].name, value);
        free(text);
        text = longer;
    }
    return text;
}

static char *classes_text(const dial_model *model) {
    size_t n = dial_model_n_classes(model);
    char *text = cli_format("%zu classes (", n);
    for (size_t i = 0; i < n && i < 10; i++) {
        char *longer = cli_format("%s%s%s", text, i ? ", " : "", dial_model_class_name(model, i));
        free(text);
        text = longer;
    }
    char *done = cli_format("%s%s)", text, n > 10 ? ", ..." : "");
    free(text);
    return done;
}

/* A clustering's metric on its training rows (silhouette), or NaN when it
 * is undefined there (a single cluster): the model is still worth saving. */
static dial_status clustering_score(dial_ctx *ctx, const dial_model *model,
                                    const dial_dataset *data, const double *predicted,
                                    dial_metric metric, double *score) {
    dial_view all = dial_view_all(data);
    double *x = NULL;
    dial_status status = dial_model_transform(ctx, model, &all, &x);
    if (status == DIAL_OK) {
        dial_metric_rows rows = {.n = data->n_rows,
                                 .y_pred = predicted,
                                 .x = x,
                                 .n_inputs = dial_model_n_inputs(model),
                                 .seed = dial_ctx_seed(ctx)};
        status = dial_metric_score_rows(ctx, metric, &rows, score);
        if (status == DIAL_ERR_ARGUMENT) {
            *score = NAN;
            status = DIAL_OK;
        }
    }
    free(x);
    return status;
}

/* The default metric on the rows the model was fitted on. */
static dial_status training_score(dial_ctx *ctx, const dial_model *model, const dial_dataset *data,
                                  dial_metric metric, double *score) {
    dial_view all = dial_view_all(data);
    double *predicted = cli_alloc(data->n_rows, sizeof *predicted);
    dial_status status = dial_model_predict(ctx, model, &all, predicted, NULL);
    if (status == DIAL_OK && dial_model_get_task(model) == DIAL_TASK_CLUSTERING)
        status = clustering_score(ctx, model, data, predicted, metric, score);
    else if (status == DIAL_OK)
        status = dial_metric_score(ctx, metric, data->y, predicted, NULL, data->n_rows,
                                   data->n_classes, score);
    free(predicted);
    if (status != DIAL_OK) {
        char *why = cli_strdup(dial_ctx_error(ctx));
        status = dial_fail(ctx, status,
                           "cannot score the fitted model on its training rows, so it is not "
                           "saved: %s",
                           why);
        free(why);
    }
    return status;
}

/* How a clustering's clusters of the training rows agree with the known
 * labels of --labels (the dataset's y): the adjusted Rand index. */
static dial_status labels_agreement(dial_ctx *ctx, const dial_model *model,
                                    const dial_dataset *data, double *agreement) {
    dial_view all = dial_view_all(data);
    double *predicted = cli_alloc(data->n_rows, sizeof *predicted);
    dial_status status = dial_model_predict(ctx, model, &all, predicted, NULL);
    dial_metric_rows rows = {.n = data->n_rows, .y_true = data->y, .y_pred = predicted};
    if (status == DIAL_OK)
        status = dial_metric_score_rows(ctx, DIAL_METRIC_ADJUSTED_RAND, &rows, agreement);
    free(predicted);
    return status;
}

static void print_summary(const char *model_name, const char *data_path, const dial_model *model,
                          const dial_dataset *data, dial_metric metric, double score,
                          double agreement, const char *output, bool default_output) {
    const dial_knobs *knobs = dial_model_get_knobs(model);
    const dial_model_facts *facts = dial_model_get_facts(model);
    char *set = set_knobs_text(knobs);
    printf("fitted %s on %s\n", model_name, data_path);
    char metric_label[64];
    snprintf(metric_label, sizeof metric_label, "training %s", dial_metric_name(metric));
    cli_table table;
    cli_table_init(&table, 2);
    table.wrap[1] = true;
    char *rows = cli_format("%zu", data->n_rows);
    char *features = dial_model_n_inputs(model) == data->n_features
                         ? cli_format("%zu", data->n_features)
                         : cli_format("%zu (%zu inputs after one-hot encoding)", data->n_features,
                                      dial_model_n_inputs(model));
    char *target;
    if (dial_model_get_task(model) == DIAL_TASK_CLUSTERING) {
        target = cli_format("none: clustering");
    } else if (data->task == DIAL_TASK_CLASSIFICATION) {
        char *classes = classes_text(model);
        target = cli_format("%s: classification, %s", data->target_name, classes);
        free(classes);
    } else {
        target = cli_format("%s: regression", data->target_name);
    }
    char *knobs_line = cli_format("%s", set ? set : "all defaults");
    char *score_text =
        isnan(score)
            ? cli_format("undefined (every row in one cluster)")
            : cli_format("%.4f (on the training rows, so optimistic; 'dial cv' estimates new data)",
                         score);
    char *seconds = cli_duration_text(facts->fit_seconds);
    char *saved = default_output ? cli_format("%s (the default; choose with -o FILE)", output)
                                 : cli_format("%s", output);
    cli_table_add(&table, (const char *[]){"target", target});
    cli_table_add(&table, (const char *[]){"rows", rows});
    cli_table_add(&table, (const char *[]){"features", features});
    if (data->n_ignored) {
        /* Said, so that a column left out by a slip shows here. */
        size_t length = 1;
        for (size_t i = 0; i < data->n_ignored; i++) length += strlen(data->ignored[i]) + 2;
        char *ignored = cli_alloc(length, 1);
        for (size_t i = 0; i < data->n_ignored; i++) {
            if (i) strcat(ignored, ", ");
            strcat(ignored, data->ignored[i]);
        }
        cli_table_add(&table, (const char *[]){"ignored", ignored});
        free(ignored);
    }
    if (!isnan(agreement)) {
        char *labels = cli_format("%s: adjusted Rand index %.4f with the clusters",
                                  data->target_name, agreement);
        cli_table_add(&table, (const char *[]){"labels", labels});
        free(labels);
    }
    cli_table_add(&table, (const char *[]){"knobs set", knobs_line});
    cli_table_add(&table, (const char *[]){metric_label, score_text});
    cli_table_add(&table, (const char *[]){"fit time", seconds});
    cli_table_add(&table, (const char *[]){"saved to", saved});
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
    free(set);
    free(rows);
    free(features);
    free(target);
    free(knobs_line);
    free(score_text);
    free(seconds);
    free(saved);
}

static json_t *summary_json(const char *model_name, const char *data_path, const dial_model *model,
                            const dial_dataset *data, dial_metric metric, double score,
                            double agreement, const char *output) {
    const dial_knobs *knobs = dial_model_get_knobs(model);
    json_t *knob_values = json_object();
    for (size_t i = 0; i < knobs->n; i++)
        json_object_set_new(knob_values, knobs->specs[i].name, cli_json_knob_value(knobs, i));
    json_t *classes = json_null();
    dial_task task = dial_model_get_task(model);
    if (task == DIAL_TASK_CLASSIFICATION) {
        classes = json_array();
        for (size_t i = 0; i < dial_model_n_classes(model); i++)
            json_array_append_new(classes, json_string(dial_model_class_name(model, i)));
    }
    json_t *target = data->target_name && task != DIAL_TASK_CLUSTERING
                         ? json_string(data->target_name)
                         : json_null();
    json_t *summary = json_pack(
        "{s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:o, s:o, s:s, s:o, s:o, s:s}", "model", model_name,
        "data", data_path, "target", target, "task", dial_task_name(task), "rows",
        (json_int_t)data->n_rows, "features", (json_int_t)data->n_features, "inputs",
        (json_int_t)dial_model_n_inputs(model), "classes", classes, "knobs", knob_values, "metric",
        dial_metric_name(metric), "training_score", cli_json_number(score), "fit_seconds",
        cli_json_number(dial_model_get_facts(model)->fit_seconds), "output", output);
    if (summary && !isnan(agreement))
        json_object_set_new(summary, "labels",
                            json_pack("{s:s, s:o}", "column", data->target_name, "adjusted_rand",
                                      cli_json_number(agreement)));
    return summary;
}

int cli_cmd_fit(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&fit_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *model_name = opts.positional[0];
    const char *data_path = cli_display_path(opts.positional[1]);
    dial_ctx *ctx = cli_context(&opts);
    const dial_model_family *family = NULL;
    dial_knobs knobs = {0};
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_model *model = NULL;
    char *default_output = NULL;
    double score = 0;

    dial_status result = cli_model_knobs(ctx, &opts, model_name, &family, &knobs);
    const char *output = opts.output;
    if (!output) output = default_output = cli_format("%s.dial", family ? family->name : "model");
    if (result == DIAL_OK) {
        int refused = cli_check_output_not_input(output, opts.output != NULL, opts.positional[1],
                                                 "the data file");
        if (refused >= 0) {
            status = refused;
            goto done;
        }
        result = cli_load_dataset_for(ctx, &opts, family, opts.positional[1], &table, &data);
    }
    if (result == DIAL_OK) result = cli_check_task(ctx, family, data);
    if (result == DIAL_OK) {
        dial_view all = dial_view_all(data);
        result = dial_model_fit(ctx, family, &knobs, &all, &model);
    }
    /* Scored before saving: a model whose predictions are not numbers is
     * refused, not saved. */
    dial_metric metric =
        data ? dial_metric_default(dial_model_fit_task(family, data)) : DIAL_METRIC_ACCURACY;
    if (result == DIAL_OK) result = training_score(ctx, model, data, metric, &score);
    double agreement = NAN;
    if (result == DIAL_OK && opts.labels) result = labels_agreement(ctx, model, data, &agreement);
    if (result == DIAL_OK) {
        /* What the training rows looked like, for dial drift. */
        dial_view all = dial_view_all(data);
        result = dial_model_set_drift_reference(ctx, model, &all);
    }
    if (result == DIAL_OK) result = cli_save_model(ctx, model, output);

    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else if (strcmp(output, "-") == 0) {
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    } else {
        if (opts.json)
            cli_json_print(summary_json(family->name, data_path, model, data, metric, score,
                                        agreement, output),
                           stdout, 15);
        else
            print_summary(family->name, data_path, model, data, metric, score, agreement, output,
                          default_output != NULL);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
done:
    free(default_output);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
