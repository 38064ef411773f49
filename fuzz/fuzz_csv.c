/*
 * libFuzzer target for the CSV reader: any bytes must give a table that
 * keeps its invariants or a one-line error, never a crash, a leak or
 * undefined behaviour. Each input is read with the default options and
 * again headerless with a separator chosen by the input's length; each read
 * is done on one thread and on three (fuzzed builds cut even tiny inputs
 * into chunks), and the two must agree exactly, table or message.
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

static void check_same(const dial_table *a, const dial_table *b) {
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols || a->has_header != b->has_header) abort();
    for (size_t j = 0; j < a->n_cols; j++) {
        const dial_column *x = &a->cols[j], *y = &b->cols[j];
        if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->n_levels != y->n_levels)
            abort();
        for (size_t k = 0; k < x->n_levels; k++)
            if (strcmp(x->levels[k], y->levels[k]) != 0) abort();
        if (memcmp(x->values, y->values, a->n_rows * sizeof *x->values) != 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char separators[] = {0, ',', ';', '\t', '|', ' '};
    dial_ctx *one = dial_ctx_new(), *three = dial_ctx_new();
    if (!one || !three) abort();
    dial_ctx_set_threads(three, 3);
    const dial_csv_options variants[] = {
        {.separator = 0, .header = DIAL_HEADER_AUTO},
        {.separator = separators[size % sizeof separators], .header = DIAL_HEADER_NO},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        dial_table *a = NULL, *b = NULL;
        dial_ctx_clear_error(one);
        dial_ctx_clear_error(three);
        dial_status sa =
            dial_csv_parse(one, "fuzz.csv", (const char *)data, size, &variants[v], &a);
        dial_status sb =
            dial_csv_parse(three, "fuzz.csv", (const char *)data, size, &variants[v], &b);
        if (sa != sb) abort();
        if (sa == DIAL_OK) {
            check_table(a);
            check_same(a, b);
        } else {
            const char *message = dial_ctx_error(one);
            if (a || b || message[0] == '\0' || strchr(message, '\n')) abort();
            if (strcmp(message, dial_ctx_error(three)) != 0) abort();
        }
        dial_table_free(a);
        dial_table_free(b);
    }
    dial_ctx_free(one);
    dial_ctx_free(three);
    return 0;
}
