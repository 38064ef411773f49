/*
 * Allocation through the context (internal to libdial).
 *
 * Every allocation the library makes goes through these four functions, so
 * a program's hook (dial_ctx_set_alloc_hook) sees it and may refuse it: a
 * memory budget, accounting, or a test that fails the n-th allocation. The
 * memory itself still comes from malloc/realloc, so whatever the library
 * returns is released with free or the dial_*_free functions, with or
 * without a context at hand.
 *
 * None of them writes the context's error message: they may be called from
 * the body of a parallel loop, where the context is shared read-only. The
 * caller turns NULL into dial_fail(ctx, DIAL_ERR_NOMEM, "...") where it
 * knows what it was doing. A NULL ctx means no hook (for the few public
 * functions that take no context, such as dial_closest_name).
 *
 * docs/architecture.md: no direct malloc, calloc, realloc or strdup in src/
 * outside src/core/alloc.c and src/cli (tests/architecture/check_alloc.sh).
 */
#ifndef DIAL_ALLOC_H
#define DIAL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "dial/core.h"

/* Whether ctx's hook, if any, lets an allocation of size bytes go (ctx.c,
 * which owns the context's layout). True for a NULL ctx. */
bool dial_ctx_alloc_allowed(const dial_ctx *ctx, size_t size);

/* size bytes, uninitialised; NULL when the hook refuses or malloc fails.
 * A size of 0 asks for 1 byte, so NULL always means failure. */
void *dial_malloc(const dial_ctx *ctx, size_t size);
/* count * size zeroed bytes; NULL on refusal, failure or when the product
 * overflows a size_t. A product of 0 asks for 1 byte. */
void *dial_calloc(const dial_ctx *ctx, size_t count, size_t size);
/* Resizes p (which may be NULL) to size bytes; on NULL (refusal or failure)
 * p is untouched and still owned by the caller. A size of 0 asks for 1 byte. */
void *dial_realloc(const dial_ctx *ctx, void *p, size_t size);
/* count * size bytes, as dial_realloc, with the product overflow-checked. */
void *dial_realloc_array(const dial_ctx *ctx, void *p, size_t count, size_t size);
/* count * size bytes, as dial_malloc, with the product overflow-checked. */
void *dial_malloc_array(const dial_ctx *ctx, size_t count, size_t size);
/* A copy of the string s; NULL on refusal or failure. */
char *dial_strdup(const dial_ctx *ctx, const char *s);

/* Hands the heap's free pages back to the system (glibc: malloc_trim,
 * every arena's). A fit that grew its parts on worker threads calls it once
 * they are freed: what a thread's arena freed otherwise stays resident
 * beside what the program allocates next (the model, the predictions). */
void dial_release_free_memory(void);

#endif
