#!/usr/bin/env bash
# Builds the libFuzzer target for RaftNIO's frame decoder and runs it for a bounded time.
#
#   Fuzz/run.sh [seconds]        # default 60; FUZZ_OUT=<dir> (default .build/fuzz) holds the
#                                # binary, the corpus and any crash-* reproducers
#   .build/fuzz/frame-decoder-fuzz <crash-file>    # replays one input
#
# The decoder's sources (Sources/RaftNIO/Wire) are compiled here with
# `-sanitize=fuzzer,address` so libFuzzer sees their coverage; NIOCore, Raft and RaftCore come
# uninstrumented from the package's debug build (`swift build --target RaftNIO`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out="${FUZZ_OUT:-.build/fuzz}"
mkdir -p "$out/corpus"

swift build --target RaftNIO >/dev/null
bin="$(swift build --show-bin-path)"

flags=(-I "$bin/Modules")
while IFS= read -r map; do flags+=(-Xcc "-fmodule-map-file=$map"); done < <(
  find "$bin" -maxdepth 2 -name module.modulemap
  find .build/checkouts -path '*/Sources/*/include/module.modulemap'
)
while IFS= read -r include; do flags+=(-Xcc "-I$include"); done < <(find .build/checkouts -path '*/Sources/*/include' -type d)

objects=()
for module in NIOCore NIOConcurrencyHelpers _NIOBase64 _NIODataStructures CNIOLinux CNIODarwin CNIOWindows CNIOFreeBSD CNIOOpenBSD CNIOWASI CNIOAtomics \
              Atomics _AtomicsShims DequeModule InternalCollectionsUtilities ContainersPreview Raft RaftCore Logging CoreMetrics; do
  while IFS= read -r object; do objects+=("$object"); done < <(find "$bin/$module.build" -name '*.o' 2>/dev/null)
done

swiftc -sanitize=fuzzer,address -parse-as-library -g -Onone -use-ld=lld -module-name FrameDecoderFuzz "${flags[@]}" \
  Fuzz/FrameDecoderFuzz/FrameDecoderFuzz.swift Sources/RaftNIO/Wire/*.swift "${objects[@]}" \
  -o "$out/frame-decoder-fuzz"

# A small quarantine keeps ASan's memory flat over long runs (the default holds 256 MB of
# freed blocks).
ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}" "$out/frame-decoder-fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" Fuzz/FrameDecoderFuzz/seeds
