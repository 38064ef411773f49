/* The in-memory storage: one study per handle, gone when it is closed.
 *
 * Every call is O(1) amortised in the size of the study: trials sit in an
 * array indexed by trial id (= number), the running trials in a small set
 * for the stale sweep, the counts and the best trial are kept as trials
 * finish. Only reading the whole study is O(trials). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "tune/record.h"
#include "tune/storage.h"

typedef struct memory_trial {
    dial_trial_record record;
    int64_t sample;
    double heartbeat;
    size_t running_slot; /* index in memory_storage.running while running */
} memory_trial;

typedef struct memory_storage {
    char *name;
    dial_direction direction;
    dial_study_identity identity;
    bool has_study;
    memory_trial *trials;
    size_t n_trials, capacity;
    size_t *running; /* indices of running trials */
    size_t n_running, running_capacity;
    int64_t n_finished; /* complete, pruned, failed by the objective */
    int64_t next_sample;
    long best; /* index of the best complete trial, -1 if none */
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
    if (!(store->name = dial_strdup(name))) return memory_nomem(ctx);
    dial_status status = dial_study_identity_copy(ctx, identity, &store->identity);
    if (status != DIAL_OK) return status;
    store->direction = direction;
    store->has_study = true;
    *study_id = 0;
    return DIAL_OK;
}

static void running_remove(memory_storage *store, size_t index) {
    size_t slot = store->trials[index].running_slot;
    size_t last = store->running[--store->n_running];
    store->running[slot] = last;
    store->trials[last].running_slot = slot;
}

/* Marks stale trials failed and queues their params. */
static dial_status memory_sweep(dial_ctx *ctx, memory_storage *store,
                                const dial_storage_start *request, size_t *n_marked) {
    double oldest = request->now - request->heartbeat_seconds;
    for (size_t i = 0; i < store->n_running;) {
        size_t index = store->running[i];
        memory_trial *trial = &store->trials[index];
        if (trial->heartbeat >= oldest) {
            i++;
            continue;
        }
        if (trial->record.n_params > 0) {
            if (store->queue_head + store->queue_count == store->queue_capacity) {
                if (store->queue_head > 0) {
                    memmove(store->queue, store->queue + store->queue_head,
                            store->queue_count * sizeof *store->queue);
                    store->queue_head = 0;
                } else {
                    size_t capacity = store->queue_capacity ? store->queue_capacity * 2 : 4;
                    dial_trial_record *bigger =
                        realloc(store->queue, capacity * sizeof *store->queue);
                    if (!bigger) return memory_nomem(ctx);
                    store->queue = bigger;
                    store->queue_capacity = capacity;
                }
            }
            dial_trial_record *entry = &store->queue[store->queue_head + store->queue_count];
            if (!dial_record_copy(entry, &trial->record)) return memory_nomem(ctx);
            store->queue_count++;
        }
        char message[160];
        snprintf(message, sizeof message,
                 "stale: no heartbeat for %g s (its worker stopped); its params run again in a "
                 "later trial",
                 request->heartbeat_seconds);
        if (!dial_record_set_message(&trial->record, message)) return memory_nomem(ctx);
        trial->record.state = DIAL_TRIAL_FAILED;
        trial->record.stale = true;
        trial->record.finished_at = request->now;
        running_remove(store, index); /* the last running trial moved into slot i */
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
    if (request->max_trials > 0 &&
        store->n_finished + (int64_t)store->n_running >= request->max_trials)
        return DIAL_OK;

    if (store->n_trials == store->capacity) {
        size_t capacity = store->capacity ? store->capacity * 2 : 64;
        memory_trial *bigger = realloc(store->trials, capacity * sizeof *bigger);
        if (!bigger) return memory_nomem(ctx);
        store->trials = bigger;
        store->capacity = capacity;
    }
    if (store->n_running == store->running_capacity) {
        size_t capacity = store->running_capacity ? store->running_capacity * 2 : 8;
        size_t *bigger = realloc(store->running, capacity * sizeof *bigger);
        if (!bigger) return memory_nomem(ctx);
        store->running = bigger;
        store->running_capacity = capacity;
    }
    size_t index = store->n_trials;
    memory_trial *trial = &store->trials[index];
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
    trial->record.number = (int64_t)index;
    trial->record.state = DIAL_TRIAL_RUNNING;
    trial->record.value = NAN;
    trial->record.started_at = request->now;
    trial->record.finished_at = 0;
    trial->heartbeat = request->now;
    trial->running_slot = store->n_running;
    store->running[store->n_running++] = index;
    store->n_trials++;

    if (!dial_record_copy(&out->record, &trial->record)) return memory_nomem(ctx);
    out->allocated = true;
    out->trial_id = (int64_t)index;
    out->sample = trial->sample;
    return DIAL_OK;
}

static memory_trial *memory_find(dial_ctx *ctx, memory_storage *store, int64_t trial_id) {
    if (trial_id < 0 || (size_t)trial_id >= store->n_trials) {
        dial_fail(ctx, DIAL_ERR_INTERNAL, "no trial with id %lld in the in-memory study",
                  (long long)trial_id);
        return NULL;
    }
    return &store->trials[trial_id];
}

static dial_status memory_set_param(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                                    const char *name, dial_param_kind kind, double value,
                                    const char *text) {
    memory_trial *trial = memory_find(ctx, self, trial_id);
    if (!trial) return DIAL_ERR_INTERNAL;
    if (!dial_record_set_param(&trial->record, name, kind, value, text)) return memory_nomem(ctx);
    return DIAL_OK;
}

static dial_status memory_report(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step,
                                 double value, double now) {
    memory_trial *trial = memory_find(ctx, self, trial_id);
    if (!trial) return DIAL_ERR_INTERNAL;
    if (!dial_record_set_intermediate(&trial->record, step, value)) return memory_nomem(ctx);
    if (trial->record.state == DIAL_TRIAL_RUNNING) trial->heartbeat = now;
    return DIAL_OK;
}

static dial_status memory_report_path(dial_ctx *ctx, void *self, int64_t trial_id,
                                      const int64_t *steps, const double *values, size_t n,
                                      double now) {
    memory_trial *trial = memory_find(ctx, self, trial_id);
    if (!trial) return DIAL_ERR_INTERNAL;
    if (!dial_record_set_path(&trial->record, steps, values, n)) return memory_nomem(ctx);
    if (trial->record.state == DIAL_TRIAL_RUNNING) trial->heartbeat = now;
    return DIAL_OK;
}

static dial_status memory_heartbeat(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                                    double now) {
    for (size_t i = 0; i < n; i++) {
        memory_trial *trial = memory_find(ctx, self, trial_ids[i]);
        if (!trial) return DIAL_ERR_INTERNAL;
        if (trial->record.state == DIAL_TRIAL_RUNNING) trial->heartbeat = now;
    }
    return DIAL_OK;
}

/* Whether trial a beats trial b; ties go to the lower number, as in SQLite. */
static bool better(dial_direction direction, const dial_trial_record *a,
                   const dial_trial_record *b) {
    if (a->value == b->value) return a->number < b->number;
    return direction == DIAL_MAXIMIZE ? a->value > b->value : a->value < b->value;
}

static dial_status memory_finish(dial_ctx *ctx, void *self, int64_t trial_id,
                                 dial_trial_state state, double value, const char *message,
                                 double now, bool *was_stale) {
    memory_storage *store = self;
    memory_trial *trial = memory_find(ctx, store, trial_id);
    if (!trial) return DIAL_ERR_INTERNAL;
    *was_stale = false;
    if (trial->record.state != DIAL_TRIAL_RUNNING) {
        if (trial->record.stale) {
            *was_stale = true;
            return DIAL_OK;
        }
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "trial %lld is already %s",
                         (long long)trial->record.number,
                         dial_trial_state_name(trial->record.state));
    }
    if (state == DIAL_TRIAL_FAILED && !dial_record_set_message(&trial->record, message))
        return memory_nomem(ctx);
    trial->record.state = state;
    trial->record.value = state == DIAL_TRIAL_COMPLETE ? value : NAN;
    trial->record.finished_at = now;
    running_remove(store, (size_t)trial_id);
    store->n_finished++;
    if (state == DIAL_TRIAL_COMPLETE &&
        (store->best < 0 ||
         better(store->direction, &trial->record, &store->trials[store->best].record)))
        store->best = (long)trial_id;
    return DIAL_OK;
}

static dial_status memory_trials(dial_ctx *ctx, void *self, int64_t study_id,
                                 dial_trial_list *out) {
    memory_storage *store = self;
    *out = (dial_trial_list){0};
    if (store->n_trials == 0) return DIAL_OK;
    out->items = calloc(store->n_trials, sizeof *out->items);
    if (!out->items) return memory_nomem(ctx);
    for (size_t i = 0; i < store->n_trials; i++) {
        if (!dial_record_copy(&out->items[i], &store->trials[i].record)) {
            dial_trial_list_free(out);
            return memory_nomem(ctx);
        }
        out->count = i + 1;
    }
    return DIAL_OK;
}

static dial_status memory_best(dial_ctx *ctx, void *self, int64_t study_id,
                               dial_direction direction, dial_trial_record *out, bool *found) {
    memory_storage *store = self;
    *found = false;
    if (store->best < 0) return DIAL_OK;
    if (!dial_record_copy(out, &store->trials[store->best].record)) return memory_nomem(ctx);
    *found = true;
    return DIAL_OK;
}

static dial_status memory_counts(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                                 int64_t *running) {
    memory_storage *store = self;
    *finished = store->n_finished;
    *running = (int64_t)store->n_running;
    return DIAL_OK;
}

static void memory_close(void *self) {
    memory_storage *store = self;
    if (!store) return;
    for (size_t i = 0; i < store->n_trials; i++) dial_trial_record_clear(&store->trials[i].record);
    for (size_t i = 0; i < store->queue_count; i++)
        dial_trial_record_clear(&store->queue[store->queue_head + i]);
    free(store->trials);
    free(store->running);
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
    .trials = memory_trials,
    .best = memory_best,
    .counts = memory_counts,
    .close = memory_close,
};

dial_status dial_storage_memory_open(dial_ctx *ctx, dial_storage *out) {
    *out = (dial_storage){0};
    memory_storage *store = calloc(1, sizeof *store);
    if (!store) return memory_nomem(ctx);
    store->best = -1;
    out->ops = &memory_ops;
    out->self = store;
    return DIAL_OK;
}
