/*
 * Datasets: the features and target a model is fitted on, drawn from a
 * table. This is where the task is decided (classification or regression)
 * and where class labels get their indices, so the same labels map to the
 * same classes in every file.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "dial/data.h"
#include "data/preprocess.h"

/* A numeric target with integer values and at most this many distinct ones
 * is taken for class labels. */
#define DATASET_MAX_INFERRED_CLASSES 30

/* Room for the list of columns in a message; the context keeps 1 KiB. */
#define DATASET_COLUMN_LIST_MAX 700

const char *dial_task_name(dial_task task) {
    switch (task) {
    case DIAL_TASK_AUTO: return "auto";
    case DIAL_TASK_CLASSIFICATION: return "classification";
    case DIAL_TASK_REGRESSION: return "regression";
    case DIAL_TASK_CLUSTERING: return "clustering";
    }
    return "unknown";
}

bool dial_task_needs_target(dial_task task) {
    return task == DIAL_TASK_CLASSIFICATION || task == DIAL_TASK_REGRESSION;
}

dial_view dial_view_all(const dial_dataset *data) {
    return (dial_view){.data = data, .rows = NULL, .n = data ? data->n_rows : 0};
}

void dial_dataset_free(dial_dataset *data) {
    if (!data) return;
    free(data->features);
    free(data->ignored);
    free(data->target_name);
    free(data->y);
    if (data->class_names)
        for (size_t c = 0; c < data->n_classes; c++) free(data->class_names[c]);
    free(data->class_names);
    free(data);
}

/* "a, b, c" of the table's column names, cut short with "..." when long. */
static void column_list(const dial_table *table, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < table->n_cols; j++) {
        const char *name = table->cols[j].name ? table->cols[j].name : "";
        size_t need = strlen(name) + 2;
        if (used + need + 5 >= size) {
            snprintf(buf + used, size - used, "%s...", j ? ", " : "");
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", j ? ", " : "", name);
    }
}

dial_status dial_table_column(dial_ctx *ctx, const dial_table *table, const char *name,
                              const char *role, size_t *index) {
    long found = dial_table_find(table, name);
    if (found >= 0) {
        *index = (size_t)found;
        return DIAL_OK;
    }
    const char **names = dial_malloc(ctx, (table->n_cols ? table->n_cols : 1) * sizeof *names);
    if (!names) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory finding column '%s'", name);
    for (size_t j = 0; j < table->n_cols; j++)
        names[j] = table->cols[j].name ? table->cols[j].name : "";
    /* The edit distance ignores case, so 'class' for 'Class' is at 0 and
     * wins over every typo. */
    const char *closest = dial_closest_name(name, names, table->n_cols);
    char list[DATASET_COLUMN_LIST_MAX];
    column_list(table, list, sizeof list);
    dial_status status =
        closest ? dial_fail(ctx, DIAL_ERR_DATA,
                            "%s column '%s' not found; did you mean '%s'? columns are: %s", role,
                            name, closest, list)
                : dial_fail(ctx, DIAL_ERR_DATA, "%s column '%s' not found; columns are: %s", role,
                            name, list);
    free(names);
    return status;
}

/* Resolves the target column: a name first (a column may well be called
 * "3"), then a 1-based index; NULL for the last column, or the first of a
 * table that holds its label there (LIBSVM). */
static dial_status find_target(dial_ctx *ctx, const dial_table *table, const char *target,
                               size_t *index) {
    if (!target) {
        *index = table->target_first ? 0 : table->n_cols - 1;
        return DIAL_OK;
    }
    if (dial_table_find(table, target) >= 0)
        return dial_table_column(ctx, table, target, "target", index);
    bool digits = *target != '\0' && strlen(target) < 20;
    for (const char *p = target; *p; p++)
        if (!isdigit((unsigned char)*p)) digits = false;
    if (digits) {
        unsigned long long k = strtoull(target, NULL, 10);
        if (k < 1 || k > table->n_cols)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "target column %s is out of range: the file has %zu columns", target,
                             table->n_cols);
        *index = (size_t)k - 1;
        return DIAL_OK;
    }
    return dial_table_column(ctx, table, target, "target", index);
}

/* Fails on the first infinite value of a numeric feature: no estimator can
 * use it and the user should know which cell it is. */
static dial_status check_features(dial_ctx *ctx, const dial_dataset *data) {
    const dial_csr *sparse = data->sparse;
    /* A sparse entry has no way to say "missing" (an absent one is 0), so
     * a NaN there is refused rather than imputed. */
    for (size_t i = 0; sparse && i < sparse->n_rows; i++)
        for (size_t k = sparse->row_start[i]; k < sparse->row_start[i + 1]; k++)
            if (!isfinite(sparse->value[k]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "feature 'f%u' has %s value on row %zu: sparse data takes "
                                 "finite numbers only",
                                 (unsigned)sparse->col[k] + 1,
                                 isnan(sparse->value[k]) ? "a missing (NaN)" : "an infinite",
                                 i + 1);
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        if (col->type != DIAL_COLUMN_NUMERIC || !col->values) continue;
        for (size_t i = 0; i < data->n_rows; i++)
            if (isinf(col->values[i]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "feature '%s' has an infinite value on row %zu", col->name, i + 1);
    }
    return DIAL_OK;
}

/* Allocates a dataset whose features are every column but skip (-1: none). */
static dial_status dataset_new(dial_ctx *ctx, const dial_table *table, long skip,
                               dial_dataset **out) {
    dial_dataset *data = dial_calloc(ctx, 1, sizeof *data);
    size_t n = table->n_cols - (skip >= 0 ? 1 : 0);
    if (data) data->features = dial_malloc(ctx, (n ? n : 1) * sizeof *data->features);
    if (!data || !data->features) {
        free(data);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the dataset");
    }
    data->table = table;
    data->n_rows = table->n_rows;
    data->target_index = -1;
    data->task = DIAL_TASK_AUTO;
    data->sparse = table->sparse;
    for (size_t j = 0; j < table->n_cols; j++)
        if ((long)j != skip) data->features[data->n_features++] = &table->cols[j];
    *out = data;
    return DIAL_OK;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A numeric class label: %g, or more digits when %g would merge two labels
 * (large integers, close fractions). */
static void format_label(double x, char *buf, size_t size) {
    snprintf(buf, size, "%g", x);
    for (int precision = 7; precision <= 17 && strtod(buf, NULL) != x; precision++)
        snprintf(buf, size, "%.*g", precision, x);
}

/* Classes of a numeric target: its distinct values in ascending order. */
static dial_status classes_from_numbers(dial_ctx *ctx, dial_dataset *data, const dial_column *col) {
    size_t n = data->n_rows;
    double *sorted = dial_malloc(ctx, (n ? n : 1) * sizeof *sorted);
    if (!sorted) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
    memcpy(sorted, col->values, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || sorted[i] != sorted[k - 1]) sorted[k++] = sorted[i];
    data->class_names = dial_calloc(ctx, k ? k : 1, sizeof *data->class_names);
    if (!data->class_names) {
        free(sorted);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
    }
    data->n_classes = k;
    for (size_t c = 0; c < k; c++) {
        char label[64];
        format_label(sorted[c], label, sizeof label);
        data->class_names[c] = dial_strdup(ctx, label);
        if (!data->class_names[c]) {
            free(sorted);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double *hit = bsearch(&col->values[i], sorted, k, sizeof *sorted, compare_doubles);
        data->y[i] = (double)(hit - sorted);
    }
    free(sorted);
    return DIAL_OK;
}

typedef struct level_entry {
    const char *name;
    size_t level;
} level_entry;

static int compare_level_entries(const void *a, const void *b) {
    return strcmp(((const level_entry *)a)->name, ((const level_entry *)b)->name);
}

/* Classes of a categorical target: the levels that occur, sorted by their
 * text, so "benign"/"malignant" get the same indices whatever row comes
 * first in the file. */
static dial_status classes_from_levels(dial_ctx *ctx, dial_dataset *data, const dial_column *col) {
    size_t n_levels = col->n_levels;
    size_t *count = dial_calloc(ctx, n_levels ? n_levels : 1, sizeof *count);
    level_entry *entries = dial_malloc(ctx, (n_levels ? n_levels : 1) * sizeof *entries);
    size_t *class_of_level = dial_malloc(ctx, (n_levels ? n_levels : 1) * sizeof *class_of_level);
    dial_status status = DIAL_OK;
    if (!count || !entries || !class_of_level) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
        goto done;
    }
    for (size_t i = 0; i < data->n_rows; i++) {
        double v = col->values[i];
        if (!(v >= 0 && v < (double)n_levels)) {
            status = dial_fail(ctx, DIAL_ERR_DATA,
                               "target '%s' has an invalid level index %g on row %zu", col->name, v,
                               i + 1);
            goto done;
        }
        count[(size_t)v]++;
    }
    size_t k = 0;
    for (size_t l = 0; l < n_levels; l++)
        if (count[l]) entries[k++] = (level_entry){.name = col->levels[l], .level = l};
    qsort(entries, k, sizeof *entries, compare_level_entries);
    data->class_names = dial_calloc(ctx, k ? k : 1, sizeof *data->class_names);
    if (!data->class_names) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
        goto done;
    }
    data->n_classes = k;
    for (size_t c = 0; c < k; c++) {
        class_of_level[entries[c].level] = c;
        data->class_names[c] = dial_strdup(ctx, entries[c].name);
        if (!data->class_names[c]) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
            goto done;
        }
    }
    for (size_t i = 0; i < data->n_rows; i++)
        data->y[i] = (double)class_of_level[(size_t)col->values[i]];
done:
    free(count);
    free(entries);
    free(class_of_level);
    return status;
}

/* Integer-valued with few distinct values: how class labels stored as
 * numbers (0/1, 1..9, -1/1) look, as opposed to a measured quantity. */
static bool looks_like_labels(const dial_column *col, size_t n_rows) {
    double distinct[DATASET_MAX_INFERRED_CLASSES];
    size_t k = 0;
    for (size_t i = 0; i < n_rows; i++) {
        double v = col->values[i];
        if (v != floor(v)) return false;
        bool seen = false;
        for (size_t c = 0; c < k && !seen; c++) seen = distinct[c] == v;
        if (seen) continue;
        if (k == DATASET_MAX_INFERRED_CLASSES) return false;
        distinct[k++] = v;
    }
    return true;
}

static dial_status fill_target(dial_ctx *ctx, dial_dataset *data, const dial_column *col,
                               dial_task task) {
    for (size_t i = 0; i < data->n_rows; i++) {
        if (isnan(col->values[i]))
            return dial_fail(ctx, DIAL_ERR_DATA, "target '%s' is missing on row %zu", col->name,
                             i + 1);
        if (isinf(col->values[i]))
            return dial_fail(ctx, DIAL_ERR_DATA, "target '%s' has an infinite value on row %zu",
                             col->name, i + 1);
    }
    bool categorical = col->type == DIAL_COLUMN_CATEGORICAL;
    if (task == DIAL_TASK_AUTO)
        task = categorical || looks_like_labels(col, data->n_rows) ? DIAL_TASK_CLASSIFICATION
                                                                   : DIAL_TASK_REGRESSION;
    if (task == DIAL_TASK_REGRESSION && categorical)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "target '%s' is categorical (text): regression needs a numeric target",
                         col->name);
    data->task = task;
    data->y = dial_malloc(ctx, (data->n_rows ? data->n_rows : 1) * sizeof *data->y);
    if (!data->y) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the target");
    if (task == DIAL_TASK_REGRESSION) {
        memcpy(data->y, col->values, data->n_rows * sizeof *data->y);
        return DIAL_OK;
    }
    dial_status status =
        categorical ? classes_from_levels(ctx, data, col) : classes_from_numbers(ctx, data, col);
    if (status != DIAL_OK) return status;
    if (data->n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "target '%s' has a single class ('%s'): classification needs at least two",
                         col->name, data->n_classes ? data->class_names[0] : "");
    return DIAL_OK;
}

dial_status dial_dataset_from_table(dial_ctx *ctx, const dial_table *table, const char *target,
                                    dial_task task, dial_dataset **out) {
    *out = NULL;
    if (!table) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "no table given for the dataset");
    if (table->n_cols < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "the table has %zu column%s: a dataset needs a target and at least one "
                         "feature",
                         table->n_cols, table->n_cols == 1 ? "" : "s");
    if (table->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "the table has no data rows");
    size_t target_index = 0;
    dial_status status = find_target(ctx, table, target, &target_index);
    if (status != DIAL_OK) return status;
    if (table->sparse && !table->sparse_first && target_index != 0)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "target '%s' is a feature of a sparse (LIBSVM) file: its target is its "
                         "label, the first column; leave --target out",
                         table->cols[target_index].name);
    dial_dataset *data = NULL;
    status = dataset_new(ctx, table, (long)target_index, &data);
    if (status != DIAL_OK) return status;
    const dial_column *col = &table->cols[target_index];
    data->target_index = (long)target_index;
    data->target_name = dial_strdup(ctx, col->name ? col->name : "");
    if (!data->target_name)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the dataset");
    if (status == DIAL_OK) status = fill_target(ctx, data, col, task);
    if (status == DIAL_OK) status = check_features(ctx, data);
    if (status != DIAL_OK) {
        dial_dataset_free(data);
        return status;
    }
    /* Here, once per training file, rather than at every fit of a search. */
    dial_preprocess_warn_identifiers(ctx, data);
    *out = data;
    return DIAL_OK;
}

/* The features of sparse data are its compressed columns, one for one:
 * taking one out is not done yet. */
static dial_status refuse_sparse_column(dial_ctx *ctx, const dial_dataset *data, const char *column,
                                        const char *what) {
    /* A CSV table made sparse keeps every column's own compressed block:
     * leaving one out leaves its block unread. */
    if (!data->sparse || data->table->sparse_first) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_DATA,
                     "column '%s' cannot be %s: the data is sparse (a LIBSVM file), whose "
                     "features cannot be taken out yet",
                     column, what);
}

dial_status dial_dataset_ignore(dial_ctx *ctx, dial_dataset *data, const char *column) {
    dial_status refused = refuse_sparse_column(ctx, data, column, "ignored");
    if (refused != DIAL_OK) return refused;
    size_t index;
    dial_status status = dial_table_column(ctx, data->table, column, "ignored", &index);
    if (status != DIAL_OK) return status;
    const dial_column *col = &data->table->cols[index];
    if ((long)index == data->target_index)
        return dial_fail(ctx, DIAL_ERR_DATA, "column '%s' is the target; it cannot also be ignored",
                         column);
    size_t feature = 0;
    while (feature < data->n_features && data->features[feature] != col) feature++;
    if (feature == data->n_features) return DIAL_OK; /* ignored already */
    if (data->n_features == 1)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "ignoring column '%s' leaves no feature: a dataset needs at least one",
                         column);
    const char **ignored =
        dial_realloc(ctx, data->ignored, (data->n_ignored + 1) * sizeof *ignored);
    if (!ignored)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory ignoring column '%s'", column);
    data->ignored = ignored;
    /* Sorted, so that the same columns make the same study identity in any
     * order on the command line. */
    size_t at = data->n_ignored;
    while (at > 0 && strcmp(ignored[at - 1], col->name) > 0) {
        ignored[at] = ignored[at - 1];
        at--;
    }
    ignored[at] = col->name;
    data->n_ignored++;
    memmove(&data->features[feature], &data->features[feature + 1],
            (data->n_features - feature - 1) * sizeof *data->features);
    data->n_features--;
    return DIAL_OK;
}

dial_status dial_dataset_features_only(dial_ctx *ctx, const dial_table *table, dial_dataset **out) {
    *out = NULL;
    if (!table) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "no table given for the dataset");
    dial_dataset *data = NULL;
    /* A sparse table's label is no feature: its features are the
     * compressed columns, all of them. */
    dial_status status =
        dataset_new(ctx, table, table->sparse && !table->sparse_first ? 0 : -1, &data);
    if (status == DIAL_OK) status = check_features(ctx, data);
    if (status != DIAL_OK) {
        dial_dataset_free(data);
        return status;
    }
    *out = data;
    return DIAL_OK;
}

dial_status dial_dataset_drop_feature(dial_ctx *ctx, dial_dataset *data, const char *name,
                                      const dial_column **column) {
    *column = NULL;
    dial_status refused = refuse_sparse_column(ctx, data, name, "a column of folds or groups");
    if (refused != DIAL_OK) return refused;
    if (data->target_name && strcmp(data->target_name, name) == 0)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "column '%s' is the target: the column that says how rows are split "
                         "must be another one",
                         name);
    for (size_t j = 0; j < data->n_features; j++)
        if (data->features[j]->name && strcmp(data->features[j]->name, name) == 0) {
            if (data->n_features == 1)
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "column '%s' is the only feature: without it no feature is left",
                                 name);
            *column = data->features[j];
            memmove(&data->features[j], &data->features[j + 1],
                    (data->n_features - j - 1) * sizeof *data->features);
            data->n_features--;
            return DIAL_OK;
        }
    char list[DATASET_COLUMN_LIST_MAX];
    column_list(data->table, list, sizeof list);
    return dial_fail(ctx, DIAL_ERR_DATA, "column '%s' not found; columns are: %s", name, list);
}
