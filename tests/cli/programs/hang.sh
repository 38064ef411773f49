#!/bin/sh
# Runs past any --timeout-trial the tests give. With --ignore-term it
# outlives SIGTERM, so only SIGKILL ends it.
[ "${1:-}" = --ignore-term ] && trap '' TERM
echo "started" >&2
sleep 30 &
wait
sleep 30
