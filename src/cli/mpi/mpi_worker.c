/* A rank other than 0 of `--mpi`: evaluates the trials rank 0 sends, on
 * proxy trials whose every call that needs the study is a message to rank
 * 0 answered there (docs/mpi.md). The objective is the one `--jobs` runs;
 * it may call from several threads (a trial's folds), so a call's message
 * and its reply are one turn under the session's lock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/mpi/mpi_wire.h"

/* One call to rank 0 and its reply (*reply the caller's to free). A
 * failed message is an error on ctx: rank 0 is gone. */
static dial_status call_rank0(cli_mpi *mpi, dial_ctx *ctx, wire_head head, const void *tail,
                              size_t size, wire_message *reply) {
    pthread_mutex_lock(&mpi->lock);
    int code = wire_send(0, WIRE_TAG_CALL, head, tail, size);
    if (code == MPI_SUCCESS) code = wire_receive(0, WIRE_TAG_REPLY, reply);
    pthread_mutex_unlock(&mpi->lock);
    if (code == MPI_SUCCESS) return DIAL_OK;
    char text[256];
    wire_error_text(code, text, sizeof text);
    return dial_fail(ctx, DIAL_ERR_IO, "rank %d lost rank 0, which holds the study (MPI: %s)",
                     mpi->rank, text);
}

/* A reply's status, its message set on ctx. */
static dial_status replied(dial_ctx *ctx, wire_message *reply) {
    dial_status status = (dial_status)reply->head.status;
    if (status != DIAL_OK) dial_fail(ctx, status, "%s", reply->tail);
    return status;
}

static dial_status proxy_suggest(void *user, dial_ctx *ctx, const dial_param *param,
                                 double *value) {
    size_t size = strlen(param->name) + 1;
    for (size_t i = 0; param->kind == DIAL_PARAM_CHOICE && i < param->n_choices; i++)
        size += strlen(param->choices[i]) + 1;
    char *tail = malloc(size);
    if (!tail) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory asking for '%s'", param->name);
    size_t at = 0;
    memcpy(tail, param->name, strlen(param->name) + 1);
    at += strlen(param->name) + 1;
    for (size_t i = 0; param->kind == DIAL_PARAM_CHOICE && i < param->n_choices; i++) {
        memcpy(tail + at, param->choices[i], strlen(param->choices[i]) + 1);
        at += strlen(param->choices[i]) + 1;
    }
    wire_head head = {.kind = WIRE_CALL_SUGGEST,
                      .x = param->low,
                      .y = param->high,
                      .z = param->step,
                      .flags = (int32_t)param->kind | (param->log ? WIRE_LOG : 0)};
    wire_message reply;
    dial_status status = call_rank0(user, ctx, head, tail, size, &reply);
    free(tail);
    if (status != DIAL_OK) return status;
    status = replied(ctx, &reply);
    if (status == DIAL_OK) *value = reply.head.x;
    wire_message_free(&reply);
    return status;
}

static dial_status proxy_report(void *user, dial_ctx *ctx, int64_t step, double value) {
    wire_message reply;
    dial_status status = call_rank0(
        user, ctx, (wire_head){.kind = WIRE_CALL_REPORT, .a = step, .x = value}, NULL, 0, &reply);
    if (status != DIAL_OK) return status;
    status = replied(ctx, &reply);
    wire_message_free(&reply);
    return status;
}

static dial_status proxy_report_path(void *user, dial_ctx *ctx, const int64_t *steps,
                                     const double *values, size_t n) {
    size_t size = n * (sizeof *steps + sizeof *values);
    char *tail = malloc(size ? size : 1);
    if (!tail) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory sending a path");
    if (n) {
        memcpy(tail, steps, n * sizeof *steps);
        memcpy(tail + n * sizeof *steps, values, n * sizeof *values);
    }
    wire_message reply;
    dial_status status = call_rank0(
        user, ctx, (wire_head){.kind = WIRE_CALL_REPORT_PATH, .a = (int64_t)n}, tail, size, &reply);
    free(tail);
    if (status != DIAL_OK) return status;
    status = replied(ctx, &reply);
    wire_message_free(&reply);
    return status;
}

/* A pruning question whose message fails says "go on": the trial's
 * result will then fail to arrive too, and rank 0 gives the trial up. */
static bool proxy_should_prune(void *user) {
    cli_mpi *mpi = user;
    dial_ctx *ctx = dial_ctx_new();
    wire_message reply;
    bool prune = false;
    if (ctx &&
        call_rank0(mpi, ctx, (wire_head){.kind = WIRE_CALL_PRUNE}, NULL, 0, &reply) == DIAL_OK) {
        prune = reply.head.flags & 1;
        wire_message_free(&reply);
    }
    dial_ctx_free(ctx);
    return prune;
}

static size_t proxy_prune_rungs(void *user, int64_t max_resource, int64_t *rungs, size_t capacity) {
    cli_mpi *mpi = user;
    dial_ctx *ctx = dial_ctx_new();
    wire_message reply;
    size_t count = 0;
    wire_head head = {.kind = WIRE_CALL_RUNGS, .a = max_resource, .seed = capacity};
    if (ctx && call_rank0(mpi, ctx, head, NULL, 0, &reply) == DIAL_OK) {
        count = (size_t)reply.head.a;
        size_t got = reply.head.n_tail / sizeof *rungs;
        memcpy(rungs, reply.tail, (got < capacity ? got : capacity) * sizeof *rungs);
        wire_message_free(&reply);
    }
    dial_ctx_free(ctx);
    return count;
}

static const dial_trial_proxy_ops proxy_ops = {.suggest = proxy_suggest,
                                               .report = proxy_report,
                                               .report_path = proxy_report_path,
                                               .should_prune = proxy_should_prune,
                                               .prune_rungs = proxy_prune_rungs};

/* The beat of a rank evaluating a trial: a message to rank 0 every
 * `interval` seconds, so that rank 0 can tell a long fit from a dead rank
 * (a launcher that lets the job outlive a rank reports no error for it). */
typedef struct beat {
    cli_mpi *mpi;
    double interval;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool done;
} beat;

static void *beat_main(void *p) {
    beat *self = p;
    pthread_mutex_lock(&self->lock);
    while (!self->done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double wake = (double)until.tv_sec + (double)until.tv_nsec * 1e-9 + self->interval;
        until.tv_sec = (time_t)wake;
        until.tv_nsec = (long)((wake - (double)(time_t)wake) * 1e9);
        pthread_cond_timedwait(&self->changed, &self->lock, &until);
        if (self->done) break;
        pthread_mutex_unlock(&self->lock);
        pthread_mutex_lock(&self->mpi->lock);
        wire_send(0, WIRE_TAG_CALL, (wire_head){.kind = WIRE_CALL_BEAT}, NULL, 0);
        pthread_mutex_unlock(&self->mpi->lock);
        pthread_mutex_lock(&self->lock);
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

/* Evaluates one trial and sends its result. */
static int evaluate(dial_ctx *ctx, cli_mpi *mpi, const wire_head *order,
                    dial_objective_fn objective, void *user, const char *setup_error) {
    double value = NAN;
    bool pruned = false;
    dial_trial *trial = NULL;
    dial_status status = DIAL_ERR_ARGUMENT;
    const char *message = setup_error ? setup_error : "";
    if (objective)
        status = dial_trial_proxy_create(ctx, order->a, order->seed, dial_ctx_threads(ctx),
                                         &proxy_ops, mpi, &trial);
    if (objective && status != DIAL_OK) message = dial_ctx_error(ctx);
    if (trial) {
        beat heart = {.mpi = mpi, .interval = order->x};
        pthread_t thread;
        bool beating = order->x > 0 && pthread_mutex_init(&heart.lock, NULL) == 0;
        if (beating && pthread_cond_init(&heart.changed, NULL) != 0) {
            pthread_mutex_destroy(&heart.lock);
            beating = false;
        }
        bool started = beating && pthread_create(&thread, NULL, beat_main, &heart) == 0;
        status = objective(user, trial, &value, &pruned);
        message = status == DIAL_OK ? "" : dial_ctx_error(dial_trial_ctx(trial));
        if (started) {
            pthread_mutex_lock(&heart.lock);
            heart.done = true;
            pthread_cond_signal(&heart.changed);
            pthread_mutex_unlock(&heart.lock);
            pthread_join(thread, NULL);
        }
        if (beating) {
            pthread_cond_destroy(&heart.changed);
            pthread_mutex_destroy(&heart.lock);
        }
    }
    int32_t flags =
        (pruned ? WIRE_PRUNED : 0) | (dial_trial_proxy_abandoned(trial) ? WIRE_ABANDONED : 0);
    wire_head result = {
        .kind = WIRE_CALL_RESULT, .status = (int32_t)status, .x = value, .flags = flags};
    pthread_mutex_lock(&mpi->lock);
    int code = wire_send(0, WIRE_TAG_CALL, result, message, strlen(message));
    pthread_mutex_unlock(&mpi->lock);
    dial_trial_proxy_free(trial);
    return code;
}

dial_status cli_mpi_serve(dial_ctx *ctx, cli_mpi *mpi, dial_objective_fn objective, void *user,
                          const char *setup_error) {
    for (;;) {
        wire_message order;
        int code = wire_receive(0, MPI_ANY_TAG, &order);
        if (code == MPI_SUCCESS && order.tag == WIRE_TAG_STOP) {
            mpi->skip_finalize = (order.head.flags & WIRE_STOP_WITHOUT_FINALIZE) != 0;
            wire_message_free(&order);
            return DIAL_OK;
        }
        if (code == MPI_SUCCESS && order.tag == WIRE_TAG_TRIAL)
            code = evaluate(ctx, mpi, &order.head, objective, user, setup_error);
        wire_message_free(&order);
        if (code != MPI_SUCCESS) {
            char text[256];
            wire_error_text(code, text, sizeof text);
            return dial_fail(ctx, DIAL_ERR_IO,
                             "rank %d lost rank 0, which holds the study (MPI: %s)", mpi->rank,
                             text);
        }
    }
}
