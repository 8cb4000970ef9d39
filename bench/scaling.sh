#!/usr/bin/env bash
# How the cost of sampling and scoring grows: tokens per second against the number of prompts, samples per prompt (N)
# and response length, on the synthesized small F16 model. Constant tokens/s = linear cost; a falling column is
# super-linear. Figures and findings: docs/benchmarks.md ("How cost grows").
#
#   bench/scaling.sh [THREADS]      default 2; about 15 minutes on 2 cores
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"; cd "$ROOT"
T="${1:-2}"; M=.cache/bench/small-f16.gguf; B=bin/merlinite
mkdir -p .cache/bench; [ -f "$M" ] || $B synth --preset small --type f16 --seed 1 --out "$M" >/dev/null 2>&1

gen() { $B bench sample -m "$M" -t "$T" --reps 1 --no-single "$@" | awk '/batched/ {print $NF}'; }          # gen-only tok/s
score() { $B bench score -m "$M" -t "$T" --reps 1 --no-single "$@" | awk '/shared-prompt/ {print $(NF-1)}'; }          # scored tok/s
workload() { $B bench workload -m "$M" -t "$T" --max-tokens 32 --min-prompt 64 --max-prompt 64 --stop '' --no-fixed "$@" | awk '/^continuous \(/ {print $NF}'; }

echo "## $(date -u +%FT%TZ), $(nproc) cores, threads $T, model $M"
echo; echo "### Sampling: tokens/s vs N (128-token prompt, 64 new tokens, generation phase)"
echo "| KV | N = 1 | 2 | 4 | 8 | 16 | 32 |"; echo "|---|---|---|---|---|---|---|"
echo "| one shared KV buffer | $(for n in 1 2 4 8 16 32; do printf '%s | ' "$(gen --n $n --gen-tokens 64)"; done)"
echo "| a KV buffer per sequence | $(for n in 1 2 4 8 16 32; do printf '%s | ' "$(gen --n $n --gen-tokens 64 --kv-per-sequence)"; done)"
echo; echo "### Sampling: tokens/s vs response length (N = 8, 128-token prompt)"
echo "| KV | 32 new tokens | 64 | 128 | 256 | 512 |"; echo "|---|---|---|---|---|---|"
echo "| one shared KV buffer | $(for g in 32 64 128 256 512; do printf '%s | ' "$(gen --n 8 --gen-tokens $g)"; done)"
echo "| a KV buffer per sequence | $(for g in 32 64 128 256 512; do printf '%s | ' "$(gen --n 8 --gen-tokens $g --kv-per-sequence)"; done)"
echo; echo "### Sampling: tokens/s vs prompts (N = 8, 64-token prompts, 32 new tokens, continuous batching, parallel 16)"
echo "| prompts | 16 | 64 | 256 |"; echo "|---|---|---|---|"
echo "| tok/s | $(for p in 16 64 256; do printf '%s | ' "$(workload --prompts $p)"; done)"
echo; echo "### Scoring: scored tokens/s vs prompts (N = 8, 128 + 64 tokens)"
echo "| prompts | 4 | 16 | 64 | 256 |"; echo "|---|---|---|---|---|"
echo "| tok/s | $(for p in 4 16 64 256; do printf '%s | ' "$(score --prompts $p)"; done)"
echo; echo "### Scoring: scored tokens/s vs N (4 prompts, 128 + 64 tokens)"
echo "| N | 1 | 2 | 4 | 8 | 16 | 32 |"; echo "|---|---|---|---|---|---|---|"
echo "| tok/s | $(for n in 1 2 4 8 16 32; do printf '%s | ' "$(score --n $n)"; done)"
echo; echo "### Scoring: scored tokens/s vs response length (4 prompts x 8, 128-token prompts)"
echo "| response tokens | 32 | 64 | 128 | 256 | 512 |"; echo "|---|---|---|---|---|---|"
echo "| tok/s | $(for r in 32 64 128 256 512; do printf '%s | ' "$(score --response-tokens $r)"; done)"
