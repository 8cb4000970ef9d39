#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the pinned v0.5.0 source (.cache/llama.cpp, fetched by ./build.sh) with the
# options of the default build (GGML_NATIVE, OpenMP), in its own tree (.cache/llama-server), as the anchor that
# bench/serve-load.py compares `merlinite serve` with. Never committed.
#
#   bench/build-llama-server.sh     -> .cache/llama-server/bin/llama-server
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "build-llama-server.sh: unknown argument '$1'" >&2; exit 2 ;; esac
[ -d .cache/llama.cpp ] || { echo "build-llama-server.sh: .cache/llama.cpp is missing: run ./build.sh first" >&2; exit 1; }
cmake -S .cache/llama.cpp -B .cache/llama-server -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON -DGGML_OPENMP=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_OPENSSL=OFF >/dev/null
cmake --build .cache/llama-server --target llama-server -j "$(nproc)" >/dev/null
ls "$ROOT/.cache/llama-server/bin/llama-server"
