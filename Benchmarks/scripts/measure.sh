#!/usr/bin/env bash
# Runs the measurements BENCHMARKS.md reports, into Benchmarks/results/$OUT/ (from the
# project root). Needs a quiet machine: nothing else should build or test meanwhile.
#   OUT=session-name Benchmarks/scripts/measure.sh
set -euo pipefail
OUT=${OUT:-$(date -u +%Y%m%d-%H%M)}
DIR=Benchmarks/results/$OUT
mkdir -p "$DIR"
uptime > "$DIR/load.txt"

swift build -c release --product raft-bench -Xswiftc -cross-module-optimization
cp .build/release/raft-bench /tmp/raft-bench-cmo
swift build -c release --product raft-bench
cp .build/release/raft-bench /tmp/raft-bench-default

B=/tmp/raft-bench-cmo
$B --repeat 3 --json > "$DIR/inmem-cmo.json"
$B --repeat 3 --threads 1 --clients 1,64,256 --json > "$DIR/inmem-cmo-threads1.json"
$B --repeat 3 --threads 3 --clients 1,64,256 --json > "$DIR/inmem-cmo-threads3.json"
$B --repeat 3 --shape inmem-batch --batch 4 --json > "$DIR/inmem-batch4-cmo.json"
$B --repeat 3 --shape disk --clients 1 --ops 10000 --json > "$DIR/disk-cmo-1.json"
$B --repeat 3 --shape disk --clients 64,256,1024 --json > "$DIR/disk-cmo-n.json"
/tmp/raft-bench-default --repeat 3 --clients 1 --ops 20000 --json > "$DIR/inmem-default-1.json"
/tmp/raft-bench-default --repeat 3 --clients 64,256,1024,4096 --ops 300000 --json > "$DIR/inmem-default-n.json"
$B --clients 4096 --duration 60 --sample-every 5 --json > "$DIR/inmem-cmo-60s-4096.json"
uptime >> "$DIR/load.txt"

if command -v go >/dev/null; then
  (cd ../shared/peers && REPEAT=3 CLIENTS="1 64 256" SYSTEMS="hashicorp-raft etcd-raft" ./run.sh) | tee "$DIR/peers.txt"
fi
uptime >> "$DIR/load.txt"
