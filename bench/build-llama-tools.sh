#!/usr/bin/env bash
# Builds llama.cpp's own CPU benchmark tools (llama-batched-bench, llama-bench) in the same CMake tree as the
# libraries `./build.sh` compiles for this machine (.cache/llama-native: the pinned v0.5.0 source, GGML_NATIVE,
# OpenMP, shared libraries). The tools therefore run on exactly the ggml that bin/merlinite loads, so their figures
# are a like-for-like ceiling for our engine (bench/README.md, docs/benchmarks.md).
#
#   bench/build-llama-tools.sh     -> .cache/llama-native/bin/llama-batched-bench, .cache/llama-native/bin/llama-bench
#
# Idempotent (CMake rebuilds only what changed). Needs the default build first (./build.sh; not --prebuilt/--cuda).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD=.cache/llama-native
case "${1:-}" in -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "build-llama-tools.sh: unknown argument '$1'" >&2; exit 2 ;; esac
[ -f "$BUILD/.merlinite-stamp" ] || { echo "build-llama-tools.sh: $BUILD is not built yet: run ./build.sh first (the default, compiled llama.cpp)" >&2; exit 1; }
cmake --build "$BUILD" --target llama-batched-bench llama-bench -j "$(nproc)" >/dev/null
ls "$ROOT/$BUILD/bin/llama-batched-bench" "$ROOT/$BUILD/bin/llama-bench"
