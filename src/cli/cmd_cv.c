/* dial cv MODEL DATA: repeated k-fold cross-validation, the honest estimate
 * of how a model with given knobs does on rows it was not fitted on. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command cv_command = {
    .name = "cv",
    .usage = "dial cv MODEL DATA [options]",
    .positional = (const char *const[]){"MODEL", "DATA"},
    .n_positional = 2,
    .options = CLI_OPTS_DATA | CLI_OPT_LABELS | CLI_OPT_SET | CLI_OPT_FOLDS | CLI_OPT_REPEATS |
               CLI_OPT_METRIC | CLI_OPT_SEED | CLI_OPT_JOBS | CLI_OPT_JSON | CLI_OPT_HELP |
               CLI_OPT_FOLD_SCHEME,
    .help =
        "Usage: dial cv MODEL DATA [options]\n"
        "\n"
        "Cross-validates MODEL on DATA: splits the rows into folds (stratified by class for\n"
        "classification), fits on all folds but one and scores the one left out, for\n"
        "every fold and every repeat (each repeat shuffles the rows anew). Prints the mean\n"
        "and standard deviation of the scores, and each score. The scores depend only on\n"
        "--seed, never on --jobs.\n"
        "\n"
        "Options:\n"
        "  -t, --target COLUMN   the column to predict: a name or a 1-based index\n"
        "                        (default: the last column; a LIBSVM file's label)\n"
        "  --ignore COL[,COL]    columns that are not features, such as an id\n"
        "  -s, --set NAME=VALUE  set a knob (repeatable; see 'dial knobs MODEL')\n"
        "  --folds K             number of folds (default 5)\n"
        "  --repeats R           number of repeats, each with its own shuffle (default 1)\n"
        "  --groups COLUMN       rows with the same COLUMN value (a patient, a user, a\n"
        "                        machine) are never on both sides of a split; folds are\n"
        "                        stratified by class where the groups allow\n"
        "  --time-column COLUMN  forward chaining: rows sorted by COLUMN, each fold trains\n"
        "                        on the past and scores the next block (--repeats 1)\n"
        "  --time-order          the same, the rows being in time order already\n"
        "  --gap N               rows left out between the past and the block scored\n"
        "  --fold-column COLUMN  the fold of each row, given (one fold per value; a\n"
        "                        negative value: always trained on); --folds is unused\n"
        "                        The column of --groups, --time-column or --fold-column\n"
        "                        is not a feature.\n"
        "  -m, --metric NAME     accuracy, balanced_accuracy, log_loss, roc_auc, f1 for\n"
        "                        classification (default accuracy); rmse, mae, r2 for\n"
        "                        regression (default r2); for a clustering (kmeans):\n"
        "                        silhouette (default), davies_bouldin,\n"
        "                        calinski_harabasz, inertia, and with --labels\n"
        "                        adjusted_rand, normalized_mutual_info; a gmm's\n"
        "                        bic and aic (lower is better)\n"
        "  --labels COLUMN       a clustering's known groups, compared with its clusters\n"
        "                        (adjusted_rand, normalized_mutual_info); not a feature\n"
        "  --task TASK           classification, regression or auto (default: auto)\n"
        "  --sep CHAR            the CSV separator (default: detect , ; or tab)\n"
        "  --no-header           the first row is data, not column names\n"
        "  --sparse              read a CSV sparse: numbers and one-hot levels in\n"
        "                        compressed rows (models that take sparse input)\n"
        "  --dense               read a CSV dense even when its one-hot encoding would\n"
        "                        be mostly zeros (then read sparse by default)\n"
        "  --seed N              seed of the shuffles and of the fits (default 0)\n"
        "  -j, --jobs N          threads to use (default: the number of CPUs)\n"
        "  --json                one JSON object: {\"model\", \"data\", \"target\", \"metric\",\n"
        "                        \"folds\", \"repeats\", \"stratified\", \"folds_by\", \"seed\",\n"
        "                        \"knobs\", \"mean\", \"std\", \"scores\"}; folds_by: null, or\n"
        "                        {\"kind\": \"groups\"|\"time\"|\"given\", \"column\", \"gap\"}\n"
        "  -h, --help            this help\n"
        "\n"
        "Example:\n"
        "  dial cv knn data/iris.csv --target species -s k=7 --folds 5 --repeats 3 "
        "--metric accuracy\n"
        "  dial cv linear data/diabetes.csv --metric rmse --json\n",
};

/* The metric the user named, checked against the task and the model. */
static dial_status choose_metric(dial_ctx *ctx, const cli_options *opts,
                                 const dial_model_family *family, const dial_dataset *data,
                                 dial_metric *metric) {
    if (!opts->metric) {
        *metric = dial_metric_default(dial_model_fit_task(family, data));
        return DIAL_OK;
    }
    dial_status status = dial_metric_parse(ctx, opts->metric, metric);
    if (status != DIAL_OK) return status;
    return dial_metric_check(ctx, *metric, data->task, data->target_name, family, NULL);
}

static char *set_knobs_text(const dial_knobs *knobs) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < knobs->n; i++) {
        if (!knobs->values[i].set_by_user) continue;
        char value[64];
        dial_knobs_format(knobs, i, value, sizeof value);
        char *longer =
            cli_format("%s%s%s=%s", text, text[0] ? ", " : "", knobs->specs[i].name, value);
        free(text);
        text = longer;
    }
    return text;
}

static void print_cv_text(const char *model_name, const char *data_path, const cli_options *opts,
                          const dial_knobs *knobs, const dial_dataset *data,
                          const dial_fold_scheme *scheme, const dial_splits *splits,
                          const dial_cv_result *result) {
    bool stratified = cli_folds_stratified(data, scheme);
    if (opts->labels) /* only a clustering takes them */
        printf("%s on %s (%zu rows, labels %s, clustering)\n", model_name, data_path, data->n_rows,
               opts->labels);
    else if (data->target_name)
        printf("%s on %s (%zu rows, target %s, %s)\n", model_name, data_path, data->n_rows,
               data->target_name, dial_task_name(data->task));
    else /* only a clustering is fitted without a target */
        printf("%s on %s (%zu rows, no target: clustering)\n", model_name, data_path, data->n_rows);
    char *how = cli_fold_scheme_text(scheme, stratified);
    size_t folds = splits->count / (opts->repeats ? opts->repeats : 1);
    printf("%zu-fold cross-validation%s x %zu repeat%s, seed %" PRIu64 "\n", folds, how,
           opts->repeats, opts->repeats == 1 ? "" : "s", opts->seed);
    free(how);
    char *set = set_knobs_text(knobs);
    printf("knobs set: %s\n", set[0] ? set : "none (all defaults)");
    free(set);
    printf("\n%s: mean %.4f, std %.4f over %zu scores (%s is better)\n",
           dial_metric_name(result->metric), result->mean, result->std, result->n_scores,
           dial_metric_greater_is_better(result->metric) ? "higher" : "lower");
    for (size_t i = 0; i < result->n_scores; i++) {
        size_t repeat = i < splits->count ? splits->items[i].repeat : 0;
        bool first = i == 0 || (i < splits->count && splits->items[i - 1].repeat != repeat);
        if (first) printf("%s  repeat %zu:", i ? "\n" : "", repeat + 1);
        printf(" %.4f", result->scores[i]);
    }
    printf("\n");
}

static json_t *cv_json(const char *model_name, const char *data_path, const cli_options *opts,
                       const dial_knobs *knobs, const dial_dataset *data,
                       const dial_fold_scheme *scheme, const dial_splits *splits,
                       const dial_cv_result *result) {
    json_t *scores = json_array();
    for (size_t i = 0; i < result->n_scores; i++)
        json_array_append_new(scores, cli_json_number(result->scores[i]));
    json_t *knob_values = json_object();
    for (size_t i = 0; i < knobs->n; i++)
        json_object_set_new(knob_values, knobs->specs[i].name, cli_json_knob_value(knobs, i));
    size_t folds = splits->count / (opts->repeats ? opts->repeats : 1);
    return json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "model",
                     model_name, "data", data_path, "target", data->target_name, "metric",
                     dial_metric_name(result->metric), "folds", (json_int_t)folds, "repeats",
                     (json_int_t)opts->repeats, "stratified", cli_folds_stratified(data, scheme),
                     "folds_by", cli_fold_scheme_json(scheme), "seed", cli_json_u64(opts->seed),
                     "knobs", knob_values, "mean", cli_json_number(result->mean), "std",
                     cli_json_number(result->std), "scores", scores);
}

int cli_cmd_cv(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&cv_command, argc, argv, &opts);
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
    dial_splits splits = {0, NULL};
    dial_cv_result result = {0};
    dial_metric metric = DIAL_METRIC_ACCURACY;
    dial_fold_scheme scheme = {.kind = DIAL_FOLDS_SHUFFLED};
    double *keys = NULL;

    dial_status outcome = cli_model_knobs(ctx, &opts, model_name, &family, &knobs);
    if (outcome == DIAL_OK)
        outcome = cli_load_dataset_for(ctx, &opts, family, opts.positional[1], &table, &data);
    if (outcome == DIAL_OK) outcome = cli_fold_scheme(ctx, &opts, data, &scheme, &keys);
    if (outcome == DIAL_OK) outcome = cli_check_task(ctx, family, data);
    if (outcome == DIAL_OK) outcome = choose_metric(ctx, &opts, family, data, &metric);
    if (outcome == DIAL_OK) outcome = cli_check_labels(ctx, metric, data);
    if (outcome == DIAL_OK)
        outcome = dial_split_folds(ctx, data, &scheme, opts.folds, opts.repeats,
                                   cli_folds_stratified(data, &scheme), opts.seed, &splits);
    if (outcome == DIAL_OK)
        outcome = dial_cv_run(ctx, family, &knobs, data, &splits, metric, &result);

    if (outcome != DIAL_OK) {
        status = cli_fail(ctx, outcome);
    } else {
        if (opts.json)
            cli_json_print(
                cv_json(family->name, data_path, &opts, &knobs, data, &scheme, &splits, &result),
                stdout, 15);
        else
            print_cv_text(family->name, data_path, &opts, &knobs, data, &scheme, &splits, &result);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_cv_result_free(&result);
    dial_splits_free(&splits);
    dial_dataset_free(data);
    free(keys);
    dial_table_free(table);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
