/* New rows against a model's drift reference, feature by feature
 * (docs/drift.md): PSI over the stored cells plus a missing cell (and a
 * cell for unseen levels), the KS distance to the stored CDF for a numeric
 * feature, chi-squared homogeneity for a categorical one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sort.h"
#include "eval/drift_internal.h"

/* The numeric comparison; values (n entries, NaN missing) are reordered. */
static dial_status compare_numeric(dial_ctx *ctx, const dial_drift_column *reference,
                                   double *values, size_t n, dial_drift_feature_result *out) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(values[i])) values[count++] = values[i];
    dial_sort_doubles(ctx, values, count);
    out->count = count;
    out->missing = n - count;
    size_t m = reference->n_cells;
    /* cells 0 .. m - 1 as stored, cell m the missing rows */
    uint64_t *stored = dial_calloc(ctx, m + 1, sizeof *stored);
    uint64_t *current = dial_calloc(ctx, m + 1, sizeof *current);
    if (!stored || !current) {
        free(stored);
        free(current);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
    }
    memcpy(stored, reference->counts, m * sizeof *stored);
    stored[m] = reference->missing;
    current[m] = out->missing;
    size_t cell = 0;
    for (size_t i = 0; i < count && m > 0; i++) {
        /* a value below the first edge counts in the first cell, one above
         * the last in the last */
        while (cell + 1 < m && values[i] > reference->edges[cell]) cell++;
        current[cell]++;
    }
    out->psi = dial_drift_psi(stored, current, m + 1);
    out->test = "ks";
    out->statistic = dial_drift_ks_statistic(reference, values, count);
    /* Both sides are samples, so the statistic is judged at the effective
     * size n N / (n + N), rounded to a whole number of values for the
     * finite-sample distribution (docs/drift.md). */
    double n_reference = (double)reference->count, n_new = (double)count;
    if (n_reference > 0 && n_new > 0) {
        double effective = fmax(1, floor(n_reference * n_new / (n_reference + n_new) + 0.5));
        out->p_value = dial_kstwo_sf(ctx, (uint64_t)effective, out->statistic);
        if (isnan(out->p_value) && !isnan(out->statistic)) {
            free(stored);
            free(current);
            return DIAL_ERR_NOMEM; /* the context says so */
        }
    } else {
        out->p_value = 1;
    }
    free(stored);
    free(current);
    return DIAL_OK;
}

/* The categorical comparison: the new column's own level indices are
 * matched to the model's levels by name. */
static dial_status compare_categorical(dial_ctx *ctx, const dial_model *model,
                                       const dial_drift_column *reference,
                                       const dial_column *column, const double *values, size_t n,
                                       dial_drift_feature_result *out) {
    size_t n_levels = reference->n_cells, n_column_levels = column ? column->n_levels : 0;
    size_t *map = dial_malloc_array(ctx, n_column_levels + 1, sizeof *map);
    uint64_t *stored = dial_calloc(ctx, n_levels + 2, sizeof *stored);
    uint64_t *current = dial_calloc(ctx, n_levels + 2, sizeof *current);
    out->new_levels = dial_calloc(ctx, n_column_levels + 1, sizeof *out->new_levels);
    dial_status status = map && stored && current && out->new_levels
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
    bool *seen = status == DIAL_OK ? dial_calloc(ctx, n_column_levels + 1, sizeof *seen) : NULL;
    if (status == DIAL_OK && !seen)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
    for (size_t l = 0; l < n_column_levels && status == DIAL_OK; l++) {
        map[l] = SIZE_MAX;
        for (size_t k = 0; k < n_levels; k++)
            if (strcmp(column->levels[l], dial_model_feature_level(model, reference->feature, k)) ==
                0) {
                map[l] = k;
                break;
            }
    }
    /* cells: the model's levels, then unseen levels, then missing */
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        double v = values[i];
        if (isnan(v) || v < 0 || v >= (double)n_column_levels) {
            current[n_levels + 1]++;
            out->missing++;
            continue;
        }
        out->count++;
        size_t l = (size_t)v;
        if (map[l] != SIZE_MAX) {
            current[map[l]]++;
            continue;
        }
        current[n_levels]++;
        out->new_level_rows++;
        if (!seen[l]) {
            seen[l] = true;
            out->new_levels[out->n_new_levels] = dial_strdup(ctx, column->levels[l]);
            if (!out->new_levels[out->n_new_levels++])
                status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
        }
    }
    if (status == DIAL_OK) {
        memcpy(stored, reference->counts, n_levels * sizeof *stored);
        stored[n_levels + 1] = reference->missing;
        out->psi = dial_drift_psi(stored, current, n_levels + 2);
        out->test = "chi2";
        out->statistic = dial_drift_chi_squared(stored, current, n_levels + 2, &out->df);
        out->p_value = out->df > 0 ? dial_gamma_q(out->df / 2, out->statistic / 2) : 1;
    }
    free(seen);
    free(map);
    free(stored);
    free(current);
    return status;
}

static void finish_result(const dial_drift_column *reference, size_t n, double psi_threshold,
                          double p_threshold, dial_drift_feature_result *out) {
    out->feature = reference->feature;
    out->name = reference->name;
    out->type = reference->type;
    out->missing_share = n ? (double)out->missing / (double)n : 0;
    uint64_t rows = reference->count + reference->missing;
    out->reference_missing_share = rows ? (double)reference->missing / (double)rows : 0;
    out->drifted = out->psi >= psi_threshold && out->p_value < p_threshold;
}

static int by_psi(const void *a, const void *b) {
    const dial_drift_feature_result *x = a, *y = b;
    if (x->psi != y->psi) return x->psi < y->psi ? 1 : -1;
    return (x->feature > y->feature) - (x->feature < y->feature);
}

void dial_drift_results_free(dial_drift_feature_result *results, size_t n) {
    if (!results) return;
    for (size_t i = 0; i < n; i++) {
        for (size_t l = 0; l < results[i].n_new_levels; l++) free(results[i].new_levels[l]);
        free(results[i].new_levels);
    }
    free(results);
}

dial_status dial_drift_compare(dial_ctx *ctx, const dial_model *model,
                               const dial_drift_reference *reference, const dial_view *rows,
                               const double *importance, double psi_threshold, double p_threshold,
                               dial_drift_feature_result **out) {
    *out = NULL;
    if (!model || !reference || !rows || !rows->data ||
        rows->data->n_features != dial_model_n_features(model))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_drift_compare needs the model, its reference and rows bound to it "
                         "(dial_model_bind)");
    size_t n_features = reference->n_features, n = rows->n;
    dial_drift_feature_result *results =
        dial_calloc(ctx, n_features ? n_features : 1, sizeof *results);
    double *values = dial_malloc_array(ctx, n ? n : 1, sizeof *values);
    dial_drift_columns columns = {0};
    size_t *kept = dial_malloc_array(ctx, n_features ? n_features : 1, sizeof *kept);
    dial_status status = results && values && kept
                             ? dial_drift_columns_open(ctx, rows, &columns)
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
    for (size_t i = 0; status == DIAL_OK && i < n_features; i++)
        kept[i] = reference->features[i].feature;
    if (status == DIAL_OK) status = dial_drift_columns_gather(ctx, &columns, kept, n_features);
    free(kept);
    for (size_t i = 0; i < n_features && status == DIAL_OK; i++) {
        const dial_drift_column *stored = &reference->features[i];
        dial_drift_column_values(&columns, stored->feature, values);
        if (stored->type == DIAL_COLUMN_CATEGORICAL)
            status = compare_categorical(ctx, model, stored, rows->data->features[stored->feature],
                                         values, n, &results[i]);
        else
            status = compare_numeric(ctx, stored, values, n, &results[i]);
        finish_result(stored, n, psi_threshold, p_threshold, &results[i]);
        results[i].importance = importance ? importance[stored->feature] : NAN;
    }
    dial_drift_columns_close(&columns);
    free(values);
    if (status != DIAL_OK) {
        dial_drift_results_free(results, n_features);
        return status;
    }
    qsort(results, n_features, sizeof *results, by_psi);
    *out = results;
    return DIAL_OK;
}

dial_status dial_drift_compare_target(dial_ctx *ctx, const dial_drift_reference *reference,
                                      const double *y, size_t n, dial_drift_feature_result *out) {
    memset(out, 0, sizeof *out);
    if (!reference->has_target)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the drift reference has no target");
    const dial_drift_column *stored = &reference->target;
    double *values = dial_malloc_array(ctx, n ? n : 1, sizeof *values);
    if (!values) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
    memcpy(values, y, n * sizeof *values);
    dial_status status;
    if (stored->type == DIAL_COLUMN_CATEGORICAL) {
        /* class indices: the classes are the levels, matched already */
        uint64_t *stored_cells = dial_calloc(ctx, stored->n_cells + 1, sizeof *stored_cells);
        uint64_t *current = dial_calloc(ctx, stored->n_cells + 1, sizeof *current);
        status = stored_cells && current
                     ? DIAL_OK
                     : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory comparing the drift");
        for (size_t i = 0; i < n && status == DIAL_OK; i++) {
            double v = values[i];
            if (isnan(v) || v < 0 || v >= (double)stored->n_cells) {
                current[stored->n_cells]++;
                out->missing++;
            } else {
                current[(size_t)v]++;
                out->count++;
            }
        }
        if (status == DIAL_OK) {
            memcpy(stored_cells, stored->counts, stored->n_cells * sizeof *stored_cells);
            stored_cells[stored->n_cells] = stored->missing;
            out->psi = dial_drift_psi(stored_cells, current, stored->n_cells + 1);
            out->test = "chi2";
            out->statistic =
                dial_drift_chi_squared(stored_cells, current, stored->n_cells + 1, &out->df);
            out->p_value = out->df > 0 ? dial_gamma_q(out->df / 2, out->statistic / 2) : 1;
        }
        free(stored_cells);
        free(current);
    } else {
        status = compare_numeric(ctx, stored, values, n, out);
    }
    free(values);
    finish_result(stored, n, INFINITY, 0, out);
    out->importance = NAN;
    return status;
}
