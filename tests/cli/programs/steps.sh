#!/bin/sh
# Reports an intermediate value per epoch, then its value.
for step in 1 2 3; do
    echo "epoch $step"
    echo "dial: step=$step value=$(awk -v x="$1" -v s="$step" 'BEGIN { printf "%.17g", x / s }')"
done
echo "dial: value=$1"
