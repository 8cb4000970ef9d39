#!/usr/bin/env bash
# Best-of-N sampling: `merlinite bench sample` vs llama.cpp's `llama-batched-bench -pps`, same model, N, lengths and
# threads, in one run (this machine is noisy: compare figures from the same run only). Figures: docs/benchmarks.md.
#
#   bench/sample-vs-batched-bench.sh [THREADS]     default 2
#
# Needs bin/merlinite (./build.sh) and the llama.cpp tools (bench/build-llama-tools.sh). The model is a synthesized
# ~55M-parameter F16 Mistral (`merlinite synth --preset small --type f16`), written to .cache/bench/.
# Our engine runs twice: with the npm prebuilt libraries it ships with, and with the GGML_NATIVE build of the same
# llama.cpp source that `./build.sh --native-cpu` makes (.cache/llama-native), which is what llama-batched-bench is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T="${1:-2}"
M=.cache/bench/small-f16.gguf
BB=.cache/llama-build/bin/llama-batched-bench
[ -x bin/merlinite ] || { echo "bin/merlinite missing: run ./build.sh" >&2; exit 1; }
[ -x "$BB" ] || bench/build-llama-tools.sh
mkdir -p .cache/bench
[ -f "$M" ] || bin/merlinite synth --preset small --type f16 --seed 1 --out "$M"

echo "## $(date -u +%FT%TZ) threads=$T model=$M"
echo "### llama-batched-bench -pps (llama.cpp's defaults: F16 KV cache, flash attention auto)"
"$BB" -m "$M" -c 4096 -b 2048 -ub 512 -npp 128 -ntg 64 -npl 1,8,16 -pps -t "$T" 2>/dev/null | grep -E '^\|'
for attn in "" "--fast-attn"; do
  echo "### merlinite bench sample ${attn:-(exact attention)}, npm prebuilt libraries"
  bin/merlinite bench sample -m "$M" --n 8,16 -t "$T" --reps 3 $attn
  if [ -d .cache/llama-native/bin ]; then
    echo "### merlinite bench sample ${attn:-(exact attention)}, GGML_NATIVE libraries (.cache/llama-native)"
    MERLINITE_LIB_DIR=.cache/llama-native/bin bin/merlinite bench sample -m "$M" --n 8,16 -t "$T" --reps 3 --no-single $attn
  fi
done
