#!/usr/bin/python3
"""Knob importance on synthetic studies whose answer is known: dial
knob-importance (fANOVA, and PED-ANOVA) against Optuna 3.1's
FanovaImportanceEvaluator, on the very same trials, beside the analytic
shares.

usage: /usr/bin/python3 bench/knob_importance_vs_optuna.py DIAL [--trials N] [--seeds S] [--dir DIR]

DIAL is the dial program (build/dial). For each function and each seed
0 .. S-1, `dial run --sampler random --seed SEED` writes a study of N trials
(default 200) of x, y, z uniform on [0, 1] into a SQLite file under DIR
(default /tmp); the trials are read back with `dial trials --json` and
added, with the same values, to an in-memory Optuna study
(optuna.trial.create_trial), so both rank one set of trials.

The functions (u = x - 1/2, v = y - 1/2):
  ninety_nine_zero  f = 3.286 u + 1.039 v + 1.2 u v: of Var(f), x alone
                    explains 0.90, y alone 0.09, the pair x y 0.01, z 0; as
                    shares of the single terms x 0.909, y 0.091, z 0.
  interaction_only  f = u v: the single terms are 0, the pair x y is 1.

Printed per function: the analytic shares; dial fANOVA's (singles, and the
pair x y with --pairs, where knobs and pairs share 1 together), dial
PED-ANOVA's and Optuna's fANOVA (singles; Optuna 3.1 gives no pairs), each
the mean over the seeds with the largest distance from the analytic share
over the seeds; and for ninety_nine_zero the goal: the order x > y > z in
every seed, and every share within 0.05 of the analytic one (PED-ANOVA
measures how the top 10% differ from all trials, not a share of the
variance: only its order is counted, not as part of the goal).

Also the seconds each took per study (dial: the whole command, process
start included; Optuna: the evaluator's call), for scale only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import optuna
from optuna.distributions import FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

KNOBS = ["x", "y", "z"]
TOLERANCE = 0.05

FUNCTIONS = {
    "ninety_nine_zero": {
        "awk": "u = x - 0.5; v = y - 0.5; printf \"%.17g\\n\", 3.286 * u + 1.039 * v + 1.2 * u * v",
        "singles": {"x": 0.90 / 0.99, "y": 0.09 / 0.99, "z": 0.0},
        "with_pairs": {"x": 0.90, "y": 0.09, "z": 0.0, "x*y": 0.01},
    },
    "interaction_only": {
        "awk": "u = x - 0.5; v = y - 0.5; printf \"%.17g\\n\", u * v",
        # The singles are 0 over 0: undefined as shares.
        "singles": {"x": None, "y": None, "z": None},
        "with_pairs": {"x": 0.0, "y": 0.0, "z": 0.0, "x*y": 1.0},
    },
}


def run(command):
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr))
    return time.perf_counter() - started, done.stdout


def write_study(dial, path, function, n_trials, seed):
    program = "BEGIN {{ " + FUNCTIONS[function]["awk"] + " }}"
    # The programs' logs go beside the study, not into the working directory.
    run([dial, "run", "--study", path, "--sampler", "random", "--seed", str(seed),
         "--trials", str(n_trials), "--quiet", "--log-dir", path + ".logs",
         "--space", "x=float:0..1", "--space", "y=float:0..1", "--space", "z=float:0..1",
         "--", "awk", "-v", "x={x}", "-v", "y={y}", "-v", "z={z}", program])


def dial_shares(dial, path, extra):
    seconds, out = run([dial, "knob-importance", path, "--json"] + extra)
    j = json.loads(out)
    shares = {k["knob"]: k["importance"] for k in j["importances"]}
    for pair in j.get("pairs", []):
        shares["*".join(pair["knobs"])] = pair["importance"]
    return seconds, shares


def optuna_shares(dial, path, seed):
    _, out = run([dial, "trials", path, "--json"])
    study = optuna.create_study(direction="minimize")
    distributions = {k: FloatDistribution(0.0, 1.0) for k in KNOBS}
    study.add_trials([
        optuna.trial.create_trial(params={k: t["knobs"][k] for k in KNOBS},
                                  distributions=distributions, value=t["value"])
        for t in json.loads(out)["trials"] if t["state"] == "complete"])
    started = time.perf_counter()
    shares = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed))
    return time.perf_counter() - started, dict(shares)


def summary(runs, key, analytic):
    values = [r[key] for r in runs]
    mean = sum(values) / len(values)
    if analytic is None:
        return "%.3f (analytic undefined)" % mean
    worst = max(abs(v - analytic) for v in values)
    return "%.3f (max |diff| %.3f)" % (mean, worst)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dial")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dir", default="/tmp")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print("knob importance, %d trials (random sampler) per study, seeds 0..%d; optuna %s"
          % (args.trials, args.seeds - 1, optuna.__version__))
    met = True
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for function, spec in FUNCTIONS.items():
            fanova, pairs, ped, theirs = [], [], [], []
            seconds = {"dial fanova": 0.0, "dial ped-anova": 0.0, "optuna fanova": 0.0}
            for seed in range(args.seeds):
                path = os.path.join(folder, "%s_%d.db" % (function, seed))
                write_study(args.dial, path, function, args.trials, seed)
                s, shares = dial_shares(args.dial, path, ["--seed", str(seed)])
                fanova.append(shares)
                seconds["dial fanova"] += s
                pairs.append(dial_shares(args.dial, path, ["--seed", str(seed), "--pairs"])[1])
                s, shares = dial_shares(args.dial, path, ["--method", "ped-anova"])
                ped.append(shares)
                seconds["dial ped-anova"] += s
                s, shares = optuna_shares(args.dial, path, seed)
                theirs.append(shares)
                seconds["optuna fanova"] += s
            print("\n%s" % function)
            print("  %-6s %-12s %-28s %-28s %-28s %-28s" % (
                "knob", "analytic", "dial fanova", "optuna fanova", "dial ped-anova",
                "dial fanova --pairs"))
            for knob in KNOBS + ["x*y"]:
                analytic = spec["singles"].get(knob)
                pair_analytic = spec["with_pairs"][knob]
                single = knob != "x*y"
                print("  %-6s %-12s %-28s %-28s %-28s %-28s" % (
                    knob,
                    ("%.3f" % analytic if analytic is not None else "-") if single else "-",
                    summary(fanova, knob, analytic) if single else "-",
                    summary(theirs, knob, analytic) if single else "-",
                    summary(ped, knob, None if analytic is None else analytic) if single else "-",
                    "%s (analytic %.2f)" % (summary(pairs, knob, pair_analytic), pair_analytic)))
            print("  seconds per study: " + ", ".join(
                "%s %.3f" % (name, total / args.seeds) for name, total in seconds.items()))
            if function == "ninety_nine_zero":
                for name, runs in (("dial fanova", fanova), ("optuna fanova", theirs)):
                    order = all(r["x"] > r["y"] > r["z"] for r in runs)
                    close = all(abs(r[k] - spec["singles"][k]) <= TOLERANCE
                                for r in runs for k in KNOBS)
                    print("  %s: order x > y > z in every seed: %s; every share within %.2f: %s"
                          % (name, "yes" if order else "no", TOLERANCE, "yes" if close else "no"))
                    if name == "dial fanova":
                        met = order and close
                # PED-ANOVA judges the top 10% against all: not a variance
                # share, so only its order is compared.
                right = sum(r["x"] > r["y"] > r["z"] for r in ped)
                print("  dial ped-anova: order x > y > z in %d of %d seeds" % (right, len(ped)))
            else:
                dominant = all(r["x*y"] > max(r["x"], r["y"], r["z"]) for r in pairs)
                print("  dial fanova --pairs: the pair x y dominates in every seed: %s"
                      % ("yes" if dominant else "no"))
                met = met and dominant
    print("\ngoal (order right, shares within %.2f, the interaction found): %s"
          % (TOLERANCE, "met" if met else "not met"))


if __name__ == "__main__":
    main()
