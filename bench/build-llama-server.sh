#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the pinned v0.5.0 source (.cache/llama.cpp, fetched by ./build.sh) as the anchor
# that bench/serve-load.py compares `merlinite serve` with. Never committed.
#
#   bench/build-llama-server.sh             -> .cache/llama-server/bin/llama-server (GGML_NATIVE, OpenMP: the options
#                                              of ./build.sh --native-cpu)
#   bench/build-llama-server.sh --portable  -> .cache/llama-server-portable/bin/llama-server (x86-64-v3, OpenMP: the
#                                              options of the one-file bin/merlinite, so both run the same kernels)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TREE=.cache/llama-server ISA="-DGGML_NATIVE=ON"
case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --portable) TREE=.cache/llama-server-portable
    ISA="-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    ISA="$ISA -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DCMAKE_C_FLAGS=-ffp-contract=off -DCMAKE_CXX_FLAGS=-ffp-contract=off" ;;
  "") ;;
  *) echo "build-llama-server.sh: unknown argument '$1'" >&2; exit 2 ;;
esac
[ -d .cache/llama.cpp ] || { echo "build-llama-server.sh: .cache/llama.cpp is missing: run ./build.sh first" >&2; exit 1; }
# shellcheck disable=SC2086
cmake -S .cache/llama.cpp -B "$TREE" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON $ISA -DGGML_OPENMP=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_OPENSSL=OFF >/dev/null
cmake --build "$TREE" --target llama-server -j "$(nproc)" >/dev/null
ls "$ROOT/$TREE/bin/llama-server"
