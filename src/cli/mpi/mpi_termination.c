/* Rank 0's last word when the launcher ends the job. Open MPI's mpirun
 * and MPICH's mpiexec end every rank (SIGTERM, then SIGKILL) when one of
 * them dies, and so does Slurm's scancel: rank 0 is then told nothing by
 * MPI, but the study file is safe at any moment and its running trials are
 * taken over by the next run once their heartbeat expires, so the one
 * thing missing is the line that says so (docs/mpi.md).
 *
 * A signal handler reaches nothing but static storage, so the line is
 * written here beforehand; MPI starts once per process, so there is one
 * such line per process. A thread waiting in sigwait would need SIGTERM
 * blocked in every thread, and the BLAS starts its threads before main. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/mpi/mpi_wire.h"

static char termination_line[1024];
static size_t termination_length;
static struct sigaction termination_previous;
static bool termination_caught;

static void on_termination(int signal_number) {
    (void)signal_number;
    ssize_t written = write(STDERR_FILENO, termination_line, termination_length);
    (void)written;
    _exit(1);
}

void mpi_termination_catch(const char *line) {
    if (line) {
        snprintf(termination_line, sizeof termination_line, "%s\n", line);
        termination_length = strlen(termination_line);
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_termination;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, termination_caught ? NULL : &termination_previous);
    termination_caught = true;
}

void mpi_termination_release(void) {
    if (termination_caught) sigaction(SIGTERM, &termination_previous, NULL);
    termination_caught = false;
}
