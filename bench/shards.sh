#!/usr/bin/env bash
# The tiny recipe (recipes/tiny.yaml) with its parallel phases in 1 and 2 local shard processes, interleaved (ratios
# from one run side by side): per run, the seconds of its sample and reward phases summed over the rounds and the
# seconds its joins took (both from the run's manifest.json), the whole run's time, and whether every round's samples,
# rewards and held-out eval are byte-identical to the one-shard run's.
# Usage: bench/shards.sh [REPS]   (needs bin/merlinite; builds a tiny world in a temp folder once)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
REPS="${1:-3}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/recipes" && cp "$ROOT/recipes/tiny.yaml" "$W/recipes/"
"$M" world tiny --out "$W/runs/tiny/world" -t 2 >/dev/null 2>&1
figures() { python3 - "$1" <<'PY'
import json, sys
p = json.load(open(sys.argv[1] + "/manifest.json"))["phases"]
pick = lambda kind, key: sum(v.get(key) or 0 for k, v in p.items() if k.endswith("/" + kind))
print(f"sample {pick('sample', 'seconds'):.2f} s, reward {pick('reward', 'seconds'):.2f} s, sample+reward {pick('sample', 'seconds') + pick('reward', 'seconds'):.2f} s, "
      f"joins {1000 * sum(v.get('join_seconds') or 0 for v in p.values()):.0f} ms")
PY
}
for rep in $(seq 1 "$REPS"); do
  for n in 1 2; do
    rm -rf "$W/run-$n"
    start=$(date +%s%N)
    "$M" run "$W/recipes/tiny.yaml" -o "$W/run-$n" --shards "$n" -t 2 >/dev/null 2>&1
    echo "rep $rep shards $n: run $(( ($(date +%s%N) - start) / 1000000 )) ms; $(figures "$W/run-$n")"
  done
  same=yes
  for f in "$W"/run-1/round-*/samples.jsonl "$W"/run-1/round-*/rewards.jsonl "$W"/run-1/round-*/eval.jsonl; do
    cmp -s "$f" "${f/run-1/run-2}" || same="no ($f)"
  done
  echo "rep $rep: every round's samples, rewards and eval identical: $same"
done
