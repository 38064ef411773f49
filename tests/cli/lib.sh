# The helpers every tests/cli script shares. Source it first thing:
#   source "$(dirname "$0")/lib.sh" "$@"
# It takes the dial program's path as $1, makes a temporary folder $TMP that
# is removed on exit, and counts passed checks; a script ends with `finish`.
set -u
DIAL=${1:?usage: $(basename "$0") /path/to/dial}
DIAL=$(cd "$(dirname "$DIAL")" && pwd)/$(basename "$DIAL")
PYTHON=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
current=""

fail() {
    echo "FAIL: $current: $*" >&2
    exit 1
}
# check STATUS STDERR ARGS...: runs dial ARGS, compares the exit status and the whole stderr,
# and checks that a failure wrote nothing to stdout.
check() {
    local want_status=$1 want_err=$2
    shift 2
    current="dial $*"
    "$DIAL" "$@" >"$TMP/out" 2>"$TMP/err"
    local status=$?
    [[ $status -eq $want_status ]] || fail "exit status $status, expected $want_status; stderr: $(cat "$TMP/err")"
    [[ "$(cat "$TMP/err")" == "$want_err" ]] || fail "stderr was '$(cat "$TMP/err")', expected '$want_err'"
    [[ $want_status -eq 0 || ! -s "$TMP/out" ]] || fail "a failure wrote to stdout: $(head -3 "$TMP/out")"
    passed=$((passed + 1))
}
# has TEXT: the last command's stdout contains TEXT.
has() {
    grep -qF -- "$1" "$TMP/out" || fail "stdout lacks '$1'"
    passed=$((passed + 1))
}
# has_line REGEX: some line of the last command's stdout matches the extended REGEX.
has_line() {
    grep -qE -- "$1" "$TMP/out" || fail "no stdout line matches '$1'"
    passed=$((passed + 1))
}
# json_ok PYTHON-EXPRESSION: the last stdout is JSON and the expression on it (as j) is true.
json_ok() {
    "$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/out" "$1" || fail "JSON check failed: $1"
    passed=$((passed + 1))
}
# keep NAME: saves the last stdout as $TMP/NAME.
keep() { cp "$TMP/out" "$TMP/$1"; }
# finish: the closing line CTest's log shows.
finish() { echo "$passed passed, 0 failed"; }
