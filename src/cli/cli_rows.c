/* Rows of a table written back as CSV (dial tune --holdout-out): the rows
 * a search never saw, kept in a file so a saved model can be scored on
 * them later with dial score. The table keeps parsed values, not the
 * file's text, so a number is written in its shortest exact form ("5.1"
 * stays "5.1", "007" becomes "7"), which reads back as the same value. */
#include "cli/cli.h"

static void write_row(FILE *out, const dial_table *table, size_t row) {
    char number[40];
    for (size_t j = 0; j < table->n_cols; j++) {
        const dial_column *column = &table->cols[j];
        double value = column->values[row];
        if (j) fputc(',', out);
        if (value != value) continue; /* missing: an empty field */
        if (column->type == DIAL_COLUMN_CATEGORICAL) {
            cli_write_csv_field(out, column->levels[(size_t)value]);
        } else {
            cli_format_double(value, number, sizeof number);
            fputs(number, out);
        }
    }
    fputc('\n', out);
}

dial_status cli_write_rows(dial_ctx *ctx, const dial_table *table, const size_t *rows, size_t n,
                           const char *path) {
    dial_output *output = NULL;
    dial_status status = cli_output_open(ctx, path, &output);
    if (status != DIAL_OK) return status;
    FILE *out = dial_output_stream(output);
    for (size_t j = 0; j < table->n_cols; j++) {
        if (j) fputc(',', out);
        cli_write_csv_field(out, table->cols[j].name);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) write_row(out, table, rows[i]);
    return cli_output_commit(ctx, output);
}
