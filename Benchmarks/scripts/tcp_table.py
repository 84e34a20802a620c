#!/usr/bin/env python3
"""Median table of tcp.sh's RESULT lines: put/s per system and client count, with all runs."""
import re
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
cpu = defaultdict(list)
for path in sys.argv[1:]:
    for line in open(path):
        if not line.startswith("RESULT"):
            continue
        fields = dict(item.split("=", 1) for item in line.split()[1:])
        key = (fields["system"], int(fields["clients"]))
        runs[key].append(float(fields["put_per_s"]))
        if "cpu_ns_per_op" in fields:
            cpu[key].append(float(fields["cpu_ns_per_op"]))

print("| system | clients | put/s (median) | runs (put/s) | CPU ns/op (median) |")
print("| --- | --: | --: | --- | --: |")
for (system, clients) in sorted(runs):
    values = runs[(system, clients)]
    cpus = cpu.get((system, clients))
    print("| %s | %d | %s | %s | %s |" % (
        system, clients, f"{statistics.median(values):,.0f}", ", ".join(f"{v:,.0f}" for v in values),
        f"{statistics.median(cpus):,.0f}" if cpus else "-"))
