/* The SQLite storage, reading a study: every trial with its params,
 * intermediate values and path, the best trial, and the counts. Each read
 * is one read transaction, so it sees a consistent study while workers
 * write; the best trial comes from two index lookups, not a scan. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/storage_sqlite_internal.h"

/* Fills the scalar fields of a record from a LIST_TRIALS or TRIAL_ROW row. */
static bool read_trial_row(const dial_ctx *ctx, sqlite3_stmt *row, dial_trial_record *record) {
    record->number = sqlite3_column_int64(row, 0);
    record->state = DIAL_TRIAL_FAILED;
    dial_trial_state_parse(column_text(row, 1), &record->state);
    record->value = column_number(row, 2);
    record->started_at = column_number(row, 3);
    record->finished_at = sqlite3_column_type(row, 4) == SQLITE_NULL ? 0 : column_number(row, 4);
    record->stale = sqlite3_column_int64(row, 5) != 0;
    if (sqlite3_column_type(row, 6) != SQLITE_NULL)
        return dial_record_set_message(ctx, record, column_text(row, 6));
    return true;
}

static bool read_param_row(const dial_ctx *ctx, sqlite3_stmt *row, int first,
                           dial_trial_record *record) {
    dial_param_kind kind = DIAL_PARAM_FLOAT;
    dial_param_kind_parse(column_text(row, first + 1), &kind);
    return dial_record_add_param(ctx, record, column_text(row, first), kind,
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
    int64_t from_number; /* the trials numbered this or more */
    dial_trial_list *out;
} list_arg;

int dial_sqlite_list_in_transaction(dial_ctx *ctx, sqlite_storage *store, int64_t study_id,
                                    int64_t from_number, dial_trial_list *out,
                                    dial_status *status) {
    list_arg arg_value = {study_id, from_number, out}, *arg = &arg_value;
    int rc = SQLITE_OK;
    sqlite3_stmt *trials = statement(store, LIST_TRIALS);
    sqlite3_bind_int64(trials, 1, arg->study_id);
    sqlite3_bind_int64(trials, 2, arg->from_number);
    while ((rc = next_row(trials)) == SQLITE_ROW) {
        dial_trial_record *record = dial_trial_list_push(ctx, arg->out);
        if (!record || !read_trial_row(ctx, trials, record)) return nomem(ctx, trials, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *params = statement(store, LIST_PARAMS);
    sqlite3_bind_int64(params, 1, arg->study_id);
    sqlite3_bind_int64(params, 2, arg->from_number);
    dial_trial_record *record = NULL;
    while ((rc = next_row(params)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(params, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !read_param_row(ctx, params, 1, record)) return nomem(ctx, params, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *values = statement(store, LIST_VALUES);
    sqlite3_bind_int64(values, 1, arg->study_id);
    sqlite3_bind_int64(values, 2, arg->from_number);
    record = NULL;
    while ((rc = next_row(values)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(values, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !dial_record_set_intermediate(ctx, record, sqlite3_column_int64(values, 1),
                                                    column_number(values, 2)))
            return nomem(ctx, values, status);
    }
    if (rc != SQLITE_DONE) return rc;

    sqlite3_stmt *paths = statement(store, LIST_PATHS);
    sqlite3_bind_int64(paths, 1, arg->study_id);
    sqlite3_bind_int64(paths, 2, arg->from_number);
    record = NULL;
    while ((rc = next_row(paths)) == SQLITE_ROW) {
        int64_t number = sqlite3_column_int64(paths, 0);
        if (!record || record->number != number) record = find_number(arg->out, number);
        if (record && !dial_record_append_path(ctx, record, sqlite3_column_int64(paths, 1),
                                               column_number(paths, 2)))
            return nomem(ctx, paths, status);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int list_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    list_arg *arg = p;
    dial_trial_list_free(arg->out);
    int rc = run_id(store, BEGIN_READ);
    if (rc == SQLITE_OK)
        rc = dial_sqlite_list_in_transaction(ctx, store, arg->study_id, arg->from_number, arg->out,
                                             status);
    return rc == SQLITE_OK ? run_id(store, COMMIT) : rc;
}

dial_status dial_sqlite_trials(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out) {
    return dial_sqlite_trials_from(ctx, self, study_id, 0, out);
}

dial_status dial_sqlite_trials_from(dial_ctx *ctx, void *self, int64_t study_id,
                                    int64_t from_number, dial_trial_list *out) {
    *out = (dial_trial_list){0};
    list_arg arg = {study_id, from_number, out};
    dial_status status = dial_sqlite_transact(ctx, self, "reading the trials", list_body, &arg);
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
    bool ok = read_trial_row(ctx, row, out);
    sqlite3_reset(row);
    if (!ok) return nomem(ctx, row, status);
    sqlite3_stmt *params = statement(store, TRIAL_PARAMS);
    sqlite3_bind_int64(params, 1, trial_id);
    while ((rc = next_row(params)) == SQLITE_ROW)
        if (!read_param_row(ctx, params, 0, out)) return nomem(ctx, params, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *values = statement(store, TRIAL_VALUES);
    sqlite3_bind_int64(values, 1, trial_id);
    while ((rc = next_row(values)) == SQLITE_ROW)
        if (!dial_record_set_intermediate(ctx, out, sqlite3_column_int64(values, 0),
                                          column_number(values, 1)))
            return nomem(ctx, values, status);
    if (rc != SQLITE_DONE) return rc;
    sqlite3_stmt *path = statement(store, TRIAL_PATH);
    sqlite3_bind_int64(path, 1, trial_id);
    while ((rc = next_row(path)) == SQLITE_ROW)
        if (!dial_record_append_path(ctx, out, sqlite3_column_int64(path, 0),
                                     column_number(path, 1)))
            return nomem(ctx, path, status);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Trial `number` of a study, read whole, for telling it by its number.
 * Prepared here rather than kept with the per-trial statements: it runs
 * once per `dial tell`, whose process opens the file for that alone. */
typedef struct find_trial_arg {
    int64_t study_id, number, trial_id;
    dial_trial_record *out;
    bool found;
} find_trial_arg;

static int find_trial_body(dial_ctx *ctx, sqlite_storage *store, void *p, dial_status *status) {
    find_trial_arg *arg = p;
    dial_trial_record_clear(arg->out);
    arg->found = false;
    int rc = run_id(store, BEGIN_READ);
    if (rc != SQLITE_OK) return rc;
    sqlite3_stmt *find = NULL;
    rc = sqlite3_prepare_v2(store->db,
                            "SELECT trial_id FROM trials WHERE study_id = ?1 AND number = ?2", -1,
                            &find, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(find, 1, arg->study_id);
    sqlite3_bind_int64(find, 2, arg->number);
    rc = sqlite3_step(find);
    bool found = rc == SQLITE_ROW;
    if (found) arg->trial_id = sqlite3_column_int64(find, 0);
    sqlite3_finalize(find);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
    if (found && (rc = read_whole_trial(ctx, store, arg->trial_id, arg->out, status)) != SQLITE_OK)
        return rc;
    if ((rc = run_id(store, COMMIT)) != SQLITE_OK) return rc;
    arg->found = found;
    return SQLITE_OK;
}

dial_status dial_sqlite_find_trial(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                                   int64_t *trial_id, dial_trial_record *out, bool *found) {
    *out = (dial_trial_record){0};
    find_trial_arg arg = {study_id, number, 0, out, false};
    dial_status status = dial_sqlite_transact(ctx, self, "finding a trial", find_trial_body, &arg);
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

dial_status dial_sqlite_tally(dial_ctx *ctx, void *self, int64_t study_id,
                              dial_storage_tally *out) {
    tally_arg arg = {study_id, out};
    return dial_sqlite_transact(ctx, self, "counting the trials by state", tally_body, &arg);
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
    int64_t *ids = dial_malloc(ctx, (arg->n + 1) * sizeof *ids);
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
        dial_trial_record *record = dial_trial_list_push(ctx, arg->out);
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

dial_status dial_sqlite_leaders(dial_ctx *ctx, void *self, int64_t study_id,
                                dial_direction direction, size_t n, dial_trial_list *out) {
    *out = (dial_trial_list){0};
    leaders_arg arg = {study_id, direction, n, out};
    dial_status status =
        dial_sqlite_transact(ctx, self, "reading the best trials", leaders_body, &arg);
    if (status != DIAL_OK) dial_trial_list_free(out);
    return status;
}
