#!/usr/bin/env bash
# Runs the measurements BENCHMARKS.md reports, into Benchmarks/results/$OUT/ (from the
# project root). Needs a quiet machine: nothing else should build or test meanwhile.
#   OUT=session-name Benchmarks/scripts/measure.sh
# The main figures come from a plain release build, which is what `swift run -c release
# raft-bench` and applications get; a cross-module-optimized build runs the inmem shape once
# more for comparison.
set -euo pipefail
OUT=${OUT:-$(date -u +%Y%m%d-%H%M)}
DIR=Benchmarks/results/$OUT
mkdir -p "$DIR"
uptime > "$DIR/load.txt"

swift build -c release --product raft-bench
cp .build/release/raft-bench /tmp/raft-bench-default
swift build -c release --product raft-bench -Xswiftc -cross-module-optimization --build-path .build-cmo
cp .build-cmo/release/raft-bench /tmp/raft-bench-cmo

B=/tmp/raft-bench-default
$B --repeat 3 --json > "$DIR/inmem.json"
/tmp/raft-bench-cmo --repeat 3 --json > "$DIR/inmem-cmo.json"
$B --repeat 3 --threads 1 --clients 1,64,256 --json > "$DIR/inmem-threads1.json"
$B --repeat 3 --shape inmem-batch --batch 4 --json > "$DIR/inmem-batch4.json"
$B --repeat 3 --shape disk --clients 1 --ops 10000 --json > "$DIR/disk-1.json"
$B --repeat 3 --shape disk --clients 64,256,1024 --json > "$DIR/disk-n.json"
$B --clients 4096 --duration 60 --sample-every 5 --json > "$DIR/inmem-60s-4096.json"
uptime >> "$DIR/load.txt"

if command -v go >/dev/null; then
  (cd ../shared/peers && REPEAT=3 CLIENTS="1 64 256" SYSTEMS="hashicorp-raft etcd-raft" ./run.sh) | tee "$DIR/peers.txt"
  (cd ../shared/peers && REPEAT=3 CLIENTS="1024 4096" SYSTEMS="hashicorp-raft etcd-raft" ./run.sh) | tee "$DIR/peers-1024-4096.txt"
fi
uptime >> "$DIR/load.txt"
