#!/usr/bin/python3
"""Trials per second of `dial run --mpi` as ranks are added (issue 16).

The objective is a program that sleeps 10 ms and prints 0 (a fast trial:
what is measured is the coordination, not the fit). For each number of
evaluating workers W it times, on a fresh SQLite study with --sampler random,

  1. `mpirun -np W+1 dial run --mpi` (rank 0 coordinates, W ranks run
     programs; --oversubscribe where cores run out, since the program
     sleeps);
  2. `dial run --jobs W` in one process, the same study otherwise;

each for --per-worker trials per worker. A run's fixed cost (starting MPI
and dial, creating the study, the first wave) is taken out by also timing a
run of W trials and counting the trials between. It prints trials per
second, and the scaling efficiency tps(W) / (W * tps(1)), tps(1) being the
first count's rate per worker (the ideal is 100 trials per second per
worker, less dial's own cost per trial). Not run in CI: it measures time.

    bench/mpi_scaling.py build/dial [--workers 1,2,4,8,16] [--per-worker 50] [--repeats 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def mpirun_prefix(n):
    command = ["mpirun", "-np", str(n)]
    version = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version:
        command.append("--oversubscribe")
        if os.geteuid() == 0:
            command.append("--allow-run-as-root")
    return command


def seconds_of(command, folder):
    """Wall seconds of one run of command in folder (a fresh study)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    start = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def trials_per_second(make_command, workers, per_worker, repeats, folder):
    """Trials per second past the fixed cost: (N - W) / (t(N) - t(W))."""
    n = workers * per_worker
    figures = []
    for _ in range(repeats):
        whole = seconds_of(make_command(n), folder)
        fixed = seconds_of(make_command(workers), folder)
        figures.append((n - workers) / max(whole - fixed, 1e-9))
    return statistics.median(figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dial")
    parser.add_argument("--workers", default="1,2,4,8,16")
    parser.add_argument("--per-worker", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dial = os.path.abspath(args.dial)
    if not shutil.which("mpirun"):
        sys.exit("mpi_scaling: mpirun is missing (scripts/install-deps.sh build installs it)")
    program = ["sh", "-c", "sleep 0.01; echo 0"]
    common = ["run", "--study", "s.db", "--space", "x=float:0..1", "--sampler", "random",
              "--seed", "1", "--quiet", "--log-dir", "logs"]
    workers = [int(w) for w in args.workers.split(",")]
    print(f"{'workers':>7}  {'mpi tps':>9}  {'mpi eff':>7}  {'jobs tps':>9}  {'jobs eff':>8}")
    base = {}
    with tempfile.TemporaryDirectory() as folder:
        for w in workers:
            def under_mpi(n, w=w):
                return mpirun_prefix(w + 1) + [dial] + common + [
                    "--trials", str(n), "--mpi", "--"] + program

            def one_process(n, w=w):
                return [dial] + common + ["--trials", str(n), "--jobs", str(w), "--"] + program

            row = []
            for kind, make in (("mpi", under_mpi), ("jobs", one_process)):
                tps = trials_per_second(make, w, args.per_worker, args.repeats, folder)
                base.setdefault(kind, tps / w if w else tps)
                row.append((tps, tps / (w * base[kind])))
            print(f"{w:>7}  {row[0][0]:>9.1f}  {row[0][1]:>6.0%}  {row[1][0]:>9.1f}  "
                  f"{row[1][1]:>7.0%}", flush=True)


if __name__ == "__main__":
    main()
