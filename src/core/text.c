/* Small text helpers: edit distance for "did you mean" suggestions, and
 * numbers read and written exactly as the knobs and spaces take them. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"

size_t dial_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    /* No context here: dial_closest_name, public, takes none. */
    size_t *row = dial_malloc_array(NULL, lb + 1, sizeof *row);
    if (!row) return (size_t)-1;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost =
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diagonal + cost;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (above + 1 < best) best = above + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *dial_closest_name(const char *name, const char *const *candidates, size_t n) {
    size_t limit = strlen(name) / 3;
    if (limit < 2) limit = 2;
    const char *best = NULL;
    size_t best_distance = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = dial_edit_distance(name, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    return best;
}

bool dial_parse_integer(const char *text, double *out, bool *overflow) {
    const char *p = text;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    /* Past 2^53 a double no longer holds every integer (2^53 + 1 would read
     * back as 2^53), so such a value is refused rather than rounded. */
    *overflow = errno == ERANGE || v > DIAL_EXACT_INTEGER_MAX || v < -DIAL_EXACT_INTEGER_MAX;
    *out = *overflow ? (text[0] == '-' ? -INFINITY : INFINITY) : (double)v;
    return true;
}

bool dial_parse_real(const char *text, double *out) {
    /* strtod also reads C's hexadecimal floats ("0x1p3"): a knob or a range
     * written that way is far more likely a slip than meant, and the rest of
     * dial writes and reads decimal only. */
    if (!*text || strpbrk(text, "xX")) return false;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || isnan(v)) return false;
    *out = v;
    return true;
}

void dial_format_shortest(double x, char *buf, size_t size) {
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, x);
        if (precision == 17 || strtod(buf, NULL) == x) return;
    }
}
