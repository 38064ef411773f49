#!/bin/sh
# Trial 0 prints its value at once; a later trial, with SLOW set, writes its
# process group (its own pid: dial run makes it a group leader) to
# $RECORD_DIR/group, starts a child in that group, and sleeps.
if [ "$DIAL_TRIAL" -ge 1 ] && [ -n "${SLOW:-}" ]; then
    sleep 60 &
    echo $$ >"$RECORD_DIR/group.tmp" && mv "$RECORD_DIR/group.tmp" "$RECORD_DIR/group"
    wait
fi
echo "$1"
