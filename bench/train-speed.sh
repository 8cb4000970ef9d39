#!/usr/bin/env bash
# LoRA SFT throughput of `merlinite train` (TorchSharp sidecar, CPU, float32 base) on synthesized models.
# Figures: docs/benchmarks.md.
#
#   bench/train-speed.sh [THREADS]     default 2
#
# Data: 64 examples, each a ~100-token prompt and a ~30-token response in Merlinite's template; one epoch, batch 8,
# rank 8 on all seven projections. Reported: tokens (prompt + response) trained on per second of wall time, the
# sidecar's start-up and model loading included, and the sidecar's own per-step figure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T="${1:-2}"
W=.cache/bench/train
mkdir -p "$W"
[ -x bin/merlinite ] || { echo "bin/merlinite missing: run ./build.sh" >&2; exit 1; }
[ -f "$W/tiny.gguf" ] || bin/merlinite synth --preset tiny --seed 1 --out "$W/tiny.gguf" >/dev/null
[ -f "$W/small.gguf" ] || bin/merlinite synth --preset small --type f16 --seed 1 --out "$W/small.gguf" >/dev/null
python3 - "$W/sft.jsonl" <<'PY'
import json, sys
words = "the a model answer question list number word sort reverse add two three four five six seven".split()
with open(sys.argv[1], "w") as f:
    for i in range(64):
        prompt = " ".join(words[(i * 7 + j) % len(words)] for j in range(60))
        response = " ".join(words[(i * 3 + j) % len(words)] for j in range(18))
        f.write(json.dumps({"id": f"b{i}", "prompt": prompt, "response": response}) + "\n")
PY
echo "## $(date -u +%FT%TZ) threads=$T"
for m in tiny small; do
  rm -rf "$W/$m-adapter.gguf"*
  start=$(date +%s.%N)
  MERLINITE_PLAIN_PROGRESS=1 bin/merlinite train -m "$W/$m.gguf" -i "$W/sft.jsonl" -o "$W/$m-adapter.gguf" \
    --epochs 1 --batch-size 8 --lora-rank 8 -t "$T" --checkpoint-every 0 --dtype f32 --device cpu --checkpointing off 2> "$W/$m.log"
  end=$(date +%s.%N)
  tokens=$(grep -o '[0-9]* tokens trained' "$W/$m.log" | grep -o '^[0-9]*')
  last=$(grep -o '[0-9]* tok/s' "$W/$m.log" | tail -1)
  python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'$m: {int(sys.argv[3])} tokens in {t:.1f} s wall = {int(sys.argv[3])/t:.0f} tok/s (last step, sidecar: $last)')" "$start" "$end" "$tokens"
done
