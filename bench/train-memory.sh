#!/usr/bin/env bash
# The trainer's memory plan against measured peak resident memory, from a tiny model to the Mistral-7B shape, and the
# 7B LoRA step on the CPU (issue 12). Figures go to docs/benchmarks.md.
#
#   bench/train-memory.sh              tiny, small (54.5M) and mid (0.5B) models
#   bench/train-memory.sh --with-7b    also the Mistral-7B shape in bf16 (writes a 14.5 GB file; needs ~17 GB of RAM)
#
# Each run is the trainer as `merlinite train` runs it when memory is tight: freed buffers go back at once
# (MALLOC_MMAP_THRESHOLD_=65536; see the trainer's Runtime/HostHeap), so peaks measure the plan. Exactly 256-token
# examples, one per micro-batch, LoRA r=16 on all seven targets, 2 optimizer steps. THREADS (default 2) and WORK (a
# scratch folder). HEAP=glibc runs the trainer as it runs with memory to spare (glibc's heap keeps freed buffers), to
# compare its speed and peak against the plan.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"; T="$ROOT/bin/trainer/Merlinite.Trainer"
W="${WORK:-/tmp/merlinite-train-memory}"; THREADS="${THREADS:-2}"
WITH_7B=0; [ "${1:-}" = "--with-7b" ] && WITH_7B=1
mkdir -p "$W"

synth() { [ -f "$W/$1.gguf" ] || "$M" synth "${@:2}" --seed 1 --out "$W/$1.gguf" >/dev/null; }
synth tiny --preset tiny
synth small --preset small
synth mid --preset small --dims n_embd=2048,n_layer=8,n_head=16,n_head_kv=8,n_ff=5632
[ "$WITH_7B" = 1 ] && synth mistral-7b --preset mistral-7b --type bf16

# Four examples of exactly 256 tokens (ids every model's vocabulary has), the second half trained on.
python3 - "$W/data.jsonl" <<'PY'
import json, random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    for _ in range(4):
        tokens = [1] + [random.randint(300, 1000) for _ in range(255)]
        f.write(json.dumps({"tokens": tokens, "mask": [0] * 128 + [1] * 128}) + "\n")
PY

HEAP_ENV=(MALLOC_MMAP_THRESHOLD_=65536); [ "${HEAP:-exact}" = glibc ] && HEAP_ENV=()
run() { # model dtype checkpointing
  env "${HEAP_ENV[@]}" "$T" --base "$W/$1.gguf" --data "$W/data.jsonl" --out "$W/$1-adapter.gguf" \
    --rank 16 --alpha 32 --dropout 0 --targets attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down --lr 1e-4 \
    --warmup-steps 0 --max-steps 2 --batch-size 1 --grad-accum 1 --max-grad-norm 1 --weight-decay 0 --seed 0 \
    --checkpoint-every 0 --threads "$THREADS" --device cpu --dtype "$2" --checkpointing "$3" |
  python3 -c '
import json, sys
r = {}
for line in sys.stdin:
    e = json.loads(line)
    if e["event"] == "plan": r["plan"] = e["total_bytes"]
    if e["event"] == "start": r["load"] = e["load_seconds"]
    if e["event"] == "step": r.setdefault("steps", []).append(e["seconds"])
    if e["event"] == "done": r["peak"] = e["peak_resident_bytes"]
    if e["event"] == "error": sys.exit("trainer: " + e["message"])
G = 2**30
plan, peak, load, steps = r["plan"], r["peak"], r["load"], r["steps"]
print("| %s | %s | %s | %.2f | %.2f | %.3f | %.1f | %.2f |" % (sys.argv[1], sys.argv[2], sys.argv[3], plan / G, peak / G, peak / plan, load, sum(steps) / len(steps)))
' "$1" "$2" "$3"
}

echo "$(date -u +%F), $(nproc) cores, threads $THREADS, heap ${HEAP:-exact}; seq 256, 1 example per micro-batch, LoRA r=16 all seven targets, 2 steps"
echo "| model | dtype | checkpointing | plan GiB | measured peak GiB | measured / plan | load s | s per step |"
echo "|---|---|---|---|---|---|---|---|"
for m in tiny small mid; do
  for cfg in "bf16 on" "bf16 off" "f32 off"; do run $m $cfg; done
done
if [ "$WITH_7B" = 1 ]; then run mistral-7b bf16 on; fi
