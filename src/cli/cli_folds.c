/* How the rows may be split, the way every subcommand that makes folds
 * reads it: --groups, --time-column, --time-order, --gap, --fold-column.
 * The column named is taken out of the features: it says which rows belong
 * together, and a model that saw a patient's id would learn the patient. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

dial_status cli_fold_scheme(dial_ctx *ctx, const cli_options *opts, dial_dataset *data,
                            dial_fold_scheme *scheme, double **keys) {
    *scheme = (dial_fold_scheme){.kind = DIAL_FOLDS_SHUFFLED};
    *keys = NULL;
    if (opts->time_order) {
        *scheme = (dial_fold_scheme){.kind = DIAL_FOLDS_TIME, .gap = opts->gap};
        return DIAL_OK;
    }
    const char *name = opts->groups        ? opts->groups
                       : opts->time_column ? opts->time_column
                                           : opts->fold_column;
    if (!name) return DIAL_OK;
    dial_fold_kind kind = opts->groups        ? DIAL_FOLDS_GROUPED
                          : opts->time_column ? DIAL_FOLDS_TIME
                                              : DIAL_FOLDS_PREDEFINED;
    const dial_column *column = NULL;
    dial_status status = dial_dataset_drop_feature(ctx, data, name, &column);
    if (status == DIAL_OK) status = dial_fold_keys(ctx, column, data->n_rows, kind, keys);
    if (status != DIAL_OK) return status;
    *scheme =
        (dial_fold_scheme){.kind = kind, .keys = *keys, .column = column->name, .gap = opts->gap};
    return DIAL_OK;
}

char *cli_fold_scheme_text(const dial_fold_scheme *scheme, bool stratified) {
    const char *column = scheme->column ? scheme->column : "row order";
    const char *also = stratified ? ", stratified" : "";
    switch (scheme->kind) {
    case DIAL_FOLDS_GROUPED: return cli_format(" (grouped by %s%s)", column, also);
    case DIAL_FOLDS_TIME:
        return scheme->gap ? cli_format(" (forward-chaining by %s, gap %zu)", column, scheme->gap)
                           : cli_format(" (forward-chaining by %s)", column);
    case DIAL_FOLDS_PREDEFINED: return cli_format(" (given by %s)", column);
    default: return cli_strdup(stratified ? " (stratified)" : "");
    }
}

/* {"kind": "groups" | "time" | "given", "column", "gap"}, or null for
 * shuffled folds. */
json_t *cli_fold_scheme_json(const dial_fold_scheme *scheme) {
    if (scheme->kind == DIAL_FOLDS_SHUFFLED) return json_null();
    const char *kind = scheme->kind == DIAL_FOLDS_GROUPED ? "groups"
                       : scheme->kind == DIAL_FOLDS_TIME  ? "time"
                                                          : "given";
    return json_pack("{s:s, s:o, s:I}", "kind", kind, "column",
                     scheme->column ? json_string(scheme->column) : json_null(), "gap",
                     (json_int_t)scheme->gap);
}

bool cli_folds_stratified(const dial_dataset *data, const dial_fold_scheme *scheme) {
    return data->task == DIAL_TASK_CLASSIFICATION &&
           (scheme->kind == DIAL_FOLDS_SHUFFLED || scheme->kind == DIAL_FOLDS_GROUPED);
}

static int compare_keys(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t cli_given_folds(const dial_fold_scheme *scheme, size_t n_rows) {
    double *sorted = cli_alloc(n_rows ? n_rows : 1, sizeof *sorted);
    memcpy(sorted, scheme->keys, n_rows * sizeof *sorted);
    qsort(sorted, n_rows, sizeof *sorted, compare_keys);
    size_t folds = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (sorted[i] >= 0 && (i == 0 || sorted[i] != sorted[i - 1])) folds++;
    free(sorted);
    return folds;
}
