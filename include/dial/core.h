/*
 * dial/core.h: the context, status codes, random streams and named tensors.
 *
 * Every library call takes a dial_ctx. The context carries the seed, the
 * thread budget, the log callback and the message of the last error; it is
 * the only state a call may read besides its arguments (no mutable globals),
 * so two contexts can be used from two threads at once. One context must not
 * be used by two threads at the same time.
 */
#ifndef DIAL_CORE_H
#define DIAL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DIAL_VERSION_STRING "0.1.0"
/* The same version as one number, major * 10000 + minor * 100 + patch. */
#define DIAL_VERSION_NUMBER 100

/* Marks what libdial exports. The library is built with hidden visibility,
 * so a function is callable from outside only when a header here declares
 * it with this mark (tests/architecture/test_exports.sh holds both ways). */
#if defined(__GNUC__) || defined(__clang__)
#define DIAL_API __attribute__((visibility("default")))
#else
#define DIAL_API
#endif

/* The version of the library the program runs with, which may be newer
 * than the DIAL_VERSION_STRING it was compiled against (a shared libdial
 * updated alone). A static string, never NULL; "0.1.0". */
DIAL_API const char *dial_version(void);
/* The same as a number comparable with DIAL_VERSION_NUMBER, so a program
 * can refuse a library older than the one it needs:
 * `if (dial_version_number() < DIAL_VERSION_NUMBER) ...`. */
DIAL_API int dial_version_number(void);

/* Return code of every fallible library call. The human-readable message is
 * kept on the context (dial_ctx_error). */
typedef enum dial_status {
    DIAL_OK = 0,
    DIAL_ERR_NOMEM,       /* an allocation failed */
    DIAL_ERR_IO,          /* a file could not be opened, read or written */
    DIAL_ERR_DATA,        /* malformed or unusable data (CSV, LIBSVM, target); a model the
                             data makes too large to save */
    DIAL_ERR_KNOB,        /* a hyperparameter is unknown, mistyped, out of range or inactive */
    DIAL_ERR_ARGUMENT,    /* a caller passed an invalid argument (not a knob) */
    DIAL_ERR_FORMAT,      /* a model file is damaged, truncated or unsupported */
    DIAL_ERR_NUMERIC,     /* a fit failed numerically (singular matrix, NaN; predictions that
                             are not finite) */
    DIAL_ERR_UNSUPPORTED, /* the model cannot do this task (or give class probabilities) */
    DIAL_ERR_INTERNAL     /* a bug in dial */
} dial_status;

/* A short constant name of a status ("out of memory", "data error", ...). */
DIAL_API const char *dial_status_name(dial_status status);

typedef enum dial_log_level { DIAL_LOG_DEBUG, DIAL_LOG_INFO, DIAL_LOG_WARN } dial_log_level;

/* Receives the library's log lines (warnings such as unseen categorical
 * levels). The library never prints; without a callback, logs are dropped. */
typedef void (*dial_log_fn)(void *user, dial_log_level level, const char *message);

typedef struct dial_ctx dial_ctx;

/* Creates a context with seed 0, a thread budget of 1 and no log callback.
 * Returns NULL when out of memory. Free with dial_ctx_free.
 * It also sets OpenBLAS to one thread for the whole process: dial runs
 * its own threads within the budget, and BLAS threads inside them would
 * oversubscribe the machine. A program that wants BLAS threads for its own
 * work sets them again after creating its contexts. */
DIAL_API dial_ctx *dial_ctx_new(void);
/* A new context with the same seed, log callback, allocation hook,
 * registered model families (dial/model.h) and the given thread budget,
 * for a worker thread. Returns NULL when out of memory. */
DIAL_API dial_ctx *dial_ctx_clone(const dial_ctx *ctx, int threads);
/* Frees a context; NULL is harmless. */
DIAL_API void dial_ctx_free(dial_ctx *ctx);

DIAL_API void dial_ctx_set_seed(dial_ctx *ctx, uint64_t seed);
DIAL_API uint64_t dial_ctx_seed(const dial_ctx *ctx);
/* Total number of threads the library may use for one call (>= 1). */
DIAL_API void dial_ctx_set_threads(dial_ctx *ctx, int threads);
DIAL_API int dial_ctx_threads(const dial_ctx *ctx);
DIAL_API void dial_ctx_set_log(dial_ctx *ctx, dial_log_fn fn, void *user);

/* Asked before every allocation the library makes for a call on this
 * context, with the number of bytes wanted; returning false makes that
 * allocation fail, and the call then returns DIAL_ERR_NOMEM with a message
 * and leaks nothing. For a memory budget, accounting, or a test that fails
 * the n-th allocation. The memory itself still comes from malloc, so what
 * the library returns is released with free or the dial_*_free functions
 * as always; the hook sees only dial's own allocations (not SQLite's,
 * jansson's or OpenBLAS's). */
typedef bool (*dial_alloc_hook)(void *user, size_t size);
/* Sets (or, with NULL, removes) the hook; user is passed to it unchanged and
 * stays the caller's. Clones of the context (dial_ctx_clone, the worker
 * threads of a parallel tune or fit) share the hook and user, so a hook must
 * be thread-safe when the thread budget is above 1. */
DIAL_API void dial_ctx_set_alloc_hook(dial_ctx *ctx, dial_alloc_hook hook, void *user);

/* The message of the last error on this context, "" if none. The string is
 * owned by the context and valid until the next failing call. */
DIAL_API const char *dial_ctx_error(const dial_ctx *ctx);
/* Clears the last error. */
DIAL_API void dial_ctx_clear_error(dial_ctx *ctx);

/* Records a formatted message as the last error and returns status, so a
 * failure reads `return dial_fail(ctx, DIAL_ERR_DATA, "...", ...);`. */
DIAL_API dial_status dial_fail(dial_ctx *ctx, dial_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
DIAL_API dial_status dial_failv(dial_ctx *ctx, dial_status status, const char *fmt, va_list args);
/* Sends one formatted line to the log callback, if any. */
DIAL_API void dial_log(dial_ctx *ctx, dial_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- names ------------------------------------------------------------
 * The "did you mean" of every message about an unknown name (model, knob,
 * metric, column, command), shared so a program built on the library
 * suggests the way dial does. */

/* The candidate closest to name by edit distance, ignoring case, or NULL
 * when none is close enough to be a plausible typo (a distance above
 * max(2, strlen(name) / 3)); ties go to the earlier candidate. Returns one
 * of the candidates (borrowed, nothing allocated to free); NULL also when
 * out of memory, so a suggestion is simply left out. */
DIAL_API const char *dial_closest_name(const char *name, const char *const *candidates, size_t n);

/* ---- random streams ---------------------------------------------------
 * xoshiro256** seeded through splitmix64. dial_rng_stream(seed, id) gives
 * independent, reproducible streams: the stream of fold 3 or trial 17 depends
 * only on (seed, id), never on which thread or worker runs it. */
typedef struct dial_rng {
    uint64_t s[4];
} dial_rng;

DIAL_API dial_rng dial_rng_stream(uint64_t seed, uint64_t stream_id);
DIAL_API uint64_t dial_rng_next(dial_rng *rng);
/* Uniform double in [0, 1). */
DIAL_API double dial_rng_uniform(dial_rng *rng);
/* Uniform integer in [0, n), unbiased; n must be > 0. */
DIAL_API uint64_t dial_rng_below(dial_rng *rng, uint64_t n);
/* Standard normal deviate. */
DIAL_API double dial_rng_normal(dial_rng *rng);
/* Fisher-Yates shuffle of an index array. */
DIAL_API void dial_rng_shuffle(dial_rng *rng, size_t *items, size_t n);

/* ---- parallel loops ---------------------------------------------------
 * Runs body(arg, begin, end, worker) over [0, n) split into contiguous chunks
 * on at most `threads` threads (the calling thread is one of them). Returns
 * the first non-OK status a body returned; the message is on ctx. A body must
 * not touch ctx: it reports errors through its own arg. */
typedef dial_status (*dial_range_fn)(void *arg, size_t begin, size_t end, int worker);
DIAL_API dial_status dial_parallel_for(dial_ctx *ctx, int threads, size_t n, dial_range_fn body,
                                       void *arg);

/* ---- output files -----------------------------------------------------
 * Writing a file so that a failure never destroys what was there. A regular
 * file (or a path that does not exist yet) is written to a temporary file
 * "FILE.tmp-XXXXXX" beside it, flushed to the disk and renamed over it by
 * dial_output_commit: readers see the old file or the whole new one, and a
 * full disk or a crash leaves the old file intact. A symbolic link is
 * followed and the file it points to replaced (the link stays). A device,
 * FIFO or socket (/dev/null, /dev/stdout, a named pipe) cannot be replaced
 * without breaking it, so it is written in place. "-" is standard output.
 * The library installs no signal handler: a program that wants no
 * temporary left behind by Ctrl-C removes dial_output_temporary() from its
 * own handler (unlink is async-signal-safe). */
typedef struct dial_output dial_output;

/* Opens path for writing as above. On success *out owns a handle that must
 * be finished by exactly one of dial_output_commit or dial_output_abort.
 * Errors (*out is NULL, nothing is created): DIAL_ERR_IO (the message names
 * path and the system's reason: a missing folder, no permission, a folder
 * named as the file), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_output_open(dial_ctx *ctx, const char *path, dial_output **out);
/* Where to write; owned by the handle (never fclose it). Write errors are
 * kept by the stream and reported by dial_output_commit. */
DIAL_API FILE *dial_output_stream(const dial_output *output);
/* fwrite to the stream that keeps the system's reason when it fails (a
 * full disk), for dial_output_commit to report. */
DIAL_API void dial_output_write(dial_output *output, const void *bytes, size_t length);
/* The temporary file's path while one exists, else NULL (in place, "-");
 * owned by the handle, valid until it is finished. */
DIAL_API const char *dial_output_temporary(const dial_output *output);
/* Flushes everything to the disk and puts the file in place; frees the
 * handle either way. On failure the temporary is removed, the old file is
 * untouched, and the status is DIAL_ERR_IO ("cannot write PATH: No space
 * left on device"). */
DIAL_API dial_status dial_output_commit(dial_ctx *ctx, dial_output *output);
/* Gives up: removes the temporary, leaves the old file untouched and frees
 * the handle. NULL is harmless. */
DIAL_API void dial_output_abort(dial_output *output);
/* Writes length bytes to path in one go: open, write, commit. Errors as
 * dial_output_open and dial_output_commit. */
DIAL_API dial_status dial_output_write_all(dial_ctx *ctx, const char *path, const void *bytes,
                                           size_t length);

/* ---- named tensors ----------------------------------------------------
 * What a model learned is a set of named, dense, row-major tensors. The same
 * set is what the model file stores. */
typedef enum dial_dtype { DIAL_F64 = 0, DIAL_I64 = 1 } dial_dtype;

#define DIAL_TENSOR_MAX_DIMS 4
#define DIAL_TENSOR_NAME_MAX 64

typedef struct dial_tensor {
    char name[DIAL_TENSOR_NAME_MAX];
    dial_dtype dtype;
    int ndim;                           /* 0 (scalar) .. DIAL_TENSOR_MAX_DIMS */
    size_t shape[DIAL_TENSOR_MAX_DIMS]; /* unused dims are 1 */
    void *data;                         /* owned; double* or int64_t* */
} dial_tensor;

typedef struct dial_tensors {
    size_t count, capacity;
    dial_tensor *items;
} dial_tensors;

DIAL_API size_t dial_dtype_size(dial_dtype dtype);
/* Number of elements (product of the shape). */
DIAL_API size_t dial_tensor_size(const dial_tensor *t);
/* Adds a zero-filled tensor and returns its data through *data. Fails with
 * DIAL_ERR_ARGUMENT on a duplicate or too long name. The set owns the data. */
DIAL_API dial_status dial_tensors_add(dial_ctx *ctx, dial_tensors *set, const char *name,
                                      dial_dtype dtype, int ndim, const size_t *shape, void **data);
/* The tensor with that name, or NULL. */
DIAL_API const dial_tensor *dial_tensors_find(const dial_tensors *set, const char *name);
/* Frees every tensor and the array; the set is left empty and reusable. */
DIAL_API void dial_tensors_clear(dial_tensors *set);

#ifdef __cplusplus
}
#endif
#endif
