# Helpers of test_studies_copy*.sh (sourced after lib.sh).

# make_study STORAGE: a program's study "default" with complete, pruned
# (after intermediate values) and failed trials and one configuration left
# in the queue, and a model's study "gbdt" whose trials have paths.
make_study() {
    local s="$1"
    check 0 "sampler: random" ask "$s" --space 'x=float:-5..10' --space 'opt=a,b' --sampler random --seed 1 --count 5
    check 0 "" tell "$s" 0 0.5
    check 0 "" tell "$s" 1 --step 1 --value 0.3
    check 0 "" tell "$s" 1 --step 2 --value 0.2
    check 0 "" tell "$s" 1 --pruned
    check 0 "" tell "$s" 2 --fail --message "out of memory at epoch 3"
    check 0 "" tell "$s" 3 --step 1 --value 0.7
    check 0 "" tell "$s" 3 1.25
    check 0 "" tell "$s" 4 -2
    # two configurations queued, one asked: the other waits in the queue
    check 0 "" ask "$s" --enqueue x=1.5,opt=b --enqueue x=2.5,opt=a --count 1
    check 0 "" tell "$s" 5 0.75
    check 0 "" tune gbdt data/breast_cancer.csv --target diagnosis --trials 3 --space n_estimators=3..5 \
        --sampler random --seed 2 --study "$s" --quiet
}

# unnamed FILE STORAGE...: FILE's text with each STORAGE (literally)
# replaced by "STORAGE".
unnamed() {
    local text storage
    text=$(<"$1")
    shift
    for storage in "$@"; do text=${text//"$storage"/STORAGE}; done
    printf '%s\n' "$text"
}

# same_reading SOURCE COPY [SHOWN...]: dial trials --json and dial best
# --json are byte-identical on both, for both studies; the text of dial
# trials, dial best and dial report's page differ only by the storage's
# name (as given, or as shown with its password hidden: SHOWN).
same_reading() {
    local source="$1" copy="$2" name what
    shift 2
    for name in default gbdt; do
        for what in "trials --json" "best --json"; do
            check 0 "" $what "$source" --study-name "$name"
            keep reading-source
            check 0 "" $what "$copy" --study-name "$name"
            cmp -s "$TMP/reading-source" "$TMP/out" ||
                fail "dial $what differs on the copy of $name: $(diff "$TMP/reading-source" "$TMP/out" | head -5)"
        done
        for what in trials best; do
            check 0 "" $what "$source" --study-name "$name"
            unnamed "$TMP/out" "$source" >"$TMP/reading-source"
            check 0 "" $what "$copy" --study-name "$name"
            unnamed "$TMP/out" "$copy" "$@" >"$TMP/reading-copy"
            cmp -s "$TMP/reading-source" "$TMP/reading-copy" ||
                fail "dial $what differs on the copy of $name: $(diff "$TMP/reading-source" "$TMP/reading-copy" | head -5)"
        done
        check 0 "" report "$source" --study-name "$name" -o "$TMP/source.html"
        check 0 "" report "$copy" --study-name "$name" -o "$TMP/copy.html"
        unnamed "$TMP/source.html" "$source" >"$TMP/source.unnamed"
        unnamed "$TMP/copy.html" "$copy" "$@" >"$TMP/copy.unnamed"
        cmp -s "$TMP/source.unnamed" "$TMP/copy.unnamed" ||
            fail "dial report differs on the copy of $name: $(diff "$TMP/source.unnamed" "$TMP/copy.unnamed" | head -5)"
        passed=$((passed + 1))
    done
    # what the copy holds, beyond being the same as the source
    check 0 "" trials "$copy" --study-name default --json
    json_ok '[t["state"] for t in j["trials"]] == ["complete", "pruned", "failed", "complete", "complete", "complete"] and j["trials"][1]["intermediate"] == [{"step": 1, "value": 0.3}, {"step": 2, "value": 0.2}] and j["trials"][2]["message"] == "out of memory at epoch 3"'
    check 0 "" trials "$copy" --study-name gbdt --json
    json_ok 'len(j["trials"]) == 3 and all(t.get("path") for t in j["trials"])'
}
