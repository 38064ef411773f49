/*
 * Proposals of a sampler that learns (tpe, gp, cmaes, auto). When such a
 * study starts a trial, it gives the sampler the history of the trials
 * numbered below it and takes the whole point at once; the trial's
 * suggestions then return its values (trial.c).
 *
 * Same seed, same trials: a proposal must not depend on which thread
 * finished first. So, in dial_study_optimize with J jobs, trial n waits
 * until every trial of this handle numbered n - J or below has finished
 * and every one below n has its point, and the trials numbered n - J + 1 ..
 * n - 1 count as running (given a liar at their points) whether or not
 * they have finished: trial n then always sees the same history. With J = 1 that is every trial
 * before it, finished, which is also what a process that asks one trial at a time sees, so `dial
 * ask` run once per trial proposes what an in-process run does. Across processes sharing a study, a
 * trial sees what was stored when it started: the order in which workers finish can change the
 * trials, and the study still never loses or repeats one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/study_internal.h"

/* Whether the handle keeps its running trials and waits for them: a
 * sampler that learns, or a pruner. */
static bool keeps_order(const dial_study *study) {
    return study->learns || dial_pruner_active(study->pruner);
}

dial_status dial_study_own_started(dial_ctx *ctx, dial_study *study, int64_t number) {
    if (!keeps_order(study)) return DIAL_OK;
    if (study->n_own_running == study->own_capacity) {
        size_t capacity = study->own_capacity ? study->own_capacity * 2 : 8;
        struct dial_own_trial *own =
            dial_realloc_array(ctx, study->own_running, capacity, sizeof *own);
        if (!own) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
        study->own_running = own;
        study->own_capacity = capacity;
    }
    /* Without a learning sampler there is no point to place. */
    study->own_running[study->n_own_running++] = (struct dial_own_trial){number, !study->learns};
    return DIAL_OK;
}

/* With the lock held: trial number's point is in the history; wakes the
 * trials waiting for it. */
static void mark_placed(dial_study *study, int64_t number) {
    for (size_t i = 0; i < study->n_own_running; i++)
        if (study->own_running[i].number == number) study->own_running[i].placed = true;
    pthread_cond_broadcast(&study->trial_done);
}

static bool is_own_running(const dial_study *study, int64_t number) {
    for (size_t i = 0; i < study->n_own_running; i++)
        if (study->own_running[i].number == number) return true;
    return false;
}

void dial_study_own_ended(dial_study *study, int64_t number) {
    if (!keeps_order(study)) return;
    pthread_mutex_lock(&study->lock);
    for (size_t i = 0; i < study->n_own_running; i++)
        if (study->own_running[i].number == number) {
            study->own_running[i] = study->own_running[--study->n_own_running];
            break;
        }
    pthread_cond_broadcast(&study->trial_done);
    pthread_mutex_unlock(&study->lock);
}

void dial_study_learn(dial_ctx *ctx, dial_study *study, const dial_trial_record *record) {
    dial_sampler_tell(study->sampler, record);
    dial_pruner_note(ctx, study->pruner, record);
    /* Out of memory here leaves the trial out of the history, where it
     * counts as running (read again from a study file): the search goes
     * on with less to learn from, and the trial itself is stored. The
     * history of a study that only prunes says from where to read. */
    if (keeps_order(study))
        dial_history_note(ctx, &study->history, &study->space, study->direction, record);
}

/* Whether trial number must wait: a trial of this handle numbered `window`
 * or more below it still runs, or one below it has no point yet. */
static bool must_wait(const dial_study *study, int64_t number, int window) {
    for (size_t i = 0; i < study->n_own_running; i++) {
        const struct dial_own_trial *own = &study->own_running[i];
        if (own->number <= number - window || (own->number < number && !own->placed)) return true;
    }
    return false;
}

dial_status dial_study_read_others(dial_ctx *ctx, dial_study *study) {
    if (!study->storage_path || !keeps_order(study)) return DIAL_OK;
    dial_trial_list list = {0};
    dial_status status = study->storage.ops->trials_from(ctx, study->storage.self, study->study_id,
                                                         study->history.first_open, &list);
    for (size_t i = 0; status == DIAL_OK && i < list.count; i++) {
        const dial_trial_record *record = &list.items[i];
        /* This handle's running trials are in the history at their points;
         * what they have stored so far depends on timing. */
        if (record->state == DIAL_TRIAL_RUNNING && is_own_running(study, record->number)) continue;
        dial_pruner_note(ctx, study->pruner, record);
        status = dial_history_note(ctx, &study->history, &study->space, study->direction, record);
    }
    dial_trial_list_free(&list);
    return status;
}

/* With the study's lock held: waits, in dial_study_optimize's workers,
 * until the handle's trials numbered `window` or more below `number` have
 * finished and every one below it has its point; returns the window. */
static int wait_for_window(dial_study *study, int64_t number) {
    int window = study->window > 1 ? study->window : 1;
    if (study->wait_for_window)
        while (must_wait(study, number, window))
            pthread_cond_wait(&study->trial_done, &study->lock);
    return window;
}

/* A pruned study's trial without a learning sampler's point: waits for
 * the window, so that it is judged against finished trials only, and
 * reads what other processes stored. */
static dial_status wait_to_be_judged(dial_ctx *ctx, dial_study *study, int64_t number) {
    pthread_mutex_lock(&study->lock);
    wait_for_window(study, number);
    dial_status status = dial_study_read_others(ctx, study);
    pthread_mutex_unlock(&study->lock);
    return status;
}

/* A warm start's prior before the snapshot's trials (their x pointers stay
 * valid: each points into its own array). */
static dial_status prepend_prior(dial_ctx *ctx, const dial_study *study,
                                 dial_sampler_history *history) {
    size_t n = study->n_prior + history->n;
    dial_sampler_observation *obs = dial_malloc_array(ctx, n, sizeof *obs);
    if (!obs) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a trial");
    memcpy(obs, study->prior, study->n_prior * sizeof *obs);
    if (history->n) memcpy(obs + study->n_prior, history->trials, history->n * sizeof *obs);
    free((void *)history->trials);
    *history = (dial_sampler_history){.n = n, .trials = obs};
    return DIAL_OK;
}

dial_status dial_study_propose(dial_ctx *ctx, dial_study *study, dial_trial *trial) {
    bool prunes = dial_pruner_active(study->pruner);
    int64_t number = trial->record.number;
    if (!study->learns) return prunes ? wait_to_be_judged(ctx, study, number) : DIAL_OK;
    if (trial->sample < 0) {
        /* Params from the queue: the trial runs with them, and later
         * trials see them as its point. */
        pthread_mutex_lock(&study->lock);
        dial_status status = dial_history_note(ctx, &study->history, &study->space,
                                               study->direction, &trial->record);
        mark_placed(study, number);
        pthread_mutex_unlock(&study->lock);
        if (status == DIAL_OK && prunes) status = wait_to_be_judged(ctx, study, number);
        return status;
    }
    double *point = dial_malloc_array(ctx, study->space.n ? study->space.n : 1, sizeof *point);
    if (!point) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a trial");

    dial_sampler_history history = {0};
    double *xs = NULL;
    pthread_mutex_lock(&study->lock);
    int window = wait_for_window(study, number);
    dial_status status = dial_study_read_others(ctx, study);
    if (status == DIAL_OK)
        status = dial_history_snapshot(ctx, &study->history, number, window, &history, &xs);
    if (status == DIAL_OK && study->n_prior) status = prepend_prior(ctx, study, &history);
    pthread_mutex_unlock(&study->lock);

    if (status == DIAL_OK)
        status = dial_sampler_propose(ctx, study->sampler, number, &history, point);
    free((void *)history.trials);
    free(xs);
    if (status == DIAL_OK) {
        pthread_mutex_lock(&study->lock);
        status = dial_history_note_point(ctx, &study->history, number, point);
        mark_placed(study, number);
        pthread_mutex_unlock(&study->lock);
    }
    if (status != DIAL_OK) {
        free(point);
        return status;
    }
    trial->proposal = point;
    return DIAL_OK;
}

int64_t dial_study_judge_horizon(const dial_study *study, int64_t number) {
    if (!study->wait_for_window) return INT64_MAX;
    return number - (study->window > 1 ? study->window : 1);
}
