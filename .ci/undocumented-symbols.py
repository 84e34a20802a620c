#!/usr/bin/env python3
"""Lists the public declarations of the project's own source that have no doc comment, from
the symbol graphs `swift package generate-documentation` extracts (run it first); exits 1 if
there is any, or if a documented module has no symbol graph (its target was left out of the
documentation build). Synthesized and inherited members have no source location and are not
counted."""
import glob, json, os, sys
root = sys.argv[1] if len(sys.argv) > 1 else "."
# Every library module with a DocC catalog; .ci/run builds the documentation of each.
modules = ["RaftCore", "Raft", "RaftFileStore", "RaftNIO", "RaftTesting", "RaftKV"]
paths = sorted(glob.glob(os.path.join(root, ".build/*/extracted-symbols/*/*/*.symbols.json")))
missing = [m for m in modules if not any(os.path.basename(p) == m + ".symbols.json" for p in paths)]
for module in missing:
    print(f"no symbol graph for {module}: add --target {module} to the documentation build", file=sys.stderr)
found = []
for path in paths:
    graph = json.load(open(path))
    for symbol in graph["symbols"]:
        if symbol.get("accessLevel") not in ("public", "open"):
            continue
        location = symbol.get("location", {}).get("uri", "")
        if "/Sources/" not in location or "/.build/" in location:
            continue  # synthesized, inherited or from a dependency
        if symbol.get("docComment", {}).get("lines"):
            continue
        line = symbol["location"]["position"]["line"] + 1
        rel = location.split("/Sources/", 1)[1]
        found.append(f"Sources/{rel}:{line}: {symbol['kind']['displayName']} {'.'.join(symbol['pathComponents'])}")
for entry in sorted(set(found)):
    print(entry)
print(f"{len(set(found))} undocumented public declarations", file=sys.stderr)
sys.exit(1 if found or missing else 0)
