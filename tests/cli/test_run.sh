#!/usr/bin/env bash
# dial run: real programs (tests/cli/programs: sh, Python, and C compiled
# here) tuned through their arguments, their values read from what they
# print, and every way a program can fail: a crash, a hang past
# --timeout-trial, no value, a non-zero exit with stderr kept; arguments
# that reach the program byte for byte, the environment, logs per trial
# with --jobs 2, mistakes refused before anything runs, and Ctrl-C.
source "$(dirname "$0")/lib.sh" "$@"
PROGRAMS=$(pwd)/tests/cli/programs
EXAMPLES=$(pwd)/examples
# Programs and their logs (runs/ by default) live in the temporary folder.
cd "$TMP" || exit 1
export RECORD_DIR="$TMP/record"
mkdir -p "$RECORD_DIR"

# trials_ok STUDY EXPRESSION: `dial trials STUDY --json` read by Python, as t
# (its list of trials), makes EXPRESSION true.
trials_ok() {
    "$DIAL" trials "$1" --json >"$TMP/trials.json" || fail "dial trials $1 failed"
    "$PYTHON" -c 'import json, math, sys
t = json.load(open(sys.argv[1]))["trials"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/trials.json" "$2" || fail "trials check failed: $2"
    passed=$((passed + 1))
}

# ---- a shell script: the value is its last line that is a number
check 0 "" run --study sh.db --space 'x=float:-5..10' --trials 8 --seed 3 --quiet \
    -- "$PROGRAMS/square.sh" --x '{x}'
has "study default in sh.db: 8 trials (8 complete, 0 pruned, 0 failed), 8 of them in this run"
has_line "^best: trial [0-7], value [0-9.e-]+ \(lower is better\)$"
has_line "^  knobs: x=-?[0-9.e-]+$"
has "logs: runs/<trial>.log"
trials_ok sh.db 'len(t) == 8 and all(x["state"] == "complete" and x["value"] == (x["knobs"]["x"] - 2) ** 2 for x in t)'
# The best printed is the study's best, as dial best has it.
keep run.out
"$DIAL" best sh.db --json >"$TMP/best.json"
"$PYTHON" -c 'import json, sys
b = json.load(open(sys.argv[1]))
sys.exit(0 if "best: trial %d, value %r" % (b["number"], b["value"]) in open(sys.argv[2]).read() else 1)' \
    "$TMP/best.json" "$TMP/run.out" || fail "dial run's best is not dial best's"
passed=$((passed + 1))
# The same seed gives the same trials, and the study continues to --trials.
check 0 "" run --study sh2.db --space 'x=float:-5..10' --trials 5 --seed 3 --quiet \
    -- "$PROGRAMS/square.sh" --x '{x}'
current="dial run continues a study"
"$DIAL" run --study sh2.db --trials 8 --seed 3 --log-dir runs2 -- "$PROGRAMS/square.sh" --x '{x}' \
    >"$TMP/out" 2>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
[[ $(head -1 "$TMP/err") == "sampler: auto"* ]] || fail "stderr: $(cat "$TMP/err")"
[[ $(sed -n 2p "$TMP/err") == "study default holds 5 finished trials; continuing to 8" ]] || fail "stderr: $(cat "$TMP/err")"
[[ $(grep -cE '^trial [5-7] complete: value [0-9.e-]+ \(x=-?[0-9.e-]+\) [0-9.]+ m?s$' "$TMP/err") == 3 ]] || fail "stderr: $(cat "$TMP/err")"
passed=$((passed + 1))
has "study default in sh2.db: 8 trials (8 complete, 0 pruned, 0 failed), 3 of them in this run"
"$DIAL" trials sh.db --json | "$PYTHON" -c 'import json, sys; print([t["knobs"] for t in json.load(sys.stdin)["trials"]])' >"$TMP/a"
"$DIAL" trials sh2.db --json | "$PYTHON" -c 'import json, sys; print([t["knobs"] for t in json.load(sys.stdin)["trials"]])' >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || fail "the same seed gave other trials in two runs than in one"
passed=$((passed + 1))

# ---- a Python script with a float on a log scale, an int and a categorical; maximize
check 0 "" run --study py.db --space 'lr=float:1e-4..1:log' --space 'layers=int:1..4' \
    --space 'opt=adam,sgd' --direction maximize --trials 6 --quiet \
    -- "$PROGRAMS/learn.py" --lr '{lr}' --layers '{layers}' --opt '{opt}'
has "(higher is better)"
trials_ok py.db 'len(t) == 6 and all(abs(x["value"] - ((math.log10(x["knobs"]["lr"]) + 2) ** 2 + 0.1 * x["knobs"]["layers"] + (0.5 if x["knobs"]["opt"] == "sgd" else 0))) < 1e-12 for x in t) and all(isinstance(x["knobs"]["layers"], int) for x in t)'
grep -q "^training with {'lr': " runs/0.log || fail "the log lacks the program's chatter"
passed=$((passed + 1))

# ---- a C program: 'dial: value=' outranks a later number line; steps are reported
cc -O0 -o "$TMP/protocol" "$PROGRAMS/protocol.c" || fail "cannot compile protocol.c"
check 0 "" run --study c.db --space 'x=float:0..1' --trials 3 --quiet -- "$TMP/protocol" '{x}'
trials_ok c.db 'all(x["value"] == x["knobs"]["x"] ** 2 and x["intermediate"] == [{"step": 1, "value": x["knobs"]["x"] * 2}] for x in t)'

# ---- intermediate values, one per step
check 0 "" run --study steps.db --space 'x=float:1..2' --trials 2 --quiet -- "$PROGRAMS/steps.sh" '{x}'
trials_ok steps.db 'all(x["value"] == x["knobs"]["x"] and [s["step"] for s in x["intermediate"]] == [1, 2, 3] and x["intermediate"][2]["value"] == x["knobs"]["x"] / 3 for x in t)'

# ---- failures: each trial failed with why, its log, and the end of its stderr
check 1 "dial: no trial of study 'default' in crash.db completed; 'dial trials crash.db' shows why each failed, and runs/ holds their output" \
    run --study crash.db --space 'x=float:0..1' --trials 2 --quiet -- "$PROGRAMS/crash.sh"
trials_ok crash.db 't[0]["state"] == "failed" and t[0]["message"] == "killed by signal 11 (Segmentation fault) (log runs/0.log); the end of its stderr:\nabout to crash"'
check 0 "" trials crash.db
has "killed by signal 11 (Segmentation fault)"

check 1 "dial: no trial of study 'default' in fail.db completed; 'dial trials fail.db' shows why each failed, and logs/ holds their output" \
    run --study fail.db --space 'lr=float:0..1' --trials 1 --quiet --log-dir logs -- "$PROGRAMS/fail.sh" '{lr}'
trials_ok fail.db 't[0]["message"] == "exited with status 3 (log logs/0.log); the end of its stderr:\nloading the data\nerror: lr=%r is out of range" % t[0]["knobs"]["lr"]'
check 0 "" trials fail.db
has "exited with status 3 (log logs/0.log)"
has "error: lr="

check 1 "dial: no trial of study 'default' in silent.db completed; 'dial trials silent.db' shows why each failed, and runs/ holds their output" \
    run --study silent.db --space 'x=float:0..1' --trials 1 --quiet -- "$PROGRAMS/silent.sh"
trials_ok silent.db 't[0]["message"] == "%s printed no value: a trial'"'"'s value is the last line of standard output that is a number, or a line '"'"'dial: value=NUMBER'"'"' (log runs/0.log)" % repr("'"$PROGRAMS/silent.sh"'")'

# A malformed protocol line is a mistake of the program, not a value to skip.
check 1 "dial: no trial of study 'default' in bad.db completed; 'dial trials bad.db' shows why each failed, and runs/ holds their output" \
    run --study bad.db --space 'x=float:0..1' --trials 1 --quiet -- sh -c 'echo "dial: value=abc"; echo 1'
trials_ok bad.db 't[0]["message"] == "printed '"'"'dial: value=abc'"'"', which is no value line: write '"'"'dial: value=NUMBER'"'"' or '"'"'dial: step=N value=NUMBER'"'"' (log runs/0.log)"'

# A hang past --timeout-trial: SIGTERM ends it (and its child sleep).
check 1 "dial: no trial of study 'default' in hang.db completed; 'dial trials hang.db' shows why each failed, and runs/ holds their output" \
    run --study hang.db --space 'x=float:0..1' --trials 1 --quiet --timeout-trial 1 -- "$PROGRAMS/hang.sh"
trials_ok hang.db 't[0]["message"] == "timed out after 1 s (--timeout-trial) (log runs/0.log); the end of its stderr:\nstarted"'
# One that outlives SIGTERM is killed after the grace period.
check 1 "dial: no trial of study 'default' in hang2.db completed; 'dial trials hang2.db' shows why each failed, and runs/ holds their output" \
    run --study hang2.db --space 'x=float:0..1' --trials 1 --quiet --timeout-trial 0.5 -- "$PROGRAMS/hang.sh" --ignore-term
trials_ok hang2.db 't[0]["message"].startswith("timed out after 0.5 s (--timeout-trial); it outlived SIGTERM and was killed after 5 s (log runs/0.log)")'

# ---- arguments byte for byte, one argument each, never through a shell
weird="it's a \"test\"; \$HOME \`true\` * ~ \\n"
check 0 "" run --study args.db --space "msg=$weird,plain" --sampler grid --quiet \
    -- "$PROGRAMS/record.sh" '{msg}' 'pre-{msg}-post' '{{literal}} }}' '{trial}' ''
for n in 0 1; do
    msg=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["trials"][int(sys.argv[2])]["knobs"]["msg"])' \
        <("$DIAL" trials args.db --json) $n)
    printf '%s\0' "$msg" "pre-$msg-post" '{literal} }' "$n" '' >"$TMP/expected"
    cmp -s "$RECORD_DIR/$n.args" "$TMP/expected" || fail "trial $n's arguments: $(tr '\0' '|' <"$RECORD_DIR/$n.args")"
    passed=$((passed + 1))
done
grep -qxF "DIAL_KNOB_msg=$weird" "$RECORD_DIR/0.env" "$RECORD_DIR/1.env" || fail "the environment lacks the weird value"
passed=$((passed + 1))

# ---- the environment: DIAL_KNOB_<name> as substituted, DIAL_TRIAL; inherited DIAL_KNOB_ dropped
DIAL_KNOB_stale=1 DIAL_TRIAL=99 "$DIAL" run --study env.db --space 'x=float:0..1' --space 'n=int:1..9' \
    --space 'opt=a,b' --trials 1 --quiet -- "$PROGRAMS/record.sh" '{x}' >/dev/null || fail "env run failed"
"$PYTHON" -c 'import json, sys
k = json.load(open(sys.argv[1]))["trials"][0]["knobs"]
want = sorted(["DIAL_KNOB_n=%d" % k["n"], "DIAL_KNOB_opt=" + k["opt"], "DIAL_KNOB_x=" + repr(k["x"]), "DIAL_TRIAL=0"])
got = open(sys.argv[2]).read().split()
args = open(sys.argv[3]).read().split("\0")[:-1]
sys.exit(0 if got == want and args == [repr(k["x"])] else 1)' <("$DIAL" trials env.db --json) "$RECORD_DIR/0.env" "$RECORD_DIR/0.args" ||
    fail "environment: $(cat "$RECORD_DIR/0.env")"
passed=$((passed + 1))

# ---- a conditional parameter that is off in a trial is substituted as ''
echo '{"opt": ["a", "b"], "m": {"range": "float:0..1", "when": "opt=b"}}' >space.json
rm -f "$RECORD_DIR"/*
check 0 "" run --study cond.db --space-file space.json --sampler grid --quiet \
    -- "$PROGRAMS/record.sh" '{opt}' 'm={m}'
printf '%s\0' a 'm=' >"$TMP/expected"
off=""
for args in "$RECORD_DIR"/*.args; do
    if cmp -s "$args" "$TMP/expected"; then off=${args%.args}; fi
done
[[ -n $off ]] || fail "no trial had opt=a with m empty"
grep -q '^DIAL_KNOB_m=' "$off.env" && fail "an inactive parameter reached the environment"
passed=$((passed + 1))

# ---- --jobs 2: each trial's output in its own log, none on the terminal
check 0 "" run --study jobs.db --space 'x=float:0..1' --trials 6 --jobs 2 --quiet \
    --log-dir "$TMP/deep/logs" -- "$PROGRAMS/record.sh" '{x}'
for n in 0 1 2 3 4 5; do
    sort "$TMP/deep/logs/$n.log" >"$TMP/log.sorted"
    printf '1\ntrial %d on stderr\ntrial %d on stdout\n' $n $n >"$TMP/log.expected"
    cmp -s "$TMP/log.sorted" "$TMP/log.expected" || fail "log $n: $(cat "$TMP/deep/logs/$n.log")"
    passed=$((passed + 1))
done
has "study default in jobs.db: 6 trials (6 complete, 0 pruned, 0 failed), 6 of them in this run"

# ---- mistakes, refused before anything runs (no study trial, no log)
P="$PROGRAMS/square.sh"
check 2 "dial: argument 3 after -- ('{y}'): {y} is not a parameter of the space (x, opt) nor {trial}" \
    run --study m.db --space 'x=float:0..1' --space 'opt=a,b' -- "$P" --x '{y}'
check 2 "dial: argument 2 after -- ('{\"a\": 1}'): {\"a\": 1} is not a parameter of the space (x) nor {trial}; write {{ and }} for literal braces" \
    run --study m.db --space 'x=float:0..1' -- "$P" '{"a": 1}'
check 2 "dial: argument 2 after -- ('--x={x'): a '{' without its '}'; write {{ for a literal brace" \
    run --study m.db --space 'x=float:0..1' -- "$P" '--x={x'
check 2 "dial: argument 2 after -- ('x}'): a '}' without its '{'; write }} for a literal brace" \
    run --study m.db --space 'x=float:0..1' -- "$P" 'x}'
check 1 "dial: cannot run './nope.sh': No such file or directory" \
    run --study m.db --space 'x=float:0..1' -- ./nope.sh '{x}'
check 1 "dial: cannot run 'nope-dial-test': no executable of that name on PATH (a program in this folder is ./nope-dial-test)" \
    run --study m.db --space 'x=float:0..1' -- nope-dial-test '{x}'
printf '#!/bin/sh\necho 1\n' >not-executable.sh
check 1 "dial: cannot run './not-executable.sh': it is not executable (chmod +x ./not-executable.sh, or name its interpreter after --: -- sh ./not-executable.sh)" \
    run --study m.db --space 'x=float:0..1' -- ./not-executable.sh
check 1 "dial: cannot run '$TMP': it is not a file" run --study m.db --space 'x=float:0..1' -- "$TMP"
current="mistakes create nothing"
[[ ! -e m.db && ! -e runs/m ]] || fail "a refused run left a study file"
passed=$((passed + 1))
check 2 "dial: missing the program to run after --; usage: dial run --study FILE [options] -- PROGRAM [ARGS...]" \
    run --study m.db --space 'x=float:0..1'
check 2 "dial: dial run needs --study FILE, where the trials are kept; usage: dial run --study FILE [options] -- PROGRAM [ARGS...]" \
    run --space 'x=float:0..1' -- "$P" --x '{x}'
check 2 "dial: unknown option '--metric' for run; see 'dial run --help'" \
    run --study m.db --metric accuracy -- "$P"
check 2 "dial: --timeout-trial expects a duration such as 90, 90s, 10m or 1h, got '0'" \
    run --study m.db --timeout-trial 0 -- "$P"
check 1 "dial: the log folder not-executable.sh is not a folder (--log-dir DIR chooses another)" \
    run --study m.db --space 'x=float:0..1' --log-dir not-executable.sh -- "$P" --x '{x}'
# Everything after -- belongs to the program, options of dial included.
check 0 "" run --study dashdash.db --space 'x=float:0..1' --trials 1 --quiet -- "$PROGRAMS/record.sh" --quiet --help -x
printf '%s\0' --quiet --help -x >"$TMP/expected"
cmp -s "$RECORD_DIR/0.args" "$TMP/expected" || fail "the program's options were not its own"
passed=$((passed + 1))

# ---- Ctrl-C: the running program's whole group is stopped, completed trials are kept,
# the interrupted one does not count, and a second run reaches the total.
current="Ctrl-C"
rm -f "$RECORD_DIR/group"
SLOW=1 "$DIAL" run --study stop.db --space 'x=float:0..1' --trials 3 --quiet \
    -- "$PROGRAMS/slow.sh" '{x}' >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 1 600); do
    [[ -s $RECORD_DIR/group ]] && break
    sleep 0.05
done
group=$(cat "$RECORD_DIR/group") || fail "the slow trial never started"
kill -0 -- "-$group" || fail "the program's group is not running"
kill -INT $pid
wait $pid
status=$?
[[ $status -eq 1 ]] || fail "exit status $status after Ctrl-C, expected 1; stderr: $(cat "$TMP/err")"
[[ "$(cat "$TMP/err")" == "dial: interrupted after 1 trials; every completed trial is kept: run the same command again to continue" ]] ||
    fail "stderr after Ctrl-C: $(cat "$TMP/err")"
grep -qxF "study default in stop.db: 1 trials (1 complete, 0 pruned, 0 failed), 1 of them in this run" "$TMP/out" ||
    fail "no summary after Ctrl-C: $(cat "$TMP/out")"
# The program's child, orphaned, is reaped by init: give it a moment.
for _ in $(seq 1 100); do
    kill -0 -- "-$group" 2>/dev/null || break
    sleep 0.05
done
kill -0 -- "-$group" 2>/dev/null && fail "the program's process group outlived dial run: $(ps -o pid,stat,cmd -g "$group")"
passed=$((passed + 1))
trials_ok stop.db 'len(t) == 2 and t[0]["state"] == "complete" and t[1]["state"] == "running"'
"$DIAL" trials stop.db --json >"$TMP/stopped.json"
check 0 "dial: warning: study 'default': 1 running trial(s) sent no heartbeat for 60 s; marked them failed and queued their params to run again" \
    run --study stop.db --trials 3 --quiet -- "$PROGRAMS/slow.sh" '{x}'
has "study default in stop.db: 3 trials (3 complete, 0 pruned, 0 failed), 2 of them in this run"
# The interrupted trial's params ran again in the next trial.
"$PYTHON" -c 'import json, sys
before = json.load(open(sys.argv[1]))["trials"][1]
after = json.load(open(sys.argv[2]))["trials"]
sys.exit(0 if after[1]["message"].startswith("stale: ") and after[2]["knobs"] == before["knobs"] and after[2]["state"] == "complete" else 1)' \
    "$TMP/stopped.json" <("$DIAL" trials stop.db --json) || fail "the interrupted trial's params did not run again"
passed=$((passed + 1))

# ---- the example tunes a Python function through dial run
current="examples/run_python.sh"
DIAL_PROGRAM="$DIAL" sh "$EXAMPLES/run_python.sh" >"$TMP/out" 2>"$TMP/err" || fail "exit $?: $(cat "$TMP/err")"
grep -qE "^best: trial [0-9]+, value [0-9.e-]+ \(lower is better\)$" "$TMP/out" || fail "no best: $(cat "$TMP/out")"
passed=$((passed + 1))

finish
