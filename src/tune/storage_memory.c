/* The in-memory storage: one study per handle, gone when it is closed.
 *
 * Memory is bounded by the work, not by the time: a fast objective under a
 * long timeout finishes millions of trials, and a record for each (1.1 kB
 * with its names, texts and fold scores) once took 1.7 GB in 20 seconds.
 * So the storage keeps, of the finished trials, only
 *   - the MEMORY_RECENT_KEPT most recent, the window a sampler that learns
 *     from the history (TPE, GP) reads,
 *   - the MEMORY_BEST_KEPT best complete ones, for the leaderboard and the
 *     best trial,
 *   - the first that failed by its objective, whose message says why a
 *     study has no complete trial,
 * plus exact counts per state; and every running trial. Reading the study
 * (dial_study_trials) returns those, ascending number.
 *
 * Every call is O(1) amortised in the size of the study, except where it
 * is O(jobs) (the running trials are a small array searched by id) or
 * O(MEMORY_BEST_KEPT) (a trial entering the best ones). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "tune/record.h"
#include "tune/storage.h"

#define MEMORY_RECENT_KEPT 1000
#define MEMORY_BEST_KEPT 100

/* A running trial. */
typedef struct memory_trial {
    dial_trial_record record;
    int64_t sample;
    double heartbeat;
} memory_trial;

typedef struct memory_storage {
    char *name;
    dial_direction direction;
    dial_study_identity identity;
    bool has_study;
    memory_trial *running; /* in no order; a finished one leaves by a swap with the last */
    size_t n_running, running_capacity;
    int64_t next_number;
    int64_t next_sample;
    /* Counts of finished trials; failed excludes stale ones. */
    int64_t n_complete, n_pruned, n_failed, n_stale;
    /* The most recent finished trials: a ring of MEMORY_RECENT_KEPT, the
     * oldest at recent_head. */
    dial_trial_record *recent;
    size_t recent_head, recent_count;
    /* The best complete trials, best first (ties: lower number first). */
    dial_trial_record *best;
    size_t n_best;
    dial_trial_record first_failed;
    bool has_first_failed;
    /* The queue of fixed params: records of stale trials, first in first out. */
    dial_trial_record *queue;
    size_t queue_head, queue_count, queue_capacity;
} memory_storage;

static dial_status memory_nomem(dial_ctx *ctx) {
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the in-memory study storage");
}

static dial_status memory_open_study(dial_ctx *ctx, void *self, const char *name,
                                     dial_direction direction, const dial_study_identity *identity,
                                     int64_t *study_id) {
    memory_storage *store = self;
    if (store->has_study) {
        if (strcmp(store->name, name) != 0)
            return dial_fail(ctx, DIAL_ERR_INTERNAL,
                             "an in-memory storage holds one study ('%s'), not '%s'", store->name,
                             name);
        if (store->direction != direction)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "study '%s' in memory was created to %s; cannot resume it to %s", name,
                             store->direction == DIAL_MAXIMIZE ? "maximize" : "minimize",
                             direction == DIAL_MAXIMIZE ? "maximize" : "minimize");
        *study_id = 0;
        if (store->identity.n > 0)
            return dial_study_identity_check(ctx, name, "memory", &store->identity, identity);
        return dial_study_identity_copy(ctx, identity, &store->identity);
    }
    if (!(store->name = dial_strdup(ctx, name))) return memory_nomem(ctx);
    dial_status status = dial_study_identity_copy(ctx, identity, &store->identity);
    if (status != DIAL_OK) return status;
    store->direction = direction;
    store->has_study = true;
    *study_id = 0;
    return DIAL_OK;
}

/* ---- the finished trials that are kept ---------------------------------- */

/* Whether trial a beats trial b; ties go to the lower number, as in SQLite. */
static bool better(dial_direction direction, const dial_trial_record *a,
                   const dial_trial_record *b) {
    if (a->value == b->value) return a->number < b->number;
    return direction == DIAL_MAXIMIZE ? a->value > b->value : a->value < b->value;
}

/* Takes a copy of a complete trial into the best ones when it is among them. */
static bool keep_if_best(const dial_ctx *ctx, memory_storage *store,
                         const dial_trial_record *trial) {
    size_t at = store->n_best;
    while (at > 0 && better(store->direction, trial, &store->best[at - 1])) at--;
    if (at == MEMORY_BEST_KEPT) return true;
    if (!store->best && !(store->best = dial_calloc(ctx, MEMORY_BEST_KEPT, sizeof *store->best)))
        return false;
    dial_trial_record copy;
    if (!dial_record_copy(ctx, &copy, trial)) return false;
    if (store->n_best == MEMORY_BEST_KEPT) dial_trial_record_clear(&store->best[--store->n_best]);
    memmove(&store->best[at + 1], &store->best[at], (store->n_best - at) * sizeof *store->best);
    store->best[at] = copy;
    store->n_best++;
    return true;
}

/* Moves a finished record into the kept ones (the ring of recent trials,
 * copies among the best and the first failed), counting it. *record is
 * left empty. Returns false when out of memory (the record is then lost
 * from the listing, not from the counts). */
static bool keep_finished(const dial_ctx *ctx, memory_storage *store, dial_trial_record *record) {
    if (record->stale)
        store->n_stale++;
    else if (record->state == DIAL_TRIAL_COMPLETE)
        store->n_complete++;
    else if (record->state == DIAL_TRIAL_PRUNED)
        store->n_pruned++;
    else
        store->n_failed++;
    bool ok = true;
    if (record->state == DIAL_TRIAL_COMPLETE) ok = keep_if_best(ctx, store, record);
    if (ok && record->state == DIAL_TRIAL_FAILED && !record->stale && !store->has_first_failed) {
        ok = dial_record_copy(ctx, &store->first_failed, record);
        store->has_first_failed = ok;
    }
    if (ok && !store->recent &&
        !(store->recent = dial_calloc(ctx, MEMORY_RECENT_KEPT, sizeof *store->recent)))
        ok = false;
    if (!ok) {
        dial_trial_record_clear(record);
        return false;
    }
    if (store->recent_count == MEMORY_RECENT_KEPT) {
        dial_trial_record_clear(&store->recent[store->recent_head]);
        store->recent_head = (store->recent_head + 1) % MEMORY_RECENT_KEPT;
        store->recent_count--;
    }
    store->recent[(store->recent_head + store->recent_count) % MEMORY_RECENT_KEPT] = *record;
    store->recent_count++;
    *record = (dial_trial_record){0};
    return true;
}

/* A finished trial that is still kept, or NULL. */
static const dial_trial_record *find_finished(const memory_storage *store, int64_t number) {
    for (size_t i = 0; i < store->recent_count; i++) {
        const dial_trial_record *record =
            &store->recent[(store->recent_head + i) % MEMORY_RECENT_KEPT];
        if (record->number == number) return record;
    }
    for (size_t i = 0; i < store->n_best; i++)
        if (store->best[i].number == number) return &store->best[i];
    if (store->has_first_failed && store->first_failed.number == number)
        return &store->first_failed;
    return NULL;
}

/* ---- running trials ------------------------------------------------------- */

/* Moves running trial i out of the running ones into *out. */
static void running_take(memory_storage *store, size_t i, dial_trial_record *out) {
    *out = store->running[i].record;
    store->running[i] = store->running[--store->n_running];
}

/* Queues the params of a stale trial for the next trial to take. */
static dial_status queue_params(dial_ctx *ctx, memory_storage *store,
                                const dial_trial_record *record) {
    if (store->queue_head + store->queue_count == store->queue_capacity) {
        if (store->queue_head > 0) {
            memmove(store->queue, store->queue + store->queue_head,
                    store->queue_count * sizeof *store->queue);
            store->queue_head = 0;
        } else {
            size_t capacity = store->queue_capacity ? store->queue_capacity * 2 : 4;
            dial_trial_record *bigger =
                dial_realloc_array(ctx, store->queue, capacity, sizeof *store->queue);
            if (!bigger) return memory_nomem(ctx);
            store->queue = bigger;
            store->queue_capacity = capacity;
        }
    }
    dial_trial_record *entry = &store->queue[store->queue_head + store->queue_count];
    if (!dial_record_copy(ctx, entry, record)) return memory_nomem(ctx);
    store->queue_count++;
    return DIAL_OK;
}

/* Marks stale trials failed and queues their params. */
static dial_status memory_sweep(dial_ctx *ctx, memory_storage *store,
                                const dial_storage_start *request, size_t *n_marked) {
    double oldest = request->now - request->heartbeat_seconds;
    for (size_t i = 0; i < store->n_running;) {
        memory_trial *trial = &store->running[i];
        if (trial->heartbeat >= oldest) {
            i++;
            continue;
        }
        if (trial->record.n_params > 0) {
            dial_status status = queue_params(ctx, store, &trial->record);
            if (status != DIAL_OK) return status;
        }
        char message[160];
        snprintf(message, sizeof message,
                 "stale: no heartbeat for %g s (its worker stopped); its params run again in a "
                 "later trial",
                 request->heartbeat_seconds);
        if (!dial_record_set_message(ctx, &trial->record, message)) return memory_nomem(ctx);
        trial->record.state = DIAL_TRIAL_FAILED;
        trial->record.stale = true;
        trial->record.finished_at = request->now;
        dial_trial_record record;
        running_take(store, i, &record); /* the last running trial moved into slot i */
        if (!keep_finished(ctx, store, &record)) return memory_nomem(ctx);
        (*n_marked)++;
    }
    return DIAL_OK;
}

static dial_status memory_start_trial(dial_ctx *ctx, void *self, int64_t study_id,
                                      const dial_storage_start *request, dial_storage_trial *out) {
    memory_storage *store = self;
    *out = (dial_storage_trial){0};
    dial_status status = memory_sweep(ctx, store, request, &out->n_marked_stale);
    if (status != DIAL_OK) return status;
    int64_t finished = store->n_complete + store->n_pruned + store->n_failed;
    if (request->max_trials > 0 && finished + (int64_t)store->n_running >= request->max_trials)
        return DIAL_OK;

    if (store->n_running == store->running_capacity) {
        size_t capacity = store->running_capacity ? store->running_capacity * 2 : 8;
        memory_trial *bigger = dial_realloc_array(ctx, store->running, capacity, sizeof *bigger);
        if (!bigger) return memory_nomem(ctx);
        store->running = bigger;
        store->running_capacity = capacity;
    }
    memory_trial *trial = &store->running[store->n_running];
    *trial = (memory_trial){0};
    if (store->queue_count > 0) {
        /* The queued record moves into the trial: it keeps only the params. */
        dial_trial_record *entry = &store->queue[store->queue_head];
        trial->record = *entry;
        free(trial->record.intermediate_steps);
        free(trial->record.intermediate_values);
        free(trial->record.path_steps);
        free(trial->record.path_values);
        free(trial->record.message);
        trial->record.intermediate_steps = NULL;
        trial->record.intermediate_values = NULL;
        trial->record.n_intermediate = 0;
        trial->record.path_steps = NULL;
        trial->record.path_values = NULL;
        trial->record.n_path = 0;
        trial->record.message = NULL;
        trial->record.stale = false;
        trial->sample = -1;
        *entry = (dial_trial_record){0};
        store->queue_head++;
        if (--store->queue_count == 0) store->queue_head = 0;
    } else {
        trial->sample = store->next_sample++;
    }
    trial->record.number = store->next_number++;
    trial->record.state = DIAL_TRIAL_RUNNING;
    trial->record.value = NAN;
    trial->record.started_at = request->now;
    trial->record.finished_at = 0;
    trial->heartbeat = request->now;
    store->n_running++;

    if (!dial_record_copy(ctx, &out->record, &trial->record)) return memory_nomem(ctx);
    out->allocated = true;
    out->trial_id = trial->record.number;
    out->sample = trial->sample;
    return DIAL_OK;
}

/* The running trial with that id (= number), or NULL. */
static memory_trial *running_find(memory_storage *store, int64_t trial_id) {
    for (size_t i = 0; i < store->n_running; i++)
        if (store->running[i].record.number == trial_id) return &store->running[i];
    return NULL;
}

static dial_status memory_no_trial(dial_ctx *ctx, int64_t trial_id) {
    return dial_fail(ctx, DIAL_ERR_INTERNAL, "no trial with id %lld in the in-memory study",
                     (long long)trial_id);
}

/* Writes to a trial that is no longer running are dropped: it was declared
 * stale (its params already run again elsewhere), and its finish says so. */
static dial_status memory_set_param(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                                    const char *name, dial_param_kind kind, double value,
                                    const char *text) {
    memory_storage *store = self;
    memory_trial *trial = running_find(store, trial_id);
    if (!trial)
        return trial_id >= 0 && trial_id < store->next_number ? DIAL_OK
                                                              : memory_no_trial(ctx, trial_id);
    if (!dial_record_set_param(ctx, &trial->record, name, kind, value, text))
        return memory_nomem(ctx);
    return DIAL_OK;
}

static dial_status memory_report(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step,
                                 double value, double now) {
    memory_storage *store = self;
    memory_trial *trial = running_find(store, trial_id);
    if (!trial) return DIAL_OK; /* declared stale: its finish will say so */
    if (!dial_record_set_intermediate(ctx, &trial->record, step, value)) return memory_nomem(ctx);
    trial->heartbeat = now;
    return DIAL_OK;
}

static dial_status memory_report_path(dial_ctx *ctx, void *self, int64_t trial_id,
                                      const int64_t *steps, const double *values, size_t n,
                                      double now) {
    memory_storage *store = self;
    memory_trial *trial = running_find(store, trial_id);
    if (!trial) return DIAL_OK; /* declared stale: its finish will say so */
    if (!dial_record_set_path(ctx, &trial->record, steps, values, n)) return memory_nomem(ctx);
    trial->heartbeat = now;
    return DIAL_OK;
}

static dial_status memory_heartbeat(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                                    double now) {
    memory_storage *store = self;
    for (size_t i = 0; i < n; i++) {
        memory_trial *trial = running_find(store, trial_ids[i]);
        if (trial) trial->heartbeat = now; /* not running: declared stale meanwhile */
    }
    return DIAL_OK;
}

static dial_status memory_finish(dial_ctx *ctx, void *self, int64_t trial_id,
                                 dial_trial_state state, double value, const char *message,
                                 double now, bool *was_stale) {
    memory_storage *store = self;
    *was_stale = false;
    memory_trial *trial = running_find(store, trial_id);
    if (!trial) {
        /* Not running: declared stale, or finished before. A finished
         * trial no longer kept can only be a stale one, since a trial is
         * finished once. */
        const dial_trial_record *kept = find_finished(store, trial_id);
        if (trial_id < 0 || trial_id >= store->next_number) return memory_no_trial(ctx, trial_id);
        if (!kept || kept->stale) {
            *was_stale = true;
            return DIAL_OK;
        }
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "trial %lld is already %s", (long long)trial_id,
                         dial_trial_state_name(kept->state));
    }
    if (state == DIAL_TRIAL_FAILED && !dial_record_set_message(ctx, &trial->record, message))
        return memory_nomem(ctx);
    trial->record.state = state;
    trial->record.value = state == DIAL_TRIAL_COMPLETE ? value : NAN;
    trial->record.finished_at = now;
    dial_trial_record record;
    running_take(store, (size_t)(trial - store->running), &record);
    if (!keep_finished(ctx, store, &record)) return memory_nomem(ctx);
    return DIAL_OK;
}

/* A running trial, or a finished one still kept (the trial id is the number). */
static dial_status memory_find_trial(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                                     int64_t *trial_id, dial_trial_record *out, bool *found) {
    memory_storage *store = self;
    *out = (dial_trial_record){0};
    *found = false;
    const memory_trial *running = running_find(store, number);
    const dial_trial_record *record = running ? &running->record : find_finished(store, number);
    if (!record) return DIAL_OK;
    if (!dial_record_copy(ctx, out, record)) return memory_nomem(ctx);
    *trial_id = number;
    *found = true;
    return DIAL_OK;
}

static int compare_numbers(const void *a, const void *b) {
    const dial_trial_record *x = *(const dial_trial_record *const *)a;
    const dial_trial_record *y = *(const dial_trial_record *const *)b;
    return (x->number > y->number) - (x->number < y->number);
}

/* The kept trials (see the top of the file) numbered from_number or more,
 * ascending number. */
static dial_status memory_trials_from(dial_ctx *ctx, void *self, int64_t study_id,
                                      int64_t from_number, dial_trial_list *out) {
    memory_storage *store = self;
    *out = (dial_trial_list){0};
    size_t n = store->n_running + store->recent_count + store->n_best + 1;
    const dial_trial_record **all = dial_malloc_array(ctx, n, sizeof *all);
    if (!all) return memory_nomem(ctx);
    size_t count = 0;
    for (size_t i = 0; i < store->n_running; i++) all[count++] = &store->running[i].record;
    for (size_t i = 0; i < store->recent_count; i++)
        all[count++] = &store->recent[(store->recent_head + i) % MEMORY_RECENT_KEPT];
    for (size_t i = 0; i < store->n_best; i++) all[count++] = &store->best[i];
    if (store->has_first_failed) all[count++] = &store->first_failed;
    qsort(all, count, sizeof *all, compare_numbers);
    out->items = count ? dial_calloc(ctx, count, sizeof *out->items) : NULL;
    if (count && !out->items) {
        free(all);
        return memory_nomem(ctx);
    }
    for (size_t i = 0; i < count; i++) {
        if (all[i]->number < from_number) continue;
        if (out->count > 0 && out->items[out->count - 1].number == all[i]->number) continue;
        if (!dial_record_copy(ctx, &out->items[out->count], all[i])) {
            free(all);
            dial_trial_list_free(out);
            return memory_nomem(ctx);
        }
        out->count++;
    }
    free(all);
    return DIAL_OK;
}

static dial_status memory_trials(dial_ctx *ctx, void *self, int64_t study_id,
                                 dial_trial_list *out) {
    return memory_trials_from(ctx, self, study_id, 0, out);
}

static dial_status memory_leaders(dial_ctx *ctx, void *self, int64_t study_id,
                                  dial_direction direction, size_t n, dial_trial_list *out) {
    memory_storage *store = self;
    *out = (dial_trial_list){0};
    const dial_trial_record *chosen[MEMORY_BEST_KEPT + 1];
    size_t count = 0;
    for (size_t i = 0; i < store->n_best && i < n; i++) chosen[count++] = &store->best[i];
    if (store->has_first_failed) chosen[count++] = &store->first_failed;
    qsort(chosen, count, sizeof *chosen, compare_numbers);
    for (size_t i = 0; i < count; i++) {
        dial_trial_record *record = dial_trial_list_push(ctx, out);
        if (!record || !dial_record_copy(ctx, record, chosen[i])) {
            dial_trial_list_free(out);
            return memory_nomem(ctx);
        }
    }
    return DIAL_OK;
}

static dial_status memory_best(dial_ctx *ctx, void *self, int64_t study_id,
                               dial_direction direction, dial_trial_record *out, bool *found) {
    memory_storage *store = self;
    *found = false;
    if (store->n_best == 0) return DIAL_OK;
    if (!dial_record_copy(ctx, out, &store->best[0])) return memory_nomem(ctx);
    *found = true;
    return DIAL_OK;
}

static dial_status memory_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                                 int64_t *running) {
    memory_storage *store = self;
    *finished = store->n_complete + store->n_pruned + store->n_failed;
    *running = (int64_t)store->n_running;
    return DIAL_OK;
}

static dial_status memory_tally(dial_ctx *ctx, void *self, int64_t study_id,
                                dial_storage_tally *out) {
    memory_storage *store = self;
    *out = (dial_storage_tally){.complete = store->n_complete,
                                .pruned = store->n_pruned,
                                .failed = store->n_failed,
                                .stale = store->n_stale,
                                .running = (int64_t)store->n_running};
    return DIAL_OK;
}

/* ---- enqueued params -------------------------------------------------------- */

/* Whether record holds every param of wanted with the same text (exact:
 * and no other). */
static bool holds_params(const dial_trial_record *record, const dial_trial_record *wanted,
                         bool exact) {
    if (exact ? record->n_params != wanted->n_params : record->n_params < wanted->n_params)
        return false;
    for (size_t i = 0; i < wanted->n_params; i++) {
        long at = dial_record_find_param(record, wanted->param_names[i]);
        if (at < 0 || strcmp(record->param_texts[at], wanted->param_texts[i]) != 0) return false;
    }
    return true;
}

/* Whether the study holds wanted: queued, or run by a trial it still keeps
 * (an in-memory study is one process's, which enqueues before it runs). */
static bool memory_holds(const memory_storage *store, const dial_trial_record *wanted) {
    for (size_t i = 0; i < store->queue_count; i++)
        if (holds_params(&store->queue[store->queue_head + i], wanted, true)) return true;
    for (size_t i = 0; i < store->n_running; i++)
        if (holds_params(&store->running[i].record, wanted, false)) return true;
    for (size_t i = 0; i < store->recent_count; i++)
        if (holds_params(&store->recent[(store->recent_head + i) % MEMORY_RECENT_KEPT], wanted,
                         false))
            return true;
    for (size_t i = 0; i < store->n_best; i++)
        if (holds_params(&store->best[i], wanted, false)) return true;
    return store->has_first_failed && holds_params(&store->first_failed, wanted, false);
}

static dial_status memory_enqueue(dial_ctx *ctx, void *self, int64_t study_id,
                                  const dial_trial_record *params, bool *added) {
    memory_storage *store = self;
    (void)study_id;
    *added = false;
    if (memory_holds(store, params)) return DIAL_OK;
    dial_trial_record entry = {0};
    for (size_t i = 0; i < params->n_params; i++)
        if (!dial_record_add_param(ctx, &entry, params->param_names[i], params->param_kinds[i],
                                   params->param_values[i], params->param_texts[i])) {
            dial_trial_record_clear(&entry);
            return memory_nomem(ctx);
        }
    dial_status status = queue_params(ctx, store, &entry);
    dial_trial_record_clear(&entry);
    *added = status == DIAL_OK;
    return status;
}

static void memory_close(void *self) {
    memory_storage *store = self;
    if (!store) return;
    for (size_t i = 0; i < store->n_running; i++)
        dial_trial_record_clear(&store->running[i].record);
    for (size_t i = 0; i < store->recent_count; i++)
        dial_trial_record_clear(&store->recent[(store->recent_head + i) % MEMORY_RECENT_KEPT]);
    for (size_t i = 0; i < store->n_best; i++) dial_trial_record_clear(&store->best[i]);
    dial_trial_record_clear(&store->first_failed);
    for (size_t i = 0; i < store->queue_count; i++)
        dial_trial_record_clear(&store->queue[store->queue_head + i]);
    free(store->running);
    free(store->recent);
    free(store->best);
    free(store->queue);
    free(store->name);
    dial_study_identity_free(&store->identity);
    free(store);
}

static const dial_storage_ops memory_ops = {
    .kind = "memory",
    .open_study = memory_open_study,
    .start_trial = memory_start_trial,
    .set_param = memory_set_param,
    .report = memory_report,
    .report_path = memory_report_path,
    .heartbeat = memory_heartbeat,
    .finish = memory_finish,
    .find_trial = memory_find_trial,
    .trials = memory_trials,
    .trials_from = memory_trials_from,
    .best = memory_best,
    .counts = memory_counts,
    .tally = memory_tally,
    .enqueue = memory_enqueue,
    .leaders = memory_leaders,
    .close = memory_close,
};

dial_status dial_storage_memory_open(dial_ctx *ctx, dial_storage *out) {
    *out = (dial_storage){0};
    memory_storage *store = dial_calloc(ctx, 1, sizeof *store);
    if (!store) return memory_nomem(ctx);
    out->ops = &memory_ops;
    out->self = store;
    return DIAL_OK;
}
