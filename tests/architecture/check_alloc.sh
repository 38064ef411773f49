#!/bin/bash
# Allocation goes through the context (docs/architecture.md): no direct
# malloc, calloc, realloc, strdup or strndup in the library outside
# src/core/alloc.c, so a program's allocation hook (dial_ctx_set_alloc_hook)
# sees every allocation dial makes, and tests/core/test_alloc_failure.c can
# fail each one. Use dial_malloc, dial_calloc, dial_realloc(_array) and
# dial_strdup from core/alloc.h with the call's context. src/cli is a
# program, not the library, and may call malloc.
#
# Usage: check_alloc.sh   (run from the source tree)
set -u

[ -d src ] || { echo "FAIL: run from the source tree (no src here)"; exit 1; }
# The whole library: all of src/ but src/cli, so a new folder or file is
# covered without being named here.
direct=$(grep -nE '(^|[^_[:alnum:]])(malloc|calloc|realloc|strdup|strndup)[[:space:]]*\(' \
    -r src --include='*.c' --include='*.h' | grep -v -e '^src/cli/' -e '^src/core/alloc\.c:')
if [ -n "$direct" ]; then
    echo "FAIL: direct allocations in the library (use dial_malloc, dial_calloc, dial_realloc"
    echo "or dial_strdup from core/alloc.h with the call's context, and turn NULL into"
    echo "dial_fail(ctx, DIAL_ERR_NOMEM, ...)):"
    echo "$direct" | sed 's/^/  /'
    exit 1
fi
echo "ok: no direct allocation in the library (src/ but src/cli): every allocation asks the context"
