#!/usr/bin/python3
"""A program dial run tunes (tests/cli/test_run.sh): reads --lr and --opt
and prints a value that depends on both, after some chatter."""
import argparse
import math

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--layers", type=int, required=True)
parser.add_argument("--opt", required=True)
args = parser.parse_args()
print("training with", vars(args))
loss = (math.log10(args.lr) + 2) ** 2 + 0.1 * args.layers + (0.5 if args.opt == "sgd" else 0)
print(repr(loss))
