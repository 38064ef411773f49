#!/usr/bin/python3
"""Samplers on synthetic functions: dial's `auto` through `dial ask`/`dial
tell` against Optuna's TPE, CMA-ES, QMC and random samplers, in the same run.

usage: /usr/bin/python3 bench/samplers_synthetic.py DIAL [--trials 100] [--seeds 10]
           [--functions NAME,...] [--sampler auto] [--jobs 2] [--dir DIR] [--no-check] [--quick]

DIAL is the dial program (build/dial). Each function is minimised from 100
trials (--trials) for seeds 0..9 (--seeds) by:
- dial: a worker loop as a user's shell script would run it, one process per
  call: `dial ask F.db --space ... --sampler auto --seed S --json`, the
  function computed here, `dial tell F.db NUMBER VALUE`; every ask rebuilds
  the sampler's state from the study file.
- Optuna 3.1, in this process (one study per seed): TPESampler(seed=S) (its
  default sampler), CmaEsSampler(seed=S) (python3-cmaes; categoricals are
  drawn by its independent fallback), QMCSampler(seed=S, scramble=True)
  (Sobol; scrambled, as dial's qmc, so that the seeds differ) and
  RandomSampler(seed=S), each suggesting the same space define-by-run.

Functions (the optimum of each is off the centre of its box):
  branin (2-d), hartmann6 (6-d on [0,1]), rosenbrock5 on [-5,10]^5, levy10 on
  [-10,10]^10, ackley5 on [-32.768,32.768]^5 with its optimum moved to
  (11.2, -17.5, 23.1, -6.4, 27.9), michalewicz5 on [0,pi]^5,
  styblinski_tang5 on [-5,5]^5, and three mixed spaces of our own:
  sphere_mixed (a float, a log-scaled float, an integer and a categorical
  offset), svm_like (log C, log gamma on a tilted valley, a kernel choice, an
  integer degree) and net_like (an integer with a step, a small integer, a
  log learning rate whose optimum depends on it, a float with a step).

Reported per function: each sampler's median best-so-far over the seeds at 25,
50 and 100 trials and the interquartile range at 100 (the seed-to-seed
spread). The goals, at 100 trials: dial's auto has a better (lower) median
than Optuna's TPE on at least 70% of the functions, and is worse than the
best of Optuna's four samplers by more than its own interquartile range on at
most 10% of them.

The check (skipped with --no-check): the same function, seed and space run by
`dial run` (one process, the sampler in memory, the program this script with
--evaluate) gives trial by trial the same knobs and values as the ask/tell
loop; printed as "equal" or with the first difference.

--quick: 20 trials, 2 seeds, three functions, for a smoke run.
"""
import argparse
import concurrent.futures
import json
import math
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

MARKS = (25, 50, 100)
GOAL_BETTER_THAN_TPE = 0.70
GOAL_WORSE_THAN_BEST = 0.10
OPTUNA_SAMPLERS = ("tpe", "cmaes", "qmc", "random")

# ---- the functions --------------------------------------------------------
# A parameter: (name, kind, low, high, options) with kind float, int or
# choice; options: "log", a step, or the choices.


def floats(names, low, high):
    return [(name, "float", low, high, {}) for name in names]


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
              [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(p):
    x = [p["x%d" % i] for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j] * 1e-4) ** 2 for j in range(6))
        total += HARTMANN_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock5(p):
    x = [p["x%d" % i] for i in range(5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def levy10(p):
    w = [1 + (p["x%d" % i] - 1) / 4 for i in range(10)]
    total = math.sin(math.pi * w[0]) ** 2
    for i in range(9):
        total += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return total + (w[9] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[9]) ** 2)


ACKLEY_SHIFT = (11.2, -17.5, 23.1, -6.4, 27.9)


def ackley5(p):
    z = [p["x%d" % i] - ACKLEY_SHIFT[i] for i in range(5)]
    squares = sum(v * v for v in z) / 5
    cosines = sum(math.cos(2 * math.pi * v) for v in z) / 5
    return -20 * math.exp(-0.2 * math.sqrt(squares)) - math.exp(cosines) + 20 + math.e


def michalewicz5(p):
    return -sum(math.sin(p["x%d" % i]) * math.sin((i + 1) * p["x%d" % i] ** 2 / math.pi) ** 20
                for i in range(5))


def styblinski_tang5(p):
    return sum(v ** 4 - 16 * v ** 2 + 5 * v for v in (p["x%d" % i] for i in range(5))) / 2


SPHERE_OFFSETS = {"a": 1.0, "b": 0.0, "c": 2.0, "d": 0.5}


def sphere_mixed(p):
    return ((p["x"] - 3.7) ** 2 / 4 + (math.log10(p["lr"]) + 3.3) ** 2
            + ((p["n"] - 23) / 6) ** 2 + SPHERE_OFFSETS[p["opt"]])


SVM_KERNEL_PENALTY = {"rbf": 0.0, "poly": 0.03, "sigmoid": 0.08}


def svm_like(p):
    u, v = math.log10(p["C"]) - 1.5, math.log10(p["gamma"]) + 2.5
    error = 0.05 + 0.02 * (u + v) ** 2 + 0.004 * (u - v) ** 2 + SVM_KERNEL_PENALTY[p["kernel"]]
    if p["kernel"] == "poly":
        error += 0.01 * (p["degree"] - 3) ** 2
    return error


def net_like(p):
    best_log_lr = -2.7 - 0.15 * (p["layers"] - 3)
    return ((math.log10(p["lr"]) - best_log_lr) ** 2 + 0.5 * ((p["batch"] - 64) / 64) ** 2
            + 0.2 * (p["layers"] - 3) ** 2 + 3 * (p["dropout"] - 0.2) ** 2)


FUNCTIONS = {
    "branin": (branin, [("x1", "float", -5.0, 10.0, {}), ("x2", "float", 0.0, 15.0, {})]),
    "hartmann6": (hartmann6, floats(["x%d" % i for i in range(6)], 0.0, 1.0)),
    "rosenbrock5": (rosenbrock5, floats(["x%d" % i for i in range(5)], -5.0, 10.0)),
    "levy10": (levy10, floats(["x%d" % i for i in range(10)], -10.0, 10.0)),
    "ackley5": (ackley5, floats(["x%d" % i for i in range(5)], -32.768, 32.768)),
    "michalewicz5": (michalewicz5, floats(["x%d" % i for i in range(5)], 0.0, math.pi)),
    "styblinski_tang5": (styblinski_tang5, floats(["x%d" % i for i in range(5)], -5.0, 5.0)),
    "sphere_mixed": (sphere_mixed, [("x", "float", -5.0, 10.0, {}),
                                    ("lr", "float", 1e-5, 1.0, {"log": True}),
                                    ("n", "int", 1, 64, {}),
                                    ("opt", "choice", None, None, {"choices": ["a", "b", "c", "d"]})]),
    "svm_like": (svm_like, [("C", "float", 1e-3, 1e3, {"log": True}),
                            ("gamma", "float", 1e-5, 10.0, {"log": True}),
                            ("kernel", "choice", None, None,
                             {"choices": ["rbf", "poly", "sigmoid"]}),
                            ("degree", "int", 2, 5, {})]),
    "net_like": (net_like, [("batch", "int", 16, 256, {"step": 16}),
                            ("layers", "int", 1, 8, {}),
                            ("lr", "float", 1e-5, 1e-1, {"log": True}),
                            ("dropout", "float", 0.0, 0.5, {"step": 0.05})]),
}
QUICK_FUNCTIONS = ("branin", "hartmann6", "sphere_mixed")


def dial_space_items(space):
    """The --space items of a space."""
    items = []
    for name, kind, low, high, options in space:
        if kind == "choice":
            items.append("%s=%s" % (name, ",".join(options["choices"])))
            continue
        text = "%s=%s:%r..%r" % (name, kind, low, high)
        if options.get("log"):
            text += ":log"
        if "step" in options:
            text += ":step=%r" % options["step"]
        items.append(text)
    return items


def typed_knobs(space, knobs):
    """knobs (from JSON or the environment) as the function takes them."""
    values = {}
    for name, kind, _, _, _ in space:
        text = knobs[name]
        values[name] = (str(text) if kind == "choice" else
                        int(text) if kind == "int" else float(text))
    return values


# ---- dial: one process per ask and per tell ---------------------------------


def call(command):
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (done.returncode, " ".join(command),
                                                     done.stderr))
    return done.stdout


def dial_chain(dial, sampler, function_name, seed, n_trials, path):
    """The values of n_trials ask/tell rounds, in trial order."""
    function, space = FUNCTIONS[function_name]
    space_options = [option for item in dial_space_items(space) for option in ("--space", item)]
    values = []
    for i in range(n_trials):
        ask = [dial, "ask", path, "--json", "--sampler", sampler, "--seed", str(seed)]
        trial = json.loads(call(ask + (space_options if i == 0 else [])))
        value = function(typed_knobs(space, trial["knobs"]))
        call([dial, "tell", path, str(trial["number"]), repr(value)])
        values.append(value)
    return values


# ---- Optuna, in process -------------------------------------------------------


def optuna_sampler(optuna, name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True)
    return optuna.samplers.RandomSampler(seed=seed)


def optuna_chain(job):
    """The values of one Optuna study, in trial order (a process pool's job)."""
    sampler_name, function_name, seed, n_trials = job
    warnings.simplefilter("ignore")
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    function, space = FUNCTIONS[function_name]

    def objective(trial):
        params = {}
        for name, kind, low, high, options in space:
            if kind == "choice":
                params[name] = trial.suggest_categorical(name, options["choices"])
            elif kind == "int":
                params[name] = trial.suggest_int(name, low, high, step=options.get("step", 1),
                                                 log=options.get("log", False))
            else:
                params[name] = trial.suggest_float(name, low, high, step=options.get("step"),
                                                   log=options.get("log", False))
        return function(params)

    study = optuna.create_study(sampler=optuna_sampler(optuna, sampler_name, seed))
    study.optimize(objective, n_trials=n_trials)
    return [trial.value for trial in study.trials]


# ---- summaries ---------------------------------------------------------------------


def best_so_far(values, mark):
    return min(values[:mark])


def quartiles(figures):
    ordered = sorted(figures)
    if len(ordered) < 2:
        return ordered[0], ordered[0]
    q = statistics.quantiles(ordered, n=4, method="inclusive")
    return q[0], q[2]


def summarise(chains, marks):
    """{mark: median best}, interquartile range at the last mark."""
    medians = {mark: statistics.median(best_so_far(c, mark) for c in chains) for mark in marks}
    q1, q3 = quartiles([best_so_far(c, marks[-1]) for c in chains])
    return medians, q3 - q1


# ---- the check: ask/tell equals an in-process run ------------------------------------


def evaluate_from_environment(function_name):
    """--evaluate: the program `dial run` runs; prints the value."""
    function, space = FUNCTIONS[function_name]
    knobs = {name: os.environ["DIAL_KNOB_" + name] for name, _, _, _, _ in space}
    print(repr(function(typed_knobs(space, knobs))))


def trials_of(dial, path):
    return json.loads(call([dial, "trials", path, "--json"]))["trials"]


def check_in_process(dial, sampler, function_name, seed, n_trials, ask_tell_path, folder):
    _, space = FUNCTIONS[function_name]
    path = os.path.join(folder, "check_run.db")
    space_options = [option for item in dial_space_items(space) for option in ("--space", item)]
    call([dial, "run", "--study", path, "--sampler", sampler, "--seed", str(seed),
          "--trials", str(n_trials), "--jobs", "1", "--quiet",
          "--log-dir", os.path.join(folder, "check_logs")] + space_options
         + ["--", sys.executable, os.path.abspath(__file__), "--evaluate", function_name])
    asked, run = trials_of(dial, ask_tell_path), trials_of(dial, path)
    if len(asked) != len(run):
        return "DIFFERENT: %d trials by ask/tell, %d by dial run" % (len(asked), len(run))
    for a, r in zip(asked, run):
        if a["knobs"] != r["knobs"] or a["value"] != r["value"]:
            return ("DIFFERENT from trial %d: ask/tell %s -> %r, dial run %s -> %r"
                    % (a["number"], a["knobs"], a["value"], r["knobs"], r["value"]))
    return "equal (%d trials, knobs and values)" % len(asked)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--evaluate":
        evaluate_from_environment(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dial")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--sampler", default="auto", help="dial's sampler (default auto)")
    parser.add_argument("--jobs", type=int, default=2, help="studies run at once (default 2)")
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.seeds = 20, 2
        args.functions = ",".join(QUICK_FUNCTIONS)
    names = args.functions.split(",")
    for name in names:
        if name not in FUNCTIONS:
            sys.exit("unknown function '%s' (known: %s)" % (name, ", ".join(FUNCTIONS)))
    marks = tuple(m for m in MARKS if m < args.trials) + (args.trials,)
    dial = os.path.abspath(args.dial)
    folder = tempfile.mkdtemp(prefix="samplers_synthetic_", dir=args.dir)
    started = time.time()
    try:
        def study_path(name, seed):
            return os.path.join(folder, "%s_%d.db" % (name, seed))

        jobs = [(name, seed) for name in names for seed in range(args.seeds)]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {job: pool.submit(dial_chain, dial, args.sampler, job[0], job[1],
                                        args.trials, study_path(*job)) for job in jobs}
            dial_chains = {job: future.result() for job, future in futures.items()}
        dial_seconds = time.time() - started
        optuna_jobs = [(s, name, seed, args.trials)
                       for s in OPTUNA_SAMPLERS for name in names for seed in range(args.seeds)]
        with multiprocessing.Pool(args.jobs) as pool:
            optuna_chains = dict(zip(optuna_jobs, pool.map(optuna_chain, optuna_jobs)))
        check = None
        if not args.no_check:
            check = check_in_process(dial, args.sampler, names[0], 0, args.trials,
                                     study_path(names[0], 0), folder)
    finally:
        shutil.rmtree(folder)

    print("%d trials, %d seeds, median best-so-far (lower is better); IQR = interquartile "
          "range of the best at %d over the seeds%s"
          % (args.trials, args.seeds, args.trials, " (--quick)" if args.quick else ""))
    print("dial through ask/tell, one process per call: %.0f s for %d studies"
          % (dial_seconds, len(jobs)))
    header = "| sampler | " + " | ".join("@%d" % m for m in marks) + " | IQR @%d |" % marks[-1]
    better_than_tpe, worse_than_best = [], []
    for name in names:
        print("\n%s" % name)
        print(header)
        print("|---|" + "---:|" * (len(marks) + 1))
        rows = {("dial " + args.sampler): summarise(
            [dial_chains[(name, seed)] for seed in range(args.seeds)], marks)}
        for s in OPTUNA_SAMPLERS:
            rows["optuna " + s] = summarise(
                [optuna_chains[(s, name, seed, args.trials)] for seed in range(args.seeds)], marks)
        for label, (medians, spread) in rows.items():
            print("| %s | %s | %.4g |" % (label, " | ".join("%.4g" % medians[m] for m in marks),
                                          spread))
        ours, our_spread = rows["dial " + args.sampler]
        best_optuna = min(rows["optuna " + s][0][marks[-1]] for s in OPTUNA_SAMPLERS)
        beats_tpe = ours[marks[-1]] < rows["optuna tpe"][0][marks[-1]]
        too_far = ours[marks[-1]] > best_optuna + our_spread
        better_than_tpe.append(beats_tpe)
        worse_than_best.append(too_far)
        print("better than Optuna TPE: %s; worse than Optuna's best (%.4g) by more than its "
              "IQR: %s" % ("yes" if beats_tpe else "no", best_optuna, "yes" if too_far else "no"))
    share_better = sum(better_than_tpe) / len(names)
    share_worse = sum(worse_than_best) / len(names)
    print("\ngoal 1: dial %s better than Optuna TPE (median at %d) on %d of %d functions "
          "(%.0f%%; goal >= %.0f%%): %s"
          % (args.sampler, args.trials, sum(better_than_tpe), len(names), 100 * share_better,
             100 * GOAL_BETTER_THAN_TPE, "met" if share_better >= GOAL_BETTER_THAN_TPE
             else "NOT MET"))
    print("goal 2: worse than Optuna's best sampler by more than its IQR on %d of %d "
          "(%.0f%%; goal <= %.0f%%): %s"
          % (sum(worse_than_best), len(names), 100 * share_worse, 100 * GOAL_WORSE_THAN_BEST,
             "met" if share_worse <= GOAL_WORSE_THAN_BEST else "NOT MET"))
    if check is not None:
        print("check, %s seed 0: ask/tell (one process per call) against `dial run` (one "
              "process): %s" % (names[0], check))


if __name__ == "__main__":
    main()
