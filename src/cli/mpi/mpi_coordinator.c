/* Rank 0 of `--mpi`: under `mpirun -np N` dial_study_optimize runs N
 * workers; each of slots 0 .. N-2 hands its trial to rank s + 1 and serves
 * that rank's calls on the trial until its result comes back, and slot N-1
 * runs the objective here (dial_optimize_options.local_jobs), so rank 0
 * evaluates too (docs/mpi.md). The study, its sampler, its storage and
 * its pruner stay here; a call is answered by the very functions a local
 * objective would call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/mpi/mpi_wire.h"

/* Rank `rank` failed a message: remember the first such failure, retire
 * the rank's slot (slot_open) and give up its trial, which goes stale at
 * once and whose params the next trial of another slot takes: a dead rank
 * never costs a trial. The run never stops for it: rank 0's own slot is
 * always left. */
static dial_status rank_lost(cli_mpi *mpi, int rank, int code, dial_trial *trial) {
    char text[256];
    wire_error_text(code, text, sizeof text);
    pthread_mutex_lock(&mpi->lock);
    if (!mpi->dead[rank]) {
        mpi->dead[rank] = true;
        mpi->n_dead++;
    }
    if (mpi->n_dead == 1)
        snprintf(mpi->dead_message, sizeof mpi->dead_message, "rank %d stopped answering (MPI: %s)",
                 rank, text);
    pthread_mutex_unlock(&mpi->lock);
    dial_trial_abandon(trial);
    return dial_fail(dial_trial_ctx(trial), DIAL_ERR_IO, "rank %d stopped answering (MPI: %s)",
                     rank, text);
}

/* dial_optimize_options.slot_open: slot s (not rank 0's own, the last,
 * which is never asked) is open while rank s + 1 lives. */
static bool rank_alive(void *user, int slot) {
    cli_mpi *mpi = user;
    pthread_mutex_lock(&mpi->lock);
    bool alive = !mpi->dead[slot + 1];
    pthread_mutex_unlock(&mpi->lock);
    return alive;
}

/* The reply to a call that may fail: its status, and the message. */
static int reply_status(int rank, dial_trial *trial, dial_status status, wire_head head) {
    head.status = (int32_t)status;
    const char *message = status == DIAL_OK ? "" : dial_ctx_error(dial_trial_ctx(trial));
    return wire_send(rank, WIRE_TAG_REPLY, head, message, strlen(message));
}

/* A suggestion: the distribution as the remote objective asked for it. */
static int serve_suggest(int rank, dial_trial *trial, const wire_message *call) {
    const char *name = call->tail;
    const char *end = call->tail + call->head.n_tail;
    size_t n_choices = 0;
    for (const char *p = name + strlen(name) + 1; p < end; p += strlen(p) + 1) n_choices++;
    char **choices = calloc(n_choices ? n_choices : 1, sizeof *choices);
    if (!choices) return reply_status(rank, trial, DIAL_ERR_NOMEM, (wire_head){0});
    size_t i = 0;
    for (const char *p = name + strlen(name) + 1; p < end; p += strlen(p) + 1)
        choices[i++] = (char *)p;
    dial_param param = {.name = (char *)name,
                        .kind = (dial_param_kind)(call->head.flags & 0xff),
                        .low = call->head.x,
                        .high = call->head.y,
                        .step = call->head.z,
                        .log = (call->head.flags & WIRE_LOG) != 0,
                        .n_choices = n_choices,
                        .choices = choices,
                        .condition = (char *)""};
    double value = NAN;
    dial_status status = dial_trial_suggest(trial, &param, &value);
    free(choices);
    return reply_status(rank, trial, status, (wire_head){.x = value});
}

static int serve_report_path(int rank, dial_trial *trial, const wire_message *call) {
    size_t n = (size_t)call->head.a;
    if (call->head.n_tail != n * (sizeof(int64_t) + sizeof(double)))
        return reply_status(rank, trial,
                            dial_fail(dial_trial_ctx(trial), DIAL_ERR_INTERNAL,
                                      "a path report of %zu steps arrived damaged", n),
                            (wire_head){0});
    int64_t *steps = malloc(n ? n * sizeof *steps : 1);
    double *values = malloc(n ? n * sizeof *values : 1);
    dial_status status = DIAL_ERR_NOMEM;
    if (steps && values) {
        memcpy(steps, call->tail, n * sizeof *steps);
        memcpy(values, call->tail + n * sizeof *steps, n * sizeof *values);
        status = dial_trial_report_path(trial, steps, values, n);
    }
    free(steps);
    free(values);
    return reply_status(rank, trial, status, (wire_head){0});
}

static int serve_rungs(int rank, dial_trial *trial, const wire_message *call) {
    size_t capacity = (size_t)call->head.seed;
    if (capacity > 4096) capacity = 4096;
    int64_t *rungs = malloc((capacity ? capacity : 1) * sizeof *rungs);
    if (!rungs) return reply_status(rank, trial, DIAL_ERR_NOMEM, (wire_head){0});
    size_t count = dial_trial_prune_rungs(trial, call->head.a, rungs, capacity);
    size_t sent = count < capacity ? count : capacity;
    int code = wire_send(rank, WIRE_TAG_REPLY, (wire_head){.a = (int64_t)count}, rungs,
                         sent * sizeof *rungs);
    free(rungs);
    return code;
}

/* dial_optimize_options.evaluate: trial on rank slot + 1. */
static dial_status evaluate_on_rank(void *user, int slot, dial_trial *trial, double *value,
                                    bool *pruned) {
    cli_mpi *mpi = user;
    int rank = slot + 1;
    dial_ctx *ctx = dial_trial_ctx(trial);
    /* Four beats per silence allowed, as trials' heartbeats. */
    wire_head order = {
        .a = dial_trial_number(trial), .seed = dial_ctx_seed(ctx), .x = mpi->silence_seconds / 4};
    int code = wire_send(rank, WIRE_TAG_TRIAL, order, NULL, 0);
    if (code != MPI_SUCCESS) return rank_lost(mpi, rank, code, trial);
    for (;;) {
        wire_message call;
        code = wire_receive_within(rank, WIRE_TAG_CALL, mpi->silence_seconds, &call);
        if (code != MPI_SUCCESS) return rank_lost(mpi, rank, code, trial);
        const wire_head *head = &call.head;
        switch (head->kind) {
        case WIRE_CALL_BEAT: break;
        case WIRE_CALL_SUGGEST: code = serve_suggest(rank, trial, &call); break;
        case WIRE_CALL_REPORT:
            code = reply_status(rank, trial, dial_trial_report(trial, head->a, head->x),
                                (wire_head){0});
            break;
        case WIRE_CALL_REPORT_PATH: code = serve_report_path(rank, trial, &call); break;
        case WIRE_CALL_PRUNE:
            code = wire_send(rank, WIRE_TAG_REPLY,
                             (wire_head){.flags = dial_trial_should_prune(trial) ? 1 : 0}, NULL, 0);
            break;
        case WIRE_CALL_RUNGS: code = serve_rungs(rank, trial, &call); break;
        case WIRE_CALL_RESULT: {
            dial_status status = (dial_status)head->status;
            *value = head->x;
            *pruned = (head->flags & WIRE_PRUNED) != 0;
            if (head->flags & WIRE_ABANDONED) dial_trial_abandon(trial);
            if (status != DIAL_OK) dial_fail(ctx, status, "%s", call.tail);
            wire_message_free(&call);
            return status;
        }
        default:
            code = reply_status(rank, trial,
                                dial_fail(ctx, DIAL_ERR_INTERNAL,
                                          "rank %d sent a call of unknown kind %d", rank,
                                          (int)head->kind),
                                (wire_head){0});
        }
        wire_message_free(&call);
        if (code != MPI_SUCCESS) return rank_lost(mpi, rank, code, trial);
    }
}

void cli_mpi_coordinate(cli_mpi *mpi, dial_optimize_options *options, double heartbeat_seconds,
                        const char *study_path) {
    options->jobs = mpi->size;
    options->local_jobs = 1; /* the last slot: rank 0 */
    options->evaluate = evaluate_on_rank;
    options->evaluate_user = mpi;
    options->slot_open = rank_alive;
    pthread_mutex_lock(&mpi->lock);
    mpi->silence_seconds = heartbeat_seconds > 0 ? heartbeat_seconds : 60;
    pthread_mutex_unlock(&mpi->lock);
    const char *cause = "the MPI launcher ended the job (SIGTERM: a rank died, or the job was "
                        "cancelled)";
    char line[1024];
    if (study_path)
        snprintf(line, sizeof line,
                 "dial: %s; every finished trial is kept in %s: run the same command again to "
                 "continue",
                 cause, study_path);
    else
        snprintf(line, sizeof line, "dial: %s; the study was in memory, so nothing was kept",
                 cause);
    mpi_termination_catch(line);
}

void cli_mpi_catch_termination(cli_mpi *mpi) {
    if (mpi && mpi->rank == 0) mpi_termination_catch(NULL);
}
