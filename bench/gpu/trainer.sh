#!/usr/bin/env bash
# The trainer on CUDA (issue 12, and step 3 of issue 18), run on the GPU machine from the repository root with the
# payload from bench/gpu/pack.sh:
#
#   run --carry .gpu 'bash bench/gpu/trainer.sh'
#
# Writes $OUT/gpu-trainer.md as it goes (a run cut short still returns what it measured) and the raw JSON Lines beside
# it. In order: what the trainer sees (--info); CPU-vs-CUDA parity on the small model in f32 (same libtorch, same
# seed, per-step losses); the Mistral-7B-shape bf16 LoRA step with checkpointing (r=16, all seven targets, 4 x 256
# tokens per step): tokens/s, GPU memory (nvidia-smi sampled every 100 ms, and the trainer's own figure) against the
# memory plan; the same shape with transformers + PEFT; then, while DEADLINE seconds allow, both without checkpointing.
#
# Rehearse here without a GPU: TRAINER=bin/trainer/Merlinite.Trainer DEVICE=cpu BIG="--preset tiny" with a stand-in
# nvidia-smi on PATH (bench/gpu/rehearse.sh does exactly that).
set -uo pipefail
DEVICE=${DEVICE:-cuda:0}; BIG=${BIG:---preset mistral-7b --type bf16}
START=$(date +%s); DEADLINE=${DEADLINE:-400}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"; R="$OUT/gpu-trainer.md"; W=/dev/shm/merlinite; mkdir -p "$W"
say() { echo "$*" | tee -a "$R"; }
left() { echo $((DEADLINE - ($(date +%s) - START))); }
M="$PWD/${MERLINITE:-.gpu/merlinite}"
if [ -n "${TRAINER:-}" ]; then T="$PWD/$TRAINER"; else tar -C "$W" -xJf .gpu/trainer.tar.xz; T="$W/trainer/Merlinite.Trainer"; fi
TORCH_LIB=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH="$TORCH_LIB:${LD_LIBRARY_PATH:-}" MALLOC_MMAP_THRESHOLD_=65536

say "# Trainer on CUDA — $(date -u +%FT%TZ), payload: $(head -1 .gpu/PAYLOAD)"
say ""
say "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
say "- torch: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>&1 | tail -1), lib $TORCH_LIB"
say "- trainer --info --device $DEVICE: \`$("$T" --info --device "$DEVICE" 2>&1 | tail -1)\`"

# Examples of exactly 256 tokens (ids every model's vocabulary has); the loss is on the second half.
python3 - "$W/data.jsonl" <<'PY'
import json, random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    for _ in range(64):
        tokens = [1] + [random.randint(300, 1000) for _ in range(255)]
        f.write(json.dumps({"tokens": tokens, "mask": [0] * 128 + [1] * 128}) + "\n")
PY

train() { # name model device dtype checkpointing steps batch
  "$T" --base "$W/$2.gguf" --data "$W/data.jsonl" --out "$W/$1-adapter.gguf" \
    --rank 16 --alpha 32 --dropout 0 --targets attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down --lr 1e-4 \
    --warmup-steps 0 --max-steps "$6" --batch-size "$7" --grad-accum 1 --max-grad-norm 1 --weight-decay 0 --seed 0 \
    --checkpoint-every 0 --threads 8 --device "$3" --dtype "$4" --checkpointing "$5" > "$OUT/$1.jsonl" 2> "$OUT/$1.err"
}

# 1. Parity: the same run on the CPU and on CUDA (f32, small model, 4 steps of 4 examples). SKIP_PARITY=1 skips it.
if [ "${SKIP_PARITY:-0}" != 1 ]; then
"$M" synth --preset small --seed 1 --out "$W/small.gguf" >/dev/null 2>&1
train small-cpu small cpu f32 off 4 4; train small-cuda small "$DEVICE" f32 off 4 4
say ""
say "## CPU vs CUDA, small model, f32, 4 steps"
python3 - "$OUT/small-cpu.jsonl" "$OUT/small-cuda.jsonl" <<'PY' | tee -a "$R"
import json, sys
def losses(p):
    return [e["loss"] for e in map(json.loads, open(p)) if e["event"] == "step"]
a, b = losses(sys.argv[1]), losses(sys.argv[2])
print("- cpu losses:  " + ", ".join("%.6f" % x for x in a))
print("- cuda losses: " + ", ".join("%.6f" % x for x in b))
if len(a) == len(b) == 4: print("- max |Δ| %.2e" % max(abs(x - y) for x, y in zip(a, b)))
else: print("- incomplete: see small-cpu.err / small-cuda.err")
PY
fi

# 2. The 7B shape, ours then PEFT, with a 100 ms nvidia-smi sampler around each run.
t=$(date +%s); "$M" synth $BIG --seed 1 --out "$W/mistral-7b.gguf" >/dev/null 2>&1
say ""; say "- synth mistral-7b bf16: $(( $(date +%s) - t )) s"

sampled() { # name command... ; prints the peak memory.used minus the value before it started, in bytes
  local base; base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
  local name=$1; shift
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$OUT/smi-$name.log" & local smi=$!
  "$@"; local rc=$?
  kill $smi 2>/dev/null; wait $smi 2>/dev/null
  echo $(( ($(sort -n "$OUT/smi-$name.log" | tail -1) - base) * 1048576 )) > "$W/sampled"
  return $rc
}

ours() { # checkpointing
  sampled "7b-$1" train "7b-$1" mistral-7b "$DEVICE" bf16 "$1" 8 4
  python3 - "$OUT/7b-$1.jsonl" "$(cat "$W/sampled")" "$1" <<'PY' | tee -a "$R"
import json, sys
ev = {}
for e in map(json.loads, open(sys.argv[1])):
    ev.setdefault(e["event"], []).append(e)
if "done" not in ev: sys.exit("| ours | %s | failed: %s |" % (sys.argv[3], ev.get("error", [{"message": "see .err"}])[0]["message"]))
steps = [e["seconds"] for e in ev["step"]][1:]
med = sorted(steps)[len(steps) // 2]
G = 2**30; plan = ev["plan"][0]["total_bytes"]; sampled = int(sys.argv[2]); own = ev["done"][0].get("peak_gpu_bytes", 0)
print("| ours (merlinite trainer) | %s | %.0f | %.3f | %.2f | %.2f | %.2f | %.3f | load %.1f s, losses %s |" % (
    sys.argv[3], 1024 / med, med, plan / G, sampled / G, own / G, sampled / plan, ev["start"][0]["load_seconds"],
    ", ".join("%.3f" % e["loss"] for e in ev["step"])))
PY
}

peft() { # checkpointing
  sampled "peft-$1" python3 bench/gpu/peft_step.py "$W/data.jsonl" --steps 8 --batch 4 --checkpointing "$1" > "$OUT/peft-$1.json" 2> "$OUT/peft-$1.err"
  python3 - "$OUT/peft-$1.json" "$(cat "$W/sampled")" <<'PY' | tee -a "$R"
import json, sys
try: r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
except Exception: sys.exit("| transformers + PEFT | failed: see peft .err |")
G = 2**30
print("| transformers %s + PEFT %s (%s, adapters %s) | %s | %.0f | %.3f | – | %.2f | %.2f (allocated), %.2f (reserved) | – | build %.1f s, losses %s |" % (
    r["transformers"], r["peft"], r["attn_implementation"], r["adapter_dtype"], r["checkpointing"], r["tokens_per_second"],
    r["median_step_seconds"], int(sys.argv[2]) / G, r["max_memory_allocated"] / G, r["max_memory_reserved"] / G,
    r["build_seconds"], ", ".join("%.3f" % x for x in r["losses"])))
PY
}

say ""
say "## Mistral-7B shape, bf16 base, LoRA r=16 on all seven targets, 4 x 256 tokens per step, 8 steps"
say ""
say "| trainer | checkpointing | tokens/s | s/step (median of steps 2-8) | plan GiB | nvidia-smi peak GiB | own GPU figure GiB | sampled / plan | notes |"
say "|---|---|---|---|---|---|---|---|---|"
ours on
peft on
[ "$(left)" -gt 120 ] && ours off
[ "$(left)" -gt 60 ] && peft off
say ""
say "total $(( $(date +%s) - START )) s"
