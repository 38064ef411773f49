/* dial score MODEL.dial DATA: how well a saved model does on labelled rows
 * (a holdout set aside by 'dial tune --holdout-out', this month's data),
 * the way svm-predict reports accuracy: every metric of the model's task,
 * or those asked for, and a confusion matrix for a classifier. The model
 * is never refitted. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command score_command = {
    .name = "score",
    .usage = "dial score MODEL.dial DATA [options]",
    .positional = (const char *const[]){"MODEL.dial", "DATA"},
    .n_positional = 2,
    .options = CLI_OPT_TARGET | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_METRIC | CLI_OPT_JOBS |
               CLI_OPT_JSON | CLI_OPT_HELP | CLI_OPT_LABELS | CLI_OPT_SILHOUETTE_ROWS,
    .help =
        "Usage: dial score MODEL.dial DATA [options]\n"
        "\n"
        "Scores a model saved by 'dial fit' or 'dial tune' on the labelled rows of DATA,\n"
        "without refitting: every metric of the model's task (those on probabilities only\n"
        "when the model gives them), or the ones named with --metric, and for a classifier\n"
        "the confusion matrix (rows: the true class, columns: the predicted one). The\n"
        "model's features are found in DATA by name, as in 'dial predict'; the true values\n"
        "are the column of the model's target. Scores are computed as 'dial cv' and\n"
        "'dial tune' compute them, so the rows 'dial tune --holdout-out' wrote score what\n"
        "tune printed as the holdout score.\n"
        "\n"
        "A clustering model (kmeans, gmm, dbscan) is scored on the rows and the clusters\n"
        "it puts them in: silhouette, davies_bouldin, calinski_harabasz, inertia, bic\n"
        "and aic (a gmm's), and with --labels COLUMN adjusted_rand and\n"
        "normalized_mutual_info against those known groups.\n"
        "\n"
        "Options:\n"
        "  -m, --metric NAME     a metric to report (repeatable, or comma-separated:\n"
        "                        accuracy,f1); accuracy, balanced_accuracy, log_loss,\n"
        "                        roc_auc, f1 for classification; rmse, mae, r2 for\n"
        "                        regression (default: all of the model's task)\n"
        "  --labels COLUMN       a clustering's known groups, compared with its clusters\n"
        "  --silhouette-rows N   the silhouette is exact up to N rows (default 4096) and\n"
        "                        scores a seeded sample of N rows above; 'all': every\n"
        "                        row, n^2 distances\n"
        "  -t, --target COLUMN   the true values: a name or a 1-based index (default: the\n"
        "                        column named like the model's target; in a file without\n"
        "                        a header, the target's column in training)\n"
        "  --sep CHAR            the CSV separator of DATA (default: detect , ; or tab)\n"
        "  --no-header           the first row of DATA is data, not column names\n"
        "  -j, --jobs N          threads to use (default: the number of CPUs)\n"
        "  --json                one JSON object: {\"rows\", \"metrics\": {\"accuracy\": ...},\n"
        "                        \"confusion_matrix\": {\"labels\", \"counts\"} or null}\n"
        "  -h, --help            this help\n"
        "\n"
        "Example:\n"
        "  dial tune knn data/iris.csv --target species --holdout 0.2 --holdout-out "
        "held.csv -o iris.dial\n"
        "  dial score iris.dial held.csv\n"
        "  dial score iris.dial held.csv --metric accuracy,f1 --json\n"
        "  dial fit kmeans data/iris.csv --ignore species -s k=3 -o kmeans.dial\n"
        "  dial score kmeans.dial data/iris.csv --labels species\n",
};

/* Whether a clustering model can give the metric on the rows at hand:
 * the metrics with labels need --labels, bic and aic a likelihood. */
static bool clustering_gives(const dial_model *model, bool labels, dial_metric metric) {
    if (dial_metric_task(metric) != DIAL_TASK_CLUSTERING) return false;
    if (dial_metric_needs_labels(metric) && !labels) return false;
    return !dial_metric_needs_likelihood(metric) || dial_model_get_family(model)->log_likelihood;
}

/* Refuses a metric a clustering model cannot give, saying what would. */
static int refuse_clustering_metric(dial_ctx *ctx, const dial_model *model, const char *model_path,
                                    dial_metric metric) {
    const char *name = dial_metric_name(metric);
    if (dial_metric_task(metric) != DIAL_TASK_CLUSTERING)
        return cli_error(CLI_EXIT_USAGE,
                         "metric '%s' is for %s, but %s is a clustering model, which has no "
                         "target; its metrics are silhouette, davies_bouldin, calinski_harabasz, "
                         "inertia, and with --labels adjusted_rand, normalized_mutual_info",
                         name, dial_task_name(dial_metric_task(metric)), model_path);
    dial_status status = dial_metric_check(ctx, metric, DIAL_TASK_CLUSTERING, NULL,
                                           dial_model_get_family(model), NULL);
    if (status != DIAL_OK) return cli_fail(ctx, status);
    return cli_error(CLI_EXIT_USAGE,
                     "metric '%s' compares the clusters with known labels: name their column "
                     "with --labels COLUMN, or score with silhouette",
                     name);
}

/* Whether the model predicts class probabilities: its family can, and a
 * family that needs a knob for them (svm's probability) was fitted with it. */
static bool model_gives_proba(const dial_model *model) {
    const dial_model_family *family = dial_model_get_family(model);
    if (dial_model_get_task(model) != DIAL_TASK_CLASSIFICATION || !family->has_proba) return false;
    return !family->proba_knob || dial_knobs_bool(dial_model_get_knobs(model), family->proba_knob);
}

/* Refuses a metric the model cannot give, saying what would (exit 2, as
 * dial cv and dial tune refuse it). */
static int refuse_metric(const dial_model *model, const char *model_path, dial_metric metric) {
    const dial_model_family *family = dial_model_get_family(model);
    const char *name = dial_metric_name(metric);
    dial_task task = dial_model_get_task(model);
    if (dial_metric_task(metric) != task)
        return cli_error(
            CLI_EXIT_USAGE, "metric '%s' is for %s, but %s is a %s model; its metrics are %s", name,
            dial_task_name(dial_metric_task(metric)), model_path, dial_task_name(task),
            task == DIAL_TASK_CLASSIFICATION ? "accuracy, balanced_accuracy, log_loss, roc_auc, f1"
                                             : "rmse, mae, r2");
    if (family->proba_knob && family->has_proba)
        return cli_error(CLI_EXIT_USAGE,
                         "metric '%s' needs class probabilities, which %s gives only with "
                         "%s=true, and %s was fitted without it: refit it with -s %s=true",
                         name, family->name, family->proba_knob, model_path, family->proba_knob);
    return cli_error(CLI_EXIT_USAGE,
                     "metric '%s' needs class probabilities, which %s does not give; choose "
                     "another metric",
                     name, family->name);
}

/* The metrics to report, in the order asked (duplicates once), or all of
 * the task's. Returns -1, or the exit status after one line on stderr. */
static int choose_metrics(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                          const char *model_path, dial_metric *metrics, size_t *n_metrics) {
    *n_metrics = 0;
    dial_task task = dial_model_get_task(model);
    bool proba = model_gives_proba(model), clustering = task == DIAL_TASK_CLUSTERING;
    if (opts->labels && !clustering)
        return cli_error(CLI_EXIT_USAGE,
                         "--labels names the known groups a clustering is compared with, but %s "
                         "is a %s model: name its true values with --target %s",
                         model_path, dial_task_name(task), opts->labels);
    if (clustering && opts->target)
        return cli_error(CLI_EXIT_USAGE,
                         "%s is a clustering model, which has no target, but --target %s names "
                         "one: name known groups to compare the clusters with by --labels %s",
                         model_path, opts->target, opts->target);
    if (opts->n_metrics == 0) {
        for (int m = 0; m < DIAL_METRIC_COUNT; m++)
            if (clustering ? clustering_gives(model, opts->labels, (dial_metric)m)
                           : dial_metric_task((dial_metric)m) == task &&
                                 (proba || !dial_metric_needs_proba((dial_metric)m)))
                metrics[(*n_metrics)++] = (dial_metric)m;
        return -1;
    }
    for (size_t i = 0; i < opts->n_metrics; i++) {
        char *list = cli_strdup(opts->metrics[i]);
        int status = -1;
        for (char *item = list, *comma; item && status < 0; item = comma ? comma + 1 : NULL) {
            comma = strchr(item, ',');
            if (comma) *comma = '\0';
            dial_metric metric;
            dial_status parsed = dial_metric_parse(ctx, item, &metric);
            if (parsed != DIAL_OK) {
                status = cli_fail(ctx, parsed);
            } else if (clustering && !clustering_gives(model, opts->labels, metric)) {
                status = refuse_clustering_metric(ctx, model, model_path, metric);
            } else if (dial_metric_task(metric) != task ||
                       (dial_metric_needs_proba(metric) && !proba)) {
                status = refuse_metric(model, model_path, metric);
            } else {
                bool seen = false;
                for (size_t k = 0; k < *n_metrics; k++) seen |= metrics[k] == metric;
                if (!seen) metrics[(*n_metrics)++] = metric;
            }
        }
        free(list);
        if (status >= 0) return status;
    }
    return -1;
}

/* What scoring leaves: a value per metric, and the confusion matrix of a
 * classifier (n_classes x n_classes, rows true). */
typedef struct score_outcome {
    size_t n_rows, n_classes;
    double values[DIAL_METRIC_COUNT];
    size_t *confusion; /* NULL for regression */
} score_outcome;

/* A clustering's metrics on the rows as the model sees them and the
 * clusters it puts them in, as dial cv scores a fold (the silhouette's
 * sample, above its row cap, drawn from the run's seed). */
static dial_status score_clusters(dial_ctx *ctx, const dial_model *model, const dial_dataset *data,
                                  const dial_metric *metrics, size_t n_metrics,
                                  size_t silhouette_rows, score_outcome *out) {
    bool likelihood = false;
    for (size_t k = 0; k < n_metrics; k++) likelihood |= dial_metric_needs_likelihood(metrics[k]);
    size_t n = data->n_rows, n_parameters = 0;
    double *clusters = cli_alloc(n ? n : 1, sizeof *clusters);
    double *log_likelihood = likelihood ? cli_alloc(n ? n : 1, sizeof *log_likelihood) : NULL;
    double *x = NULL;
    dial_view all = dial_view_all(data);
    dial_status status = dial_model_transform(ctx, model, &all, &x);
    if (status == DIAL_OK) status = dial_model_predict(ctx, model, &all, clusters, NULL);
    if (status == DIAL_OK && likelihood)
        status = dial_model_log_likelihood(ctx, model, &all, log_likelihood, &n_parameters);
    dial_metric_rows rows = {.n = n,
                             .y_true = data->y,
                             .y_pred = clusters,
                             .x = x,
                             .n_inputs = dial_model_n_inputs(model),
                             .seed = dial_ctx_seed(ctx),
                             /* SIZE_MAX ("all") is the row count: no sample */
                             .max_rows = silhouette_rows < n ? silhouette_rows : n,
                             .log_likelihood = log_likelihood,
                             .n_parameters = n_parameters};
    for (size_t k = 0; status == DIAL_OK && k < n_metrics; k++)
        status = dial_metric_score_rows(ctx, metrics[k], &rows, &out->values[k]);
    out->n_rows = n;
    free(x);
    free(clusters);
    free(log_likelihood);
    return status;
}

/* The rows of a clustering model: its features bound by name and, with
 * --labels, the known groups as the dataset's y (class indices, the
 * column's name as its target name), which the clusters are compared
 * with. */
static dial_status clustering_rows(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                                   const dial_table *table, dial_dataset **out) {
    dial_status status = dial_model_bind(ctx, model, table, out);
    if (status != DIAL_OK || !opts->labels) return status;
    dial_dataset *labels = NULL;
    status = dial_dataset_from_table(ctx, table, opts->labels, DIAL_TASK_CLASSIFICATION, &labels);
    if (status == DIAL_OK) {
        (*out)->y = labels->y;
        labels->y = NULL;
        (*out)->target_name = cli_strdup(labels->target_name);
    }
    dial_dataset_free(labels);
    return status;
}

static dial_status score_rows(dial_ctx *ctx, const dial_model *model, const dial_dataset *data,
                              const dial_metric *metrics, size_t n_metrics, size_t silhouette_rows,
                              score_outcome *out) {
    if (dial_model_get_task(model) == DIAL_TASK_CLUSTERING)
        return score_clusters(ctx, model, data, metrics, n_metrics, silhouette_rows, out);
    bool want_proba = false;
    for (size_t k = 0; k < n_metrics; k++) want_proba |= dial_metric_needs_proba(metrics[k]);
    size_t n = data->n_rows, n_classes = data->n_classes;
    double *predicted = cli_alloc(n ? n : 1, sizeof *predicted);
    double *proba = want_proba ? cli_alloc(n * n_classes, sizeof *proba) : NULL;
    dial_view all = dial_view_all(data);
    dial_status status = dial_model_predict(ctx, model, &all, predicted, proba);
    for (size_t k = 0; status == DIAL_OK && k < n_metrics; k++)
        status = dial_metric_score(ctx, metrics[k], data->y, predicted, proba, n, n_classes,
                                   &out->values[k]);
    if (status == DIAL_OK && dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION) {
        out->confusion = cli_alloc(n_classes * n_classes, sizeof *out->confusion);
        status = dial_confusion_matrix(ctx, data->y, predicted, n, n_classes, out->confusion);
    }
    out->n_rows = n;
    out->n_classes = n_classes;
    free(predicted);
    free(proba);
    return status;
}

static void print_confusion(const dial_model *model, const score_outcome *outcome) {
    size_t n_classes = outcome->n_classes;
    if (n_classes + 1 > CLI_TABLE_MAX_COLS) {
        /* Too many classes for a table: one line per non-zero cell. */
        for (size_t t = 0; t < n_classes; t++)
            for (size_t p = 0; p < n_classes; p++)
                if (outcome->confusion[t * n_classes + p])
                    printf("  true %s, predicted %s: %zu\n", dial_model_class_name(model, t),
                           dial_model_class_name(model, p), outcome->confusion[t * n_classes + p]);
        return;
    }
    cli_table table;
    cli_table_init(&table, n_classes + 1);
    const char *cells[CLI_TABLE_MAX_COLS];
    cells[0] = "true \\ predicted";
    for (size_t c = 0; c < n_classes; c++) {
        cells[c + 1] = dial_model_class_name(model, c);
        table.right[c + 1] = true;
    }
    cli_table_add(&table, cells);
    char numbers[CLI_TABLE_MAX_COLS][24];
    for (size_t t = 0; t < n_classes; t++) {
        cells[0] = dial_model_class_name(model, t);
        for (size_t p = 0; p < n_classes; p++) {
            snprintf(numbers[p], sizeof numbers[p], "%zu", outcome->confusion[t * n_classes + p]);
            cells[p + 1] = numbers[p];
        }
        cli_table_add(&table, cells);
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
}

static void print_text(const char *model_path, const char *data_path, const dial_model *model,
                       const dial_dataset *data, const cli_options *opts,
                       const dial_metric *metrics, size_t n_metrics, const score_outcome *outcome) {
    const dial_model_family *family = dial_model_get_family(model);
    if (dial_model_get_task(model) == DIAL_TASK_CLUSTERING)
        printf("%s (%s) on %s: %zu rows, %s%s\n", family->name, model_path, data_path,
               outcome->n_rows, data->target_name ? "labels " : "clustering, no labels",
               data->target_name ? data->target_name : "");
    else
        printf("%s (%s) on %s: %zu rows, target %s\n", family->name, model_path, data_path,
               outcome->n_rows, data->target_name);
    /* One column for the values, however long the longest name
     * (normalized_mutual_info is 22 characters). */
    int width = 18;
    for (size_t k = 0; k < n_metrics; k++)
        if ((int)strlen(dial_metric_name(metrics[k])) > width)
            width = (int)strlen(dial_metric_name(metrics[k]));
    for (size_t k = 0; k < n_metrics; k++)
        printf("  %-*s %.4f\n", width, dial_metric_name(metrics[k]), outcome->values[k]);
    if (opts->n_metrics == 0 && dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION &&
        !model_gives_proba(model)) {
        if (family->has_proba && family->proba_knob)
            printf("  log_loss and roc_auc need class probabilities: fit with -s %s=true\n",
                   family->proba_knob);
        else
            printf("  log_loss and roc_auc need class probabilities, which %s does not give\n",
                   family->name);
    }
    if (outcome->confusion) {
        printf("\nconfusion matrix (rows: true class, columns: predicted)\n");
        print_confusion(model, outcome);
    }
}

static json_t *score_json(const dial_model *model, const dial_metric *metrics, size_t n_metrics,
                          const score_outcome *outcome) {
    json_t *values = json_object();
    for (size_t k = 0; k < n_metrics; k++)
        json_object_set_new(values, dial_metric_name(metrics[k]),
                            cli_json_number(outcome->values[k]));
    json_t *confusion = NULL;
    if (outcome->confusion) {
        size_t n_classes = outcome->n_classes;
        json_t *labels = json_array(), *counts = json_array();
        for (size_t t = 0; t < n_classes; t++) {
            json_array_append_new(labels, json_string(dial_model_class_name(model, t)));
            json_t *row = json_array();
            for (size_t p = 0; p < n_classes; p++)
                json_array_append_new(
                    row, json_integer((json_int_t)outcome->confusion[t * n_classes + p]));
            json_array_append_new(counts, row);
        }
        confusion = json_pack("{s:o, s:o}", "labels", labels, "counts", counts);
    }
    return json_pack("{s:I, s:o, s:o}", "rows", (json_int_t)outcome->n_rows, "metrics", values,
                     "confusion_matrix", confusion ? confusion : json_null());
}

int cli_cmd_score(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&score_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *model_path = cli_display_path(opts.positional[0]);
    const char *data_path = cli_display_path(opts.positional[1]);
    dial_ctx *ctx = cli_context(&opts);
    dial_model *model = NULL;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_metric metrics[DIAL_METRIC_COUNT];
    size_t n_metrics = 0;
    score_outcome outcome = {0};

    /* The metrics are checked against the model before DATA is read: a
     * metric the model cannot give is the command line's mistake. */
    dial_status result = dial_model_load(ctx, opts.positional[0], &model);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
        goto done;
    }
    status = choose_metrics(ctx, &opts, model, model_path, metrics, &n_metrics);
    if (status >= 0) goto done;
    result = cli_read_table_for_model(ctx, &opts, model, opts.positional[1], &table);
    if (result == DIAL_OK)
        result = dial_model_get_task(model) == DIAL_TASK_CLUSTERING
                     ? clustering_rows(ctx, &opts, model, table, &data)
                     : cli_model_truth(ctx, &opts, model, table, data_path, &data);
    if (result == DIAL_OK)
        result = score_rows(ctx, model, data, metrics, n_metrics, opts.silhouette_rows, &outcome);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
        goto done;
    }
    if (opts.json)
        cli_json_print(score_json(model, metrics, n_metrics, &outcome), stdout, 17);
    else
        print_text(model_path, data_path, model, data, &opts, metrics, n_metrics, &outcome);
    status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;

done:
    free(outcome.confusion);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_model_free(model);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}
