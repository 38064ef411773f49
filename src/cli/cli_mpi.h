/* cli_mpi.h: `dial tune --mpi` and `dial run --mpi` (docs/mpi.md).
 *
 * Under `mpirun -np N`, every rank runs the same command line. Rank 0
 * holds the study and its sampler and runs the search as `--jobs N`
 * would, except that jobs 0 .. N-2 each run their objective on a rank of
 * their own (1 .. N-1): dial_optimize_options.evaluate sends the trial
 * there, then serves that rank's suggestions, reports and pruning
 * questions until the result comes back. Job N-1 runs on rank 0 itself
 * (local_jobs). The other ranks evaluate, on proxy trials, with the same
 * objective code as --jobs, and print nothing. Built from
 * src/cli/mpi/ when CMake finds MPI, else from src/cli/mpi/absent.c,
 * whose cli_mpi_start fails with the way to get it. */
#ifndef DIAL_CLI_MPI_H
#define DIAL_CLI_MPI_H

#include "dial/tune.h"

typedef struct cli_mpi cli_mpi;

/* First thing in a command that takes --mpi: when argv has --mpi and the
 * launcher says this process is not rank 0, its stdout and stderr go to
 * /dev/null, so that even a usage mistake is told once (by rank 0). */
void cli_mpi_quiet_other_ranks(int argc, char **argv);
/* Called once MPI has started: from then on a rank other than 0 exits at
 * once (before, it lingers at exit, so that rank 0 can tell a mistake). */
void cli_mpi_quiet_started(void);

/* Starts MPI (once per process). On success *out is the session:
 * cli_mpi_finish ends it. A job of one rank is fine: rank 0 alone runs
 * the trials, as --jobs 1. Errors (one line on ctx): built without MPI,
 * MPI refusing the threads rank 0 needs. */
dial_status cli_mpi_start(dial_ctx *ctx, cli_mpi **out);
int cli_mpi_rank(const cli_mpi *mpi);
/* The ranks that evaluate trials: every rank, 0 too. */
int cli_mpi_workers(const cli_mpi *mpi);

/* Rank 0: sends the trials of options' run to the other ranks and keeps
 * one job for itself (sets jobs to the number of ranks, local_jobs to 1,
 * evaluate, evaluate_user and slot_open; the command's objective runs
 * rank 0's trials). A rank evaluating a trial sends a beat four times per
 * heartbeat period (0 = 60 s); one silent for a whole period is given up
 * as dead, as a study's silent trial is: its trial runs again on the
 * other ranks and rank 0, which go on to the run's total. study_path (NULL: in
 * memory) is named when the launcher ends the job (SIGTERM): rank 0 then
 * says where the finished trials are and how to continue, and exits 1. */
void cli_mpi_coordinate(cli_mpi *mpi, dial_optimize_options *options, double heartbeat_seconds,
                        const char *study_path);
/* Rank 0: SIGTERM is the launcher ending the job, and rank 0 says so and
 * ends (see cli_mpi_coordinate) even where the command catches SIGTERM for
 * a graceful stop: called after the command installs its handlers. */
void cli_mpi_catch_termination(cli_mpi *mpi);

/* Rank 0, before the run: gives every other rank `text` (what they need
 * to evaluate and cannot read themselves: `dial run`'s space, which rank
 * 0 alone reads from the study). Errors: MPI's. */
dial_status cli_mpi_send_setup(dial_ctx *ctx, cli_mpi *mpi, const char *text);
/* A rank other than 0: waits for rank 0's text; *out (the caller's, free)
 * is NULL when rank 0 ended without a run (it failed, and says why). */
dial_status cli_mpi_receive_setup(dial_ctx *ctx, cli_mpi *mpi, char **out);

/* A rank other than 0: evaluates the trials rank 0 sends with objective
 * (user as its first argument) until rank 0 says the run is over. With
 * objective NULL (this rank could not set up: setup_error says why) each
 * trial fails with that message, so rank 0's run ends with it rather
 * than wait. Errors: MPI's (a rank 0 that died). */
dial_status cli_mpi_serve(dial_ctx *ctx, cli_mpi *mpi, dial_objective_fn objective, void *user,
                          const char *setup_error);

/* Ends the session: rank 0 first warns of ranks given up in a run that
 * went on, and tells every other rank that the run is over (whether or
 * not it ran), then MPI is finalised. NULL is harmless. */
void cli_mpi_finish(cli_mpi *mpi);

#endif
