#!/bin/bash
# tests/cli/test_mpi.sh again, with MPICH: dial-mpich (the dial program
# built with MPICH beside Open MPI, see CMakeLists.txt) under mpirun.mpich.
# Skips (77) when MPICH was not there to build it.
here=$(dirname "$0")
dial=${1:?usage: $(basename "$0") /path/to/dial}
mpich=$(dirname "$dial")/dial-mpich
if [[ ! -x "$mpich" ]] || ! command -v mpirun.mpich >/dev/null; then
    echo "skipped: no dial-mpich beside $dial, or no mpirun.mpich (the test group of scripts/install-deps.sh installs MPICH, and the build then makes dial-mpich)"
    exit 77
fi
DIAL_MPIRUN=mpirun.mpich exec bash "$here/test_mpi.sh" "$mpich"
