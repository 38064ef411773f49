/* Small text helpers shared across layers (internal). */
#ifndef DIAL_TEXT_H
#define DIAL_TEXT_H

#include <stddef.h>

/* Levenshtein distance between two strings, case-insensitive. */
size_t dial_edit_distance(const char *a, const char *b);
/* The candidate closest to name, or NULL when none is close enough to be a
 * plausible typo (distance <= max(2, strlen(name) / 3)). */
const char *dial_closest_name(const char *name, const char *const *candidates, size_t n);
/* strdup that is C11 (strdup is POSIX); NULL on allocation failure. */
char *dial_strdup(const char *s);

#endif
