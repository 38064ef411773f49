/* The SQLite storage's studies: creating or resuming one (with the check
 * of its direction and identity in the same transaction, so two runs
 * creating one study at once cannot both win), looking one up, listing a
 * file's studies with their counts, deleting and renaming.
 *
 * These run once per study handle or per command, not per trial, so their
 * statements are prepared where they run rather than kept with the
 * connection; a statement pool per call finalizes them whatever the path
 * out, including a retry after SQLITE_BUSY. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "tune/record.h"
#include "tune/storage_sqlite_internal.h"

#define POOL_SIZE 8

typedef struct statement_pool {
    sqlite3_stmt *held[POOL_SIZE];
    size_t n;
} statement_pool;

static void pool_release(statement_pool *pool) {
    for (size_t i = 0; i < pool->n; i++) sqlite3_finalize(pool->held[i]);
    pool->n = 0;
}

/* Prepares sql into *stmt, held by the pool until it is released. */
static int prepare(sqlite_storage *store, statement_pool *pool, const char *sql,
                   sqlite3_stmt **stmt) {
    *stmt = NULL;
    if (pool->n == POOL_SIZE) return SQLITE_INTERNAL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL);
    if (rc == SQLITE_OK) pool->held[pool->n++] = *stmt;
    return rc;
}

static int exec(sqlite_storage *store, const char *sql) {
    return sqlite3_exec(store->db, sql, NULL, NULL, NULL);
}

static const char *direction_name(dial_direction direction) {
    return direction == DIAL_MAXIMIZE ? "maximize" : "minimize";
}

/* Finds a study by name: SQLITE_ROW (id and direction set), SQLITE_DONE, or
 * an error. */
static int find(sqlite_storage *store, statement_pool *pool, const char *name, int64_t *study_id,
                dial_direction *direction) {
    sqlite3_stmt *find = NULL;
    int rc = prepare(store, pool, "SELECT study_id, direction FROM studies WHERE name = ?1", &find);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
    rc = next_row(find);
    if (rc != SQLITE_ROW) return rc;
    *study_id = sqlite3_column_int64(find, 0);
    *direction = strcmp(column_text(find, 1), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    sqlite3_reset(find);
    return SQLITE_ROW;
}

/* The stored identity of a study (empty in a file older than version 3). */
static int read_identity(dial_ctx *ctx, sqlite_storage *store, statement_pool *pool,
                         int64_t study_id, dial_study_identity *out, dial_status *status) {
    dial_study_identity_free(out);
    if (store->version < 3) return SQLITE_OK;
    sqlite3_stmt *rows = NULL;
    int rc = prepare(store, pool,
                     "SELECT key, value FROM study_identity WHERE study_id = ?1 ORDER BY position",
                     &rows);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(rows, 1, study_id);
    while ((rc = next_row(rows)) == SQLITE_ROW)
        if (dial_study_identity_set(ctx, out, column_text(rows, 0), column_text(rows, 1)) !=
            DIAL_OK)
            return nomem(ctx, rows, status);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int write_identity(sqlite_storage *store, statement_pool *pool, int64_t study_id,
                          const dial_study_identity *identity) {
    if (!identity || identity->n == 0) return SQLITE_OK;
    sqlite3_stmt *insert = NULL;
    int rc = prepare(store, pool,
                     "INSERT INTO study_identity (study_id, position, key, value) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     &insert);
    for (size_t i = 0; rc == SQLITE_OK && i < identity->n; i++) {
        sqlite3_bind_int64(insert, 1, study_id);
        sqlite3_bind_int64(insert, 2, (int64_t)i);
        sqlite3_bind_text(insert, 3, identity->keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 4, identity->values[i], -1, SQLITE_STATIC);
        rc = run(insert);
    }
    return rc;
}

/* ---- opening a study --------------------------------------------------------- */

typedef struct open_study_arg {
    const char *name;
    dial_direction direction;
    const dial_study_identity *identity;
    int64_t study_id;
    statement_pool pool;
} open_study_arg;

static int open_study_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    open_study_arg *arg = p;
    pool_release(&arg->pool);
    int rc = exec(store, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) return rc;
    dial_direction stored = DIAL_MINIMIZE;
    rc = find(store, &arg->pool, arg->name, &arg->study_id, &stored);
    if (rc == SQLITE_ROW) {
        if (stored != arg->direction) {
            *status =
                dial_fail(ctx, DIAL_ERR_ARGUMENT,
                          "study '%s' in %s was created to %s; cannot resume it to %s", arg->name,
                          store->path, direction_name(stored), direction_name(arg->direction));
            return TXN_FAILED;
        }
        dial_study_identity kept = {0};
        rc = read_identity(ctx, store, &arg->pool, arg->study_id, &kept, status);
        if (rc == SQLITE_OK && kept.n > 0 &&
            dial_study_identity_check(ctx, arg->name, store->path, &kept, arg->identity) !=
                DIAL_OK) {
            *status = DIAL_ERR_ARGUMENT;
            rc = TXN_FAILED;
        }
        /* A study made before identities takes this run's. */
        if (rc == SQLITE_OK && kept.n == 0)
            rc = write_identity(store, &arg->pool, arg->study_id, arg->identity);
        dial_study_identity_free(&kept);
        return rc == SQLITE_OK ? exec(store, "COMMIT") : rc;
    }
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *insert = NULL;
    rc = prepare(store, &arg->pool,
                 "INSERT INTO studies (name, direction, created_at) VALUES (?1, ?2, ?3)", &insert);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_text(insert, 1, arg->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, direction_name(arg->direction), -1, SQLITE_STATIC);
    sqlite3_bind_double(insert, 3, dial_tune_now());
    if ((rc = run(insert)) != SQLITE_OK) return rc;
    arg->study_id = sqlite3_last_insert_rowid(store->db);
    if ((rc = write_identity(store, &arg->pool, arg->study_id, arg->identity)) != SQLITE_OK)
        return rc;
    return exec(store, "COMMIT");
}

dial_status dial_sqlite_open_study(dial_ctx *ctx, void *self, const char *name,
                                   dial_direction direction, const dial_study_identity *identity,
                                   int64_t *study_id) {
    open_study_arg arg = {.name = name, .direction = direction, .identity = identity};
    dial_status status =
        dial_sqlite_transact(ctx, self, "opening the study", open_study_body, &arg);
    pool_release(&arg.pool);
    *study_id = arg.study_id;
    return status;
}

/* ---- looking one up -------------------------------------------------------- */

typedef struct find_arg {
    const char *name;
    int64_t study_id;
    dial_direction direction;
    dial_study_identity *identity;
    bool found;
    statement_pool pool;
} find_arg;

static int find_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    find_arg *arg = p;
    pool_release(&arg->pool);
    arg->found = false;
    int rc = exec(store, "BEGIN");
    if (rc != SQLITE_OK) return rc;
    rc = find(store, &arg->pool, arg->name, &arg->study_id, &arg->direction);
    if (rc == SQLITE_ROW) {
        arg->found = true;
        rc = arg->identity
                 ? read_identity(ctx, store, &arg->pool, arg->study_id, arg->identity, status)
                 : SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    return rc == SQLITE_OK ? exec(store, "COMMIT") : rc;
}

dial_status dial_sqlite_find_study(dial_ctx *ctx, void *self, const char *name, int64_t *study_id,
                                   dial_direction *direction, dial_study_identity *identity,
                                   bool *found) {
    find_arg arg = {.name = name, .identity = identity};
    dial_status status = dial_sqlite_transact(ctx, self, "finding the study", find_body, &arg);
    pool_release(&arg.pool);
    if (status != DIAL_OK && identity) dial_study_identity_free(identity);
    *found = status == DIAL_OK && arg.found;
    *study_id = arg.study_id;
    *direction = arg.direction;
    return status;
}

/* ---- listing ---------------------------------------------------------------- */

typedef struct studies_arg {
    dial_study_summary *items;
    size_t n;
    statement_pool pool;
} studies_arg;

/* Per study: its counts by state (stale trials ran again, so they are not
 * failures of the study) and its best value for its direction. */
static const char list_sql[] =
    "SELECT s.study_id, s.name, s.direction, s.created_at, "
    "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'complete'), "
    "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'pruned'), "
    "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'failed' "
    "AND t.stale = 0), "
    "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'running'), "
    "CASE s.direction WHEN 'maximize' THEN (SELECT max(value) FROM trials t WHERE t.study_id = "
    "s.study_id AND t.state = 'complete') ELSE (SELECT min(value) FROM trials t WHERE "
    "t.study_id = s.study_id AND t.state = 'complete') END "
    "FROM studies s ORDER BY s.name";

static int studies_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    studies_arg *arg = p;
    pool_release(&arg->pool);
    dial_study_summaries_free(arg->items, arg->n);
    arg->items = NULL;
    arg->n = 0;
    int rc = exec(store, "BEGIN");
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *list = NULL;
    if ((rc = prepare(store, &arg->pool, list_sql, &list)) != SQLITE_OK) return rc;
    int64_t *ids = NULL;
    size_t capacity = 0;
    while ((rc = next_row(list)) == SQLITE_ROW) {
        if (arg->n == capacity) {
            capacity = capacity ? capacity * 2 : 8;
            dial_study_summary *items = dial_realloc(ctx, arg->items, capacity * sizeof *items);
            if (items) arg->items = items;
            int64_t *grown = dial_realloc(ctx, ids, capacity * sizeof *grown);
            if (grown) ids = grown;
            if (!items || !grown) {
                free(ids);
                return nomem(ctx, list, status);
            }
        }
        dial_study_summary *item = &arg->items[arg->n];
        *item = (dial_study_summary){0};
        ids[arg->n] = sqlite3_column_int64(list, 0);
        if (!(item->name = dial_strdup(ctx, column_text(list, 1)))) {
            free(ids);
            return nomem(ctx, list, status);
        }
        arg->n++;
        item->direction =
            strcmp(column_text(list, 2), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
        item->created_at = column_number(list, 3);
        item->n_complete = sqlite3_column_int64(list, 4);
        item->n_pruned = sqlite3_column_int64(list, 5);
        item->n_failed = sqlite3_column_int64(list, 6);
        item->n_running = sqlite3_column_int64(list, 7);
        item->best_value = column_number(list, 8);
    }
    for (size_t i = 0; rc == SQLITE_DONE && i < arg->n; i++) {
        rc = read_identity(ctx, store, &arg->pool, ids[i], &arg->items[i].identity, status);
        if (rc == SQLITE_OK) rc = SQLITE_DONE;
        pool_release(&arg->pool); /* one statement per study: the pool stays small */
    }
    free(ids);
    if (rc != SQLITE_DONE) return rc;
    return exec(store, "COMMIT");
}

dial_status dial_sqlite_studies(dial_ctx *ctx, void *self, dial_study_summary **out, size_t *n) {
    studies_arg arg = {0};
    dial_status status = dial_sqlite_transact(ctx, self, "listing its studies", studies_body, &arg);
    pool_release(&arg.pool);
    if (status != DIAL_OK) {
        dial_study_summaries_free(arg.items, arg.n);
        arg.items = NULL;
        arg.n = 0;
    }
    *out = arg.items;
    *n = arg.n;
    return status;
}

/* ---- deleting and renaming --------------------------------------------------- */

typedef struct change_arg {
    const char *name, *to;
    bool found;
    statement_pool pool;
} change_arg;

/* Starts the write of a delete or a rename: takes the write lock and looks
 * the study up. SQLITE_ROW with *study_id when it exists; otherwise the
 * transaction is committed with nothing changed (arg->found stays false)
 * and its result code returned, or an error's. */
static int begin_change(sqlite_storage *store, change_arg *arg, int64_t *study_id) {
    pool_release(&arg->pool);
    arg->found = false;
    int rc = exec(store, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) return rc;
    dial_direction direction;
    rc = find(store, &arg->pool, arg->name, study_id, &direction);
    if (rc == SQLITE_DONE) return exec(store, "COMMIT");
    return rc;
}

/* Every row of the study, children first (the foreign keys point up). */
static const char *const delete_sql[] = {
    "DELETE FROM trial_params WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?1)",
    "DELETE FROM trial_values WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?1)",
    "DELETE FROM trial_path WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?1)",
    /* parenthesised: one statement written on two lines */
    ("DELETE FROM param_queue_params WHERE queue_id IN "
     "(SELECT queue_id FROM param_queue WHERE study_id = ?1)"),
    "DELETE FROM param_queue WHERE study_id = ?1",
    "DELETE FROM trials WHERE study_id = ?1",
    "DELETE FROM study_identity WHERE study_id = ?1",
    "DELETE FROM studies WHERE study_id = ?1",
};

static int delete_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    change_arg *arg = p;
    int64_t study_id = 0;
    int rc = begin_change(store, arg, &study_id);
    if (rc != SQLITE_ROW) return rc;
    for (size_t i = 0; i < sizeof delete_sql / sizeof delete_sql[0]; i++) {
        sqlite3_stmt *remove = NULL;
        if ((rc = prepare(store, &arg->pool, delete_sql[i], &remove)) != SQLITE_OK) return rc;
        sqlite3_bind_int64(remove, 1, study_id);
        if ((rc = run(remove)) != SQLITE_OK) return rc;
        pool_release(&arg->pool);
    }
    arg->found = true;
    return exec(store, "COMMIT");
}

dial_status dial_sqlite_delete_study(dial_ctx *ctx, void *self, const char *name, bool *found) {
    change_arg arg = {.name = name};
    dial_status status = dial_sqlite_transact(ctx, self, "deleting a study", delete_body, &arg);
    pool_release(&arg.pool);
    *found = status == DIAL_OK && arg.found;
    return status;
}

static int rename_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    change_arg *arg = p;
    int64_t study_id = 0;
    int rc = begin_change(store, arg, &study_id);
    if (rc != SQLITE_ROW) return rc;
    int64_t taken_id = 0;
    dial_direction direction;
    rc = find(store, &arg->pool, arg->to, &taken_id, &direction);
    if (rc == SQLITE_ROW) {
        *status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                            "%s already has a study '%s'; delete it first (dial studies %s "
                            "--delete %s) or choose another name",
                            store->path, arg->to, store->path, arg->to);
        return TXN_FAILED;
    }
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *update = NULL;
    rc = prepare(store, &arg->pool, "UPDATE studies SET name = ?2 WHERE study_id = ?1", &update);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(update, 1, study_id);
    sqlite3_bind_text(update, 2, arg->to, -1, SQLITE_STATIC);
    if ((rc = run(update)) != SQLITE_OK) return rc;
    arg->found = true;
    return exec(store, "COMMIT");
}

dial_status dial_sqlite_rename_study(dial_ctx *ctx, void *self, const char *from, const char *to,
                                     bool *found) {
    change_arg arg = {.name = from, .to = to};
    dial_status status = dial_sqlite_transact(ctx, self, "renaming a study", rename_body, &arg);
    pool_release(&arg.pool);
    *found = status == DIAL_OK && arg.found;
    return status;
}
