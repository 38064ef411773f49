#!/usr/bin/env bash
# Outputs never destroy inputs or the system: -o onto a file being read is refused, a failed
# write keeps the old file, and -o into a device, FIFO, '-' or symbolic link writes into it
# instead of replacing it.
source "$(dirname "$0")/lib.sh" "$@"
IRIS=data/iris.csv
BC=data/breast_cancer.csv

# no_temporary: nothing named *.tmp-* is left in $TMP.
no_temporary() {
    local left
    left=$(find "$TMP" -name '*.tmp-*')
    [[ -z $left ]] || fail "a temporary file was left: $left"
    passed=$((passed + 1))
}
# same FILE1 FILE2: the files are byte for byte equal.
same() {
    cmp -s "$1" "$2" || fail "$1 and $2 differ"
    passed=$((passed + 1))
}

check 0 "" fit logistic $BC --target diagnosis -o "$TMP/bc.dial"
cp "$TMP/bc.dial" "$TMP/bc.kept"
cp $BC "$TMP/bc.csv"
cp $IRIS "$TMP/iris.csv"

# ---- an output that is an input is refused before anything is read or written (exit 2)
check 2 "dial: -o $TMP/bc.csv is the data file being read; choose another output" \
    predict "$TMP/bc.dial" "$TMP/bc.csv" -o "$TMP/bc.csv"
same "$TMP/bc.csv" $BC
check 2 "dial: -o $TMP/bc.dial is the model file being read; choose another output" \
    predict "$TMP/bc.dial" "$TMP/bc.csv" -o "$TMP/bc.dial"
same "$TMP/bc.dial" "$TMP/bc.kept"
check 2 "dial: -o $TMP/iris.csv is the data file being read; choose another output" \
    fit knn "$TMP/iris.csv" -o "$TMP/iris.csv"
same "$TMP/iris.csv" $IRIS
check 2 "dial: -o $TMP/iris.csv is the data file being read; choose another output" \
    tune knn "$TMP/iris.csv" --trials 2 --quiet -o "$TMP/iris.csv"
same "$TMP/iris.csv" $IRIS
# The same file under another name: a symbolic link, a hard link, standard input.
ln -s iris.csv "$TMP/iris-link.csv"
check 2 "dial: -o $TMP/iris-link.csv is the data file being read; choose another output" \
    fit knn "$TMP/iris.csv" -o "$TMP/iris-link.csv"
ln "$TMP/iris.csv" "$TMP/iris-hard.csv"
check 2 "dial: -o $TMP/iris-hard.csv is the data file being read; choose another output" \
    fit knn "$TMP/iris.csv" -o "$TMP/iris-hard.csv"
current="dial predict bc.dial - -o bc.csv < bc.csv"
"$DIAL" predict "$TMP/bc.dial" - -o "$TMP/bc.csv" <"$TMP/bc.csv" >"$TMP/out" 2>"$TMP/err"
[[ $? -eq 2 && "$(cat "$TMP/err")" == "dial: -o $TMP/bc.csv is the data file being read; choose another output" ]] ||
    fail "stdin's file as -o: $(cat "$TMP/err")"
passed=$((passed + 1))
same "$TMP/bc.csv" $BC
same "$TMP/iris.csv" $IRIS
# The default output of fit (MODEL.dial) is checked too.
cp $IRIS "$TMP/knn.dial"
current="dial fit knn knn.dial (the default output is the data)"
(cd "$TMP" && "$DIAL" fit knn knn.dial >"$TMP/out" 2>"$TMP/err")
[[ $? -eq 2 && "$(cat "$TMP/err")" == "dial: the default output knn.dial is the data file being read; choose another output with -o FILE" ]] ||
    fail "default output: $(cat "$TMP/err")"
passed=$((passed + 1))
same "$TMP/knn.dial" $IRIS
# The study of dial tune is an input too.
check 0 "" tune knn $IRIS --trials 2 --quiet --study "$TMP/study.db"
cp "$TMP/study.db" "$TMP/study.kept"
check 2 "dial: -o $TMP/study.db is the study file being read; choose another output" \
    tune knn $IRIS --trials 2 --quiet --study "$TMP/study.db" -o "$TMP/study.db"
same "$TMP/study.db" "$TMP/study.kept"
no_temporary

# ---- a failed write keeps the old file (exit 1). RLIMIT_FSIZE (ulimit -f, in KiB) with
# SIGXFSZ ignored makes every write past 4 KiB fail with EFBIG, as a full disk fails with
# ENOSPC; the old file is smaller than the limit, so only the new one can hit it.
check 0 "" predict "$TMP/bc.dial" $BC -o "$TMP/pred.csv"
cp "$TMP/pred.csv" "$TMP/pred.kept"
current="dial predict ... --proba -o pred.csv under ulimit -f 4"
(trap '' XFSZ && ulimit -f 4 && exec "$DIAL" predict "$TMP/bc.dial" $BC --proba -o "$TMP/pred.csv") >"$TMP/out" 2>"$TMP/err"
[[ $? -eq 1 && "$(cat "$TMP/err")" == "dial: cannot write $TMP/pred.csv: File too large" ]] ||
    fail "predictions past the limit: $(cat "$TMP/err")"
passed=$((passed + 1))
same "$TMP/pred.csv" "$TMP/pred.kept"
current="dial fit knn bc -o bc.dial under ulimit -f 4"
(trap '' XFSZ && ulimit -f 4 && exec "$DIAL" fit knn $BC -o "$TMP/bc.dial") >"$TMP/out" 2>"$TMP/err"
[[ $? -eq 1 && "$(cat "$TMP/err")" == "dial: cannot write $TMP/bc.dial: File too large" ]] ||
    fail "a model past the limit: $(cat "$TMP/err")"
passed=$((passed + 1))
same "$TMP/bc.dial" "$TMP/bc.kept"
no_temporary
check 1 "dial: cannot write /dev/full: No space left on device" predict "$TMP/bc.dial" $BC -o /dev/full
check 1 "dial: cannot write /dev/full: No space left on device" fit knn $IRIS -o /dev/full
check 1 "dial: cannot write $TMP: it is a folder; name a file" predict "$TMP/bc.dial" $BC -o "$TMP"

# ---- devices, FIFOs, '-' and links are written into, not replaced
# A device node made here, so that a bug replaces this one and not the system's /dev/null.
# The suite runs as root (the README's set-up); mknod failing is a failure.
mknod "$TMP/null" c 1 3 || fail "mknod is not permitted here; the device node checks need root"
{
    check 0 "" fit knn $IRIS -o "$TMP/null"
    [[ -c "$TMP/null" ]] || fail "-o onto a device node replaced it: $(ls -l "$TMP/null")"
    passed=$((passed + 1))
    check 0 "" predict "$TMP/bc.dial" $BC -o "$TMP/null"
    [[ -c "$TMP/null" ]] || fail "predictions replaced the device node: $(ls -l "$TMP/null")"
    passed=$((passed + 1))
    check 0 "" tune knn $IRIS --trials 2 --quiet -o "$TMP/null"
    [[ -c "$TMP/null" ]] || fail "tune -o replaced the device node: $(ls -l "$TMP/null")"
    passed=$((passed + 1))
}
# A FIFO: the reader gets the whole model.
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/from-fifo.dial" &
reader=$!
check 0 "" fit knn $IRIS -s k=7 -o "$TMP/fifo"
wait $reader
[[ -p "$TMP/fifo" ]] || fail "the FIFO was replaced"
passed=$((passed + 1))
check 0 "" inspect "$TMP/from-fifo.dial"
has_line "^  k +7 +5 +\*$"
cat "$TMP/fifo" >"$TMP/from-fifo.csv" &
reader=$!
check 0 "" predict "$TMP/bc.dial" $BC -o "$TMP/fifo"
wait $reader
same "$TMP/from-fifo.csv" "$TMP/pred.kept"
# '-' is standard output.
check 0 "" predict "$TMP/bc.dial" $BC -o -
same "$TMP/out" "$TMP/pred.kept"
# /dev/stdout into a pipe: a link that only the kernel can follow, written in place.
current="dial predict ... -o /dev/stdout | cat"
"$DIAL" predict "$TMP/bc.dial" $BC -o /dev/stdout 2>"$TMP/err" | cat >"$TMP/from-pipe.csv" ||
    fail "exit $?: $(cat "$TMP/err")"
[[ ! -s "$TMP/err" ]] || fail "stderr: $(cat "$TMP/err")"
same "$TMP/from-pipe.csv" "$TMP/pred.kept"
# A symbolic link: the file it points to is replaced, atomically, and the link stays.
mkdir "$TMP/models"
echo "an older model" >"$TMP/models/current.dial"
ln -s models/current.dial "$TMP/latest.dial"
check 0 "" fit knn $IRIS -s k=9 -o "$TMP/latest.dial"
[[ -L "$TMP/latest.dial" ]] || fail "the link was replaced by a file"
passed=$((passed + 1))
check 0 "" inspect "$TMP/models/current.dial"
has_line "^  k +9 +5 +\*$"
ln -s pred-target.csv "$TMP/pred-link.csv"
check 0 "" predict "$TMP/bc.dial" $BC -o "$TMP/pred-link.csv"
[[ -L "$TMP/pred-link.csv" ]] || fail "the predictions' link was replaced by a file"
passed=$((passed + 1))
same "$TMP/pred-target.csv" "$TMP/pred.kept"
no_temporary

finish
