/* Under `mpirun ... dial tune ... --mpi` every rank parses the command
 * line before MPI starts, so a mistake in it would be told once per rank.
 * The launchers name each process's rank in its environment; a rank other
 * than 0 sends its output to /dev/null from the start, and rank 0 alone
 * speaks (docs/mpi.md). Needs no MPI, so it is built with or without. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_mpi.h"

/* A rank other than 0 that ends before MPI starts (the mistake rank 0
 * tells) lingers a moment first: a launcher ends the whole job when a
 * rank exits with an error, and rank 0, started a little later on a busy
 * machine, would be ended before it said why. atexit reaches nothing but
 * static storage. */
#define LINGER_SECONDS 2
static bool other_rank_before_mpi;

static void linger_for_rank_0(void) {
    if (other_rank_before_mpi) sleep(LINGER_SECONDS);
}

void cli_mpi_quiet_started(void) { other_rank_before_mpi = false; }

void cli_mpi_quiet_other_ranks(int argc, char **argv) {
    bool mpi = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--mpi") == 0) mpi = true;
    if (!mpi) return;
    /* Open MPI, PMIx (Open MPI 4, Slurm), and MPICH's Hydra or Slurm's PMI. */
    static const char *const rank_variables[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof rank_variables / sizeof rank_variables[0]; i++) {
        const char *rank = getenv(rank_variables[i]);
        if (!rank || !*rank) continue;
        if (strcmp(rank, "0") != 0) {
            other_rank_before_mpi = true;
            atexit(linger_for_rank_0);
            int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (null >= 0) {
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                close(null);
            }
        }
        return;
    }
}
