/* The SQLite storage: several named studies in one file that the user can
 * open with `sqlite3`, shared by any number of worker processes.
 *
 * Durability: every write is its own committed transaction (a trial start,
 * a param, a report, a path, a finish), in WAL journal mode with synchronous=NORMAL.
 * A committed transaction is in the write-ahead log before COMMIT returns,
 * so it survives the death of the process at any moment (kill -9, the
 * failure the heartbeats are there for). What NORMAL gives up against FULL
 * is only the fsync of the log at each commit: after a power cut or an OS
 * crash the file is still consistent but may lack the last trials, which a
 * rerun runs again. FULL would add one fsync per write, the dominant cost
 * of a trial; docs/study-schema.md has the figures.
 *
 * Concurrency: every multi-statement write starts with BEGIN IMMEDIATE, so a
 * transaction takes the write lock before it reads what it will change (a
 * deferred transaction that upgrades can fail with SQLITE_BUSY however long
 * it waits). The busy timeout waits for short locks; a transaction that
 * still meets SQLITE_BUSY is rolled back and retried from the start after a
 * jittered, growing pause, so workers started at once do not retry in step.
 * Readers never block writers in WAL mode.
 *
 * Cost per trial: prepared statements are made once per connection; the
 * trial budget comes from counters kept in the study's row and the stale
 * sweep and the best trial from indexes, so nothing scans the history. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/text.h"
#include "tune/record.h"
#include "tune/storage.h"

/* Version 2 added trial_path; a version-1 file gains it when opened. */
#define SCHEMA_VERSION 2
#define SCHEMA_TEXT_OF(version) #version
#define SCHEMA_TEXT(version) SCHEMA_TEXT_OF(version)
#define SCHEMA_VERSION_TEXT SCHEMA_TEXT(SCHEMA_VERSION) /* "2", for the SQL below */
/* How long the busy handler waits for a lock before the retry loop takes
 * over, and how long the retry loop keeps trying. */
#define BUSY_TIMEOUT_MS 1000
#define RETRY_SECONDS 120.0

/* The table of version 2, in the form that both creates a new file and
 * upgrades a version-1 one. */
#define TRIAL_PATH_SQL                                            \
    "CREATE TABLE IF NOT EXISTS trial_path (\n"                   \
    "  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),\n" \
    "  step INTEGER NOT NULL,\n"                                  \
    "  value REAL,\n"                                             \
    "  PRIMARY KEY (trial_id, step)\n"                            \
    ") WITHOUT ROWID;\n"

static const char schema_sql[] =
    "CREATE TABLE dial_schema (version INTEGER NOT NULL);\n"
    "INSERT INTO dial_schema (version) VALUES (" SCHEMA_VERSION_TEXT ");\n"
    "CREATE TABLE studies (\n"
    "  study_id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),\n"
    "  created_at REAL NOT NULL,\n"
    "  next_number INTEGER NOT NULL DEFAULT 0,\n"
    "  next_sample INTEGER NOT NULL DEFAULT 0,\n"
    "  n_running INTEGER NOT NULL DEFAULT 0,\n"
    "  n_finished INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE trials (\n"
    "  trial_id INTEGER PRIMARY KEY,\n"
    "  study_id INTEGER NOT NULL REFERENCES studies (study_id),\n"
    "  number INTEGER NOT NULL,\n"
    "  sample INTEGER,\n"
    "  state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'pruned', 'failed')),\n"
    "  value REAL,\n"
    "  started_at REAL NOT NULL,\n"
    "  finished_at REAL,\n"
    "  heartbeat REAL NOT NULL,\n"
    "  stale INTEGER NOT NULL DEFAULT 0,\n"
    "  message TEXT,\n"
    "  UNIQUE (study_id, number)\n"
    ");\n"
    "CREATE INDEX trials_running ON trials (study_id, heartbeat) WHERE state = 'running';\n"
    "CREATE INDEX trials_complete ON trials (study_id, value, number) WHERE state = 'complete';\n"
    "CREATE TABLE trial_params (\n"
    "  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value REAL NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (trial_id, name)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE trial_values (\n"
    "  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),\n"
    "  step INTEGER NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (trial_id, step)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE param_queue (\n"
    "  queue_id INTEGER PRIMARY KEY,\n"
    "  study_id INTEGER NOT NULL REFERENCES studies (study_id),\n"
    "  from_number INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX param_queue_by_study ON param_queue (study_id, queue_id);\n"
    "CREATE TABLE param_queue_params (\n"
    "  queue_id INTEGER NOT NULL REFERENCES param_queue (queue_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value REAL NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (queue_id, name)\n"
    ") WITHOUT ROWID;\n" TRIAL_PATH_SQL;

static const char upgrade_from_1_sql[] =
    TRIAL_PATH_SQL "UPDATE dial_schema SET version = " SCHEMA_VERSION_TEXT ";\n";

enum statement {
    BEGIN_WRITE,
    BEGIN_READ,
    COMMIT,
    ROLLBACK,
    STUDY_FIND,
    STUDY_INSERT,
    STUDY_LIST,
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

static const char *const statement_sql[STATEMENT_COUNT] = {
    [BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [BEGIN_READ] = "BEGIN",
    [COMMIT] = "COMMIT",
    [ROLLBACK] = "ROLLBACK",
    [STUDY_FIND] = "SELECT study_id, direction FROM studies WHERE name = ?1",
    [STUDY_INSERT] = "INSERT INTO studies (name, direction, created_at) VALUES (?1, ?2, ?3)",
    [STUDY_LIST] = "SELECT name, direction FROM studies ORDER BY name",
    [STALE_FIND] = "SELECT trial_id, number FROM trials "
                   "WHERE study_id = ?1 AND state = 'running' AND heartbeat < ?2",
    [STALE_MARK] = "UPDATE trials SET state = 'failed', stale = 1, finished_at = ?2, "
                   "message = ?3 WHERE trial_id = ?1",
    [QUEUE_PUSH] = "INSERT INTO param_queue (study_id, from_number) VALUES (?1, ?2)",
    [QUEUE_COPY_PARAMS] = "INSERT INTO param_queue_params (queue_id, position, name, kind, value, "
                          "text) SELECT ?1, position, name, kind, value, text FROM trial_params "
                          "WHERE trial_id = ?2",
    [QUEUE_DROP] = "DELETE FROM param_queue WHERE queue_id = ?1",
    [STUDY_COUNTS] = "SELECT next_number, next_sample, n_finished, n_running FROM studies "
                     "WHERE study_id = ?1",
    [STUDY_STALE] = "UPDATE studies SET n_running = n_running - ?2 WHERE study_id = ?1",
    [QUEUE_HEAD] = "SELECT queue_id FROM param_queue WHERE study_id = ?1 "
                   "ORDER BY queue_id LIMIT 1",
    [TRIAL_INSERT] = "INSERT INTO trials (study_id, number, sample, state, started_at, heartbeat) "
                     "VALUES (?1, ?2, ?3, 'running', ?4, ?4)",
    [TRIAL_TAKE_QUEUED] = "INSERT INTO trial_params (trial_id, position, name, kind, value, text) "
                          "SELECT ?1, position, name, kind, value, text FROM param_queue_params "
                          "WHERE queue_id = ?2",
    [QUEUE_PARAMS] = "SELECT name, kind, value, text FROM param_queue_params "
                     "WHERE queue_id = ?1 ORDER BY position",
    [QUEUE_PARAMS_DROP] = "DELETE FROM param_queue_params WHERE queue_id = ?1",
    [STUDY_STARTED] = "UPDATE studies SET next_number = ?2, next_sample = ?3, "
                      "n_running = n_running + 1 WHERE study_id = ?1",
    [PARAM_SET] = "INSERT OR REPLACE INTO trial_params (trial_id, position, name, kind, value, "
                  "text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [VALUE_SET] = "INSERT OR REPLACE INTO trial_values (trial_id, step, value) VALUES (?1, ?2, ?3)",
    [PATH_CLEAR] = "DELETE FROM trial_path WHERE trial_id = ?1",
    [PATH_SET] = "INSERT INTO trial_path (trial_id, step, value) VALUES (?1, ?2, ?3)",
    [HEARTBEAT] = "UPDATE trials SET heartbeat = ?2 WHERE trial_id = ?1 AND state = 'running'",
    [TRIAL_STATE] = "SELECT study_id, number, state, stale FROM trials WHERE trial_id = ?1",
    [TRIAL_FINISH] = "UPDATE trials SET state = ?2, value = ?3, finished_at = ?4, message = ?5 "
                     "WHERE trial_id = ?1",
    [STUDY_FINISHED] = "UPDATE studies SET n_running = n_running - 1, "
                       "n_finished = n_finished + 1 WHERE study_id = ?1",
    [LIST_TRIALS] = "SELECT number, state, value, started_at, finished_at, stale, message "
                    "FROM trials WHERE study_id = ?1 ORDER BY number",
    [LIST_PARAMS] = "SELECT t.number, p.name, p.kind, p.value, p.text FROM trials t "
                    "JOIN trial_params p ON p.trial_id = t.trial_id WHERE t.study_id = ?1 "
                    "ORDER BY t.number, p.position",
    [LIST_VALUES] = "SELECT t.number, v.step, v.value FROM trials t "
                    "JOIN trial_values v ON v.trial_id = t.trial_id WHERE t.study_id = ?1 "
                    "ORDER BY t.number, v.step",
    [LIST_PATHS] = "SELECT t.number, p.step, p.value FROM trials t "
                   "JOIN trial_path p ON p.trial_id = t.trial_id WHERE t.study_id = ?1 "
                   "ORDER BY t.number, p.step",
    [BEST_MIN] = "SELECT min(value) FROM trials WHERE study_id = ?1 AND state = 'complete'",
    [BEST_MAX] = "SELECT max(value) FROM trials WHERE study_id = ?1 AND state = 'complete'",
    [BEST_TRIAL] = "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = 'complete' "
                   "AND value = ?2 ORDER BY number LIMIT 1",
    [TRIAL_ROW] = "SELECT number, state, value, started_at, finished_at, stale, message "
                  "FROM trials WHERE trial_id = ?1",
    [TRIAL_PARAMS] = "SELECT name, kind, value, text FROM trial_params WHERE trial_id = ?1 "
                     "ORDER BY position",
    [TRIAL_VALUES] = "SELECT step, value FROM trial_values WHERE trial_id = ?1 ORDER BY step",
    [TRIAL_PATH] = "SELECT step, value FROM trial_path WHERE trial_id = ?1 ORDER BY step",
};

typedef struct sqlite_storage {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *statements[STATEMENT_COUNT];
    dial_rng jitter; /* only spreads retries in time; never reaches a result */
} sqlite_storage;

/* A transaction body returns an SQLite result code, or TXN_FAILED after
 * recording a dial error on ctx (a direction mismatch, a bad file). */
#define TXN_FAILED (-1)
typedef int (*txn_fn)(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status);

/* The statement, reset and ready for new bindings. */
static sqlite3_stmt *statement(sqlite_storage *store, enum statement id) {
    sqlite3_stmt *stmt = store->statements[id];
    sqlite3_reset(stmt);
    return stmt;
}

/* Runs a statement that returns no rows; SQLITE_OK when it succeeded. */
static int run(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int run_id(sqlite_storage *store, enum statement id) { return run(statement(store, id)); }

/* Steps a query: SQLITE_ROW or SQLITE_DONE (then it is reset), or an error. */
static int next_row(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) sqlite3_reset(stmt);
    return rc;
}

static double column_number(sqlite3_stmt *stmt, int column) {
    return sqlite3_column_type(stmt, column) == SQLITE_NULL ? NAN
                                                            : sqlite3_column_double(stmt, column);
}

static const char *column_text(sqlite3_stmt *stmt, int column) {
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return text ? (const char *)text : "";
}

static void bind_number(sqlite3_stmt *stmt, int index, double value) {
    if (isnan(value))
        sqlite3_bind_null(stmt, index);
    else
        sqlite3_bind_double(stmt, index, value);
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text) {
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

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

static bool is_busy(int rc) {
    return rc != TXN_FAILED && ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED);
}

static dial_status sqlite_error(dial_ctx *ctx, const sqlite_storage *store, int rc,
                                const char *message, const char *what) {
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s is not a dial study database: it is not an SQLite file", store->path);
    case SQLITE_CORRUPT:
        return dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s is damaged (%s) while %s",
                         store->path, message, what);
    case SQLITE_NOMEM:
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in study storage %s while %s",
                         store->path, what);
    default:
        return dial_fail(ctx, DIAL_ERR_IO, "study storage %s: %s while %s", store->path, message,
                         what);
    }
}

/* Runs one transaction body, retrying it from the start while another
 * process holds the lock. The body begins and commits its own transaction;
 * whatever it leaves open on failure is rolled back here. */
static dial_status transact(dial_ctx *ctx, sqlite_storage *store, const char *what, txn_fn body,
                            void *arg) {
    double started = monotonic_seconds();
    double pause = 0.001;
    for (;;) {
        dial_status status = DIAL_OK;
        int rc = body(ctx, store, arg, &status);
        if (rc == SQLITE_OK) return DIAL_OK;
        char message[256];
        snprintf(message, sizeof message, "%s", sqlite3_errmsg(store->db));
        if (!sqlite3_get_autocommit(store->db)) run_id(store, ROLLBACK);
        if (rc == TXN_FAILED) return status;
        if (!is_busy(rc)) return sqlite_error(ctx, store, rc, message, what);
        if (monotonic_seconds() - started > RETRY_SECONDS)
            return dial_fail(ctx, DIAL_ERR_IO,
                             "study storage %s stayed locked by other workers for %.0f s while "
                             "%s",
                             store->path, RETRY_SECONDS, what);
        pause_seconds(pause * (0.5 + dial_rng_uniform(&store->jitter)));
        if (pause < 0.1) pause *= 2;
    }
}

/* ---- opening ------------------------------------------------------------ */

static int setup_body(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(stmt);
    bool wal = rc == SQLITE_ROW && strcmp(column_text(stmt, 0), "wal") == 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
    if (!wal)
        dial_log(ctx, DIAL_LOG_WARN,
                 "study storage %s: the file system does not allow WAL mode; workers sharing it "
                 "will wait for each other more",
                 store->path);
    /* Per connection: see the file comment for why NORMAL. */
    rc = sqlite3_exec(store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;

    rc = sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_prepare_v2(store->db,
                            "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'), "
                            "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'dial_schema')",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(stmt);
    int64_t tables = sqlite3_column_int64(stmt, 0);
    bool has_schema = sqlite3_column_int64(stmt, 1) > 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return rc;

    if (!has_schema) {
        if (tables > 0) {
            *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                "%s is not a dial study database: it has tables but no "
                                "dial_schema table",
                                store->path);
            return TXN_FAILED;
        }
        rc = sqlite3_exec(store->db, schema_sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) return rc;
    } else {
        rc = sqlite3_prepare_v2(store->db, "SELECT max(version) FROM dial_schema", -1, &stmt, NULL);
        if (rc != SQLITE_OK) return rc;
        rc = sqlite3_step(stmt);
        int64_t version = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_ROW) return rc;
        if (version > SCHEMA_VERSION) {
            *status =
                dial_fail(ctx, DIAL_ERR_FORMAT,
                          "%s has study schema version %lld, from a newer dial; this dial %s "
                          "reads versions 1 to %d: open it with a newer dial",
                          store->path, (long long)version, DIAL_VERSION_STRING, SCHEMA_VERSION);
            return TXN_FAILED;
        }
        if (version < 1) {
            *status =
                dial_fail(ctx, DIAL_ERR_FORMAT,
                          "%s has study schema version %lld; this dial %s reads versions 1 "
                          "to %d",
                          store->path, (long long)version, DIAL_VERSION_STRING, SCHEMA_VERSION);
            return TXN_FAILED;
        }
        /* Under the write lock taken above, so of several processes
         * opening a version-1 file at once exactly one upgrades it and the
         * others find version 2. Older versions are only ever added to. */
        if (version == 1) {
            rc = sqlite3_exec(store->db, upgrade_from_1_sql, NULL, NULL, NULL);
            if (rc != SQLITE_OK) return rc;
        }
    }
    return sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
}

/* "dir/s.db" -> whether "dir" exists; "s.db" is in the working directory. */
static bool parent_directory_exists(const char *path, char *parent, size_t size) {
    snprintf(parent, size, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash) {
        snprintf(parent, size, ".");
    } else if (slash == parent) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    struct stat info;
    return stat(parent, &info) == 0 && S_ISDIR(info.st_mode);
}

static const dial_storage_ops sqlite_ops;

static void sqlite_close(void *self) {
    sqlite_storage *store = self;
    if (!store) return;
    for (int i = 0; i < STATEMENT_COUNT; i++) sqlite3_finalize(store->statements[i]);
    sqlite3_close(store->db);
    free(store->path);
    free(store);
}

dial_status dial_storage_sqlite_open(dial_ctx *ctx, const char *path, dial_storage *out) {
    *out = (dial_storage){0};
    char parent[4096];
    if (!parent_directory_exists(path, parent, sizeof parent))
        return dial_fail(ctx, DIAL_ERR_IO,
                         "cannot open study storage %s: directory '%s' does not exist", path,
                         parent);
    sqlite_storage *store = calloc(1, sizeof *store);
    if (!store || !(store->path = dial_strdup(path))) {
        free(store);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening study storage %s", path);
    }
    /* Retries of workers started together must not stay in step: the pid
     * and the clock separate them. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    store->jitter =
        dial_rng_stream((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30), (uint64_t)getpid());

    /* The study handle serialises the calls on this connection. */
    int rc = sqlite3_open_v2(
        path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        dial_status status =
            store->db ? sqlite_error(ctx, store, rc, sqlite3_errmsg(store->db), "opening it")
                      : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening %s", path);
        sqlite_close(store);
        return status;
    }
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    dial_status status = transact(ctx, store, "opening it", setup_body, NULL);
    for (int i = 0; i < STATEMENT_COUNT && status == DIAL_OK; i++) {
        rc = sqlite3_prepare_v3(store->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &store->statements[i], NULL);
        if (rc != SQLITE_OK)
            status =
                sqlite_error(ctx, store, rc, sqlite3_errmsg(store->db), "preparing its statements");
    }
    if (status != DIAL_OK) {
        sqlite_close(store);
        return status;
    }
    out->ops = &sqlite_ops;
    out->self = store;
    return DIAL_OK;
}

/* ---- studies ------------------------------------------------------------ */

typedef struct open_study_arg {
    const char *name;
    dial_direction direction;
    int64_t study_id;
} open_study_arg;

static const char *direction_name(dial_direction direction) {
    return direction == DIAL_MAXIMIZE ? "maximize" : "minimize";
}

static int open_study_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    open_study_arg *arg = p;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *find = statement(store, STUDY_FIND);
    sqlite3_bind_text(find, 1, arg->name, -1, SQLITE_STATIC);
    rc = next_row(find);
    if (rc == SQLITE_ROW) {
        arg->study_id = sqlite3_column_int64(find, 0);
        bool maximize = strcmp(column_text(find, 1), "maximize") == 0;
        sqlite3_reset(find);
        if (maximize != (arg->direction == DIAL_MAXIMIZE)) {
            *status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                "study '%s' in %s was created to %s; cannot resume it to %s",
                                arg->name, store->path, maximize ? "maximize" : "minimize",
                                direction_name(arg->direction));
            return TXN_FAILED;
        }
        return run_id(store, COMMIT);
    }
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *insert = statement(store, STUDY_INSERT);
    sqlite3_bind_text(insert, 1, arg->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, direction_name(arg->direction), -1, SQLITE_STATIC);
    sqlite3_bind_double(insert, 3, dial_tune_now());
    if ((rc = run(insert)) != SQLITE_OK) return rc;
    arg->study_id = sqlite3_last_insert_rowid(store->db);
    return run_id(store, COMMIT);
}

static dial_status sqlite_open_study(dial_ctx *ctx, void *self, const char *name,
                                     dial_direction direction, int64_t *study_id) {
    open_study_arg arg = {name, direction, 0};
    dial_status status = transact(ctx, self, "opening the study", open_study_body, &arg);
    *study_id = arg.study_id;
    return status;
}

static int nomem(dial_ctx *ctx, sqlite3_stmt *stmt, dial_status *status);

typedef struct studies_arg {
    char **names;
    dial_direction *directions;
    size_t n, capacity;
} studies_arg;

static void studies_clear(studies_arg *arg) {
    for (size_t i = 0; i < arg->n; i++) free(arg->names[i]);
    free(arg->names);
    free(arg->directions);
    *arg = (studies_arg){0};
}

static int studies_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    studies_arg *arg = p;
    studies_clear(arg);
    sqlite3_stmt *list = statement(store, STUDY_LIST);
    int rc;
    while ((rc = next_row(list)) == SQLITE_ROW) {
        if (arg->n == arg->capacity) {
            size_t capacity = arg->capacity ? arg->capacity * 2 : 8;
            char **names = realloc(arg->names, capacity * sizeof *names);
            if (names) arg->names = names;
            dial_direction *directions = realloc(arg->directions, capacity * sizeof *directions);
            if (directions) arg->directions = directions;
            if (!names || !directions) return nomem(ctx, list, status);
            arg->capacity = capacity;
        }
        char *name = dial_strdup(column_text(list, 0));
        if (!name) return nomem(ctx, list, status);
        arg->names[arg->n] = name;
        arg->directions[arg->n++] =
            strcmp(column_text(list, 1), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static dial_status sqlite_studies(dial_ctx *ctx, void *self, char ***names,
                                  dial_direction **directions, size_t *n) {
    studies_arg arg = {0};
    dial_status status = transact(ctx, self, "listing its studies", studies_body, &arg);
    if (status != DIAL_OK) studies_clear(&arg);
    *names = arg.names;
    *directions = arg.directions;
    *n = arg.n;
    return status;
}

/* ---- starting a trial ----------------------------------------------------- */

typedef struct start_arg {
    int64_t study_id;
    const dial_storage_start *request;
    dial_storage_trial *out;
} start_arg;

/* Marks the study's stale trials failed and queues their params. */
static int sweep_stale(dial_ctx *ctx, sqlite_storage *store, start_arg *arg, dial_status *status) {
    const dial_storage_start *request = arg->request;
    int64_t stale[64];
    int64_t stale_numbers[64];
    size_t n = 0;
    sqlite3_stmt *find = statement(store, STALE_FIND);
    sqlite3_bind_int64(find, 1, arg->study_id);
    sqlite3_bind_double(find, 2, request->now - request->heartbeat_seconds);
    int rc = SQLITE_DONE;
    /* At most 64 per start: any more are swept by the next starts. */
    while (n < 64 && (rc = next_row(find)) == SQLITE_ROW) {
        stale[n] = sqlite3_column_int64(find, 0);
        stale_numbers[n++] = sqlite3_column_int64(find, 1);
    }
    sqlite3_reset(find);
    if (n < 64 && rc != SQLITE_DONE) return rc;
    if (n == 0) return SQLITE_OK;

    char message[160];
    snprintf(message, sizeof message,
             "stale: no heartbeat for %g s (its worker stopped); its params run again in a "
             "later trial",
             request->heartbeat_seconds);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *mark = statement(store, STALE_MARK);
        sqlite3_bind_int64(mark, 1, stale[i]);
        sqlite3_bind_double(mark, 2, request->now);
        sqlite3_bind_text(mark, 3, message, -1, SQLITE_STATIC);
        if ((rc = run(mark)) != SQLITE_OK) return rc;
        sqlite3_stmt *push = statement(store, QUEUE_PUSH);
        sqlite3_bind_int64(push, 1, arg->study_id);
        sqlite3_bind_int64(push, 2, stale_numbers[i]);
        if ((rc = run(push)) != SQLITE_OK) return rc;
        int64_t queue_id = sqlite3_last_insert_rowid(store->db);
        sqlite3_stmt *copy = statement(store, QUEUE_COPY_PARAMS);
        sqlite3_bind_int64(copy, 1, queue_id);
        sqlite3_bind_int64(copy, 2, stale[i]);
        if ((rc = run(copy)) != SQLITE_OK) return rc;
        if (sqlite3_changes(store->db) == 0) {
            /* It died before its first suggestion: nothing to run again. */
            sqlite3_stmt *drop = statement(store, QUEUE_DROP);
            sqlite3_bind_int64(drop, 1, queue_id);
            if ((rc = run(drop)) != SQLITE_OK) return rc;
        }
    }
    sqlite3_stmt *update = statement(store, STUDY_STALE);
    sqlite3_bind_int64(update, 1, arg->study_id);
    sqlite3_bind_int64(update, 2, (int64_t)n);
    if ((rc = run(update)) != SQLITE_OK) return rc;
    arg->out->n_marked_stale = n;
    (void)ctx;
    (void)status;
    return SQLITE_OK;
}

/* Moves the params of queue entry queue_id into the new trial. */
static int take_queued(dial_ctx *ctx, sqlite_storage *store, start_arg *arg, int64_t queue_id,
                       dial_status *status) {
    dial_storage_trial *out = arg->out;
    sqlite3_stmt *take = statement(store, TRIAL_TAKE_QUEUED);
    sqlite3_bind_int64(take, 1, out->trial_id);
    sqlite3_bind_int64(take, 2, queue_id);
    int rc = run(take);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *params = statement(store, QUEUE_PARAMS);
    sqlite3_bind_int64(params, 1, queue_id);
    while ((rc = next_row(params)) == SQLITE_ROW) {
        dial_param_kind kind = DIAL_PARAM_FLOAT;
        dial_param_kind_parse(column_text(params, 1), &kind);
        if (!dial_record_add_param(&out->record, column_text(params, 0), kind,
                                   column_number(params, 2), column_text(params, 3))) {
            sqlite3_reset(params);
            *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
            return TXN_FAILED;
        }
    }
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *drop_params = statement(store, QUEUE_PARAMS_DROP);
    sqlite3_bind_int64(drop_params, 1, queue_id);
    if ((rc = run(drop_params)) != SQLITE_OK) return rc;
    sqlite3_stmt *drop = statement(store, QUEUE_DROP);
    sqlite3_bind_int64(drop, 1, queue_id);
    return run(drop);
}

static int start_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    start_arg *arg = p;
    dial_storage_trial *out = arg->out;
    dial_trial_record_clear(&out->record);
    *out = (dial_storage_trial){0};
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    if ((rc = sweep_stale(ctx, store, arg, status)) != SQLITE_OK) return rc;

    sqlite3_stmt *counts = statement(store, STUDY_COUNTS);
    sqlite3_bind_int64(counts, 1, arg->study_id);
    if ((rc = next_row(counts)) != SQLITE_ROW) {
        if (rc == SQLITE_DONE) {
            *status = dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s lost study id %lld",
                                store->path, (long long)arg->study_id);
            return TXN_FAILED;
        }
        return rc;
    }
    int64_t number = sqlite3_column_int64(counts, 0);
    int64_t sample = sqlite3_column_int64(counts, 1);
    int64_t finished = sqlite3_column_int64(counts, 2);
    int64_t running = sqlite3_column_int64(counts, 3);
    sqlite3_reset(counts);
    int64_t max_trials = arg->request->max_trials;
    if (max_trials > 0 && finished + running >= max_trials) return run_id(store, COMMIT);

    sqlite3_stmt *head = statement(store, QUEUE_HEAD);
    sqlite3_bind_int64(head, 1, arg->study_id);
    int64_t queue_id = -1;
    if ((rc = next_row(head)) == SQLITE_ROW) {
        queue_id = sqlite3_column_int64(head, 0);
        sqlite3_reset(head);
    } else if (rc != SQLITE_DONE) {
        return rc;
    }

    sqlite3_stmt *insert = statement(store, TRIAL_INSERT);
    sqlite3_bind_int64(insert, 1, arg->study_id);
    sqlite3_bind_int64(insert, 2, number);
    if (queue_id >= 0)
        sqlite3_bind_null(insert, 3);
    else
        sqlite3_bind_int64(insert, 3, sample);
    sqlite3_bind_double(insert, 4, arg->request->now);
    if ((rc = run(insert)) != SQLITE_OK) return rc;
    out->trial_id = sqlite3_last_insert_rowid(store->db);
    out->sample = queue_id >= 0 ? -1 : sample;
    if (queue_id >= 0 && (rc = take_queued(ctx, store, arg, queue_id, status)) != SQLITE_OK)
        return rc;

    sqlite3_stmt *update = statement(store, STUDY_STARTED);
    sqlite3_bind_int64(update, 1, arg->study_id);
    sqlite3_bind_int64(update, 2, number + 1);
    sqlite3_bind_int64(update, 3, queue_id >= 0 ? sample : sample + 1);
    if ((rc = run(update)) != SQLITE_OK) return rc;
    if ((rc = run_id(store, COMMIT)) != SQLITE_OK) return rc;

    out->allocated = true;
    out->record.number = number;
    out->record.state = DIAL_TRIAL_RUNNING;
    out->record.value = NAN;
    out->record.started_at = arg->request->now;
    return SQLITE_OK;
}

static dial_status sqlite_start_trial(dial_ctx *ctx, void *self, int64_t study_id,
                                      const dial_storage_start *request, dial_storage_trial *out) {
    *out = (dial_storage_trial){0};
    start_arg arg = {study_id, request, out};
    dial_status status = transact(ctx, self, "starting a trial", start_body, &arg);
    if (status != DIAL_OK) {
        dial_trial_record_clear(&out->record);
        *out = (dial_storage_trial){0};
    }
    return status;
}

/* ---- running trials ----------------------------------------------------- */

typedef struct param_arg {
    int64_t trial_id;
    size_t position;
    const char *name;
    dial_param_kind kind;
    double value;
    const char *text;
} param_arg;

static int param_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    param_arg *arg = p;
    sqlite3_stmt *set = statement(store, PARAM_SET);
    sqlite3_bind_int64(set, 1, arg->trial_id);
    sqlite3_bind_int64(set, 2, (int64_t)arg->position);
    sqlite3_bind_text(set, 3, arg->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(set, 4, dial_param_kind_name(arg->kind), -1, SQLITE_STATIC);
    sqlite3_bind_double(set, 5, arg->value);
    sqlite3_bind_text(set, 6, arg->text, -1, SQLITE_STATIC);
    return run(set);
}

static dial_status sqlite_set_param(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                                    const char *name, dial_param_kind kind, double value,
                                    const char *text) {
    param_arg arg = {trial_id, position, name, kind, value, text};
    return transact(ctx, self, "storing a parameter", param_body, &arg);
}

typedef struct report_arg {
    int64_t trial_id, step;
    double value, now;
} report_arg;

static int report_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    report_arg *arg = p;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *set = statement(store, VALUE_SET);
    sqlite3_bind_int64(set, 1, arg->trial_id);
    sqlite3_bind_int64(set, 2, arg->step);
    bind_number(set, 3, arg->value);
    if ((rc = run(set)) != SQLITE_OK) return rc;
    sqlite3_stmt *beat = statement(store, HEARTBEAT);
    sqlite3_bind_int64(beat, 1, arg->trial_id);
    sqlite3_bind_double(beat, 2, arg->now);
    if ((rc = run(beat)) != SQLITE_OK) return rc;
    return run_id(store, COMMIT);
}

static dial_status sqlite_report(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step,
                                 double value, double now) {
    report_arg arg = {trial_id, step, value, now};
    return transact(ctx, self, "storing an intermediate value", report_body, &arg);
}

typedef struct path_arg {
    int64_t trial_id;
    const int64_t *steps;
    const double *values;
    size_t n;
    double now;
} path_arg;

/* The old path goes and the new one comes in one transaction, so a reader
 * sees one whole path or the other, never a mix. */
static int path_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    path_arg *arg = p;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *clear = statement(store, PATH_CLEAR);
    sqlite3_bind_int64(clear, 1, arg->trial_id);
    if ((rc = run(clear)) != SQLITE_OK) return rc;
    for (size_t i = 0; i < arg->n; i++) {
        sqlite3_stmt *set = statement(store, PATH_SET);
        sqlite3_bind_int64(set, 1, arg->trial_id);
        sqlite3_bind_int64(set, 2, arg->steps[i]);
        bind_number(set, 3, arg->values[i]);
        if ((rc = run(set)) != SQLITE_OK) return rc;
    }
    sqlite3_stmt *beat = statement(store, HEARTBEAT);
    sqlite3_bind_int64(beat, 1, arg->trial_id);
    sqlite3_bind_double(beat, 2, arg->now);
    if ((rc = run(beat)) != SQLITE_OK) return rc;
    return run_id(store, COMMIT);
}

static dial_status sqlite_report_path(dial_ctx *ctx, void *self, int64_t trial_id,
                                      const int64_t *steps, const double *values, size_t n,
                                      double now) {
    path_arg arg = {trial_id, steps, values, n, now};
    return transact(ctx, self, "storing a trial's path", path_body, &arg);
}

typedef struct heartbeat_arg {
    const int64_t *trial_ids;
    size_t n;
    double now;
} heartbeat_arg;

static int heartbeat_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    heartbeat_arg *arg = p;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    for (size_t i = 0; i < arg->n; i++) {
        sqlite3_stmt *beat = statement(store, HEARTBEAT);
        sqlite3_bind_int64(beat, 1, arg->trial_ids[i]);
        sqlite3_bind_double(beat, 2, arg->now);
        if ((rc = run(beat)) != SQLITE_OK) return rc;
    }
    return run_id(store, COMMIT);
}

static dial_status sqlite_heartbeat(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                                    double now) {
    if (n == 0) return DIAL_OK;
    heartbeat_arg arg = {trial_ids, n, now};
    return transact(ctx, self, "sending heartbeats", heartbeat_body, &arg);
}

typedef struct finish_arg {
    int64_t trial_id;
    dial_trial_state state;
    double value, now;
    const char *message;
    bool was_stale;
} finish_arg;

static int finish_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    finish_arg *arg = p;
    arg->was_stale = false;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *get = statement(store, TRIAL_STATE);
    sqlite3_bind_int64(get, 1, arg->trial_id);
    if ((rc = next_row(get)) != SQLITE_ROW) {
        if (rc == SQLITE_DONE) {
            *status = dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s lost trial id %lld",
                                store->path, (long long)arg->trial_id);
            return TXN_FAILED;
        }
        return rc;
    }
    int64_t study_id = sqlite3_column_int64(get, 0);
    int64_t number = sqlite3_column_int64(get, 1);
    dial_trial_state state = DIAL_TRIAL_RUNNING;
    dial_trial_state_parse(column_text(get, 2), &state);
    bool stale = sqlite3_column_int64(get, 3) != 0;
    sqlite3_reset(get);
    if (state != DIAL_TRIAL_RUNNING) {
        if (stale) {
            arg->was_stale = true;
            return run_id(store, COMMIT);
        }
        *status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "trial %lld is already %s", (long long)number,
                            dial_trial_state_name(state));
        return TXN_FAILED;
    }
    sqlite3_stmt *finish = statement(store, TRIAL_FINISH);
    sqlite3_bind_int64(finish, 1, arg->trial_id);
    sqlite3_bind_text(finish, 2, dial_trial_state_name(arg->state), -1, SQLITE_STATIC);
    bind_number(finish, 3, arg->state == DIAL_TRIAL_COMPLETE ? arg->value : NAN);
    sqlite3_bind_double(finish, 4, arg->now);
    bind_text(finish, 5, arg->state == DIAL_TRIAL_FAILED ? arg->message : NULL);
    if ((rc = run(finish)) != SQLITE_OK) return rc;
    sqlite3_stmt *update = statement(store, STUDY_FINISHED);
    sqlite3_bind_int64(update, 1, study_id);
    if ((rc = run(update)) != SQLITE_OK) return rc;
    return run_id(store, COMMIT);
}

static dial_status sqlite_finish(dial_ctx *ctx, void *self, int64_t trial_id,
                                 dial_trial_state state, double value, const char *message,
                                 double now, bool *was_stale) {
    finish_arg arg = {trial_id, state, value, now, message, false};
    dial_status status = transact(ctx, self, "finishing a trial", finish_body, &arg);
    *was_stale = arg.was_stale;
    return status;
}

/* ---- reading ------------------------------------------------------------ */

/* Fills the scalar fields of a record from a LIST_TRIALS or TRIAL_ROW row. */
static bool read_trial_row(sqlite3_stmt *row, dial_trial_record *record) {
    record->number = sqlite3_column_int64(row, 0);
    record->state = DIAL_TRIAL_FAILED;
    dial_trial_state_parse(column_text(row, 1), &record->state);
    record->value = column_number(row, 2);
    record->started_at = column_number(row, 3);
    record->finished_at = sqlite3_column_type(row, 4) == SQLITE_NULL ? 0 : column_number(row, 4);
    record->stale = sqlite3_column_int64(row, 5) != 0;
    if (sqlite3_column_type(row, 6) != SQLITE_NULL)
        return dial_record_set_message(record, column_text(row, 6));
    return true;
}

static bool read_param_row(sqlite3_stmt *row, int first, dial_trial_record *record) {
    dial_param_kind kind = DIAL_PARAM_FLOAT;
    dial_param_kind_parse(column_text(row, first + 1), &kind);
    return dial_record_add_param(record, column_text(row, first), kind,
                                 column_number(row, first + 2), column_text(row, first + 3));
}

/* The record of the list with that number (the list is ascending). */
static dial_trial_record *find_number(dial_trial_list *list, int64_t number) {
    size_t low = 0, high = list->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (list->items[mid].number < number)
            low = mid + 1;
        else
            high = mid;
    }
    return low < list->count && list->items[low].number == number ? &list->items[low] : NULL;
}

typedef struct list_arg {
    int64_t study_id;
    dial_trial_list *out;
} list_arg;

static int nomem(dial_ctx *ctx, sqlite3_stmt *stmt, dial_status *status) {
    sqlite3_reset(stmt);
    *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
    return TXN_FAILED;
}

static int list_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    list_arg *arg = p;
    dial_trial_list_free(arg->out);
    int rc = run_id(store, BEGIN_READ);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *trials = statement(store, LIST_TRIALS);
    sqlite3_bind_int64(trials, 1, arg->study_id);
    while ((rc = next_row(trials)) == SQLITE_ROW) {
        dial_trial_record *record = dial_trial_list_push(arg->out);
        if (!record || !read_trial_row(trials, record)) return nomem(ctx, trials, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *params = statement(store, LIST_PARAMS);
    sqlite3_bind_int64(params, 1, arg->study_id);
    dial_trial_record *record = NULL;
    while ((rc = next_row(params)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(params, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !read_param_row(params, 1, record)) return nomem(ctx, params, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *values = statement(store, LIST_VALUES);
    sqlite3_bind_int64(values, 1, arg->study_id);
    record = NULL;
    while ((rc = next_row(values)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(values, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !dial_record_set_intermediate(record, sqlite3_column_int64(values, 1),
                                                    column_number(values, 2)))
            return nomem(ctx, values, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *paths = statement(store, LIST_PATHS);
    sqlite3_bind_int64(paths, 1, arg->study_id);
    record = NULL;
    while ((rc = next_row(paths)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(paths, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !dial_record_append_path(record, sqlite3_column_int64(paths, 1),
                                               column_number(paths, 2)))
            return nomem(ctx, paths, status);
    }
    if (rc != SQLITE_DONE) return rc;
    return run_id(store, COMMIT);
}

static dial_status sqlite_trials(dial_ctx *ctx, void *self, int64_t study_id,
                                 dial_trial_list *out) {
    *out = (dial_trial_list){0};
    list_arg arg = {study_id, out};
    dial_status status = transact(ctx, self, "reading the trials", list_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
}

/* Reads one trial whole (its row, params, intermediate values and path)
 * into *out, inside the caller's transaction. */
static int read_whole_trial(dial_ctx *ctx, sqlite_storage *store, int64_t trial_id,
                            dial_trial_record *out, dial_status *status) {
    sqlite3_stmt *row = statement(store, TRIAL_ROW);
    sqlite3_bind_int64(row, 1, trial_id);
    int rc = next_row(row);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
    bool ok = read_trial_row(row, out);
    sqlite3_reset(row);
    if (!ok) return nomem(ctx, row, status);
    sqlite3_stmt *params = statement(store, TRIAL_PARAMS);
    sqlite3_bind_int64(params, 1, trial_id);
    while ((rc = next_row(params)) == SQLITE_ROW)
        if (!read_param_row(params, 0, out)) return nomem(ctx, params, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *values = statement(store, TRIAL_VALUES);
    sqlite3_bind_int64(values, 1, trial_id);
    while ((rc = next_row(values)) == SQLITE_ROW)
        if (!dial_record_set_intermediate(out, sqlite3_column_int64(values, 0),
                                          column_number(values, 1)))
            return nomem(ctx, values, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *path = statement(store, TRIAL_PATH);
    sqlite3_bind_int64(path, 1, trial_id);
    while ((rc = next_row(path)) == SQLITE_ROW)
        if (!dial_record_append_path(out, sqlite3_column_int64(path, 0), column_number(path, 1)))
            return nomem(ctx, path, status);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

typedef struct best_arg {
    int64_t study_id;
    dial_direction direction;
    dial_trial_record *out;
    bool found;
} best_arg;

static int best_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    best_arg *arg = p;
    dial_trial_record_clear(arg->out);
    arg->found = false;
    int rc = run_id(store, BEGIN_READ);
    if (rc != SQLITE_OK) return rc;
    /* Two index lookups: the best value, then the lowest number holding it. */
    sqlite3_stmt *best = statement(store, arg->direction == DIAL_MAXIMIZE ? BEST_MAX : BEST_MIN);
    sqlite3_bind_int64(best, 1, arg->study_id);
    if ((rc = next_row(best)) != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
    bool any = sqlite3_column_type(best, 0) != SQLITE_NULL;
    double value = sqlite3_column_double(best, 0);
    sqlite3_reset(best);
    if (!any) return run_id(store, COMMIT);

    sqlite3_stmt *which = statement(store, BEST_TRIAL);
    sqlite3_bind_int64(which, 1, arg->study_id);
    sqlite3_bind_double(which, 2, value);
    if ((rc = next_row(which)) != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
    int64_t trial_id = sqlite3_column_int64(which, 0);
    sqlite3_reset(which);
    if ((rc = read_whole_trial(ctx, store, trial_id, arg->out, status)) != SQLITE_OK) return rc;
    if ((rc = run_id(store, COMMIT)) != SQLITE_OK) return rc;
    arg->found = true;
    return SQLITE_OK;
}

static dial_status sqlite_best(dial_ctx *ctx, void *self, int64_t study_id,
                               dial_direction direction, dial_trial_record *out, bool *found) {
    *out = (dial_trial_record){0};
    best_arg arg = {study_id, direction, out, false};
    dial_status status = transact(ctx, self, "finding the best trial", best_body, &arg);
    *found = status == DIAL_OK && arg.found;
    if (!*found) dial_trial_record_clear(out);
    return status;
}

typedef struct counts_arg {
    int64_t study_id, finished, running;
} counts_arg;

static int counts_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    counts_arg *arg = p;
    sqlite3_stmt *counts = statement(store, STUDY_COUNTS);
    sqlite3_bind_int64(counts, 1, arg->study_id);
    int rc = next_row(counts);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
    arg->finished = sqlite3_column_int64(counts, 2);
    arg->running = sqlite3_column_int64(counts, 3);
    sqlite3_reset(counts);
    return SQLITE_OK;
}

static dial_status sqlite_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                                 int64_t *running) {
    counts_arg arg = {study_id, 0, 0};
    dial_status status = transact(ctx, self, "counting the trials", counts_body, &arg);
    *finished = arg.finished;
    *running = arg.running;
    return status;
}

/* Counted by state at the end of a search, not per trial, so the
 * statement is prepared here rather than kept with the others; it reads
 * the study's rows through the trials' index, without loading them. */
typedef struct tally_arg {
    int64_t study_id;
    dial_storage_tally *out;
} tally_arg;

static int tally_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    tally_arg *arg = p;
    *arg->out = (dial_storage_tally){0};
    sqlite3_stmt *tally = NULL;
    int rc = sqlite3_prepare_v2(store->db,
                                "SELECT state, stale, count(*) FROM trials WHERE study_id = ?1 "
                                "GROUP BY state, stale",
                                -1, &tally, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(tally, 1, arg->study_id);
    while ((rc = sqlite3_step(tally)) == SQLITE_ROW) {
        dial_trial_state state = DIAL_TRIAL_FAILED;
        dial_trial_state_parse(column_text(tally, 0), &state);
        int64_t n = sqlite3_column_int64(tally, 2);
        if (sqlite3_column_int64(tally, 1) != 0)
            arg->out->stale += n;
        else if (state == DIAL_TRIAL_RUNNING)
            arg->out->running += n;
        else if (state == DIAL_TRIAL_COMPLETE)
            arg->out->complete += n;
        else if (state == DIAL_TRIAL_PRUNED)
            arg->out->pruned += n;
        else
            arg->out->failed += n;
    }
    sqlite3_finalize(tally);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static dial_status sqlite_tally(dial_ctx *ctx, void *self, int64_t study_id,
                                dial_storage_tally *out) {
    tally_arg arg = {study_id, out};
    return transact(ctx, self, "counting the trials by state", tally_body, &arg);
}

/* The leaderboard's trials without listing the study: their ids from
 * the index of complete trials (and the first failed one), then each read
 * whole. Prepared here, like the tally's, since it runs once a search. */
typedef struct leaders_arg {
    int64_t study_id;
    dial_direction direction;
    size_t n;
    dial_trial_list *out;
} leaders_arg;

static int compare_record_numbers(const void *a, const void *b) {
    const dial_trial_record *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static int leaders_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    leaders_arg *arg = p;
    dial_trial_list_free(arg->out);
    int64_t *ids = malloc((arg->n + 1) * sizeof *ids);
    if (!ids) {
        *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
        return TXN_FAILED;
    }
    size_t n_ids = 0;
    int rc = run_id(store, BEGIN_READ);
    const char *sql[] = {arg->direction == DIAL_MAXIMIZE
                             ? "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = "
                               "'complete' AND value IS NOT NULL ORDER BY value DESC, number "
                               "LIMIT ?2"
                             : "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = "
                               "'complete' AND value IS NOT NULL ORDER BY value, number LIMIT ?2",
                         "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = 'failed' "
                         "AND stale = 0 ORDER BY number LIMIT ?2"};
    int64_t limits[] = {(int64_t)arg->n, 1};
    for (size_t q = 0; q < 2 && rc == SQLITE_OK; q++) {
        sqlite3_stmt *find = NULL;
        if ((rc = sqlite3_prepare_v2(store->db, sql[q], -1, &find, NULL)) != SQLITE_OK) break;
        sqlite3_bind_int64(find, 1, arg->study_id);
        sqlite3_bind_int64(find, 2, limits[q]);
        while ((rc = sqlite3_step(find)) == SQLITE_ROW)
            ids[n_ids++] = sqlite3_column_int64(find, 0);
        sqlite3_finalize(find);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    for (size_t i = 0; i < n_ids && rc == SQLITE_OK; i++) {
        dial_trial_record *record = dial_trial_list_push(arg->out);
        if (!record) {
            *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
            rc = TXN_FAILED;
        } else {
            rc = read_whole_trial(ctx, store, ids[i], record, status);
        }
    }
    free(ids);
    if (rc != SQLITE_OK) return rc;
    if (arg->out->count > 1)
        qsort(arg->out->items, arg->out->count, sizeof *arg->out->items, compare_record_numbers);
    return run_id(store, COMMIT);
}

static dial_status sqlite_leaders(dial_ctx *ctx, void *self, int64_t study_id,
                                  dial_direction direction, size_t n, dial_trial_list *out) {
    *out = (dial_trial_list){0};
    leaders_arg arg = {study_id, direction, n, out};
    dial_status status = transact(ctx, self, "reading the best trials", leaders_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
}

static const dial_storage_ops sqlite_ops = {
    .kind = "sqlite",
    .open_study = sqlite_open_study,
    .studies = sqlite_studies,
    .start_trial = sqlite_start_trial,
    .set_param = sqlite_set_param,
    .report = sqlite_report,
    .report_path = sqlite_report_path,
    .heartbeat = sqlite_heartbeat,
    .finish = sqlite_finish,
    .trials = sqlite_trials,
    .best = sqlite_best,
    .counts = sqlite_counts,
    .tally = sqlite_tally,
    .leaders = sqlite_leaders,
    .close = sqlite_close,
};
