/*
 * The value of a CSV field (internal to src/data/csv*.c; the map of the
 * parser is at the top of csv.c): a number, a text or missing, parsed to
 * the correctly rounded double; the per-thread buffers and locale that
 * takes; and the shortened copy of a text that messages quote.
 */
#ifndef DIAL_CSV_VALUE_H
#define DIAL_CSV_VALUE_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include "data/csv_scan.h"

typedef enum csv_kind { CSV_TEXT = 0, CSV_NUMBER, CSV_MISSING } csv_kind;

/* What one thread needs to turn fields into values: a buffer for unescaped
 * fields, one for strtod's copies, and the C locale for strtod. The locale
 * is a per-thread setting, so the thread that parses sets and restores it. */
typedef struct csv_work {
    const dial_ctx *ctx; /* whose allocation hook the buffers ask */
    char *scratch;
    size_t scratch_capacity;
    char *number;
    size_t number_capacity;
    locale_t c_locale, saved_locale;
} csv_work;

/* Classifies a value and parses it when it is a number. The grammar is
 * [+-] digits [. digits] [(e|E) [+-] digits] (at least one digit in the
 * mantissa), or [+-] inf / infinity / nan in any case; blanks around the
 * value are ignored. The result is the correctly rounded double: exact in
 * one operation when the mantissa has at most 53 bits and the power of ten
 * is exact (both operands exact, one IEEE rounding), strtod otherwise. Texts
 * that mean "missing", and numbers that are NaN, are CSV_MISSING. Returns
 * -1 (as a csv_kind) when out of memory. */
int dial_csv_classify(csv_work *work, const char *text, size_t length, double *out);

/* Frees the buffers and restores the locale; call on the thread that used
 * the work. */
void dial_csv_work_release(csv_work *work);

/* Unescapes a quoted field with doubled quotes into the scratch buffer.
 * Returns false when out of memory. */
bool dial_csv_unescape(csv_work *work, const csv_field *field, const char **text, size_t *length);

/* The text of a field. Returns false when out of memory. */
static inline bool csv_field_text(csv_work *work, const csv_field *field, const char **text,
                                  size_t *length) {
    if (field->escaped) return dial_csv_unescape(work, field, text, length);
    *text = field->text;
    *length = field->length;
    return true;
}

/* What a message quotes of a value: enough to recognise it. */
#define CSV_SAMPLE_MAX 60

/* A printable, shortened copy of a value for a message (malloc'ed; NULL
 * when out of memory). */
char *dial_csv_sample(const dial_ctx *ctx, const char *text, size_t length);

#endif
