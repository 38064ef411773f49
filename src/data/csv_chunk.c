/*
 * Parsing the chunks of a CSV file (internal to src/data/csv*.c; the map
 * of the parser is at the top of csv.c): cutting the records at line ends,
 * one chunk per thread, parsing each into columns of its own, and the
 * messages of the errors a chunk keeps until its line in the file is known.
 */
#include "core/alloc.h"
#include "data/csv_reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv_scan.h"

/* Below this many bytes per thread, threads cost more than they save. Fuzzed
 * builds cut tiny inputs too, so the fuzzer compares threaded and unthreaded
 * reads of everything it tries. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CSV_MIN_CHUNK_BYTES 16u
#else
#define CSV_MIN_CHUNK_BYTES (1u << 20)
#endif

dial_status dial_csv_out_of_memory(const csv_reader *reader) {
    return dial_fail(reader->ctx, DIAL_ERR_NOMEM, "%s: out of memory reading the file",
                     reader->name);
}

/* Puts one value into column j at the chunk's current row. Returns false
 * when out of memory. */
static inline bool csv_take(csv_chunk *chunk, csv_work *work, size_t j, const csv_field *field) {
    csv_column *col = &chunk->cols[j];
    size_t row = chunk->n_rows;
    const char *text;
    size_t length;
    if (!csv_field_text(work, field, &text, &length)) return false;
    double number = 0;
    int kind = dial_csv_classify(work, text, length, &number);
    if (kind < 0) return false;
    if (kind == CSV_MISSING) {
        col->values[row] = NAN;
        return true;
    }
    if (col->mode == CSV_UNDECIDED) col->mode = kind == CSV_NUMBER ? CSV_NUMERIC : CSV_CATEGORICAL;
    if (kind == CSV_NUMBER)
        col->n_numbers++;
    else if (col->n_texts++ == 0) {
        col->text_line = field->line;
        col->text_sample = dial_csv_sample(work->ctx, text, length);
        if (!col->text_sample) return false;
    }
    if (col->mode == CSV_NUMERIC) {
        col->values[row] = kind == CSV_NUMBER ? number : NAN;
        return true;
    }
    if (!col->levels && !(col->levels = dial_csv_levels_new(work->ctx))) return false;
    size_t level;
    if (!dial_csv_levels_intern(col->levels, text, length, &level, NULL)) return false;
    col->values[row] = (double)level;
    return true;
}

static bool csv_grow_rows(const dial_ctx *ctx, csv_chunk *chunk, size_t n_cols) {
    size_t capacity = chunk->row_capacity < 8 ? 16 : 2 * chunk->row_capacity;
    for (size_t j = 0; j < n_cols; j++) {
        double *values = dial_realloc_array(ctx, chunk->cols[j].values, capacity, sizeof *values);
        if (!values) return false;
        chunk->cols[j].values = values;
    }
    chunk->row_capacity = capacity;
    return true;
}

/* An upper bound of the number of records, to reserve the columns once: a
 * record ends at a line end and takes at least n_cols bytes. */
static size_t csv_estimate_rows(const char *start, const char *end, size_t n_cols) {
    size_t lines = 1;
    for (const char *p = start; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        lines++;
    size_t by_size = (size_t)(end - start) / (n_cols ? n_cols : 1) + 1;
    return lines < by_size ? lines : by_size;
}

static void csv_chunk_fail(csv_chunk *chunk, csv_error_kind kind, size_t line, size_t column,
                           size_t found, unsigned char found_char) {
    chunk->error = (csv_error){kind, line, column, found, found_char};
}

/* Parses the records that start in the chunk. Errors are kept in the
 * chunk; lines count from 1 at its beginning. */
void dial_csv_chunk_parse(const csv_reader *reader, csv_chunk *chunk, csv_work *work) {
    size_t n_cols = reader->n_cols;
    chunk->stop = chunk->begin;
    chunk->cols = dial_calloc(reader->ctx, n_cols, sizeof *chunk->cols);
    chunk->row_capacity = csv_estimate_rows(chunk->begin, chunk->end, n_cols);
    if (!chunk->cols) {
        csv_chunk_fail(chunk, CSV_ERROR_NOMEM, 0, 0, 0, 0);
        return;
    }
    for (size_t j = 0; j < n_cols; j++) {
        chunk->cols[j].values = dial_malloc_array(reader->ctx, chunk->row_capacity, sizeof(double));
        if (!chunk->cols[j].values) {
            csv_chunk_fail(chunk, CSV_ERROR_NOMEM, 0, 0, 0, 0);
            return;
        }
    }
    /* The scanner may run past the chunk's end: a record that starts in it
     * ends wherever it ends. */
    csv_scan scan;
    csv_scan_init(&scan, chunk->begin, (size_t)(reader->body_end - chunk->begin),
                  reader->separator);
    csv_field field;
    while (scan.p < chunk->end) {
        if (csv_scan_blank_line(&scan)) continue;
        if (chunk->n_rows == chunk->row_capacity && !csv_grow_rows(reader->ctx, chunk, n_cols)) {
            csv_chunk_fail(chunk, CSV_ERROR_NOMEM, 0, 0, 0, 0);
            return;
        }
        size_t record_line = scan.line;
        size_t j = 0;
        csv_step step;
        do {
            step = csv_scan_field(&scan, &field);
            if (step == CSV_FIELD_UNTERMINATED) {
                csv_chunk_fail(chunk, CSV_ERROR_UNTERMINATED, field.line, j + 1, 0, 0);
                return;
            }
            if (step == CSV_FIELD_AFTER_QUOTE) {
                csv_chunk_fail(chunk, CSV_ERROR_AFTER_QUOTE, scan.line, j + 1, 0,
                               (unsigned char)*scan.p);
                return;
            }
            if (j < n_cols && !csv_take(chunk, work, j, &field)) {
                csv_chunk_fail(chunk, CSV_ERROR_NOMEM, 0, 0, 0, 0);
                return;
            }
            j++;
        } while (step == CSV_FIELD_MORE);
        if (j != n_cols) {
            csv_chunk_fail(chunk, CSV_ERROR_FIELDS, record_line, 0, j, 0);
            return;
        }
        chunk->n_rows++;
    }
    chunk->stop = scan.p;
    chunk->lines = scan.line - 1;
}

void dial_csv_chunk_release(csv_chunk *chunk, size_t n_cols) {
    if (!chunk->cols) return;
    for (size_t j = 0; j < n_cols; j++) {
        free(chunk->cols[j].values);
        free(chunk->cols[j].text_sample);
        dial_csv_levels_free(chunk->cols[j].levels);
    }
    free(chunk->cols);
    chunk->cols = NULL;
}

dial_status dial_csv_chunk_run(void *arg, size_t begin, size_t end, int worker) {
    csv_reader *reader = arg;
    for (size_t t = begin; t < end; t++) {
        csv_work work = {.ctx = reader->ctx};
        dial_csv_chunk_parse(reader, &reader->chunks[t], &work);
        dial_csv_work_release(&work);
    }
    return DIAL_OK;
}

static const char *csv_separator_name(char separator) {
    switch (separator) {
    case ',': return "','";
    case ';': return "';'";
    case '\t': return "a tab";
    case ' ': return "a space";
    default: return NULL;
    }
}

/* The message of a chunk's error, at line `line` of the file. */
dial_status dial_csv_report(const csv_reader *reader, const csv_error *error, size_t line) {
    switch (error->kind) {
    case CSV_ERROR_NONE: break;
    case CSV_ERROR_NOMEM: return dial_csv_out_of_memory(reader);
    case CSV_ERROR_FIELDS:
        return dial_fail(reader->ctx, DIAL_ERR_DATA, "%s:%zu: expected %zu field%s, found %zu",
                         reader->name, line, reader->n_cols, reader->n_cols == 1 ? "" : "s",
                         error->found);
    case CSV_ERROR_UNTERMINATED:
        return dial_fail(reader->ctx, DIAL_ERR_DATA,
                         "%s:%zu:%zu: unterminated quoted field: expected a closing '\"', found "
                         "the end of the file",
                         reader->name, line, error->column);
    case CSV_ERROR_AFTER_QUOTE: {
        char found[8];
        unsigned char c = error->found_char;
        if (c >= 0x20 && c < 0x7f)
            snprintf(found, sizeof found, "'%c'", c);
        else
            snprintf(found, sizeof found, "0x%02x", c);
        const char *separator = csv_separator_name(reader->separator);
        char quoted_separator[8];
        if (!separator) {
            snprintf(quoted_separator, sizeof quoted_separator, "'%c'", reader->separator);
            separator = quoted_separator;
        }
        return dial_fail(reader->ctx, DIAL_ERR_DATA,
                         "%s:%zu:%zu: unexpected character after a closing quote: expected %s or "
                         "the end of the line, found %s",
                         reader->name, line, error->column, separator, found);
    }
    }
    return DIAL_OK;
}

/* Cuts [begin, end) into at most `threads` chunks at line ends. */
bool dial_csv_cut_chunks(csv_reader *reader, const char *begin, const char *end, int threads) {
    size_t size = (size_t)(end - begin);
    size_t n = threads > 1 ? (size_t)threads : 1;
    if (n > size / CSV_MIN_CHUNK_BYTES) n = size / CSV_MIN_CHUNK_BYTES;
    if (n < 1) n = 1;
    reader->chunks = dial_calloc(reader->ctx, n, sizeof *reader->chunks);
    if (!reader->chunks) return false;
    reader->n_chunks = n;
    reader->chunks[0].begin = begin;
    for (size_t t = 1; t < n; t++) {
        const char *guess = begin + size / n * t;
        if (guess < reader->chunks[t - 1].begin) guess = reader->chunks[t - 1].begin;
        const char *line_end = memchr(guess, '\n', (size_t)(end - guess));
        reader->chunks[t].begin = line_end ? line_end + 1 : end;
        reader->chunks[t - 1].end = reader->chunks[t].begin;
    }
    reader->chunks[n - 1].end = end;
    return true;
}

void dial_csv_free_chunks(csv_reader *reader) {
    for (size_t t = 0; t < reader->n_chunks; t++)
        dial_csv_chunk_release(&reader->chunks[t], reader->n_cols);
    free(reader->chunks);
    reader->chunks = NULL;
    reader->n_chunks = 0;
}
