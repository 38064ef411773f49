/*
 * libFuzzer target for the CSV reader: any bytes must give a table that
 * keeps its invariants or a one-line error, never a crash, a leak or
 * undefined behaviour. Each input is read with the default options and
 * again headerless with a separator chosen by the input's length.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial/dial.h"

static void check_table(const dial_table *table) {
    if (!table || table->n_rows == 0 || table->n_cols == 0 || !table->cols) abort();
    for (size_t j = 0; j < table->n_cols; j++) {
        const dial_column *col = &table->cols[j];
        if (!col->name || !col->values) abort();
        if (col->type == DIAL_COLUMN_NUMERIC) {
            if (col->levels || col->n_levels) abort();
            continue;
        }
        if (col->type != DIAL_COLUMN_CATEGORICAL || !col->levels) abort();
        for (size_t k = 0; k < col->n_levels; k++)
            if (!col->levels[k]) abort();
        for (size_t i = 0; i < table->n_rows; i++) {
            double v = col->values[i];
            if (isnan(v)) continue;
            if (v < 0 || v >= (double)col->n_levels || v != floor(v)) abort();
        }
    }
    if (dial_table_find(table, table->cols[0].name) < 0) abort();
}

static void check_error(const dial_ctx *ctx, const dial_table *table) {
    const char *message = dial_ctx_error(ctx);
    if (table || message[0] == '\0' || strchr(message, '\n')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char separators[] = {0, ',', ';', '\t', '|', ' '};
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 0;
    const dial_csv_options variants[] = {
        {.separator = 0, .header = DIAL_HEADER_AUTO},
        {.separator = separators[size % sizeof separators], .header = DIAL_HEADER_NO},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        dial_table *table = NULL;
        dial_ctx_clear_error(ctx);
        dial_status status =
            dial_csv_parse(ctx, "fuzz.csv", (const char *)data, size, &variants[v], &table);
        if (status == DIAL_OK) check_table(table);
        else check_error(ctx, table);
        dial_table_free(table);
    }
    dial_ctx_free(ctx);
    return 0;
}
