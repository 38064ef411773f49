/* dial predict MODEL.dial DATA: predictions for new rows from a saved model,
 * never refitting. Columns are matched by name, so their order and any extra
 * columns in DATA do not matter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command predict_command = {
    .name = "predict",
    .usage = "dial predict MODEL.dial DATA [options]",
    .positional = (const char *const[]){"MODEL.dial", "DATA"},
    .n_positional = 2,
    .options = CLI_OPT_OUTPUT | CLI_OPT_PROBA | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_JOBS |
               CLI_OPT_HELP | CLI_OPT_KEEP,
    .help = "Usage: dial predict MODEL.dial DATA [options]\n"
            "\n"
            "Predicts every row of DATA with a model saved by 'dial fit', without refitting.\n"
            "The model's feature columns are found in DATA by name (any order; extra columns,\n"
            "the target's included, are ignored); a file without a header must hold exactly\n"
            "the model's features in the training order, or those and the target where it\n"
            "was (pass --no-header when its first row has text). Writes CSV with a header:\n"
            "the columns of --keep, then one column named after the target with the\n"
            "predicted class label or value (a clustering's: 'cluster', its index 0, 1, ...).\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE   where to write the predictions (default: stdout)\n"
            "  --keep COL[,COL]    copy these columns of DATA (an id the model was fitted\n"
            "                      with --ignore) first on each row, beside the predictions\n"
            "  --proba             also write one column per class, proba_<class>, with the\n"
            "                      predicted probability (classifiers that have them); a\n"
            "                      gmm's: proba_0, proba_1, ... each component's\n"
            "                      responsibility for the row\n"
            "  --sep CHAR          the CSV separator of DATA (default: detect , ; or tab)\n"
            "  --no-header         the first row of DATA is data, not column names\n"
            "  -j, --jobs N        threads to use (default: the number of CPUs)\n"
            "  -h, --help          this help\n"
            "\n"
            "Example:\n"
            "  dial fit logistic data/breast_cancer.csv --target diagnosis -o bc.dial\n"
            "  dial predict bc.dial data/breast_cancer.csv -o predictions.csv --proba\n"
            "  dial fit forest orders.csv --target returned --ignore order_id -o returns.dial\n"
            "  dial predict returns.dial new_orders.csv --keep order_id\n",
};

/* The columns of DATA that --keep copies into the output. */
typedef struct kept_columns {
    const dial_table *table;
    const dial_column **columns; /* borrowed from table; room for every column named */
    size_t n;
} kept_columns;

static dial_status keep_column(dial_ctx *ctx, const char *name, void *context) {
    kept_columns *kept = context;
    size_t index;
    dial_status status = dial_table_column(ctx, kept->table, name, "--keep", &index);
    if (status == DIAL_OK) kept->columns[kept->n++] = &kept->table->cols[index];
    return status;
}

/* A kept cell as the data held it: the level of a text column, the number
 * of a numeric one, nothing for a missing value. */
static void write_kept_cell(FILE *out, const dial_column *col, size_t row) {
    double v = col->values[row];
    if (v != v) return;
    if (col->type == DIAL_COLUMN_CATEGORICAL) {
        cli_write_csv_field(out, v >= 0 && v < (double)col->n_levels ? col->levels[(size_t)v] : "");
        return;
    }
    char number[40];
    /* An id of 150 is written 150, as the data had it, not 1.5e+02. */
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        snprintf(number, sizeof number, "%.0f", v);
    else
        cli_format_double(v, number, sizeof number);
    fputs(number, out);
}

static void write_predictions(FILE *out, const dial_model *model, const kept_columns *kept,
                              size_t n_rows, const double *value, const double *proba) {
    bool classifier = dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION;
    size_t n_classes = dial_model_n_classes(model), n_proba = dial_model_n_proba(model);
    const char *target = dial_model_target_name(model);
    for (size_t k = 0; k < kept->n; k++) {
        cli_write_csv_field(out, kept->columns[k]->name);
        fputc(',', out);
    }
    bool clustering = dial_model_get_task(model) == DIAL_TASK_CLUSTERING;
    cli_write_csv_field(out, target && target[0] ? target : clustering ? "cluster" : "prediction");
    for (size_t c = 0; proba && c < n_proba; c++) {
        fputc(',', out);
        /* a clustering's columns are its clusters, named by index as predicted */
        char *name = clustering ? cli_format("proba_%zu", c)
                                : cli_format("proba_%s", dial_model_class_name(model, c));
        cli_write_csv_field(out, name);
        free(name);
    }
    fputc('\n', out);
    char number[40];
    for (size_t i = 0; i < n_rows; i++) {
        for (size_t k = 0; k < kept->n; k++) {
            write_kept_cell(out, kept->columns[k], i);
            fputc(',', out);
        }
        if (classifier) {
            double k = value[i];
            bool known = k >= 0 && k < (double)n_classes;
            cli_write_csv_field(out, known ? dial_model_class_name(model, (size_t)k) : "");
        } else {
            cli_format_double(value[i], number, sizeof number);
            fputs(number, out);
        }
        for (size_t c = 0; proba && c < n_proba; c++) {
            snprintf(number, sizeof number, "%.6g", proba[i * n_proba + c]);
            fputc(',', out);
            fputs(number, out);
        }
        fputc('\n', out);
    }
}

int cli_cmd_predict(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&predict_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *model_path = opts.positional[0], *data_path = opts.positional[1];
    status = cli_check_output_not_input(opts.output, true, data_path, "the data file");
    if (status < 0)
        status = cli_check_output_not_input(opts.output, true, model_path, "the model file");
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    dial_ctx *ctx = cli_context(&opts);
    dial_model *model = NULL;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    double *value = NULL, *proba = NULL;
    dial_output *output = NULL;
    kept_columns kept = {0};

    dial_status result = dial_model_load(ctx, model_path, &model);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
        goto done;
    }
    dial_task task = dial_model_get_task(model);
    if (opts.proba && task == DIAL_TASK_CLUSTERING && dial_model_n_proba(model) == 0) {
        status = cli_error(CLI_EXIT_USAGE,
                           "--proba needs a model with probabilities; %s is a clustering (%s): it "
                           "puts each row in one cluster, with no probability of the others (a "
                           "gmm gives them: its responsibilities)",
                           model_path, dial_model_get_family(model)->name);
        goto done;
    }
    if (opts.proba && task != DIAL_TASK_CLUSTERING &&
        (task != DIAL_TASK_CLASSIFICATION || !dial_model_get_family(model)->has_proba)) {
        bool classifier = task == DIAL_TASK_CLASSIFICATION;
        status =
            cli_error(CLI_EXIT_USAGE, "--proba needs a classifier with probabilities; %s is %s%s%s",
                      model_path, classifier ? "a classifier without them (" : "a regression model",
                      classifier ? dial_model_get_family(model)->name : "",
                      classifier ? " predicts classes only; fit logistic for probabilities)" : "");
        goto done;
    }
    result = cli_read_table_for_model(ctx, &opts, model, data_path, &table);
    if (result == DIAL_OK && opts.n_keeps) {
        size_t named = 0;
        for (size_t k = 0; k < opts.n_keeps; k++)
            for (const char *p = opts.keeps[k]; p; p = strchr(p + 1, ',')) named++;
        kept.table = table;
        kept.columns = cli_alloc(named, sizeof *kept.columns);
        result = cli_each_column(ctx, opts.keeps, opts.n_keeps, keep_column, &kept);
    }
    if (result == DIAL_OK) result = dial_model_bind(ctx, model, table, &data);
    if (result == DIAL_OK) {
        value = cli_alloc(data->n_rows, sizeof *value);
        if (opts.proba) proba = cli_alloc(data->n_rows * dial_model_n_proba(model), sizeof *proba);
        dial_view all = dial_view_all(data);
        result = dial_model_predict(ctx, model, &all, value, proba);
    }
    if (result == DIAL_ERR_UNSUPPORTED && opts.proba) {
        /* A family that has probabilities may not have them in this model
         * (an svm fitted with probability=false): the same mistake as above. */
        status = cli_error(CLI_EXIT_USAGE,
                           "--proba needs a classifier with probabilities; %s has none: %s",
                           model_path, dial_ctx_error(ctx));
        goto done;
    }
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
        goto done;
    }
    /* Opened only now, so a failure above leaves the old file untouched. */
    result = cli_output_open(ctx, opts.output, &output);
    if (result == DIAL_OK) {
        write_predictions(dial_output_stream(output), model, &kept, data->n_rows, value, proba);
        result = cli_output_commit(ctx, output);
    }
    status = result == DIAL_OK ? CLI_EXIT_OK : cli_fail(ctx, result);

done:
    free(kept.columns);
    free(value);
    free(proba);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_model_free(model);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
