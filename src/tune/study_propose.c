/*
 * Proposals of a sampler that learns (tpe, gp, cmaes, auto). When such a
 * study starts a trial, it gives the sampler the history of the trials
 * numbered below it and takes the whole point at once; the trial's
 * suggestions then return its values (trial.c).
 *
 * Same seed, same trials: a proposal must not depend on which thread
 * finished first. So, in dial_study_optimize with J jobs, trial n waits
 * until every trial of this handle numbered n - J or below has finished,
 * and the trials numbered n - J + 1 .. n - 1 count as running (given a
 * liar) whether or not they have finished: trial n then always sees the
 * same history. With J = 1 that is every trial before it, finished, which
 * is also what a process that asks one trial at a time sees, so `dial ask`
 * run once per trial proposes what an in-process run does. Across
 * processes sharing a study, a trial sees what was stored when it started:
 * the order in which workers finish can change the trials, and the study
 * still never loses or repeats one.
 */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/study_internal.h"

dial_status dial_study_own_started(dial_ctx *ctx, dial_study *study, int64_t number) {
    if (!study->learns) return DIAL_OK;
    if (study->n_own_running == study->own_capacity) {
        size_t capacity = study->own_capacity ? study->own_capacity * 2 : 8;
        int64_t *own = dial_realloc_array(ctx, study->own_running, capacity, sizeof *own);
        if (!own) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
        study->own_running = own;
        study->own_capacity = capacity;
    }
    study->own_running[study->n_own_running++] = number;
    return DIAL_OK;
}

void dial_study_own_ended(dial_study *study, int64_t number) {
    if (!study->learns) return;
    pthread_mutex_lock(&study->lock);
    for (size_t i = 0; i < study->n_own_running; i++)
        if (study->own_running[i] == number) {
            study->own_running[i] = study->own_running[--study->n_own_running];
            break;
        }
    pthread_cond_broadcast(&study->trial_done);
    pthread_mutex_unlock(&study->lock);
}

void dial_study_learn(dial_ctx *ctx, dial_study *study, const dial_trial_record *record) {
    dial_sampler_tell(study->sampler, record);
    dial_pruner_tell(study->pruner, record);
    /* Out of memory here leaves the trial out of the history, where it
     * counts as running (read again from a study file): the search goes
     * on with less to learn from, and the trial itself is stored. */
    if (study->learns)
        dial_history_note(ctx, &study->history, &study->space, study->direction, record);
}

/* The lowest number among this handle's running trials (INT64_MAX: none). */
static int64_t lowest_own_running(const dial_study *study) {
    int64_t lowest = INT64_MAX;
    for (size_t i = 0; i < study->n_own_running; i++)
        if (study->own_running[i] < lowest) lowest = study->own_running[i];
    return lowest;
}

/* Brings the history up to date with what other processes stored: the
 * trials numbered from the lowest one that could still change. An
 * in-memory study has no other writer. Called with the lock held. */
static dial_status read_others(dial_ctx *ctx, dial_study *study) {
    if (!study->storage_path) return DIAL_OK;
    dial_trial_list list = {0};
    dial_status status = study->storage.ops->trials_from(ctx, study->storage.self, study->study_id,
                                                         study->history.first_open, &list);
    for (size_t i = 0; status == DIAL_OK && i < list.count; i++)
        status =
            dial_history_note(ctx, &study->history, &study->space, study->direction, &list.items[i]);
    dial_trial_list_free(&list);
    return status;
}

dial_status dial_study_propose(dial_ctx *ctx, dial_study *study, dial_trial *trial) {
    if (!study->learns || trial->sample < 0) return DIAL_OK;
    int64_t number = trial->record.number;
    double *point = dial_malloc_array(ctx, study->space.n ? study->space.n : 1, sizeof *point);
    if (!point) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a trial");

    dial_sampler_history history = {0};
    double *xs = NULL;
    pthread_mutex_lock(&study->lock);
    int window = study->window > 1 ? study->window : 1;
    if (study->wait_for_window)
        while (lowest_own_running(study) <= number - window)
            pthread_cond_wait(&study->trial_done, &study->lock);
    dial_status status = read_others(ctx, study);
    if (status == DIAL_OK)
        status = dial_history_snapshot(ctx, &study->history, number, window, &history, &xs);
    pthread_mutex_unlock(&study->lock);

    if (status == DIAL_OK) status = dial_sampler_propose(ctx, study->sampler, number, &history, point);
    free((void *)history.trials);
    free(xs);
    if (status == DIAL_OK) {
        pthread_mutex_lock(&study->lock);
        status = dial_history_note_point(ctx, &study->history, number, point);
        pthread_mutex_unlock(&study->lock);
    }
    if (status != DIAL_OK) {
        free(point);
        return status;
    }
    trial->proposal = point;
    return DIAL_OK;
}
