#!/bin/bash
# The public boundary is real (docs/architecture.md): libdial.so exports
# exactly what include/dial/ declares. A symbol exported but declared
# nowhere is an internal function anyone can call and come to rely on (it
# needs `static`, or simply no DIAL_API mark: the library is built with
# hidden visibility); a declaration that is not exported is a promise the
# shared library breaks (it lacks its DIAL_API mark, or has no definition).
#
# Usage: test_exports.sh LIBDIAL_SO CC   (run from the source tree)
set -u
library=$1
cc=$2
here=$(dirname "$0")

# A sanitizer build adds symbols of its own beside each exported variable
# (__odr_asan.NAME): the compiler's, not the library's.
exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[TDBR]$/ {print $3}' |
    grep -vE '^__(odr_asan|asan|ubsan|sancov|llvm)' | sort -u)
declared=$(python3 "$here/public_symbols.py" "$cc" include | sort -u)
if [ -z "$exported" ] || [ -z "$declared" ]; then
    echo "FAIL: nothing read (exported: $(echo -n "$exported" | grep -c .)," \
        "declared: $(echo -n "$declared" | grep -c .))"
    exit 1
fi

status=0
undeclared=$(comm -23 <(echo "$exported") <(echo "$declared"))
if [ -n "$undeclared" ]; then
    echo "FAIL: exported by $library but declared in no include/dial/ header" \
        "(make it static, or declare it in a header with DIAL_API):"
    echo "$undeclared" | sed 's/^/  /'
    status=1
fi
unexported=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [ -n "$unexported" ]; then
    echo "FAIL: declared in include/dial/ but not exported by $library" \
        "(mark the declaration DIAL_API, or define it):"
    echo "$unexported" | sed 's/^/  /'
    status=1
fi
[ $status -eq 0 ] && echo "ok: $(echo "$exported" | wc -l) exported symbols, each declared in include/dial/"
exit $status
