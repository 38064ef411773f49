/* Small text helpers shared across layers (internal). */
#ifndef DIAL_TEXT_H
#define DIAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* dial_closest_name, which every layer's "did you mean" uses, is public. */
#include "dial/core.h"
/* dial_strdup, which most users of these helpers need too. */
#include "core/alloc.h"

/* Levenshtein distance between two strings, case-insensitive. */
size_t dial_edit_distance(const char *a, const char *b);

/* The largest magnitude up to which a double holds every integer: 2^53. */
#define DIAL_EXACT_INTEGER_MAX 9007199254740992LL

/* Reads a whole string as an integer literal (an optional sign and decimal
 * digits: "2.5", "7.0" and "1e2" are refused, so that a float never
 * silently becomes an int). *overflow tells that it lies beyond 2^53 in
 * magnitude, where a double would round it (*out is then an infinity of its
 * sign, which every range check refuses). */
bool dial_parse_integer(const char *text, double *out, bool *overflow);
/* Reads a whole string as a decimal real number (strtod's syntax without
 * its hexadecimal floats; infinities are read, NaN is refused). */
bool dial_parse_real(const char *text, double *out);
/* Writes x with the fewest significant digits (15 to 17) that read back to
 * exactly x. */
void dial_format_shortest(double x, char *buf, size_t size);

#endif
