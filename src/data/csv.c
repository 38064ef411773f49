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
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dial/data.h"

/* ---- numbers --------------------------------------------------------- */

/* Powers of ten that a double holds exactly. */
static const double csv_exact_powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

typedef enum csv_kind { CSV_TEXT = 0, CSV_NUMBER, CSV_MISSING } csv_kind;

typedef struct csv_work csv_work;
static bool csv_strtod(csv_work *work, const char *text, size_t length, double *out);

static bool csv_is_blank(char c) { return c == ' ' || c == '\t'; }

static bool csv_equal_nocase(const char *text, size_t length, const char *word) {
    size_t n = strlen(word);
    if (length != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

/* Classifies a value and parses it when it is a number. The grammar is
 * [+-] digits [. digits] [(e|E) [+-] digits] (at least one digit in the
 * mantissa), or [+-] inf / infinity / nan in any case; blanks around the
 * value are ignored. The result is the correctly rounded double: exact in
 * one operation when the mantissa has at most 53 bits and the power of ten
 * is exact (both operands exact, one IEEE rounding), strtod otherwise. Texts
 * that mean "missing", and numbers that are NaN, are CSV_MISSING. Returns
 * -1 (as a csv_kind) when out of memory. */
static int csv_classify(csv_work *work, const char *text, size_t length, double *out) {
    const char *p = text, *end = text + length;
    while (p < end && csv_is_blank(*p)) p++;
    while (end > p && csv_is_blank(end[-1])) end--;
    size_t n = (size_t)(end - p);
    switch (n) {
    case 0: return CSV_MISSING;
    case 1:
        if (*p == '?') return CSV_MISSING;
        break;
    case 2:
        if (p[0] == 'N' && p[1] == 'A') return CSV_MISSING;
        break;
    case 4:
        if (memcmp(p, "null", 4) == 0) return CSV_MISSING;
        break;
    default: break;
    }

    const char *start = p;
    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        p++;
    }
    uint64_t mantissa = 0;
    int significant = 0; /* digits in mantissa, at most 19 so it cannot overflow */
    bool exact = true;   /* false when digits had to be dropped */
    bool any_digit = false;
    long exponent = 0;
    while (p < end && (unsigned)(*p - '0') < 10) {
        any_digit = true;
        unsigned digit = (unsigned)(*p - '0');
        if (significant < 19) {
            if (mantissa || digit) {
                mantissa = mantissa * 10 + digit;
                significant++;
            }
        } else {
            exact = false;
        }
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && (unsigned)(*p - '0') < 10) {
            any_digit = true;
            unsigned digit = (unsigned)(*p - '0');
            if (significant < 19) {
                if (mantissa || digit) {
                    mantissa = mantissa * 10 + digit;
                    significant++;
                }
                exponent--;
            } else {
                exact = false;
            }
            p++;
        }
    }
    if (!any_digit) {
        size_t rest = (size_t)(end - p);
        if (p == start || (p == start + 1 && (*start == '+' || *start == '-'))) {
            if (csv_equal_nocase(p, rest, "inf") || csv_equal_nocase(p, rest, "infinity")) {
                *out = negative ? -HUGE_VAL : HUGE_VAL;
                return CSV_NUMBER;
            }
            if (csv_equal_nocase(p, rest, "nan")) return CSV_MISSING;
        }
        return CSV_TEXT;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool exponent_negative = false;
        if (p < end && (*p == '+' || *p == '-')) {
            exponent_negative = *p == '-';
            p++;
        }
        if (p == end || (unsigned)(*p - '0') >= 10) return CSV_TEXT;
        long written = 0;
        while (p < end && (unsigned)(*p - '0') < 10) {
            /* Saturate: beyond this the value is 0 or infinite anyway, and
             * strtod decides which. */
            if (written < 100000)
                written = written * 10 + (*p - '0');
            else
                exact = false;
            p++;
        }
        exponent += exponent_negative ? -written : written;
    }
    if (p != end) return CSV_TEXT;

    if (exact && mantissa < (UINT64_C(1) << 53) && exponent >= -22 && exponent <= 22) {
        double value = (double)mantissa;
        value = exponent >= 0 ? value * csv_exact_powers[exponent]
                              : value / csv_exact_powers[-exponent];
        *out = negative ? -value : value;
        return CSV_NUMBER;
    }
    if (exact && mantissa == 0) {
        *out = negative ? -0.0 : 0.0;
        return CSV_NUMBER;
    }
    if (!csv_strtod(work, start, (size_t)(end - start), out)) return -1;
    return CSV_NUMBER;
}

/* ---- the scanner ----------------------------------------------------- */

typedef struct csv_scan {
    const char *p, *end;
    size_t line; /* 1-based physical line of p */
    char separator;
    unsigned char stop[256]; /* nonzero for the separator, '\n' and '\r' */
} csv_scan;

typedef struct csv_field {
    const char *text; /* inside the quotes for a quoted field */
    size_t length;
    size_t line;  /* where the field starts */
    bool escaped; /* quoted with doubled quotes inside: must be unescaped */
} csv_field;

typedef enum csv_step {
    CSV_FIELD_MORE,         /* a separator follows */
    CSV_FIELD_LAST,         /* the record ends after this field */
    CSV_FIELD_UNTERMINATED, /* a quote is never closed */
    CSV_FIELD_AFTER_QUOTE   /* something other than a separator or line end follows a quote */
} csv_step;

static void csv_scan_init(csv_scan *scan, const char *bytes, size_t length, char separator) {
    scan->p = bytes;
    scan->end = bytes + length;
    scan->line = 1;
    scan->separator = separator;
    memset(scan->stop, 0, sizeof scan->stop);
    scan->stop[(unsigned char)separator] = 1;
    scan->stop['\n'] = 1;
    scan->stop['\r'] = 1;
}

/* Consumes what follows a field: a separator, a line end or the end. */
static inline csv_step csv_scan_terminator(csv_scan *scan, const char *p) {
    if (p == scan->end) {
        scan->p = p;
        return CSV_FIELD_LAST;
    }
    char c = *p;
    if (c == scan->separator) {
        scan->p = p + 1;
        return CSV_FIELD_MORE;
    }
    if (c == '\n' || c == '\r') {
        p++;
        if (c == '\r' && p < scan->end && *p == '\n') p++;
        scan->line++;
        scan->p = p;
        return CSV_FIELD_LAST;
    }
    scan->p = p;
    return CSV_FIELD_AFTER_QUOTE;
}

/* Splits off the next field. A quote opens a quoted field only as the first
 * character of a field; elsewhere it is an ordinary character (5'11"). */
static inline csv_step csv_scan_field(csv_scan *scan, csv_field *field) {
    const char *p = scan->p, *end = scan->end;
    field->line = scan->line;
    field->escaped = false;
    if (p < end && *p == '"') {
        const char *start = ++p;
        size_t line = scan->line;
        for (;;) {
            if (p == end) {
                scan->p = p;
                return CSV_FIELD_UNTERMINATED;
            }
            char c = *p;
            if (c == '"') {
                if (p + 1 < end && p[1] == '"') {
                    field->escaped = true;
                    p += 2;
                    continue;
                }
                break;
            }
            if (c == '\n') line++;
            p++;
        }
        field->text = start;
        field->length = (size_t)(p - start);
        scan->line = line;
        return csv_scan_terminator(scan, p + 1);
    }
    const char *start = p;
    while (p < end && !scan->stop[(unsigned char)*p]) p++;
    field->text = start;
    field->length = (size_t)(p - start);
    return csv_scan_terminator(scan, p);
}

/* Skips a line that holds nothing but blanks (those that are not the
 * separator). Returns whether it did. */
static bool csv_scan_blank_line(csv_scan *scan) {
    const char *p = scan->p, *end = scan->end;
    while (p < end && csv_is_blank(*p) && *p != scan->separator) p++;
    if (p == end) {
        scan->p = p;
        return true;
    }
    if (*p != '\n' && *p != '\r') return false;
    csv_scan_terminator(scan, p);
    return true;
}

/* The separator among ',' ';' and tab that occurs most often in the first
 * line outside quotes; ',' when there is none. Ties go to ',' then ';'. */
static char csv_detect_separator(const char *p, const char *end) {
    size_t commas = 0, semicolons = 0, tabs = 0;
    bool quoted = false;
    for (; p < end; p++) {
        char c = *p;
        if (c == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (c == '\n' || c == '\r')
            break;
        else if (c == ',')
            commas++;
        else if (c == ';')
            semicolons++;
        else if (c == '\t')
            tabs++;
    }
    if (commas >= semicolons && commas >= tabs) return ',';
    return semicolons >= tabs ? ';' : '\t';
}

/* ---- categorical levels ---------------------------------------------- */

typedef struct csv_levels {
    uint32_t *slots; /* level index + 1, 0 when free; open addressing */
    size_t slot_mask;
    char **names; /* NUL-terminated copies */
    size_t *lengths;
    uint64_t *hashes;
    size_t count, capacity;
} csv_levels;

/* Eight bytes at a time: levels are short and hashed once per value. */
static uint64_t csv_hash(const char *text, size_t length) {
    const uint64_t multiplier = UINT64_C(0x9E3779B97F4A7C15);
    uint64_t h = (uint64_t)length * multiplier;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, text, 8);
        h = (h ^ word) * multiplier;
        h ^= h >> 32;
        text += 8;
        length -= 8;
    }
    if (length) {
        uint64_t word = 0;
        memcpy(&word, text, length);
        h = (h ^ word) * multiplier;
        h ^= h >> 32;
    }
    return h ^ (h >> 29);
}

static void csv_levels_free(csv_levels *levels) {
    if (!levels) return;
    for (size_t i = 0; i < levels->count; i++) free(levels->names[i]);
    free(levels->names);
    free(levels->lengths);
    free(levels->hashes);
    free(levels->slots);
    free(levels);
}

static bool csv_levels_rehash(csv_levels *levels, size_t n_slots) {
    uint32_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < levels->count; i++) {
        size_t at = (size_t)levels->hashes[i] & (n_slots - 1);
        while (slots[at]) at = (at + 1) & (n_slots - 1);
        slots[at] = (uint32_t)(i + 1);
    }
    free(levels->slots);
    levels->slots = slots;
    levels->slot_mask = n_slots - 1;
    return true;
}

/* The index of the level with this text, added if new. Returns false when
 * out of memory. *is_new tells whether it was added. */
static bool csv_levels_intern(csv_levels *levels, const char *text, size_t length, size_t *index,
                              bool *is_new) {
    uint64_t h = csv_hash(text, length);
    size_t at = (size_t)h & levels->slot_mask;
    for (uint32_t slot; (slot = levels->slots[at]) != 0; at = (at + 1) & levels->slot_mask) {
        size_t i = slot - 1;
        if (levels->hashes[i] == h && levels->lengths[i] == length &&
            memcmp(levels->names[i], text, length) == 0) {
            *index = i;
            if (is_new) *is_new = false;
            return true;
        }
    }
    if (levels->count >= UINT32_MAX - 1) return false;
    if (levels->count == levels->capacity) {
        size_t capacity = levels->capacity ? 2 * levels->capacity : 8;
        char **names = realloc(levels->names, capacity * sizeof *names);
        if (!names) return false;
        levels->names = names;
        size_t *lengths = realloc(levels->lengths, capacity * sizeof *lengths);
        if (!lengths) return false;
        levels->lengths = lengths;
        uint64_t *hashes = realloc(levels->hashes, capacity * sizeof *hashes);
        if (!hashes) return false;
        levels->hashes = hashes;
        levels->capacity = capacity;
    }
    char *copy = malloc(length + 1);
    if (!copy) return false;
    memcpy(copy, text, length);
    copy[length] = '\0';
    size_t i = levels->count++;
    levels->names[i] = copy;
    levels->lengths[i] = length;
    levels->hashes[i] = h;
    levels->slots[at] = (uint32_t)(i + 1);
    /* Keep the load under one half so probes stay short. */
    if (2 * levels->count > levels->slot_mask + 1 &&
        !csv_levels_rehash(levels, 2 * (levels->slot_mask + 1))) {
        return false;
    }
    *index = i;
    if (is_new) *is_new = true;
    return true;
}

static csv_levels *csv_levels_new(void) {
    csv_levels *levels = calloc(1, sizeof *levels);
    if (levels && !csv_levels_rehash(levels, 16)) {
        free(levels);
        return NULL;
    }
    return levels;
}

/* ---- per-thread work buffers ----------------------------------------- */

/* What one thread needs to turn fields into values: a buffer for unescaped
 * fields, one for strtod's copies, and the C locale for strtod. The locale
 * is a per-thread setting, so the thread that parses sets and restores it. */
struct csv_work {
    char *scratch;
    size_t scratch_capacity;
    char *number;
    size_t number_capacity;
    locale_t c_locale, saved_locale;
};

static bool csv_buffer_reserve(char **buffer, size_t *capacity, size_t size) {
    if (size <= *capacity) return true;
    size_t grown = *capacity ? *capacity : 256;
    while (grown < size) grown *= 2;
    char *bigger = realloc(*buffer, grown);
    if (!bigger) return false;
    *buffer = bigger;
    *capacity = grown;
    return true;
}

/* strtod on a NUL-terminated copy, in the C locale, so that '.' is the
 * decimal point whatever the caller's locale. The caller has checked the
 * grammar, so strtod reads the whole text. Returns false when out of
 * memory. */
static bool csv_strtod(csv_work *work, const char *text, size_t length, double *out) {
    if (!csv_buffer_reserve(&work->number, &work->number_capacity, length + 1)) return false;
    memcpy(work->number, text, length);
    work->number[length] = '\0';
    if (work->c_locale == (locale_t)0) {
        work->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (work->c_locale == (locale_t)0) return false;
        work->saved_locale = uselocale(work->c_locale);
    }
    *out = strtod(work->number, NULL);
    return true;
}

/* Frees the buffers and restores the locale; call on the thread that used
 * the work. */
static void csv_work_release(csv_work *work) {
    free(work->scratch);
    free(work->number);
    if (work->c_locale != (locale_t)0) {
        uselocale(work->saved_locale);
        freelocale(work->c_locale);
    }
    *work = (csv_work){0};
}

/* Unescapes a quoted field with doubled quotes into the scratch buffer.
 * Returns false when out of memory. */
static bool csv_unescape(csv_work *work, const csv_field *field, const char **text,
                         size_t *length) {
    if (!csv_buffer_reserve(&work->scratch, &work->scratch_capacity, field->length + 1))
        return false;
    size_t n = 0;
    for (size_t i = 0; i < field->length; i++) {
        work->scratch[n++] = field->text[i];
        if (field->text[i] == '"') i++; /* the second of a doubled quote */
    }
    *text = work->scratch;
    *length = n;
    return true;
}

/* The text of a field. Returns false when out of memory. */
static inline bool csv_field_text(csv_work *work, const csv_field *field, const char **text,
                                  size_t *length) {
    if (field->escaped) return csv_unescape(work, field, text, length);
    *text = field->text;
    *length = field->length;
    return true;
}

/* ---- chunks ------------------------------------------------------------ */

enum { CSV_UNDECIDED = 0, CSV_NUMERIC, CSV_CATEGORICAL };

/* What a message quotes of a value: enough to recognise it. */
#define CSV_SAMPLE_MAX 60

/* Below this many bytes per thread, threads cost more than they save. Fuzzed
 * builds cut tiny inputs too, so the fuzzer compares threaded and unthreaded
 * reads of everything it tries. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CSV_MIN_CHUNK_BYTES 16u
#else
#define CSV_MIN_CHUNK_BYTES (1u << 20)
#endif

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

/* A printable, shortened copy of a value for a message. */
static char *csv_sample(const char *text, size_t length) {
    char *sample = malloc(2 * CSV_SAMPLE_MAX + 4);
    if (!sample) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < length && i < CSV_SAMPLE_MAX; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            sample[n++] = '\\';
            sample[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            sample[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
    }
    if (length > CSV_SAMPLE_MAX) {
        memcpy(sample + n, "...", 3);
        n += 3;
    }
    sample[n] = '\0';
    return sample;
}

static dial_status csv_out_of_memory(const csv_reader *reader) {
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
    int kind = csv_classify(work, text, length, &number);
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
        col->text_sample = csv_sample(text, length);
        if (!col->text_sample) return false;
    }
    if (col->mode == CSV_NUMERIC) {
        col->values[row] = kind == CSV_NUMBER ? number : NAN;
        return true;
    }
    if (!col->levels && !(col->levels = csv_levels_new())) return false;
    size_t level;
    if (!csv_levels_intern(col->levels, text, length, &level, NULL)) return false;
    col->values[row] = (double)level;
    return true;
}

static bool csv_grow_rows(csv_chunk *chunk, size_t n_cols) {
    size_t capacity = chunk->row_capacity < 8 ? 16 : 2 * chunk->row_capacity;
    for (size_t j = 0; j < n_cols; j++) {
        double *values = realloc(chunk->cols[j].values, capacity * sizeof *values);
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
static void csv_chunk_parse(const csv_reader *reader, csv_chunk *chunk, csv_work *work) {
    size_t n_cols = reader->n_cols;
    chunk->stop = chunk->begin;
    chunk->cols = calloc(n_cols, sizeof *chunk->cols);
    chunk->row_capacity = csv_estimate_rows(chunk->begin, chunk->end, n_cols);
    if (!chunk->cols) {
        csv_chunk_fail(chunk, CSV_ERROR_NOMEM, 0, 0, 0, 0);
        return;
    }
    for (size_t j = 0; j < n_cols; j++) {
        chunk->cols[j].values = malloc(chunk->row_capacity * sizeof(double));
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
        if (chunk->n_rows == chunk->row_capacity && !csv_grow_rows(chunk, n_cols)) {
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

static void csv_chunk_release(csv_chunk *chunk, size_t n_cols) {
    if (!chunk->cols) return;
    for (size_t j = 0; j < n_cols; j++) {
        free(chunk->cols[j].values);
        free(chunk->cols[j].text_sample);
        csv_levels_free(chunk->cols[j].levels);
    }
    free(chunk->cols);
    chunk->cols = NULL;
}

static dial_status csv_chunk_run(void *arg, size_t begin, size_t end, int worker) {
    csv_reader *reader = arg;
    for (size_t t = begin; t < end; t++) {
        csv_work work = {0};
        csv_chunk_parse(reader, &reader->chunks[t], &work);
        csv_work_release(&work);
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
static dial_status csv_report(const csv_reader *reader, const csv_error *error, size_t line) {
    switch (error->kind) {
    case CSV_ERROR_NONE: break;
    case CSV_ERROR_NOMEM: return csv_out_of_memory(reader);
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
static bool csv_cut_chunks(csv_reader *reader, const char *begin, const char *end, int threads) {
    size_t size = (size_t)(end - begin);
    size_t n = threads > 1 ? (size_t)threads : 1;
    if (n > size / CSV_MIN_CHUNK_BYTES) n = size / CSV_MIN_CHUNK_BYTES;
    if (n < 1) n = 1;
    reader->chunks = calloc(n, sizeof *reader->chunks);
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

static void csv_free_chunks(csv_reader *reader) {
    for (size_t t = 0; t < reader->n_chunks; t++)
        csv_chunk_release(&reader->chunks[t], reader->n_cols);
    free(reader->chunks);
    reader->chunks = NULL;
    reader->n_chunks = 0;
}

/* ---- merging chunks ---------------------------------------------------- */

/* A column of the whole file. */
typedef struct csv_result {
    double *values;
    csv_levels *levels; /* categorical only */
    bool categorical;
} csv_result;

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
                int kind = csv_classify(work, text, length, &number);
                if (kind < 0) return false;
                double *value = &results[j].values[row_offset + row];
                if (kind == CSV_MISSING) {
                    *value = NAN;
                } else {
                    size_t level;
                    if (!csv_levels_intern(results[j].levels, text, length, &level, NULL))
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
static dial_status csv_check_chunks(const csv_reader *reader, size_t *first_lines, bool *retry) {
    *retry = false;
    size_t line = reader->body_line;
    for (size_t t = 0; t < reader->n_chunks; t++) {
        const csv_chunk *chunk = &reader->chunks[t];
        first_lines[t] = line;
        if (chunk->error.kind != CSV_ERROR_NONE)
            return csv_report(reader, &chunk->error, line + chunk->error.line - 1);
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
static dial_status csv_decide_types(const csv_reader *reader, char **names,
                                    const size_t *first_lines, csv_result *results) {
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
    char *name = csv_sample(names[worst], strlen(names[worst]));
    if (!name) return csv_out_of_memory(reader);
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
static bool csv_merge_columns(csv_reader *reader, csv_result *results, size_t n_rows,
                              csv_work *work) {
    size_t n_cols = reader->n_cols;
    bool *again = calloc(n_cols ? n_cols : 1, sizeof *again);
    if (!again) return false;
    for (size_t j = 0; j < n_cols; j++) {
        csv_column *first = &reader->chunks[0].cols[j];
        double *values = realloc(first->values, (n_rows ? n_rows : 1) * sizeof *values);
        if (!values) goto fail;
        results[j].values = values;
        first->values = NULL;
        if (results[j].categorical && first->mode == CSV_CATEGORICAL) {
            results[j].levels = first->levels;
            first->levels = NULL;
        }
        if (results[j].categorical && !results[j].levels && !(results[j].levels = csv_levels_new()))
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
                size_t *grown = realloc(remap, col->levels->count * sizeof *remap);
                if (!grown) {
                    free(remap);
                    goto fail;
                }
                remap = grown;
                remap_capacity = col->levels->count;
            }
            for (size_t k = 0; k < col->levels->count; k++) {
                if (!csv_levels_intern(results[j].levels, col->levels->names[k],
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
        csv_chunk_release(chunk, n_cols);
    }
    free(remap);
    free(again);
    return true;
fail:
    free(again);
    return false;
}

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
    char **names = malloc(capacity * sizeof *names);
    if (!names) return csv_out_of_memory(reader);
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
            return csv_report(reader, &error, unterminated ? field.line : scan->line);
        }
        const char *text;
        size_t length;
        double number;
        int kind = -1;
        char *name = NULL;
        if (count == capacity) {
            capacity *= 2;
            char **grown = realloc(names, capacity * sizeof *names);
            if (grown)
                names = grown;
            else
                capacity = 0;
        }
        if (capacity && csv_field_text(work, &field, &text, &length)) {
            kind = csv_classify(work, text, length, &number);
            name = malloc(length + 1);
            if (name) {
                memcpy(name, text, length);
                name[length] = '\0';
            }
        }
        if (kind < 0 || !name) {
            free(name);
            for (size_t i = 0; i < count; i++) free(names[i]);
            free(names);
            return csv_out_of_memory(reader);
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
        char *copy = dial_strdup(made);
        if (!copy) return csv_out_of_memory(reader);
        free(names[j]);
        names[j] = copy;
    }
    csv_levels *seen = csv_levels_new();
    if (!seen) return csv_out_of_memory(reader);
    dial_status status = DIAL_OK;
    for (size_t j = 0; j < n && status == DIAL_OK; j++) {
        size_t first;
        bool is_new;
        if (!csv_levels_intern(seen, names[j], strlen(names[j]), &first, &is_new)) {
            status = csv_out_of_memory(reader);
        } else if (!is_new) {
            char *sample = csv_sample(names[j], strlen(names[j]));
            if (!sample) {
                status = csv_out_of_memory(reader);
            } else {
                status = dial_fail(reader->ctx, DIAL_ERR_DATA,
                                   "%s:1:%zu: duplicate column name '%s' (also column %zu)",
                                   reader->name, j + 1, sample, first + 1);
                free(sample);
            }
        }
    }
    csv_levels_free(seen);
    return status;
}

/* Builds the table, moving names, values and levels into it. */
static dial_status csv_build_table(const csv_reader *reader, char **names, csv_result *results,
                                   size_t n_rows, bool has_header, dial_table **out) {
    dial_table *table = calloc(1, sizeof *table);
    if (!table) return csv_out_of_memory(reader);
    table->cols = calloc(reader->n_cols, sizeof *table->cols);
    if (!table->cols) {
        free(table);
        return csv_out_of_memory(reader);
    }
    table->n_rows = n_rows;
    table->n_cols = reader->n_cols;
    table->has_header = has_header;
    for (size_t j = 0; j < reader->n_cols; j++) {
        dial_column *col = &table->cols[j];
        col->name = names[j];
        names[j] = NULL;
        /* Give back what the row estimate over-reserved. */
        double *values = realloc(results[j].values, (n_rows ? n_rows : 1) * sizeof *values);
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
        if (!col->levels) col->levels = calloc(1, sizeof *col->levels);
        if (!col->levels) {
            dial_table_free(table);
            return csv_out_of_memory(reader);
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
    if (!csv_cut_chunks(reader, begin, reader->body_end, threads)) return csv_out_of_memory(reader);
    dial_status status = DIAL_OK;
    if (reader->n_chunks == 1) {
        csv_work work = {0};
        csv_chunk_parse(reader, &reader->chunks[0], &work);
        csv_work_release(&work);
    } else {
        status = dial_parallel_for(reader->ctx, (int)reader->n_chunks, reader->n_chunks,
                                   csv_chunk_run, reader);
    }
    size_t *first_lines = calloc(reader->n_chunks, sizeof *first_lines);
    csv_result *results = calloc(reader->n_cols, sizeof *results);
    if (status == DIAL_OK && (!first_lines || !results)) status = csv_out_of_memory(reader);
    if (status == DIAL_OK) status = csv_check_chunks(reader, first_lines, retry);
    size_t n_rows = 0;
    for (size_t t = 0; t < reader->n_chunks; t++) n_rows += reader->chunks[t].n_rows;
    if (status == DIAL_OK && !*retry && n_rows == 0) {
        status = dial_fail(reader->ctx, DIAL_ERR_DATA, "%s: the file has a header but no data rows",
                           reader->name);
    }
    if (status == DIAL_OK && !*retry)
        status = csv_decide_types(reader, names, first_lines, results);
    if (status == DIAL_OK && !*retry) {
        csv_work work = {0};
        if (!csv_merge_columns(reader, results, n_rows, &work)) status = csv_out_of_memory(reader);
        csv_work_release(&work);
    }
    if (status == DIAL_OK && !*retry)
        status = csv_build_table(reader, names, results, n_rows, has_header, out);
    for (size_t j = 0; results && j < reader->n_cols; j++) {
        free(results[j].values);
        csv_levels_free(results[j].levels);
    }
    free(results);
    free(first_lines);
    csv_free_chunks(reader);
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
    csv_work work = {0};
    dial_status status = csv_read_names(reader, &scan, &work, &names, &n_cols, &all_numbers);
    csv_work_release(&work);
    if (status != DIAL_OK) return status;
    bool has_header = header == DIAL_HEADER_YES || (header == DIAL_HEADER_AUTO && !all_numbers);
    if (!has_header) {
        scan = first_record;
        for (size_t j = 0; j < n_cols; j++) {
            char made[32];
            snprintf(made, sizeof made, "V%zu", j + 1);
            free(names[j]);
            names[j] = dial_strdup(made);
            if (!names[j]) status = csv_out_of_memory(reader);
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
    return csv_parse_all(&reader, bytes ? bytes : "", length, options, out);
}
