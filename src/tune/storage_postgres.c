/* The PostgreSQL storage: studies in a database that workers on many
 * machines share, with the tables, columns and meanings of the SQLite
 * storage (docs/study-schema.md), so a study reads the same in either.
 *
 * Durability: every write is its own committed transaction, as in SQLite;
 * the server's own settings (synchronous_commit, fsync) decide what a
 * power cut keeps. The two that hold the study's row lock (a start and a
 * finish) commit without waiting for the disk, so the lock is not held
 * through a flush; the worker's next write (a start's params) or a write
 * of its own right after (a finish) waits for the flush instead, outside
 * the lock (storage_postgres_trials.c).
 *
 * Concurrency: no table locks. A trial start locks its study's row
 * (SELECT ... FOR UPDATE) for one short transaction: the row holds the
 * counters that number trials and count the budget, so starts of one study
 * take turns there while other studies and every other write (params,
 * reports, heartbeats) go on beside them. A finish takes the same row lock
 * before the trial's, so a start and a finish lock in one order and never
 * deadlock; should the server still abort a transaction (a deadlock or a
 * serialization failure), it is rolled back and run again.
 *
 * Failures of the server: a lost connection, a server restarting or out of
 * room is retried with a growing, jittered pause for RETRY_SECONDS, then
 * the call fails with one line. A body runs again from its BEGIN, so a
 * transaction is applied whole or not at all; the one whose COMMIT was sent
 * but not answered is recognised on its retry (a finish already stored). */
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "tune/storage_postgres_internal.h"

#define SCHEMA_VERSION DIAL_POSTGRES_SCHEMA_VERSION
#define SCHEMA_TEXT_OF(version) #version
#define SCHEMA_TEXT(version) SCHEMA_TEXT_OF(version)
#define SCHEMA_VERSION_TEXT SCHEMA_TEXT(DIAL_POSTGRES_SCHEMA_VERSION)
/* How long a worker keeps retrying a server it lost, and the longest
 * pause between two tries. */
#define RETRY_SECONDS 60.0
#define LONGEST_PAUSE 2.0
/* The key of the advisory lock under which one of several workers opening
 * a new database at once creates the schema ("dial" in ASCII). */
#define SCHEMA_LOCK "1684627820"

static const char schema_sql[] =
    "CREATE TABLE dial_schema (version INTEGER NOT NULL);\n"
    "INSERT INTO dial_schema (version) VALUES (" SCHEMA_VERSION_TEXT ");\n"
    "CREATE TABLE studies (\n"
    "  study_id BIGSERIAL PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),\n"
    "  created_at DOUBLE PRECISION NOT NULL,\n"
    "  next_number BIGINT NOT NULL DEFAULT 0,\n"
    "  next_sample BIGINT NOT NULL DEFAULT 0,\n"
    "  n_running BIGINT NOT NULL DEFAULT 0,\n"
    "  n_finished BIGINT NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE trials (\n"
    "  trial_id BIGSERIAL PRIMARY KEY,\n"
    "  study_id BIGINT NOT NULL REFERENCES studies (study_id),\n"
    "  number BIGINT NOT NULL,\n"
    "  sample BIGINT,\n"
    "  state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'pruned', 'failed')),\n"
    "  value DOUBLE PRECISION,\n"
    "  started_at DOUBLE PRECISION NOT NULL,\n"
    "  finished_at DOUBLE PRECISION,\n"
    "  heartbeat DOUBLE PRECISION NOT NULL,\n"
    "  stale INTEGER NOT NULL DEFAULT 0,\n"
    "  message TEXT,\n"
    "  UNIQUE (study_id, number)\n"
    ");\n"
    "CREATE INDEX trials_running ON trials (study_id, heartbeat) WHERE state = 'running';\n"
    "CREATE INDEX trials_complete ON trials (study_id, value, number) WHERE state = 'complete';\n"
    "CREATE TABLE trial_params (\n"
    "  trial_id BIGINT NOT NULL REFERENCES trials (trial_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value DOUBLE PRECISION NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (trial_id, name)\n"
    ");\n"
    "CREATE TABLE trial_values (\n"
    "  trial_id BIGINT NOT NULL REFERENCES trials (trial_id),\n"
    "  step BIGINT NOT NULL,\n"
    "  value DOUBLE PRECISION,\n"
    "  PRIMARY KEY (trial_id, step)\n"
    ");\n"
    "CREATE TABLE param_queue (\n"
    "  queue_id BIGSERIAL PRIMARY KEY,\n"
    "  study_id BIGINT NOT NULL REFERENCES studies (study_id),\n"
    "  from_number BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX param_queue_by_study ON param_queue (study_id, queue_id);\n"
    "CREATE TABLE param_queue_params (\n"
    "  queue_id BIGINT NOT NULL REFERENCES param_queue (queue_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value DOUBLE PRECISION NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (queue_id, name)\n"
    ");\n"
    "CREATE TABLE trial_path (\n"
    "  trial_id BIGINT NOT NULL REFERENCES trials (trial_id),\n"
    "  step BIGINT NOT NULL,\n"
    "  value DOUBLE PRECISION,\n"
    "  PRIMARY KEY (trial_id, step)\n"
    ");\n"
    "CREATE TABLE study_identity (\n"
    "  study_id BIGINT NOT NULL REFERENCES studies (study_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  PRIMARY KEY (study_id, key)\n"
    ");\n";

/* ---- statements ----------------------------------------------------------- */

static const char *param_slot(pg_params *params) {
    return params->n < PG_MAX_PARAMS ? params->text[params->n] : NULL;
}

void dial_pg_param_int(pg_params *params, int64_t value) {
    if (params->n >= PG_MAX_PARAMS) return;
    snprintf(params->text[params->n], sizeof params->text[0], "%lld", (long long)value);
    params->values[params->n] = param_slot(params);
    params->n++;
}

void dial_pg_param_double(pg_params *params, double value) {
    if (params->n >= PG_MAX_PARAMS) return;
    if (isnan(value))
        params->values[params->n] = NULL;
    else if (isinf(value))
        params->values[params->n] = value > 0 ? "Infinity" : "-Infinity";
    else {
        /* 17 significant digits: the double reads back exactly. */
        snprintf(params->text[params->n], sizeof params->text[0], "%.17g", value);
        params->values[params->n] = param_slot(params);
    }
    params->n++;
}

void dial_pg_param_text(pg_params *params, const char *text) {
    if (params->n >= PG_MAX_PARAMS) return;
    params->values[params->n++] = text;
}

static void note_failure(pg_storage *store, const PGresult *result) {
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    snprintf(store->sqlstate, sizeof store->sqlstate, "%s", state ? state : "");
    const char *message = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!message) message = PQerrorMessage(store->conn);
    snprintf(store->failure, sizeof store->failure, "%s", message && *message ? message : "?");
    /* libpq's messages end with a newline; the error line must not. */
    size_t length = strlen(store->failure);
    while (length > 0 && (store->failure[length - 1] == '\n' || store->failure[length - 1] == ' '))
        store->failure[--length] = '\0';
}

/* The name of sql's prepared statement on this connection, preparing it
 * first when it is new: false (store->failure set) when the server refused
 * it; *name is "" when the cache is full (then it runs unprepared). */
static bool prepared_name(pg_storage *store, const char *sql, int n, char *name, size_t size) {
    name[0] = '\0';
    int i = 0;
    while (i < store->n_prepared && store->prepared[i] != sql) i++;
    if (i == PG_PREPARED_MAX) return true;
    snprintf(name, size, "dial_%d", i);
    if (i < store->n_prepared) return true;
    PGresult *result = PQprepare(store->conn, name, sql, n, NULL);
    bool ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
    if (ok)
        store->prepared[store->n_prepared++] = sql;
    else
        note_failure(store, result);
    PQclear(result);
    return ok;
}

PGresult *dial_pg_exec(pg_storage *store, const char *sql, int n, const char *const *values) {
    /* Without parameters, PQexec: it also runs several statements (the
     * schema, the session's settings, BEGIN and COMMIT). With them, a
     * statement prepared once per connection: the server parses and plans
     * it once, not once per trial. */
    char name[32];
    if (n > 0 && !prepared_name(store, sql, n, name, sizeof name)) return NULL;
    PGresult *result = n == 0    ? PQexec(store->conn, sql)
                       : name[0] ? PQexecPrepared(store->conn, name, n, values, NULL, NULL, 0)
                                 : PQexecParams(store->conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    note_failure(store, result);
    PQclear(result);
    return NULL;
}

PGresult *dial_pg_query(pg_storage *store, const char *sql, const pg_params *params) {
    return dial_pg_exec(store, sql, params ? params->n : 0, params ? params->values : NULL);
}

int dial_pg_command(pg_storage *store, const char *sql, const pg_params *params) {
    PGresult *result = dial_pg_query(store, sql, params);
    if (!result) return PG_ERROR;
    PQclear(result);
    return PG_DONE;
}

double dial_pg_number(const PGresult *result, int row, int column) {
    if (PQgetisnull(result, row, column)) return NAN;
    return strtod(PQgetvalue(result, row, column), NULL);
}

int64_t dial_pg_int(const PGresult *result, int row, int column) {
    if (PQgetisnull(result, row, column)) return 0;
    return strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* ---- the transaction loop -------------------------------------------------- */

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void pause_seconds(double seconds) {
    struct timespec wait = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
    }
}

/* Whether a failure may pass when the body runs again: the server aborted
 * the transaction for another's sake (40001, 40P01), the connection broke
 * (class 08, or no SQLSTATE at all and a bad connection), the server is
 * shutting down or starting (57P01-57P03), or it lacks room or resources
 * (class 53: disk full, out of memory, too many connections; and a table
 * file the server could not extend, whose SQLSTATE is outside class 53
 * when the cause is a file size limit (EFBIG) rather than ENOSPC, with
 * the same hint to check free disk space). */
static bool is_transient(const pg_storage *store) {
    const char *state = store->sqlstate;
    if (PQstatus(store->conn) != CONNECTION_OK) return true;
    if (state[0] == '\0') return false;
    if (strncmp(store->failure, "could not extend file", 21) == 0) return true;
    return strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
           strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
           strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
           strcmp(state, "57P03") == 0;
}

/* Sets the session up after each (re)connection: reads see what committed
 * before each statement, a float prints with every digit, and a storage
 * opened to read refuses every write. */
static bool session_setup(pg_storage *store) {
    if (store->read_only &&
        dial_pg_command(store, "SET default_transaction_read_only = on", NULL) != PG_DONE)
        return false;
    return dial_pg_command(store,
                           "SET client_min_messages = warning; SET extra_float_digits = 3; "
                           "SET default_transaction_isolation = 'read committed'",
                           NULL) == PG_DONE;
}

/* A broken connection is reset; true when the connection is usable. */
static bool reconnect(pg_storage *store) {
    if (PQstatus(store->conn) == CONNECTION_OK) return true;
    PQreset(store->conn);
    store->n_prepared = 0; /* a new session has none */
    if (PQstatus(store->conn) != CONNECTION_OK) {
        note_failure(store, NULL);
        return false;
    }
    return session_setup(store);
}

dial_status dial_pg_transact(dial_ctx *ctx, pg_storage *store, const char *what, pg_txn_fn body,
                             void *arg) {
    double started = monotonic_seconds();
    double pause = 0.01;
    for (store->attempt = 0;; store->attempt++) {
        dial_status status = DIAL_OK;
        int rc = reconnect(store) ? body(ctx, store, arg, &status) : PG_ERROR;
        if (rc == PG_DONE) return DIAL_OK;
        if (PQstatus(store->conn) == CONNECTION_OK &&
            PQtransactionStatus(store->conn) != PQTRANS_IDLE) {
            PGresult *rollback = PQexec(store->conn, "ROLLBACK");
            PQclear(rollback);
        }
        if (rc == PG_FAILED) return status;
        if (!is_transient(store))
            return dial_fail(ctx, DIAL_ERR_IO, "study storage %s: %s while %s", store->where,
                             store->failure, what);
        if (monotonic_seconds() - started > RETRY_SECONDS)
            return dial_fail(ctx, DIAL_ERR_IO,
                             "study storage %s: %s while %s; gave up after retrying for %.0f s "
                             "(the study is kept: rerun the same command to resume it)",
                             store->where, store->failure, what, RETRY_SECONDS);
        pause_seconds(pause * (0.5 + dial_rng_uniform(&store->jitter)));
        if (pause < LONGEST_PAUSE) pause *= 2;
    }
}

/* ---- the schema ------------------------------------------------------------- */

/* Reads the schema version into store->version (0: no dial tables). */
static int read_schema(dial_ctx *ctx, pg_storage *store, dial_status *status) {
    PGresult *found = dial_pg_query(store,
                                    "SELECT to_regclass('dial_schema') IS NOT NULL, "
                                    "to_regclass('studies') IS NOT NULL OR "
                                    "to_regclass('trials') IS NOT NULL",
                                    NULL);
    if (!found) return PG_ERROR;
    bool has_schema = strcmp(dial_pg_text(found, 0, 0), "t") == 0;
    bool has_tables = strcmp(dial_pg_text(found, 0, 1), "t") == 0;
    PQclear(found);
    store->version = 0;
    if (!has_schema) {
        if (!has_tables) return PG_DONE;
        *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                            "%s is not a dial study database: it has tables named studies or "
                            "trials but no dial_schema table; use another database or schema "
                            "(options=-csearch_path=NAME)",
                            store->where);
        return PG_FAILED;
    }
    PGresult *version = dial_pg_query(store, "SELECT max(version) FROM dial_schema", NULL);
    if (!version) return PG_ERROR;
    int64_t stored = dial_pg_int(version, 0, 0);
    PQclear(version);
    if (stored > SCHEMA_VERSION || stored < 1) {
        *status =
            dial_fail(ctx, DIAL_ERR_FORMAT,
                      "%s has study schema version %lld%s; this dial %s reads versions 1 to "
                      "%d%s",
                      store->where, (long long)stored,
                      stored > SCHEMA_VERSION ? ", from a newer dial" : "", DIAL_VERSION_STRING,
                      SCHEMA_VERSION, stored > SCHEMA_VERSION ? ": open it with a newer dial" : "");
        return PG_FAILED;
    }
    store->version = (int)stored;
    return PG_DONE;
}

/* Creates the schema in a database that lacks it, under an advisory lock
 * (not a table lock): of several workers opening a new database at once,
 * one creates it and the others find it made. Versions before 3 never
 * existed in PostgreSQL, so an upgrade only ever comes from a later dial. */
static int setup_body(dial_ctx *ctx, pg_storage *store, void *arg, dial_status *status) {
    (void)arg;
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE ||
        dial_pg_command(store, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", NULL) != PG_DONE)
        return PG_ERROR;
    int rc = read_schema(ctx, store, status);
    if (rc != PG_DONE) return rc;
    if (store->version == 0 && dial_pg_command(store, schema_sql, NULL) != PG_DONE) return PG_ERROR;
    store->version = SCHEMA_VERSION;
    return dial_pg_command(store, "COMMIT", NULL);
}

static int read_body(dial_ctx *ctx, pg_storage *store, void *arg, dial_status *status) {
    (void)arg;
    int rc = read_schema(ctx, store, status);
    if (rc != PG_DONE) return rc;
    if (store->version == 0) {
        *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                            "%s holds no dial study: it has no dial_schema table", store->where);
        return PG_FAILED;
    }
    return PG_DONE;
}

/* ---- opening and closing ---------------------------------------------------- */

static const dial_storage_ops postgres_ops;

static void postgres_close(void *self) {
    pg_storage *store = self;
    if (!store) return;
    PQfinish(store->conn);
    free(store->conninfo);
    free(store->where);
    free(store);
}

/* Connects, retrying a server that is not up yet for RETRY_SECONDS like
 * any lost connection; a refused login or a bad string fails at once. */
static dial_status connect_server(dial_ctx *ctx, pg_storage *store) {
    double started = monotonic_seconds();
    double pause = 0.05;
    for (;;) {
        store->conn = PQconnectdb(store->conninfo);
        if (!store->conn)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory connecting to %s", store->where);
        if (PQstatus(store->conn) == CONNECTION_OK) {
            if (session_setup(store)) return DIAL_OK;
        } else {
            note_failure(store, NULL);
        }
        /* libpq says why in text only: a server not listening yet is
         * worth waiting for, a wrong password or database is not. */
        bool waiting = strstr(store->failure, "Connection refused") ||
                       strstr(store->failure, "starting up") ||
                       strstr(store->failure, "shutting down") ||
                       strstr(store->failure, "No such file or directory") ||
                       strstr(store->failure, "timeout expired");
        PQfinish(store->conn);
        store->conn = NULL;
        if (!waiting)
            return dial_fail(ctx, DIAL_ERR_IO, "cannot open study storage %s: %s", store->where,
                             store->failure);
        if (monotonic_seconds() - started > RETRY_SECONDS)
            return dial_fail(ctx, DIAL_ERR_IO,
                             "cannot open study storage %s: %s (retried for %.0f s)", store->where,
                             store->failure, RETRY_SECONDS);
        pause_seconds(pause * (0.5 + dial_rng_uniform(&store->jitter)));
        if (pause < LONGEST_PAUSE) pause *= 2;
    }
}

dial_status dial_storage_postgres_open(dial_ctx *ctx, const char *conninfo, bool read_only,
                                       dial_storage *out) {
    *out = (dial_storage){0};
    pg_storage *store = dial_calloc(ctx, 1, sizeof *store);
    if (!store || !(store->conninfo = dial_strdup(ctx, conninfo)) ||
        !(store->where = dial_storage_redact(ctx, conninfo))) {
        if (store) free(store->conninfo);
        free(store);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening a PostgreSQL study storage");
    }
    store->read_only = read_only;
    /* Retries of workers started together must not stay in step: the pid
     * and the clock separate them. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    store->jitter =
        dial_rng_stream((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30), (uint64_t)getpid());
    dial_status status = connect_server(ctx, store);
    if (status == DIAL_OK)
        status =
            dial_pg_transact(ctx, store, "opening it", read_only ? read_body : setup_body, NULL);
    if (status != DIAL_OK) {
        postgres_close(store);
        return status;
    }
    out->ops = &postgres_ops;
    out->self = store;
    return DIAL_OK;
}

static const dial_storage_ops postgres_ops = {
    .kind = "postgresql",
    .open_study = dial_pg_open_study,
    .find_study = dial_pg_find_study,
    .studies = dial_pg_studies,
    .delete_study = dial_pg_delete_study,
    .rename_study = dial_pg_rename_study,
    .start_trial = dial_pg_start_trial,
    .set_param = dial_pg_set_param,
    .report = dial_pg_report,
    .report_path = dial_pg_report_path,
    .heartbeat = dial_pg_heartbeat,
    .finish = dial_pg_finish,
    .find_trial = dial_pg_find_trial,
    .trials = dial_pg_trials,
    .trials_from = dial_pg_trials_from,
    .best = dial_pg_best,
    .counts = dial_pg_counts,
    .tally = dial_pg_tally,
    .leaders = dial_pg_leaders,
    .enqueue = dial_pg_enqueue,
    .dump_study = dial_pg_dump_study,
    .load_study = dial_pg_load_study,
    .close = postgres_close,
};
