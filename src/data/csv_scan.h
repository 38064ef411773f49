/*
 * Splitting CSV bytes into records and fields (internal to
 * src/data/csv*.c; the map of the parser is at the top of csv.c): RFC 4180
 * quoting, any of the three line ends, line numbers kept as it goes, and
 * no allocation. Inline: it runs once per byte of the file.
 */
#ifndef DIAL_CSV_SCAN_H
#define DIAL_CSV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool csv_is_blank(char c) { return c == ' ' || c == '\t'; }

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

static inline void csv_scan_init(csv_scan *scan, const char *bytes, size_t length, char separator) {
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
static inline bool csv_scan_blank_line(csv_scan *scan) {
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
static inline char csv_detect_separator(const char *p, const char *end) {
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

#endif
