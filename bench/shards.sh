#!/usr/bin/env bash
# The tiny recipe with its sampling in 1 and 2 local shard processes, interleaved (ratios from one run side by side).
# Usage: bench/shards.sh [REPS]   (needs bin/merlinite; builds a tiny world in a temp folder once)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
REPS="${1:-3}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/recipes" && cp "$ROOT/recipes/tiny.yaml" "$W/recipes/"
"$M" world tiny --out "$W/runs/tiny/world" -t 2 >/dev/null 2>&1
for rep in $(seq 1 "$REPS"); do
  for n in 1 2; do
    rm -rf "$W/run-$n"
    start=$(date +%s.%N)
    "$M" run "$W/recipes/tiny.yaml" -o "$W/run-$n" --shards "$n" -t 2 >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "rep $rep shards $n: $(echo "$end - $start" | bc) s"
  done
  cmp -s "$W/run-1/round-3/samples.jsonl" "$W/run-2/round-3/samples.jsonl" && echo "rep $rep: samples identical"
done
