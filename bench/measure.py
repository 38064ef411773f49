"""How the sparse-data benchmarks (issue 17) measure a program: one
process under /usr/bin/time -v, its wall time and peak memory, and the
accuracy of the labels it predicted against a LIBSVM file's; and the
generated text they share."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def text_split(work, rows, vocabulary, seed):
    """Writes bench/gen_text.py's text (rows x vocabulary, seed) into work
    and holds out every fifth row: (train path, test path)."""
    whole = os.path.join(work, "text.libsvm")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_text.py"), "--rows", str(rows),
                    "--vocabulary", str(vocabulary), "--seed", str(seed), "-o", whole],
                   check=True)
    train, test = os.path.join(work, "train.libsvm"), os.path.join(work, "test.libsvm")
    with open(whole) as f, open(train, "w") as tr, open(test, "w") as te:
        for i, line in enumerate(f):
            (te if i % 5 == 0 else tr).write(line)
    return train, test


def run_timed(command, env=None):
    """Runs command under /usr/bin/time -v: (stdout, stderr, seconds, peak MB)."""
    done = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-600:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = wall.groups()
    elapsed = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return done.stdout, done.stderr, elapsed, rss / 1024.0


def timed(command, env=None):
    """run_timed without the standard error: (stdout, seconds, peak MB)."""
    stdout, _, seconds, mb = run_timed(command, env)
    return stdout, seconds, mb


def labels(path):
    """The labels of a LIBSVM file, as text, one per row."""
    with open(path) as f:
        return [line.split(None, 1)[0] for line in f if line.strip()]


def accuracy(predicted, truth):
    """The percentage of predicted labels equal to the truth (as numbers)."""
    hits = sum(float(p) == float(t) for p, t in zip(predicted, truth))
    return 100.0 * hits / len(truth)
