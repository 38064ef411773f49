/* The MPI session of one `--mpi` command: starting and ending MPI, and
 * the byte messages both sides exchange (mpi_wire.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/mpi/mpi_wire.h"

dial_status cli_mpi_start(dial_ctx *ctx, cli_mpi **out) {
    *out = NULL;
    cli_mpi *self = calloc(1, sizeof *self);
    if (!self || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "--mpi: out of memory");
    }
    int provided = MPI_THREAD_SINGLE;
    int started = 0;
    MPI_Initialized(&started);
    if (!started && MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
        pthread_mutex_destroy(&self->lock);
        free(self);
        return dial_fail(ctx, DIAL_ERR_IO, "--mpi: MPI could not start (MPI_Init_thread failed)");
    }
    if (started) MPI_Query_thread(&provided);
    cli_mpi_quiet_started();
    /* A failed message is told to the command, which can leave the study
     * resumable, rather than end every process at once. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &self->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &self->size);
    *out = self;
    self->dead = calloc((size_t)self->size, sizeof *self->dead);
    if (!self->dead) return dial_fail(ctx, DIAL_ERR_NOMEM, "--mpi: out of memory");
    if (provided < MPI_THREAD_MULTIPLE)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "--mpi: this MPI library does not allow calls from several threads "
                         "(MPI_THREAD_MULTIPLE), which rank 0 needs; use Open MPI or MPICH");
    return DIAL_OK;
}

int cli_mpi_rank(const cli_mpi *mpi) { return mpi ? mpi->rank : 0; }
int cli_mpi_workers(const cli_mpi *mpi) { return mpi ? mpi->size : 0; }

void cli_mpi_finish(cli_mpi *mpi) {
    if (!mpi) return;
    if (mpi->rank == 0) mpi_termination_release();
    if (mpi->rank == 0 && mpi->n_dead > 0)
        fprintf(stderr,
                "dial: warning: %s; the other ranks went on, and its trial's params were queued "
                "for them\n",
                mpi->dead_message);
    /* Every rank waits for a trial or the stop: tell the living ones, even
     * when rank 0 failed before its run, so that none waits for ever. */
    /* MPI_Finalize waits for every rank, a dead one too: after a rank was
     * given up (rank 0 said so), no rank finalises; each just ends, which
     * a launcher that let the job outlive the dead rank accepts. */
    wire_head stop = {.flags = mpi->n_dead ? WIRE_STOP_WITHOUT_FINALIZE : 0};
    if (mpi->rank == 0)
        for (int r = 1; r < mpi->size; r++)
            if (!mpi->dead || !mpi->dead[r]) wire_send(r, WIRE_TAG_STOP, stop, NULL, 0);
    bool finalize = !mpi->n_dead && !mpi->skip_finalize;
    pthread_mutex_destroy(&mpi->lock);
    free(mpi->dead);
    free(mpi);
    if (finalize) MPI_Finalize();
}

static dial_status lost(dial_ctx *ctx, const cli_mpi *mpi, int rank, int code) {
    char text[256];
    wire_error_text(code, text, sizeof text);
    return dial_fail(ctx, DIAL_ERR_IO, "rank %d lost rank %d (MPI: %s)", mpi->rank, rank, text);
}

dial_status cli_mpi_send_setup(dial_ctx *ctx, cli_mpi *mpi, const char *text) {
    for (int r = 1; r < mpi->size; r++) {
        int code = wire_send(r, WIRE_TAG_SETUP, (wire_head){0}, text, strlen(text));
        if (code != MPI_SUCCESS) return lost(ctx, mpi, r, code);
    }
    return DIAL_OK;
}

dial_status cli_mpi_receive_setup(dial_ctx *ctx, cli_mpi *mpi, char **out) {
    *out = NULL;
    wire_message message;
    int code = wire_receive(0, MPI_ANY_TAG, &message);
    if (code != MPI_SUCCESS) return lost(ctx, mpi, 0, code);
    if (message.tag == WIRE_TAG_SETUP) {
        *out = message.tail; /* the text, '\0' after it */
        return DIAL_OK;
    }
    wire_message_free(&message); /* the stop: rank 0 ended before its run */
    return DIAL_OK;
}

int wire_send(int to, int tag, wire_head head, const void *tail, size_t size) {
    head.n_tail = (uint32_t)size;
    size_t total = sizeof head + size;
    unsigned char *buffer = malloc(total);
    if (!buffer) return MPI_ERR_NO_MEM;
    memcpy(buffer, &head, sizeof head);
    if (size) memcpy(buffer + sizeof head, tail, size);
    int code = MPI_Send(buffer, (int)total, MPI_BYTE, to, tag, MPI_COMM_WORLD);
    free(buffer);
    return code;
}

int wire_receive(int from, int tag, wire_message *out) {
    memset(out, 0, sizeof *out);
    MPI_Status status;
    int code = MPI_Probe(from, tag, MPI_COMM_WORLD, &status);
    int count = 0;
    if (code == MPI_SUCCESS) code = MPI_Get_count(&status, MPI_BYTE, &count);
    if (code != MPI_SUCCESS) return code;
    if (count < (int)sizeof(wire_head)) return MPI_ERR_TRUNCATE;
    unsigned char *buffer = malloc((size_t)count + 1);
    if (!buffer) return MPI_ERR_NO_MEM;
    code = MPI_Recv(buffer, count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
                    MPI_STATUS_IGNORE);
    if (code == MPI_SUCCESS) {
        memcpy(&out->head, buffer, sizeof out->head);
        size_t n_tail = (size_t)count - sizeof out->head;
        if (out->head.n_tail != n_tail) code = MPI_ERR_TRUNCATE;
        out->tail = malloc(n_tail + 1);
        if (!out->tail) code = MPI_ERR_NO_MEM;
        if (code == MPI_SUCCESS) {
            memcpy(out->tail, buffer + sizeof out->head, n_tail);
            out->tail[n_tail] = '\0';
            out->tag = status.MPI_TAG;
        }
    }
    free(buffer);
    if (code != MPI_SUCCESS) wire_message_free(out);
    return code;
}

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

int wire_receive_within(int from, int tag, double seconds, wire_message *out) {
    double until = monotonic_seconds() + seconds;
    /* Polls: MPI has no blocking receive with a time limit. The pause
     * grows to 1 ms, a small price beside a trial's fit. */
    long pause_ns = 1000;
    for (;;) {
        int arrived = 0;
        int code = MPI_Iprobe(from, tag, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE);
        if (code != MPI_SUCCESS) return code;
        if (arrived) return wire_receive(from, tag, out);
        if (monotonic_seconds() >= until) return WIRE_SILENT;
        struct timespec pause = {0, pause_ns};
        nanosleep(&pause, NULL);
        if (pause_ns < 1000000) pause_ns *= 2;
    }
}

void wire_message_free(wire_message *message) {
    free(message->tail);
    message->tail = NULL;
}

void wire_error_text(int code, char *buf, size_t size) {
    if (code == WIRE_SILENT) {
        snprintf(buf, size, "no message within the heartbeat period");
        return;
    }
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = '\0';
    snprintf(buf, size, "%s", length > 0 ? text : "unknown MPI error");
}
