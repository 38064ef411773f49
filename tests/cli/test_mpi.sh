#!/bin/bash
# dial tune --mpi under a real mpirun (docs/mpi.md): 4 ranks on this
# machine (oversubscribed), all 4 evaluating, rank 0 too. The study's
# total is exact, no trial number is repeated, the header and the table are
# printed once, and the trials are those of one process with --jobs 4 and
# the same seed: random first, then tpe, whose window rule makes the
# promise. Skips (77) only when mpirun is missing and cannot be installed.
source "$(dirname "$0")/lib.sh" "$@"
DATA=$PWD/data
# Under AddressSanitizer (make sanitize), leak detection is off here: Open
# MPI and MPICH leave allocations of their own at exit, some in plugins
# already unloaded, which no suppression can name. dial's side of the
# protocol (the trial proxies) is leak-checked in tests/tune/test_trial_proxy.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# Usage mistakes come before MPI starts.
check 2 "dial: --mpi runs one search and --nested runs one per outer fold; they cannot be combined" \
    tune knn "$DATA/iris.csv" --mpi --nested 3
check 2 "dial: --jobs and --mpi cannot be combined: under --mpi the trials run at once are the ranks (mpirun -np N runs N)" \
    tune knn "$DATA/iris.csv" --mpi --jobs 2
check 2 "dial: --jobs and --mpi cannot be combined: under --mpi the programs run at once are the ranks (mpirun -np N runs N)" \
    run --study "$TMP/usage.db" --space 'x=float:0..1' --mpi --jobs 2 -- echo '{x}'

# DIAL_MPIRUN names the launcher (default mpirun, Debian's alternative,
# Open MPI unless changed): mpirun.mpich runs this test against a dial
# built with MPICH (docs/mpi.md, "Building").
LAUNCHER=${DIAL_MPIRUN:-mpirun}
if ! command -v "$LAUNCHER" >/dev/null; then
    bash scripts/install-deps.sh build >/dev/null 2>&1 || true
fi
if ! command -v "$LAUNCHER" >/dev/null; then
    echo "skipped: $LAUNCHER is not installed and scripts/install-deps.sh build could not install it"
    exit 77
fi
LAUNCHER_FLAGS=()
OPEN_MPI=false
if "$LAUNCHER" --version 2>/dev/null | grep -q "Open MPI"; then
    OPEN_MPI=true
    LAUNCHER_FLAGS+=(--oversubscribe)
    [[ $(id -u) -eq 0 ]] && LAUNCHER_FLAGS+=(--allow-run-as-root)
fi
MPIRUN=("$LAUNCHER" -np 4 "${LAUNCHER_FLAGS[@]}")

# A mistake in the command line is told once, by rank 0, though every rank
# reads it before MPI starts.
current="a usage mistake under mpirun"
"${MPIRUN[@]}" "$DIAL" tune knn "$DATA/iris.csv" --mpi --trials many >"$TMP/out" 2>"$TMP/err" &&
    fail "mpirun succeeded"
[[ $(grep -c '^dial: ' "$TMP/err") -eq 1 ]] ||
    fail "not told once: $(cat "$TMP/err")"
[[ ! -s "$TMP/out" ]] || fail "stdout: $(cat "$TMP/out")"
passed=$((passed + 2))

# mpi NAME ARGS...: runs dial ARGS under mpirun; stdout in $TMP/NAME.out,
# stderr in $TMP/NAME.err.
mpi() {
    local name=$1
    shift
    current="${MPIRUN[*]} dial $*"
    "${MPIRUN[@]}" "$DIAL" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        fail "exit status $?; stderr: $(cat "$TMP/$name.err")"
    passed=$((passed + 1))
}
# trials_without_time DB: the study's trials, the duration column left out.
trials_without_time() {
    "$DIAL" trials "$1" --csv | cut -d, -f1-3,5-
}

# ---- one rank: rank 0 alone runs the trials, as --jobs 1 ----
"$DIAL" tune knn "$DATA/iris.csv" --trials 5 --seed 7 --sampler tpe --startup-trials 2 \
    --jobs 1 --study "$TMP/alone-one.db" --quiet >/dev/null 2>&1 || fail "one-process run failed"
current="$LAUNCHER -np 1 dial tune --mpi"
"$LAUNCHER" -np 1 "${LAUNCHER_FLAGS[@]}" "$DIAL" tune knn "$DATA/iris.csv" --trials 5 --seed 7 \
    --sampler tpe --startup-trials 2 --mpi --study "$TMP/alone-mpi.db" --quiet \
    >"$TMP/alone.out" 2>"$TMP/alone.err" || fail "exit status $?; stderr: $(cat "$TMP/alone.err")"
[[ "$(trials_without_time "$TMP/alone-mpi.db")" == "$(trials_without_time "$TMP/alone-one.db")" ]] ||
    fail "one rank differs from one process with --jobs 1"
[[ $("$DIAL" trials "$TMP/alone-mpi.db" --csv | grep -c ',complete,') -eq 5 ]] ||
    fail "one rank did not run its 5 trials"
passed=$((passed + 2))

# ---- random: the exact total, each number once, the one-process best ----
"$DIAL" tune knn "$DATA/iris.csv" --trials 12 --seed 7 --sampler random --jobs 4 \
    --study "$TMP/one.db" --json >"$TMP/one.json" 2>/dev/null || fail "one-process run failed"
mpi random tune knn "$DATA/iris.csv" --trials 12 --seed 7 --sampler random --mpi \
    --study "$TMP/mpi.db" --json
cp "$TMP/random.out" "$TMP/out"
json_ok 'j["trials"] == 12 and j["new_trials"] == 12 and j["stopped"] is False'
json_ok 'j["best_number"] == json.load(open("'"$TMP/one.json"'"))["best_number"]'
json_ok 'j["best_value"] == json.load(open("'"$TMP/one.json"'"))["best_value"]'
"$DIAL" trials "$TMP/mpi.db" --csv | tail -n +2 | cut -d, -f1 >"$TMP/numbers"
[[ "$(sort -n "$TMP/numbers" | uniq | tr '\n' ' ')" == "0 1 2 3 4 5 6 7 8 9 10 11 " ]] ||
    fail "trial numbers are not 0..11 once each: $(tr '\n' ' ' <"$TMP/numbers")"
[[ "$(trials_without_time "$TMP/mpi.db")" == "$(trials_without_time "$TMP/one.db")" ]] ||
    fail "the trials differ from one process with --jobs 4"
passed=$((passed + 3))

# Resumed under MPI: the total is the study's, exact.
mpi resumed tune knn "$DATA/iris.csv" --trials 20 --seed 7 --sampler random --mpi \
    --study "$TMP/mpi.db" --json
cp "$TMP/resumed.out" "$TMP/out"
json_ok 'j["trials"] == 20 and j["new_trials"] == 8'

# ---- tpe: the window rule gives the trials of --jobs 4 ----
"$DIAL" tune svm "$DATA/iris.csv" --trials 16 --seed 3 --sampler tpe --startup-trials 4 \
    --jobs 4 --study "$TMP/tpe-one.db" --quiet >/dev/null 2>&1 || fail "one-process tpe failed"
mpi tpe tune svm "$DATA/iris.csv" --trials 16 --seed 3 --sampler tpe --startup-trials 4 \
    --mpi --study "$TMP/tpe-mpi.db" -o "$TMP/svm.dial"
[[ "$(trials_without_time "$TMP/tpe-mpi.db")" == "$(trials_without_time "$TMP/tpe-one.db")" ]] ||
    fail "tpe under MPI differs from one process with --jobs 4"
passed=$((passed + 1))
# Rank 0 alone prints: the header, each trial's line and the table once.
cp "$TMP/tpe.out" "$TMP/out"
[[ $(grep -c '^search: tpe sampler' "$TMP/tpe.out") -eq 1 ]] || fail "header not printed once"
[[ $(grep -c '^best: trial' "$TMP/tpe.out") -eq 1 ]] || fail "best not printed once"
[[ $(grep -c '^trial 15 ' "$TMP/tpe.err") -eq 1 ]] || fail "trial 15's line not printed once"
passed=$((passed + 3))
[[ $(grep -c "^refit on all 150 rows: saved to" "$TMP/tpe.out") -eq 1 ]] || fail "the refit line is not there once"
passed=$((passed + 1))
# The refit rank 0 saved is a model that predicts.
"$DIAL" predict "$TMP/svm.dial" "$DATA/iris.csv" >"$TMP/out" 2>"$TMP/err" ||
    fail "predict with the refit failed: $(cat "$TMP/err")"
[[ $(wc -l <"$TMP/out") -eq 151 ]] || fail "predict gave $(wc -l <"$TMP/out") lines, not 151"
passed=$((passed + 1))

# ---- a pruner: each rank's fold scores reach rank 0's pruner ----
"$DIAL" tune gbdt "$DATA/iris.csv" --trials 9 --seed 2 --sampler random --pruner asha \
    --space 'n_estimators=10..60' --jobs 4 --study "$TMP/asha-one.db" --quiet >/dev/null 2>&1 ||
    fail "one-process asha failed"
mpi asha tune gbdt "$DATA/iris.csv" --trials 9 --seed 2 --sampler random --pruner asha \
    --space 'n_estimators=10..60' --mpi --study "$TMP/asha-mpi.db" --quiet
[[ "$(trials_without_time "$TMP/asha-mpi.db")" == "$(trials_without_time "$TMP/asha-one.db")" ]] ||
    fail "asha under MPI prunes otherwise than one process with --jobs 4"
passed=$((passed + 1))

# ---- dial run --mpi: programs on the ranks, the space from rank 0's study ----
PROGRAMS=$PWD/tests/cli/programs
cd "$TMP" || fail "no $TMP"
"$DIAL" run --study run-one.db --space 'x=float:-5..10' --space 'opt=a,b,c' --trials 14 \
    --seed 3 --sampler tpe --startup-trials 4 --jobs 4 --quiet --log-dir one \
    -- "$PROGRAMS/square.sh" --x '{x}' >/dev/null 2>&1 || fail "one-process dial run failed"
mpi run run --study run-mpi.db --space 'x=float:-5..10' --space 'opt=a,b,c' --trials 14 \
    --seed 3 --sampler tpe --startup-trials 4 --mpi --log-dir mpi \
    -- "$PROGRAMS/square.sh" --x '{x}'
cp "$TMP/run.out" "$TMP/out"
has "study default in run-mpi.db: 14 trials (14 complete, 0 pruned, 0 failed), 14 of them in this run"
[[ $(grep -c '^best: trial' "$TMP/run.out") -eq 1 ]] || fail "dial run's best not printed once"
[[ "$(trials_without_time run-mpi.db)" == "$(trials_without_time run-one.db)" ]] ||
    fail "dial run --mpi differs from one process with --jobs 4"
[[ $(ls mpi | wc -l) -eq 14 ]] || fail "the ranks wrote $(ls mpi | wc -l) logs, not 14"
passed=$((passed + 3))
# Intermediate values and the pruner's verdicts travel too.
"$DIAL" run --study steps-one.db --space 'x=float:0..10' --trials 14 --seed 5 --pruner median \
    --jobs 4 --quiet --log-dir one -- "$PROGRAMS/steps.sh" '{x}' >/dev/null 2>&1 ||
    fail "one-process dial run with a pruner failed"
mpi steps run --study steps-mpi.db --space 'x=float:0..10' --trials 14 --seed 5 --pruner median \
    --mpi --quiet --log-dir mpi -- "$PROGRAMS/steps.sh" '{x}'
[[ "$(trials_without_time steps-mpi.db)" == "$(trials_without_time steps-one.db)" ]] ||
    fail "dial run --mpi with a pruner differs from one process with --jobs 4"
"$DIAL" trials steps-mpi.db --csv | grep -q ',pruned,' || fail "no trial was pruned"
passed=$((passed + 2))

# Every rank evaluates, rank 0 too: each trial's log names the rank whose
# program wrote it (Open MPI and MPICH name the rank in the environment,
# which the program inherits from its rank).
mpi who run --study who.db --space 'x=float:0..10' --trials 16 --mpi --quiet --log-dir who \
    -- sh -c 'echo "rank=$OMPI_COMM_WORLD_RANK$PMI_RANK" >&2; sleep 0.3; echo {x}'
for r in 0 1 2 3; do
    grep -qx "rank=$r" who/* || fail "rank $r ran no trial: $(cat who/* | grep '^rank=' | sort | uniq -c)"
done
passed=$((passed + 1))

# A trial longer than the heartbeat period is alive, not dead: its rank
# beats while the program runs. (A period of 3 s, not 1: under the
# sanitizers, with the other MPI test's ranks on the same 2 cores, a beat
# came more than a second late and a live trial was declared stale.)
mpi long run --study long.db --space 'x=float:0..10' --trials 2 --heartbeat 3s --mpi --quiet \
    --log-dir long -- sh -c 'sleep 8; echo {x}'
cp "$TMP/long.out" "$TMP/out"
has "study default in long.db: 2 trials (2 complete, 0 pruned, 0 failed), 2 of them in this run"

# ---- a rank killed mid-study: the study stays resumable ----
# Open MPI's mpirun and MPICH's mpiexec end the whole job when a rank
# dies; Open MPI first sends every rank SIGTERM, and rank 0 says where the
# finished trials are and how to go on. The same command, run again, brings the study to its
# exact total: the dead trials expire (--heartbeat 1s), each one's params
# run again once, and no number is used twice.
# (Trials of 0.5 s: with every rank evaluating, trials of 0.2 s could all
# be done on a quick machine, or before a loaded one's polls found rank 2;
# and the recovering jobs below must outlast the heartbeat period after
# the kill, or rank 0 would finish before it noticed.)
kill_run=(run --study dead.db --space 'x=float:0..10' --trials 30 --seed 5 --sampler random --heartbeat 1s
    --mpi --quiet --log-dir dead -- sh -c 'sleep 0.5; echo {x}')
"${MPIRUN[@]}" "$DIAL" "${kill_run[@]}" >"$TMP/dead.out" 2>"$TMP/dead.err" &
launcher=$!
# rank_pid R PATTERN: the pid of rank R of this test's job whose command
# line has PATTERN (Open MPI and MPICH name the rank in the environment;
# the working directory tells this test's ranks from another's).
rank_pid() {
    local pid
    for pid in $(pgrep -f -- "$2"); do
        [[ $(readlink "/proc/$pid/cwd") == "$(pwd -P)" ]] || continue
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
            grep -qxE "(OMPI_COMM_WORLD_RANK|PMI_RANK)=$1" && { echo "$pid"; return; }
    done
}
for _ in $(seq 600); do
    [[ -f dead.db && $("$DIAL" trials dead.db --csv 2>/dev/null | grep -c ',complete,') -ge 5 ]] && break
    sleep 0.1
done
victim=$(rank_pid 2 "--study dead.db")
[[ -n "$victim" ]] || fail "rank 2 of the job was not found"
kill -9 "$victim"
wait "$launcher" && fail "mpirun went on after rank 2 was killed"
# (almost always some: the job is ended mid-trial, but on a slow machine
# all three ranks may be between trials)
left_running=$("$DIAL" trials dead.db --csv | grep -c ',running,')
# stale ones already: rank 0 may have found rank 2 silent and gone on
# before the launcher ended the job
stale_before=$("$DIAL" trials dead.db --json | "$PYTHON" -c 'import json, sys
print(sum(t["state"] == "failed" and t["message"].startswith("stale: ") for t in json.load(sys.stdin)["trials"]))')
# Open MPI's SIGTERM: rank 0 says how to continue, in one line. MPICH's
# Hydra (4.0.2) ends the ranks without a word from them (it names the dead
# PID itself): only the study's state can be checked.
$OPEN_MPI && { grep -qxF "dial: the MPI launcher ended the job (SIGTERM: a rank died, or the job was cancelled); every finished trial is kept in dead.db: run the same command again to continue" \
    "$TMP/dead.err" || fail "rank 0 did not say how to continue: $(cat "$TMP/dead.err")"; }
# (rank 0 may have found rank 2 silent first, gone on, and the study then
# warned of the stale trial it took over)
$OPEN_MPI && { [[ $(grep '^dial: ' "$TMP/dead.err" | grep -vc "^dial: warning: study 'default': 1 running trial(s) sent no heartbeat for 1 s") -eq 1 ]] ||
    fail "not one line: $(grep '^dial: ' "$TMP/dead.err")"; }
passed=$((passed + 2))
mpi resume "${kill_run[@]}"
"$DIAL" trials dead.db --json >"$TMP/out"
json_ok 'sum(t["state"] == "complete" for t in j["trials"]) == 30'
json_ok 'len({t["number"] for t in j["trials"]}) == len(j["trials"])'
json_ok 'not any(t["state"] == "running" for t in j["trials"])'
# Each trial the dead job left running failed once as stale and its params
# ran again in one complete trial. (A program the launcher killed with its
# rank may also have failed its trial, as any killed program does.) A trial
# the job was ended in before its rank asked for its first knob has no
# params, and nothing to run again (the stale sweep, src/tune/storage_sqlite.c).
STALE='t["state"] == "failed" and t["message"].startswith("stale: ")'
json_ok "sum($STALE for t in j[\"trials\"]) == $stale_before + $left_running"
json_ok 'all(sum(u["state"] == "complete" and u["knobs"] == t["knobs"] for u in j["trials"]) == 1 for t in j["trials"] if t["knobs"] and '"$STALE)"

# The same under dial tune, whose study may also be in memory: the line
# then says that nothing was kept. (mlp: trials of milliseconds, so that
# the job is still running when rank 2 is killed; rank 0 evaluates too,
# and knn's trials would all be done first.) Rank 0 writes the line from
# its SIGTERM handler, but now and then (about one run in four on a busy
# machine, once in CI) it does not come through: mpirun may kill rank 0,
# or stop forwarding its stderr, before the line is through. So the job is
# run up to three times, and the line must come through at least once.
memory_job() { # runs the job once, kills rank 2; true when rank 0's line came through
    "${MPIRUN[@]}" "$DIAL" tune mlp "$DATA/iris.csv" --trials 100000 --seed 5 --sampler random \
        --mpi >"$TMP/memory.out" 2>"$TMP/memory.err" &
    launcher=$!
    for _ in $(seq 600); do # until the search is under way: a trial's line on stderr
        grep -q '^trial 3 ' "$TMP/memory.err" && break
        sleep 0.1
    done
    victim=$(rank_pid 2 "--trials 100000")
    [[ -n "$victim" ]] || fail "rank 2 of the dial tune job was not found"
    kill -9 "$victim"
    wait "$launcher" && fail "mpirun went on after rank 2 was killed"
    grep -qxF "dial: the MPI launcher ended the job (SIGTERM: a rank died, or the job was cancelled); the study was in memory, so nothing was kept" \
        "$TMP/memory.err"
}
current="dial tune --mpi, study in memory, rank 2 killed"
if $OPEN_MPI; then
    said=false
    for _ in 1 2 3; do
        memory_job && { said=true; break; }
    done
    $said || fail "rank 0 did not say what was lost, in three runs: $(cat "$TMP/memory.err")"
else
    memory_job || true # the line is Open MPI's case; MPICH's launcher ends the job its own way
fi
passed=$((passed + 1))

# ---- a launcher that lets the job outlive a dead rank (Open MPI's
# --enable-recovery): rank 0 notices the silence within the heartbeat
# period, gives the rank's trial to the other ranks, and the run goes on
# to its exact total; a warning names the rank ----
if $OPEN_MPI; then
    recover_run=(run --study recover.db --space 'x=float:0..10' --trials 30 --seed 5 --sampler random
        --heartbeat 2s --mpi --quiet --log-dir recover -- sh -c 'sleep 0.5; echo {x}')
    current="${MPIRUN[*]} --enable-recovery dial ${recover_run[*]}, rank 2 killed"
    timeout 120 "${MPIRUN[@]}" --enable-recovery "$DIAL" "${recover_run[@]}" \
        >"$TMP/recover.out" 2>"$TMP/recover.err" &
    launcher=$!
    for _ in $(seq 600); do
        [[ -f recover.db && $("$DIAL" trials recover.db --csv 2>/dev/null | grep -c ',complete,') -ge 5 ]] && break
        sleep 0.1
    done
    victim=$(rank_pid 2 "--study recover.db")
    [[ -n "$victim" ]] || fail "rank 2 of the recovering job was not found"
    kill -9 "$victim"
    wait "$launcher"
    [[ $? -ne 124 ]] || fail "the job did not end after rank 2 died: $(cat "$TMP/recover.err")"
    grep -qxF "dial: warning: rank 2 stopped answering (MPI: no message within the heartbeat period); the other ranks went on, and its trial's params were queued for them" \
        "$TMP/recover.err" || fail "rank 0 did not warn of rank 2: $(cat "$TMP/recover.err")"
    # and the study's own warning of the trial it then found stale
    [[ $(grep '^dial: ' "$TMP/recover.err" | grep -vcF "dial: warning: study 'default': 1 running trial(s) sent no heartbeat for 2 s; marked them failed and queued their params to run again") -eq 1 ]] ||
        fail "other lines: $(grep '^dial: ' "$TMP/recover.err")"
    grep -qxF "study default in recover.db: 30 trials (30 complete, 0 pruned, 0 failed), 30 of them in this run" \
        "$TMP/recover.out" || fail "the run did not reach its total: $(cat "$TMP/recover.out")"
    passed=$((passed + 3))
    "$DIAL" trials recover.db --json >"$TMP/out"
    json_ok 'sum(t["state"] == "complete" for t in j["trials"]) == 30'
    json_ok 'len({t["number"] for t in j["trials"]}) == len(j["trials"])'
    json_ok 'not any(t["state"] == "running" for t in j["trials"])'
    # rank 2's trial, and it alone, failed (stale), and its params ran
    # again once (if rank 2 had asked for them before it was killed)
    json_ok 'sum(t["state"] == "failed" for t in j["trials"]) == 1'
    json_ok "sum($STALE for t in j[\"trials\"]) == 1"
    json_ok 'all(sum(u["state"] == "complete" and u["knobs"] == t["knobs"] for u in j["trials"]) == 1 for t in j["trials"] if t["knobs"] and '"$STALE)"

    # With 2 ranks, rank 1 killed: no other rank is left, but rank 0
    # evaluates too, so the run still reaches its total, alone.
    alone_run=(run --study alone.db --space 'x=float:0..10' --trials 16 --seed 5 --sampler random
        --heartbeat 2s --mpi --quiet --log-dir alone -- sh -c 'sleep 0.5; echo {x}')
    current="$LAUNCHER -np 2 --enable-recovery dial ${alone_run[*]}, rank 1 killed"
    timeout 120 "$LAUNCHER" -np 2 "${LAUNCHER_FLAGS[@]}" --enable-recovery "$DIAL" "${alone_run[@]}" \
        >"$TMP/alone-run.out" 2>"$TMP/alone-run.err" &
    launcher=$!
    for _ in $(seq 600); do
        [[ -f alone.db && $("$DIAL" trials alone.db --csv 2>/dev/null | grep -c ',complete,') -ge 3 ]] && break
        sleep 0.1
    done
    victim=$(rank_pid 1 "--study alone.db")
    [[ -n "$victim" ]] || fail "rank 1 of the two-rank job was not found"
    kill -9 "$victim"
    wait "$launcher"
    [[ $? -ne 124 ]] || fail "the job did not end after rank 1 died: $(cat "$TMP/alone-run.err")"
    grep -qxF "dial: warning: rank 1 stopped answering (MPI: no message within the heartbeat period); the other ranks went on, and its trial's params were queued for them" \
        "$TMP/alone-run.err" || fail "rank 0 did not warn of rank 1: $(cat "$TMP/alone-run.err")"
    grep -qxF "study default in alone.db: 16 trials (16 complete, 0 pruned, 0 failed), 16 of them in this run" \
        "$TMP/alone-run.out" || fail "rank 0 alone did not reach the total: $(cat "$TMP/alone-run.out" "$TMP/alone-run.err")"
    passed=$((passed + 2))
    "$DIAL" trials alone.db --json >"$TMP/out"
    json_ok 'sum(t["state"] == "complete" for t in j["trials"]) == 16'
    json_ok "sum($STALE for t in j[\"trials\"]) <= 1"
fi
finish
