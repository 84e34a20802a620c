#!/usr/bin/env bash
# Alternates several raft-bench binaries (name=path ...) for ROUNDS rounds, so that machine
# noise hits them alike; prints one JSON document per run, prefixed with the binary's name.
#   ROUNDS=3 Benchmarks/scripts/paired.sh base=/tmp/raft-bench-base head=.build/release/raft-bench
set -euo pipefail
ROUNDS=${ROUNDS:-3}
binaries=("$@")
for round in $(seq "$ROUNDS"); do
  for pair in "${binaries[@]}"; do
    name=${pair%%=*}; binary=${pair#*=}
    for spec in "1 30000" "256 300000" "4096 2000000"; do
      read -r clients ops <<< "$spec"
      echo "$name $(${binary} --clients "$clients" --ops "$ops" --json | tr -d '\n')"
    done
  done
done
