#!/bin/sh
# Exits 0 and prints no value.
echo "no value here"
