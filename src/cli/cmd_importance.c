/* dial importance MODEL.dial DATA: which features a saved model relies on,
 * measured by how much its score drops when each one is shuffled
 * (permutation importance), beside the impurity or gain importance a tree
 * model learned, when it has one. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command importance_command = {
    .name = "importance",
    .usage = "dial importance MODEL.dial DATA [options]",
    .positional = (const char *const[]){"MODEL.dial", "DATA"},
    .n_positional = 2,
    .options = CLI_OPT_TARGET | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_REPEATS | CLI_OPT_METRIC |
               CLI_OPT_SEED | CLI_OPT_JOBS | CLI_OPT_JSON | CLI_OPT_HELP | CLI_OPT_FOLD_SCHEME,
    .help =
        "Usage: dial importance MODEL.dial DATA [options]\n"
        "\n"
        "Ranks the features of a model saved by 'dial fit' or 'dial tune' by permutation\n"
        "importance: the model scores DATA as it is (the baseline), then once more for\n"
        "each feature and repeat with that feature's values shuffled across the rows; a\n"
        "feature's importance is how much the score gets worse (baseline minus shuffled\n"
        "score, the other way round for rmse, mae and log_loss), so about 0 means the\n"
        "model does not use it and a negative value is noise. Use rows the model was not\n"
        "fitted on to see what generalises. The model's features are found in DATA by\n"
        "name, as in 'dial predict'. Tree, forest and gbdt models also show the\n"
        "importance they learned (impurity decrease or gain, summing to 1), in the\n"
        "impurity column. The result depends only on --seed, never on --jobs.\n"
        "\n"
        "Rows of one group (a patient, a user, a machine) are not independent: shuffling\n"
        "a feature across all rows mixes values of the same patient with each other's\n"
        "and overstates how much the model relies on it. With --groups COLUMN the shuffle\n"
        "permutes whole groups instead: the rows of group g take the feature's values of\n"
        "the rows of group pi(g), pi a random permutation of the groups (numbered by\n"
        "their first row), the i-th row of g the value of the (i mod size)-th row of\n"
        "pi(g). A group's values stay together, and a feature constant within groups\n"
        "stays so. The column is not a feature of the model (fit with --ignore COLUMN,\n"
        "or tune with --groups COLUMN) and needs at least 2 groups; with few groups,\n"
        "few different shuffles exist.\n"
        "\n"
        "Options:\n"
        "  -t, --target COLUMN   the true values: a name or a 1-based index (default: the\n"
        "                        column named like the model's target; in a file without\n"
        "                        a header, the target's column in training)\n"
        "  --repeats R           shuffles per feature (default 5)\n"
        "  -m, --metric NAME     accuracy, balanced_accuracy, log_loss, roc_auc, f1 for\n"
        "                        classification (default accuracy); rmse, mae, r2 for\n"
        "                        regression (default r2)\n"
        "  --seed N              seed of the shuffles (default 0)\n"
        "  --groups COLUMN       the group of each row: permute whole groups (see above)\n"
        "  --sep CHAR            the CSV separator of DATA (default: detect , ; or tab)\n"
        "  --no-header           the first row of DATA is data, not column names\n"
        "  -j, --jobs N          threads to use (default: the number of CPUs)\n"
        "  --json                one JSON object: {\"model\", \"model_file\", \"data\",\n"
        "                        \"target\", \"metric\", \"baseline\", \"repeats\", \"seed\",\n"
        "                        \"groups\": {\"column\", \"count\"} or null,\n"
        "                        \"features\": [{\"name\", \"mean\", \"std\", \"impurity\"}]},\n"
        "                        features by mean, largest first; impurity is null for\n"
        "                        models without one\n"
        "  -h, --help            this help\n"
        "\n"
        "Example:\n"
        "  dial fit tree data/iris.csv --target species -s max_depth=3 -o iris.dial\n"
        "  dial importance iris.dial data/iris.csv --repeats 10\n"
        "  dial fit linear data/grunfeld.csv --target invest --ignore firm -o g.dial\n"
        "  dial importance g.dial data/grunfeld.csv --groups firm\n",
};

#define BAR_WIDTH 40

/* Whether --repeats was on the command line: the parser's default (1) is
 * that of dial cv, too few shuffles for a stable importance. */
static bool repeats_given(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return false;
        if (strcmp(argv[i], "--repeats") == 0 || strncmp(argv[i], "--repeats=", 10) == 0)
            return true;
    }
    return false;
}

/* Of the ways cv and tune split rows, importance takes only --groups: the
 * others say which rows may be fitted on, and importance fits nothing
 * (--gap alone is refused by the parser: it needs a time column). */
static int refuse_other_splits(const cli_options *opts) {
    const char *given = opts->time_column   ? "--time-column"
                        : opts->time_order  ? "--time-order"
                        : opts->fold_column ? "--fold-column"
                                            : NULL;
    if (!given) return -1;
    return cli_error(CLI_EXIT_USAGE,
                     "%s says how cv and tune split rows into folds; importance fits nothing and "
                     "takes only --groups COLUMN, to permute whole groups",
                     given);
}

static dial_status choose_metric(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                                 dial_metric *metric) {
    if (!opts->metric) {
        *metric = dial_metric_default(dial_model_get_task(model));
        return DIAL_OK;
    }
    return dial_metric_parse(ctx, opts->metric, metric);
}

/* The impurity or gain importance the model learned, per raw feature
 * (malloc'ed), into *out; NULL when its family learns none. */
static dial_status learned_importance(dial_ctx *ctx, const dial_model *model, double **out) {
    *out = NULL;
    if (!dial_model_has_feature_importance(model)) return DIAL_OK;
    size_t n_features = dial_model_n_features(model);
    double *importance = cli_alloc(n_features ? n_features : 1, sizeof *importance);
    dial_status status = dial_model_feature_importance(ctx, model, importance);
    if (status == DIAL_OK)
        *out = importance;
    else
        free(importance);
    return status;
}

/* Largest mean first; ties keep the model's feature order. Insertion sort:
 * qsort has no context argument in C11 and a model has few features. */
static void rank_features(const dial_importance_result *result, size_t *order) {
    size_t n = result->n_features;
    for (size_t j = 0; j < n; j++) {
        size_t k = j;
        while (k > 0 && result->mean[order[k - 1]] < result->mean[j]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = j;
    }
}

static void print_text(const char *model_path, const char *data_path, const dial_model *model,
                       const dial_dataset *data, const cli_options *opts, size_t repeats,
                       const dial_importance_result *result, const size_t *order,
                       const double *impurity) {
    dial_metric metric = result->metric;
    printf("permutation importance of %s (%s) on %s (%zu rows, target %s)",
           dial_model_get_family(model)->name, model_path, data_path, data->n_rows,
           data->target_name);
    if (opts->groups)
        printf(", whole groups of %s permuted (%zu groups)", opts->groups, result->n_groups);
    printf("\n");
    printf("metric %s (%s is better): baseline %.4f; %zu repeat%s, seed %" PRIu64 "\n\n",
           dial_metric_name(metric), dial_metric_greater_is_better(metric) ? "higher" : "lower",
           result->baseline, repeats, repeats == 1 ? "" : "s", opts->seed);

    size_t n = result->n_features, name_width = strlen("feature");
    double largest = 0;
    for (size_t j = 0; j < n; j++) {
        size_t length = strlen(dial_model_feature_name(model, j));
        if (length > name_width) name_width = length;
        if (result->mean[j] > largest) largest = result->mean[j];
    }
    printf("  %-*s  %18s", (int)name_width, "feature", "mean \u00b1 std");
    if (impurity) printf("  %8s", "impurity");
    printf("\n");
    for (size_t rank = 0; rank < n; rank++) {
        size_t j = order[rank];
        double mean = result->mean[j];
        char bar[BAR_WIDTH + 1] = "";
        size_t length = largest > 0 && mean > 0 ? (size_t)lround(BAR_WIDTH * mean / largest) : 0;
        memset(bar, '#', length);
        bar[length] = '\0';
        printf("  %-*s  %8.4f \u00b1 %6.4f", (int)name_width, dial_model_feature_name(model, j),
               mean, result->std[j]);
        if (impurity) printf("  %8.4f", impurity[j]);
        printf("%s%s\n", length ? "  " : "", bar);
    }
}

static json_t *importance_json(const char *model_path, const char *data_path,
                               const dial_model *model, const dial_dataset *data,
                               const cli_options *opts, size_t repeats,
                               const dial_importance_result *result, const size_t *order,
                               const double *impurity) {
    json_t *features = json_array();
    for (size_t rank = 0; rank < result->n_features; rank++) {
        size_t j = order[rank];
        json_array_append_new(
            features,
            json_pack("{s:s, s:o, s:o, s:o}", "name", dial_model_feature_name(model, j), "mean",
                      cli_json_number(result->mean[j]), "std", cli_json_number(result->std[j]),
                      "impurity", impurity ? cli_json_number(impurity[j]) : json_null()));
    }
    json_t *groups = opts->groups ? json_pack("{s:s, s:I}", "column", opts->groups, "count",
                                              (json_int_t)result->n_groups)
                                  : json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:o, s:o, s:o}", "model",
                     dial_model_get_family(model)->name, "model_file", model_path, "data",
                     data_path, "target", data->target_name, "metric",
                     dial_metric_name(result->metric), "baseline",
                     cli_json_number(result->baseline), "repeats", (json_int_t)repeats, "seed",
                     cli_json_u64(opts->seed), "groups", groups, "features", features);
}

int cli_cmd_importance(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&importance_command, argc, argv, &opts);
    if (status < 0) status = refuse_other_splits(&opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *model_path = cli_display_path(opts.positional[0]);
    const char *data_path = cli_display_path(opts.positional[1]);
    size_t repeats = repeats_given(argc, argv) ? opts.repeats : 5;
    dial_ctx *ctx = cli_context(&opts);
    dial_model *model = NULL;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_importance_result result = {0};
    dial_metric metric = DIAL_METRIC_ACCURACY;

    dial_status outcome = dial_model_load(ctx, opts.positional[0], &model);
    if (outcome == DIAL_OK) outcome = choose_metric(ctx, &opts, model, &metric);
    if (outcome == DIAL_OK) outcome = cli_read_table(ctx, &opts, opts.positional[1], &table);
    if (outcome == DIAL_OK) outcome = cli_model_truth(ctx, &opts, model, table, data_path, &data);
    dial_importance_options options = {0};
    size_t groups_index = 0;
    if (outcome == DIAL_OK && opts.groups) {
        outcome = dial_table_column(ctx, table, opts.groups, "group", &groups_index);
        if (outcome == DIAL_OK) options.groups = &table->cols[groups_index];
    }
    if (outcome == DIAL_OK)
        outcome = dial_importance_permutation_with(ctx, model, data, metric, repeats, opts.seed,
                                                   &options, &result);
    double *impurity = NULL;
    if (outcome == DIAL_OK) outcome = learned_importance(ctx, model, &impurity);

    if (outcome != DIAL_OK) {
        status = cli_fail(ctx, outcome);
    } else {
        size_t *order = cli_alloc(result.n_features ? result.n_features : 1, sizeof *order);
        rank_features(&result, order);
        if (opts.json)
            cli_json_print(importance_json(model_path, data_path, model, data, &opts, repeats,
                                           &result, order, impurity),
                           stdout, 15);
        else
            print_text(model_path, data_path, model, data, &opts, repeats, &result, order,
                       impurity);
        free(order);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    free(impurity);
    dial_importance_result_free(&result);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_model_free(model);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
