#!/bin/sh
# Dies of a segmentation fault after a line on stderr.
echo "about to crash" >&2
kill -SEGV $$
