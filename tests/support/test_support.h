/* Helpers shared by the cmocka tests. Include after <cmocka.h>'s
 * prerequisites; this header includes them itself. */
#ifndef DIAL_TEST_SUPPORT_H
#define DIAL_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dial/dial.h"
#include "tune/sampler.h"
#include "tune/storage.h"

/* Fails the test with the context's message when call is not DIAL_OK. */
#define assert_dial_ok(ctx, call)                                                   \
    do {                                                                            \
        dial_status assert_status_ = (call);                                        \
        if (assert_status_ != DIAL_OK)                                              \
            fail_msg("%s returned %s: %s", #call, dial_status_name(assert_status_), \
                     dial_ctx_error(ctx));                                          \
    } while (0)

/* Asserts that call fails with status and exactly the message expected. */
#define assert_dial_error(ctx, call, status, expected)        \
    do {                                                      \
        dial_status assert_status_ = (call);                  \
        assert_int_equal(assert_status_, (status));           \
        assert_string_equal(dial_ctx_error(ctx), (expected)); \
    } while (0)

/* A context with seed 1 and one thread; free with dial_ctx_free. */
dial_ctx *test_ctx(void);
/* Reads a whole file (malloc'ed, NUL-terminated) or fails the test. */
char *test_read_file(const char *path, size_t *length);
/* Writes bytes to a new temporary file and returns its malloc'ed path. */
char *test_write_temp(const char *bytes, size_t length, const char *suffix);
/* Loads a CSV and builds a dataset with the given target, or fails the
 * test. *table must be freed after the dataset. */
dial_dataset *test_load_dataset(dial_ctx *ctx, const char *path, const char *target,
                                dial_table **table);

/* A family's knobs with "name=value" settings (NULL-terminated, may be
 * NULL) applied and checked, or fails the test; free with dial_knobs_free. */
dial_knobs test_knobs(dial_ctx *ctx, const dial_model_family *family, const char *const *settings);
/* A model of family fitted on every row of a CSV file, or fails the test. */
dial_model *test_fit_file(dial_ctx *ctx, const dial_model_family *family, const char *path,
                          const char *target, const char *const *settings);

/* One cross-validation fold made by hand for a family's fold hooks: every
 * stride-th row of a CSV (from row 0) is a test row, the others train; with
 * scale_pm1 each feature is scaled to [-1, 1] over all rows first (as the
 * LIBSVM guide does). x is row-major; test.y is NULL (the family never
 * sees it), y_test holds the test targets. Free with test_fold_free. */
typedef struct test_fold {
    dial_fit_input train, test;
    double *x_train, *y_train, *x_test, *y_test;
    size_t n_classes; /* 0 in regression */
} test_fold;

test_fold test_load_fold(const char *path, const char *target, size_t stride, bool scale_pm1);
void test_fold_free(test_fold *fold);

/* The peak resident memory of this process so far, in kB (VmHWM of
 * /proc/self/status), or -1 when it cannot be read. */
long test_peak_kilobytes(void);

/* A cmocka fixture: a fresh temporary folder, the path of a study file in
 * it (not created), and a test context. The teardown removes the folder
 * and everything in it. */
typedef struct test_study_folder {
    char dir[64];
    char path[128];
    dial_ctx *ctx;
} test_study_folder;
int test_study_folder_setup(void **state);
int test_study_folder_teardown(void **state);

/* A cmocka fixture for the storage backends' tests: a test context and a
 * storage (in memory, or a SQLite file in a temporary path) holding one
 * open study "s" of the given direction. The teardown closes the storage
 * and removes the file with its -wal and -shm. */
typedef struct test_storage_fixture {
    bool sqlite;
    char *path; /* NULL in memory */
    dial_ctx *ctx;
    dial_storage storage;
    int64_t study;
} test_storage_fixture;
int test_storage_fixture_open(void **state, bool sqlite, dial_direction direction);
/* The same on the PostgreSQL server of tests/support/pg_server.sh (its URL
 * in DIAL_TEST_POSTGRES): study "s" is deleted first, so each test starts
 * from an empty study. */
int test_storage_fixture_open_postgres(void **state, dial_direction direction);
/* The URL of the test's PostgreSQL server, or NULL when the program runs
 * without one (then its PostgreSQL cases are not registered; CTest's
 * tune/..._postgres tests run them under pg_server.sh). */
const char *test_postgres_url(void);
int test_storage_fixture_close(void **state);

/* Search space parameters for the sampler tests: name, choices and
 * condition are borrowed (string literals, the caller's arrays), so never
 * dial_space_free a space of them. */
dial_param test_float_param(const char *name, double low, double high, bool log);
dial_param test_int_param(const char *name, double low, double high, double step, bool log);
dial_param test_choice_param(const char *name, char **choices, size_t n, const char *condition);
/* A sampler of kind over the n params (the sampler copies them), the
 * other settings at their defaults; fails the test on error. */
dial_sampler *test_sampler_make(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                dial_param *params, size_t n);

#endif
