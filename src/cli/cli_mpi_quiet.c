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
