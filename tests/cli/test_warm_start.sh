#!/usr/bin/env bash
# dial tune --warm-start: re-tuning after a small drift starts from the old
# study (its best knobs first, all its complete trials as the sampler's
# prior) and reaches the old best score in a fraction of a cold start's
# trials; the prior is never one of the new study's trials; a study of
# another model, metric or space is refused with one line.
source "$(dirname "$0")/lib.sh" "$@"
D=data/diabetes.csv

# The drift: every feature scaled by 1.1 plus noise of a tenth of its
# standard deviation (seeded), the target as it was.
"$PYTHON" - $D "$TMP/drift.csv" <<'EOF'
import csv, random, statistics, sys
rng = random.Random(19)
rows = list(csv.reader(open(sys.argv[1])))
head, body = rows[0], rows[1:]
cols = len(head) - 1
sd = [statistics.pstdev(float(r[j]) for r in body) for j in range(cols)]
with open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    for r in body:
        w.writerow(["%.6g" % (float(r[j]) * 1.1 + 0.1 * sd[j] * rng.gauss(0, 1)) for j in range(cols)] + [r[-1]])
EOF

# reach FILE TARGET: how many trials a study took to reach TARGET (its
# first trial at or above it, counted from 1), or 0 when none did.
reach() {
    "$DIAL" trials "$1" --json | "$PYTHON" -c '
import json, sys
trials = sorted(json.load(sys.stdin)["trials"], key=lambda t: t["number"])
print(next((i + 1 for i, t in enumerate(trials) if t["value"] is not None and t["value"] >= float(sys.argv[1])), 0))' "$2"
}

# The first search, on the data before the drift.
check 0 "" tune svm $D --trials 60 --study "$TMP/old.db" --quiet -j 2
# Cold: a new search on the drifted data; warm: the same from the old study.
check 0 "" tune svm "$TMP/drift.csv" --trials 40 --seed 1 --study "$TMP/cold.db" --quiet -j 2
"$DIAL" tune svm "$TMP/drift.csv" --trials 10 --seed 1 --study "$TMP/warm.db" -j 2 \
    --warm-start "$TMP/old.db" >"$TMP/out" 2>"$TMP/err" || fail "the warm start failed: $(cat "$TMP/err")"
grep -qxF "warm start: study 'svm': its best 10 enqueued first, its 60 complete trials the sampler's prior" "$TMP/err" ||
    fail "no warm start line: $(head -3 "$TMP/err")"
# The 60 prior trials stand in for the 10 qmc startup trials, and the
# header says so rather than promising qmc points that never come.
grep -qxF "sampler: auto: no qmc trials (a warm start's 60 stand in for its 10), then gp and tpe in turn (a continuous space of 2 knobs) up to trial 100, then tpe" "$TMP/err" ||
    fail "the sampler line does not count the prior: $(grep '^sampler' "$TMP/err")"

# The figures (seeded, so pinned): the old best r2 is 0.4929; to reach it
# (less 0.001) a cold start took 15 trials, the warm start 2; to reach the
# warm start's best of 10 trials (0.4940) the cold start took 15, the warm
# start 2. (The cold start goes on to 0.4979 at trial 36.)
check 0 "" best "$TMP/old.db" --json
json_ok "round(j['value'], 4) == 0.4929"
[[ $(reach "$TMP/cold.db" 0.4919) == 15 ]] || fail "cold start reached 0.4919 in $(reach "$TMP/cold.db" 0.4919) trials, not 15"
[[ $(reach "$TMP/warm.db" 0.4919) == 2 ]] || fail "warm start reached 0.4919 in $(reach "$TMP/warm.db" 0.4919) trials, not 2"
[[ $(reach "$TMP/cold.db" 0.4940) == 15 ]] || fail "cold start reached 0.4940 in $(reach "$TMP/cold.db" 0.4940) trials, not 15"
[[ $(reach "$TMP/warm.db" 0.4940) == 2 ]] || fail "warm start reached 0.4940 in $(reach "$TMP/warm.db" 0.4940) trials, not 2"
passed=$((passed + 4))

# The old best runs first, and the prior is not the new study's: it holds
# its 10 trials, numbered from 0, and its best is one of them.
check 0 "" best "$TMP/old.db" --json
keep old_best.json
check 0 "" trials "$TMP/warm.db" --json
json_ok "len(j['trials']) == 10 and [t['number'] for t in j['trials']] == list(range(10))"
json_ok "j['trials'][0]['knobs'] == json.load(open('$TMP/old_best.json'))['knobs']"
check 0 "" best "$TMP/warm.db" --json
json_ok "j['number'] in range(10)"

# Without a prior the same seed draws qmc points first: the warm start changed the trials.
check 0 "" trials "$TMP/cold.db" --json
json_ok "j['trials'][0]['knobs'] != json.load(open('$TMP/old_best.json'))['knobs']"

# A narrower range: the old trials outside it are left out, and said.
outside=$("$DIAL" trials "$TMP/old.db" --json | "$PYTHON" -c '
import json, sys
print(sum(1 for t in json.load(sys.stdin)["trials"] if t["state"] == "complete" and not (1 <= t["knobs"]["C"] <= 1000 and 1e-4 <= t["knobs"]["gamma"] <= 1)))')
"$DIAL" tune svm "$TMP/drift.csv" --trials 2 --study "$TMP/narrow.db" --space C=1..1000:log \
    --space gamma=1e-4..1:log --warm-start "$TMP/old.db" >"$TMP/out" 2>"$TMP/err" || fail "narrow: $(cat "$TMP/err")"
grep -qxF "warm start: study 'svm': its best 10 enqueued first, its $((60 - outside)) complete trials ($outside outside this search's ranges left out) the sampler's prior" "$TMP/err" ||
    fail "narrow: $(head -1 "$TMP/err")"
passed=$((passed + 1))

# ---- refusals, one line each
check 0 "" tune knn $D --trials 2 --study "$TMP/knn.db" --quiet
check 2 "dial: --warm-start $TMP/knn.db: study 'knn' tuned knn, not svm; a warm start needs a study of the same model" \
    tune svm "$TMP/drift.csv" --trials 2 --warm-start "$TMP/knn.db"
check 2 "dial: --warm-start $TMP/old.db: study 'svm' measured r2, this search mae; a warm start needs the same metric (add -m r2)" \
    tune svm "$TMP/drift.csv" --trials 2 -m mae --warm-start "$TMP/old.db"
check 2 "dial: --warm-start $TMP/old.db: cannot warm-start from study 'svm': it searched knob 'gamma', which this search does not; a warm start needs the same knobs (add --space gamma=..., or start cold)" \
    tune svm "$TMP/drift.csv" --trials 2 -s gamma=0.01 --warm-start "$TMP/old.db"
check 2 "dial: --warm-start $TMP/old.db: cannot warm-start from study 'svm': this search has knob 'epsilon', which no complete trial of it set; a warm start needs the same knobs (fix it with -s epsilon=VALUE, or start cold)" \
    tune svm "$TMP/drift.csv" --trials 2 --space C=1..1000:log --space gamma=1e-4..1:log \
    --space epsilon=0.01..1:log --warm-start "$TMP/old.db"
check 1 "dial: --warm-start: cannot open study file $TMP/none.db: no such file" tune svm "$TMP/drift.csv" --trials 2 --warm-start "$TMP/none.db"
finish
