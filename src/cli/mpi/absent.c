/* --mpi in a dial built without MPI (CMake found none): the option is
 * known, so the way to get it can be told. */
#include "cli/cli_mpi.h"

dial_status cli_mpi_start(dial_ctx *ctx, cli_mpi **out) {
    *out = NULL;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "--mpi: this dial was built without MPI; install Open MPI "
                     "(scripts/install-deps.sh build) and build again");
}

int cli_mpi_rank(const cli_mpi *mpi) { return 0; }
int cli_mpi_workers(const cli_mpi *mpi) { return 0; }
void cli_mpi_coordinate(cli_mpi *mpi, dial_optimize_options *options, double heartbeat_seconds,
                        const char *study_path) {}

dial_status cli_mpi_send_setup(dial_ctx *ctx, cli_mpi *mpi, const char *text) { return DIAL_OK; }

dial_status cli_mpi_receive_setup(dial_ctx *ctx, cli_mpi *mpi, char **out) {
    *out = NULL;
    return DIAL_OK;
}

dial_status cli_mpi_serve(dial_ctx *ctx, cli_mpi *mpi, dial_objective_fn objective, void *user,
                          const char *setup_error) {
    return DIAL_OK;
}

void cli_mpi_catch_termination(cli_mpi *mpi) {}
void cli_mpi_finish(cli_mpi *mpi) {}
