/* The PostgreSQL storage, running trials: starting one (the stale sweep,
 * the budget, the queue and the new number in one short transaction under
 * the study's row lock), storing its params, intermediate values and path,
 * heartbeats, and finishing it. The rules are storage.h's, kept as
 * storage_sqlite.c keeps them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_postgres_internal.h"

/* ---- starting a trial ------------------------------------------------------ */

typedef struct start_arg {
    int64_t study_id;
    const dial_storage_start *request;
    dial_storage_trial *out;
} start_arg;

/* Marks the study's stale trials failed and queues their params; the
 * caller holds the study's row lock. The UPDATE rechecks each row it
 * changes, so a trial whose heartbeat another worker has just refreshed is
 * left running. Returns how many went stale through *n, or -1 on error. */
static int sweep_stale(pg_storage *store, start_arg *arg, int64_t *n) {
    const dial_storage_start *request = arg->request;
    char message[160];
    snprintf(message, sizeof message,
             "stale: no heartbeat for %g s (its worker stopped); its params run again in a "
             "later trial",
             request->heartbeat_seconds);
    pg_params params = {0};
    dial_pg_param_int(&params, arg->study_id);
    dial_pg_param_double(&params, request->now - request->heartbeat_seconds);
    dial_pg_param_double(&params, request->now);
    dial_pg_param_text(&params, message);
    PGresult *stale = dial_pg_query(store,
                                    "UPDATE trials SET state = 'failed', stale = 1, "
                                    "finished_at = $3, message = $4 WHERE study_id = $1 AND "
                                    "state = 'running' AND heartbeat < $2 "
                                    "RETURNING trial_id, number",
                                    &params);
    if (!stale) return PG_ERROR;
    *n = PQntuples(stale);
    for (int i = 0; i < PQntuples(stale); i++) {
        pg_params push = {0};
        dial_pg_param_int(&push, arg->study_id);
        dial_pg_param_int(&push, dial_pg_int(stale, i, 1));
        dial_pg_param_int(&push, dial_pg_int(stale, i, 0));
        /* The entry exists only when the trial had params: one that died
         * before its first suggestion has nothing to run again. */
        if (dial_pg_command(store,
                            "WITH entry AS (INSERT INTO param_queue (study_id, from_number) "
                            "SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM trial_params WHERE "
                            "trial_id = $3) RETURNING queue_id) "
                            "INSERT INTO param_queue_params (queue_id, position, name, kind, "
                            "value, text) SELECT entry.queue_id, p.position, p.name, p.kind, "
                            "p.value, p.text FROM entry, trial_params p WHERE p.trial_id = $3",
                            &push) != PG_DONE) {
            PQclear(stale);
            return PG_ERROR;
        }
    }
    PQclear(stale);
    if (*n == 0) return PG_DONE;
    pg_params update = {0};
    dial_pg_param_int(&update, arg->study_id);
    dial_pg_param_int(&update, *n);
    return dial_pg_command(
        store, "UPDATE studies SET n_running = n_running - $2 WHERE study_id = $1", &update);
}

/* Moves the params of queue entry queue_id into the new trial and its
 * record. */
static int take_queued(dial_ctx *ctx, pg_storage *store, start_arg *arg, int64_t queue_id,
                       dial_status *status) {
    dial_storage_trial *out = arg->out;
    pg_params ids = {0};
    dial_pg_param_int(&ids, out->trial_id);
    dial_pg_param_int(&ids, queue_id);
    if (dial_pg_command(store,
                        "INSERT INTO trial_params (trial_id, position, name, kind, value, text) "
                        "SELECT $1, position, name, kind, value, text FROM param_queue_params "
                        "WHERE queue_id = $2",
                        &ids) != PG_DONE)
        return PG_ERROR;
    pg_params queue = {0};
    dial_pg_param_int(&queue, queue_id);
    PGresult *taken = dial_pg_query(store,
                                    "SELECT name, kind, value, text FROM param_queue_params "
                                    "WHERE queue_id = $1 ORDER BY position",
                                    &queue);
    if (!taken) return PG_ERROR;
    for (int i = 0; i < PQntuples(taken); i++) {
        dial_param_kind kind = DIAL_PARAM_FLOAT;
        dial_param_kind_parse(dial_pg_text(taken, i, 1), &kind);
        if (!dial_record_add_param(ctx, &out->record, dial_pg_text(taken, i, 0), kind,
                                   dial_pg_number(taken, i, 2), dial_pg_text(taken, i, 3))) {
            PQclear(taken);
            *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
            return PG_FAILED;
        }
    }
    PQclear(taken);
    if (dial_pg_command(store, "DELETE FROM param_queue_params WHERE queue_id = $1", &queue) !=
        PG_DONE)
        return PG_ERROR;
    return dial_pg_command(store, "DELETE FROM param_queue WHERE queue_id = $1", &queue);
}

static int start_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    start_arg *arg = p;
    dial_storage_trial *out = arg->out;
    dial_trial_record_clear(&out->record);
    *out = (dial_storage_trial){0};
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    /* The study's row lock: starts of this study take turns from here to
     * COMMIT, a few statements long. The COMMIT does not wait for its WAL
     * flush (synchronous_commit off for this transaction alone), or every
     * start and finish of the study would hold the lock through a disk
     * flush and the study would take one trial per two flushes, whatever
     * the number of workers. The start becomes durable with the worker's
     * next write (its params, or its finish), which flushes the WAL up to
     * it; a server that crashes before then forgets the start, and that
     * write then fails on the missing trial: no finished trial is lost.
     * The same statement asks whether any trial went stale and which
     * queued params come first, so that a healthy study's start holds the
     * lock for two statements (this and the insert), not four. */
    dial_pg_param_double(&study, arg->request->now - arg->request->heartbeat_seconds);
    PGresult *counts = dial_pg_query(
        store,
        "SELECT next_number, next_sample, n_finished, n_running, "
        "set_config('synchronous_commit', 'off', true), "
        "EXISTS (SELECT 1 FROM trials WHERE study_id = $1 AND state = 'running' AND "
        "heartbeat < $2), "
        "(SELECT queue_id FROM param_queue WHERE study_id = $1 ORDER BY queue_id LIMIT 1) "
        "FROM studies WHERE study_id = $1 FOR UPDATE",
        &study);
    if (!counts) return PG_ERROR;
    if (PQntuples(counts) != 1) {
        PQclear(counts);
        *status = dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s lost study id %lld",
                            store->where, (long long)arg->study_id);
        return PG_FAILED;
    }
    int64_t number = dial_pg_int(counts, 0, 0);
    int64_t sample = dial_pg_int(counts, 0, 1);
    int64_t finished = dial_pg_int(counts, 0, 2);
    int64_t running = dial_pg_int(counts, 0, 3);
    bool any_stale = strcmp(dial_pg_text(counts, 0, 5), "t") == 0;
    int64_t queue_id = PQgetisnull(counts, 0, 6) ? -1 : dial_pg_int(counts, 0, 6);
    PQclear(counts);
    int64_t n_stale = 0;
    int rc = any_stale ? sweep_stale(store, arg, &n_stale) : PG_DONE;
    if (rc != PG_DONE) return rc;
    out->n_marked_stale = (size_t)n_stale;
    running -= n_stale;
    int64_t max_trials = arg->request->max_trials;
    if (max_trials > 0 && finished + running >= max_trials)
        return dial_pg_command(store, "COMMIT", NULL);

    if (n_stale > 0) { /* the sweep queued their params: the head may be theirs */
        pg_params id = {0};
        dial_pg_param_int(&id, arg->study_id);
        PGresult *head = dial_pg_query(store,
                                       "SELECT queue_id FROM param_queue WHERE study_id = $1 "
                                       "ORDER BY queue_id LIMIT 1",
                                       &id);
        if (!head) return PG_ERROR;
        queue_id = PQntuples(head) > 0 ? dial_pg_int(head, 0, 0) : -1;
        PQclear(head);
    }

    pg_params trial = {0};
    dial_pg_param_int(&trial, arg->study_id);
    dial_pg_param_int(&trial, number);
    if (queue_id >= 0)
        dial_pg_param_text(&trial, NULL);
    else
        dial_pg_param_int(&trial, sample);
    dial_pg_param_double(&trial, arg->request->now);
    /* The trial and the study's counters in one statement (the study's
     * row is locked since the first). */
    dial_pg_param_int(&trial, queue_id >= 0 ? sample : sample + 1);
    PGresult *inserted = dial_pg_query(store,
                                       "WITH counters AS (UPDATE studies SET next_number = $2 + "
                                       "1, next_sample = $5, n_running = n_running + 1 WHERE "
                                       "study_id = $1) INSERT INTO trials (study_id, number, "
                                       "sample, state, started_at, heartbeat) VALUES ($1, $2, "
                                       "$3, 'running', $4, $4) RETURNING trial_id",
                                       &trial);
    if (!inserted) return PG_ERROR;
    out->trial_id = dial_pg_int(inserted, 0, 0);
    PQclear(inserted);
    out->sample = queue_id >= 0 ? -1 : sample;
    if (queue_id >= 0 && (rc = take_queued(ctx, store, arg, queue_id, status)) != PG_DONE)
        return rc;

    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    out->allocated = true;
    out->record.number = number;
    out->record.state = DIAL_TRIAL_RUNNING;
    out->record.value = NAN;
    out->record.started_at = arg->request->now;
    return PG_DONE;
}

dial_status dial_pg_start_trial(dial_ctx *ctx, void *self, int64_t study_id,
                                const dial_storage_start *request, dial_storage_trial *out) {
    *out = (dial_storage_trial){0};
    start_arg arg = {study_id, request, out};
    dial_status status = dial_pg_transact(ctx, self, "starting a trial", start_body, &arg);
    if (status != DIAL_OK) {
        dial_trial_record_clear(&out->record);
        *out = (dial_storage_trial){0};
    }
    return status;
}

/* ---- running trials ---------------------------------------------------------- */

typedef struct param_arg {
    int64_t trial_id;
    size_t position;
    const char *name;
    dial_param_kind kind;
    double value;
    const char *text;
} param_arg;

static int param_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    param_arg *arg = p;
    pg_params params = {0};
    dial_pg_param_int(&params, arg->trial_id);
    dial_pg_param_int(&params, (int64_t)arg->position);
    dial_pg_param_text(&params, arg->name);
    dial_pg_param_text(&params, dial_param_kind_name(arg->kind));
    dial_pg_param_double(&params, arg->value);
    dial_pg_param_text(&params, arg->text);
    return dial_pg_command(store,
                           "INSERT INTO trial_params (trial_id, position, name, kind, value, "
                           "text) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (trial_id, name) "
                           "DO UPDATE SET position = EXCLUDED.position, kind = EXCLUDED.kind, "
                           "value = EXCLUDED.value, text = EXCLUDED.text",
                           &params);
}

dial_status dial_pg_set_param(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                              const char *name, dial_param_kind kind, double value,
                              const char *text) {
    param_arg arg = {trial_id, position, name, kind, value, text};
    return dial_pg_transact(ctx, self, "storing a parameter", param_body, &arg);
}

#define HEARTBEAT_SQL "UPDATE trials SET heartbeat = $2 WHERE trial_id = $1 AND state = 'running'"

static int heartbeat_one(pg_storage *store, int64_t trial_id, double now) {
    pg_params beat = {0};
    dial_pg_param_int(&beat, trial_id);
    dial_pg_param_double(&beat, now);
    return dial_pg_command(store, HEARTBEAT_SQL, &beat);
}

typedef struct report_arg {
    int64_t trial_id, step;
    double value, now;
} report_arg;

static int report_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    report_arg *arg = p;
    pg_params params = {0};
    dial_pg_param_int(&params, arg->trial_id);
    dial_pg_param_int(&params, arg->step);
    dial_pg_param_double(&params, arg->value);
    dial_pg_param_double(&params, arg->now);
    /* The value and the heartbeat in one statement, which is its own
     * transaction: one round trip per intermediate value. */
    return dial_pg_command(store,
                           "WITH stored AS (INSERT INTO trial_values (trial_id, step, value) "
                           "VALUES ($1, $2, $3) ON CONFLICT (trial_id, step) DO UPDATE SET value "
                           "= EXCLUDED.value) UPDATE trials SET heartbeat = $4 WHERE trial_id = "
                           "$1 AND state = 'running'",
                           &params);
}

dial_status dial_pg_report(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step, double value,
                           double now) {
    report_arg arg = {trial_id, step, value, now};
    return dial_pg_transact(ctx, self, "storing an intermediate value", report_body, &arg);
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
static int path_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    path_arg *arg = p;
    pg_params trial = {0};
    dial_pg_param_int(&trial, arg->trial_id);
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE ||
        dial_pg_command(store, "DELETE FROM trial_path WHERE trial_id = $1", &trial) != PG_DONE)
        return PG_ERROR;
    for (size_t i = 0; i < arg->n; i++) {
        pg_params point = {0};
        dial_pg_param_int(&point, arg->trial_id);
        dial_pg_param_int(&point, arg->steps[i]);
        dial_pg_param_double(&point, arg->values[i]);
        if (dial_pg_command(store,
                            "INSERT INTO trial_path (trial_id, step, value) VALUES ($1, $2, $3)",
                            &point) != PG_DONE)
            return PG_ERROR;
    }
    if (heartbeat_one(store, arg->trial_id, arg->now) != PG_DONE) return PG_ERROR;
    return dial_pg_command(store, "COMMIT", NULL);
}

dial_status dial_pg_report_path(dial_ctx *ctx, void *self, int64_t trial_id, const int64_t *steps,
                                const double *values, size_t n, double now) {
    path_arg arg = {trial_id, steps, values, n, now};
    return dial_pg_transact(ctx, self, "storing a trial's path", path_body, &arg);
}

typedef struct heartbeat_arg {
    const int64_t *trial_ids;
    size_t n;
    double now;
} heartbeat_arg;

static int heartbeat_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    heartbeat_arg *arg = p;
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    for (size_t i = 0; i < arg->n; i++)
        if (heartbeat_one(store, arg->trial_ids[i], arg->now) != PG_DONE) return PG_ERROR;
    return dial_pg_command(store, "COMMIT", NULL);
}

dial_status dial_pg_heartbeat(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                              double now) {
    if (n == 0) return DIAL_OK;
    heartbeat_arg arg = {trial_ids, n, now};
    return dial_pg_transact(ctx, self, "sending heartbeats", heartbeat_body, &arg);
}

/* ---- finishing ---------------------------------------------------------------- */

typedef struct finish_arg {
    int64_t trial_id;
    dial_trial_state state;
    double value, now;
    const char *message;
    bool was_stale;
} finish_arg;

/* Makes a finish committed without waiting for the disk durable before the
 * worker counts it done: a write of its own (the trial's row rewritten as
 * it is) commits synchronously, which flushes the WAL up to and past the
 * finish, with no study lock held, so the flushes of concurrent workers
 * are shared (group commit) instead of taken in turn. A connection lost
 * here runs the finish again, which finds itself stored and flushes. */
static int flush_finish(pg_storage *store, pg_params *trial) {
    return dial_pg_command(store, "UPDATE trials SET finished_at = finished_at WHERE trial_id = $1",
                           trial);
}

static int finish_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    finish_arg *arg = p;
    arg->was_stale = false;
    pg_params trial = {0};
    dial_pg_param_int(&trial, arg->trial_id);
    if (dial_pg_command(store, "BEGIN", NULL) != PG_DONE) return PG_ERROR;
    /* The study's row first, then the trial's: the order a start takes.
     * As a start's, this COMMIT leaves the lock without waiting for the
     * disk; flush_finish then waits for it outside the lock. */
    PGresult *row = dial_pg_query(store,
                                  "SELECT t.study_id, t.number, t.state, t.stale, t.finished_at, "
                                  "set_config('synchronous_commit', 'off', true) "
                                  "FROM studies s JOIN trials t ON t.study_id = s.study_id "
                                  "WHERE t.trial_id = $1 FOR UPDATE OF s, t",
                                  &trial);
    if (!row) return PG_ERROR;
    if (PQntuples(row) != 1) {
        PQclear(row);
        *status = dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s lost trial id %lld",
                            store->where, (long long)arg->trial_id);
        return PG_FAILED;
    }
    int64_t study_id = dial_pg_int(row, 0, 0);
    int64_t number = dial_pg_int(row, 0, 1);
    dial_trial_state state = DIAL_TRIAL_RUNNING;
    dial_trial_state_parse(dial_pg_text(row, 0, 2), &state);
    bool stale = dial_pg_int(row, 0, 3) != 0;
    double finished_at = dial_pg_number(row, 0, 4);
    PQclear(row);
    if (state != DIAL_TRIAL_RUNNING) {
        if (stale) {
            arg->was_stale = true;
            return dial_pg_command(store, "COMMIT", NULL);
        }
        /* A retry whose first COMMIT reached the server but whose answer
         * was lost finds its own finish: done, not counted twice. */
        if (store->attempt > 0 && state == arg->state && finished_at == arg->now) {
            if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
            return flush_finish(store, &trial);
        }
        *status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "trial %lld is already %s", (long long)number,
                            dial_trial_state_name(state));
        return PG_FAILED;
    }
    pg_params finish = {0};
    dial_pg_param_int(&finish, arg->trial_id);
    dial_pg_param_text(&finish, dial_trial_state_name(arg->state));
    dial_pg_param_double(&finish, arg->state == DIAL_TRIAL_COMPLETE ? arg->value : NAN);
    dial_pg_param_double(&finish, arg->now);
    dial_pg_param_text(&finish, arg->state == DIAL_TRIAL_FAILED ? arg->message : NULL);
    dial_pg_param_int(&finish, study_id);
    /* The trial and the study's counters in one statement. */
    if (dial_pg_command(store,
                        "WITH finished AS (UPDATE trials SET state = $2, value = $3, "
                        "finished_at = $4, message = $5 WHERE trial_id = $1) UPDATE studies SET "
                        "n_running = n_running - 1, n_finished = n_finished + 1 WHERE "
                        "study_id = $6",
                        &finish) != PG_DONE)
        return PG_ERROR;
    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    return flush_finish(store, &trial);
}

dial_status dial_pg_finish(dial_ctx *ctx, void *self, int64_t trial_id, dial_trial_state state,
                           double value, const char *message, double now, bool *was_stale) {
    finish_arg arg = {trial_id, state, value, now, message, false};
    dial_status status = dial_pg_transact(ctx, self, "finishing a trial", finish_body, &arg);
    *was_stale = arg.was_stale;
    return status;
}
