#!/usr/bin/python3
"""A sampler's cost per suggestion: dial's tpe and gp against Optuna's TPE.

usage: /usr/bin/python3 bench/sampler_cost_optuna.py SAMPLER_COST [--repeats R]
                                                     [--optuna-trials N] [--quick]

SAMPLER_COST is the sampler_cost program (build/sampler_cost, from
`cmake --build build --target sampler_cost`). It times dial_sampler_propose
(the whole point of one trial) for tpe with 100, 1,000 and 10,000 finished
trials and gp with 50 and 300, on a synthetic history of a 5-d space: x0..x3
floats on [-5, 10] and lr a float on [1e-5, 1e-1] (log), the loss a shifted
sphere; the median of R proposals (default 21).

Optuna's side, in this process: a study of the same space filled with N
finished trials (default 1,000) through optuna.trial.create_trial and
study.add_trials (points drawn uniformly by numpy with a fixed seed, the
same kind of loss), then R times: study.ask() plus the five suggest calls,
timed together (the smallest unit in which Optuna's sampler works), the trial
then told FAIL so the next ask sees the same finished trials. Twice: the
default TPESampler (independent) and TPESampler(multivariate=True), which is
what dial's tpe is. Median of the R.

Both sides record wall time and the CPU time of the thread doing the work
(on a machine shared with other jobs the wall clock also measures the
queue); the goals are judged on CPU time, and the wall-clock ratios are
printed beside them.

Prints the figures in milliseconds, the ratio Optuna / dial at 1,000 finished
trials (goal: at least 50x, i.e. dial's at most 1/50 of Optuna's) and dial's
tpe cost at 10,000 over its cost at 1,000 (goal: at most 3).
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time
import warnings

import numpy
import optuna

GOAL_RATIO = 50
GOAL_GROWTH = 3.0


def space():
    return {
        "x0": optuna.distributions.FloatDistribution(-5, 10),
        "x1": optuna.distributions.FloatDistribution(-5, 10),
        "x2": optuna.distributions.FloatDistribution(-5, 10),
        "x3": optuna.distributions.FloatDistribution(-5, 10),
        "lr": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
    }


def loss(params):
    total = sum((params[name] - 1.5) ** 2 for name in ("x0", "x1", "x2", "x3"))
    return total + (math.log10(params["lr"]) + 3.0) ** 2


def optuna_ms_per_ask(multivariate, n_finished, repeats):
    """Median milliseconds (wall, CPU) of study.ask() + five suggests after
    n_finished trials."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = optuna.samplers.TPESampler(seed=7, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    distributions = space()
    generator = numpy.random.default_rng(12345)
    trials = []
    for _ in range(n_finished):
        params = {}
        for name, distribution in distributions.items():
            u = generator.random()
            if distribution.log:
                params[name] = math.exp(math.log(distribution.low)
                                        + u * (math.log(distribution.high) - math.log(distribution.low)))
            else:
                params[name] = distribution.low + u * (distribution.high - distribution.low)
        trials.append(optuna.trial.create_trial(params=params, distributions=distributions,
                                                value=loss(params)))
    study.add_trials(trials)
    times, cpu_times = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.thread_time()
        trial = study.ask()
        for name, distribution in distributions.items():
            trial.suggest_float(name, distribution.low, distribution.high, log=distribution.log)
        cpu_times.append(time.thread_time() - cpu_started)
        times.append(time.perf_counter() - started)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return statistics.median(times) * 1e3, statistics.median(cpu_times) * 1e3


def dial_figures(program, repeats, specs):
    done = subprocess.run([program, "--repeats", str(repeats)] + specs, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("sampler_cost failed (%d): %s" % (done.returncode, done.stderr))
    figures = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        figures[(row["sampler"], row["finished_trials"])] = row
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sampler_cost")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--optuna-trials", type=int, default=1000)
    parser.add_argument("--quick", action="store_true",
                        help="5 repeats, dial's tpe at 100 and 1,000, Optuna at 1,000")
    args = parser.parse_args()
    repeats = 5 if args.quick else args.repeats
    specs = ["tpe:100,1000"] if args.quick else ["tpe:100,1000,10000", "gp:50,300"]
    dial = dial_figures(args.sampler_cost, repeats, specs)
    optuna_default = optuna_ms_per_ask(False, args.optuna_trials, repeats)
    optuna_multivariate = optuna_ms_per_ask(True, args.optuna_trials, repeats)

    print("cost per suggestion, 5-d space, median of %d%s" % (repeats, " (--quick)" if args.quick else ""))
    print("| sampler | finished trials | ms CPU | ms wall | plan |")
    print("|---|---:|---:|---:|---|")
    for (kind, n), row in sorted(dial.items()):
        print("| dial %s | %d | %.4f | %.4f | %s |" % (kind, n, row["median_cpu_us"] / 1e3,
                                                      row["median_us"] / 1e3, row["plan"]))
    print("| Optuna TPESampler() | %d | %.4f | %.4f | |"
          % (args.optuna_trials, optuna_default[1], optuna_default[0]))
    print("| Optuna TPESampler(multivariate=True) | %d | %.4f | %.4f | |"
          % (args.optuna_trials, optuna_multivariate[1], optuna_multivariate[0]))
    tpe_1000 = dial.get(("tpe", 1000))
    if tpe_1000 and args.optuna_trials == 1000:
        for label, (wall, cpu) in (("TPESampler()", optuna_default),
                                   ("TPESampler(multivariate=True)", optuna_multivariate)):
            ratio = cpu / (tpe_1000["median_cpu_us"] / 1e3)
            wall_ratio = wall / (tpe_1000["median_us"] / 1e3)
            print("Optuna %s / dial tpe at 1,000: %.0fx CPU, %.0fx wall (goal: at least %dx) %s"
                  % (label, ratio, wall_ratio, GOAL_RATIO,
                     "met" if ratio >= GOAL_RATIO else "NOT MET"))
    tpe_10000 = dial.get(("tpe", 10000))
    if tpe_1000 and tpe_10000:
        growth = tpe_10000["median_cpu_us"] / tpe_1000["median_cpu_us"]
        wall_growth = tpe_10000["median_us"] / tpe_1000["median_us"]
        print("dial tpe at 10,000 / at 1,000: %.2fx CPU, %.2fx wall (goal: at most %gx) %s"
              % (growth, wall_growth, GOAL_GROWTH, "met" if growth <= GOAL_GROWTH else "NOT MET"))


if __name__ == "__main__":
    main()
