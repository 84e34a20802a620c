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
BENCH_OPTIONS=${BENCH_OPTIONS:-}

# raft-kv-pool: the defaults; raft-kv-nio: Swift's global executor on NIO's event loops
# (RAFT_KV_GLOBAL_EXECUTOR=nio); raft-kv-oneloop: the node's loop, Raft server and transport
# on one event loop (serve --raft-on-one-event-loop); raft-kv-loop1: that, and one event loop
# per process (--event-loops 1); raft-kv-inflight1: one append in flight per follower.
VARIANTS=${VARIANTS:-pool}

serve_options() {
  case $1 in
    oneloop) echo "--serve-option=--raft-on-one-event-loop" ;;
    loop1) echo "--serve-option=--raft-on-one-event-loop --serve-option=--event-loops=1" ;;
    inflight1) echo "--serve-option=--max-inflight-appends=1" ;;
    *) echo "" ;;
  esac
}

# CPU seconds (user + system) the given processes used so far.
cpu_seconds() {
  local ticks=0
  for p in "$@"; do
    read -r -a f < "/proc/$p/stat" || continue
    ticks=$((ticks + f[13] + f[14]))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }' 
}

# Runs a bench command and appends the servers' CPU per acknowledged write to its RESULT lines.
with_cpu() {
  local pids=$1; shift
  local before after line ops
  before=$(cpu_seconds $pids)
  "$@" | while read -r line; do
    after=$(cpu_seconds $pids)
    ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<< "$line")
    if [ -n "$ops" ] && [ "$ops" -gt 0 ]; then
      echo "$line server_cpu_us_per_op=$(awk -v a="$after" -v b="$before" -v n="$ops" 'BEGIN { printf "%.1f", (a - b) * 1e6 / n }')"
    else
      echo "$line"
    fi
    before=$after
  done
}

run_raft_kv() {
  local variant=$2
  rm -rf "$ROOT" "$ROOT.log"
  if [ "$variant" = nio ]; then export RAFT_KV_GLOBAL_EXECUTOR=nio; else unset RAFT_KV_GLOBAL_EXECUTOR; fi
  # shellcheck disable=SC2046
  "$RAFT_KV" local --data-dir "$ROOT" --raft-port 27001 --http-port 28001 --log-level error $(serve_options "$variant") > "$ROOT.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do grep -q "the cluster is up" "$ROOT.log" 2>/dev/null && break; sleep 0.1; done
  local servers
  servers=$(pgrep -P "$pid" | tr '\n' ' ' || true)
  with_cpu "$servers" "$RAFT_KV" bench --endpoint http://127.0.0.1:28001 --clients "$CLIENTS" --duration "$DURATION" $BENCH_OPTIONS \
    | sed "s/system=raft-kv /system=raft-kv-$variant /" || echo "FAILED raft-kv-$variant round $1"
  kill -INT "$pid"; wait "$pid" || echo "FAILED raft-kv local exit, round $1"
  unset RAFT_KV_GLOBAL_EXECUTOR
  rm -rf "$ROOT"
}

run_etcd() {
  "$PEERS/etcd-cluster.sh" start /tmp/peers-etcd-disk
  for clients in ${CLIENTS//,/ }; do
    with_cpu "$(cat /tmp/peers-etcd-disk/pids)" "$ETCD_BENCH" -clients "$clients" -dur "${DURATION}s" -label etcd-server-disk \
      || echo "FAILED etcd clients=$clients round $1"
  done
  "$PEERS/etcd-cluster.sh" stop /tmp/peers-etcd-disk
}

for round in $(seq "$ROUNDS"); do
  echo "# round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
  for variant in $VARIANTS; do run_raft_kv "$round" "$variant"; done
  if [ -z "${NO_ETCD:-}" ]; then run_etcd "$round"; fi
done
