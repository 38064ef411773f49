/*
 * The levels of a categorical CSV column (internal to src/data/csv*.c;
 * the map of the parser is at the top of csv.c): a hash table with open
 * addressing from a level's text to its index, levels numbered in the
 * order they first occur. Also finds duplicate column names.
 */
#ifndef DIAL_CSV_LEVELS_H
#define DIAL_CSV_LEVELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct csv_levels {
    const dial_ctx *ctx; /* whose allocation hook the table asks */
    uint32_t *slots;     /* level index + 1, 0 when free; open addressing */
    size_t slot_mask;
    char **names; /* NUL-terminated copies */
    size_t *lengths;
    uint64_t *hashes;
    size_t count, capacity;
} csv_levels;

/* An empty table (NULL when out of memory); free with dial_csv_levels_free. */
csv_levels *dial_csv_levels_new(const dial_ctx *ctx);

/* Frees the table and the names it still holds; NULL is harmless. */
void dial_csv_levels_free(csv_levels *levels);

/* The index of the level with this text, added if new. Returns false when
 * out of memory. *is_new tells whether it was added. */
bool dial_csv_levels_intern(csv_levels *levels, const char *text, size_t length, size_t *index,
                            bool *is_new);

#endif
