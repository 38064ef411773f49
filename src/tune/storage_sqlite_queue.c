/* The SQLite storage's op enqueue (dial_study_enqueue): a known
 * configuration joins the study's queue of fixed params, where the params
 * of stale trials wait too, and the next trials started by any worker take
 * them in order (storage_sqlite.c's start_trial).
 *
 * An enqueued entry has from_number -1 (param_queue.from_number is NOT
 * NULL; a stale trial's entry holds the number of the trial it came from).
 * No reader takes from_number for a trial number, so -1 can mislead
 * nothing.
 *
 * The check that the study does not hold the configuration already and
 * the insert are one write transaction, so two workers that enqueue the
 * same configuration at once queue it once. Its statements are prepared
 * per call: enqueueing happens once per command, not once per trial. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_sqlite_internal.h"

typedef struct enqueue_arg {
    int64_t study_id;
    const dial_trial_record *params;
    bool added;
} enqueue_arg;

/* "(?3, ?4), (?5, ?6), ..." for n pairs, from parameter 3. malloc'ed. */
static char *wanted_rows(dial_ctx *ctx, size_t n) {
    size_t size = n * 32 + 1;
    char *text = dial_malloc(ctx, size);
    if (!text) return NULL;
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, size - used, "%s(?%zu, ?%zu)", i ? ", " : "",
                                 3 + 2 * i, 4 + 2 * i);
    return text;
}

/* Whether the study holds the params already: a queued entry with exactly
 * these names and texts, or a trial (any state) with these names and texts
 * among its params (a configuration that gave some params and drew the
 * others). */
static int study_holds(sqlite_storage *store, const enqueue_arg *arg, const char *rows, bool *held,
                       dial_ctx *ctx, dial_status *status) {
    const dial_trial_record *params = arg->params;
    char *sql = dial_malloc(ctx, strlen(rows) + 1024);
    if (!sql) return nomem(ctx, NULL, status);
    sprintf(sql,
            "WITH wanted (name, text) AS (VALUES %s) SELECT "
            "EXISTS (SELECT 1 FROM param_queue q WHERE q.study_id = ?1 AND "
            "(SELECT COUNT(*) FROM param_queue_params p WHERE p.queue_id = q.queue_id) = ?2 AND "
            "(SELECT COUNT(*) FROM param_queue_params p JOIN wanted w ON w.name = p.name AND "
            "w.text = p.text WHERE p.queue_id = q.queue_id) = ?2) OR "
            "EXISTS (SELECT 1 FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
            "JOIN wanted w ON w.name = p.name AND w.text = p.text WHERE t.study_id = ?1 "
            "GROUP BY p.trial_id HAVING COUNT(*) = ?2)",
            rows);
    sqlite3_stmt *query = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &query, NULL);
    free(sql);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(query, 1, arg->study_id);
    sqlite3_bind_int64(query, 2, (int64_t)params->n_params);
    for (size_t i = 0; i < params->n_params; i++) {
        sqlite3_bind_text(query, (int)(3 + 2 * i), params->param_names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(query, (int)(4 + 2 * i), params->param_texts[i], -1, SQLITE_STATIC);
    }
    rc = sqlite3_step(query);
    if (rc == SQLITE_ROW) {
        *held = sqlite3_column_int64(query, 0) != 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(query);
    return rc;
}

/* Appends the entry and its params to the queue. */
static int push_entry(sqlite_storage *store, const enqueue_arg *arg) {
    const dial_trial_record *params = arg->params;
    sqlite3_stmt *push = NULL, *param = NULL;
    int rc = sqlite3_prepare_v2(store->db,
                                "INSERT INTO param_queue (study_id, from_number) VALUES (?1, -1)",
                                -1, &push, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(push, 1, arg->study_id);
        rc = run(push);
    }
    int64_t queue_id = sqlite3_last_insert_rowid(store->db);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(store->db,
                                "INSERT INTO param_queue_params (queue_id, position, name, kind, "
                                "value, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                -1, &param, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < params->n_params; i++) {
        sqlite3_bind_int64(param, 1, queue_id);
        sqlite3_bind_int64(param, 2, (int64_t)i);
        sqlite3_bind_text(param, 3, params->param_names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(param, 4, dial_param_kind_name(params->param_kinds[i]), -1,
                          SQLITE_STATIC);
        sqlite3_bind_double(param, 5, params->param_values[i]);
        sqlite3_bind_text(param, 6, params->param_texts[i], -1, SQLITE_STATIC);
        rc = run(param);
    }
    sqlite3_finalize(push);
    sqlite3_finalize(param);
    return rc;
}

static int enqueue_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    enqueue_arg *arg = p;
    arg->added = false;
    char *rows = wanted_rows(ctx, arg->params->n_params);
    if (!rows) return nomem(ctx, NULL, status);
    int rc = run_id(store, BEGIN_WRITE);
    bool held = false;
    if (rc == SQLITE_OK) rc = study_holds(store, arg, rows, &held, ctx, status);
    free(rows);
    if (rc != SQLITE_OK || held) return rc == SQLITE_OK ? run_id(store, COMMIT) : rc;
    if ((rc = push_entry(store, arg)) != SQLITE_OK) return rc;
    if ((rc = run_id(store, COMMIT)) != SQLITE_OK) return rc;
    arg->added = true;
    return SQLITE_OK;
}

dial_status dial_sqlite_enqueue(dial_ctx *ctx, void *self, int64_t study_id,
                                const dial_trial_record *params, bool *added) {
    *added = false;
    if (params->n_params == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "an enqueued trial needs at least one param");
    enqueue_arg arg = {study_id, params, false};
    dial_status status = dial_sqlite_transact(ctx, self, "enqueueing a trial", enqueue_body, &arg);
    *added = status == DIAL_OK && arg.added;
    return status;
}
