#!/usr/bin/env python3
"""Prints the medians of raft-bench --json files as Markdown tables (one per file)."""
import json
import sys

HEADER = "| clients | batch | put/s (median) | runs (put/s) | CPU ns/op | p50 µs | p99 µs | p99.9 µs | peak RSS MiB |"
RULE = "| --: | --: | --: | --- | --: | --: | --: | --: | --: |"

for path in sys.argv[1:]:
    document = json.load(open(path))
    print(f"`{path}` (shape {document['shape']})\n")
    print(HEADER)
    print(RULE)
    for entry in document["medians"]:
        m = entry["median"]
        runs = ", ".join(f"{r:,.0f}" for r in entry["runs"])
        print(f"| {m['clients']} | {m['batch']} | {m['putsPerSecond']:,.0f} | {runs} | {m['cpuNanosecondsPerOp']:,.0f} "
              f"| {m['p50Micros']:,.1f} | {m['p99Micros']:,.1f} | {m['p999Micros']:,.1f} | {m['peakRSSBytes'] / 1048576:.1f} |")
    print()
