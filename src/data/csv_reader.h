/*
 * A CSV file being read in chunks (internal to src/data/csv*.c; the map of
 * the parser is at the top of csv.c): the records after the header cut at
 * line ends into one chunk per thread, each parsed on its own into columns
 * with local levels, counts and line numbers (csv_chunk.c), then checked,
 * typed and merged in file order (csv_merge.c).
 */
#ifndef DIAL_CSV_READER_H
#define DIAL_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "data/csv_levels.h"
#include "data/csv_value.h"
#include "dial/data.h"

enum { CSV_UNDECIDED = 0, CSV_NUMERIC, CSV_CATEGORICAL };

/* One column as one chunk sees it. */
typedef struct csv_column {
    double *values;
    csv_levels *levels; /* NULL until the column holds a categorical value */
    size_t n_numbers, n_texts;
    size_t text_line;   /* where the first non-number is (chunk line) */
    char *text_sample;  /* it, printable and shortened for a message; NULL until seen */
    unsigned char mode; /* of the chunk's first non-missing value */
} csv_column;

typedef enum csv_error_kind {
    CSV_ERROR_NONE = 0,
    CSV_ERROR_NOMEM,
    CSV_ERROR_FIELDS,       /* a record with the wrong number of fields */
    CSV_ERROR_UNTERMINATED, /* a quote never closed */
    CSV_ERROR_AFTER_QUOTE   /* junk after a closing quote */
} csv_error_kind;

/* A chunk's first error, kept as facts until its line is known in the file. */
typedef struct csv_error {
    csv_error_kind kind;
    size_t line;   /* chunk line */
    size_t column; /* 1-based field */
    size_t found;  /* fields found (CSV_ERROR_FIELDS) */
    unsigned char found_char;
} csv_error;

typedef struct csv_chunk {
    const char *begin, *end; /* the records that start in [begin, end) */
    const char *stop;        /* where its last record ended */
    size_t lines;            /* line ends between begin and stop */
    csv_column *cols;        /* n_cols */
    size_t n_rows, row_capacity;
    csv_error error;
} csv_chunk;

typedef struct csv_reader {
    dial_ctx *ctx;
    const char *name;
    char separator;
    size_t n_cols;
    const char *body_end; /* end of the bytes */
    size_t body_line;     /* file line where the records after the header start */
    csv_chunk *chunks;
    size_t n_chunks;
} csv_reader;

/* A column of the whole file. */
typedef struct csv_result {
    double *values;
    csv_levels *levels; /* categorical only */
    bool categorical;
} csv_result;

/* The message of running out of memory while reading the file. */
dial_status dial_csv_out_of_memory(const csv_reader *reader);

/* The message of a chunk's error, at line `line` of the file. */
dial_status dial_csv_report(const csv_reader *reader, const csv_error *error, size_t line);

/* Cuts [begin, end) into at most `threads` chunks at line ends. */
bool dial_csv_cut_chunks(csv_reader *reader, const char *begin, const char *end, int threads);

/* Parses the records that start in the chunk. Errors are kept in the
 * chunk; lines count from 1 at its beginning. work: the thread's buffers. */
void dial_csv_chunk_parse(const csv_reader *reader, csv_chunk *chunk, csv_work *work);

/* dial_csv_chunk_parse of the chunks begin..end of the csv_reader arg, for
 * dial_parallel_for (each with work of its own). */
dial_status dial_csv_chunk_run(void *arg, size_t begin, size_t end, int worker);

/* Frees a chunk's columns; harmless twice. */
void dial_csv_chunk_release(csv_chunk *chunk, size_t n_cols);

/* Releases every chunk and the list of them. */
void dial_csv_free_chunks(csv_reader *reader);

/* Checks that every cut fell between records, reports the first error in
 * file order, and gives each chunk's first line in the file. Returns
 * DIAL_OK with *retry set when a cut fell inside a quoted field. */
dial_status dial_csv_check_chunks(const csv_reader *reader, size_t *first_lines, bool *retry);

/* Decides each column's type from the counts of all chunks; fails on a
 * numeric column with stray text, naming the first such value in the file. */
dial_status dial_csv_decide_types(const csv_reader *reader, char **names, const size_t *first_lines,
                                  csv_result *results);

/* Puts the chunks' columns together in file order. The first chunk's
 * arrays grow to hold every row (a realloc, which for large blocks moves
 * pages rather than bytes) and its levels are the first file-wide ones; the
 * other chunks' values are copied after them, their local levels mapped to
 * the file-wide ones. Categorical columns a chunk saw as numeric are read
 * again. */
bool dial_csv_merge_columns(csv_reader *reader, csv_result *results, size_t n_rows, csv_work *work);

#endif
