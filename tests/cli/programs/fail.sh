#!/bin/sh
# Exits 3 after lines on stderr, as a program refusing its knobs does.
echo "loading the data" >&2
echo "error: lr=$1 is out of range" >&2
exit 3
