/*
 * Type inference and merging of a CSV file's chunks (internal to
 * src/data/csv*.c; the map of the parser is at the top of csv.c): every
 * cut checked to fall between records, each column's type decided from
 * the counts of all chunks, the columns put together in file order with
 * their levels mapped to file-wide ones, and the chunks that saw a
 * categorical column as numeric read again.
 */
#include "core/alloc.h"
#include "data/csv_reader.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv_scan.h"

/* Reads a chunk again for the columns flagged in `again` (categorical
 * columns the chunk saw as numeric), interning every value in the file-wide
 * levels. The first reading checked the structure, so this one cannot meet
 * a syntax error. */
static bool csv_rescan_chunk(const csv_reader *reader, const csv_chunk *chunk, const bool *again,
                             csv_result *results, size_t row_offset, csv_work *work) {
    csv_scan scan;
    csv_scan_init(&scan, chunk->begin, (size_t)(chunk->stop - chunk->begin), reader->separator);
    csv_field field;
    for (size_t row = 0; row < chunk->n_rows && scan.p < scan.end;) {
        if (csv_scan_blank_line(&scan)) continue;
        size_t j = 0;
        csv_step step;
        do {
            step = csv_scan_field(&scan, &field);
            if (step >= CSV_FIELD_UNTERMINATED) return true;
            if (j < reader->n_cols && again[j]) {
                const char *text;
                size_t length;
                double number;
                if (!csv_field_text(work, &field, &text, &length)) return false;
                int kind = dial_csv_classify(work, text, length, &number);
                if (kind < 0) return false;
                double *value = &results[j].values[row_offset + row];
                if (kind == CSV_MISSING) {
                    *value = NAN;
                } else {
                    size_t level;
                    if (!dial_csv_levels_intern(results[j].levels, text, length, &level, NULL))
                        return false;
                    *value = (double)level;
                }
            }
            j++;
        } while (step == CSV_FIELD_MORE);
        row++;
    }
    return true;
}

/* Checks that every cut fell between records, reports the first error in
 * file order, and gives each chunk's first line in the file. Returns
 * DIAL_OK with *retry set when a cut fell inside a quoted field. */
dial_status dial_csv_check_chunks(const csv_reader *reader, size_t *first_lines, bool *retry) {
    *retry = false;
    size_t line = reader->body_line;
    for (size_t t = 0; t < reader->n_chunks; t++) {
        const csv_chunk *chunk = &reader->chunks[t];
        first_lines[t] = line;
        if (chunk->error.kind != CSV_ERROR_NONE)
            return dial_csv_report(reader, &chunk->error, line + chunk->error.line - 1);
        if (t + 1 < reader->n_chunks && chunk->stop != reader->chunks[t + 1].begin) {
            *retry = true;
            return DIAL_OK;
        }
        line += chunk->lines;
    }
    return DIAL_OK;
}

/* Decides each column's type from the counts of all chunks; fails on a
 * numeric column with stray text, naming the first such value in the file. */
dial_status dial_csv_decide_types(const csv_reader *reader, char **names, const size_t *first_lines,
                                  csv_result *results) {
    size_t worst = SIZE_MAX, worst_line = 0;
    const char *worst_sample = NULL;
    for (size_t j = 0; j < reader->n_cols; j++) {
        size_t numbers = 0, texts = 0, line = 0;
        const char *sample = NULL;
        for (size_t t = 0; t < reader->n_chunks; t++) {
            const csv_column *col = &reader->chunks[t].cols[j];
            numbers += col->n_numbers;
            if (col->n_texts && !sample) {
                sample = col->text_sample;
                line = first_lines[t] + col->text_line - 1;
            }
            texts += col->n_texts;
        }
        /* At least 90% numbers: a numeric column with a typo, not a category. */
        results[j].categorical = texts > 0 && numbers < 9 * texts;
        if (texts > 0 && !results[j].categorical && (worst == SIZE_MAX || line < worst_line)) {
            worst = j;
            worst_line = line;
            worst_sample = sample;
        }
    }
    if (worst == SIZE_MAX) return DIAL_OK;
    char *name = dial_csv_sample(reader->ctx, names[worst], strlen(names[worst]));
    if (!name) return dial_csv_out_of_memory(reader);
    dial_status status =
        dial_fail(reader->ctx, DIAL_ERR_DATA,
                  "%s:%zu:%zu: column '%s' is numeric but this value is not a number: '%s'",
                  reader->name, worst_line, worst + 1, name, worst_sample);
    free(name);
    return status;
}

/* Puts the chunks' columns together in file order. The first chunk's
 * arrays grow to hold every row (a realloc, which for large blocks moves
 * pages rather than bytes) and its levels are the first file-wide ones; the
 * other chunks' values are copied after them, their local levels mapped to
 * the file-wide ones. Categorical columns a chunk saw as numeric are read
 * again. */
bool dial_csv_merge_columns(csv_reader *reader, csv_result *results, size_t n_rows,
                            csv_work *work) {
    size_t n_cols = reader->n_cols;
    bool *again = dial_calloc(reader->ctx, n_cols ? n_cols : 1, sizeof *again);
    if (!again) return false;
    for (size_t j = 0; j < n_cols; j++) {
        csv_column *first = &reader->chunks[0].cols[j];
        double *values =
            dial_realloc_array(reader->ctx, first->values, n_rows ? n_rows : 1, sizeof *values);
        if (!values) goto fail;
        results[j].values = values;
        first->values = NULL;
        if (results[j].categorical && first->mode == CSV_CATEGORICAL) {
            results[j].levels = first->levels;
            first->levels = NULL;
        }
        if (results[j].categorical && !results[j].levels &&
            !(results[j].levels = dial_csv_levels_new(reader->ctx)))
            goto fail;
    }
    size_t *remap = NULL;
    size_t remap_capacity = 0;
    size_t offset = 0;
    for (size_t t = 0; t < reader->n_chunks; t++) {
        csv_chunk *chunk = &reader->chunks[t];
        bool any_again = false;
        for (size_t j = 0; j < n_cols; j++) {
            csv_column *col = &chunk->cols[j];
            double *to = results[j].values + offset;
            again[j] = results[j].categorical && col->mode == CSV_NUMERIC;
            any_again = any_again || again[j];
            if (t == 0 || again[j]) continue;
            if (!results[j].categorical || col->mode != CSV_CATEGORICAL) {
                memcpy(to, col->values, chunk->n_rows * sizeof *to);
                continue;
            }
            if (col->levels->count > remap_capacity) {
                size_t *grown =
                    dial_realloc_array(reader->ctx, remap, col->levels->count, sizeof *remap);
                if (!grown) {
                    free(remap);
                    goto fail;
                }
                remap = grown;
                remap_capacity = col->levels->count;
            }
            for (size_t k = 0; k < col->levels->count; k++) {
                if (!dial_csv_levels_intern(results[j].levels, col->levels->names[k],
                                            col->levels->lengths[k], &remap[k], NULL)) {
                    free(remap);
                    goto fail;
                }
            }
            for (size_t i = 0; i < chunk->n_rows; i++) {
                double v = col->values[i];
                to[i] = isnan(v) ? v : (double)remap[(size_t)v];
            }
        }
        if (any_again && !csv_rescan_chunk(reader, chunk, again, results, offset, work)) {
            free(remap);
            goto fail;
        }
        offset += chunk->n_rows;
        dial_csv_chunk_release(chunk, n_cols);
    }
    free(remap);
    free(again);
    return true;
fail:
    free(again);
    return false;
}
