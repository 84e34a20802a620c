#!/usr/bin/env bash
# The TCP measurements BENCHMARKS.md reports: raft-bench's tcp and tcp-disk shapes and
# hashicorp raft over its TCP NetworkTransport (memory and bolt stores), alternating round by
# round in one session, plus the inmem shape for the ratio. From the project root:
#   OUT=session-name ROUNDS=3 Benchmarks/scripts/tcp.sh
# Needs golang-go, golang-github-hashicorp-raft-dev and golang-github-hashicorp-raft-boltdb-dev
# (apt-get); builds ../shared/peers/hraft into a temporary directory. Raw lines go to
# Benchmarks/results/$OUT/tcp-raw.txt; `python3 Benchmarks/scripts/tcp_table.py` on it prints
# medians.
set -euo pipefail
OUT=${OUT:-$(date -u +%Y%m%d-%H%M)-tcp}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-"64 256"}
DIR=Benchmarks/results/$OUT
mkdir -p "$DIR"
RAW="$DIR/tcp-raw.txt"
: > "$RAW"
uptime > "$DIR/load.txt"

swift build -c release --product raft-bench
B=.build/release/raft-bench
HRAFT_DIR=$(mktemp -d)
(cd ../shared/peers && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$HRAFT_DIR/cache" go build -o "$HRAFT_DIR/hraft" ./hraft)
DATA=${DATA:-/var/tmp}

ours() { # shape clients ops
  $B --shape "$1" --clients "$2" --ops "$3" --directory "$DATA" --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["medians"][0]["median"]
print("RESULT system=swift-raft-%s clients=%d ops=%d put_per_s=%.0f cpu_ns_per_op=%.0f p50_us=%.1f p99_us=%.1f load=%.1f" % (
    m["shape"], m["clients"], m["ops"], m["putsPerSecond"], m["cpuNanosecondsPerOp"], m["p50Micros"], m["p99Micros"], m["loadAverage"]))'
}
theirs() { # transport store clients ops
  timeout 600 "$HRAFT_DIR/hraft" -transport "$1" -store "$2" -clients "$3" -ops "$4" -dir "$DATA" 2>/dev/null | grep RESULT | sed "s/\$/ load=$(cut -d' ' -f1 /proc/loadavg)/"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in $CLIENTS; do
    ours tcp "$c" 300000 | tee -a "$RAW"
    theirs tcp mem "$c" 200000 | tee -a "$RAW"
    ours tcp-disk "$c" 100000 | tee -a "$RAW"
    theirs tcp bolt "$c" 50000 | tee -a "$RAW"
    ours inmem "$c" 300000 | tee -a "$RAW"
  done
done
uptime >> "$DIR/load.txt"
rm -rf "$HRAFT_DIR"
python3 Benchmarks/scripts/tcp_table.py "$RAW" | tee "$DIR/tcp-table.md"
