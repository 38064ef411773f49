#!/bin/bash
# The CLI is a client of the public API (docs/architecture.md): a file of
# src/cli includes the library's public headers ("dial/...") and the CLI's
# own ("cli/..."), never a header of the library's layers, whose functions
# libdial.so does not export. The build enforces it too (the dial target's
# include path is include/ and src/cli only); this names the offending line.
#
# Usage: test_cli_includes.sh   (run from the source tree)
set -u
[ -d src/cli ] || { echo "FAIL: run from the source tree (no src/cli here)"; exit 1; }
offending=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src/cli/*.c src/cli/*.h |
    grep -vE '#[[:space:]]*include[[:space:]]*"(dial|cli)/[^"/]+"')
if [ -n "$offending" ]; then
    echo "FAIL: src/cli includes headers other than include/dial/ and src/cli/" \
        "(make what it needs public API, or move it into src/cli):"
    echo "$offending" | sed 's/^/  /'
    exit 1
fi
echo "ok: $(ls src/cli/*.c src/cli/*.h | wc -l) files of src/cli include only dial/ and cli/ headers"
