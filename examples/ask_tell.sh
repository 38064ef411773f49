#!/bin/sh
# A worker loop in plain sh that tunes a shell function with dial ask and
# dial tell: any program that a shell can run is tuned the same way.
#
#   examples/ask_tell.sh [STUDY.db] [TRIALS]
#
# Run it several times at once on one file and the workers share the study:
# each ask reserves a trial no other worker gets. dial is found on PATH, or
# set DIAL=/path/to/dial.
set -eu
DIAL=${DIAL:-dial}
STUDY=${1:-ask_tell.db}
TRIALS=${2:-30}

# What is tuned: a made-up "training run" whose loss is lowest at
# lr=0.01 and depth=4 with the adam optimiser. A real one would run a
# program and read its output.
train() {
    awk -v lr="$1" -v depth="$2" -v opt="$3" 'BEGIN {
        l = log(lr) / log(10) + 2
        loss = l * l + (depth - 4) * (depth - 4) / 10
        if (opt != "adam") loss += 0.5
        printf "%.17g\n", loss
    }'
}

i=0
while [ "$i" -lt "$TRIALS" ]; do
    # The first ask creates the study with its space; the same space (or
    # none) resumes it.
    knobs=$("$DIAL" ask "$STUDY" --seed 7 \
        --space 'lr=float:1e-5..1:log' \
        --space 'depth=int:1..10' \
        --space 'opt=adam,sgd,rmsprop')
    # "trial=0 lr=0.0031 depth=3 opt='sgd'": eval sets the four variables.
    eval "$knobs"
    if loss=$(train "$lr" "$depth" "$opt"); then
        "$DIAL" tell "$STUDY" "$trial" "$loss"
    else
        "$DIAL" tell "$STUDY" "$trial" --fail --message "train exited with $?"
    fi
    i=$((i + 1))
done
"$DIAL" best "$STUDY"
