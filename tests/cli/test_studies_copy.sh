#!/usr/bin/env bash
# dial studies SRC --copy-to DST between two SQLite files: the copy holds
# everything (pruned and failed trials with their messages, intermediate
# values, paths, the identity, the queue, the sample indexes), so dial
# trials, best and report print the same on it and the resumed copy asks
# the same next trials as the resumed original; refusals (a study SRC
# lacks, a name DST holds, a trial still running) are one line and write
# nothing. Between SQLite and PostgreSQL: test_studies_copy_postgres.sh.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/study_copy_lib.sh"

S="$TMP/s.db"
T="$TMP/t.db"
make_study "$S"

# ---- refusals before anything is written
check 2 "dial: $S has no study 'nope'; it holds: default, gbdt" studies "$S" --copy-to "$T" --study-name nope
[[ ! -e "$T" ]] || fail "a refused copy created $T"
check 1 "dial: cannot open study file $TMP/none.db: no such file" studies "$TMP/none.db" --copy-to "$T"
check 2 "dial: --copy-to cannot be combined with --json" studies "$S" --copy-to "$T" --json
check 2 "dial: --copy-to cannot be combined with --delete" studies "$S" --copy-to "$T" --delete gbdt
check 2 "dial: --study-name chooses the study --copy-to copies; to list one study use dial trials FILE --study-name NAME" \
    studies "$S" --study-name gbdt

# ---- one study, then the rest: the copy reads as the original
check 0 "" studies "$S" --copy-to "$T" --study-name gbdt
has "copied study 'gbdt' (3 trials) from $S to $T"
check 2 "dial: $T already holds a study 'gbdt'; rename one of the two first (dial studies $T --rename gbdt NEW) and copy again" \
    studies "$S" --copy-to "$T"
cp "$T" "$TMP/before.db"
check 0 "" studies "$T" --rename gbdt boost
check 0 "" studies "$S" --copy-to "$T"
has "copied 2 studies (9 trials) from $S to $T"
check 0 "" studies "$T" --delete boost
same_reading "$S" "$T"

# ---- resumed, the copy asks what the original asks: the queue's entry,
# then the same samples
check 0 "" ask "$S" --count 3 --json
keep asked-source
check 0 "" ask "$T" --count 3 --json
cmp -s "$TMP/out" "$TMP/asked-source" || fail "the resumed copy asked $(cat "$TMP/out"), the original $(cat "$TMP/asked-source")"
json_ok '[t["number"] for t in j] == [6, 7, 8] and j[0]["knobs"] == {"x": 2.5, "opt": "a"}'


# ---- a running trial (the three just asked) is refused, nothing written
check 2 "dial: study 'default' in $S has 3 trials still running; copy it once its workers have finished (the copy would miss those trials' results)" \
    studies "$S" --copy-to "$TMP/u.db"
[[ ! -e "$TMP/u.db" ]] || fail "a refused copy created $TMP/u.db"
check 0 "" studies "$S" --copy-to "$TMP/u.db" --study-name gbdt
has "copied study 'gbdt' (3 trials) from $S to $TMP/u.db"

finish
