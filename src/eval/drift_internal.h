/*
 * What the drift files share (internal to src/eval/drift_*.c and the model
 * file's reader): a feature's values over a view's rows, dense or sparse;
 * the reference's JSON; the two-sample statistics.
 *
 *   drift_columns.c         a feature's values, whatever the data's layout
 *   drift_reference.c       building the reference at fit time
 *   drift_reference_json.c  the reference as JSON: written, read and checked
 *   drift_stats.c           PSI, KS against the stored CDF, chi-squared
 *   drift_compare.c         new rows against the reference, feature by feature
 */
#ifndef DIAL_DRIFT_INTERNAL_H
#define DIAL_DRIFT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "dial/drift.h"

/* The values of a view's features, one feature at a time. Of sparse data,
 * only the features that will be read are transposed (12 bytes a nonzero
 * of theirs), so a feature costs its rows, and a reference that keeps a
 * thousand features of a text's fifty thousand copies only theirs. */
typedef struct dial_drift_columns {
    const dial_view *view;
    /* sparse data: count[c], the view's nonzeros in column c; and the
     * gathered columns' entries by column (CSC): column c holds rows row[k]
     * (positions in the view), value[k] for k in [start[c], start[c + 1]),
     * empty unless gathered[c] */
    size_t n_sparse_cols;
    size_t *count;
    size_t *start;
    bool *gathered;
    uint32_t *row;
    double *value;
} dial_drift_columns;

/* Opens a view's features; of sparse data, counts each column's
 * nonzeros. Errors: DIAL_ERR_NOMEM. */
dial_status dial_drift_columns_open(dial_ctx *ctx, const dial_view *view, dial_drift_columns *out);
/* Transposes the entries of features[0 .. n - 1] (sparse data; nothing
 * to do for dense), the features dial_drift_column_values will be asked
 * for. Errors: DIAL_ERR_NOMEM, DIAL_ERR_DATA for a view of 2^32 rows or
 * more. */
dial_status dial_drift_columns_gather(dial_ctx *ctx, dial_drift_columns *columns,
                                      const size_t *features, size_t n);
void dial_drift_columns_close(dial_drift_columns *columns);
/* Feature j's value on each of the view's rows into values (view->n
 * entries; NaN when missing; a categorical value is its level index in
 * the data's own column). A sparse feature not gathered reads as 0. */
void dial_drift_column_values(const dial_drift_columns *columns, size_t j, double *values);
/* The nonzero count of feature j (for choosing among many sparse ones). */
size_t dial_drift_column_nonzeros(const dial_drift_columns *columns, size_t j);

/* One column of the reference as the JSON object the file keeps. */
json_t *dial_drift_column_encode(const dial_drift_column *column);
/* The reference as a JSON object (the model file's "drift_reference"). */
json_t *dial_drift_reference_encode(const dial_drift_reference *reference);
/* Decodes and checks a "drift_reference" object against model's schema:
 * a failure is DIAL_ERR_FORMAT with one line starting "drift reference: "
 * and naming the part. */
dial_status dial_drift_reference_decode(dial_ctx *ctx, const json_t *json, const dial_model *model,
                                        dial_drift_reference **out);

/* The KS statistic D between the empirical CDF of values (n finite values,
 * sorted ascending) and the reference column's piecewise-linear CDF
 * (docs/drift.md). */
double dial_drift_ks_statistic(const dial_drift_column *reference, const double *sorted, size_t n);
/* The chi-squared statistic of homogeneity of a 2 x n_cells table and its
 * degrees of freedom (cells empty on both sides left out). */
double dial_drift_chi_squared(const uint64_t *reference, const uint64_t *current, size_t n_cells,
                              double *df);

#endif
