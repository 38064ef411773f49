/* Loading data and models the way every subcommand does: the same options
 * (--target, --task, --ignore, --sep, --no-header, -s) mean the same
 * everywhere. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

dial_status cli_read_table(dial_ctx *ctx, const cli_options *opts, const char *path,
                           dial_table **out) {
    dial_csv_options csv = {
        .separator = opts->separator,
        .header = opts->no_header ? DIAL_HEADER_NO : DIAL_HEADER_AUTO,
    };
    return dial_table_read(ctx, path, &csv, out);
}

dial_status cli_each_column(dial_ctx *ctx, const char *const *items, size_t n,
                            dial_status (*each)(dial_ctx *, const char *, void *), void *context) {
    dial_status status = DIAL_OK;
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        char *list = cli_strdup(items[i]);
        char *rest = list;
        for (char *column = list; status == DIAL_OK && column; column = rest) {
            rest = strchr(column, ',');
            if (rest) *rest++ = '\0';
            status = each(ctx, column, context);
        }
        free(list);
    }
    return status;
}

static dial_status ignore_column(dial_ctx *ctx, const char *column, void *data) {
    return dial_dataset_ignore(ctx, data, column);
}

dial_status cli_load_dataset(dial_ctx *ctx, const cli_options *opts, const char *path,
                             dial_table **table, dial_dataset **data) {
    *table = NULL;
    *data = NULL;
    dial_status status = cli_read_table(ctx, opts, path, table);
    if (status != DIAL_OK) return status;
    status = dial_dataset_from_table(ctx, *table, opts->target, opts->task, data);
    if (status == DIAL_OK)
        status = cli_each_column(ctx, opts->ignores, opts->n_ignores, ignore_column, *data);
    if (status != DIAL_OK) {
        dial_dataset_free(*data);
        *data = NULL;
        dial_table_free(*table);
        *table = NULL;
    }
    return status;
}

dial_status cli_load_dataset_for(dial_ctx *ctx, const cli_options *opts,
                                 const dial_model_family *family, const char *path,
                                 dial_table **table, dial_dataset **data) {
    if (!family->unsupervised && opts->labels)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "--labels names the known groups a clustering is compared with, but %s "
                         "is no clustering: name what it predicts with --target %s",
                         family->name, opts->labels);
    if (!family->unsupervised) return cli_load_dataset(ctx, opts, path, table, data);
    *table = NULL;
    *data = NULL;
    if (opts->target)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s learns without a target, but --target %s names one: every column "
                         "is a feature; leave a column out with --ignore %s",
                         family->name, opts->target, opts->target);
    dial_status status = cli_read_table(ctx, opts, path, table);
    if (status == DIAL_OK && opts->labels)
        status = dial_dataset_from_table(ctx, *table, opts->labels, DIAL_TASK_CLASSIFICATION, data);
    else if (status == DIAL_OK)
        status = dial_dataset_features_only(ctx, *table, data);
    if (status == DIAL_OK)
        status = cli_each_column(ctx, opts->ignores, opts->n_ignores, ignore_column, *data);
    if (status != DIAL_OK) {
        dial_dataset_free(*data);
        *data = NULL;
        dial_table_free(*table);
        *table = NULL;
    }
    return status;
}

dial_status cli_check_labels(dial_ctx *ctx, dial_metric metric, const dial_dataset *data) {
    if (!dial_metric_needs_labels(metric) || data->y) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "metric '%s' compares the clusters with known labels: name their column "
                     "with --labels COLUMN, or score with silhouette",
                     dial_metric_name(metric));
}

dial_status cli_model_knobs(dial_ctx *ctx, const cli_options *opts, const char *model_name,
                            const dial_model_family **family, dial_knobs *knobs) {
    memset(knobs, 0, sizeof *knobs);
    dial_status status = dial_model_family_lookup(ctx, model_name, family);
    if (status != DIAL_OK) return status;
    status = dial_model_knobs_init(ctx, *family, knobs);
    for (size_t i = 0; status == DIAL_OK && i < opts->n_sets; i++)
        status = dial_knobs_set_assignment(ctx, knobs, opts->sets[i]);
    if (status == DIAL_OK) status = dial_knobs_check(ctx, knobs);
    if (status != DIAL_OK) {
        dial_knobs_free(knobs);
        memset(knobs, 0, sizeof *knobs);
    }
    return status;
}

const char *cli_tasks_text(unsigned tasks) {
    bool classification = tasks & DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION);
    bool regression = tasks & DIAL_TASK_BIT(DIAL_TASK_REGRESSION);
    if (classification && regression) return "classification, regression";
    if (classification) return "classification";
    if (regression) return "regression";
    if (tasks & DIAL_TASK_BIT(DIAL_TASK_CLUSTERING)) return "clustering";
    return "-";
}

dial_status cli_check_task(dial_ctx *ctx, const dial_model_family *family,
                           const dial_dataset *data) {
    if (family->unsupervised || (family->tasks & DIAL_TASK_BIT(data->task))) return DIAL_OK;
    const char *other = data->task == DIAL_TASK_REGRESSION ? "classification" : "regression";
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "%s does %s only, but the target '%s' is a %s target; choose another model "
                     "(see 'dial models') or pass --task %s",
                     family->name, cli_tasks_text(family->tasks),
                     data->target_name ? data->target_name : "?", dial_task_name(data->task),
                     other);
}
