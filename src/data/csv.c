/*
 * The CSV parser (RFC 4180) over bytes in memory. One pass splits records
 * and fields without a malloc per field, parses each value as it goes (a
 * fast exact path for ordinary decimals, strtod for the rest) and interns
 * categorical levels in a hash table per column.
 *
 * Type inference: a column takes the mode of its first non-missing value.
 * A numeric column that later meets text, and a categorical one, both count
 * numbers and texts; at the end a column is numeric when at least 90% of its
 * non-missing values are numbers (any text is then an error at its first
 * occurrence), categorical otherwise. A column that started numeric and ends
 * categorical has lost the text of its early numbers, so it alone is read a
 * second time.
 *
 * Threads: the records after the header are cut into chunks at line ends,
 * one per thread, each parsed on its own (values, levels, counts, line
 * numbers local to the chunk), then merged in file order. A cut is a guess:
 * a line end inside a quoted field is not a record end. The guess is right
 * when the chunk before ends exactly where the next begins; when it is not,
 * the file is parsed again on one thread. Reading files (and standard
 * input) is in table.c.
 *
 * Width: a first record of more than CSV_MAX_COLUMNS (100,000) fields is
 * refused while it is scanned, before any per-column state exists; wider
 * data belongs in LIBSVM's sparse format.
 *
 * The files of the parser:
 *   csv.c          this map, the header and its names, the width limit,
 *                  building the table, dial_csv_parse
 *   csv_scan.h     splitting bytes into records and fields (inline)
 *   csv_value.c    a field's value: number, text or missing
 *   csv_levels.c   the levels of a categorical column (a hash table)
 *   csv_chunk.c    cutting the records into chunks and parsing each, the
 *                  messages of their errors (csv_reader.h)
 *   csv_merge.c    type inference and merging the chunks in file order
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "data/csv_levels.h"
#include "data/csv_reader.h"
#include "data/csv_scan.h"
#include "data/csv_value.h"
#include "dial/data.h"

/* ---- the header and the table ----------------------------------------- */

/* The widest dense CSV read. Each column costs about 240 bytes of state
 * before its first value (its name, its type counts, its levels, a slot in
 * every chunk), so a 50 MB line of 13 million one-character fields took 3
 * GB before any limit was met. 100,000 columns cost about 24 MB and hold
 * dense data of every kind we know of (pixels, gene expressions); wider
 * data is nearly always mostly zeros, which LIBSVM's sparse format holds
 * for its nonzeros only. docs/cli.md states the limit. */
#define CSV_MAX_COLUMNS 100000

/* Counts the fields left in the first record without keeping any, for the
 * message that refuses it: scanning costs no memory. */
static dial_status csv_refuse_wide(csv_reader *reader, csv_scan *scan, size_t line, size_t count) {
    csv_field field;
    csv_step step = CSV_FIELD_MORE;
    while (step == CSV_FIELD_MORE) {
        step = csv_scan_field(scan, &field);
        count++;
    }
    return dial_fail(reader->ctx, DIAL_ERR_DATA,
                     "%s:%zu: %s%zu columns; a dense CSV is limited to %d columns (use LIBSVM "
                     "sparse input for wider data)",
                     reader->name, line, step == CSV_FIELD_LAST ? "" : "at least ", count,
                     CSV_MAX_COLUMNS);
}

/* Reads the first record as column names. *n_names gets their count. A
 * record of more than CSV_MAX_COLUMNS fields is refused before more than
 * that many names are kept. */
static dial_status csv_read_names(csv_reader *reader, csv_scan *scan, csv_work *work, char ***out,
                                  size_t *n_names, bool *all_numbers) {
    size_t count = 0, capacity = 16, numbers = 0, missing = 0;
    char **names = dial_malloc_array(reader->ctx, capacity, sizeof *names);
    if (!names) return dial_csv_out_of_memory(reader);
    size_t line = scan->line;
    csv_field field;
    csv_step step;
    do {
        if (count == CSV_MAX_COLUMNS) {
            for (size_t i = 0; i < count; i++) free(names[i]);
            free(names);
            return csv_refuse_wide(reader, scan, line, count);
        }
        step = csv_scan_field(scan, &field);
        if (step >= CSV_FIELD_UNTERMINATED) {
            for (size_t i = 0; i < count; i++) free(names[i]);
            free(names);
            bool unterminated = step == CSV_FIELD_UNTERMINATED;
            csv_error error = {unterminated ? CSV_ERROR_UNTERMINATED : CSV_ERROR_AFTER_QUOTE, 0,
                               count + 1, 0, unterminated ? 0 : (unsigned char)*scan->p};
            return dial_csv_report(reader, &error, unterminated ? field.line : scan->line);
        }
        const char *text;
        size_t length;
        double number;
        int kind = -1;
        char *name = NULL;
        if (count == capacity) {
            capacity *= 2;
            char **grown = dial_realloc_array(reader->ctx, names, capacity, sizeof *names);
            if (grown)
                names = grown;
            else
                capacity = 0;
        }
        if (capacity && csv_field_text(work, &field, &text, &length)) {
            kind = dial_csv_classify(work, text, length, &number);
            name = dial_malloc(reader->ctx, length + 1);
            if (name) {
                memcpy(name, text, length);
                name[length] = '\0';
            }
        }
        if (kind < 0 || !name) {
            free(name);
            for (size_t i = 0; i < count; i++) free(names[i]);
            free(names);
            return dial_csv_out_of_memory(reader);
        }
        numbers += kind == CSV_NUMBER;
        missing += kind == CSV_MISSING;
        names[count++] = name;
    } while (step == CSV_FIELD_MORE);
    *out = names;
    *n_names = count;
    *all_numbers = numbers > 0 && numbers + missing == count;
    return DIAL_OK;
}

/* Gives empty names their position's name and rejects duplicates. */
static dial_status csv_check_names(csv_reader *reader, char **names, size_t n) {
    for (size_t j = 0; j < n; j++) {
        if (names[j][0] != '\0') continue;
        char made[32];
        snprintf(made, sizeof made, "V%zu", j + 1);
        char *copy = dial_strdup(reader->ctx, made);
        if (!copy) return dial_csv_out_of_memory(reader);
        free(names[j]);
        names[j] = copy;
    }
    csv_levels *seen = dial_csv_levels_new(reader->ctx);
    if (!seen) return dial_csv_out_of_memory(reader);
    dial_status status = DIAL_OK;
    for (size_t j = 0; j < n && status == DIAL_OK; j++) {
        size_t first;
        bool is_new;
        if (!dial_csv_levels_intern(seen, names[j], strlen(names[j]), &first, &is_new)) {
            status = dial_csv_out_of_memory(reader);
        } else if (!is_new) {
            char *sample = dial_csv_sample(reader->ctx, names[j], strlen(names[j]));
            if (!sample) {
                status = dial_csv_out_of_memory(reader);
            } else {
                status = dial_fail(reader->ctx, DIAL_ERR_DATA,
                                   "%s:1:%zu: duplicate column name '%s' (also column %zu)",
                                   reader->name, j + 1, sample, first + 1);
                free(sample);
            }
        }
    }
    dial_csv_levels_free(seen);
    return status;
}

/* Builds the table, moving names, values and levels into it. */
static dial_status csv_build_table(const csv_reader *reader, char **names, csv_result *results,
                                   size_t n_rows, bool has_header, dial_table **out) {
    dial_table *table = dial_calloc(reader->ctx, 1, sizeof *table);
    if (!table) return dial_csv_out_of_memory(reader);
    table->cols = dial_calloc(reader->ctx, reader->n_cols, sizeof *table->cols);
    if (!table->cols) {
        free(table);
        return dial_csv_out_of_memory(reader);
    }
    table->n_rows = n_rows;
    table->n_cols = reader->n_cols;
    table->has_header = has_header;
    for (size_t j = 0; j < reader->n_cols; j++) {
        dial_column *col = &table->cols[j];
        col->name = names[j];
        names[j] = NULL;
        /* Give back what the row estimate over-reserved. */
        double *values =
            dial_realloc_array(reader->ctx, results[j].values, n_rows ? n_rows : 1, sizeof *values);
        col->values = values ? values : results[j].values;
        results[j].values = NULL;
        if (!results[j].categorical) {
            col->type = DIAL_COLUMN_NUMERIC;
            continue;
        }
        col->type = DIAL_COLUMN_CATEGORICAL;
        csv_levels *levels = results[j].levels;
        col->n_levels = levels->count;
        col->levels = levels->names;
        levels->names = NULL;
        levels->count = 0;
        if (!col->levels) col->levels = dial_calloc(reader->ctx, 1, sizeof *col->levels);
        if (!col->levels) {
            dial_table_free(table);
            return dial_csv_out_of_memory(reader);
        }
    }
    *out = table;
    return DIAL_OK;
}

/* Parses the records after the header on up to `threads` threads and
 * builds the table. *retry is set when the chunks must be parsed again as
 * one. */
static dial_status csv_parse_records(csv_reader *reader, const char *begin, char **names,
                                     bool has_header, int threads, dial_table **out, bool *retry) {
    *retry = false;
    if (!dial_csv_cut_chunks(reader, begin, reader->body_end, threads))
        return dial_csv_out_of_memory(reader);
    dial_status status = DIAL_OK;
    if (reader->n_chunks == 1) {
        csv_work work = {.ctx = reader->ctx};
        dial_csv_chunk_parse(reader, &reader->chunks[0], &work);
        dial_csv_work_release(&work);
    } else {
        status = dial_parallel_for(reader->ctx, (int)reader->n_chunks, reader->n_chunks,
                                   dial_csv_chunk_run, reader);
    }
    size_t *first_lines = dial_calloc(reader->ctx, reader->n_chunks, sizeof *first_lines);
    csv_result *results = dial_calloc(reader->ctx, reader->n_cols, sizeof *results);
    if (status == DIAL_OK && (!first_lines || !results)) status = dial_csv_out_of_memory(reader);
    if (status == DIAL_OK) status = dial_csv_check_chunks(reader, first_lines, retry);
    size_t n_rows = 0;
    for (size_t t = 0; t < reader->n_chunks; t++) n_rows += reader->chunks[t].n_rows;
    if (status == DIAL_OK && !*retry && n_rows == 0) {
        status = dial_fail(reader->ctx, DIAL_ERR_DATA, "%s: the file has a header but no data rows",
                           reader->name);
    }
    if (status == DIAL_OK && !*retry)
        status = dial_csv_decide_types(reader, names, first_lines, results);
    if (status == DIAL_OK && !*retry) {
        csv_work work = {.ctx = reader->ctx};
        if (!dial_csv_merge_columns(reader, results, n_rows, &work))
            status = dial_csv_out_of_memory(reader);
        dial_csv_work_release(&work);
    }
    if (status == DIAL_OK && !*retry)
        status = csv_build_table(reader, names, results, n_rows, has_header, out);
    for (size_t j = 0; results && j < reader->n_cols; j++) {
        free(results[j].values);
        dial_csv_levels_free(results[j].levels);
    }
    free(results);
    free(first_lines);
    dial_csv_free_chunks(reader);
    return status;
}

static dial_status csv_parse_all(csv_reader *reader, const char *bytes, size_t length,
                                 const dial_csv_options *options, dial_table **out) {
    const char *end = bytes + length;
    if (length >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) bytes += 3;
    reader->separator =
        options && options->separator ? options->separator : csv_detect_separator(bytes, end);
    reader->body_end = end;
    dial_header_mode header = options ? options->header : DIAL_HEADER_AUTO;

    csv_scan scan;
    csv_scan_init(&scan, bytes, (size_t)(end - bytes), reader->separator);
    while (scan.p < scan.end && csv_scan_blank_line(&scan)) {
    }
    if (scan.p == scan.end)
        return dial_fail(reader->ctx, DIAL_ERR_DATA, "%s: the file is empty", reader->name);

    csv_scan first_record = scan;
    char **names = NULL;
    size_t n_cols = 0;
    bool all_numbers = false;
    csv_work work = {.ctx = reader->ctx};
    dial_status status = csv_read_names(reader, &scan, &work, &names, &n_cols, &all_numbers);
    dial_csv_work_release(&work);
    if (status != DIAL_OK) return status;
    bool has_header = header == DIAL_HEADER_YES || (header == DIAL_HEADER_AUTO && !all_numbers);
    if (!has_header) {
        scan = first_record;
        for (size_t j = 0; j < n_cols; j++) {
            char made[32];
            snprintf(made, sizeof made, "V%zu", j + 1);
            free(names[j]);
            names[j] = dial_strdup(reader->ctx, made);
            if (!names[j]) status = dial_csv_out_of_memory(reader);
        }
    }
    if (status == DIAL_OK && has_header) status = csv_check_names(reader, names, n_cols);
    reader->n_cols = n_cols;
    reader->body_line = scan.line;
    if (status == DIAL_OK) {
        bool retry = false;
        status = csv_parse_records(reader, scan.p, names, has_header, dial_ctx_threads(reader->ctx),
                                   out, &retry);
        if (status == DIAL_OK && retry)
            status = csv_parse_records(reader, scan.p, names, has_header, 1, out, &retry);
    }
    for (size_t j = 0; j < n_cols; j++) free(names[j]);
    free(names);
    return status;
}

dial_status dial_csv_parse(dial_ctx *ctx, const char *name, const char *bytes, size_t length,
                           const dial_csv_options *options, dial_table **out) {
    *out = NULL;
    if (!name) name = "<memory>";
    if (!bytes && length) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s: no bytes to read", name);
    if (options &&
        (options->separator == '"' || options->separator == '\n' || options->separator == '\r')) {
        return dial_fail(
            ctx, DIAL_ERR_ARGUMENT,
            "the CSV separator cannot be a quote or a line end; use ',', ';' or a tab");
    }
    if (options && (options->header < DIAL_HEADER_AUTO || options->header > DIAL_HEADER_NO))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "invalid CSV header mode %d",
                         (int)options->header);
    csv_reader reader = {.ctx = ctx, .name = name};
    dial_status status = csv_parse_all(&reader, bytes ? bytes : "", length, options, out);
    if (status == DIAL_OK && options && options->sparse) {
        status = dial_table_make_sparse(ctx, *out);
        if (status != DIAL_OK) {
            dial_table_free(*out);
            *out = NULL;
        }
    }
    return status;
}
