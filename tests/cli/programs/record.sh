#!/bin/sh
# Keeps what it was given, for the test to compare: its arguments
# (NUL-separated) and the DIAL_ environment variables, in $RECORD_DIR.
printf '%s\0' "$@" >"$RECORD_DIR/$DIAL_TRIAL.args"
env | grep '^DIAL_' | sort >"$RECORD_DIR/$DIAL_TRIAL.env"
echo "trial $DIAL_TRIAL on stdout"
echo "trial $DIAL_TRIAL on stderr" >&2
echo 1
