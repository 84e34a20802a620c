#!/usr/bin/env bash
# Times two builds of raft-lincheck-bench against each other, alternating them ROUNDS times
# in one session (the machine is shared and noisy: compare medians and ratios, not single
# runs), and prints each history's median over the rounds of each build and their ratio.
#   Benchmarks/scripts/lincheck-compare.sh BEFORE AFTER [ROUNDS] [extra bench options...]
# BEFORE and AFTER are bench binaries, for example the release build of an earlier commit
# copied aside and the current one (.build/release/raft-lincheck-bench). Both run with no
# step limit; histories only one of them knows are left out.
set -euo pipefail
BEFORE=$1
AFTER=$2
ROUNDS=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
OUT=$(mktemp -d)
for round in $(seq "$ROUNDS"); do
  "$BEFORE" --tsv --runs 3 --max-steps 0 "$@" > "$OUT/before-$round.tsv" || true
  "$AFTER" --tsv --runs 3 --max-steps 0 "$@" > "$OUT/after-$round.tsv" || true
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import csv, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(kind):
    rows = {}
    for r in range(1, rounds + 1):
        with open(f"{out}/{kind}-{r}.tsv") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["name"].startswith("MISMATCH"):
                    continue
                rows.setdefault(row["name"], []).append(row)
    return rows
before, after = load("before"), load("after")
print(f"{'history':30} {'ops':>5} {'before ms':>10} {'after ms':>10} {'ratio':>7} {'steps before':>13} {'steps after':>12}  verdicts")
for name, rows in after.items():
    if name not in before:
        continue
    b = statistics.median(float(x["median_ms"]) for x in before[name])
    a = statistics.median(float(x["median_ms"]) for x in rows)
    verdicts = sorted({x["verdict"] for x in before[name]} | {x["verdict"] for x in rows})
    print(f"{name:30} {rows[0]['ops']:>5} {b:10.2f} {a:10.2f} {b / a if a else float('inf'):7.2f} "
          f"{before[name][0]['steps']:>13} {rows[0]['steps']:>12}  {','.join(verdicts)}")
PY
