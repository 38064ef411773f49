#!/usr/bin/env bash
# dial ask and dial tell: studies of any program from the shell. A first
# ask creates the study with its typed space, later asks resume it (another
# space, direction or a model's study is refused), the knobs come out ready
# for eval in sh or as JSON, tell finishes a trial by its number (unknown,
# finished and expired numbers refused, nothing changed), and the values
# told read back exactly in dial trials and dial best.
source "$(dirname "$0")/lib.sh" "$@"

S="$TMP/s.db"
SPACE=(--space 'x=float:-5..10' --space 'n=int:1..8' --space "opt=it's a,b 'c' d")

# ---- the first ask creates the study and prints sh assignments
check 0 "sampler: random" ask "$S" "${SPACE[@]}" --sampler random
has_line "^trial=0 x=-?[0-9.e+-]+ n=[1-8] opt=('it'\\\\''s a'|'b '\\\\''c'\\\\'' d')$"
keep ask0
# eval in sh (not bash) reads every value back, quotes and spaces included
current="eval of dial ask's output in sh"
sh -c '. "$1"; printf "%s|%s|%s|%s\n" "$trial" "$x" "$n" "$opt"' sh "$TMP/ask0" >"$TMP/eval0" || fail "sh could not eval it"
"$PYTHON" - "$TMP/eval0" <<'EOF' || fail "the values read back differ: $(cat "$TMP/eval0")"
import sys
trial, x, n, opt = open(sys.argv[1]).read().rstrip("\n").split("|")
assert trial == "0" and -5 <= float(x) <= 10 and n in "12345678" and opt in ("it's a", "b 'c' d"), (trial, x, n, opt)
EOF
passed=$((passed + 1))

# later asks give the same space or none; --json, --count
check 0 "" ask "$S" "${SPACE[@]}" --json
json_ok 'j["number"] == 1 and list(j["knobs"]) == ["x", "n", "opt"] and isinstance(j["knobs"]["x"], float) and type(j["knobs"]["n"]) is int and j["knobs"]["opt"] in ("it'"'"'s a", "b '"'"'c'"'"' d")'
check 0 "" ask "$S" --json --count 3
json_ok '[t["number"] for t in j] == [2, 3, 4] and all(set(t) == {"number", "knobs"} for t in j)'
check 0 "" ask "$S" --count 2
has_line "^trial=5 x="
has_line "^trial=6 x="
[[ $(wc -l <"$TMP/out") -eq 2 ]] || fail "--count 2 printed $(wc -l <"$TMP/out") lines"

# ---- tell: a value, a failure with its message, an intermediate value
check 0 "" tell "$S" 0 0.123456789
check 0 "" tell "$S" 1 -1.5
check 0 "" tell "$S" 2 --fail --message "out of memory at epoch 3"
check 0 "" tell "$S" 3 --step 1 --value 0.5
has "continue"
check 0 "" tell "$S" 3 --step 2 --value 0.25
check 0 "" tell "$S" 3 0.1
check 0 "" trials "$S" --json
json_ok '[(t["number"], t["state"]) for t in j["trials"]][:4] == [(0, "complete"), (1, "complete"), (2, "failed"), (3, "complete")]'
json_ok 'j["trials"][0]["value"] == 0.123456789 and j["trials"][1]["value"] == -1.5 and j["trials"][3]["value"] == 0.1'
json_ok 'j["trials"][2]["message"] == "out of memory at epoch 3" and j["trials"][2]["value"] is None'
json_ok 'j["trials"][3]["intermediate"] == [{"step": 1, "value": 0.5}, {"step": 2, "value": 0.25}]'
json_ok 'type(j["trials"][0]["knobs"]["n"]) is int and isinstance(j["trials"][0]["knobs"]["x"], float)'
# shortest round-trip form: a told 0.1 is printed 0.1
has '"value": 0.1,'
has '"value": 0.123456789,'
check 0 "" trials "$S"
has_line "^ +0 +complete +0\.123456789 +x="
has_line "^ +1 +complete +-1\.5 +x="
has "out of memory at epoch 3"
check 0 "" trials "$S" --csv
has_line "^number,state,value,duration,x,n,opt$"
has_line "^0,complete,0\.123456789,[0-9.]+,-?[0-9.e+-]+,[1-8],(it's a|b 'c' d)$"
has_line "^2,failed,,[0-9.]+,"
check 0 "" best "$S"
has "best of study default in $S (4 trials; lower is better)"
has_line "^  trial 1: -1\.5, "
has_line "^  knobs: x=[-0-9.e+]+ n=[1-8] opt='"
check 0 "" best "$S" --json
json_ok 'j["number"] == 1 and j["value"] == -1.5 and set(j) == {"study", "direction", "number", "value", "knobs", "intermediate", "duration"}'
check 0 "" studies "$S" --json
json_ok 'j["studies"][0]["kind"] == "program" and j["studies"][0]["model"] is None and list(j["studies"][0]["space"]) == ["x", "n", "opt"] and j["studies"][0]["command"] is None'
check 0 "" studies "$S"
has_line "^  default +program +- +- +3 +0 +1 +3 +-1\.5000 "
has_line "^      space \\{\"x\": \"float:-5..10\", \"n\": \"int:1..8\", "

# ---- tell's refusals: one line, exit 1, nothing changed
cp "$S" "$TMP/before.db"
check 1 "dial: study 'default' in $S has no trial 12; its trials are numbered 0 to 6" tell "$S" 12 1
check 1 "dial: trial 0 of study 'default' in $S is already complete (value 0.123456789); it was told before" tell "$S" 0 2
check 1 "dial: trial 2 of study 'default' in $S is already failed; it was told before" tell "$S" 2 --fail
check 1 "dial: $S has no study 'other'; it holds: default" tell "$S" 4 1 --study-name other
check 1 "dial: cannot open study file $TMP/none.db: no such file" tell "$TMP/none.db" 0 1
[[ ! -e "$TMP/none.db" ]] || fail "dial tell created a file"
cmp -s "$S" "$TMP/before.db" || fail "a refused tell changed the study file"
passed=$((passed + 1))

# ---- tell's usage mistakes: exit 2
check 2 "dial: a trial told with --fail has no VALUE (got '0.5'); give one or the other" tell "$S" 4 0.5 --fail
check 2 "dial: --step needs --value: an intermediate value is --step S --value V" tell "$S" 4 --step 3
check 2 "dial: --value needs --step: an intermediate value is --step S --value V" tell "$S" 4 --value 3
check 2 "dial: --message says why a trial failed: add --fail" tell "$S" 4 1 --message why
check 2 "dial: --fail cannot be combined with --step and --value: a failed trial is finished" tell "$S" 4 --fail --step 1 --value 2
check 2 "dial: --step and --value report an intermediate value; the final VALUE ('1') is told without them" tell "$S" 4 1 --step 1 --value 2
check 2 "dial: VALUE expects a number such as 0.913 (a trial without one is told with --fail), got 'abc'" tell "$S" 4 abc
check 2 "dial: VALUE expects a number such as 0.913 (a trial without one is told with --fail), got 'nan'" tell "$S" 4 nan
check 2 "dial: NUMBER expects a trial number (an integer >= 0, as dial ask printed it), got 'x'" tell "$S" x 1
check 2 "dial: missing VALUE for tell (or --fail, --pruned, or --step S --value V); usage: dial tell STUDY.db NUMBER VALUE | NUMBER --fail [--message TEXT] | NUMBER --pruned | NUMBER --step S --value V [--study-name N]" tell "$S" 4
check 2 "dial: missing NUMBER for tell; usage: dial tell STUDY.db NUMBER VALUE | NUMBER --fail [--message TEXT] | NUMBER --pruned | NUMBER --step S --value V [--study-name N]" tell "$S"
check 2 "dial: --value expects a number such as 0.81, got 'x'" tell "$S" 4 --step 1 --value x
cmp -s "$S" "$TMP/before.db" || fail "a usage mistake changed the study file"
passed=$((passed + 1))

# ---- ask's refusals
check 2 "dial: study 'default' in $TMP/new.db does not exist yet: give its space with --space NAME=TYPE:... or --space-file FILE" ask "$TMP/new.db"
[[ ! -e "$TMP/new.db" ]] || fail "dial ask without a space created a file"
passed=$((passed + 1))
check 2 "dial: study 'default' in $S was created with space {\"x\": \"float:-5..10\", \"n\": \"int:1..8\", \"opt\": [\"it's a\", \"b 'c' d\"]}, this run asks for {\"x\": \"float:0..1\"}; use --study-name NAME for a new study in the same file" \
    ask "$S" --space 'x=float:0..1'
check 2 "dial: study 'default' in $S was created to minimize; cannot resume it to maximize" ask "$S" --direction maximize
check 2 "dial: study 'default' in $S was created with sampler random, this run asks for qmc; use --study-name NAME for a new study in the same file" ask "$S" --sampler qmc
check 2 "dial: study 'default' in $S was created with seed 0, this run asks for 3; use --study-name NAME for a new study in the same file" ask "$S" --seed 3
cmp -s "$S" "$TMP/before.db" || fail "a refused ask changed the study file"
passed=$((passed + 1))

# bad space items: one line naming the parameter, before anything is made
check 2 "dial: space item 'lr=float:0..1:log': a log scale needs low > 0 (got 0)" ask "$TMP/bad.db" --space 'lr=float:0..1:log'
[[ ! -e "$TMP/bad.db" ]] || fail "a bad space item created a file"
passed=$((passed + 1))
check 2 "dial: space item 'n=int:1..8:step=0': step must be a positive integer, got '0'" ask "$TMP/bad.db" --space 'n=int:1..8:step=0'
check 2 "dial: space item 'opt=adam': a categorical needs two values or more, got one ('adam'), which searches nothing; give two values or more (opt=a,b) or a range (opt=float:LOW..HIGH or opt=int:LOW..HIGH)" ask "$TMP/bad.db" --space 'opt=adam'
check 2 "dial: space item 'trial=int:1..2': the parameter name 'trial' is reserved for the trial number; choose another name" ask "$TMP/bad.db" --space 'trial=int:1..2'
printf '{"x": "float:1..0"}' >"$TMP/space.json"
check 2 "dial: $TMP/space.json: parameter 'x': a range needs low < high, got 1..0" ask "$TMP/bad.db" --space-file "$TMP/space.json"
printf '{"m": {"range": "float:0..1", "when": "opt=sgd"}}' >"$TMP/space.json"
check 2 "dial: $TMP/space.json: parameter 'm': when 'opt=sgd' names no parameter of the space (it has: m)" ask "$TMP/bad.db" --space-file "$TMP/space.json"
printf '{}' >"$TMP/space.json"
check 2 "dial: space file $TMP/space.json defines no parameter: give at least one, such as {\"x\": \"float:-5..10\"}" ask "$TMP/bad.db" --space-file "$TMP/space.json"
[[ ! -e "$TMP/bad.db" ]] || fail "a bad space created a file"
passed=$((passed + 1))
check 1 "dial: cannot read space file $TMP/missing.json: No such file or directory" ask "$TMP/bad.db" --space-file "$TMP/missing.json"

# a study of a model belongs to dial tune, and the other way round
check 0 "" tune knn data/iris.csv --target species --trials 2 --study "$TMP/m.db" --quiet
check 2 "dial: study 'knn' in $TMP/m.db tunes the model knn (dial tune); dial ask, tell and run serve studies of a program" \
    ask "$TMP/m.db" --study-name knn --space 'x=float:0..1'
check 2 "dial: study 'knn' in $TMP/m.db tunes the model knn (dial tune); dial ask, tell and run serve studies of a program" \
    ask "$TMP/m.db" --study-name knn
check 1 "dial: study 'knn' in $TMP/m.db tunes the model knn (dial tune); dial ask, tell and run serve studies of a program" \
    tell "$TMP/m.db" 0 1 --study-name knn
check 2 "dial: study 'default' in $S is a study of a program (dial ask, tell and run); dial tune tunes a model: give it its own --study-name" \
    tune knn data/iris.csv --target species --trials 2 --study "$S" --study-name default --quiet

# ---- a grid runs out
check 0 "sampler: grid" ask "$TMP/g.db" --sampler grid --space 'opt=a,b'
check 0 "" ask "$TMP/g.db"
check 1 "dial: study 'default' in $TMP/g.db: the grid's 2 points are all asked" ask "$TMP/g.db"
# the trials reserved before the grid ran out are printed (they wait for a tell)
current="dial ask --count 5 of a grid of 3"
"$DIAL" ask "$TMP/g3.db" --sampler grid --space 'opt=a,b,c' --count 5 >"$TMP/out" 2>"$TMP/err"
[[ $? -eq 1 ]] || fail "exit status $? (expected 1)"
[[ "$(cat "$TMP/err")" == "sampler: grid
dial: study 'default' in $TMP/g3.db: the grid's 3 points are all asked" ]] || fail "stderr: $(cat "$TMP/err")"
[[ "$(cut -d' ' -f2 "$TMP/out" | sort | tr '\n' ' ')" == "opt='a' opt='b' opt='c' " ]] || fail "stdout: $(cat "$TMP/out")"
passed=$((passed + 1))
check 1 "dial: study 'default' in $TMP/g3.db: the grid's 3 points are all asked" ask "$TMP/g3.db" --sampler grid --space 'opt=a,b,c' --count 5
[[ ! -s "$TMP/out" ]] || fail "an exhausted grid printed a trial"
passed=$((passed + 1))

# ---- a trial asked and never told is asked again after its heartbeat
check 0 "sampler: random" ask "$TMP/h.db" --space 'x=float:0..1' --sampler random
keep first
sleep 2
check 0 "dial: warning: study 'default': 1 running trial(s) sent no heartbeat for 1 s; marked them failed and queued their params to run again" \
    ask "$TMP/h.db" --heartbeat 1
[[ "$(sed 's/^trial=0 //' "$TMP/first")" == "$(sed 's/^trial=1 //' "$TMP/out")" ]] ||
    fail "trial 1 did not get the knobs of expired trial 0: $(cat "$TMP/first") / $(cat "$TMP/out")"
passed=$((passed + 1))
# the line names the period that expired it (the asker's 1 s, not tell's 60 s)
cp "$TMP/h.db" "$TMP/before.db"
check 1 "dial: trial 0 of study 'default' in $TMP/h.db expired after 1 s without a tell; its params were queued for another trial" \
    tell "$TMP/h.db" 0 0.5
cmp -s "$TMP/h.db" "$TMP/before.db" || fail "the tell of an expired trial changed the file"
passed=$((passed + 1))
check 0 "" tell "$TMP/h.db" 1 0.5

# ---- several workers at once get distinct trials
current="parallel asks"
for w in 1 2 3 4; do "$DIAL" ask "$TMP/p.db" --space 'x=float:0..1' --json >"$TMP/p$w.json" 2>"$TMP/p$w.err" & done
wait
"$PYTHON" - "$TMP" <<'EOF' || fail "parallel asks: $(cat "$TMP"/p*.err)"
import json, sys
numbers = sorted(json.load(open("%s/p%d.json" % (sys.argv[1], w)))["number"] for w in (1, 2, 3, 4))
assert numbers == [0, 1, 2, 3], numbers
EOF
passed=$((passed + 1))

# ---- a sh loop of 20 ask/tell reaches the optimum's region
current="a loop of 20 ask/tell in sh"
sh -c '
for i in $(seq 20); do
    knobs=$("$1" ask "$2" --space x=float:-5..10) || exit 1
    eval "$knobs"
    "$1" tell "$2" "$trial" "$(awk -v x="$x" "BEGIN { printf \"%.17g\", (x - 2) ^ 2 }")" || exit 1
done' sh "$DIAL" "$TMP/loop.db" || fail "the loop failed"
check 0 "" best "$TMP/loop.db" --json
json_ok 'abs(j["knobs"]["x"] - 2) < 0.5 and abs(j["value"] - (j["knobs"]["x"] - 2) ** 2) < 1e-12'
check 0 "" trials "$TMP/loop.db" --json
json_ok 'len(j["trials"]) == 20 and all(t["state"] == "complete" for t in j["trials"])'

# ---- a Python worker reading --json; the values it told read back exactly
current="a Python ask/tell loop"
"$PYTHON" tests/cli/ask_tell_worker.py "$DIAL" "$TMP/py.db" 12 >"$TMP/told" || fail "the worker failed"
passed=$((passed + 1))
check 0 "" trials "$TMP/py.db" --json
"$PYTHON" - "$TMP/out" "$TMP/told" <<'EOF' || fail "the values told do not read back exactly"
import json, sys
stored = [t["value"] for t in json.load(open(sys.argv[1]))["trials"]]
told = [float(line) for line in open(sys.argv[2])]
assert stored == told, (stored, told)
EOF
passed=$((passed + 1))

# ---- the example worker loop runs as written
current="examples/ask_tell.sh"
(cd "$TMP" && DIAL="$DIAL" sh "$OLDPWD/examples/ask_tell.sh" ex.db 12 >"$TMP/example.out") || fail "the example failed"
grep -q "^best of study default in ex.db (12 trials; lower is better)$" "$TMP/example.out" || fail "$(cat "$TMP/example.out")"
passed=$((passed + 1))

# ---- help, and its examples work as written
for command in ask tell; do
    check 0 "" "$command" --help
    has "Usage: dial $command"
    has "Example:"
done
check 0 "" --help
has_line "^  ask +reserve a trial of a study of any program and print its knobs$"
has_line "^  tell +report the value of a trial that dial ask gave out$"
current="the examples of dial ask --help and dial tell --help"
(cd "$TMP" && mkdir examples && cd examples && for command in ask tell; do
    "$DIAL" "$command" --help | sed -n '/^Example:/,$p' | tail -n +2 | while read -r line; do
        eval "\"\$DIAL\" ${line#dial }" >/dev/null 2>"$TMP/example.err" || { cat "$TMP/example.err" >&2; exit 1; }
    done || exit 1
done) || fail "an example of a help text failed"
passed=$((passed + 1))

finish
