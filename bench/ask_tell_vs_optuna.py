#!/usr/bin/python3
"""Per-trial overhead of ask-and-tell through the command line: `dial ask` +
`dial tell` against `optuna ask` + `optuna tell`, in the same run.

usage: /usr/bin/python3 bench/ask_tell_vs_optuna.py DIAL [--trials N] [--dir DIR]

DIAL is the dial program (build/dial). Both sides tune the same space of
two parameters, x a float in [-5, 10] and n an integer in [1, 8], with
their random samplers, minimising (x - 2)^2 + n, each on a fresh SQLite
study file under DIR (default /tmp), one trial at a time: a worker loop
as a shell script would run it, one process per ask and one per tell.

What is timed is each ask and each tell, from starting the process to its
exit (the objective, computed here in Python between them, is not). On
Optuna's side the study is created first with `optuna create-study`, not
timed; on dial's side the first ask creates the study and is timed, which
only makes dial look slower. Optuna's CLI is python3-optuna's
(/usr/bin/optuna, or `python3 -m optuna` when that is missing).

Prints milliseconds per trial (ask + tell) for each, the ratio Optuna / dial
(how many times dial's overhead fits into Optuna's) against the goal of at
least 20x, and the best value each found (a check that both really ran).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

GOAL = 20
SEED = 1


def objective(x, n):
    return (x - 2.0) ** 2 + n


def timed(command):
    """Runs command, returns (seconds, stdout); fails loudly on an error."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr))
    return elapsed, done.stdout


def run_dial(dial, path, n_trials):
    """Returns (seconds per trial, best value)."""
    space = ["--space", "x=float:-5..10", "--space", "n=int:1..8"]
    total, best = 0.0, float("inf")
    for i in range(n_trials):
        # The first ask creates the study with its space; later asks give none.
        ask = [dial, "ask", path, "--json", "--seed", str(SEED)] + (space if i == 0 else [])
        seconds, out = timed(ask)
        trial = json.loads(out)
        value = objective(trial["knobs"]["x"], trial["knobs"]["n"])
        best = min(best, value)
        told, _ = timed([dial, "tell", path, str(trial["number"]), repr(value)])
        total += seconds + told
    return total / n_trials, best


def optuna_command():
    if shutil.which("optuna"):
        return ["optuna"]
    return [sys.executable, "-m", "optuna"]


def run_optuna(path, n_trials):
    """Returns (seconds per trial, best value)."""
    optuna = optuna_command()
    storage = ["--storage", "sqlite:///" + path, "--study-name", "bench"]
    subprocess.run(optuna + ["create-study", "--direction", "minimize", "-q"] + storage,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    space = json.dumps({
        "x": {"name": "FloatDistribution",
              "attributes": {"low": -5.0, "high": 10.0, "log": False, "step": None}},
        "n": {"name": "IntDistribution",
              "attributes": {"low": 1, "high": 8, "log": False, "step": 1}},
    })
    # Unseeded: each `optuna ask` is a new process, and a seeded
    # RandomSampler would draw the same first point in every one of them.
    ask = optuna + ["ask", "-q", "-f", "json", "--sampler", "RandomSampler",
                    "--search-space", space] + storage
    total, best = 0.0, float("inf")
    for _ in range(n_trials):
        seconds, out = timed(ask)
        trial = json.loads(out)
        value = objective(trial["params"]["x"], trial["params"]["n"])
        best = min(best, value)
        told, _ = timed(optuna + ["tell", "-q", "--trial-number", str(trial["number"]),
                                  "--values", repr(value)] + storage)
        total += seconds + told
    return total / n_trials, best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dial")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--dir", default="/tmp")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ask_tell_", dir=args.dir)
    try:
        dial_seconds, dial_best = run_dial(os.path.abspath(args.dial),
                                           os.path.join(folder, "dial.db"), args.trials)
        optuna_seconds, optuna_best = run_optuna(os.path.join(folder, "optuna.db"), args.trials)
    finally:
        shutil.rmtree(folder)
    ratio = optuna_seconds / dial_seconds
    print("ask + tell through the CLI, %d trials, SQLite, random sampler, 2 parameters"
          % args.trials)
    print("  dial   %8.2f ms per trial (best value %.4f)" % (dial_seconds * 1e3, dial_best))
    print("  optuna %8.2f ms per trial (best value %.4f)" % (optuna_seconds * 1e3, optuna_best))
    print("  optuna / dial: %.1fx (goal: at least %dx) %s"
          % (ratio, GOAL, "met" if ratio >= GOAL else "NOT MET"))


if __name__ == "__main__":
    main()
