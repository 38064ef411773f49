/*
 * A team of threads (team.h): helpers that sleep
 * between jobs, and items claimed under one lock (a job has tens of items,
 * each a fraction of a millisecond's work, so the lock is never the cost).
 */
#include "core/alloc.h"
#include "core/team.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct team_helper {
    dial_team *team;
    pthread_t id;
    int worker;
} team_helper;

struct dial_team {
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* helpers wait here for a job */
    pthread_cond_t finished; /* the caller waits here for the job's end */
    unsigned long job;       /* jobs given so far */
    bool quit;
    /* The current job; next and done count its items. */
    dial_team_task task;
    void *arg;
    size_t n, next, done;
    int active; /* helpers inside the current job */
    int n_helpers;
    team_helper *helpers;
};

/* Claims and runs items of the current job until none is left; the lock is
 * held on entry and on return. */
static void team_work(dial_team *team, int worker) {
    while (team->next < team->n) {
        size_t i = team->next++;
        dial_team_task task = team->task;
        void *arg = team->arg;
        pthread_mutex_unlock(&team->lock);
        task(arg, i, worker);
        pthread_mutex_lock(&team->lock);
        team->done++;
    }
}

static void *team_helper_main(void *p) {
    team_helper *helper = p;
    dial_team *team = helper->team;
    unsigned long seen = 0;
    pthread_mutex_lock(&team->lock);
    for (;;) {
        while (!team->quit && team->job == seen) pthread_cond_wait(&team->wake, &team->lock);
        if (team->quit) break;
        /* A helper that wakes late joins the job of now, or finds nothing
         * left; the caller starts no job while one is inside the last. */
        seen = team->job;
        team->active++;
        team_work(team, helper->worker);
        team->active--;
        if (team->done == team->n && team->active == 0) pthread_cond_signal(&team->finished);
    }
    pthread_mutex_unlock(&team->lock);
    return NULL;
}

dial_status dial_team_start(dial_ctx *ctx, int threads, dial_team **out) {
    *out = NULL;
    if (threads <= 1) return DIAL_OK;
    dial_team *team = dial_calloc(ctx, 1, sizeof *team);
    team_helper *helpers = dial_calloc(ctx, (size_t)threads - 1, sizeof *helpers);
    if (!team || !helpers) {
        free(team);
        free(helpers);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting %d threads", threads);
    }
    if (pthread_mutex_init(&team->lock, NULL) != 0) {
        free(team);
        free(helpers);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "cannot make a lock for %d threads", threads);
    }
    bool wake = pthread_cond_init(&team->wake, NULL) == 0;
    if (!wake || pthread_cond_init(&team->finished, NULL) != 0) {
        if (wake) pthread_cond_destroy(&team->wake);
        pthread_mutex_destroy(&team->lock);
        free(team);
        free(helpers);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "cannot make a condition for %d threads", threads);
    }
    team->helpers = helpers;
    for (int h = 0; h < threads - 1; h++) {
        helpers[team->n_helpers] = (team_helper){.team = team, .worker = team->n_helpers + 1};
        if (pthread_create(&helpers[team->n_helpers].id, NULL, team_helper_main,
                           &helpers[team->n_helpers]) != 0)
            break; /* the threads that started share the work */
        team->n_helpers++;
    }
    *out = team;
    return DIAL_OK;
}

void dial_team_run(dial_team *team, dial_team_task task, void *arg, size_t n) {
    if (!team) {
        for (size_t i = 0; i < n; i++) task(arg, i, 0);
        return;
    }
    pthread_mutex_lock(&team->lock);
    team->task = task;
    team->arg = arg;
    team->n = n;
    team->next = team->done = 0;
    team->job++;
    pthread_cond_broadcast(&team->wake);
    team_work(team, 0);
    while (team->done < team->n || team->active > 0)
        pthread_cond_wait(&team->finished, &team->lock);
    pthread_mutex_unlock(&team->lock);
}

void dial_team_stop(dial_team *team) {
    if (!team) return;
    pthread_mutex_lock(&team->lock);
    team->quit = true;
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    for (int h = 0; h < team->n_helpers; h++) pthread_join(team->helpers[h].id, NULL);
    pthread_cond_destroy(&team->wake);
    pthread_cond_destroy(&team->finished);
    pthread_mutex_destroy(&team->lock);
    free(team->helpers);
    free(team);
}
