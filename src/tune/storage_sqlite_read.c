/* The SQLite storage, reading a study: every trial with its params,
 * intermediate values and path, the best trial, and the counts. Each read
 * is one read transaction, so it sees a consistent study while workers
 * write; the best trial comes from two index lookups, not a scan. */
#include <math.h>
#include <stdlib.h>

#include "tune/record.h"
#include "tune/storage_sqlite_internal.h"

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

dial_status dial_sqlite_trials(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out) {
    *out = (dial_trial_list){0};
    list_arg arg = {study_id, out};
    dial_status status = dial_sqlite_transact(ctx, self, "reading the trials", list_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
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

    sqlite3_stmt *row = statement(store, TRIAL_ROW);
    sqlite3_bind_int64(row, 1, trial_id);
    if ((rc = next_row(row)) != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
    bool ok = read_trial_row(row, arg->out);
    sqlite3_reset(row);
    if (!ok) return nomem(ctx, row, status);
    sqlite3_stmt *params = statement(store, TRIAL_PARAMS);
    sqlite3_bind_int64(params, 1, trial_id);
    while ((rc = next_row(params)) == SQLITE_ROW)
        if (!read_param_row(params, 0, arg->out)) return nomem(ctx, params, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *values = statement(store, TRIAL_VALUES);
    sqlite3_bind_int64(values, 1, trial_id);
    while ((rc = next_row(values)) == SQLITE_ROW)
        if (!dial_record_set_intermediate(arg->out, sqlite3_column_int64(values, 0),
                                          column_number(values, 1)))
            return nomem(ctx, values, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *path = statement(store, TRIAL_PATH);
    sqlite3_bind_int64(path, 1, trial_id);
    while ((rc = next_row(path)) == SQLITE_ROW)
        if (!dial_record_append_path(arg->out, sqlite3_column_int64(path, 0),
                                     column_number(path, 1)))
            return nomem(ctx, path, status);
    if (rc != SQLITE_DONE) return rc;
    if ((rc = run_id(store, COMMIT)) != SQLITE_OK) return rc;
    arg->found = true;
    return SQLITE_OK;
}

dial_status dial_sqlite_best(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                             dial_trial_record *out, bool *found) {
    *out = (dial_trial_record){0};
    best_arg arg = {study_id, direction, out, false};
    dial_status status = dial_sqlite_transact(ctx, self, "finding the best trial", best_body, &arg);
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

dial_status dial_sqlite_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                               int64_t *running) {
    counts_arg arg = {study_id, 0, 0};
    dial_status status = dial_sqlite_transact(ctx, self, "counting the trials", counts_body, &arg);
    *finished = arg.finished;
    *running = arg.running;
    return status;
}
