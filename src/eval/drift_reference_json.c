/* The drift reference as the model file's "drift_reference" section
 * (docs/modelfile.md): written as JSON, and read back under the same
 * distrust as every other part of the file: each count a non-negative
 * integer, edges sorted, lengths that agree with each other and with the
 * model's schema. A failure names the part in one line. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/drift_internal.h"
#include "models/model_reference.h"

/* ---- writing -------------------------------------------------------------------- */

static json_t *number_or_null(double value) {
    return isfinite(value) ? json_real(value) : json_null();
}

json_t *dial_drift_column_encode(const dial_drift_column *column) {
    bool numeric = column->type == DIAL_COLUMN_NUMERIC;
    json_t *json =
        json_pack("{s:s, s:I, s:s, s:I, s:I}", "name", column->name ? column->name : "", "feature",
                  (json_int_t)column->feature, "type", numeric ? "numeric" : "categorical", "count",
                  (json_int_t)column->count, "missing", (json_int_t)column->missing);
    if (!json) return NULL;
    bool ok = true;
    if (numeric) {
        ok &= json_object_set_new(json, "mean", number_or_null(column->mean)) == 0;
        ok &= json_object_set_new(json, "sd", number_or_null(column->sd)) == 0;
        ok &= json_object_set_new(json, "min", number_or_null(column->min)) == 0;
        ok &= json_object_set_new(json, "max", number_or_null(column->max)) == 0;
        json_t *edges = json_array();
        for (size_t k = 0; edges && k < column->n_cells; k++)
            ok &= json_array_append_new(edges, json_real(column->edges[k])) == 0;
        ok &= json_object_set_new(json, "edges", edges) == 0;
    }
    json_t *counts = json_array();
    for (size_t k = 0; counts && k < column->n_cells; k++)
        ok &= json_array_append_new(counts, json_integer((json_int_t)column->counts[k])) == 0;
    ok &= json_object_set_new(json, "counts", counts) == 0;
    if (numeric) {
        json_t *at_edge = json_array();
        for (size_t k = 0; at_edge && k < column->n_cells; k++)
            ok &= json_array_append_new(at_edge, json_integer((json_int_t)column->at_edge[k])) == 0;
        ok &= json_object_set_new(json, "at_edge", at_edge) == 0;
    }
    if (!ok) {
        json_decref(json);
        return NULL;
    }
    return json;
}

static json_t *encode_cv(const dial_drift_reference *reference) {
    if (!reference->has_cv) return json_null();
    const dial_drift_cv *cv = &reference->cv;
    return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I}", "metric", cv->metric, "direction",
                     cv->maximize ? "maximize" : "minimize", "mean", number_or_null(cv->mean), "sd",
                     number_or_null(cv->sd), "folds", (json_int_t)cv->n_folds, "scores",
                     (json_int_t)cv->n_scores, "rows", (json_int_t)cv->n_rows);
}

json_t *dial_drift_reference_encode(const dial_drift_reference *reference) {
    json_t *features = json_array();
    bool ok = features != NULL;
    for (size_t i = 0; ok && i < reference->n_features; i++) {
        json_t *column = dial_drift_column_encode(&reference->features[i]);
        ok = column && json_array_append_new(features, column) == 0;
    }
    json_t *target =
        reference->has_target ? dial_drift_column_encode(&reference->target) : json_null();
    json_t *cv = encode_cv(reference);
    if (!ok || !target || !cv) {
        json_decref(features);
        json_decref(target);
        json_decref(cv);
        return NULL;
    }
    return json_pack("{s:i, s:I, s:i, s:I, s:o, s:o, s:o, s:o}", "version",
                     DIAL_DRIFT_REFERENCE_VERSION, "rows", (json_int_t)reference->n_rows, "bins",
                     DIAL_DRIFT_BINS, "features_total", (json_int_t)reference->n_model_features,
                     "limit", reference->limit ? json_string(reference->limit) : json_null(),
                     "features", features, "target", target, "cv", cv);
}

/* ---- reading -------------------------------------------------------------------- */

static dial_status refuse(dial_ctx *ctx, const char *part, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dial_status refuse(dial_ctx *ctx, const char *part, const char *fmt, ...) {
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return dial_fail(ctx, DIAL_ERR_FORMAT, "drift reference: %s%s%s", part, part[0] ? ": " : "",
                     message);
}

static const char *kind_name(const json_t *json) {
    switch (json_typeof(json)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A member that is a non-negative integer. */
static dial_status get_count(dial_ctx *ctx, const json_t *object, const char *part, const char *key,
                             uint64_t *out) {
    json_t *value = json_object_get(object, key);
    if (!value) return refuse(ctx, part, "'%s' is missing", key);
    if (!json_is_integer(value))
        return refuse(ctx, part, "'%s' must be an integer, found %s", key, kind_name(value));
    if (json_integer_value(value) < 0)
        return refuse(ctx, part, "'%s' = %" JSON_INTEGER_FORMAT " is negative", key,
                      json_integer_value(value));
    *out = (uint64_t)json_integer_value(value);
    return DIAL_OK;
}

/* A member that is a number, or null (NaN). */
static dial_status get_number(dial_ctx *ctx, const json_t *object, const char *part,
                              const char *key, double *out) {
    json_t *value = json_object_get(object, key);
    if (!value) return refuse(ctx, part, "'%s' is missing", key);
    if (json_is_null(value)) {
        *out = NAN;
        return DIAL_OK;
    }
    if (!json_is_number(value))
        return refuse(ctx, part, "'%s' must be a number, found %s", key, kind_name(value));
    *out = json_number_value(value);
    return DIAL_OK;
}

static dial_status get_array(dial_ctx *ctx, const json_t *object, const char *part, const char *key,
                             json_t **out) {
    *out = json_object_get(object, key);
    if (!*out) return refuse(ctx, part, "'%s' is missing", key);
    if (!json_is_array(*out))
        return refuse(ctx, part, "'%s' must be an array, found %s", key, kind_name(*out));
    return DIAL_OK;
}

/* counts: n_cells non-negative integers that sum to count. */
static dial_status decode_counts(dial_ctx *ctx, const json_t *json, const char *part,
                                 dial_drift_column *column) {
    json_t *counts;
    dial_status status = get_array(ctx, json, part, "counts", &counts);
    if (status != DIAL_OK) return status;
    if (json_array_size(counts) != column->n_cells)
        return refuse(
            ctx, part, "'counts' has %zu entries but %s %zu", json_array_size(counts),
            column->edges ? "'edges' has" : "the model's feature has levels:", column->n_cells);
    column->counts =
        dial_calloc(ctx, column->n_cells ? column->n_cells : 1, sizeof *column->counts);
    if (!column->counts) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    uint64_t sum = 0;
    for (size_t k = 0; k < column->n_cells; k++) {
        json_t *value = json_array_get(counts, k);
        if (!json_is_integer(value) || json_integer_value(value) < 0)
            return refuse(ctx, part, "counts[%zu] must be a non-negative integer", k);
        column->counts[k] = (uint64_t)json_integer_value(value);
        sum += column->counts[k];
    }
    if (sum != column->count)
        return refuse(ctx, part, "its counts sum to %" PRIu64 ", not its count %" PRIu64, sum,
                      column->count);
    if (!column->edges) return DIAL_OK;
    json_t *at_edge;
    status = get_array(ctx, json, part, "at_edge", &at_edge);
    if (status != DIAL_OK) return status;
    if (json_array_size(at_edge) != column->n_cells)
        return refuse(ctx, part, "'at_edge' has %zu entries but 'edges' has %zu",
                      json_array_size(at_edge), column->n_cells);
    column->at_edge =
        dial_calloc(ctx, column->n_cells ? column->n_cells : 1, sizeof *column->at_edge);
    if (!column->at_edge) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    for (size_t k = 0; k < column->n_cells; k++) {
        json_t *value = json_array_get(at_edge, k);
        if (!json_is_integer(value) || json_integer_value(value) < 0 ||
            (uint64_t)json_integer_value(value) > column->counts[k] ||
            (k == 0 && (uint64_t)json_integer_value(value) != column->counts[0]))
            return refuse(ctx, part, "at_edge[%zu] must be a count of at most counts[%zu]%s", k, k,
                          k == 0 ? " and equal to it" : "");
        column->at_edge[k] = (uint64_t)json_integer_value(value);
    }
    return DIAL_OK;
}

static dial_status decode_edges(dial_ctx *ctx, const json_t *json, const char *part,
                                dial_drift_column *column) {
    json_t *edges;
    dial_status status = get_array(ctx, json, part, "edges", &edges);
    if (status != DIAL_OK) return status;
    size_t n = json_array_size(edges);
    if (n > 4 * DIAL_DRIFT_BINS + 1)
        return refuse(ctx, part, "'edges' has %zu entries, over the %d a histogram has", n,
                      4 * DIAL_DRIFT_BINS + 1);
    if ((n == 0) != (column->count == 0))
        return refuse(ctx, part, "'edges' has %zu entries for %" PRIu64 " values", n,
                      column->count);
    column->n_cells = n;
    column->edges = dial_malloc_array(ctx, n ? n : 1, sizeof *column->edges);
    if (!column->edges) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    for (size_t k = 0; k < n; k++) {
        json_t *value = json_array_get(edges, k);
        if (!json_is_number(value)) return refuse(ctx, part, "edges[%zu] must be a number", k);
        column->edges[k] = json_number_value(value);
        if (k > 0 && !(column->edges[k] > column->edges[k - 1]))
            return refuse(ctx, part, "its edges are not sorted: edges[%zu] = %.17g after %.17g", k,
                          column->edges[k], column->edges[k - 1]);
    }
    return DIAL_OK;
}

/* One column: expected_type and n_levels (categorical) from the model. */
static dial_status decode_column(dial_ctx *ctx, const json_t *json, const char *part,
                                 uint64_t n_rows, dial_column_type expected_type, size_t n_levels,
                                 dial_drift_column *column) {
    if (!json_is_object(json))
        return refuse(ctx, part, "must be an object, found %s", kind_name(json));
    json_t *type = json_object_get(json, "type");
    const char *type_name = expected_type == DIAL_COLUMN_NUMERIC ? "numeric" : "categorical";
    if (!json_is_string(type) || strcmp(json_string_value(type), type_name) != 0)
        return refuse(ctx, part, "'type' must be \"%s\", as the model's", type_name);
    column->type = expected_type;
    column->mean = column->sd = column->min = column->max = NAN;
    dial_status status = get_count(ctx, json, part, "count", &column->count);
    if (status == DIAL_OK) status = get_count(ctx, json, part, "missing", &column->missing);
    if (status == DIAL_OK && column->count + column->missing != n_rows)
        return refuse(ctx, part,
                      "count %" PRIu64 " and missing %" PRIu64 " do not add up to the %" PRIu64
                      " rows",
                      column->count, column->missing, n_rows);
    if (status != DIAL_OK) return status;
    if (expected_type == DIAL_COLUMN_NUMERIC) {
        status = get_number(ctx, json, part, "mean", &column->mean);
        if (status == DIAL_OK) status = get_number(ctx, json, part, "sd", &column->sd);
        if (status == DIAL_OK) status = get_number(ctx, json, part, "min", &column->min);
        if (status == DIAL_OK) status = get_number(ctx, json, part, "max", &column->max);
        if (status == DIAL_OK && column->sd < 0)
            return refuse(ctx, part, "'sd' = %.17g is negative", column->sd);
        if (status == DIAL_OK) status = decode_edges(ctx, json, part, column);
        if (status == DIAL_OK && column->n_cells &&
            (column->edges[0] != column->min || column->edges[column->n_cells - 1] != column->max))
            return refuse(ctx, part, "its edges do not run from its min to its max");
    } else {
        column->n_cells = n_levels;
    }
    if (status == DIAL_OK) status = decode_counts(ctx, json, part, column);
    return status;
}

static dial_status decode_features(dial_ctx *ctx, const json_t *json, const dial_model *model,
                                   dial_drift_reference *reference) {
    json_t *features;
    dial_status status = get_array(ctx, json, "", "features", &features);
    if (status != DIAL_OK) return status;
    size_t n = json_array_size(features), n_model = dial_model_n_features(model);
    if (n > n_model || n > DIAL_DRIFT_MAX_FEATURES)
        return refuse(ctx, "", "'features' has %zu entries, more than the model's %zu features%s",
                      n, n_model,
                      n > DIAL_DRIFT_MAX_FEATURES ? " or the 1000 a reference keeps" : "");
    reference->features = dial_calloc(ctx, n ? n : 1, sizeof *reference->features);
    if (!reference->features)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get(features, i);
        char part[96];
        snprintf(part, sizeof part, "features[%zu]", i);
        uint64_t feature = 0;
        status = json_is_object(entry)
                     ? get_count(ctx, entry, part, "feature", &feature)
                     : refuse(ctx, part, "must be an object, found %s", kind_name(entry));
        if (status != DIAL_OK) return status;
        if (feature >= n_model || (i > 0 && feature <= reference->features[i - 1].feature))
            return refuse(ctx, part,
                          "'feature' = %" PRIu64 " is not a feature of the model after "
                          "the one before it",
                          feature);
        const char *name = dial_model_feature_name(model, (size_t)feature);
        json_t *name_json = json_object_get(entry, "name");
        if (!json_is_string(name_json) || strcmp(json_string_value(name_json), name) != 0)
            return refuse(ctx, part, "'name' must be '%s', the name of feature %" PRIu64, name,
                          feature);
        snprintf(part, sizeof part, "feature '%.60s'", name);
        dial_drift_column *column = &reference->features[i];
        reference->n_features = i + 1;
        column->feature = (size_t)feature;
        column->name = dial_strdup(ctx, name);
        if (!column->name) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
        dial_column_type type = dial_model_feature_type(model, (size_t)feature);
        status = decode_column(ctx, entry, part, reference->n_rows, type,
                               type == DIAL_COLUMN_CATEGORICAL
                                   ? dial_model_feature_n_levels(model, (size_t)feature)
                                   : 0,
                               column);
        if (status != DIAL_OK) return status;
    }
    return DIAL_OK;
}

static dial_status decode_target(dial_ctx *ctx, const json_t *json, const dial_model *model,
                                 dial_drift_reference *reference) {
    json_t *target = json_object_get(json, "target");
    if (!target || json_is_null(target)) return DIAL_OK;
    if (!dial_task_needs_target(dial_model_get_task(model)))
        return refuse(ctx, "target", "a model without a target has no target distribution");
    bool classes = dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION;
    reference->has_target = true;
    reference->target.name = dial_strdup(ctx, dial_model_target_name(model));
    if (!reference->target.name)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    return decode_column(ctx, target, "target", reference->n_rows,
                         classes ? DIAL_COLUMN_CATEGORICAL : DIAL_COLUMN_NUMERIC,
                         classes ? dial_model_n_classes(model) : 0, &reference->target);
}

static dial_status decode_cv(dial_ctx *ctx, const json_t *json, dial_drift_reference *reference) {
    json_t *cv = json_object_get(json, "cv");
    if (!cv || json_is_null(cv)) return DIAL_OK;
    if (!json_is_object(cv))
        return refuse(ctx, "cv", "must be an object or null, found %s", kind_name(cv));
    json_t *metric = json_object_get(cv, "metric"), *direction = json_object_get(cv, "direction");
    if (!json_is_string(metric)) return refuse(ctx, "cv", "'metric' must be a string");
    if (!json_is_string(direction) || (strcmp(json_string_value(direction), "maximize") != 0 &&
                                       strcmp(json_string_value(direction), "minimize") != 0))
        return refuse(ctx, "cv", "'direction' must be \"maximize\" or \"minimize\"");
    dial_drift_cv *out = &reference->cv;
    uint64_t folds = 0, scores = 0, rows = 0;
    dial_status status = get_number(ctx, cv, "cv", "mean", &out->mean);
    if (status == DIAL_OK) status = get_number(ctx, cv, "cv", "sd", &out->sd);
    if (status == DIAL_OK) status = get_count(ctx, cv, "cv", "folds", &folds);
    if (status == DIAL_OK) status = get_count(ctx, cv, "cv", "scores", &scores);
    if (status == DIAL_OK) status = get_count(ctx, cv, "cv", "rows", &rows);
    if (status != DIAL_OK) return status;
    if (!isfinite(out->mean) || !(out->sd >= 0))
        return refuse(ctx, "cv", "'mean' must be a number and 'sd' a non-negative one");
    if (folds < 2 || scores < folds || scores % folds != 0)
        return refuse(ctx, "cv",
                      "'folds' = %" PRIu64 " and 'scores' = %" PRIu64
                      " are not a cross-validation's",
                      folds, scores);
    out->metric = dial_strdup(ctx, json_string_value(metric));
    if (!out->metric) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    out->maximize = strcmp(json_string_value(direction), "maximize") == 0;
    out->n_folds = (size_t)folds;
    out->n_scores = (size_t)scores;
    out->n_rows = (size_t)rows;
    reference->has_cv = true;
    return DIAL_OK;
}

dial_status dial_drift_reference_decode(dial_ctx *ctx, const json_t *json, const dial_model *model,
                                        dial_drift_reference **out) {
    *out = NULL;
    if (!json_is_object(json))
        return refuse(ctx, "", "must be an object or null, found %s", kind_name(json));
    dial_drift_reference *reference = dial_calloc(ctx, 1, sizeof *reference);
    if (!reference) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    uint64_t version = 0, total = 0;
    dial_status status = get_count(ctx, json, "", "version", &version);
    if (status == DIAL_OK && version != DIAL_DRIFT_REFERENCE_VERSION)
        status =
            refuse(ctx, "", "version %" PRIu64 " is not one this dial reads (%d); upgrade dial",
                   version, DIAL_DRIFT_REFERENCE_VERSION);
    if (status == DIAL_OK) status = get_count(ctx, json, "", "rows", &reference->n_rows);
    if (status == DIAL_OK) status = get_count(ctx, json, "", "features_total", &total);
    if (status == DIAL_OK && total != dial_model_n_features(model))
        status = refuse(ctx, "", "'features_total' = %" PRIu64 " but the model has %zu features",
                        total, dial_model_n_features(model));
    reference->n_model_features = dial_model_n_features(model);
    if (status == DIAL_OK) status = decode_features(ctx, json, model, reference);
    json_t *limit = json_object_get(json, "limit");
    if (status == DIAL_OK && reference->n_features < reference->n_model_features) {
        if (!json_is_string(limit))
            status = refuse(ctx, "",
                            "it covers %zu of the model's %zu features but its 'limit' "
                            "does not say which",
                            reference->n_features, reference->n_model_features);
        else if (!(reference->limit = dial_strdup(ctx, json_string_value(limit))))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading the model");
    }
    if (status == DIAL_OK) status = decode_target(ctx, json, model, reference);
    if (status == DIAL_OK) status = decode_cv(ctx, json, reference);
    if (status != DIAL_OK) {
        dial_drift_reference_free(reference);
        return status;
    }
    *out = reference;
    return DIAL_OK;
}

dial_status dial_model_drift_reference(dial_ctx *ctx, const dial_model *model,
                                       dial_drift_reference **out) {
    *out = NULL;
    const char *text = dial_model_reference_text(model);
    if (!text) return DIAL_OK;
    json_error_t error;
    json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, &error);
    dial_status status = json ? dial_drift_reference_decode(ctx, json, model, out)
                              : refuse(ctx, "", "not valid JSON: %s", error.text);
    json_decref(json);
    return status;
}
