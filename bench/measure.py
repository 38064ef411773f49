"""How the sparse-data benchmarks (issue 17) measure a program: one
process under /usr/bin/time -v, its wall time and peak memory, and the
accuracy of the labels it predicted against a LIBSVM file's."""
import re
import subprocess


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
