/*
 * A CSV table made sparse (dial_table_make_sparse in dial/data.h): its
 * columns encoded in compressed rows, so that a categorical column of ten
 * thousand levels costs 12 bytes a row in the design matrix of a family
 * that takes sparse input, not 80 kB a row.
 *
 * Every column of the file is encoded, the target's too, because the
 * reader does not know yet which column the target is or which ones
 * --ignore will take out: a dataset finds its features' compressed
 * columns through table->sparse_first, and the preprocessing
 * (preprocess_sparse.c) drops the entries of every other column. The
 * columns also keep their values: the target, a group or time column, the
 * fingerprint and the drift checks read them there, and they cost 8 bytes
 * a cell of the file, never a cell of the one-hot matrix.
 *
 * The encoding is the unscaled design matrix of preprocess.c, one-hot and
 * all: a numeric value in its column (a 0 is not stored), a categorical
 * level as a 1 in its level's column. A missing value is refused: a
 * compressed row cannot say "missing" (an absent entry is a 0), and
 * imputing here would learn a fill from rows a cross-validation holds out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "dial/data.h"

/* The first value that cannot be encoded, in row order (the order a user
 * reads the file in), or DIAL_OK. */
static dial_status check_values(dial_ctx *ctx, const dial_table *table) {
    for (size_t i = 0; i < table->n_rows; i++)
        for (size_t c = 0; c < table->n_cols; c++) {
            const dial_column *col = &table->cols[c];
            double v = col->values[i];
            if (isnan(v))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "column '%s' is missing on row %zu: sparse data has no missing "
                                 "values; fill them in, or read the file dense (--dense)",
                                 col->name ? col->name : "", i + 1);
            if (isinf(v))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "column '%s' has an infinite value on row %zu: sparse data takes "
                                 "finite numbers only",
                                 col->name ? col->name : "", i + 1);
        }
    return DIAL_OK;
}

dial_status dial_table_make_sparse(dial_ctx *ctx, dial_table *table) {
    if (!table) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "no table given to make sparse");
    if (table->sparse)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the table is sparse already (a LIBSVM file)");
    for (size_t c = 0; c < table->n_cols; c++)
        if (!table->cols[c].values)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT, "column '%s' of the table has no values",
                             table->cols[c].name ? table->cols[c].name : "");
    dial_status status = check_values(ctx, table);
    if (status != DIAL_OK) return status;
    size_t *first = dial_malloc_array(ctx, table->n_cols + 1, sizeof *first);
    if (!first) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making the table sparse");
    size_t width = 0;
    for (size_t c = 0; c < table->n_cols; c++) {
        const dial_column *col = &table->cols[c];
        first[c] = width;
        width += col->type == DIAL_COLUMN_CATEGORICAL ? col->n_levels : 1;
    }
    first[table->n_cols] = width;
    /* A compressed column index is 32 bits (dial_csr.col). */
    if (width > UINT32_MAX) {
        free(first);
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "the columns one-hot encoded make %zu inputs, more than sparse data "
                         "holds (%u)",
                         width, (unsigned)UINT32_MAX);
    }
    size_t nnz = 0;
    for (size_t c = 0; c < table->n_cols; c++) {
        const dial_column *col = &table->cols[c];
        if (col->type == DIAL_COLUMN_CATEGORICAL) {
            nnz += table->n_rows;
            continue;
        }
        for (size_t i = 0; i < table->n_rows; i++) nnz += col->values[i] != 0;
    }
    dial_csr *m = dial_csr_alloc(ctx, table->n_rows, width, nnz);
    if (!m) {
        free(first);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making %zu rows sparse",
                         table->n_rows);
    }
    /* Columns in file order, and a column's block after the one before:
     * each row comes out sorted by compressed column, as dial_csr wants. */
    size_t at = 0;
    for (size_t i = 0; i < table->n_rows; i++) {
        for (size_t c = 0; c < table->n_cols; c++) {
            const dial_column *col = &table->cols[c];
            double v = col->values[i];
            if (col->type == DIAL_COLUMN_CATEGORICAL) {
                m->col[at] = (uint32_t)(first[c] + (size_t)v);
                m->value[at++] = 1.0;
            } else if (v != 0) {
                m->col[at] = (uint32_t)first[c];
                m->value[at++] = v;
            }
        }
        m->row_start[i + 1] = at;
    }
    table->sparse = m;
    table->sparse_first = first;
    return DIAL_OK;
}

bool dial_dataset_prefers_sparse(const dial_dataset *data, size_t *n_inputs, double *zero_share) {
    size_t inputs = 0;
    double cells = 0, nonzeros = 0;
    bool missing = false;
    for (size_t j = 0; data && !data->sparse && j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        bool categorical = col->type == DIAL_COLUMN_CATEGORICAL;
        inputs += categorical ? col->n_levels : 1;
        for (size_t i = 0; i < data->n_rows; i++) {
            double v = col->values[i];
            if (isnan(v))
                missing = true;
            else if (categorical || v != 0)
                nonzeros++;
        }
    }
    if (data) cells = (double)data->n_rows * (double)inputs;
    double share = cells > 0 ? 1 - nonzeros / cells : 0;
    if (n_inputs) *n_inputs = inputs;
    if (zero_share) *zero_share = share;
    return !missing && inputs >= DIAL_SPARSE_AUTO_MIN_INPUTS && share > 0.5;
}

dial_status dial_dataset_make_sparse(dial_ctx *ctx, dial_table *table, dial_dataset *data) {
    if (!data || data->table != table)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the dataset was not built from that table");
    dial_status status = dial_table_make_sparse(ctx, table);
    if (status == DIAL_OK) data->sparse = table->sparse;
    return status;
}
