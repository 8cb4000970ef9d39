#!/usr/bin/env bash
# Issue 17 on the GPU: does a run split into shards equal a one-process run byte for byte with llama.cpp on CUDA, as it
# does on the CPU? Run on the GPU machine from the repository root with the payload of `bench/gpu/pack.sh shards`
# (.gpu/merlinite and .gpu/llama-src.tar.xz, the pinned llama.cpp source without its other backends):
#
#   run --carry .gpu 'bash bench/gpu/shards.sh'
#
# Builds libllama + ggml-cuda for sm_90a (no flash-attention kernels: the exact default does not use them), then for two
# worlds (tiny f32 and small ~50M f16 random models, 150 prompts x 4 answers a round, so several sampler and scorer
# blocks) runs round 0 (sample, reward, select, held-out eval) with 1 shard twice and with 2 and 3 local shards, and
# compares every data file with cmp. Writes $OUT/gpu-shards.md as it goes and copies the one-shard outputs to $OUT so
# they can be compared with a CPU run of the same recipe (bench/gpu/shards-cpu.sh).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"; R="$OUT/gpu-shards.md"
W=/tmp/merlinite-shards; mkdir -p "$W"
say() { echo "$*" | tee -a "$R"; }
M="$PWD/.gpu/merlinite"; ROOT="$PWD"
say "# Shards on CUDA — $(date -u +%FT%TZ), payload: $(head -1 .gpu/PAYLOAD 2>/dev/null)"
say "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"

# LIB_DIR=bin M=bin/merlinite rehearses the script here on the CPU libraries (no build).
[ -n "${M_OVERRIDE:-}" ] && M="$PWD/$M_OVERRIDE"
if [ -n "${LIB_DIR:-}" ]; then mkdir -p "$W/llama/build"; ln -sfn "$PWD/$LIB_DIR" "$W/llama/build/bin"; fi
if [ ! -f "$W/llama/build/bin/libllama.so" ]; then
  mkdir -p "$W/llama" && tar -C "$W/llama" -xJf .gpu/llama-src.tar.xz
  t0=$(date +%s)
  cmake -S "$W/llama" -B "$W/llama/build" -G Ninja -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a -DGGML_CUDA_FA=OFF \
    -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_COMMON=OFF -DLLAMA_OPENSSL=OFF -DGGML_CUDA_NCCL=OFF \
    -DCMAKE_BUILD_TYPE=Release > "$OUT/llama-build.log" 2>&1 \
  && cmake --build "$W/llama/build" --target llama -j "$(nproc)" >> "$OUT/llama-build.log" 2>&1 \
  || { say "- llama.cpp CUDA build FAILED (llama-build.log)"; tail -30 "$OUT/llama-build.log"; exit 1; }
  say "- llama.cpp v0.5.0 with CUDA (sm_90a, no FA kernels) built in $(( $(date +%s) - t0 )) s"
fi
export MERLINITE_LIB_DIR="$W/llama/build/bin"
"$M" info > "$OUT/info.txt" 2>&1; say "- merlinite info: $(grep -E 'gpu offload|backends' "$OUT/info.txt" | tr -s ' ' | paste -sd ';')"

DATA="round-0/samples.jsonl round-0/rewards.jsonl round-0/rewards.instruct-scores.jsonl round-0/rewards.reference-scores.jsonl round-0/winners.jsonl round-0/eval.jsonl"
world() { # NAME SYNTH-ARGS
  local d="$W/$1"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
  "$M" synth $2 --seed 1 -o base.gguf > /dev/null && "$M" synth $2 --seed 2 -o instruct.gguf > /dev/null
  python3 - > prompts.jsonl <<'PY'
import json
for i in range(200):
    d = [str((i * 7 + j) % 10) for j in range(3)]
    print(json.dumps({"id": f"q{i}", "source": "sort" if i % 2 else "reverse", "prompt": ("Sort: " if i % 2 else "Reverse: ") + " ".join(d), "answer": " ".join(sorted(d) if i % 2 else d[::-1])}))
PY
  cat > recipe.yaml <<'YAML'
name: shards-on-gpu
models:
  policy: {base: base.gguf}
  instruct: {path: instruct.gguf}
  reference: {path: base.gguf}
prompts: {files: [prompts.jsonl], per_round: 150, held_out: 40, seed: 3, system: ""}
rounds: {max: 0}
sampling: {n: 4, temperature: 1.0, max_tokens: 24, parallel: 32, context: 4096}
reward: {beta: 0.5, context: 4096, template: merlinite}
eval: {max_tokens: 8}
output: {dir: out}
YAML
  sha256sum base.gguf instruct.gguf | awk '{print $1}' | paste -sd' ' > models.sha256
  say ""; say "## $1 ($2; models sha256 $(cut -c1-12 models.sha256))"
  for run in 1:one 1:again 2:two 3:three; do
    n=${run%%:*}; name=${run#*:}; t0=$(date +%s%N)
    if "$M" run recipe.yaml -o "out-$name" --shards "$n" -t 4 > "run-$name.log" 2>&1; then
      say "- shards $n ($name): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    else say "- shards $n ($name): FAILED: $(tail -2 "run-$name.log" | tr '\n' ' ')"; fi
  done
  for name in again two three; do
    same=0; diff=""
    for f in $DATA; do if cmp -s "out-one/$f" "out-$name/$f"; then same=$((same+1)); else diff="$diff $f"; fi; done
    say "- one process vs $name: $same of 6 data files byte-identical${diff:+; differ:$diff}"
  done
  say "- lines: samples $(wc -l < out-one/round-0/samples.jsonl), rewards $(wc -l < out-one/round-0/rewards.jsonl), eval $(wc -l < out-one/round-0/eval.jsonl)"
  mkdir -p "$OUT/$1"; for f in $DATA; do cp "out-one/$f" "$OUT/$1/$(basename "$f")"; done; cp recipe.yaml models.sha256 "$OUT/$1/"
  cd "$ROOT"
}
world tiny "--preset tiny"
world small-f16 "--preset small --type f16"
say ""; say "done $(date -u +%FT%TZ)"
