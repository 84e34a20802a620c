#!/usr/bin/env python3
"""Median table of Benchmarks/scripts/kv.sh output: put/s, p50/p99 and server CPU per write."""
import re
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for path in sys.argv[1:]:
    for line in open(path):
        if not line.startswith("RESULT"):
            continue
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        rows[(fields["system"], int(fields["clients"]))].append(fields)

print("| system | clients | put/s (median; runs) | p50 ms | p99 ms | server CPU µs/write |")
print("| --- | --: | --- | --: | --: | --: |")
for (system, clients), runs in sorted(rows.items(), key=lambda item: (item[0][1], item[0][0])):
    puts = [float(r["put_per_s"]) for r in runs]
    def median(name):
        values = [float(r[name]) for r in runs if name in r and float(r[name]) > 0]
        return statistics.median(values) if values else float("nan")
    runs_text = ", ".join(f"{p:,.0f}" for p in puts)
    print(f"| {system} | {clients} | {statistics.median(puts):,.0f} ({runs_text}) | {median('p50_ms'):.1f} | {median('p99_ms'):.0f} | {median('server_cpu_us_per_op'):.0f} |")
