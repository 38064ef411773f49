#!/usr/bin/env bash
# The dial program's entry points: global --help and --version, every
# subcommand's --help (exit 0, a usage line and a working example), and the
# usage errors of the dispatcher itself.
source "$(dirname "$0")/lib.sh" "$@"


check 0 "" --help
has "Usage: dial COMMAND"
for command in models knobs fit predict inspect score cv; do has "  $command "; done
check 0 "" help
has "Usage: dial COMMAND"
check 0 "" --version
has "dial 0.1.0"

for command in models knobs fit predict inspect score cv; do
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
(cd "$TMP" && "$DIAL" tune knn data/iris.csv --target species --holdout 0.2 --holdout-out held.csv -o iris.dial --quiet >/dev/null &&
    "$DIAL" score iris.dial held.csv >/dev/null && "$DIAL" score iris.dial held.csv --metric accuracy,f1 --json >/dev/null) ||
    fail "the example of dial score --help failed"
passed=$((passed + 4))

check 2 "dial: missing command; see 'dial --help'"
check 2 "dial: unknown command 'fitt'; did you mean 'fit'?" fitt
check 2 "dial: unknown command 'zzzzzzzz'; commands: models, knobs, fit, retrain, predict, inspect, score, cv, tune, trials, best, studies, ask, tell, run, importance, knob-importance, report, drift" zzzzzzzz
check 2 "dial: unknown option '--bogus'; see 'dial --help'" --bogus

finish
