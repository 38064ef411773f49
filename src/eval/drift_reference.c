/* The drift reference of a model's training rows (dial/drift.h): built
 * once at fit time, so that drift can later be judged from the model file
 * alone. A numeric feature keeps quantile bin edges that are training
 * values, so a value many rows share (a 0, an integer code) sits on an
 * edge and its mass stays exact; a categorical one keeps its level counts.
 * Data with very many features (sparse input) keeps the most important
 * ones, within DIAL_DRIFT_MAX_FEATURES and DIAL_DRIFT_MAX_BYTES. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sort.h"
#include "eval/drift_internal.h"
#include "models/model_reference.h"

static void column_clear(dial_drift_column *column) {
    free(column->name);
    free(column->edges);
    free(column->counts);
    free(column->at_edge);
    memset(column, 0, sizeof *column);
}

void dial_drift_reference_free(dial_drift_reference *reference) {
    if (!reference) return;
    for (size_t i = 0; i < reference->n_features; i++) column_clear(&reference->features[i]);
    free(reference->features);
    free(reference->limit);
    column_clear(&reference->target);
    free(reference->cv.metric);
    free(reference);
}

/* values: n entries, NaN missing; reordered (the finite ones sorted first). */
static dial_status numeric_histogram(dial_ctx *ctx, double *values, size_t n,
                                     dial_drift_column *out) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(values[i])) values[count++] = values[i];
    out->type = DIAL_COLUMN_NUMERIC;
    out->count = count;
    out->missing = n - count;
    out->mean = out->sd = out->min = out->max = NAN;
    if (count == 0) return DIAL_OK;
    dial_sort_doubles(ctx, values, count);
    double sum = 0;
    for (size_t i = 0; i < count; i++) sum += values[i];
    double mean = sum / (double)count, squares = 0;
    for (size_t i = 0; i < count; i++) squares += (values[i] - mean) * (values[i] - mean);
    out->mean = mean;
    out->sd = count > 1 ? sqrt(squares / (double)(count - 1)) : 0;
    out->min = values[0];
    out->max = values[count - 1];
    out->edges = dial_malloc_array(ctx, DIAL_DRIFT_BINS + 1, sizeof *out->edges);
    out->counts = dial_calloc(ctx, DIAL_DRIFT_BINS + 1, sizeof *out->counts);
    out->at_edge = dial_calloc(ctx, DIAL_DRIFT_BINS + 1, sizeof *out->at_edge);
    if (!out->edges || !out->counts || !out->at_edge)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    /* A feature of at most DIAL_DRIFT_BINS + 1 distinct values (a code, a
     * count, a few durations) keeps every one as an edge, so its stored
     * CDF is exact at each value it takes; the quantiles would skip the
     * rare ones and spread their mass over a line. */
    size_t distinct = 1;
    for (size_t i = 1; i < count && distinct <= DIAL_DRIFT_BINS + 1; i++)
        distinct += values[i] > values[i - 1];
    size_t m = 0;
    if (distinct <= DIAL_DRIFT_BINS + 1) {
        for (size_t i = 0; i < count; i++)
            if (m == 0 || values[i] > out->edges[m - 1]) out->edges[m++] = values[i];
    } else {
        for (size_t k = 0; k <= DIAL_DRIFT_BINS; k++) {
            double edge = values[(size_t)((double)k * (double)(count - 1) / DIAL_DRIFT_BINS)];
            if (m == 0 || edge > out->edges[m - 1]) out->edges[m++] = edge;
        }
    }
    out->n_cells = m;
    size_t cell = 0;
    for (size_t i = 0; i < count; i++) {
        while (values[i] > out->edges[cell]) cell++;
        out->counts[cell]++;
        out->at_edge[cell] += values[i] == out->edges[cell];
    }
    return DIAL_OK;
}

static dial_status categorical_counts(dial_ctx *ctx, const double *values, size_t n,
                                      size_t n_levels, dial_drift_column *out) {
    out->type = DIAL_COLUMN_CATEGORICAL;
    out->mean = out->sd = out->min = out->max = NAN;
    out->n_cells = n_levels;
    out->counts = dial_calloc(ctx, n_levels ? n_levels : 1, sizeof *out->counts);
    if (!out->counts)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        if (isnan(v) || v < 0 || v >= (double)n_levels) {
            out->missing++;
        } else {
            out->counts[(size_t)v]++;
            out->count++;
        }
    }
    return DIAL_OK;
}

/* What a column costs in the file's JSON: the 1 MB cap is on it. */
static size_t json_cost(const dial_drift_column *column) {
    json_t *json = dial_drift_column_encode(column);
    char *text = json ? json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    size_t cost = text ? strlen(text) : SIZE_MAX;
    free(text);
    json_decref(json);
    return cost;
}

typedef struct ranked_feature {
    size_t feature;
    double weight;
} ranked_feature;

static int by_weight_descending(const void *a, const void *b) {
    const ranked_feature *x = a, *y = b;
    if (x->weight != y->weight) return x->weight < y->weight ? 1 : -1;
    return (x->feature > y->feature) - (x->feature < y->feature);
}

static int by_feature(const void *a, const void *b) {
    const dial_drift_column *x = a, *y = b;
    return (x->feature > y->feature) - (x->feature < y->feature);
}

/* The features in the order they are kept: all of them in schema order
 * when they fit the caps; else by the model's importance, or by nonzero
 * count when it learns none. */
static dial_status rank_features(dial_ctx *ctx, const dial_model *model,
                                 const dial_drift_columns *columns, ranked_feature *ranked,
                                 bool *by_importance) {
    size_t n = dial_model_n_features(model);
    *by_importance = false;
    for (size_t j = 0; j < n; j++) ranked[j] = (ranked_feature){.feature = j, .weight = 0};
    if (n <= DIAL_DRIFT_MAX_FEATURES) return DIAL_OK;
    double *importance = dial_malloc_array(ctx, n ? n : 1, sizeof *importance);
    if (!importance) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    if (dial_model_has_feature_importance(model) &&
        dial_model_feature_importance(ctx, model, importance) == DIAL_OK) {
        *by_importance = true;
        for (size_t j = 0; j < n; j++) ranked[j].weight = importance[j];
    } else {
        dial_ctx_clear_error(ctx);
        for (size_t j = 0; j < n; j++)
            ranked[j].weight = (double)dial_drift_column_nonzeros(columns, j);
    }
    free(importance);
    qsort(ranked, n, sizeof *ranked, by_weight_descending);
    return DIAL_OK;
}

static dial_status build_column(dial_ctx *ctx, const dial_model *model,
                                const dial_drift_columns *columns, size_t j, double *values,
                                dial_drift_column *out) {
    out->feature = j;
    out->name = dial_strdup(ctx, dial_model_feature_name(model, j));
    if (!out->name) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    dial_drift_column_values(columns, j, values);
    size_t n = columns->view->n;
    if (dial_model_feature_type(model, j) == DIAL_COLUMN_CATEGORICAL)
        return categorical_counts(ctx, values, n, dial_model_feature_n_levels(model, j), out);
    return numeric_histogram(ctx, values, n, out);
}

static dial_status build_features(dial_ctx *ctx, const dial_model *model, const dial_view *train,
                                  dial_drift_reference *reference) {
    size_t n = dial_model_n_features(model);
    reference->n_model_features = n;
    dial_drift_columns columns;
    dial_status status = dial_drift_columns_open(ctx, train, &columns);
    if (status != DIAL_OK) return status;
    ranked_feature *ranked = dial_malloc_array(ctx, n ? n : 1, sizeof *ranked);
    double *values = dial_malloc_array(ctx, train->n ? train->n : 1, sizeof *values);
    size_t most = n < DIAL_DRIFT_MAX_FEATURES ? n : DIAL_DRIFT_MAX_FEATURES;
    reference->features = dial_calloc(ctx, most ? most : 1, sizeof *reference->features);
    bool by_importance = false;
    if (!ranked || !values || !reference->features)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    if (status == DIAL_OK) status = rank_features(ctx, model, &columns, ranked, &by_importance);
    /* Of sparse data, only the features it may keep are transposed. */
    size_t *kept = status == DIAL_OK ? dial_malloc_array(ctx, most ? most : 1, sizeof *kept) : NULL;
    if (status == DIAL_OK && !kept)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    for (size_t k = 0; status == DIAL_OK && k < most; k++) kept[k] = ranked[k].feature;
    if (status == DIAL_OK) status = dial_drift_columns_gather(ctx, &columns, kept, most);
    free(kept);
    size_t bytes = 0;
    bool over_bytes = false;
    for (size_t k = 0; k < most && status == DIAL_OK; k++) {
        dial_drift_column *column = &reference->features[reference->n_features];
        status = build_column(ctx, model, &columns, ranked[k].feature, values, column);
        if (status != DIAL_OK) {
            column_clear(column);
            break;
        }
        size_t cost = json_cost(column);
        if (bytes + cost > DIAL_DRIFT_MAX_BYTES) {
            column_clear(column);
            over_bytes = true;
            break;
        }
        bytes += cost;
        reference->n_features++;
    }
    if (status == DIAL_OK && reference->n_features < n) {
        char text[160];
        snprintf(text, sizeof text, "the %zu %s features of %zu (at most %d, and %zu KB)",
                 reference->n_features,
                 by_importance                                ? "most important"
                 : over_bytes && n <= DIAL_DRIFT_MAX_FEATURES ? "first"
                                                              : "most often nonzero",
                 n, DIAL_DRIFT_MAX_FEATURES, DIAL_DRIFT_MAX_BYTES >> 10);
        reference->limit = dial_strdup(ctx, text);
        if (!reference->limit)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
        qsort(reference->features, reference->n_features, sizeof *reference->features, by_feature);
    }
    free(values);
    free(ranked);
    dial_drift_columns_close(&columns);
    return status;
}

static dial_status build_target(dial_ctx *ctx, const dial_model *model, const dial_view *train,
                                dial_drift_reference *reference) {
    const dial_dataset *data = train->data;
    if (!dial_task_needs_target(dial_model_get_task(model)) || !data->y) return DIAL_OK;
    reference->has_target = true;
    dial_drift_column *target = &reference->target;
    target->name = dial_strdup(ctx, dial_model_target_name(model));
    double *values = dial_malloc_array(ctx, train->n ? train->n : 1, sizeof *values);
    dial_status status =
        target->name && values
            ? DIAL_OK
            : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    for (size_t i = 0; i < train->n && status == DIAL_OK; i++)
        values[i] = data->y[dial_view_row(train, i)];
    if (status == DIAL_OK && dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION)
        status = categorical_counts(ctx, values, train->n, dial_model_n_classes(model), target);
    else if (status == DIAL_OK)
        status = numeric_histogram(ctx, values, train->n, target);
    free(values);
    return status;
}

/* The CV score of the tuning record (src/tune/tune_model.c writes it):
 * its metric, direction, cv_value, cv_std, folds, repeats and rows. */
static dial_status read_cv(dial_ctx *ctx, const dial_model *model,
                           dial_drift_reference *reference) {
    const char *tuning = dial_model_get_tuning(model);
    if (!tuning) return DIAL_OK;
    json_t *record = json_loads(tuning, 0, NULL);
    json_t *value = json_object_get(record, "cv_value"), *sd = json_object_get(record, "cv_std");
    json_t *metric = json_object_get(record, "metric");
    json_t *folds = json_object_get(record, "folds"), *repeats = json_object_get(record, "repeats");
    dial_status status = DIAL_OK;
    if (json_is_number(value) && json_is_string(metric) && json_is_integer(folds) &&
        json_integer_value(folds) >= 2) {
        dial_drift_cv *cv = &reference->cv;
        reference->has_cv = true;
        cv->metric = dial_strdup(ctx, json_string_value(metric));
        cv->maximize =
            !json_is_string(json_object_get(record, "direction")) ||
            strcmp(json_string_value(json_object_get(record, "direction")), "minimize") != 0;
        cv->mean = json_number_value(value);
        cv->sd = json_is_number(sd) ? json_number_value(sd) : 0;
        cv->n_folds = (size_t)json_integer_value(folds);
        json_int_t times = json_is_integer(repeats) ? json_integer_value(repeats) : 1;
        cv->n_scores = cv->n_folds * (size_t)(times >= 1 ? times : 1);
        json_t *rows = json_object_get(record, "rows");
        cv->n_rows = json_is_integer(rows) && json_integer_value(rows) > 0
                         ? (size_t)json_integer_value(rows)
                         : (size_t)reference->n_rows;
        if (!cv->metric)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    }
    json_decref(record);
    return status;
}

dial_status dial_model_set_drift_reference(dial_ctx *ctx, dial_model *model,
                                           const dial_view *train) {
    if (!model || !train || !train->data || train->data->n_features != dial_model_n_features(model))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_model_set_drift_reference needs the model and its training rows, "
                         "with the model's features");
    dial_drift_reference *reference = dial_calloc(ctx, 1, sizeof *reference);
    if (!reference) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    reference->n_rows = train->n;
    dial_status status = build_features(ctx, model, train, reference);
    if (status == DIAL_OK) status = build_target(ctx, model, train, reference);
    if (status == DIAL_OK) status = read_cv(ctx, model, reference);
    char *text = NULL;
    if (status == DIAL_OK) {
        json_t *json = dial_drift_reference_encode(reference);
        text = json ? json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(json);
        if (!text) status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the drift reference");
    }
    dial_drift_reference_free(reference);
    if (status == DIAL_OK) dial_model_reference_take(model, text);
    return status;
}

bool dial_model_has_drift_reference(const dial_model *model) {
    return dial_model_reference_text(model) != NULL;
}
