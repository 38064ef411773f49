#!/usr/bin/python3
"""Runs the console examples of the documentation and compares what they print
with what the page shows, so that README.md and docs/*.md cannot drift.

    test_docs.py DIAL FILE.md...            check (what CTest runs)
    test_docs.py --update DIAL FILE.md...   rewrite the shown outputs from a real run
    test_docs.py --self-test DIAL           check the harness's own promises

What is run: every fenced block opened with ```console. In such a block a line
that starts with `$ ` is a shell command (run by bash; `dial` is the program
under test, found first on PATH), and the lines after it, up to the next `$ `
or the end of the block, are what it prints: stdout and stderr together, in
the order a terminal shows them (dial's stdout is made line-buffered, as on a
terminal, so a warning sits where a user sees it). Every other block (```c,
```json, indented examples) is prose and is not run.

Where: the blocks of one file run in order, in one fresh temporary directory
per file (so a block may use the files an earlier block of the same page
made: a model, a study), where `data` is a link to the repository's data/,
so `data/iris.csv` works as it does from the repository root.

What the shown text may say besides the output itself (nothing else is loose):
  - a line `...` (alone, indentation allowed) stands for any run of lines,
    none included: output cut for the page;
  - `<...>` inside a line stands for any text within that line: what varies
    from run to run or machine to machine (times, dates, timings); the blanks
    just before it stand for any run of blanks (a column as wide as a varying
    value); the rest of the line must match exactly;
  - a last line `[exit status N]` says the command exits with status N; without
    it the command must exit with 0;
  - trailing blanks of a line and blank lines at the end of an output are not
    compared (a page cannot show them).

--update is for maintainers after a change of output: it runs every example
and writes the real output into the page in place of the shown one, keeping
the `...` cuts and the lines with `<...>` that still match, and the exit
status line. Read the diff before committing it. The test itself never
updates anything.
"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ELISION = "..."
PLACEHOLDER = "<...>"
EXIT_LINE = re.compile(r"^\[exit status (\d+)\]$")
COMMAND_TIMEOUT_SECONDS = 600
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what a page cannot show (a tab can)


class Example:
    """One `$ command` of a page and the output shown after it."""

    def __init__(self, path, line_number, command):
        self.path = path
        self.line_number = line_number  # 1-based line of the `$ ` line
        self.command = command
        self.shown = []  # the output lines as the page shows them
        self.first_output_index = None  # index in the page's lines of the first output line


def parse_examples(path, lines):
    """The examples of a page, in order. A console block whose first line is not
    a command is an error in the page, reported rather than skipped."""
    examples = []
    in_console = False
    fence = None
    current = None
    for index, raw in enumerate(lines):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if fence is None:
            if stripped.startswith("```"):
                fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
                in_console = stripped[len(fence):].strip() == "console"
                current = None
            continue
        if stripped == fence:
            fence = None
            in_console = False
            current = None
            continue
        if not in_console:
            continue
        if line.startswith("$ "):
            current = Example(path, index + 1, line[2:])
            current.first_output_index = index + 1
            examples.append(current)
        elif current is None:
            raise SystemExit(f"{path}:{index + 1}: a console block must begin with a '$ ' command line")
        else:
            current.shown.append(line)
    if fence is not None:
        raise SystemExit(f"{path}: a fenced block is not closed")
    return examples


def split_exit_status(shown):
    """The shown lines without the `[exit status N]` line, and N (0 when absent)."""
    lines = list(shown)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines:
        match = EXIT_LINE.match(lines[-1].strip())
        if match:
            return lines[:-1], int(match.group(1))
    return lines, 0


def normalise(lines):
    """Trailing blanks and trailing empty lines are invisible on a page."""
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def is_elision(line):
    return line.strip() == ELISION


def line_pattern(line):
    # Blanks just before a `<...>` match any run of blanks, so a table column
    # whose width follows a varying value can stay aligned on the page.
    parts = line.split(PLACEHOLDER)
    pattern = ""
    for index, part in enumerate(parts):
        if index < len(parts) - 1 and part.endswith(" "):
            pattern += re.escape(part.rstrip(" ")) + " +.*"
        else:
            pattern += re.escape(part) + (".*" if index < len(parts) - 1 else "")
    return re.compile("^" + pattern + "$")


def line_matches(shown, actual):
    if PLACEHOLDER not in shown:
        return shown == actual
    return line_pattern(shown).match(actual) is not None


def output_matches(shown, actual):
    """Whether the actual lines fit the shown ones, `...` matching any run of lines."""
    # reachable[j]: the shown lines so far can match the first j actual lines.
    reachable = [True] + [False] * len(actual)
    for pattern in shown:
        if is_elision(pattern):
            for j in range(1, len(actual) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j] and line_matches(pattern, actual[j]) for j in range(len(actual))
            ]
    return reachable[len(actual)]


def updated_output(shown, actual):
    """The shown lines rewritten to fit the actual ones at the least cost: a line
    that matches is kept as shown (with its `<...>`), a `...` keeps its place and
    takes as few lines as it can, and the rest becomes the actual text."""
    n, m = len(shown), len(actual)
    skip = 0.001  # a line taken by `...`: nearly free, so cuts survive an update
    infinity = float("inf")
    cost = [[infinity] * (m + 1) for _ in range(n + 1)]
    step = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == infinity:
                continue
            moves = []
            if i < n and is_elision(shown[i]):
                moves.append((i + 1, j, 0.0, "close"))
                if j < m:
                    moves.append((i, j + 1, skip, "take"))
            elif i < n:
                moves.append((i + 1, j, 1.0, "drop"))
                if j < m:
                    same = line_matches(shown[i], actual[j])
                    moves.append((i + 1, j + 1, 0.0 if same else 1.0, "keep" if same else "replace"))
            if j < m:
                moves.append((i, j + 1, 1.0, "add"))
            for next_i, next_j, extra, kind in moves:
                if here + extra < cost[next_i][next_j]:
                    cost[next_i][next_j] = here + extra
                    step[next_i][next_j] = (i, j, kind)
    result = []  # (text, where it came from, whether the shown line it replaced had a <...>)
    i, j = n, m
    while (i, j) != (0, 0):
        previous_i, previous_j, kind = step[i][j]
        if kind in ("close", "keep"):
            result.append((shown[previous_i], "shown", False))
        elif kind == "replace":
            result.append((actual[previous_j], "run", PLACEHOLDER in shown[previous_i]))
        elif kind == "add":
            result.append((actual[previous_j], "run", False))
        i, j = previous_i, previous_j
    result.reverse()
    # A new line takes the place of a line marked as varying, or joins such
    # lines (a table of times): its times and dates are marked too.
    lines = []
    for index, (text, source, replaced_marked) in enumerate(result):
        neighbours = [result[k][0] for k in (index - 1, index + 1) if 0 <= k < len(result)]
        if source == "run" and (replaced_marked or any(PLACEHOLDER in line for line in neighbours)):
            text = mark_varying(text)
        lines.append(text)
    return lines


# What varies from run to run, for --update to mark in a line that replaces a
# marked one: a date and time, a duration, a JSON duration.
VARYING = [
    re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?Z?"),
    re.compile(r"(?<![\w.])\d+(\.\d+)?(e-?\d+)? (ms|s)\b"),
    re.compile(r'(?<="duration": )[0-9.e-]+'),
]


def mark_varying(line):
    for pattern in VARYING:
        line = pattern.sub(PLACEHOLDER, line)
    return line


def make_dial_wrapper(bin_dir, dial):
    """`dial` on PATH: the program under test with a line-buffered stdout, so
    its stdout and stderr interleave as on a terminal."""
    wrapper = os.path.join(bin_dir, "dial")
    stdbuf = shutil.which("stdbuf")
    with open(wrapper, "w") as out:
        out.write("#!/bin/sh\n")
        if stdbuf:
            out.write(f'exec {stdbuf} -oL "{dial}" "$@"\n')
        else:
            out.write(f'exec "{dial}" "$@"\n')
    os.chmod(wrapper, 0o755)


def run(command, directory, environment):
    completed = subprocess.run(
        ["bash", "-c", command],
        cwd=directory,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    text = completed.stdout.decode("utf-8", errors="replace")
    return normalise(text.split("\n")), completed.returncode


def check_page(path, dial, repository, update):
    with open(path, encoding="utf-8") as page:
        lines = page.readlines()
    examples = parse_examples(path, lines)
    failures = 0
    replacements = []  # (first index, count of old lines, new lines)
    rewritten = 0
    with tempfile.TemporaryDirectory(prefix="dial-docs-") as directory:
        bin_dir = os.path.join(directory, ".bin")
        os.mkdir(bin_dir)
        make_dial_wrapper(bin_dir, dial)
        os.symlink(os.path.join(repository, "data"), os.path.join(directory, "data"))
        environment = dict(os.environ)
        environment["PATH"] = bin_dir + os.pathsep + environment.get("PATH", "/usr/bin:/bin")
        environment["LC_ALL"] = "C.UTF-8"
        environment["TZ"] = "UTC"
        # The ASan build links its runtime dynamically; stdbuf's preload must not upset it.
        environment["ASAN_OPTIONS"] = environment.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        for example in examples:
            shown, want_status = split_exit_status(example.shown)
            shown = normalise(shown)
            actual, status = run(example.command, directory, environment)
            where = f"{os.path.relpath(path, repository)}:{example.line_number}"
            if update:
                if any(CONTROL.search(line) for line in actual):
                    print(f"{where}: prints control characters; its shown output is left as it was",
                          file=sys.stderr)
                    continue
                new = updated_output(shown, actual)
                if status != 0:
                    new.append(f"[exit status {status}]")
                if new != normalise(example.shown):
                    rewritten += 1
                    print(f"{where}: rewritten: $ {example.command}")
                old_count = len(example.shown)
                # Keep the blank lines that closed the old output (before the next `$`).
                trailing = 0
                while trailing < old_count and not example.shown[old_count - 1 - trailing].strip():
                    trailing += 1
                replacements.append((example.first_output_index, old_count - trailing, new))
                continue
            unprintable = [line for line in actual if CONTROL.search(line)]
            if unprintable:
                failures += 1
                print(f"FAIL: {where}: $ {example.command}\n  prints control characters, which a page"
                      f" cannot show (binary output?): {unprintable[0]!r}", file=sys.stderr)
                continue
            if status == want_status and output_matches(shown, actual):
                continue
            failures += 1
            print(f"FAIL: {where}: $ {example.command}", file=sys.stderr)
            if status != want_status:
                print(f"  exit status {status}, the page shows {want_status}", file=sys.stderr)
            if not output_matches(shown, actual):
                print("  output differs (- shown on the page, + printed):", file=sys.stderr)
                for diff_line in difflib.unified_diff(shown, actual, lineterm="", n=2):
                    if diff_line.startswith(("---", "+++")):
                        continue
                    print("    " + diff_line, file=sys.stderr)
    if update:
        for first, count, new in reversed(replacements):
            lines[first : first + count] = [line + "\n" for line in new]
        with open(path, "w", encoding="utf-8") as page:
            page.writelines(lines)
        print(f"{path}: {len(examples)} examples run, {rewritten} rewritten")
        return 0
    passed = len(examples) - failures
    print(f"{path}: {passed} passed, {failures} failed")
    return failures


def self_test(dial, repository):
    """The harness's own promises, checked on small pages: a page that shows
    what runs passes, and each kind of drift fails. Returns the broken promises."""
    broken = []

    def expect(promise, condition):
        if not condition:
            broken.append(promise)

    expect("'...' matches no line", output_matches(["a", "...", "b"], ["a", "b"]))
    expect("'...' matches many lines", output_matches(["a", "...", "b"], ["a", "x", "y", "b"]))
    expect("a missing line fails", not output_matches(["a", "b"], ["a"]))
    expect("an extra line fails", not output_matches(["a"], ["a", "b"]))
    expect("a changed line fails", not output_matches(["mean 0.9533"], ["mean 0.9534"]))
    expect("'<...>' matches within a line", output_matches(["fit in <...>, dial"], ["fit in 4.2 ms, dial"]))
    expect("'<...>' keeps the rest of the line", not output_matches(["fit in <...>, dial"], ["fit in 4 ms, dail"]))
    expect("'<...>' is not a line cut", not output_matches(["a <...>"], ["a 1", "b"]))
    expect("blanks before '<...>' stretch", output_matches(["k=3    <...>"], ["k=3       20 ms"]))
    expect("blanks before '<...>' still need one", not output_matches(["k=3 <...>"], ["k=320 ms"]))
    expect(
        "an update keeps cuts and placeholders and takes the new text",
        updated_output(["head", "...", "t <...>", "old"], ["head", "x", "y", "t 5 ms", "new"])
        == ["head", "...", "t <...>", "new"],
    )
    expect(
        "an update marks the times of a line that replaces a marked one",
        updated_output(["k=3  <...>", "fit in <...>, on 2026-12-06 09:12"], ["k=4  0.2 ms", "fit in 3 s, on 2026-12-07 10:00"])
        == ["k=4  <...>", "fit in <...>, on <...>"],
    )
    expect("an update leaves unmarked lines alone", updated_output(["a"], ["took 5 ms"]) == ["took 5 ms"])
    page_text = [
        "# a page\n",
        "```console\n",
        "$ dial models | head -1\n",
        "MODEL        TASKS                       SUMMARY\n",
        "$ echo kept > made.txt; false\n",
        "[exit status 1]\n",
        "```\n",
        "```sh\n",
        "$ not run: a block that is not console\n",
        "```\n",
        "```console\n",
        "$ cat made.txt; ls data/iris.csv\n",
        "kept\n",
        "data/iris.csv\n",
        "```\n",
    ]
    drifts = {
        "a changed output line": ("kept\n", "kapt\n"),
        "a wrong exit status": ("[exit status 1]\n", "[exit status 2]\n"),
        "an exit status not shown": ("[exit status 1]\n", ""),
        "an output line the page lacks": ("MODEL        TASKS                       SUMMARY\n", ""),
    }
    with tempfile.TemporaryDirectory(prefix="dial-docs-self-") as directory:
        page = os.path.join(directory, "page.md")

        def failures_of(lines):
            with open(page, "w", encoding="utf-8") as out:
                out.writelines(lines)
            return check_page(page, dial, repository, update=False)

        expect("a page that shows what runs passes", failures_of(page_text) == 0)
        for drift, (old, new) in drifts.items():
            changed = list(page_text)
            changed[changed.index(old)] = new
            expect(f"{drift} fails", failures_of(changed) == 1)
        expect("a second page starts in a fresh directory", failures_of(page_text[-5:]) == 1)
        changed = list(page_text)
        changed[changed.index("kept\n")] = "stale\n"
        with open(page, "w", encoding="utf-8") as out:
            out.writelines(changed)
        check_page(page, dial, repository, update=True)
        with open(page, encoding="utf-8") as updated:
            expect("--update writes the real output back", updated.readlines() == page_text)
    return broken


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the shown outputs (maintainers)")
    parser.add_argument("--self-test", action="store_true", help="check the harness itself")
    parser.add_argument("dial", help="the dial program to run as `dial`")
    parser.add_argument("pages", nargs="*", help="markdown files")
    arguments = parser.parse_args()
    dial = os.path.abspath(arguments.dial)
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if arguments.self_test:
        broken = self_test(dial, repository)
        for promise in broken:
            print(f"FAIL: harness: {promise}", file=sys.stderr)
        print(f"harness: {len(broken)} promises broken")
        sys.exit(1 if broken else 0)
    if not arguments.pages:
        parser.error("name the pages to check")
    failures = 0
    for page in arguments.pages:
        failures += check_page(os.path.abspath(page), dial, repository, arguments.update)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
