/* Sorting numbers (internal). */
#ifndef DIAL_SORT_H
#define DIAL_SORT_H

#include <stddef.h>

#include "dial/core.h"

/* Sorts n numbers, none NaN, in ascending order, -0 as 0 (a -0 comes back
 * as 0). A radix sort on the numbers' bits, several times faster than
 * qsort on a column of a million rows; it asks ctx for 2n numbers of
 * scratch and sorts by qsort when it cannot have them, so it never
 * fails. */
void dial_sort_doubles(const dial_ctx *ctx, double *values, size_t n);

#endif
