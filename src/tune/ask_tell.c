/*
 * Asking a whole space and telling a trial by its number: ask-and-tell
 * across processes, for programs that are not C (`dial ask`, `dial tell`,
 * `dial run`).
 *
 * One process asks: it starts a trial, suggests every parameter of the
 * study's typed space (dial_trial_suggest_space), prints them and releases
 * the handle (dial_trial_release); the trial stays running in the storage.
 * Another process, later, tells it by its number (dial_study_tell_number)
 * or reports an intermediate value (dial_study_report_number). Nothing but
 * the storage connects the two, so the trial is found again by (study,
 * number), and every way the number can be wrong (no such trial, told
 * before, expired because no tell came within the heartbeat period, told
 * to another study) is one line that names the study and its storage,
 * with nothing changed.
 *
 * A trial asked and never told is handled by the stale machinery of
 * storage.h: its heartbeat is its start (or its last report), and the next
 * start_trial of any handle after heartbeat_seconds marks it failed and
 * stale and queues its params for a new trial.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "tune/record.h"
#include "tune/study_internal.h"

/* ---- asking a whole space ---------------------------------------------------- */

/* Whether param i is active given the values the trial holds: unconditional,
 * or its controller took one of the values its condition lists. *decided is
 * false while the controller has not been suggested yet. */
static bool param_active(const dial_space *space, const dial_trial_record *record,
                         const bool *inactive, size_t i, bool *decided) {
    *decided = true;
    char controller[128];
    const char *values =
        dial_knob_condition_split(space->params[i].condition, controller, sizeof controller);
    long control = values ? dial_space_find(space, controller) : -1;
    /* A condition on a parameter outside the space cannot be judged: the
     * parameter is searched, as the grid does. */
    if (control < 0 || (size_t)control == i) return true;
    if (inactive[control]) return false;
    long at = dial_record_find_param(record, controller);
    if (at < 0) {
        *decided = false;
        return false;
    }
    const char *chosen = record->param_texts[at];
    size_t length = strlen(chosen);
    for (const char *p = values;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == length && strncmp(p, chosen, n) == 0) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

dial_status dial_trial_suggest_space(dial_trial *trial, const dial_space *space) {
    if (!trial) return DIAL_ERR_ARGUMENT;
    if (!space || space->n == 0) return DIAL_OK;
    dial_ctx *ctx = trial->ctx;
    bool *done = dial_calloc(ctx, space->n, sizeof *done);
    bool *inactive = dial_calloc(ctx, space->n, sizeof *inactive);
    if (!done || !inactive) {
        free(done);
        free(inactive);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory suggesting a space");
    }
    /* Pass after pass in the space's order: a conditional parameter waits
     * for its controller. A pass that decides nothing leaves only a cycle
     * (which a typed space refuses); its parameters are then searched. */
    dial_status status = DIAL_OK;
    size_t left = space->n;
    bool force = false;
    while (left > 0 && status == DIAL_OK) {
        size_t before = left;
        for (size_t i = 0; i < space->n && status == DIAL_OK; i++) {
            if (done[i]) continue;
            bool decided = true;
            bool active = param_active(space, &trial->record, inactive, i, &decided);
            if (!decided && !force) continue;
            done[i] = true;
            left--;
            if (!active && decided) {
                inactive[i] = true;
                continue;
            }
            double value = 0;
            status = dial_trial_suggest_param(trial, "suggest_space", &space->params[i], &value);
        }
        force = left == before;
    }
    free(done);
    free(inactive);
    return status;
}

const dial_trial_record *dial_trial_get_record(const dial_trial *trial) {
    return trial ? &trial->record : NULL;
}

void dial_trial_release(dial_trial *trial) { dial_trial_free(trial); }

/* ---- finding a trial by its number -------------------------------------------- */

/* "in s.db" or "in memory", as the messages name the storage. */
static const char *storage_where(const dial_study *study) {
    return study->storage_shown ? study->storage_shown : "memory";
}

/* The message for a number the study has no trial of (or, in memory, no
 * longer keeps). */
static dial_status no_such_trial(dial_ctx *ctx, dial_study *study, int64_t number) {
    dial_storage_tally tally;
    pthread_mutex_lock(&study->lock);
    dial_status status =
        study->storage.ops->tally(ctx, study->storage.self, study->study_id, &tally);
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    int64_t count = tally.complete + tally.pruned + tally.failed + tally.stale + tally.running;
    const char *name = study->name, *where = storage_where(study);
    if (number >= 0 && number < count)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "trial %lld of study '%s' in %s finished long ago and is no longer kept; "
                         "it was told before",
                         (long long)number, name, where);
    if (count == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s has no trial %lld; it has no trials yet", name, where,
                         (long long)number);
    if (count == 1)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' in %s has no trial %lld; its only trial is number 0", name,
                         where, (long long)number);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "study '%s' in %s has no trial %lld; its trials are numbered 0 to %lld", name,
                     where, (long long)number, (long long)(count - 1));
}

/* The heartbeat period after which a stale trial was declared dead: the
 * worker that swept it wrote it in the trial's message (storage_memory.c
 * and storage_sqlite.c alike: "stale: no heartbeat for 60 s ..."), and it
 * may differ from this handle's (`dial ask --heartbeat 5`, then a `dial
 * tell` with the default). */
static double stale_period(const dial_study *study, const dial_trial_record *record) {
    double seconds = 0;
    if (record->message &&
        sscanf(record->message, "stale: no heartbeat for %lf s", &seconds) == 1 && seconds > 0)
        return seconds;
    return study->heartbeat_seconds;
}

/* The message for a trial found but no longer running. */
static dial_status not_running(dial_ctx *ctx, dial_study *study, const dial_trial_record *record) {
    const char *name = study->name, *where = storage_where(study);
    long long number = (long long)record->number;
    if (record->stale)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "trial %lld of study '%s' in %s expired after %g s without a tell; its "
                         "params were queued for another trial",
                         number, name, where, stale_period(study, record));
    if (record->state == DIAL_TRIAL_COMPLETE) {
        char value[40];
        dial_format_shortest(record->value, value, sizeof value);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "trial %lld of study '%s' in %s is already complete (value %s); it was "
                         "told before",
                         number, name, where, value);
    }
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "trial %lld of study '%s' in %s is already %s; it was told before", number,
                     name, where, dial_trial_state_name(record->state));
}

/* Finds running trial `number`: its id and record (the caller clears it).
 * Any other outcome is the error the caller returns. */
static dial_status find_running(dial_ctx *ctx, dial_study *study, int64_t number, int64_t *trial_id,
                                dial_trial_record *record) {
    *record = (dial_trial_record){0};
    bool found = false;
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->find_trial(ctx, study->storage.self, study->study_id,
                                                        number, trial_id, record, &found);
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    if (!found) return no_such_trial(ctx, study, number);
    if (record->state != DIAL_TRIAL_RUNNING) {
        status = not_running(ctx, study, record);
        dial_trial_record_clear(record);
    }
    return status;
}

/* ---- telling and reporting by number ------------------------------------------- */

dial_status dial_study_tell_number(dial_ctx *ctx, dial_study *study, int64_t number,
                                   dial_trial_state state, double value, const char *message) {
    if (!study) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_tell_number needs a study");
    const char *name = study->name, *where = storage_where(study);
    if (state != DIAL_TRIAL_COMPLETE && state != DIAL_TRIAL_FAILED && state != DIAL_TRIAL_PRUNED)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "trial %lld of study '%s' in %s cannot be told %s; a told trial is "
                         "complete (with its value), pruned or failed",
                         (long long)number, name, where, dial_trial_state_name(state));
    if (state == DIAL_TRIAL_COMPLETE && isnan(value))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "trial %lld of study '%s' in %s cannot be complete with the value nan; "
                         "tell it failed instead",
                         (long long)number, name, where);
    int64_t trial_id = 0;
    dial_trial_record record;
    dial_status status = find_running(ctx, study, number, &trial_id, &record);
    if (status != DIAL_OK) return status;

    double now = dial_tune_now();
    bool was_stale = false;
    pthread_mutex_lock(&study->lock);
    /* A pruned trial's value is the intermediate values it reported; a
     * message only says why a trial failed. */
    if (state != DIAL_TRIAL_COMPLETE) value = NAN;
    if (state != DIAL_TRIAL_FAILED) message = NULL;
    status = study->storage.ops->finish(ctx, study->storage.self, trial_id, state, value, message,
                                        now, &was_stale);
    pthread_mutex_unlock(&study->lock);
    if (status == DIAL_OK && was_stale) {
        /* Another handle declared it stale between the look-up and the
         * write; the storage kept it failed and stale. */
        record.stale = true;
        status = not_running(ctx, study, &record);
    } else if (status == DIAL_ERR_ARGUMENT) {
        /* Told by another process between the look-up and the write. */
        dial_trial_record_clear(&record);
        status = find_running(ctx, study, number, &trial_id, &record);
        if (status == DIAL_OK)
            status = dial_fail(ctx, DIAL_ERR_INTERNAL,
                               "trial %lld of study '%s' in %s could not be finished though it is "
                               "running",
                               (long long)number, name, where);
    } else if (status == DIAL_OK) {
        record.state = state;
        record.value = state == DIAL_TRIAL_COMPLETE ? value : NAN;
        record.finished_at = now;
        if (state == DIAL_TRIAL_FAILED && !dial_record_set_message(ctx, &record, message))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory finishing a trial");
        if (status == DIAL_OK) {
            /* As dial_study_finish_trial: the sampler and the pruner of
             * this handle learn from the trial. */
            pthread_mutex_lock(&study->lock);
            dial_study_learn(ctx, study, &record);
            pthread_mutex_unlock(&study->lock);
        }
    }
    dial_trial_record_clear(&record);
    return status;
}

dial_status dial_study_report_number(dial_ctx *ctx, dial_study *study, int64_t number, int64_t step,
                                     double value, bool *prune) {
    if (prune) *prune = false;
    if (!study) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_report_number needs a study");
    int64_t trial_id = 0;
    dial_trial_record record;
    dial_status status = find_running(ctx, study, number, &trial_id, &record);
    if (status != DIAL_OK) return status;
    if (!dial_record_set_intermediate(ctx, &record, step, value)) {
        dial_trial_record_clear(&record);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory recording step %lld", (long long)step);
    }
    pthread_mutex_lock(&study->lock);
    status = study->storage.ops->report(ctx, study->storage.self, trial_id, step, value,
                                        dial_tune_now());
    /* Judged against every other trial stored, as they are now: a
     * separate process has no window of its own to keep. */
    if (status == DIAL_OK) status = dial_study_read_others(ctx, study);
    bool stop =
        status == DIAL_OK && dial_pruner_should_prune(ctx, study->pruner, &record, INT64_MAX);
    pthread_mutex_unlock(&study->lock);
    if (prune) *prune = stop;
    dial_trial_record_clear(&record);
    return status;
}
