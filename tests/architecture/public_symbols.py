#!/usr/bin/env python3
"""Prints, one a line, every symbol the public headers declare for the
library to define: the functions and the extern variables of
include/dial/*.h (not static inline functions, typedefs or macros).

Usage: public_symbols.py CC INCLUDE_DIR

Each header is run through the C preprocessor on its own (so a header that
dial/dial.h forgets is still read), then parsed at file scope: a statement
(up to ';' outside braces and parentheses) that is not a typedef and not
static declares the first 'dial_...(' it names (a function) or, with
'extern', the variable it names."""
import glob
import os
import re
import subprocess
import sys


def preprocess(cc, include_dir, header):
    return subprocess.run([cc, "-E", "-P", "-I", include_dir, header], check=True,
                          capture_output=True, text=True).stdout


def strip_attributes(text):
    """Removes __attribute__((...)) with its balanced parentheses."""
    out, i = [], 0
    while True:
        j = text.find("__attribute__", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = text.index("(", j)
        depth = 0
        while True:
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
            if depth == 0:
                break
        i = k


def file_scope_statements(text):
    """Statements at file scope, with the contents of braces dropped (struct
    members and inline function bodies are not declarations of the file)."""
    statements, current, braces, parens, body = [], [], 0, 0, False
    for ch in text:
        if ch == "{":
            if braces == 0:
                # A function's body ends its statement; a struct's does not.
                body = "".join(current).rstrip().endswith(")")
            braces += 1
            continue
        if ch == "}":
            braces -= 1
            if braces == 0:
                current.append(" {} ")
                if body:
                    statements.append("".join(current))
                    current = []
            continue
        if braces:
            continue
        parens += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and parens == 0:
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
    return statements


def declared(text):
    names = set()
    for statement in file_scope_statements(strip_attributes(text)):
        words = statement.split()
        if not words or words[0] in ("typedef", "static") or "static" in words:
            continue
        if "{}" in statement:  # a definition (static inline was skipped above)
            continue
        function = re.search(r"\b(dial_\w+)\s*\((?!\s*\*)", statement)
        if function and not re.match(r"\s*extern\b[^(]*\bdial_\w+\s*(\[|$)", statement):
            names.add(function.group(1))
        elif words[0] == "extern":
            variable = re.search(r"\b(dial_\w+)\s*(\[[^\]]*\])?\s*$", statement)
            if variable:
                names.add(variable.group(1))
    return names


def main():
    cc, include_dir = sys.argv[1], sys.argv[2]
    names = set()
    for header in sorted(glob.glob(os.path.join(include_dir, "dial", "*.h"))):
        names |= declared(preprocess(cc, include_dir, header))
    for name in sorted(names):
        print(name)


if __name__ == "__main__":
    main()
