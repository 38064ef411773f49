#!/usr/bin/python3
"""A Python worker of a dial study, as a user would write one: asks a trial
with `dial ask --json`, evaluates it, tells the value with `dial tell`, and
prints the values it told (repr, one a line) for the test to compare.

usage: ask_tell_worker.py DIAL STUDY.db TRIALS
The first ask creates the study with its space; the later ones give none.
"""
import json
import subprocess
import sys

dial, study, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
space = ["--space", "x=float:-5..10", "--space", "n=int:1..8", "--space", "opt=adam,sgd"]
for i in range(trials):
    asked = json.loads(subprocess.check_output([dial, "ask", study, "--json"] + (space if i == 0 else [])))
    knobs = asked["knobs"]
    assert isinstance(knobs["x"], float) and isinstance(knobs["n"], int), knobs
    assert knobs["opt"] in ("adam", "sgd"), knobs
    # A value with every digit a double has: told and read back exactly.
    value = (knobs["x"] - 2.0) ** 2 / 3.0 + knobs["n"] + (0.5 if knobs["opt"] == "sgd" else 0.0)
    subprocess.check_call([dial, "tell", study, str(asked["number"]), repr(value)])
    print(repr(value))
