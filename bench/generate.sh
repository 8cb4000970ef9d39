#!/usr/bin/env bash
# LAB data generation (`merlinite generate-data`) on the tiny world's taxonomy and teacher, with the settings of
# recipes/lab-tiny.yaml: the teacher's replies batched (N = 8 samples per question-writing prompt, 32 sequences per
# llama_decode) vs one request at a time (the same N and prompts, one sequence at a time, as a server without batching
# answers them). Interleaved, ratios from one run side by side: per run the wall time, the teacher replies made (question
# samples + question checks + answers + pair checks, from report.json) and replies per second.
# Usage: bench/generate.sh [REPS]   (needs bin/merlinite; uses runs/tiny/world, building it if missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
W="$ROOT/runs/tiny/world"
REPS="${1:-3}"
[ -f "$W/teacher.gguf" ] || "$M" world tiny --out "$W" -t 2 >/dev/null 2>&1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
P="$W/lab-prompts"
prompts=()
for n in questions grounded_questions question_check answer grounded_answer pair_check grounded_pair_check; do prompts+=(--prompt "$n=$P/$n.txt"); done
replies() { python3 - "$1/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(sum(l["samples"] + sum(f["in"] for f in l["filters"][1:]) for l in r["leaves"]))
PY
}
for rep in $(seq 1 "$REPS"); do
  for np in 32 1; do
    rm -rf "$OUT/np$np"
    start=$(date +%s%N)
    "$M" generate-data --taxonomy "$W/taxonomy" --teacher "$W/teacher.gguf" -o "$OUT/np$np" --questions 256 --n 8 -np "$np" \
      --system "" --temp 0.7 --top-k 0 --top-p 1 --min-p 0 --max-tokens 16 --answer-tokens 8 --check-tokens 12 --min-question-rating 5 --min-pair-rating 1 \
      --chunk-words 24 -c 2048 -t 2 "${prompts[@]}" >/dev/null 2>&1
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    n=$(replies "$OUT/np$np")
    echo "rep $rep parallel $np: $ms ms, $n teacher replies, $(python3 -c "print(f'{$n * 1000 / $ms:.0f}')") replies/s"
  done
done
