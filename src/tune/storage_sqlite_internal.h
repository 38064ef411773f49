/*
 * The SQLite storage (internal to storage_sqlite*.c): the connection, the
 * transaction loop, the prepared statements and the small helpers that
 * storage_sqlite.c (the connection, the schema, running trials),
 * storage_sqlite_read.c (reading a study's trials) and
 * storage_sqlite_studies.c (the studies: create, resume, find, list,
 * delete, rename) share.
 */
#ifndef DIAL_TUNE_STORAGE_SQLITE_INTERNAL_H
#define DIAL_TUNE_STORAGE_SQLITE_INTERNAL_H

#include <math.h>
#include <sqlite3.h>

#include "tune/storage.h"

/* Version 2 added trial_path, version 3 study_identity; older files gain
 * them when opened for writing. */
#define DIAL_SQLITE_SCHEMA_VERSION 3

/* The statements prepared once per connection (their SQL is in
 * storage_sqlite.c): those of every trial, and of reading a study. */
enum statement {
    BEGIN_WRITE,
    BEGIN_READ,
    COMMIT,
    ROLLBACK,
    STALE_FIND,
    STALE_MARK,
    QUEUE_PUSH,
    QUEUE_COPY_PARAMS,
    QUEUE_DROP,
    STUDY_COUNTS,
    STUDY_STALE,
    QUEUE_HEAD,
    TRIAL_INSERT,
    TRIAL_TAKE_QUEUED,
    QUEUE_PARAMS,
    QUEUE_PARAMS_DROP,
    STUDY_STARTED,
    PARAM_SET,
    VALUE_SET,
    PATH_CLEAR,
    PATH_SET,
    HEARTBEAT,
    TRIAL_STATE,
    TRIAL_FINISH,
    STUDY_FINISHED,
    LIST_TRIALS,
    LIST_PARAMS,
    LIST_VALUES,
    LIST_PATHS,
    BEST_MIN,
    BEST_MAX,
    BEST_TRIAL,
    TRIAL_ROW,
    TRIAL_PARAMS,
    TRIAL_VALUES,
    TRIAL_PATH,
    STATEMENT_COUNT
};

typedef struct sqlite_storage {
    sqlite3 *db;
    char *path;
    sqlite3_stmt **statements; /* the prepared statements of storage_sqlite.c */
    int version;               /* the file's schema version (below 3 only when read-only) */
    bool read_only;
    dial_rng jitter; /* only spreads retries in time; never reaches a result */
} sqlite_storage;

/* A transaction body returns an SQLite result code, or TXN_FAILED after
 * recording a dial error on ctx (a direction mismatch, a bad file). */
#define TXN_FAILED (-1)
typedef int (*txn_fn)(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status);

/* Runs one transaction body, retrying it from the start while another
 * process holds the lock. The body begins and commits its own transaction;
 * whatever it leaves open on failure is rolled back. `what` ends the
 * message of a failure ("while opening the study"). */
dial_status dial_sqlite_transact(dial_ctx *ctx, sqlite_storage *store, const char *what,
                                 txn_fn body, void *arg);

/* Runs a statement that returns no rows; SQLITE_OK when it succeeded. */
static inline int run(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Steps a query: SQLITE_ROW or SQLITE_DONE (then it is reset), or an error. */
static inline int next_row(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) sqlite3_reset(stmt);
    return rc;
}

static inline double column_number(sqlite3_stmt *stmt, int column) {
    return sqlite3_column_type(stmt, column) == SQLITE_NULL ? NAN
                                                            : sqlite3_column_double(stmt, column);
}

static inline const char *column_text(sqlite3_stmt *stmt, int column) {
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return text ? (const char *)text : "";
}

/* The statement, reset and ready for new bindings. */
static inline sqlite3_stmt *statement(sqlite_storage *store, enum statement id) {
    sqlite3_stmt *stmt = store->statements[id];
    sqlite3_reset(stmt);
    return stmt;
}

static inline int run_id(sqlite_storage *store, enum statement id) {
    return run(statement(store, id));
}

/* Records "out of memory reading a study" and ends the body. */
static inline int nomem(dial_ctx *ctx, sqlite3_stmt *stmt, dial_status *status) {
    if (stmt) sqlite3_reset(stmt);
    *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
    return TXN_FAILED;
}

/* Reading a study (storage_sqlite_read.c), for the ops table. */
dial_status dial_sqlite_trials(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out);
dial_status dial_sqlite_trials_from(dial_ctx *ctx, void *self, int64_t study_id,
                                    int64_t from_number, dial_trial_list *out);
dial_status dial_sqlite_find_trial(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                                   int64_t *trial_id, dial_trial_record *out, bool *found);
dial_status dial_sqlite_best(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                             dial_trial_record *out, bool *found);
dial_status dial_sqlite_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                               int64_t *running);
dial_status dial_sqlite_tally(dial_ctx *ctx, void *self, int64_t study_id, dial_storage_tally *out);
dial_status dial_sqlite_leaders(dial_ctx *ctx, void *self, int64_t study_id,
                                dial_direction direction, size_t n, dial_trial_list *out);

/* Lists the trials numbered from_number or more into *out (empty on
 * entry), inside the caller's transaction: SQLITE_OK, an SQLite error, or
 * TXN_FAILED with *status set (out of memory). */
int dial_sqlite_list_in_transaction(dial_ctx *ctx, sqlite_storage *store, int64_t study_id,
                                    int64_t from_number, dial_trial_list *out, dial_status *status);

/* Copying a study whole (storage_sqlite_copy.c), for the ops table. */
dial_status dial_sqlite_dump_study(dial_ctx *ctx, void *self, const char *name,
                                   dial_storage_study_dump *out, bool *found);
dial_status dial_sqlite_load_study(dial_ctx *ctx, void *self, const dial_storage_study_dump *study,
                                   bool *created);

/* The study operations of storage_sqlite_studies.c, for the ops table. */
dial_status dial_sqlite_open_study(dial_ctx *ctx, void *self, const char *name,
                                   dial_direction direction, const dial_study_identity *identity,
                                   int64_t *study_id);
dial_status dial_sqlite_find_study(dial_ctx *ctx, void *self, const char *name, int64_t *study_id,
                                   dial_direction *direction, dial_study_identity *identity,
                                   bool *found);
dial_status dial_sqlite_studies(dial_ctx *ctx, void *self, dial_study_summary **out, size_t *n);
dial_status dial_sqlite_delete_study(dial_ctx *ctx, void *self, const char *name, bool *found);
dial_status dial_sqlite_rename_study(dial_ctx *ctx, void *self, const char *from, const char *to,
                                     bool *found);

/* The queue of known configurations (storage_sqlite_queue.c), for the ops
 * table. */
dial_status dial_sqlite_enqueue(dial_ctx *ctx, void *self, int64_t study_id,
                                const dial_trial_record *params, bool *added);

#endif
