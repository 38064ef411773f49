/*
 * The value of a CSV field (internal to src/data/csv*.c; the map of the
 * parser is at the top of csv.c).
 */
#include "core/alloc.h"
#include "data/csv_value.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Powers of ten that a double holds exactly. */
static const double csv_exact_powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool csv_strtod(csv_work *work, const char *text, size_t length, double *out);

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

/* See csv_value.h. */
int dial_csv_classify(csv_work *work, const char *text, size_t length, double *out) {
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

static bool csv_buffer_reserve(const dial_ctx *ctx, char **buffer, size_t *capacity, size_t size) {
    if (size <= *capacity) return true;
    size_t grown = *capacity ? *capacity : 256;
    while (grown < size) grown *= 2;
    char *bigger = dial_realloc(ctx, *buffer, grown);
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
    if (!csv_buffer_reserve(work->ctx, &work->number, &work->number_capacity, length + 1))
        return false;
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

void dial_csv_work_release(csv_work *work) {
    free(work->scratch);
    free(work->number);
    if (work->c_locale != (locale_t)0) {
        uselocale(work->saved_locale);
        freelocale(work->c_locale);
    }
    *work = (csv_work){.ctx = work->ctx};
}

/* Unescapes a quoted field with doubled quotes into the scratch buffer.
 * Returns false when out of memory. */
bool dial_csv_unescape(csv_work *work, const csv_field *field, const char **text, size_t *length) {
    if (!csv_buffer_reserve(work->ctx, &work->scratch, &work->scratch_capacity, field->length + 1))
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

/* A printable, shortened copy of a value for a message. */
char *dial_csv_sample(const dial_ctx *ctx, const char *text, size_t length) {
    char *sample = dial_malloc(ctx, 2 * CSV_SAMPLE_MAX + 4);
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
