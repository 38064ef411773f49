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
#include "tune/storage_sqlite_internal.h"

#define SCHEMA_VERSION DIAL_SQLITE_SCHEMA_VERSION
#define SCHEMA_TEXT_OF(version) #version
#define SCHEMA_TEXT(version) SCHEMA_TEXT_OF(version)
#define SCHEMA_VERSION_TEXT SCHEMA_TEXT(DIAL_SQLITE_SCHEMA_VERSION) /* "3", for the SQL below */
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

/* The table of version 3: what each study is an experiment of (see
 * dial_study_identity), one row per key. */
#define STUDY_IDENTITY_SQL                                         \
    "CREATE TABLE IF NOT EXISTS study_identity (\n"                \
    "  study_id INTEGER NOT NULL REFERENCES studies (study_id),\n" \
    "  position INTEGER NOT NULL,\n"                               \
    "  key TEXT NOT NULL,\n"                                       \
    "  value TEXT NOT NULL,\n"                                     \
    "  PRIMARY KEY (study_id, key)\n"                              \
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
    ") WITHOUT ROWID;\n" TRIAL_PATH_SQL STUDY_IDENTITY_SQL;

/* Older versions are only ever added to: an upgrade creates what the file
 * lacks and nothing else changes. */
static const char upgrade_from_1_sql[] =
    TRIAL_PATH_SQL STUDY_IDENTITY_SQL "UPDATE dial_schema SET version = " SCHEMA_VERSION_TEXT ";\n";
static const char upgrade_from_2_sql[] =
    STUDY_IDENTITY_SQL "UPDATE dial_schema SET version = " SCHEMA_VERSION_TEXT ";\n";

static const char *const statement_sql[STATEMENT_COUNT] = {
    [BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [BEGIN_READ] = "BEGIN",
    [COMMIT] = "COMMIT",
    [ROLLBACK] = "ROLLBACK",
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
                    "FROM trials WHERE study_id = ?1 AND number >= ?2 ORDER BY number",
    [LIST_PARAMS] =
        "SELECT t.number, p.name, p.kind, p.value, p.text FROM trials t "
        "JOIN trial_params p ON p.trial_id = t.trial_id WHERE t.study_id = ?1 AND t.number >= ?2 "
        "ORDER BY t.number, p.position",
    [LIST_VALUES] =
        "SELECT t.number, v.step, v.value FROM trials t "
        "JOIN trial_values v ON v.trial_id = t.trial_id WHERE t.study_id = ?1 AND t.number >= ?2 "
        "ORDER BY t.number, v.step",
    [LIST_PATHS] =
        "SELECT t.number, p.step, p.value FROM trials t "
        "JOIN trial_path p ON p.trial_id = t.trial_id WHERE t.study_id = ?1 AND t.number >= ?2 "
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
dial_status dial_sqlite_transact(dial_ctx *ctx, sqlite_storage *store, const char *what,
                                 txn_fn body, void *arg) {
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

/* The statements that read a table a version added, and what an older
 * file read read-only (never upgraded) runs instead: the same columns and
 * no rows, so its trials read with empty paths. */
static const char *statement_for_version(int id, int version) {
    if (version >= 2) return statement_sql[id];
    switch (id) {
    case LIST_PATHS: return "SELECT NULL, NULL, NULL WHERE 0";
    case TRIAL_PATH: return "SELECT NULL, NULL WHERE 0";
    case PATH_CLEAR:
    case PATH_SET: return "SELECT NULL WHERE 0";
    default: return statement_sql[id];
    }
}

/* Checks that the file is a dial study database this dial reads, and
 * leaves its schema version in store->version; 0 for a file without
 * tables (a new file, or an empty one). */
static int read_schema(dial_ctx *ctx, sqlite_storage *store, dial_status *status) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db,
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
    store->version = 0;
    if (!has_schema) {
        if (tables == 0) return SQLITE_OK;
        *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                            "%s is not a dial study database: it has tables but no dial_schema "
                            "table",
                            store->path);
        return TXN_FAILED;
    }
    rc = sqlite3_prepare_v2(store->db, "SELECT max(version) FROM dial_schema", -1, &stmt, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(stmt);
    int64_t version = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return rc;
    if (version > SCHEMA_VERSION) {
        *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                            "%s has study schema version %lld, from a newer dial; this dial %s "
                            "reads versions 1 to %d: open it with a newer dial",
                            store->path, (long long)version, DIAL_VERSION_STRING, SCHEMA_VERSION);
        return TXN_FAILED;
    }
    if (version < 1) {
        *status = dial_fail(ctx, DIAL_ERR_FORMAT,
                            "%s has study schema version %lld; this dial %s reads versions 1 "
                            "to %d",
                            store->path, (long long)version, DIAL_VERSION_STRING, SCHEMA_VERSION);
        return TXN_FAILED;
    }
    store->version = (int)version;
    return SQLITE_OK;
}

/* Creates the schema in a new file or upgrades an older one, under the
 * write lock: of several processes opening the same file at once exactly
 * one creates or upgrades it, and the others find it done. */
static int setup_body(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status) {
    (void)arg;
    int rc = sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    if ((rc = read_schema(ctx, store, status)) != SQLITE_OK) return rc;
    const char *sql = store->version == 0   ? schema_sql
                      : store->version == 1 ? upgrade_from_1_sql
                      : store->version == 2 ? upgrade_from_2_sql
                                            : NULL;
    if (sql && (rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL)) != SQLITE_OK) return rc;
    store->version = SCHEMA_VERSION;
    return sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
}

/* WAL mode, once the file is known to be dial's: a file of another program
 * is refused before anything in it changes. */
static int journal_body(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status) {
    (void)arg;
    (void)status;
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
    return sqlite3_exec(store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

/* Reads the schema version in a read transaction: nothing is written. */
static int read_body(dial_ctx *ctx, sqlite_storage *store, void *arg, dial_status *status) {
    (void)arg;
    int rc = sqlite3_exec(store->db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
    if ((rc = read_schema(ctx, store, status)) != SQLITE_OK) return rc;
    if (store->version == 0) {
        struct stat info;
        bool empty = stat(store->path, &info) == 0 && info.st_size == 0;
        *status = dial_fail(ctx, DIAL_ERR_FORMAT, "%s is not a dial study database: %s",
                            store->path, empty ? "it is empty" : "it has no tables");
        return TXN_FAILED;
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
    for (int i = 0; store->statements && i < STATEMENT_COUNT; i++)
        sqlite3_finalize(store->statements[i]);
    free(store->statements);
    sqlite3_close(store->db);
    free(store->path);
    free(store);
}

/* "file:" and the path with the characters a URI gives a meaning escaped,
 * then "?immutable=1"; malloc'ed, NULL when out of memory. */
static char *immutable_uri(const dial_ctx *ctx, const char *path) {
    size_t length = strlen(path);
    char *uri = dial_malloc(ctx, length * 3 + 32);
    if (!uri) return NULL;
    char *out = uri + sprintf(uri, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            out += sprintf(out, "%%%02X", (unsigned char)*p);
        else
            *out++ = *p;
    }
    strcpy(out, "?immutable=1");
    return uri;
}

/* Opens the connection: read-write (creating the file), read-only, or
 * read-only and immutable for a file whose directory cannot be written
 * (SQLite could not make the -shm file a WAL file is read with, and no
 * other process can be writing it there). */
static dial_status connect(dial_ctx *ctx, sqlite_storage *store, bool read_only,
                           const char *parent) {
    int flags = SQLITE_OPEN_NOMUTEX;
    char *uri = NULL;
    if (!read_only) {
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    } else {
        flags |= SQLITE_OPEN_READONLY;
        if (access(parent, W_OK) != 0) {
            if (!(uri = immutable_uri(ctx, store->path)))
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening %s", store->path);
            flags |= SQLITE_OPEN_URI;
        }
    }
    /* The study handle serialises the calls on this connection. */
    int rc = sqlite3_open_v2(uri ? uri : store->path, &store->db, flags, NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return store->db ? sqlite_error(ctx, store, rc, sqlite3_errmsg(store->db), "opening it")
                         : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening %s", store->path);
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    return DIAL_OK;
}

static dial_status sqlite_open(dial_ctx *ctx, const char *path, bool read_only, dial_storage *out) {
    *out = (dial_storage){0};
    char parent[4096];
    if (!parent_directory_exists(path, parent, sizeof parent))
        return dial_fail(ctx, DIAL_ERR_IO,
                         "cannot open study storage %s: directory '%s' does not exist", path,
                         parent);
    sqlite_storage *store = dial_calloc(ctx, 1, sizeof *store);
    if (!store || !(store->path = dial_strdup(ctx, path)) ||
        !(store->statements = dial_calloc(ctx, STATEMENT_COUNT, sizeof *store->statements))) {
        if (store) free(store->path);
        free(store);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening study storage %s", path);
    }
    store->read_only = read_only;
    /* Retries of workers started together must not stay in step: the pid
     * and the clock separate them. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    store->jitter =
        dial_rng_stream((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30), (uint64_t)getpid());

    dial_status status = connect(ctx, store, read_only, parent);
    if (status == DIAL_OK && read_only)
        status = dial_sqlite_transact(ctx, store, "opening it", read_body, NULL);
    if (status == DIAL_OK && !read_only)
        status = dial_sqlite_transact(ctx, store, "opening it", setup_body, NULL);
    if (status == DIAL_OK && !read_only)
        status = dial_sqlite_transact(ctx, store, "opening it", journal_body, NULL);
    for (int i = 0; i < STATEMENT_COUNT && status == DIAL_OK; i++) {
        int rc = sqlite3_prepare_v3(store->db, statement_for_version(i, store->version), -1,
                                    SQLITE_PREPARE_PERSISTENT, &store->statements[i], NULL);
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

dial_status dial_storage_sqlite_open(dial_ctx *ctx, const char *path, dial_storage *out) {
    return sqlite_open(ctx, path, false, out);
}

dial_status dial_storage_sqlite_open_read(dial_ctx *ctx, const char *path, dial_storage *out) {
    return sqlite_open(ctx, path, true, out);
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
        if (!dial_record_add_param(ctx, &out->record, column_text(params, 0), kind,
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
    dial_status status = dial_sqlite_transact(ctx, self, "starting a trial", start_body, &arg);
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
    return dial_sqlite_transact(ctx, self, "storing a parameter", param_body, &arg);
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
    return dial_sqlite_transact(ctx, self, "storing an intermediate value", report_body, &arg);
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
    return dial_sqlite_transact(ctx, self, "storing a trial's path", path_body, &arg);
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
    return dial_sqlite_transact(ctx, self, "sending heartbeats", heartbeat_body, &arg);
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
    dial_status status = dial_sqlite_transact(ctx, self, "finishing a trial", finish_body, &arg);
    *was_stale = arg.was_stale;
    return status;
}

static const dial_storage_ops sqlite_ops = {
    .kind = "sqlite",
    .open_study = dial_sqlite_open_study,
    .find_study = dial_sqlite_find_study,
    .studies = dial_sqlite_studies,
    .delete_study = dial_sqlite_delete_study,
    .rename_study = dial_sqlite_rename_study,
    .start_trial = sqlite_start_trial,
    .set_param = sqlite_set_param,
    .report = sqlite_report,
    .report_path = sqlite_report_path,
    .heartbeat = sqlite_heartbeat,
    .finish = sqlite_finish,
    .find_trial = dial_sqlite_find_trial,
    .trials = dial_sqlite_trials,
    .trials_from = dial_sqlite_trials_from,
    .best = dial_sqlite_best,
    .counts = dial_sqlite_counts,
    .tally = dial_sqlite_tally,
    .leaders = dial_sqlite_leaders,
    .enqueue = dial_sqlite_enqueue,
    .dump_study = dial_sqlite_dump_study,
    .load_study = dial_sqlite_load_study,
    .close = sqlite_close,
};
