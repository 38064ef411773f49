/*
 * The PostgreSQL storage (internal to storage_postgres*.c): the connection,
 * the transaction loop and the small helpers that storage_postgres.c (the
 * connection, the schema, the ops table), storage_postgres_trials.c
 * (running trials), storage_postgres_read.c (reading a study) and
 * storage_postgres_studies.c (the studies and the queue) share. Only these
 * files see libpq.
 */
#ifndef DIAL_TUNE_STORAGE_POSTGRES_INTERNAL_H
#define DIAL_TUNE_STORAGE_POSTGRES_INTERNAL_H

#include <libpq-fe.h>
#include <math.h>
#include <stdlib.h>

#include "tune/storage.h"

/* The same schema version as SQLite's (storage_sqlite_internal.h): the
 * tables, columns and meanings are the same, so a study copies across. */
#define DIAL_POSTGRES_SCHEMA_VERSION 3

/* At most this many statements prepared per connection; more run
 * unprepared. */
#define PG_PREPARED_MAX 96

typedef struct pg_storage {
    PGconn *conn;
    char *conninfo; /* as given, for reconnecting; never printed */
    char *where;    /* the same with its password hidden, for messages */
    int version;
    bool read_only;
    char sqlstate[6];  /* of the last failed statement ("" when the connection broke) */
    char failure[256]; /* its message, for the error line */
    dial_rng jitter;   /* only spreads retries in time; never reaches a result */
    unsigned attempt;  /* 0 on a body's first run, then counts its retries */
    /* The statements prepared on this connection (PQprepare once, then
     * PQexecPrepared): prepared[i] is the SQL of statement "dial_i", known
     * by its address (every SQL text here is static). A new connection
     * starts with none. */
    const char *prepared[PG_PREPARED_MAX];
    int n_prepared;
} pg_storage;

/* What a transaction body returns: PG_DONE, PG_ERROR (a statement failed;
 * store->sqlstate says whether to retry) or PG_FAILED (a dial error is
 * recorded on ctx and *status set: a direction mismatch, a lost study). */
#define PG_DONE 0
#define PG_ERROR (-2)
#define PG_FAILED (-1)
typedef int (*pg_txn_fn)(dial_ctx *ctx, pg_storage *store, void *arg, dial_status *status);

/* Runs one transaction body, retrying it from the start (after a rollback)
 * on a serialization failure, a deadlock, a lost connection or a server
 * that restarts or lacks room, with a growing jittered pause, for a bounded
 * time; then fails with one line naming the server and `what` ("while
 * starting a trial"). The body begins and commits its own transaction. */
dial_status dial_pg_transact(dial_ctx *ctx, pg_storage *store, const char *what, pg_txn_fn body,
                             void *arg);

/* Text parameters of one statement: numbers formatted in place, NULL for
 * SQL NULL (a NaN number). At most PG_MAX_PARAMS. */
#define PG_MAX_PARAMS 12
typedef struct pg_params {
    const char *values[PG_MAX_PARAMS];
    char text[PG_MAX_PARAMS][32];
    int n;
} pg_params;

void dial_pg_param_int(pg_params *params, int64_t value);
/* NaN is NULL; infinities are PostgreSQL's 'Infinity'. */
void dial_pg_param_double(pg_params *params, double value);
/* Borrowed: text must outlive the statement. NULL is SQL NULL. */
void dial_pg_param_text(pg_params *params, const char *text);

/* Runs sql with n text params (values may hold NULLs): prepared on the
 * connection the first time (sql must be static: its address names the
 * statement), executed by name after that. Returns the result
 * when it succeeded (the caller PQclear's it), else NULL with
 * store->sqlstate and store->failure filled. */
PGresult *dial_pg_exec(pg_storage *store, const char *sql, int n, const char *const *values);
/* The same with a pg_params (params may be NULL: no parameters). */
PGresult *dial_pg_query(pg_storage *store, const char *sql, const pg_params *params);
/* Runs a statement whose rows are not wanted: PG_DONE or PG_ERROR. */
int dial_pg_command(pg_storage *store, const char *sql, const pg_params *params);

/* Column readers: NULL reads as NaN / 0 / "". */
double dial_pg_number(const PGresult *result, int row, int column);
int64_t dial_pg_int(const PGresult *result, int row, int column);
static inline const char *dial_pg_text(const PGresult *result, int row, int column) {
    return PQgetvalue(result, row, column);
}
static inline bool dial_pg_null(const PGresult *result, int row, int column) {
    return PQgetisnull(result, row, column) != 0;
}

/* Records "out of memory reading a study" and ends the body. */
static inline int dial_pg_nomem(dial_ctx *ctx, PGresult *result, dial_status *status) {
    PQclear(result);
    *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
    return PG_FAILED;
}

/* Running trials (storage_postgres_trials.c), for the ops table. */
dial_status dial_pg_start_trial(dial_ctx *ctx, void *self, int64_t study_id,
                                const dial_storage_start *request, dial_storage_trial *out);
dial_status dial_pg_set_param(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                              const char *name, dial_param_kind kind, double value,
                              const char *text);
dial_status dial_pg_report(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step, double value,
                           double now);
dial_status dial_pg_report_path(dial_ctx *ctx, void *self, int64_t trial_id, const int64_t *steps,
                                const double *values, size_t n, double now);
dial_status dial_pg_heartbeat(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                              double now);
dial_status dial_pg_finish(dial_ctx *ctx, void *self, int64_t trial_id, dial_trial_state state,
                           double value, const char *message, double now, bool *was_stale);

/* Reading a study (storage_postgres_read.c), for the ops table. */
dial_status dial_pg_trials(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out);
dial_status dial_pg_trials_from(dial_ctx *ctx, void *self, int64_t study_id, int64_t from_number,
                                dial_trial_list *out);
dial_status dial_pg_find_trial(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                               int64_t *trial_id, dial_trial_record *out, bool *found);
dial_status dial_pg_best(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                         dial_trial_record *out, bool *found);
dial_status dial_pg_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                           int64_t *running);
dial_status dial_pg_tally(dial_ctx *ctx, void *self, int64_t study_id, dial_storage_tally *out);
dial_status dial_pg_leaders(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                            size_t n, dial_trial_list *out);

/* Lists the trials numbered from_number or more into *out (empty on
 * entry) inside the caller's transaction: PG_DONE, PG_ERROR or PG_FAILED
 * (out of memory, *status set). */
int dial_pg_list_in_transaction(dial_ctx *ctx, pg_storage *store, int64_t study_id,
                                int64_t from_number, dial_trial_list *out, dial_status *status);

/* Copying a study whole (storage_postgres_copy.c), for the ops table. */
dial_status dial_pg_dump_study(dial_ctx *ctx, void *self, const char *name,
                               dial_storage_study_dump *out, bool *found);
dial_status dial_pg_load_study(dial_ctx *ctx, void *self, const dial_storage_study_dump *study,
                               bool *created);

/* The studies and the queue (storage_postgres_studies.c). */
dial_status dial_pg_open_study(dial_ctx *ctx, void *self, const char *name,
                               dial_direction direction, const dial_study_identity *identity,
                               int64_t *study_id);
dial_status dial_pg_find_study(dial_ctx *ctx, void *self, const char *name, int64_t *study_id,
                               dial_direction *direction, dial_study_identity *identity,
                               bool *found);
dial_status dial_pg_studies(dial_ctx *ctx, void *self, dial_study_summary **out, size_t *n);
dial_status dial_pg_delete_study(dial_ctx *ctx, void *self, const char *name, bool *found);
dial_status dial_pg_rename_study(dial_ctx *ctx, void *self, const char *from, const char *to,
                                 bool *found);
dial_status dial_pg_enqueue(dial_ctx *ctx, void *self, int64_t study_id,
                            const dial_trial_record *params, bool *added);

/* Inserts record's params, in order, under owner: a trial's (queue
 * false) or a queue entry's (queue true). Inside the caller's
 * transaction; PG_DONE or PG_ERROR. */
int dial_pg_write_params(pg_storage *store, bool queue, int64_t owner,
                         const dial_trial_record *record);
#endif
