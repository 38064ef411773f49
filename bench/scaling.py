#!/usr/bin/python3
"""Trials per second as workers are added: dial on PostgreSQL, SQLite and MPI, Optuna on PostgreSQL.

The issue 16 benchmark (docs/scaling.md, bench/RESULTS.md). A trial is a
fast objective, so that what is measured is the storage and the
coordination, not the fit: for dial, a program that sleeps 10 ms and prints
0 (a static C program this script compiles, the cheapest process to start;
the line "objective alone" says what one run of it costs when started and
waited for by itself), run by `dial run --sampler random`; for Optuna 3.1,
an objective function that sleeps 10 ms in the worker's own process
(Optuna's way: no process per trial). For each number of workers W:

  dial-postgres  W `dial run --jobs 1` processes on one study in PostgreSQL
  dial-sqlite    W `dial run --jobs 1` processes on one SQLite file
  dial-mpi       `mpirun -np W dial run --mpi` (every rank evaluates; rank
                 0 also serves the others and writes a SQLite study;
                 --oversubscribe where cores run out, since the objective
                 sleeps)
  dial-c-postgres W bench/scaling_worker processes (the C API: the 10 ms
                 sleep runs in the worker's own process, as Optuna's does)
                 on one study in PostgreSQL
  dial-c-sqlite  the same on one SQLite file
  optuna-postgres W Python processes, each `study.optimize` with a
                 RandomSampler and RDBStorage on the same PostgreSQL server,
                 stopped by MaxTrialsCallback at the total

each bringing a fresh study to W * --per-worker trials. Seconds run from the
start of the workers to the end of the last complete trial, as the study
stores it (dial's trials.finished_at, Optuna's datetime_complete); "exit s"
runs to the last worker's exit: a dial worker that finds the budget held
by other workers' trials polls for them at a tenth of the heartbeat period
(at most 1 s) before it ends, which a run of seconds shows; dial-mpi's
seconds include mpirun's start. Optuna's
workers import optuna and load the study first, and are timed from a
signal given once all are ready (its start-up is not counted against it).
trials/s is the complete trials over the seconds (Optuna's workers may overshoot the total by a few
trials; the count is what the study holds); efficiency is
trials/s / (W * trials/s at W=1) of the same backend; the last table gives
dial-postgres's trials/s over Optuna's at each W.

The PostgreSQL server is started here, as tests/support/pg_server.sh does
(initdb in a temporary directory, loopback, an unprivileged user), but with
the server's default durability (fsync on): the cost of a commit is part of
what is measured; dial and Optuna each get a database of their own on it
(both schemas have a table `studies`). --postgres URL --optuna-postgres URL
use a server of yours instead.

    bench/scaling.py build/dial [--workers 1,2,4,8,16] [--per-worker 200] [--repeats 1]
    bench/scaling.py build/dial --quick      # 1 and 2 workers, 10 trials each: a smoke run

Needs: gcc, mpirun (scripts/install-deps.sh build), the PostgreSQL server
(test group), python3-optuna and python3-psycopg2 (bench group). Not run in
CI: it measures time.
"""
import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

OBJECTIVE_C = r"""
#include <stdio.h>
#include <time.h>
int main(void) {
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
    puts("0");
    return 0;
}
"""

OPTUNA_WORKER = r"""
import sys, time
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url, name, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler())
def objective(trial):
    trial.suggest_float("x", 0.0, 1.0)
    time.sleep(0.01)
    return 0.0
print("ready", flush=True)
sys.stdin.readline()
study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(
    total, states=(optuna.trial.TrialState.COMPLETE,))])
"""


def fail(message):
    sys.exit(f"scaling: {message}")


def compile_objective(folder):
    """The objective program: static when the C library allows it."""
    source = os.path.join(folder, "sleep10ms.c")
    binary = os.path.join(folder, "sleep10ms")
    with open(source, "w") as out:
        out.write(OBJECTIVE_C)
    for flags in (["-static"], []):
        done = subprocess.run(["gcc", "-O2", *flags, "-o", binary, source],
                              capture_output=True, text=True)
        if done.returncode == 0:
            return binary
    fail(f"gcc could not build the objective: {done.stderr.strip()}")


def objective_alone(binary, runs):
    """Milliseconds per run of the objective, started and waited for alone."""
    null = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    for _ in range(runs):
        pid = os.posix_spawn(binary, [binary], os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
        os.waitpid(pid, 0)
    os.close(null)
    return (time.perf_counter() - start) / runs * 1e3


class Postgres:
    """A PostgreSQL server of this run's own, on loopback (pg_server.sh's commands)."""

    def __init__(self):
        bins = sorted(d for d in (f"/usr/lib/postgresql/{v}/bin" for v in os.listdir(
            "/usr/lib/postgresql")) if os.path.exists(os.path.join(d, "initdb"))) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not bins:
            fail("no PostgreSQL server (scripts/install-deps.sh test installs it), "
                 "or give --postgres URL")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="dial-bench-pg.")
        self.as_server = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "nobody")
            self.as_server = ["runuser", "-u", "nobody", "--"]
        os.chmod(self.dir, 0o700)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        data = os.path.join(self.dir, "data")
        self.run("initdb", "-D", data, "-U", "dial", "-A", "trust", "-E", "UTF8")
        self.run("pg_ctl", "-D", data, "-l", os.path.join(self.dir, "server.log"), "-w", "-s",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                 "-c max_connections=200", "start")
        # Two databases: dial's schema and Optuna's both have a table `studies`.
        for database in ("dial_bench", "optuna_bench"):
            self.run("createdb", "-h", self.dir, "-p", str(self.port), "-U", "dial", database)
        self.url = f"postgresql://dial@127.0.0.1:{self.port}/dial_bench"
        self.optuna_url = f"postgresql+psycopg2://dial@127.0.0.1:{self.port}/optuna_bench"

    def run(self, program, *args):
        done = subprocess.run(self.as_server + [os.path.join(self.bin, program), *args],
                              capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"{program} failed: {(done.stdout + done.stderr).strip()[-400:]}")

    def stop(self):
        subprocess.run(self.as_server + [os.path.join(self.bin, "pg_ctl"), "-D",
                                         os.path.join(self.dir, "data"), "-m", "fast", "-s",
                                         "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def mpirun_prefix(n):
    command = ["mpirun", "-np", str(n)]
    version = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version:
        command.append("--oversubscribe")
        if os.geteuid() == 0:
            command.append("--allow-run-as-root")
    return command


def spawn_worker(command, **options):
    """A worker whose stderr goes to a file (a pipe left unread could fill)."""
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stderr=errors, **options)
    process.errors = errors
    return process


def wait_all(processes, what):
    """Waits for every worker; the first that failed ends the benchmark."""
    for process in processes:
        process.wait()
    for process in processes:
        process.errors.seek(0)
        err = process.errors.read()
        process.errors.close()
        if process.returncode != 0:
            fail(f"{what}: a worker exited with {process.returncode}: "
                 f"{(err or b'').decode(errors='replace').strip()[-600:]}")


LAST_FINISHED = ("SELECT count(*), max(t.finished_at) FROM trials t JOIN studies s "
                 "USING (study_id) WHERE s.name = {} AND t.state = 'complete'")


def dial_outcome(study, name):
    """(complete trials, when the last finished: epoch seconds) of a dial study,
    read from its tables (docs/study-schema.md)."""
    if study.startswith("postgres"):
        import psycopg2
        with psycopg2.connect(study) as connection, connection.cursor() as cursor:
            cursor.execute(LAST_FINISHED.format("%s"), (name,))
            return cursor.fetchone()
    with sqlite3.connect(study) as connection:
        return connection.execute(LAST_FINISHED.format("?"), (name,)).fetchone()


class Bench:
    def __init__(self, args, folder, objective):
        self.dial = os.path.abspath(args.dial)
        self.folder = folder
        self.objective = objective
        self.postgres_url = None
        self.optuna_url = None
        self.counter = 0

    def dial_run(self, study, name, total, extra):
        return [self.dial, "run", "--study", study, "--study-name", name, "--space",
                "x=float:0..1", "--sampler", "random", "--seed", "1", "--trials", str(total),
                "--quiet", "--log-dir", os.path.join(self.folder, "logs"), *extra, "--",
                self.objective]

    def fresh_name(self, backend, workers):
        self.counter += 1
        return f"{backend.replace('-', '_')}_{workers}_{self.counter}"

    def time_dial(self, commands, study, name):
        began = time.time()
        processes = [spawn_worker(command, stdout=subprocess.DEVNULL) for command in commands]
        wait_all(processes, f"dial run on {study.split('@')[-1]}")
        exited = time.time() - began
        complete, last = dial_outcome(study, name)
        return complete, last - began, exited

    def time_dial_workers(self, study, name, workers, total):
        command = self.dial_run(study, name, total, ["--jobs", "1"])
        return self.time_dial([command] * workers, study, name)

    def run_once(self, backend, workers, total):
        """(complete trials, seconds to the last one's end, seconds to the last
        worker's exit) of one run on a fresh study."""
        name = self.fresh_name(backend, workers)
        if backend == "dial-postgres":
            return self.time_dial_workers(self.postgres_url, name, workers, total)
        if backend == "dial-sqlite":
            return self.time_dial_workers(os.path.join(self.folder, f"{name}.db"), name,
                                          workers, total)
        if backend == "dial-mpi":
            study = os.path.join(self.folder, f"{name}.db")
            command = mpirun_prefix(workers) + self.dial_run(study, name, total, ["--mpi"])
            return self.time_dial([command], study, name)
        if backend in ("dial-c-postgres", "dial-c-sqlite"):
            study = self.postgres_url if backend == "dial-c-postgres" else \
                os.path.join(self.folder, f"{name}.db")
            command = [self.worker, study, name, str(total)]
            return self.time_dial([command] * workers, study, name)
        if backend == "optuna-postgres":
            return self.time_optuna(name, workers, total)
        fail(f"unknown backend {backend}")

    def time_optuna(self, name, workers, total):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        url = self.optuna_url
        optuna.create_study(study_name=name, storage=url)
        processes = [spawn_worker([sys.executable, "-c", OPTUNA_WORKER, url, name, str(total)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                     for _ in range(workers)]
        for process in processes:
            if process.stdout.readline().strip() != b"ready":
                process.wait()
                wait_all([process], "an Optuna worker did not start")
                fail("an Optuna worker did not start")
        began = time.time()
        for process in processes:
            process.stdin.write(b"go\n")
            process.stdin.flush()
        for process in processes:
            process.stdin.close()
        wait_all(processes, "optuna")
        exited = time.time() - began
        study = optuna.load_study(study_name=name, storage=url)
        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        last = max(t.datetime_complete for t in complete).timestamp()
        return len(complete), last - began, exited


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dial", help="the dial program (build/dial)")
    parser.add_argument("--workers", default="1,2,4,8,16")
    parser.add_argument("--per-worker", type=int, default=200,
                        help="trials per worker: each run brings its study to W times this")
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell; the median")
    parser.add_argument("--backends", default="dial-postgres,dial-sqlite,dial-mpi,"
                        "dial-c-postgres,dial-c-sqlite,optuna-postgres")
    parser.add_argument("--postgres", metavar="URL",
                        help="dial's database on a server of yours (else a server is started)")
    parser.add_argument("--optuna-postgres", metavar="URL",
                        help="with --postgres: Optuna's database, another one on the same server "
                        "(postgresql+psycopg2://...; both schemas have a table `studies`)")
    parser.add_argument("--quick", action="store_true",
                        help="1 and 2 workers, 10 trials per worker: checks that it all runs")
    args = parser.parse_args()
    if args.quick:
        args.workers, args.per_worker = "1,2", 10
    workers_list = [int(w) for w in args.workers.split(",")]
    backends = args.backends.split(",")
    if not os.access(args.dial, os.X_OK):
        fail(f"{args.dial} is not a program (build dial first: make)")
    if "dial-mpi" in backends and not shutil.which("mpirun"):
        fail("mpirun is missing (scripts/install-deps.sh build installs it)")
    if args.postgres and "optuna-postgres" in backends and not args.optuna_postgres:
        fail("--postgres needs --optuna-postgres too (another database on the same server)")
    needed = (["psycopg2"] if any(b.endswith("postgres") for b in backends) else []) + \
        (["optuna"] if "optuna-postgres" in backends else [])
    for module in needed:  # psycopg2 also reads when dial's last trial ended
        try:
            __import__(module)
        except ImportError as error:
            fail(f"{error.name} is missing (scripts/install-deps.sh bench installs "
                 "python3-optuna and python3-psycopg2)")

    server = None
    with tempfile.TemporaryDirectory(prefix="dial-bench-scaling.") as folder:
        objective = compile_objective(folder)
        alone = objective_alone(objective, 20 if args.quick else 200)
        bench = Bench(args, folder, objective)
        # The C API's worker, built beside dial (make bench_programs).
        bench.worker = os.path.join(os.path.dirname(os.path.abspath(args.dial)), "scaling_worker")
        if any(b.startswith("dial-c-") for b in backends) and not os.access(bench.worker, os.X_OK):
            fail(f"{bench.worker} is missing (build it: cmake --build build --target scaling_worker)")
        try:
            if any(b.endswith("postgres") for b in backends):
                if args.postgres:
                    bench.postgres_url = args.postgres
                    bench.optuna_url = args.optuna_postgres
                else:
                    server = Postgres()
                    bench.postgres_url = server.url
                    bench.optuna_url = server.optuna_url
            print(f"objective alone: {alone:.2f} ms per run (10 ms of sleep; the rest is "
                  "starting and waiting for the process)")
            print(f"{'backend':<16} {'workers':>7} {'trials':>7} {'seconds':>8} "
                  f"{'trials/s':>9} {'efficiency':>10} {'exit s':>7}", flush=True)
            rates = {}
            for backend in backends:
                for workers in workers_list:
                    total = workers * args.per_worker
                    runs = [bench.run_once(backend, workers, total) for _ in range(args.repeats)]
                    seconds = statistics.median(s for _, s, _ in runs)
                    exited = statistics.median(e for _, _, e in runs)
                    trials = statistics.median(n for n, _, _ in runs)
                    rate = statistics.median(n / s for n, s, _ in runs)
                    rates[backend, workers] = rate
                    base = rates.get((backend, workers_list[0]))
                    efficiency = rate / (workers / workers_list[0] * base)
                    print(f"{backend:<16} {workers:>7} {trials:>7.0f} {seconds:>8.2f} "
                          f"{rate:>9.1f} {efficiency:>10.0%} {exited:>7.2f}", flush=True)
            for mine in ("dial-postgres", "dial-c-postgres"):
                if mine in backends and "optuna-postgres" in backends:
                    title = f"{mine} / optuna-postgres (trials/s)"
                    print(f"\n{'workers':>7} {title:>46}")
                    for workers in workers_list:
                        ratio = rates[mine, workers] / rates["optuna-postgres", workers]
                        print(f"{workers:>7} {ratio:>45.1f}x")
        finally:
            if server:
                server.stop()


if __name__ == "__main__":
    main()
