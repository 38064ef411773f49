/*
 * The levels of a categorical CSV column (internal to src/data/csv*.c;
 * the map of the parser is at the top of csv.c).
 */
#include "core/alloc.h"
#include "data/csv_levels.h"

#include <stdlib.h>
#include <string.h>

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

void dial_csv_levels_free(csv_levels *levels) {
    if (!levels) return;
    for (size_t i = 0; i < levels->count; i++) free(levels->names[i]);
    free(levels->names);
    free(levels->lengths);
    free(levels->hashes);
    free(levels->slots);
    free(levels);
}

static bool csv_levels_rehash(csv_levels *levels, size_t n_slots) {
    uint32_t *slots = dial_calloc(levels->ctx, n_slots, sizeof *slots);
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
bool dial_csv_levels_intern(csv_levels *levels, const char *text, size_t length, size_t *index,
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
        char **names = dial_realloc_array(levels->ctx, levels->names, capacity, sizeof *names);
        if (!names) return false;
        levels->names = names;
        size_t *lengths =
            dial_realloc_array(levels->ctx, levels->lengths, capacity, sizeof *lengths);
        if (!lengths) return false;
        levels->lengths = lengths;
        uint64_t *hashes =
            dial_realloc_array(levels->ctx, levels->hashes, capacity, sizeof *hashes);
        if (!hashes) return false;
        levels->hashes = hashes;
        levels->capacity = capacity;
    }
    char *copy = dial_malloc(levels->ctx, length + 1);
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

csv_levels *dial_csv_levels_new(const dial_ctx *ctx) {
    csv_levels *levels = dial_calloc(ctx, 1, sizeof *levels);
    if (levels) levels->ctx = ctx;
    if (levels && !csv_levels_rehash(levels, 16)) {
        free(levels);
        return NULL;
    }
    return levels;
}
