/* mpi_wire.h: the messages between rank 0 and the evaluating ranks
 * (docs/mpi.md), and the session both sides share. A message is one MPI
 * byte buffer: a fixed head, then `n_tail` bytes (text, or numbers).
 * All ranks run one dial on one architecture, so the head travels in the
 * machine's own layout. */
#ifndef DIAL_CLI_MPI_WIRE_H
#define DIAL_CLI_MPI_WIRE_H

#include <mpi.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli_mpi.h"

enum {
    WIRE_TAG_TRIAL = 1, /* 0 -> r: evaluate trial `a`, context seed `seed`, beat every `x` s */
    WIRE_TAG_CALL,      /* r -> 0: one of the WIRE_CALL_* below */
    WIRE_TAG_REPLY,     /* 0 -> r: the answer to a call */
    WIRE_TAG_STOP,      /* 0 -> r: the run is over */
    WIRE_TAG_SETUP      /* 0 -> r: what every rank needs before the first trial (text) */
};

enum {
    WIRE_CALL_SUGGEST = 1, /* x..w: low, high, step; flags: kind, log; tail: name\0choices\0... */
    WIRE_CALL_REPORT,      /* a: step, x: value */
    WIRE_CALL_REPORT_PATH, /* a: n; tail: n int64 steps, then n doubles */
    WIRE_CALL_PRUNE,       /* reply flags: 1 to prune */
    WIRE_CALL_RUNGS,       /* a: max_resource, seed: capacity; reply a: count, tail: rungs */
    WIRE_CALL_RESULT,      /* status, x: value; flags: pruned, abandoned; tail: message */
    WIRE_CALL_BEAT         /* alive, still evaluating (no reply) */
};

enum {
    WIRE_LOG = 1 << 8,
    WIRE_PRUNED = 1 << 9,
    WIRE_ABANDONED = 1 << 10,
    WIRE_STOP_WITHOUT_FINALIZE = 1 << 11 /* a rank died: MPI_Finalize would wait for it */
};

typedef struct wire_head {
    int32_t kind;   /* WIRE_CALL_* */
    int32_t status; /* a dial_status */
    int64_t a;
    uint64_t seed;
    double x, y, z;
    int32_t flags;
    uint32_t n_tail;
} wire_head;

/* A message received: head and tail in one buffer the receiver frees. */
typedef struct wire_message {
    wire_head head;
    char *tail; /* n_tail bytes and a '\0' after them; owned */
    int tag;
} wire_message;

struct cli_mpi {
    int rank, size;
    /* Rank 0: guards what follows. Other ranks: makes a call and its reply
     * one turn (the objective's threads share them). */
    pthread_mutex_t lock;
    bool *dead;             /* rank 0: per rank, given up (its slot retired) */
    int n_dead;             /* rank 0: how many */
    double silence_seconds; /* rank 0: a rank silent this long while evaluating is dead */
    bool skip_finalize;     /* other ranks: rank 0's stop said a rank died */
    char dead_message[512]; /* rank 0: the first rank given up, and why */
};

/* Sends head (n_tail set from size) and tail to rank `to`. Returns the
 * MPI error code (MPI_SUCCESS). */
int wire_send(int to, int tag, wire_head head, const void *tail, size_t size);
/* Receives the next message from `from` with `tag` (MPI_ANY_TAG: any).
 * On MPI_SUCCESS *out is filled (wire_message_free). */
int wire_receive(int from, int tag, wire_message *out);
/* The same, giving up (WIRE_SILENT) when nothing comes within `seconds`:
 * a launcher that lets the job live on after a rank died (Open MPI's
 * --enable-recovery) reports no error for it, only silence. */
#define WIRE_SILENT (-1)
int wire_receive_within(int from, int tag, double seconds, wire_message *out);
void wire_message_free(wire_message *message);
/* Rank 0 (mpi_termination.c): from now on, SIGTERM (the launcher ending
 * the job) writes `line` on stderr and ends the process with status 1;
 * again after a command's own handler replaced ours. release: the
 * previous action again. */
void mpi_termination_catch(const char *line);
void mpi_termination_release(void);

/* MPI's words for an error code. */
void wire_error_text(int code, char *buf, size_t size);

#endif
