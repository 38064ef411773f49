"""Grows a study that dial run made into a large one, for dial report's
10,000-trial test: running 10,000 programs would take minutes, so the rows
are written straight into the SQLite file (the tables of
docs/study-schema.md), each new trial a copy of a real one with its knobs
moved and its value recomputed as the program would print it.

usage: report_grow_study.py STUDY.db TOTAL
The real trials keep their rows; trials are added up to TOTAL, every 10th
pruned at step 1 (an intermediate value, no value), the rest complete with
three intermediate values, as tests/cli/programs/steps.sh reports them.
"""
import random
import sqlite3
import sys

path, total = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
(study_id, next_number) = db.execute("SELECT study_id, next_number FROM studies").fetchone()
(t0,) = db.execute("SELECT MIN(started_at) FROM trials").fetchone()
names = [r[0] for r in db.execute(
    "SELECT DISTINCT name FROM trial_params ORDER BY position")]
rng = random.Random(15)
for number in range(next_number, total):
    x = 10 ** rng.uniform(-3, 1)
    n = rng.randint(1, 8)
    opt = rng.choice(["adam", "sgd"])
    pruned = number % 10 == 9
    state = "pruned" if pruned else "complete"
    value = None if pruned else x
    start = t0 + number * 0.01
    cur = db.execute(
        "INSERT INTO trials (study_id, number, sample, state, value, started_at, finished_at,"
        " heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (study_id, number, number, state, value, start, start + 0.005, start))
    trial_id = cur.lastrowid
    params = {"x": ("float", x, repr(x)), "n": ("int", float(n), str(n)),
              "opt": ("choice", float(["adam", "sgd"].index(opt)), opt)}
    for position, name in enumerate(names):
        kind, v, text = params[name]
        db.execute("INSERT INTO trial_params VALUES (?, ?, ?, ?, ?, ?)",
                   (trial_id, position, name, kind, v, text))
    for step in ([1] if pruned else [1, 2, 3]):
        db.execute("INSERT INTO trial_values VALUES (?, ?, ?)", (trial_id, step, x / step))
db.execute("UPDATE studies SET next_number = ?, next_sample = ?, n_finished = ?",
           (total, total, total))
db.commit()
