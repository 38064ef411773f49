/*
 * libFuzzer target for the LIBSVM reader: any bytes must give a table
 * ("label", "f1" .. "fN", all numeric; the label dense, the features in
 * well-formed compressed rows: offsets that never decrease, columns in
 * range and increasing along a row) or a one-line error, never a crash,
 * a leak, undefined behaviour or an allocation beyond the fuzzing limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial/dial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 0;
    dial_table *table = NULL;
    dial_status status = dial_libsvm_parse(ctx, "fuzz.libsvm", (const char *)data, size, &table);
    if (status == DIAL_OK) {
        if (!table || table->n_rows == 0 || table->n_cols == 0) abort();
        if (strcmp(table->cols[0].name, "label") != 0) abort();
        for (size_t j = 0; j < table->n_cols; j++) {
            const dial_column *col = &table->cols[j];
            if (col->type != DIAL_COLUMN_NUMERIC || !col->values != (j > 0) || col->levels) abort();
        }
        const dial_csr *m = table->sparse;
        if (!m || m->n_rows != table->n_rows || m->n_cols + 1 != table->n_cols) abort();
        if (m->row_start[0] != 0) abort();
        for (size_t i = 0; i < m->n_rows; i++) {
            if (m->row_start[i + 1] < m->row_start[i]) abort();
            for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
                if (m->col[k] >= m->n_cols || (k > m->row_start[i] && m->col[k] <= m->col[k - 1]))
                    abort();
        }
    } else {
        const char *message = dial_ctx_error(ctx);
        if (table || message[0] == '\0' || strchr(message, '\n')) abort();
    }
    dial_table_free(table);
    dial_ctx_free(ctx);
    return 0;
}
