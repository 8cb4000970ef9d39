#!/usr/bin/env bash
# Builds llama.cpp's own CPU benchmark tools (llama-batched-bench, llama-bench) in the same CMake tree as the
# libraries `./build.sh` compiles for this machine (.cache/llama-native: the pinned v0.5.0 source, GGML_NATIVE,
# OpenMP, shared libraries). The tools therefore run on exactly the ggml that bin/merlinite loads, so their figures
# are a like-for-like ceiling for our engine (bench/README.md, docs/benchmarks.md).
#
#   bench/build-llama-tools.sh             -> .cache/llama-native/bin/{llama-batched-bench,llama-bench,llama-perplexity}
#                                             (the kernels of ./build.sh --native-cpu)
#   bench/build-llama-tools.sh --portable  -> the same tools in .cache/llama-server-portable (x86-64-v3: the kernels
#                                             of the one-file bin/merlinite; configured by build-llama-server.sh)
#
# Idempotent (CMake rebuilds only what changed). Needs ./build.sh first (not --prebuilt/--cuda).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD=.cache/llama-native
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --portable) BUILD=.cache/llama-server-portable
    [ -f "$BUILD/CMakeCache.txt" ] || bench/build-llama-server.sh --portable >/dev/null ;;
  "") [ -f "$BUILD/.merlinite-stamp" ] || { echo "build-llama-tools.sh: $BUILD is not built yet: run ./build.sh --native-cpu first" >&2; exit 1; } ;;
  *) echo "build-llama-tools.sh: unknown argument '$1'" >&2; exit 2 ;;
esac
cmake --build "$BUILD" --target llama-batched-bench llama-bench llama-perplexity -j "$(nproc)" >/dev/null
ls "$ROOT/$BUILD/bin/llama-batched-bench" "$ROOT/$BUILD/bin/llama-bench" "$ROOT/$BUILD/bin/llama-perplexity"
