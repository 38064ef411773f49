/* The PostgreSQL storage, copying a study whole (dial_study_copy): the
 * same as storage_sqlite_copy.c. The reading is one REPEATABLE READ
 * transaction (one moment of the study), the writing one transaction whose
 * INSERT of the study's row ... ON CONFLICT DO NOTHING decides, under the
 * name's unique index, whether the name was free. */
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_postgres_internal.h"

/* ---- reading ------------------------------------------------------------------ */

typedef struct dump_arg {
    const char *name;
    dial_storage_study_dump *out;
    bool found;
} dump_arg;

static int read_identity(dial_ctx *ctx, pg_storage *store, const pg_params *id,
                         dial_study_identity *out, dial_status *status) {
    PGresult *rows = dial_pg_query(
        store, "SELECT key, value FROM study_identity WHERE study_id = $1 ORDER BY position", id);
    if (!rows) return PG_ERROR;
    for (int i = 0; i < PQntuples(rows); i++)
        if (dial_study_identity_set(ctx, out, dial_pg_text(rows, i, 0), dial_pg_text(rows, i, 1)) !=
            DIAL_OK)
            return dial_pg_nomem(ctx, rows, status);
    PQclear(rows);
    return PG_DONE;
}

/* The sample index and heartbeat of every trial, in the listed order. */
static int read_samples(dial_ctx *ctx, pg_storage *store, const pg_params *id,
                        dial_storage_study_dump *out, dial_status *status) {
    size_t n = out->trials.count;
    out->samples = dial_calloc(ctx, n ? n : 1, sizeof *out->samples);
    out->heartbeats = dial_calloc(ctx, n ? n : 1, sizeof *out->heartbeats);
    if (!out->samples || !out->heartbeats) return dial_pg_nomem(ctx, NULL, status);
    PGresult *rows = dial_pg_query(
        store, "SELECT sample, heartbeat FROM trials WHERE study_id = $1 ORDER BY number", id);
    if (!rows) return PG_ERROR;
    for (int i = 0; i < PQntuples(rows) && (size_t)i < n; i++) {
        out->samples[i] = dial_pg_null(rows, i, 0) ? -1 : dial_pg_int(rows, i, 0);
        out->heartbeats[i] = dial_pg_number(rows, i, 1);
    }
    PQclear(rows);
    return PG_DONE;
}

/* The queued params, oldest entry first; an entry of a trial that died
 * before its first param has none (LEFT JOIN). */
static int read_queue(dial_ctx *ctx, pg_storage *store, const pg_params *id, dial_trial_list *queue,
                      dial_status *status) {
    PGresult *rows = dial_pg_query(
        store,
        "SELECT q.queue_id, q.from_number, p.name, p.kind, p.value, p.text FROM param_queue q "
        "LEFT JOIN param_queue_params p ON p.queue_id = q.queue_id WHERE q.study_id = $1 "
        "ORDER BY q.queue_id, p.position",
        id);
    if (!rows) return PG_ERROR;
    int64_t entry = -1;
    dial_trial_record *record = NULL;
    for (int i = 0; i < PQntuples(rows); i++) {
        if (!record || dial_pg_int(rows, i, 0) != entry) {
            entry = dial_pg_int(rows, i, 0);
            if (!(record = dial_trial_list_push(ctx, queue)))
                return dial_pg_nomem(ctx, rows, status);
            record->number = dial_pg_int(rows, i, 1);
            record->value = NAN;
        }
        if (dial_pg_null(rows, i, 2)) continue;
        dial_param_kind kind = DIAL_PARAM_FLOAT;
        dial_param_kind_parse(dial_pg_text(rows, i, 3), &kind);
        if (!dial_record_add_param(ctx, record, dial_pg_text(rows, i, 2), kind,
                                   dial_pg_number(rows, i, 4), dial_pg_text(rows, i, 5)))
            return dial_pg_nomem(ctx, rows, status);
    }
    PQclear(rows);
    return PG_DONE;
}

static int dump_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    dump_arg *arg = p;
    dial_storage_study_dump_free(arg->out);
    arg->found = false;
    if (dial_pg_command(store, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL) != PG_DONE)
        return PG_ERROR;
    pg_params name = {0};
    dial_pg_param_text(&name, arg->name);
    PGresult *row = dial_pg_query(store,
                                  "SELECT study_id, direction, created_at, next_number, "
                                  "next_sample FROM studies WHERE name = $1",
                                  &name);
    if (!row) return PG_ERROR;
    if (PQntuples(row) != 1) {
        PQclear(row);
        return dial_pg_command(store, "COMMIT", NULL);
    }
    arg->found = true;
    dial_storage_study_dump *out = arg->out;
    int64_t study_id = dial_pg_int(row, 0, 0);
    out->direction =
        strcmp(dial_pg_text(row, 0, 1), "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    out->created_at = dial_pg_number(row, 0, 2);
    out->next_number = dial_pg_int(row, 0, 3);
    out->next_sample = dial_pg_int(row, 0, 4);
    PQclear(row);
    if (!(out->name = dial_strdup(ctx, arg->name))) return dial_pg_nomem(ctx, NULL, status);
    pg_params id = {0};
    dial_pg_param_int(&id, study_id);
    int result = read_identity(ctx, store, &id, &out->identity, status);
    if (result == PG_DONE)
        result = dial_pg_list_in_transaction(ctx, store, study_id, 0, &out->trials, status);
    if (result == PG_DONE) result = read_samples(ctx, store, &id, out, status);
    if (result == PG_DONE) result = read_queue(ctx, store, &id, &out->queue, status);
    return result == PG_DONE ? dial_pg_command(store, "COMMIT", NULL) : result;
}

dial_status dial_pg_dump_study(dial_ctx *ctx, void *self, const char *name,
                               dial_storage_study_dump *out, bool *found) {
    *out = (dial_storage_study_dump){0};
    dump_arg arg = {.name = name, .out = out};
    dial_status status = dial_pg_transact(ctx, self, "reading the study", dump_body, &arg);
    *found = status == DIAL_OK && arg.found;
    if (!*found) dial_storage_study_dump_free(out);
    return status;
}

/* ---- writing ------------------------------------------------------------------ */

typedef struct load_arg {
    const dial_storage_study_dump *study;
    bool created;
} load_arg;

int dial_pg_write_params(pg_storage *store, bool queue, int64_t owner,
                         const dial_trial_record *record) {
    for (size_t i = 0; i < record->n_params; i++) {
        pg_params params = {0};
        dial_pg_param_int(&params, owner);
        dial_pg_param_int(&params, (int64_t)i);
        dial_pg_param_text(&params, record->param_names[i]);
        dial_pg_param_text(&params, dial_param_kind_name(record->param_kinds[i]));
        dial_pg_param_double(&params, record->param_values[i]);
        dial_pg_param_text(&params, record->param_texts[i]);
        if (dial_pg_command(store,
                            queue ? "INSERT INTO param_queue_params (queue_id, position, name, "
                                    "kind, value, text) VALUES ($1, $2, $3, $4, $5, $6)"
                                  : "INSERT INTO trial_params (trial_id, position, name, kind, "
                                    "value, text) VALUES ($1, $2, $3, $4, $5, $6)",
                            &params) != PG_DONE)
            return PG_ERROR;
    }
    return PG_DONE;
}

/* Intermediate values (path false) or the path of a trial. */
static int write_steps(pg_storage *store, bool path, int64_t trial_id, const int64_t *steps,
                       const double *values, size_t n) {
    for (size_t i = 0; i < n; i++) {
        pg_params params = {0};
        dial_pg_param_int(&params, trial_id);
        dial_pg_param_int(&params, steps[i]);
        dial_pg_param_double(&params, values[i]);
        if (dial_pg_command(store,
                            path ? "INSERT INTO trial_path (trial_id, step, value) "
                                   "VALUES ($1, $2, $3)"
                                 : "INSERT INTO trial_values (trial_id, step, value) "
                                   "VALUES ($1, $2, $3)",
                            &params) != PG_DONE)
            return PG_ERROR;
    }
    return PG_DONE;
}

static int write_trial(pg_storage *store, int64_t study_id, const dial_storage_study_dump *study,
                       size_t i) {
    const dial_trial_record *trial = &study->trials.items[i];
    pg_params params = {0};
    dial_pg_param_int(&params, study_id);
    dial_pg_param_int(&params, trial->number);
    if (study->samples[i] < 0)
        dial_pg_param_text(&params, NULL);
    else
        dial_pg_param_int(&params, study->samples[i]);
    dial_pg_param_text(&params, dial_trial_state_name(trial->state));
    dial_pg_param_double(&params, trial->value);
    dial_pg_param_double(&params, trial->started_at);
    dial_pg_param_double(&params, trial->state == DIAL_TRIAL_RUNNING ? NAN : trial->finished_at);
    dial_pg_param_double(&params, study->heartbeats[i]);
    dial_pg_param_int(&params, trial->stale ? 1 : 0);
    dial_pg_param_text(&params, trial->message);
    PGresult *row = dial_pg_query(store,
                                  "INSERT INTO trials (study_id, number, sample, state, value, "
                                  "started_at, finished_at, heartbeat, stale, message) VALUES "
                                  "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING trial_id",
                                  &params);
    if (!row) return PG_ERROR;
    int64_t trial_id = dial_pg_int(row, 0, 0);
    PQclear(row);
    if (dial_pg_write_params(store, false, trial_id, trial) != PG_DONE ||
        write_steps(store, false, trial_id, trial->intermediate_steps, trial->intermediate_values,
                    trial->n_intermediate) != PG_DONE ||
        write_steps(store, true, trial_id, trial->path_steps, trial->path_values, trial->n_path) !=
            PG_DONE)
        return PG_ERROR;
    return PG_DONE;
}

static int write_queue(pg_storage *store, int64_t study_id, const dial_trial_list *queue) {
    for (size_t i = 0; i < queue->count; i++) {
        pg_params params = {0};
        dial_pg_param_int(&params, study_id);
        dial_pg_param_int(&params, queue->items[i].number);
        PGresult *row =
            dial_pg_query(store,
                          "INSERT INTO param_queue (study_id, from_number) VALUES ($1, $2) "
                          "RETURNING queue_id",
                          &params);
        if (!row) return PG_ERROR;
        int64_t queue_id = dial_pg_int(row, 0, 0);
        PQclear(row);
        if (dial_pg_write_params(store, true, queue_id, &queue->items[i]) != PG_DONE)
            return PG_ERROR;
    }
    return PG_DONE;
}

static int load_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    load_arg *arg = p;
    const dial_storage_study_dump *study = arg->study;
    arg->created = false;
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
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    pg_params params = {0};
    dial_pg_param_text(&params, study->name);
    dial_pg_param_text(&params, study->direction == DIAL_MAXIMIZE ? "maximize" : "minimize");
    dial_pg_param_double(&params, study->created_at);
    dial_pg_param_int(&params, study->next_number);
    dial_pg_param_int(&params, study->next_sample);
    dial_pg_param_int(&params, n_running);
    dial_pg_param_int(&params, n_finished);
    PGresult *row = dial_pg_query(store,
                                  "INSERT INTO studies (name, direction, created_at, next_number, "
                                  "next_sample, n_running, n_finished) VALUES ($1, $2, $3, $4, "
                                  "$5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING study_id",
                                  &params);
    if (!row) return PG_ERROR;
    if (PQntuples(row) != 1) { /* the name is taken: nothing is written */
        PQclear(row);
        return dial_pg_command(store, "COMMIT", NULL);
    }
    int64_t study_id = dial_pg_int(row, 0, 0);
    PQclear(row);
    for (size_t i = 0; i < study->identity.n; i++) {
        pg_params key = {0};
        dial_pg_param_int(&key, study_id);
        dial_pg_param_int(&key, (int64_t)i);
        dial_pg_param_text(&key, study->identity.keys[i]);
        dial_pg_param_text(&key, study->identity.values[i]);
        if (dial_pg_command(store,
                            "INSERT INTO study_identity (study_id, position, key, value) "
                            "VALUES ($1, $2, $3, $4)",
                            &key) != PG_DONE)
            return PG_ERROR;
    }
    for (size_t i = 0; i < study->trials.count; i++)
        if (write_trial(store, study_id, study, i) != PG_DONE) return PG_ERROR;
    if (write_queue(store, study_id, &study->queue) != PG_DONE) return PG_ERROR;
    int result = dial_pg_command(store, "COMMIT", NULL);
    arg->created = result == PG_DONE;
    return result;
}

dial_status dial_pg_load_study(dial_ctx *ctx, void *self, const dial_storage_study_dump *study,
                               bool *created) {
    load_arg arg = {.study = study};
    dial_status status = dial_pg_transact(ctx, self, "copying the study", load_body, &arg);
    *created = status == DIAL_OK && arg.created;
    return status;
}
