/* The context: seed, thread budget, log callback and the last error. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/ctx_families.h"
#include "dial/core.h"

#define DIAL_ERROR_MAX 1024

struct dial_ctx {
    uint64_t seed;
    int threads;
    dial_log_fn log_fn;
    void *log_user;
    /* Asked before every allocation (core/alloc.h); shared by clones. */
    dial_alloc_hook alloc_hook;
    void *alloc_user;
    char error[DIAL_ERROR_MAX];
    /* dial_model_family_register's list (core/ctx_families.h): owned
     * array of borrowed tables */
    const struct dial_model_family **families;
    size_t n_families;
};

static dial_ctx *ctx_alloc(const dial_ctx *parent) {
    dial_ctx *ctx = dial_calloc(parent, 1, sizeof *ctx);
    if (ctx) ctx->threads = 1;
    return ctx;
}

dial_ctx *dial_ctx_new(void) {
    /* dial spreads its work over the context's thread budget itself; BLAS
     * threads inside each of those would oversubscribe the machine (and a
     * budget of 1 would not mean one thread). The setting is the process's,
     * so it is made here, when a program starts using dial, and not in
     * dial_ctx_clone, which worker threads call at the same time. */
    openblas_set_num_threads(1);
    return ctx_alloc(NULL);
}

dial_ctx *dial_ctx_clone(const dial_ctx *parent, int threads) {
    dial_ctx *ctx = ctx_alloc(parent);
    if (!ctx) return NULL;
    ctx->alloc_hook = parent->alloc_hook;
    ctx->alloc_user = parent->alloc_user;
    ctx->seed = parent->seed;
    ctx->log_fn = parent->log_fn;
    ctx->log_user = parent->log_user;
    ctx->threads = threads < 1 ? 1 : threads;
    /* A worker must find the families its parent registered (a model file
     * loaded on it names one). */
    for (size_t i = 0; i < parent->n_families; i++)
        if (dial_ctx_family_add(ctx, parent->families[i]) != DIAL_OK) {
            dial_ctx_free(ctx);
            return NULL;
        }
    return ctx;
}

void dial_ctx_free(dial_ctx *ctx) {
    if (ctx) free(ctx->families);
    free(ctx);
}

dial_status dial_ctx_family_add(dial_ctx *ctx, const struct dial_model_family *family) {
    const struct dial_model_family **grown =
        dial_realloc_array(ctx, ctx->families, ctx->n_families + 1, sizeof *grown);
    if (!grown) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory registering a model family");
    grown[ctx->n_families++] = family;
    ctx->families = grown;
    return DIAL_OK;
}

const struct dial_model_family *const *dial_ctx_families(const dial_ctx *ctx, size_t *n) {
    *n = ctx->n_families;
    return ctx->families;
}

void dial_ctx_set_seed(dial_ctx *ctx, uint64_t seed) { ctx->seed = seed; }
uint64_t dial_ctx_seed(const dial_ctx *ctx) { return ctx->seed; }
void dial_ctx_set_threads(dial_ctx *ctx, int threads) { ctx->threads = threads < 1 ? 1 : threads; }
int dial_ctx_threads(const dial_ctx *ctx) { return ctx->threads; }

void dial_ctx_set_log(dial_ctx *ctx, dial_log_fn fn, void *user) {
    ctx->log_fn = fn;
    ctx->log_user = user;
}

void dial_ctx_set_alloc_hook(dial_ctx *ctx, dial_alloc_hook hook, void *user) {
    ctx->alloc_hook = hook;
    ctx->alloc_user = user;
}

bool dial_ctx_alloc_allowed(const dial_ctx *ctx, size_t size) {
    return !ctx || !ctx->alloc_hook || ctx->alloc_hook(ctx->alloc_user, size);
}

const char *dial_ctx_error(const dial_ctx *ctx) { return ctx->error; }
void dial_ctx_clear_error(dial_ctx *ctx) { ctx->error[0] = '\0'; }

dial_status dial_failv(dial_ctx *ctx, dial_status status, const char *fmt, va_list args) {
    vsnprintf(ctx->error, sizeof ctx->error, fmt, args);
    return status;
}

dial_status dial_fail(dial_ctx *ctx, dial_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    dial_failv(ctx, status, fmt, args);
    va_end(args);
    return status;
}

void dial_log(dial_ctx *ctx, dial_log_level level, const char *fmt, ...) {
    if (!ctx->log_fn) return;
    char line[DIAL_ERROR_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    ctx->log_fn(ctx->log_user, level, line);
}

const char *dial_status_name(dial_status status) {
    switch (status) {
    case DIAL_OK: return "ok";
    case DIAL_ERR_NOMEM: return "out of memory";
    case DIAL_ERR_IO: return "input/output error";
    case DIAL_ERR_DATA: return "data error";
    case DIAL_ERR_KNOB: return "knob error";
    case DIAL_ERR_ARGUMENT: return "invalid argument";
    case DIAL_ERR_FORMAT: return "model file error";
    case DIAL_ERR_NUMERIC: return "numerical failure";
    case DIAL_ERR_UNSUPPORTED: return "unsupported";
    case DIAL_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
