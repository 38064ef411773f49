#!/usr/bin/env bash
# The dial program's entry points: global --help and --version, every
# subcommand's --help (exit 0, a usage line and a working example), and the
# usage errors of the dispatcher itself.
set -u
DIAL=${1:?usage: test_help.sh /path/to/dial}
DIAL=$(cd "$(dirname "$DIAL")" && pwd)/$(basename "$DIAL")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
current=""

fail() {
    echo "FAIL: $current: $*" >&2
    exit 1
}
# check STATUS STDERR ARGS...: runs dial ARGS, compares the exit status and the whole stderr.
check() {
    local want_status=$1 want_err=$2
    shift 2
    current="dial $*"
    "$DIAL" "$@" >"$TMP/out" 2>"$TMP/err"
    local status=$?
    [[ $status -eq $want_status ]] || fail "exit status $status, expected $want_status; stderr: $(cat "$TMP/err")"
    [[ "$(cat "$TMP/err")" == "$want_err" ]] || fail "stderr was '$(cat "$TMP/err")', expected '$want_err'"
    passed=$((passed + 1))
}
# has TEXT: the last command's stdout contains TEXT.
has() {
    grep -qF -- "$1" "$TMP/out" || fail "stdout lacks '$1'"
    passed=$((passed + 1))
}

check 0 "" --help
has "Usage: dial COMMAND"
for command in models knobs fit predict inspect cv; do has "  $command "; done
check 0 "" help
has "Usage: dial COMMAND"
check 0 "" --version
has "dial 0.1.0"

for command in models knobs fit predict inspect cv; do
    check 0 "" "$command" --help
    has "Usage: dial $command"
    has "Example:"
    has "  dial $command"
    check 0 "" "$command" -h
    has "Usage: dial $command"
    check 0 "" help "$command"
    has "Usage: dial $command"
done
# --help wins over anything else on the line, even a mistake.
check 0 "" cv --bogus --help
has "Usage: dial cv"

# The examples in the help texts work as written (from the repository root).
current="the examples of the help texts"
ln -s "$PWD/data" "$TMP/data"
(cd "$TMP" && "$DIAL" fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o bc.dial >/dev/null) ||
    fail "the example of dial fit --help failed"
(cd "$TMP" && "$DIAL" predict bc.dial data/breast_cancer.csv -o predictions.csv --proba) ||
    fail "the example of dial predict --help failed"
(cd "$TMP" && "$DIAL" cv knn data/iris.csv --target species -s k=7 --folds 5 --repeats 3 --metric accuracy >/dev/null) ||
    fail "the example of dial cv --help failed"
passed=$((passed + 3))

check 2 "dial: missing command; see 'dial --help'"
check 2 "dial: unknown command 'fitt'; did you mean 'fit'?" fitt
check 2 "dial: unknown command 'zzzzzzzz'; commands: models, knobs, fit, predict, inspect, cv, tune, trials, best" zzzzzzzz
check 2 "dial: unknown option '--bogus'; see 'dial --help'" --bogus

echo "$passed passed, 0 failed"
