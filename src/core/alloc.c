/*
 * Allocation through the context: the hook is asked first, then malloc.
 * The only file of the library that calls malloc, calloc or realloc
 * (docs/architecture.md, tests/architecture/check_alloc.sh).
 */
#include "core/alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *dial_malloc(const dial_ctx *ctx, size_t size) {
    if (size == 0) size = 1;
    if (!dial_ctx_alloc_allowed(ctx, size)) return NULL;
    return malloc(size);
}

void *dial_calloc(const dial_ctx *ctx, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    size_t total = count * size;
    if (total == 0) total = 1;
    if (!dial_ctx_alloc_allowed(ctx, total)) return NULL;
    return calloc(1, total);
}

void *dial_realloc(const dial_ctx *ctx, void *p, size_t size) {
    if (size == 0) size = 1;
    if (!dial_ctx_alloc_allowed(ctx, size)) return NULL;
    return realloc(p, size);
}

void *dial_realloc_array(const dial_ctx *ctx, void *p, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return dial_realloc(ctx, p, count * size);
}

void *dial_malloc_array(const dial_ctx *ctx, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return dial_malloc(ctx, count * size);
}

char *dial_strdup(const dial_ctx *ctx, const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = dial_malloc(ctx, n);
    if (copy) memcpy(copy, s, n);
    return copy;
}
