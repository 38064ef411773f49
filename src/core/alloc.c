/*
 * Allocation through the context: the hook is asked first, then malloc.
 * The only file of the library that calls malloc, calloc or realloc
 * (docs/architecture.md, tests/architecture/check_alloc.sh).
 */
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "core/alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

/* Blocks from this size up are asked to be backed by transparent huge
 * pages. Debian's kernels give them only on request (THP "madvise"), and
 * a design matrix or a dataset of hundreds of megabytes then costs one
 * page fault per 4 KiB when first written: measured on 1,000,000 x 16
 * doubles, the faults were a third of a k-means fit. */
#define HUGE_ADVICE_BYTES ((size_t)4 << 20)
#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)

/* A hint only: its failure (no THP, another kernel) changes nothing. Only
 * the whole 2 MiB pages inside the block are advised, so no byte outside
 * it is touched. */
static void *advise_huge(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
    if (p && size >= HUGE_ADVICE_BYTES) {
        uintptr_t begin = ((uintptr_t)p + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
        uintptr_t end = ((uintptr_t)p + size) & ~(HUGE_PAGE_BYTES - 1);
        if (end > begin) madvise((void *)begin, (size_t)(end - begin), MADV_HUGEPAGE);
    }
#else
    (void)size;
#endif
    return p;
}

void *dial_malloc(const dial_ctx *ctx, size_t size) {
    if (size == 0) size = 1;
    if (!dial_ctx_alloc_allowed(ctx, size)) return NULL;
    return advise_huge(malloc(size), size);
}

void *dial_calloc(const dial_ctx *ctx, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    size_t total = count * size;
    if (total == 0) total = 1;
    if (!dial_ctx_alloc_allowed(ctx, total)) return NULL;
    return advise_huge(calloc(1, total), total);
}

void *dial_realloc(const dial_ctx *ctx, void *p, size_t size) {
    if (size == 0) size = 1;
    if (!dial_ctx_alloc_allowed(ctx, size)) return NULL;
    return advise_huge(realloc(p, size), size);
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

void dial_release_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
