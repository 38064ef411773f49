/* The SQLite storage, copying a study whole (dial_study_copy): reading
 * every row a study owns in one read transaction, and writing them as a
 * new study in one write transaction, with the trial numbers, sample
 * indexes, counters and queue as they were, so that the copy lists, ranks
 * and resumes exactly as the original.
 *
 * A copy runs once per command, not per trial, so its statements are
 * prepared where they run; a pool finalizes them whatever the path out,
 * including a retry after SQLITE_BUSY. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_sqlite_internal.h"

#define POOL_SIZE 12

typedef struct statement_pool {
    sqlite3_stmt *held[POOL_SIZE];
    size_t n;
} statement_pool;

static void pool_release(statement_pool *pool) {
    for (size_t i = 0; i < pool->n; i++) sqlite3_finalize(pool->held[i]);
    pool->n = 0;
}

static int prepare(sqlite_storage *store, statement_pool *pool, const char *sql,
                   sqlite3_stmt **stmt) {
    *stmt = NULL;
    if (pool->n == POOL_SIZE) return SQLITE_INTERNAL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL);
    if (rc == SQLITE_OK) pool->held[pool->n++] = *stmt;
    return rc;
}

/* NaN is stored as NULL, as every writer of the schema does. */
static void bind_number(sqlite3_stmt *stmt, int index, double value) {
    if (isnan(value))
        sqlite3_bind_null(stmt, index);
    else
        sqlite3_bind_double(stmt, index, value);
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct dump_arg {
    const char *name;
    dial_storage_study_dump *out;
    bool found;
    statement_pool pool;
} dump_arg;

/* The queued params of the study, oldest entry first; an entry of a trial
 * that died before its first param has none (LEFT JOIN). */
static int read_queue(dial_ctx *ctx, sqlite_storage *store, statement_pool *pool, int64_t study_id,
                      dial_trial_list *queue, dial_status *status) {
    sqlite3_stmt *rows = NULL;
    int rc = prepare(store, pool,
                     "SELECT q.queue_id, q.from_number, p.name, p.kind, p.value, p.text "
                     "FROM param_queue q LEFT JOIN param_queue_params p USING (queue_id) "
                     "WHERE q.study_id = ?1 ORDER BY q.queue_id, p.position",
                     &rows);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(rows, 1, study_id);
    int64_t entry = -1;
    dial_trial_record *record = NULL;
    while ((rc = next_row(rows)) == SQLITE_ROW) {
        if (!record || sqlite3_column_int64(rows, 0) != entry) {
            entry = sqlite3_column_int64(rows, 0);
            if (!(record = dial_trial_list_push(ctx, queue))) return nomem(ctx, rows, status);
            record->number = sqlite3_column_int64(rows, 1);
            record->value = NAN;
        }
        if (sqlite3_column_type(rows, 2) == SQLITE_NULL) continue;
        dial_param_kind kind = DIAL_PARAM_FLOAT;
        dial_param_kind_parse(column_text(rows, 3), &kind);
        if (!dial_record_add_param(ctx, record, column_text(rows, 2), kind, column_number(rows, 4),
                                   column_text(rows, 5)))
            return nomem(ctx, rows, status);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The sample index and heartbeat of every trial, in the order of the
 * listed trials (both ascending number). */
static int read_samples(dial_ctx *ctx, sqlite_storage *store, statement_pool *pool,
                        int64_t study_id, dial_storage_study_dump *out, dial_status *status) {
    size_t n = out->trials.count;
    out->samples = dial_calloc(ctx, n ? n : 1, sizeof *out->samples);
    out->heartbeats = dial_calloc(ctx, n ? n : 1, sizeof *out->heartbeats);
    if (!out->samples || !out->heartbeats) return nomem(ctx, NULL, status);
    sqlite3_stmt *rows = NULL;
    int rc =
        prepare(store, pool,
                "SELECT sample, heartbeat FROM trials WHERE study_id = ?1 ORDER BY number", &rows);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(rows, 1, study_id);
    for (size_t i = 0; (rc = next_row(rows)) == SQLITE_ROW; i++) {
        if (i >= n) continue; /* cannot happen inside one transaction */
        out->samples[i] =
            sqlite3_column_type(rows, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(rows, 0);
        out->heartbeats[i] = column_number(rows, 1);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int dump_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    dump_arg *arg = p;
    pool_release(&arg->pool);
    dial_storage_study_dump_free(arg->out);
    arg->found = false;
    int rc = run_id(store, BEGIN_READ);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *study = NULL;
    rc = prepare(store, &arg->pool,
                 "SELECT study_id, direction, created_at, next_number, next_sample FROM studies "
                 "WHERE name = ?1",
                 &study);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_text(study, 1, arg->name, -1, SQLITE_STATIC);
    rc = next_row(study);
    if (rc == SQLITE_DONE) return run_id(store, COMMIT);
    if (rc != SQLITE_ROW) return rc;
    arg->found = true;
    dial_storage_study_dump *out = arg->out;
    int64_t study_id = sqlite3_column_int64(study, 0);
    out->direction = strcmp(column_text(study, 1), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    out->created_at = column_number(study, 2);
    out->next_number = sqlite3_column_int64(study, 3);
    out->next_sample = sqlite3_column_int64(study, 4);
    sqlite3_reset(study);
    if (!(out->name = dial_strdup(ctx, arg->name))) return nomem(ctx, NULL, status);
    if (store->version >= 3) {
        sqlite3_stmt *identity = NULL;
        rc = prepare(store, &arg->pool,
                     "SELECT key, value FROM study_identity WHERE study_id = ?1 ORDER BY position",
                     &identity);
        if (rc != SQLITE_OK) return rc;
        sqlite3_bind_int64(identity, 1, study_id);
        while ((rc = next_row(identity)) == SQLITE_ROW)
            if (dial_study_identity_set(ctx, &out->identity, column_text(identity, 0),
                                        column_text(identity, 1)) != DIAL_OK)
                return nomem(ctx, identity, status);
        if (rc != SQLITE_DONE) return rc;
    }
    rc = dial_sqlite_list_in_transaction(ctx, store, study_id, 0, &out->trials, status);
    if (rc == SQLITE_OK) rc = read_samples(ctx, store, &arg->pool, study_id, out, status);
    if (rc == SQLITE_OK) rc = read_queue(ctx, store, &arg->pool, study_id, &out->queue, status);
    return rc == SQLITE_OK ? run_id(store, COMMIT) : rc;
}

dial_status dial_sqlite_dump_study(dial_ctx *ctx, void *self, const char *name,
                                   dial_storage_study_dump *out, bool *found) {
    *out = (dial_storage_study_dump){0};
    dump_arg arg = {.name = name, .out = out};
    dial_status status = dial_sqlite_transact(ctx, self, "reading the study", dump_body, &arg);
    pool_release(&arg.pool);
    *found = status == DIAL_OK && arg.found;
    if (!*found) dial_storage_study_dump_free(out);
    return status;
}

/* ---- writing ------------------------------------------------------------------ */

typedef struct load_arg {
    const dial_storage_study_dump *study;
    bool created;
    statement_pool pool;
} load_arg;

/* The statements of a load, prepared once per attempt. */
enum load_statement {
    INSERT_TRIAL,
    INSERT_PARAM,
    INSERT_VALUE,
    INSERT_PATH,
    INSERT_ENTRY,
    INSERT_ENTRY_PARAM,
    LOAD_STATEMENTS
};

static const char *const load_sql[LOAD_STATEMENTS] = {
    [INSERT_TRIAL] = "INSERT INTO trials (study_id, number, sample, state, value, started_at, "
                     "finished_at, heartbeat, stale, message) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [INSERT_PARAM] = "INSERT INTO trial_params (trial_id, position, name, kind, value, text) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [INSERT_VALUE] = "INSERT INTO trial_values (trial_id, step, value) VALUES (?1, ?2, ?3)",
    [INSERT_PATH] = "INSERT INTO trial_path (trial_id, step, value) VALUES (?1, ?2, ?3)",
    [INSERT_ENTRY] = "INSERT INTO param_queue (study_id, from_number) VALUES (?1, ?2)",
    [INSERT_ENTRY_PARAM] = "INSERT INTO param_queue_params (queue_id, position, name, kind, "
                           "value, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

/* The params of a record under owner (a trial or a queue entry). */
static int write_params(sqlite3_stmt *insert, int64_t owner, const dial_trial_record *record) {
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < record->n_params; i++) {
        sqlite3_bind_int64(insert, 1, owner);
        sqlite3_bind_int64(insert, 2, (int64_t)i);
        sqlite3_bind_text(insert, 3, record->param_names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 4, dial_param_kind_name(record->param_kinds[i]), -1,
                          SQLITE_STATIC);
        sqlite3_bind_double(insert, 5, record->param_values[i]);
        sqlite3_bind_text(insert, 6, record->param_texts[i], -1, SQLITE_STATIC);
        rc = run(insert);
    }
    return rc;
}

static int write_steps(sqlite3_stmt *insert, int64_t trial_id, const int64_t *steps,
                       const double *values, size_t n) {
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(insert, 1, trial_id);
        sqlite3_bind_int64(insert, 2, steps[i]);
        bind_number(insert, 3, values[i]);
        rc = run(insert);
    }
    return rc;
}

static int write_trial(sqlite_storage *store, sqlite3_stmt **stmts, int64_t study_id,
                       const dial_storage_study_dump *study, size_t i) {
    const dial_trial_record *trial = &study->trials.items[i];
    sqlite3_stmt *insert = stmts[INSERT_TRIAL];
    sqlite3_bind_int64(insert, 1, study_id);
    sqlite3_bind_int64(insert, 2, trial->number);
    if (study->samples[i] < 0)
        sqlite3_bind_null(insert, 3);
    else
        sqlite3_bind_int64(insert, 3, study->samples[i]);
    sqlite3_bind_text(insert, 4, dial_trial_state_name(trial->state), -1, SQLITE_STATIC);
    bind_number(insert, 5, trial->value);
    sqlite3_bind_double(insert, 6, trial->started_at);
    if (trial->state == DIAL_TRIAL_RUNNING)
        sqlite3_bind_null(insert, 7);
    else
        sqlite3_bind_double(insert, 7, trial->finished_at);
    sqlite3_bind_double(insert, 8, study->heartbeats[i]);
    sqlite3_bind_int64(insert, 9, trial->stale ? 1 : 0);
    if (trial->message)
        sqlite3_bind_text(insert, 10, trial->message, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(insert, 10);
    int rc = run(insert);
    if (rc != SQLITE_OK) return rc;
    int64_t trial_id = sqlite3_last_insert_rowid(store->db);
    rc = write_params(stmts[INSERT_PARAM], trial_id, trial);
    if (rc == SQLITE_OK)
        rc = write_steps(stmts[INSERT_VALUE], trial_id, trial->intermediate_steps,
                         trial->intermediate_values, trial->n_intermediate);
    if (rc == SQLITE_OK)
        rc = write_steps(stmts[INSERT_PATH], trial_id, trial->path_steps, trial->path_values,
                         trial->n_path);
    return rc;
}

static int write_queue(sqlite_storage *store, sqlite3_stmt **stmts, int64_t study_id,
                       const dial_trial_list *queue) {
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < queue->count; i++) {
        sqlite3_bind_int64(stmts[INSERT_ENTRY], 1, study_id);
        sqlite3_bind_int64(stmts[INSERT_ENTRY], 2, queue->items[i].number);
        if ((rc = run(stmts[INSERT_ENTRY])) != SQLITE_OK) break;
        rc = write_params(stmts[INSERT_ENTRY_PARAM], sqlite3_last_insert_rowid(store->db),
                          &queue->items[i]);
    }
    return rc;
}

static int load_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    load_arg *arg = p;
    const dial_storage_study_dump *study = arg->study;
    pool_release(&arg->pool);
    arg->created = false;
    int rc = run_id(store, BEGIN_WRITE);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *exists = NULL;
    if ((rc = prepare(store, &arg->pool, "SELECT 1 FROM studies WHERE name = ?1", &exists)) !=
        SQLITE_OK)
        return rc;
    sqlite3_bind_text(exists, 1, study->name, -1, SQLITE_STATIC);
    rc = next_row(exists);
    if (rc == SQLITE_ROW) {
        sqlite3_reset(exists);
        return run_id(store, COMMIT);
    }
    if (rc != SQLITE_DONE) return rc;

    /* The counters are those the trials imply, as every trial start and
     * finish keeps them. */
    int64_t n_running = 0, n_finished = 0;
    for (size_t i = 0; i < study->trials.count; i++) {
        const dial_trial_record *trial = &study->trials.items[i];
        if (trial->state == DIAL_TRIAL_RUNNING)
            n_running++;
        else if (!trial->stale)
            n_finished++;
    }
    sqlite3_stmt *insert = NULL;
    if ((rc = prepare(store, &arg->pool,
                      "INSERT INTO studies (name, direction, created_at, next_number, "
                      "next_sample, n_running, n_finished) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      &insert)) != SQLITE_OK)
        return rc;
    sqlite3_bind_text(insert, 1, study->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, study->direction == DIAL_MAXIMIZE ? "maximize" : "minimize", -1,
                      SQLITE_STATIC);
    sqlite3_bind_double(insert, 3, study->created_at);
    sqlite3_bind_int64(insert, 4, study->next_number);
    sqlite3_bind_int64(insert, 5, study->next_sample);
    sqlite3_bind_int64(insert, 6, n_running);
    sqlite3_bind_int64(insert, 7, n_finished);
    if ((rc = run(insert)) != SQLITE_OK) return rc;
    int64_t study_id = sqlite3_last_insert_rowid(store->db);

    sqlite3_stmt *identity = NULL;
    if ((rc = prepare(store, &arg->pool,
                      "INSERT INTO study_identity (study_id, position, key, value) "
                      "VALUES (?1, ?2, ?3, ?4)",
                      &identity)) != SQLITE_OK)
        return rc;
    for (size_t i = 0; rc == SQLITE_OK && i < study->identity.n; i++) {
        sqlite3_bind_int64(identity, 1, study_id);
        sqlite3_bind_int64(identity, 2, (int64_t)i);
        sqlite3_bind_text(identity, 3, study->identity.keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(identity, 4, study->identity.values[i], -1, SQLITE_STATIC);
        rc = run(identity);
    }
    sqlite3_stmt *stmts[LOAD_STATEMENTS];
    for (int s = 0; rc == SQLITE_OK && s < LOAD_STATEMENTS; s++)
        rc = prepare(store, &arg->pool, load_sql[s], &stmts[s]);
    for (size_t i = 0; rc == SQLITE_OK && i < study->trials.count; i++)
        rc = write_trial(store, stmts, study_id, study, i);
    if (rc == SQLITE_OK) rc = write_queue(store, stmts, study_id, &study->queue);
    if (rc != SQLITE_OK) return rc;
    arg->created = true;
    return run_id(store, COMMIT);
}

dial_status dial_sqlite_load_study(dial_ctx *ctx, void *self, const dial_storage_study_dump *study,
                                   bool *created) {
    load_arg arg = {.study = study};
    dial_status status = dial_sqlite_transact(ctx, self, "copying the study", load_body, &arg);
    pool_release(&arg.pool);
    *created = status == DIAL_OK && arg.created;
    return status;
}
