#!/usr/bin/python3
"""The overhead of `dial run` per trial, against the program's own start-up.

The program is a compiled C program that prints 0 and exits (no shell, no
interpreter: what is measured is dial's own work per trial). It is run

  1. alone, N times, by this driver: os.posix_spawn with its stdout on a
     pipe read to the end, then waitpid (what dial run does for one trial,
     less everything else);
  2. by `dial run --trials N` on a fresh SQLite study, timed from outside;
     the run's fixed cost (dial's start, creating the study) is taken out by
     also timing `dial run --trials 1` and counting the N - 1 trials between.

It prints both per-run times and their difference: dial's overhead per
trial (goal: under 2 ms above the program's own start-up). Each figure is
the median of --repeats measurements.

    bench/run_overhead.py build/dial [--trials 300] [--repeats 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PROGRAM = r"""
#include <stdio.h>
int main(void) {
    puts("0");
    return 0;
}
"""


def compile_program(folder):
    source = os.path.join(folder, "prints0.c")
    binary = os.path.join(folder, "prints0")
    with open(source, "w") as f:
        f.write(PROGRAM)
    subprocess.run(["cc", "-O2", "-o", binary, source], check=True)
    return binary


def program_alone(binary, n):
    """Seconds per run of the program spawned with its stdout on a pipe."""
    start = time.perf_counter()
    for _ in range(n):
        read_end, write_end = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        pid = os.posix_spawn(binary, [binary], os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                           (os.POSIX_SPAWN_DUP2, write_end, 1)],
                             setpgroup=0)
        os.close(write_end)
        os.close(devnull)
        while os.read(read_end, 65536):
            pass
        os.close(read_end)
        os.waitpid(pid, 0)
    return (time.perf_counter() - start) / n


def dial_run(dial, binary, folder, n):
    """Seconds of one `dial run --trials n` on a fresh study."""
    study = os.path.join(folder, "study-%d.db" % n)
    logs = os.path.join(folder, "logs-%d" % n)
    for path in (study, study + "-wal", study + "-shm"):
        if os.path.exists(path):
            os.remove(path)
    shutil.rmtree(logs, ignore_errors=True)
    command = [dial, "run", "--study", study, "--space", "x=float:0..1", "--trials", str(n),
               "--quiet", "--log-dir", logs, "--", binary]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dial", help="the dial program (build/dial)")
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    dial = os.path.abspath(args.dial)
    folder = tempfile.mkdtemp(prefix="dial-run-overhead-")
    try:
        binary = compile_program(folder)
        program_alone(binary, 20)  # warm the caches
        alone = statistics.median(program_alone(binary, args.trials) for _ in range(args.repeats))
        per_trial = []
        for _ in range(args.repeats):
            one = dial_run(dial, binary, folder, 1)
            many = dial_run(dial, binary, folder, args.trials)
            per_trial.append((many - one) / (args.trials - 1))
        run = statistics.median(per_trial)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("trials per run: %d, median of %d repeats" % (args.trials, args.repeats))
    print("program alone (posix_spawn, pipe, wait): %.3f ms per run" % (alone * 1e3))
    print("dial run:                                %.3f ms per trial" % (run * 1e3))
    print("overhead of dial run:                    %.3f ms per trial (goal < 2 ms)" %
          ((run - alone) * 1e3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
