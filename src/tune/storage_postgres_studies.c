/* The PostgreSQL storage's studies: creating or resuming one (with the
 * check of its direction and identity in the same transaction), looking
 * one up, listing them with their counts, deleting, renaming, and the
 * queue of known configurations (dial_study_enqueue). The same rules as
 * storage_sqlite_studies.c and storage_sqlite_queue.c.
 *
 * Two runs creating one study at once: the INSERT ... ON CONFLICT DO
 * NOTHING of one finds the other's row, and then it resumes that study as
 * if it had been there, checking direction and identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_postgres_internal.h"

static const char *direction_name(dial_direction direction) {
    return direction == DIAL_MAXIMIZE ? "maximize" : "minimize";
}

/* Finds a study by name (locking its row when lock): 1 found (id and
 * direction set), 0 not, PG_ERROR. */
static int find(pg_storage *store, const char *name, bool lock, int64_t *study_id,
                dial_direction *direction) {
    pg_params params = {0};
    dial_pg_param_text(&params, name);
    PGresult *row = dial_pg_query(store,
                                  lock ? "SELECT study_id, direction FROM studies WHERE name = $1 "
                                         "FOR UPDATE"
                                       : "SELECT study_id, direction FROM studies WHERE name = $1",
                                  &params);
    if (!row) return PG_ERROR;
    int found = PQntuples(row) == 1;
    if (found) {
        *study_id = dial_pg_int(row, 0, 0);
        *direction =
            strcmp(dial_pg_text(row, 0, 1), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    }
    PQclear(row);
    return found;
}

static int read_identity(dial_ctx *ctx, pg_storage *store, int64_t study_id,
                         dial_study_identity *out, dial_status *status) {
    dial_study_identity_free(out);
    pg_params params = {0};
    dial_pg_param_int(&params, study_id);
    PGresult *rows = dial_pg_query(
        store, "SELECT key, value FROM study_identity WHERE study_id = $1 ORDER BY position",
        &params);
    if (!rows) return PG_ERROR;
    for (int i = 0; i < PQntuples(rows); i++)
        if (dial_study_identity_set(ctx, out, dial_pg_text(rows, i, 0), dial_pg_text(rows, i, 1)) !=
            DIAL_OK)
            return dial_pg_nomem(ctx, rows, status);
    PQclear(rows);
    return PG_DONE;
}

static int write_identity(pg_storage *store, int64_t study_id,
                          const dial_study_identity *identity) {
    for (size_t i = 0; identity && i < identity->n; i++) {
        pg_params params = {0};
        dial_pg_param_int(&params, study_id);
        dial_pg_param_int(&params, (int64_t)i);
        dial_pg_param_text(&params, identity->keys[i]);
        dial_pg_param_text(&params, identity->values[i]);
        if (dial_pg_command(store,
                            "INSERT INTO study_identity (study_id, position, key, value) "
                            "VALUES ($1, $2, $3, $4)",
                            &params) != PG_DONE)
            return PG_ERROR;
    }
    return PG_DONE;
}

/* ---- opening a study -------------------------------------------------------- */

typedef struct open_study_arg {
    const char *name;
    dial_direction direction;
    const dial_study_identity *identity;
    int64_t study_id;
} open_study_arg;

static int open_study_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    open_study_arg *arg = p;
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    pg_params params = {0};
    dial_pg_param_text(&params, arg->name);
    dial_pg_param_text(&params, direction_name(arg->direction));
    dial_pg_param_double(&params, dial_tune_now());
    PGresult *created = dial_pg_query(store,
                                      "INSERT INTO studies (name, direction, created_at) VALUES "
                                      "($1, $2, $3) ON CONFLICT (name) DO NOTHING "
                                      "RETURNING study_id",
                                      &params);
    if (!created) return PG_ERROR;
    bool is_new = PQntuples(created) == 1;
    if (is_new) arg->study_id = dial_pg_int(created, 0, 0);
    PQclear(created);
    if (is_new) {
        if (write_identity(store, arg->study_id, arg->identity) != PG_DONE) return PG_ERROR;
        return dial_pg_command(store, "COMMIT", NULL);
    }
    dial_direction stored = DIAL_MINIMIZE;
    int found = find(store, arg->name, true, &arg->study_id, &stored);
    if (found != 1) {
        if (found == 0) { /* deleted between the two statements: try again */
            snprintf(store->sqlstate, sizeof store->sqlstate, "40001");
            snprintf(store->failure, sizeof store->failure, "the study was deleted meanwhile");
        }
        return PG_ERROR;
    }
    if (stored != arg->direction) {
        *status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                            "study '%s' in %s was created to %s; cannot resume it to %s", arg->name,
                            store->where, direction_name(stored), direction_name(arg->direction));
        return PG_FAILED;
    }
    dial_study_identity kept = {0};
    int rc = read_identity(ctx, store, arg->study_id, &kept, status);
    if (rc == PG_DONE && kept.n > 0 &&
        dial_study_identity_check(ctx, arg->name, store->where, &kept, arg->identity) != DIAL_OK) {
        *status = DIAL_ERR_ARGUMENT;
        rc = PG_FAILED;
    }
    /* A study made without an identity takes this run's. */
    if (rc == PG_DONE && kept.n == 0) rc = write_identity(store, arg->study_id, arg->identity);
    dial_study_identity_free(&kept);
    return rc == PG_DONE ? dial_pg_command(store, "COMMIT", NULL) : rc;
}

dial_status dial_pg_open_study(dial_ctx *ctx, void *self, const char *name,
                               dial_direction direction, const dial_study_identity *identity,
                               int64_t *study_id) {
    open_study_arg arg = {.name = name, .direction = direction, .identity = identity};
    dial_status status = dial_pg_transact(ctx, self, "opening the study", open_study_body, &arg);
    *study_id = arg.study_id;
    return status;
}

/* ---- looking one up ------------------------------------------------------- */

typedef struct find_arg {
    const char *name;
    int64_t study_id;
    dial_direction direction;
    dial_study_identity *identity;
    bool found;
} find_arg;

static int find_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    find_arg *arg = p;
    arg->found = false;
    if (dial_pg_command(store, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL) != PG_DONE)
        return PG_ERROR;
    int found = find(store, arg->name, false, &arg->study_id, &arg->direction);
    if (found < 0) return found;
    arg->found = found == 1;
    if (arg->found && arg->identity &&
        read_identity(ctx, store, arg->study_id, arg->identity, status) != PG_DONE)
        return PG_ERROR;
    return dial_pg_command(store, "COMMIT", NULL);
}

dial_status dial_pg_find_study(dial_ctx *ctx, void *self, const char *name, int64_t *study_id,
                               dial_direction *direction, dial_study_identity *identity,
                               bool *found) {
    find_arg arg = {.name = name, .identity = identity};
    dial_status status = dial_pg_transact(ctx, self, "finding the study", find_body, &arg);
    if (status != DIAL_OK && identity) dial_study_identity_free(identity);
    *found = status == DIAL_OK && arg.found;
    *study_id = arg.study_id;
    *direction = arg.direction;
    return status;
}

/* ---- listing ------------------------------------------------------------------ */

typedef struct studies_arg {
    dial_study_summary *items;
    size_t n;
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
    "FROM studies s ORDER BY s.name COLLATE \"C\"";

static int studies_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    studies_arg *arg = p;
    dial_study_summaries_free(arg->items, arg->n);
    arg->items = NULL;
    arg->n = 0;
    if (dial_pg_command(store, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL) != PG_DONE)
        return PG_ERROR;
    PGresult *list = dial_pg_query(store, list_sql, NULL);
    if (!list) return PG_ERROR;
    int rows = PQntuples(list);
    arg->items = dial_calloc(ctx, rows > 0 ? (size_t)rows : 1, sizeof *arg->items);
    if (!arg->items) return dial_pg_nomem(ctx, list, status);
    for (int i = 0; i < rows; i++) {
        dial_study_summary *item = &arg->items[i];
        if (!(item->name = dial_strdup(ctx, dial_pg_text(list, i, 1))))
            return dial_pg_nomem(ctx, list, status);
        arg->n++;
        item->direction =
            strcmp(dial_pg_text(list, i, 2), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
        item->created_at = dial_pg_number(list, i, 3);
        item->n_complete = dial_pg_int(list, i, 4);
        item->n_pruned = dial_pg_int(list, i, 5);
        item->n_failed = dial_pg_int(list, i, 6);
        item->n_running = dial_pg_int(list, i, 7);
        item->best_value = dial_pg_number(list, i, 8);
        int rc = read_identity(ctx, store, dial_pg_int(list, i, 0), &item->identity, status);
        if (rc != PG_DONE) {
            PQclear(list);
            return rc;
        }
    }
    PQclear(list);
    return dial_pg_command(store, "COMMIT", NULL);
}

dial_status dial_pg_studies(dial_ctx *ctx, void *self, dial_study_summary **out, size_t *n) {
    studies_arg arg = {0};
    dial_status status = dial_pg_transact(ctx, self, "listing its studies", studies_body, &arg);
    if (status != DIAL_OK) {
        dial_study_summaries_free(arg.items, arg.n);
        arg.items = NULL;
        arg.n = 0;
    }
    *out = arg.items;
    *n = arg.n;
    return status;
}

/* ---- deleting and renaming ------------------------------------------------------ */

typedef struct change_arg {
    const char *name, *to;
    bool found;
} change_arg;

/* Every row of the study, children first (the foreign keys point up). */
static const char *const delete_sql[] = {
    "DELETE FROM trial_params WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)",
    "DELETE FROM trial_values WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)",
    "DELETE FROM trial_path WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)",
    ("DELETE FROM param_queue_params WHERE queue_id IN "
     "(SELECT queue_id FROM param_queue WHERE study_id = $1)"),
    "DELETE FROM param_queue WHERE study_id = $1",
    "DELETE FROM trials WHERE study_id = $1",
    "DELETE FROM study_identity WHERE study_id = $1",
    "DELETE FROM studies WHERE study_id = $1",
};

static int delete_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    change_arg *arg = p;
    arg->found = false;
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    int64_t study_id = 0;
    dial_direction direction;
    int found = find(store, arg->name, true, &study_id, &direction);
    if (found < 0) return found;
    for (size_t i = 0; found == 1 && i < sizeof delete_sql / sizeof delete_sql[0]; i++) {
        pg_params params = {0};
        dial_pg_param_int(&params, study_id);
        if (dial_pg_command(store, delete_sql[i], &params) != PG_DONE) return PG_ERROR;
    }
    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    arg->found = found == 1;
    return PG_DONE;
}

dial_status dial_pg_delete_study(dial_ctx *ctx, void *self, const char *name, bool *found) {
    change_arg arg = {.name = name};
    dial_status status = dial_pg_transact(ctx, self, "deleting a study", delete_body, &arg);
    *found = status == DIAL_OK && arg.found;
    return status;
}

static int rename_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    change_arg *arg = p;
    arg->found = false;
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    int64_t study_id = 0, taken_id = 0;
    dial_direction direction;
    int found = find(store, arg->name, true, &study_id, &direction);
    if (found < 0) return found;
    if (found == 0) return dial_pg_command(store, "COMMIT", NULL);
    int taken = find(store, arg->to, false, &taken_id, &direction);
    if (taken < 0) return taken;
    if (taken == 1) {
        *status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                            "%s already has a study '%s'; delete it first (dial studies %s "
                            "--delete %s) or choose another name",
                            store->where, arg->to, store->where, arg->to);
        return PG_FAILED;
    }
    pg_params params = {0};
    dial_pg_param_int(&params, study_id);
    dial_pg_param_text(&params, arg->to);
    if (dial_pg_command(store, "UPDATE studies SET name = $2 WHERE study_id = $1", &params) !=
            PG_DONE ||
        dial_pg_command(store, "COMMIT", NULL) != PG_DONE)
        return PG_ERROR;
    arg->found = true;
    return PG_DONE;
}

dial_status dial_pg_rename_study(dial_ctx *ctx, void *self, const char *from, const char *to,
                                 bool *found) {
    change_arg arg = {.name = from, .to = to};
    dial_status status = dial_pg_transact(ctx, self, "renaming a study", rename_body, &arg);
    *found = status == DIAL_OK && arg.found;
    return status;
}

/* ---- the queue of known configurations ------------------------------------------ */

typedef struct enqueue_arg {
    int64_t study_id;
    const dial_trial_record *params;
    bool added;
} enqueue_arg;

/* Whether the study holds the params already: a queued entry with exactly
 * these names and texts, or a trial (any state) with these names and texts
 * among its params. The names and texts go as two arrays. */
static int study_holds(pg_storage *store, const enqueue_arg *arg, const char *names,
                       const char *texts, bool *held) {
    char count[32], study[32];
    snprintf(study, sizeof study, "%lld", (long long)arg->study_id);
    snprintf(count, sizeof count, "%zu", arg->params->n_params);
    const char *values[] = {study, count, names, texts};
    PGresult *row = dial_pg_exec(
        store,
        "WITH wanted (name, text) AS (SELECT * FROM unnest($3::text[], $4::text[])) SELECT "
        "EXISTS (SELECT 1 FROM param_queue q WHERE q.study_id = $1 AND "
        "(SELECT count(*) FROM param_queue_params p WHERE p.queue_id = q.queue_id) = $2 AND "
        "(SELECT count(*) FROM param_queue_params p JOIN wanted w ON w.name = p.name AND "
        "w.text = p.text WHERE p.queue_id = q.queue_id) = $2) OR "
        "EXISTS (SELECT 1 FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
        "JOIN wanted w ON w.name = p.name AND w.text = p.text WHERE t.study_id = $1 "
        "GROUP BY p.trial_id HAVING count(*) = $2)",
        4, values);
    if (!row) return PG_ERROR;
    *held = strcmp(dial_pg_text(row, 0, 0), "t") == 0;
    PQclear(row);
    return PG_DONE;
}

/* A PostgreSQL array literal of the texts: {"a","b"} with " and \ escaped.
 * malloc'ed. */
static char *array_literal(dial_ctx *ctx, char *const *texts, size_t n) {
    size_t size = 3;
    for (size_t i = 0; i < n; i++) size += 2 * strlen(texts[i]) + 3;
    char *out = dial_malloc(ctx, size);
    if (!out) return NULL;
    char *p = out;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        *p++ = '"';
        for (const char *c = texts[i]; *c; c++) {
            if (*c == '"' || *c == '\\') *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

static int push_entry(pg_storage *store, const enqueue_arg *arg) {
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    PGresult *entry = dial_pg_query(store,
                                    "INSERT INTO param_queue (study_id, from_number) VALUES "
                                    "($1, -1) RETURNING queue_id",
                                    &study);
    if (!entry) return PG_ERROR;
    int64_t queue_id = dial_pg_int(entry, 0, 0);
    PQclear(entry);
    return dial_pg_write_params(store, true, queue_id, arg->params);
}

static int enqueue_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    enqueue_arg *arg = p;
    arg->added = false;
    char *names = array_literal(ctx, arg->params->param_names, arg->params->n_params);
    char *texts = array_literal(ctx, arg->params->param_texts, arg->params->n_params);
    if (!names || !texts) {
        free(names);
        free(texts);
        return dial_pg_nomem(ctx, NULL, status);
    }
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    bool held = false;
    /* The study's row lock: two workers enqueueing one configuration at
     * once queue it once. */
    int rc = dial_pg_command(store, "BEGIN", NULL);
    if (rc == PG_DONE)
        rc = dial_pg_command(store, "SELECT 1 FROM studies WHERE study_id = $1 FOR UPDATE", &study);
    if (rc == PG_DONE) rc = study_holds(store, arg, names, texts, &held);
    free(names);
    free(texts);
    if (rc != PG_DONE) return rc;
    if (!held && push_entry(store, arg) != PG_DONE) return PG_ERROR;
    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    arg->added = !held;
    return PG_DONE;
}

dial_status dial_pg_enqueue(dial_ctx *ctx, void *self, int64_t study_id,
                            const dial_trial_record *params, bool *added) {
    *added = false;
    if (params->n_params == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "an enqueued trial needs at least one param");
    enqueue_arg arg = {study_id, params, false};
    dial_status status = dial_pg_transact(ctx, self, "enqueueing a trial", enqueue_body, &arg);
    *added = status == DIAL_OK && arg.added;
    return status;
}
