/* The PostgreSQL storage, reading a study: every trial with its params,
 * intermediate values and path, the best trial, and the counts. A read of
 * several statements is one REPEATABLE READ transaction, so it sees one
 * moment of the study while workers write (as SQLite's read transaction
 * does); the best trial comes from the index of complete trials. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_postgres_internal.h"

#define BEGIN_SNAPSHOT "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define TRIAL_COLUMNS "number, state, value, started_at, finished_at, stale, message"

/* Fills the scalar fields of a record from a row of TRIAL_COLUMNS. */
static bool read_trial_row(const dial_ctx *ctx, const PGresult *rows, int i,
                           dial_trial_record *record) {
    record->number = dial_pg_int(rows, i, 0);
    record->state = DIAL_TRIAL_FAILED;
    dial_trial_state_parse(dial_pg_text(rows, i, 1), &record->state);
    record->value = dial_pg_number(rows, i, 2);
    record->started_at = dial_pg_number(rows, i, 3);
    record->finished_at = dial_pg_null(rows, i, 4) ? 0 : dial_pg_number(rows, i, 4);
    record->stale = dial_pg_int(rows, i, 5) != 0;
    if (!dial_pg_null(rows, i, 6))
        return dial_record_set_message(ctx, record, dial_pg_text(rows, i, 6));
    return true;
}

/* name, kind, value, text from column first on. */
static bool read_param_row(const dial_ctx *ctx, const PGresult *rows, int i, int first,
                           dial_trial_record *record) {
    dial_param_kind kind = DIAL_PARAM_FLOAT;
    dial_param_kind_parse(dial_pg_text(rows, i, first + 1), &kind);
    return dial_record_add_param(ctx, record, dial_pg_text(rows, i, first), kind,
                                 dial_pg_number(rows, i, first + 2),
                                 dial_pg_text(rows, i, first + 3));
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
    int64_t from_number;
    dial_trial_list *out;
} list_arg;

/* What each of the three child tables adds to a listed record. */
enum child { PARAMS, VALUES, PATHS };

static bool add_child(const dial_ctx *ctx, enum child kind, const PGresult *rows, int i,
                      dial_trial_record *record) {
    switch (kind) {
    case PARAMS: return read_param_row(ctx, rows, i, 1, record);
    case VALUES:
        return dial_record_set_intermediate(ctx, record, dial_pg_int(rows, i, 1),
                                            dial_pg_number(rows, i, 2));
    default:
        return dial_record_append_path(ctx, record, dial_pg_int(rows, i, 1),
                                       dial_pg_number(rows, i, 2));
    }
}

int dial_pg_list_in_transaction(dial_ctx *ctx, pg_storage *store, int64_t study_id,
                                int64_t from_number, dial_trial_list *out, dial_status *status) {
    list_arg arg_value = {study_id, from_number, out}, *arg = &arg_value;
    pg_params params = {0};
    dial_pg_param_int(&params, arg->study_id);
    dial_pg_param_int(&params, arg->from_number);
    PGresult *trials = dial_pg_query(store,
                                     "SELECT " TRIAL_COLUMNS " FROM trials WHERE study_id = $1 "
                                     "AND number >= $2 ORDER BY number",
                                     &params);
    if (!trials) return PG_ERROR;
    for (int i = 0; i < PQntuples(trials); i++) {
        dial_trial_record *record = dial_trial_list_push(ctx, arg->out);
        if (!record || !read_trial_row(ctx, trials, i, record))
            return dial_pg_nomem(ctx, trials, status);
    }
    PQclear(trials);
    static const char *const child_sql[] = {
        [PARAMS] = "SELECT t.number, p.name, p.kind, p.value, p.text FROM trials t "
                   "JOIN trial_params p ON p.trial_id = t.trial_id WHERE t.study_id = $1 AND "
                   "t.number >= $2 ORDER BY t.number, p.position",
        [VALUES] = "SELECT t.number, v.step, v.value FROM trials t JOIN trial_values v ON "
                   "v.trial_id = t.trial_id WHERE t.study_id = $1 AND t.number >= $2 "
                   "ORDER BY t.number, v.step",
        [PATHS] = "SELECT t.number, p.step, p.value FROM trials t JOIN trial_path p ON "
                  "p.trial_id = t.trial_id WHERE t.study_id = $1 AND t.number >= $2 "
                  "ORDER BY t.number, p.step",
    };
    for (int kind = PARAMS; kind <= PATHS; kind++) {
        PGresult *rows = dial_pg_query(store, child_sql[kind], &params);
        if (!rows) return PG_ERROR;
        dial_trial_record *record = NULL;
        for (int i = 0; i < PQntuples(rows); i++) {
            int64_t number = dial_pg_int(rows, i, 0);
            if (!record || record->number != number) record = find_number(arg->out, number);
            if (record && !add_child(ctx, (enum child)kind, rows, i, record))
                return dial_pg_nomem(ctx, rows, status);
        }
        PQclear(rows);
    }
    return PG_DONE;
}

static int list_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    list_arg *arg = p;
    dial_trial_list_free(arg->out);
    if (dial_pg_command(store, BEGIN_SNAPSHOT, NULL) != PG_DONE) return PG_ERROR;
    int result =
        dial_pg_list_in_transaction(ctx, store, arg->study_id, arg->from_number, arg->out, status);
    return result == PG_DONE ? dial_pg_command(store, "COMMIT", NULL) : result;
}

dial_status dial_pg_trials(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out) {
    return dial_pg_trials_from(ctx, self, study_id, 0, out);
}

dial_status dial_pg_trials_from(dial_ctx *ctx, void *self, int64_t study_id, int64_t from_number,
                                dial_trial_list *out) {
    *out = (dial_trial_list){0};
    list_arg arg = {study_id, from_number, out};
    dial_status status = dial_pg_transact(ctx, self, "reading the trials", list_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
}

/* Reads one trial whole (row, params, intermediate values, path) into
 * *out, inside the caller's transaction. */
static int read_whole_trial(dial_ctx *ctx, pg_storage *store, int64_t trial_id,
                            dial_trial_record *out, dial_status *status) {
    pg_params id = {0};
    dial_pg_param_int(&id, trial_id);
    PGresult *row =
        dial_pg_query(store, "SELECT " TRIAL_COLUMNS " FROM trials WHERE trial_id = $1", &id);
    if (!row) return PG_ERROR;
    if (PQntuples(row) != 1) {
        PQclear(row);
        *status = dial_fail(ctx, DIAL_ERR_FORMAT, "study storage %s lost trial id %lld",
                            store->where, (long long)trial_id);
        return PG_FAILED;
    }
    if (!read_trial_row(ctx, row, 0, out)) return dial_pg_nomem(ctx, row, status);
    PQclear(row);
    /* The child queries of list_body with the trial's number in front. */
    static const char *const child_sql[] = {
        [PARAMS] = ("SELECT 0, name, kind, value, text FROM trial_params WHERE trial_id = $1 "
                    "ORDER BY position"),
        [VALUES] = "SELECT 0, step, value FROM trial_values WHERE trial_id = $1 ORDER BY step",
        [PATHS] = "SELECT 0, step, value FROM trial_path WHERE trial_id = $1 ORDER BY step",
    };
    for (int kind = PARAMS; kind <= PATHS; kind++) {
        PGresult *rows = dial_pg_query(store, child_sql[kind], &id);
        if (!rows) return PG_ERROR;
        for (int i = 0; i < PQntuples(rows); i++)
            if (!add_child(ctx, (enum child)kind, rows, i, out))
                return dial_pg_nomem(ctx, rows, status);
        PQclear(rows);
    }
    return PG_DONE;
}

typedef struct find_trial_arg {
    int64_t study_id, number, trial_id;
    dial_trial_record *out;
    bool found;
} find_trial_arg;

static int find_trial_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    find_trial_arg *arg = p;
    dial_trial_record_clear(arg->out);
    arg->found = false;
    if (dial_pg_command(store, BEGIN_SNAPSHOT, NULL) != PG_DONE) return PG_ERROR;
    pg_params params = {0};
    dial_pg_param_int(&params, arg->study_id);
    dial_pg_param_int(&params, arg->number);
    PGresult *find = dial_pg_query(
        store, "SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2", &params);
    if (!find) return PG_ERROR;
    bool found = PQntuples(find) == 1;
    if (found) arg->trial_id = dial_pg_int(find, 0, 0);
    PQclear(find);
    int rc = found ? read_whole_trial(ctx, store, arg->trial_id, arg->out, status) : PG_DONE;
    if (rc != PG_DONE) return rc;
    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    arg->found = found;
    return PG_DONE;
}

dial_status dial_pg_find_trial(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                               int64_t *trial_id, dial_trial_record *out, bool *found) {
    *out = (dial_trial_record){0};
    find_trial_arg arg = {study_id, number, 0, out, false};
    dial_status status = dial_pg_transact(ctx, self, "finding a trial", find_trial_body, &arg);
    *found = status == DIAL_OK && arg.found;
    if (*found) *trial_id = arg.trial_id;
    if (!*found) dial_trial_record_clear(out);
    return status;
}

typedef struct best_arg {
    int64_t study_id;
    dial_direction direction;
    dial_trial_record *out;
    bool found;
} best_arg;

static int best_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    best_arg *arg = p;
    dial_trial_record_clear(arg->out);
    arg->found = false;
    if (dial_pg_command(store, BEGIN_SNAPSHOT, NULL) != PG_DONE) return PG_ERROR;
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    /* NULL values (NaN) never win, as min()/max() skip them in SQLite. */
    PGresult *best = dial_pg_query(
        store,
        arg->direction == DIAL_MAXIMIZE
            ? "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'complete' AND "
              "value IS NOT NULL ORDER BY value DESC, number LIMIT 1"
            : "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'complete' AND "
              "value IS NOT NULL ORDER BY value, number LIMIT 1",
        &study);
    if (!best) return PG_ERROR;
    bool any = PQntuples(best) == 1;
    int64_t trial_id = any ? dial_pg_int(best, 0, 0) : 0;
    PQclear(best);
    int rc = any ? read_whole_trial(ctx, store, trial_id, arg->out, status) : PG_DONE;
    if (rc != PG_DONE) return rc;
    if (dial_pg_command(store, "COMMIT", NULL) != PG_DONE) return PG_ERROR;
    arg->found = any;
    return PG_DONE;
}

dial_status dial_pg_best(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                         dial_trial_record *out, bool *found) {
    *out = (dial_trial_record){0};
    best_arg arg = {study_id, direction, out, false};
    dial_status status = dial_pg_transact(ctx, self, "finding the best trial", best_body, &arg);
    *found = status == DIAL_OK && arg.found;
    if (!*found) dial_trial_record_clear(out);
    return status;
}

typedef struct counts_arg {
    int64_t study_id, finished, running;
} counts_arg;

static int counts_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    counts_arg *arg = p;
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    PGresult *counts = dial_pg_query(
        store, "SELECT n_finished, n_running FROM studies WHERE study_id = $1", &study);
    if (!counts) return PG_ERROR;
    if (PQntuples(counts) == 1) {
        arg->finished = dial_pg_int(counts, 0, 0);
        arg->running = dial_pg_int(counts, 0, 1);
    }
    PQclear(counts);
    return PG_DONE;
}

dial_status dial_pg_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                           int64_t *running) {
    counts_arg arg = {study_id, 0, 0};
    dial_status status = dial_pg_transact(ctx, self, "counting the trials", counts_body, &arg);
    *finished = arg.finished;
    *running = arg.running;
    return status;
}

typedef struct tally_arg {
    int64_t study_id;
    dial_storage_tally *out;
} tally_arg;

static int tally_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    (void)ctx;
    (void)status;
    tally_arg *arg = p;
    *arg->out = (dial_storage_tally){0};
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    PGresult *rows = dial_pg_query(store,
                                   "SELECT state, stale, count(*) FROM trials WHERE study_id = $1 "
                                   "GROUP BY state, stale",
                                   &study);
    if (!rows) return PG_ERROR;
    for (int i = 0; i < PQntuples(rows); i++) {
        dial_trial_state state = DIAL_TRIAL_FAILED;
        dial_trial_state_parse(dial_pg_text(rows, i, 0), &state);
        int64_t n = dial_pg_int(rows, i, 2);
        if (dial_pg_int(rows, i, 1) != 0)
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
    PQclear(rows);
    return PG_DONE;
}

dial_status dial_pg_tally(dial_ctx *ctx, void *self, int64_t study_id, dial_storage_tally *out) {
    tally_arg arg = {study_id, out};
    return dial_pg_transact(ctx, self, "counting the trials by state", tally_body, &arg);
}

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

static int leaders_body(dial_ctx *ctx, pg_storage *store, void *p, dial_status *status) {
    leaders_arg *arg = p;
    dial_trial_list_free(arg->out);
    if (dial_pg_command(store, BEGIN_SNAPSHOT, NULL) != PG_DONE) return PG_ERROR;
    pg_params params = {0};
    dial_pg_param_int(&params, arg->study_id);
    dial_pg_param_int(&params, (int64_t)arg->n);
    pg_params study = {0};
    dial_pg_param_int(&study, arg->study_id);
    const char *best_sql =
        arg->direction == DIAL_MAXIMIZE
            ? "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'complete' AND value "
              "IS NOT NULL ORDER BY value DESC, number LIMIT $2"
            : "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'complete' AND value "
              "IS NOT NULL ORDER BY value, number LIMIT $2";
    PGresult *best = dial_pg_query(store, best_sql, &params);
    if (!best) return PG_ERROR;
    PGresult *failed = dial_pg_query(store,
                                     "SELECT trial_id FROM trials WHERE study_id = $1 AND state = "
                                     "'failed' AND stale = 0 ORDER BY number LIMIT 1",
                                     &study);
    if (!failed) {
        PQclear(best);
        return PG_ERROR;
    }
    int rc = PG_DONE;
    const PGresult *lists[] = {best, failed};
    for (int l = 0; l < 2 && rc == PG_DONE; l++) {
        for (int i = 0; i < PQntuples(lists[l]) && rc == PG_DONE; i++) {
            dial_trial_record *record = dial_trial_list_push(ctx, arg->out);
            if (!record) {
                *status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a study");
                rc = PG_FAILED;
            } else {
                rc = read_whole_trial(ctx, store, dial_pg_int(lists[l], i, 0), record, status);
            }
        }
    }
    PQclear(best);
    PQclear(failed);
    if (rc != PG_DONE) return rc;
    if (arg->out->count > 1)
        qsort(arg->out->items, arg->out->count, sizeof *arg->out->items, compare_record_numbers);
    return dial_pg_command(store, "COMMIT", NULL);
}

dial_status dial_pg_leaders(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                            size_t n, dial_trial_list *out) {
    *out = (dial_trial_list){0};
    leaders_arg arg = {study_id, direction, n, out};
    dial_status status = dial_pg_transact(ctx, self, "reading the best trials", leaders_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
}
