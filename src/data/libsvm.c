/*
 * The LIBSVM parser over bytes in memory: "label index:value ..." lines
 * with 1-based, strictly increasing indices; absent features are 0. The
 * entries are collected sparse in one pass and kept so: the table holds
 * the label as a column, names the features "f1" .. "fN" (N the largest
 * index) and keeps their values in compressed rows (table->sparse).
 */
#define _DEFAULT_SOURCE /* madvise: posix_madvise's DONTNEED does nothing on Linux */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "data/libsvm_mapped.h"
#include "dial/data.h"

/* Every feature has a named column (a few dozen bytes), so the largest
 * index is capped. Fuzzed builds keep the limit small, so that a few bytes
 * of input cannot ask for much memory. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define LIBSVM_MAX_FEATURES 10000u
#else
#define LIBSVM_MAX_FEATURES 1000000u
#endif

/* A file mapping's parsed bytes are handed back in steps of this size:
 * what stays resident of the file is at most a step, beside the entries
 * (16 MB steps held up to 16 MB of a 32 MB file beside 27 MB of entries;
 * a step of 2 MB costs a madvise call per 2 MB, unmeasurable). */
#define LIBSVM_RELEASE_STEP ((size_t)2 << 20)

/* What a message quotes of a token: enough to recognise it. */
#define LIBSVM_SAMPLE_MAX 60

typedef struct libsvm_parser {
    dial_ctx *ctx;
    const char *name;
    double *labels;
    size_t *row_end; /* entries of row i are [row_end[i-1], row_end[i]) */
    size_t n_rows, row_capacity;
    uint32_t *index; /* 1-based feature index of each entry */
    double *value;
    size_t n_entries, entry_capacity;
    uint32_t n_features; /* the largest index seen */
    char *number;        /* NUL-terminated copy for strtod */
    size_t number_capacity;
} libsvm_parser;

static bool libsvm_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static dial_status libsvm_out_of_memory(libsvm_parser *parser) {
    return dial_fail(parser->ctx, DIAL_ERR_NOMEM, "%s: out of memory reading the file",
                     parser->name);
}

/* A printable, shortened copy of a token for a message, into buf. */
static const char *libsvm_sample(const char *text, size_t length, char *buf) {
    size_t n = 0;
    for (size_t i = 0; i < length && i < LIBSVM_SAMPLE_MAX; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (length > LIBSVM_SAMPLE_MAX) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static bool libsvm_equal_nocase(const char *text, size_t length, const char *word) {
    if (strlen(word) != length) return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

/* Parses a whole token as a decimal number (as the CSV reader does: digits,
 * a point, an exponent, or inf / infinity / nan). Returns 1 when it is one,
 * 0 when not, -1 when out of memory. */
static int libsvm_number(libsvm_parser *parser, const char *text, size_t length, double *out) {
    if (length == 0) return 0;
    const char *word = text;
    size_t word_length = length;
    if (*word == '+' || *word == '-') {
        word++;
        word_length--;
    }
    bool special = libsvm_equal_nocase(word, word_length, "inf") ||
                   libsvm_equal_nocase(word, word_length, "infinity") ||
                   libsvm_equal_nocase(word, word_length, "nan");
    if (!special) {
        for (size_t i = 0; i < length; i++) {
            if (!strchr("0123456789+-.eE", text[i]) || text[i] == '\0') return 0;
        }
    }
    if (length + 1 > parser->number_capacity) {
        size_t capacity = parser->number_capacity ? parser->number_capacity : 64;
        while (capacity < length + 1) capacity *= 2;
        char *grown = dial_realloc(parser->ctx, parser->number, capacity);
        if (!grown) return -1;
        parser->number = grown;
        parser->number_capacity = capacity;
    }
    memcpy(parser->number, text, length);
    parser->number[length] = '\0';
    char *end;
    *out = strtod(parser->number, &end);
    return end == parser->number + length && end != parser->number ? 1 : 0;
}

static bool libsvm_add_row(libsvm_parser *parser, double label) {
    if (parser->n_rows == parser->row_capacity) {
        size_t capacity = parser->row_capacity ? 2 * parser->row_capacity : 256;
        double *labels = dial_realloc_array(parser->ctx, parser->labels, capacity, sizeof *labels);
        if (!labels) return false;
        parser->labels = labels;
        size_t *row_end =
            dial_realloc_array(parser->ctx, parser->row_end, capacity, sizeof *row_end);
        if (!row_end) return false;
        parser->row_end = row_end;
        parser->row_capacity = capacity;
    }
    parser->labels[parser->n_rows] = label;
    parser->row_end[parser->n_rows] = parser->n_entries;
    parser->n_rows++;
    return true;
}

static bool libsvm_add_entry(libsvm_parser *parser, uint32_t index, double value) {
    if (parser->n_entries == parser->entry_capacity) {
        size_t capacity = parser->entry_capacity ? 2 * parser->entry_capacity : 1024;
        uint32_t *indices =
            dial_realloc_array(parser->ctx, parser->index, capacity, sizeof *indices);
        if (!indices) return false;
        parser->index = indices;
        double *values = dial_realloc_array(parser->ctx, parser->value, capacity, sizeof *values);
        if (!values) return false;
        parser->value = values;
        parser->entry_capacity = capacity;
    }
    parser->index[parser->n_entries] = index;
    parser->value[parser->n_entries] = value;
    parser->n_entries++;
    parser->row_end[parser->n_rows - 1] = parser->n_entries;
    return true;
}

/* Parses one line, [p, end) without its line end and comment. line is
 * 1-based; columns in messages are 1-based byte offsets from line_start. */
static dial_status libsvm_parse_line(libsvm_parser *parser, const char *line_start, const char *p,
                                     const char *end, size_t line) {
    char sample[LIBSVM_SAMPLE_MAX + 4];
    while (p < end && libsvm_is_space(*p)) p++;
    if (p == end) return DIAL_OK; /* blank or comment only */

    const char *token = p;
    while (p < end && !libsvm_is_space(*p)) p++;
    double label;
    int got = libsvm_number(parser, token, (size_t)(p - token), &label);
    if (got < 0) return libsvm_out_of_memory(parser);
    if (got == 0) {
        return dial_fail(parser->ctx, DIAL_ERR_DATA, "%s:%zu:%zu: the label is not a number: '%s'",
                         parser->name, line, (size_t)(token - line_start) + 1,
                         libsvm_sample(token, (size_t)(p - token), sample));
    }
    if (!libsvm_add_row(parser, label)) return libsvm_out_of_memory(parser);

    uint32_t previous = 0;
    for (;;) {
        while (p < end && libsvm_is_space(*p)) p++;
        if (p == end) return DIAL_OK;
        token = p;
        while (p < end && !libsvm_is_space(*p)) p++;
        size_t column = (size_t)(token - line_start) + 1;
        const char *colon = memchr(token, ':', (size_t)(p - token));
        if (!colon) {
            return dial_fail(parser->ctx, DIAL_ERR_DATA,
                             "%s:%zu:%zu: expected index:value, found '%s'", parser->name, line,
                             column, libsvm_sample(token, (size_t)(p - token), sample));
        }
        uint64_t index = 0;
        const char *digit = token;
        while (digit < colon && *digit >= '0' && *digit <= '9') {
            if (index <= UINT32_MAX) index = index * 10 + (uint64_t)(*digit - '0');
            digit++;
        }
        if (digit != colon || colon == token || index == 0) {
            return dial_fail(parser->ctx, DIAL_ERR_DATA,
                             "%s:%zu:%zu: expected a feature index (an integer >= 1), found '%s'",
                             parser->name, line, column,
                             libsvm_sample(token, (size_t)(colon - token), sample));
        }
        if (index > LIBSVM_MAX_FEATURES) {
            return dial_fail(parser->ctx, DIAL_ERR_DATA,
                             "%s:%zu:%zu: feature index %s is too large: dial reads at most %u "
                             "features",
                             parser->name, line, column,
                             libsvm_sample(token, (size_t)(colon - token), sample),
                             LIBSVM_MAX_FEATURES);
        }
        if (index <= previous) {
            return dial_fail(parser->ctx, DIAL_ERR_DATA,
                             "%s:%zu:%zu: feature index %u is not greater than the previous index "
                             "%u: indices must increase along a line",
                             parser->name, line, column, (unsigned)index, (unsigned)previous);
        }
        double value;
        const char *value_text = colon + 1;
        got = libsvm_number(parser, value_text, (size_t)(p - value_text), &value);
        if (got < 0) return libsvm_out_of_memory(parser);
        if (got == 0) {
            return dial_fail(parser->ctx, DIAL_ERR_DATA,
                             "%s:%zu:%zu: the value of feature %u is not a number: '%s'",
                             parser->name, line, (size_t)(value_text - line_start) + 1,
                             (unsigned)index,
                             libsvm_sample(value_text, (size_t)(p - value_text), sample));
        }
        previous = (uint32_t)index;
        if (previous > parser->n_features) parser->n_features = previous;
        if (!libsvm_add_entry(parser, previous, value)) return libsvm_out_of_memory(parser);
    }
}

/* Makes the table: the label dense, the features sparse (table->sparse),
 * the parser's entry arrays handed over rather than copied, so reading a
 * file costs its nonzeros, never rows x features. */
static dial_status libsvm_build_table(libsvm_parser *parser, dial_table **out) {
    size_t n_cols = (size_t)parser->n_features + 1;
    dial_table *table = dial_calloc(parser->ctx, 1, sizeof *table);
    if (!table) return libsvm_out_of_memory(parser);
    table->cols = dial_calloc(parser->ctx, n_cols, sizeof *table->cols);
    table->sparse = dial_calloc(parser->ctx, 1, sizeof *table->sparse);
    if (!table->cols || !table->sparse) {
        dial_table_free(table);
        return libsvm_out_of_memory(parser);
    }
    table->n_cols = n_cols;
    table->n_rows = parser->n_rows;
    table->has_header = false;
    table->target_first = true;
    bool ok = true;
    for (size_t j = 0; j < n_cols && ok; j++) {
        dial_column *col = &table->cols[j];
        char name[32];
        if (j == 0)
            snprintf(name, sizeof name, "label");
        else
            snprintf(name, sizeof name, "f%zu", j);
        col->name = dial_strdup(parser->ctx, name);
        col->type = DIAL_COLUMN_NUMERIC;
        ok = col->name != NULL;
    }
    dial_csr *sparse = table->sparse;
    sparse->n_rows = parser->n_rows;
    sparse->n_cols = (size_t)parser->n_features;
    sparse->row_start =
        dial_malloc_array(parser->ctx, parser->n_rows + 1, sizeof *sparse->row_start);
    if (!ok || !sparse->row_start) {
        dial_table_free(table);
        return libsvm_out_of_memory(parser);
    }
    table->cols[0].values = parser->labels;
    parser->labels = NULL;
    sparse->row_start[0] = 0;
    for (size_t i = 0; i < parser->n_rows; i++) sparse->row_start[i + 1] = parser->row_end[i];
    for (size_t k = 0; k < parser->n_entries; k++) parser->index[k]--; /* 0-based */
    /* Give back the room the doubling left unused. */
    size_t nnz = parser->n_entries ? parser->n_entries : 1;
    uint32_t *col = dial_realloc_array(parser->ctx, parser->index, nnz, sizeof *col);
    double *value = dial_realloc_array(parser->ctx, parser->value, nnz, sizeof *value);
    sparse->col = col ? col : parser->index;
    sparse->value = value ? value : parser->value;
    parser->index = NULL;
    parser->value = NULL;
    *out = table;
    return DIAL_OK;
}

/* Drops the pages of a file mapping wholly before p from memory: the
 * entries read from them are kept, so a large file is not resident beside
 * them (its pages would count twice what the entries take: about 14 bytes
 * of text an entry against 12 kept). The mapping is private and read-only,
 * so a page dropped reads back from the file if touched again. */
static void libsvm_release(const char *bytes, const char **released, const char *p) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    size_t upto = (size_t)(p - bytes) / (size_t)page * (size_t)page;
    if (bytes + upto <= *released) return;
    madvise((void *)(uintptr_t)*released, (size_t)(bytes + upto - *released), MADV_DONTNEED);
    *released = bytes + upto;
}

/* release: bytes is a file mapping (page-aligned) whose parsed pages may be
 * dropped as the parse goes. */
static dial_status libsvm_parse_all(libsvm_parser *parser, const char *bytes, size_t length,
                                    bool release) {
    const char *p = bytes, *end = bytes + length, *released = bytes;
    if (length >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    for (size_t line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol ? eol : end;
        const char *comment = memchr(p, '#', (size_t)(stop - p));
        dial_status status = libsvm_parse_line(parser, p, p, comment ? comment : stop, line);
        if (status != DIAL_OK) return status;
        p = eol ? eol + 1 : end;
        if (release && (size_t)(p - released) >= LIBSVM_RELEASE_STEP)
            libsvm_release(bytes, &released, p);
    }
    if (parser->n_rows == 0)
        return dial_fail(parser->ctx, DIAL_ERR_DATA, "%s: the file is empty", parser->name);
    return DIAL_OK;
}

static dial_status libsvm_parse(dial_ctx *ctx, const char *name, const char *bytes, size_t length,
                                bool release, dial_table **out) {
    *out = NULL;
    if (!name) name = "<memory>";
    if (!bytes && length) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s: no bytes to read", name);
    libsvm_parser parser = {.ctx = ctx, .name = name};
    /* strtod must read '.' as the decimal point whatever the caller's locale. */
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) return libsvm_out_of_memory(&parser);
    locale_t saved = uselocale(c_locale);
    dial_status status = libsvm_parse_all(&parser, bytes ? bytes : "", length, release && bytes);
    uselocale(saved);
    freelocale(c_locale);
    if (status == DIAL_OK) status = libsvm_build_table(&parser, out);
    free(parser.labels);
    free(parser.row_end);
    free(parser.index);
    free(parser.value);
    free(parser.number);
    return status;
}

dial_status dial_libsvm_parse(dial_ctx *ctx, const char *name, const char *bytes, size_t length,
                              dial_table **out) {
    return libsvm_parse(ctx, name, bytes, length, false, out);
}

dial_status dial_libsvm_parse_mapping(dial_ctx *ctx, const char *name, const char *bytes,
                                      size_t length, dial_table **out) {
    return libsvm_parse(ctx, name, bytes, length, true, out);
}
