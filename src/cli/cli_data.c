/* Loading data and models the way every subcommand does: the same options
 * (--target, --task, --ignore, --sep, --no-header, --sparse, --dense, -s)
 * mean the same everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

dial_status cli_read_table(dial_ctx *ctx, const cli_options *opts, const char *path,
                           dial_table **out) {
    dial_csv_options csv = {
        .separator = opts->separator,
        .header = opts->no_header ? DIAL_HEADER_NO : DIAL_HEADER_AUTO,
        .sparse = opts->sparse > 0,
    };
    return dial_table_read(ctx, path, &csv, out);
}

bool cli_model_reads_csv_sparse(const dial_model *model) {
    if (!dial_model_takes_sparse(model)) return false;
    char name[32];
    for (size_t j = 0; j < dial_model_n_features(model); j++) {
        snprintf(name, sizeof name, "f%zu", j + 1);
        if (dial_model_feature_type(model, j) != DIAL_COLUMN_NUMERIC ||
            strcmp(dial_model_feature_name(model, j), name) != 0)
            return true;
    }
    return false;
}

dial_status cli_read_table_for_model(dial_ctx *ctx, const cli_options *opts,
                                     const dial_model *model, const char *path, dial_table **out) {
    dial_status status = cli_read_table(ctx, opts, path, out);
    if (status != DIAL_OK || (*out)->sparse || !cli_model_reads_csv_sparse(model)) return status;
    status = dial_table_make_sparse(ctx, *out);
    if (status != DIAL_OK) {
        dial_table_free(*out);
        *out = NULL;
    }
    return status;
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

/* The dataset of a table for a fit of family: a clustering's (every
 * column a feature, --labels its y) or a target's, less --ignore. */
static dial_status dataset_for(dial_ctx *ctx, const cli_options *opts,
                               const dial_model_family *family, const dial_table *table,
                               dial_dataset **data) {
    dial_status status;
    if (!family->unsupervised)
        status = dial_dataset_from_table(ctx, table, opts->target, opts->task, data);
    else if (opts->labels)
        status = dial_dataset_from_table(ctx, table, opts->labels, DIAL_TASK_CLASSIFICATION, data);
    else
        status = dial_dataset_features_only(ctx, table, data);
    if (status == DIAL_OK)
        status = cli_each_column(ctx, opts->ignores, opts->n_ignores, ignore_column, *data);
    if (status != DIAL_OK) {
        dial_dataset_free(*data);
        *data = NULL;
    }
    return status;
}

/* "knn, linsvm, logistic": the families that take sparse input. */
static void sparse_families(char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dial_model_family_count() && used + 1 < size; i++) {
        const dial_model_family *f = dial_model_family_at(i);
        if (!f->sparse_input) continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", f->name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* Without --sparse or --dense, a CSV whose features one-hot encoded would
 * be mostly zeros (dial_dataset_prefers_sparse) is made sparse for a
 * family that takes sparse input, and that is said once; not for one that
 * splits on categories natively (tree, forest, gbdt), whose input a
 * many-level categorical does not widen. A value that cannot be sparse (a
 * missing one in an ignored column) keeps it dense. */
static void choose_sparse(dial_ctx *ctx, const cli_options *opts, const dial_model_family *family,
                          const char *path, dial_table *table, dial_dataset *data) {
    size_t n_inputs = 0;
    double zeros = 0;
    if (opts->sparse || !family->sparse_input || family->categories_natively || table->sparse ||
        !dial_dataset_prefers_sparse(data, &n_inputs, &zeros) ||
        dial_dataset_make_sparse(ctx, table, data) != DIAL_OK)
        return;
    fprintf(stderr,
            "dial: note: %s is read sparse: its features one-hot encoded make %zu inputs, %.2f%% "
            "zeros (--dense reads it dense)\n",
            path, n_inputs, 100 * zeros);
}

dial_status cli_load_dataset_for(dial_ctx *ctx, const cli_options *opts,
                                 const dial_model_family *family, const char *path,
                                 dial_table **table, dial_dataset **data) {
    *table = NULL;
    *data = NULL;
    if (!family->unsupervised && opts->labels)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "--labels names the known groups a clustering is compared with, but %s "
                         "is no clustering: name what it predicts with --target %s",
                         family->name, opts->labels);
    if (family->unsupervised && opts->target)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s learns without a target, but --target %s names one: every column "
                         "is a feature; leave a column out with --ignore %s",
                         family->name, opts->target, opts->target);
    if (opts->sparse > 0 && !family->sparse_input) {
        char families[256];
        sparse_families(families, sizeof families);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "--sparse: model '%s' does not take sparse input; models that do: %s",
                         family->name, families);
    }
    dial_status status = cli_read_table(ctx, opts, path, table);
    if (status == DIAL_OK) status = dataset_for(ctx, opts, family, *table, data);
    if (status == DIAL_OK) choose_sparse(ctx, opts, family, path, *table, *data);
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
