/* Labelled data for a saved model, as dial importance and dial score read
 * it: the model's features bound by name and the true values encoded as
 * the model encodes them (its own class indices), the target column being
 * --target or else the model's recorded target. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The column holding the true values: --target, or else the model's
 * target when DATA has a column of that name. position_text (of
 * POSITION_TEXT_SIZE bytes) holds a 1-based column number when that is the
 * answer. */
#define POSITION_TEXT_SIZE 32
static dial_status choose_target(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                                 const dial_table *table, const char *data_path,
                                 char *position_text, const char **target) {
    if (opts->target) {
        *target = opts->target;
        return DIAL_OK;
    }
    const char *name = dial_model_target_name(model);
    if (name && dial_table_find(table, name) >= 0) {
        *target = name;
        return DIAL_OK;
    }
    /* A file without a header holding the features and the target: the
     * target is where it was in training, as dial_model_bind assumes. */
    size_t n_features = dial_model_n_features(model);
    if (!table->has_header && table->n_cols == n_features + 1) {
        snprintf(position_text, POSITION_TEXT_SIZE, "%zu", dial_model_target_column(model) + 1);
        *target = position_text;
        return DIAL_OK;
    }
    return dial_fail(ctx, DIAL_ERR_DATA,
                     "%s has no column '%s' (the model's target); name the column of true "
                     "values with --target",
                     data_path, name ? name : "");
}

/* The bound features of the model with the true values as the model
 * encodes them: class indices of the model's own classes (matched by
 * label), or values. */
static dial_status attach_target(dial_ctx *ctx, const dial_model *model, const dial_table *table,
                                 const char *target, dial_dataset *bound) {
    dial_task task = dial_model_get_task(model);
    dial_dataset *truth = NULL;
    dial_status status = dial_dataset_from_table(ctx, table, target, task, &truth);
    if (status != DIAL_OK) return status;
    size_t n = truth->n_rows;
    double *y = cli_alloc(n ? n : 1, sizeof *y);
    size_t n_model = dial_model_n_classes(model);
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        if (task != DIAL_TASK_CLASSIFICATION) {
            y[i] = truth->y[i];
            continue;
        }
        const char *label = truth->class_names[(size_t)truth->y[i]];
        size_t c = 0;
        while (c < n_model && (!dial_model_class_name(model, c) ||
                               strcmp(dial_model_class_name(model, c), label) != 0))
            c++;
        if (c == n_model)
            status = dial_fail(ctx, DIAL_ERR_DATA,
                               "target '%s' has class '%s' on row %zu, which the model was not "
                               "trained on",
                               truth->target_name, label, i + 1);
        y[i] = (double)c;
    }
    if (status == DIAL_OK) {
        bound->y = y;
        bound->task = task;
        bound->n_classes = task == DIAL_TASK_CLASSIFICATION ? n_model : 0;
        bound->target_index = truth->target_index;
        bound->target_name = cli_strdup(truth->target_name);
    } else {
        free(y);
    }
    dial_dataset_free(truth);
    return status;
}

dial_status cli_model_truth(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                            const dial_table *table, const char *data_path, dial_dataset **out) {
    *out = NULL;
    char position_text[POSITION_TEXT_SIZE];
    const char *target = NULL;
    dial_status status = choose_target(ctx, opts, model, table, data_path, position_text, &target);
    if (status == DIAL_OK) status = dial_model_bind(ctx, model, table, out);
    if (status == DIAL_OK) status = attach_target(ctx, model, table, target, *out);
    if (status != DIAL_OK) {
        dial_dataset_free(*out);
        *out = NULL;
    }
    return status;
}
