#!/usr/bin/env bash
# raft-kv against etcd 3.4, alternating in one session: a `raft-kv local` cluster (3 serve
# processes, FileLogStore with fsync, data under $ROOT) loaded by `raft-kv bench` (N keep-alive
# HTTP/1.1 connections to the leader), then a 3-member etcd on disk (../shared/peers/
# etcd-cluster.sh) loaded by the peers' clientv3 harness, at 64 and 256 clients, $ROUNDS rounds.
#   swift build -c release --product raft-kv
#   ETCD_BENCH=path/to/etcdbench Benchmarks/scripts/kv.sh > results.txt
# ETCD_BENCH defaults to ../shared/peers/bin/etcdbench (built by ../shared/peers/run.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-64,256}
ROOT=${ROOT:-/tmp/raft-kv-bench}
PEERS=${PEERS:-../shared/peers}
ETCD_BENCH=${ETCD_BENCH:-$PEERS/bin/etcdbench}
RAFT_KV=.build/release/raft-kv

run_raft_kv() {
  rm -rf "$ROOT"
  "$RAFT_KV" local --data-dir "$ROOT" --raft-port 27001 --http-port 28001 --log-level error > "$ROOT.log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q "the cluster is up" "$ROOT.log" 2>/dev/null && break; sleep 0.1; done
  "$RAFT_KV" bench --endpoint http://127.0.0.1:28001 --clients "$CLIENTS" --duration "$DURATION" || echo "FAILED raft-kv round $1"
  kill -INT "$pid"; wait "$pid" || echo "FAILED raft-kv local exit, round $1"
  rm -rf "$ROOT"
}

run_etcd() {
  "$PEERS/etcd-cluster.sh" start /tmp/peers-etcd-disk
  for clients in ${CLIENTS//,/ }; do
    "$ETCD_BENCH" -clients "$clients" -dur "${DURATION}s" -label etcd-server-disk || echo "FAILED etcd clients=$clients round $1"
  done
  "$PEERS/etcd-cluster.sh" stop /tmp/peers-etcd-disk
}

for round in $(seq "$ROUNDS"); do
  echo "# round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
  run_raft_kv "$round"
  run_etcd "$round"
done
