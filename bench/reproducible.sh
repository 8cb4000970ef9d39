#!/usr/bin/env bash
# The reproducible mode across CPUs and thread counts, shown file by file.
#
#   bench/reproducible.sh [-o DIR] [--lab] [--threads "1 2"] [CPU ...]
#
# 1. On this CPU, once per thread count: `merlinite world tiny` (reproducible by default) and recipes/tiny.yaml
#    (reproducible: true), plus the LAB teacher and recipes/lab-tiny.yaml with --lab; every output is compared.
# 2. For each CPU, a QEMU model (qemu-x86_64 -cpu MODEL; default EPYC-Milan, AMD Zen 3, and Haswell, Intel; `none`
#    skips this), under QEMU's user-mode emulation, where the CPUID every library reads is the emulated CPU's:
#    a whole training phase of the world (the instruct model's 152 LoRA steps, on this CPU's base) and the recipe(s) in
#    a copy of this CPU's world; their outputs are compared with this CPU's. Emulation is ~200× slower for the trainer,
#    so the world's 1,454 training steps are not all redone: about an hour per CPU without --lab.
#
# Data and models are compared byte for byte, .meta.json records by their digest (they also hold absolute paths),
# manifest.json without its timings and the run's own folder. Needs ./build.sh first and, for 2., qemu-user
# (apt-get install qemu-user). Exit status 0 when everything is equal.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
OUT=/tmp/merlinite-reproducible
LAB=0
THREADS="1 2"
CPUS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o) OUT="$2"; shift 2 ;;
    --lab) LAB=1; shift ;;
    --threads) THREADS="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) CPUS+=("$1"); shift ;;
  esac
done
[ ${#CPUS[@]} -gt 0 ] || CPUS=(EPYC-Milan Haswell)
[ -x "$M" ] || { echo "bench/reproducible.sh: $M is missing; run ./build.sh" >&2; exit 2; }
mkdir -p "$OUT"
RECIPES=(tiny.yaml); [ "$LAB" = 1 ] && RECIPES+=(lab-tiny.yaml)

# What a run produced, one line per file: its path and a hash of what must be equal.
summary() { # dir subdir
  (cd "$1" && find "$2" -type f ! -name '*.partial' | sort | while read -r f; do
    case "$f" in
      *.meta.json) printf '%s digest %s\n' "$f" \
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$f")" ;;
      */manifest.json) printf '%s %s\n' "$f" "$(python3 -c 'import json,sys
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if "seconds" not in k}
    if isinstance(o, list): return [strip(v) for v in o]
    return o.replace(sys.argv[2], "") if isinstance(o, str) else o
print(json.dumps(strip(json.load(open(sys.argv[1]))), sort_keys=True))' "$f" "$PWD" | sha256sum | cut -c1-16)" ;;
      *) printf '%s %s\n' "$f" "$(sha256sum < "$f" | cut -c1-16)" ;;
    esac
  done)
}

status=0
compare() { # name first-listing other-listing
  if diff -q "$2" "$3" >/dev/null; then echo "$1: all $(wc -l < "$3") files equal"
  else
    status=1
    echo "$1: $(diff "$2" "$3" | grep -c '^>') of $(wc -l < "$3") files differ, the first:"
    diff "$2" "$3" | grep '^>' | head -5
  fi
}

# 1. This CPU, each thread count: the world from nothing and the recipes.
first=""
for t in $THREADS; do
  dir="$OUT/native-t$t"; rm -rf "$dir"; mkdir -p "$dir/recipes"
  cp "${RECIPES[@]/#/$ROOT/recipes/}" "$dir/recipes/"
  lab=(--no-lab); [ "$LAB" = 1 ] && lab=()
  start=$SECONDS
  ( cd "$dir"
    "$M" world tiny -o runs/tiny/world -t "$t" "${lab[@]}"
    for r in "${RECIPES[@]}"; do "$M" run "recipes/$r" -t "$t"; done
  ) > "$dir.log" 2>&1 || { echo "native-t$t: failed, see $dir.log" >&2; exit 1; }
  summary "$dir" runs > "$dir.files"
  echo "native-t$t: world and recipes in $((SECONDS - start)) s"
  if [ -z "$first" ]; then first=native-t$t; else compare "native-t$t vs $first" "$OUT/$first.files" "$dir.files"; fi
done

# 2. Emulated CPUs: one whole training phase of the world, then the recipes, in a copy of this CPU's world.
for cpu in "${CPUS[@]}"; do
  [ "$cpu" = none ] && continue
  command -v qemu-x86_64 >/dev/null \
    || { echo "bench/reproducible.sh: qemu-x86_64 is missing (apt-get install qemu-user)" >&2; exit 2; }
  dir="$OUT/$cpu"; rm -rf "$dir"; mkdir -p "$dir/recipes" "$dir/runs/tiny"
  cp "${RECIPES[@]/#/$ROOT/recipes/}" "$dir/recipes/"
  cp -r "$OUT/$first/runs/tiny/world" "$dir/runs/tiny/world"
  # The trainer is a child process: without this it would run on the real CPU. .NET's background GC thread crashed
  # under QEMU now and then (an emulation limit, not a result), so the emulated trainer runs without it.
  printf '#!/bin/sh\nDOTNET_gcConcurrent=0 exec qemu-x86_64 -cpu %s "%s" "$@"\n' "$cpu" \
    "$ROOT/bin/trainer/Merlinite.Trainer" > "$dir/trainer.sh"
  chmod +x "$dir/trainer.sh"
  Q=(env MERLINITE_TRAINER="$dir/trainer.sh" qemu-x86_64 -cpu "$cpu" "$M")
  t=${THREADS%% *}
  start=$SECONDS
  ( cd "$dir/runs/tiny/world"
    # The instruct model's tuning as `world tiny` runs it (TinyWorldBuilder: rank 32, lr 3e-3, 4 epochs, batch 16,
    # warmup 10, seed 7 + 1, float32), on this CPU's base.
    "${Q[@]}" train -m base.gguf -i instruct-data.jsonl -o emulated-instruct-adapter.gguf --lora-rank 32 \
      --lora-alpha 32 --lr 0.003 --epochs 4 --batch-size 16 --warmup-steps 10 --seed 8 --dtype f32 --device cpu \
      --reproducible -t "$t"
  ) > "$dir.log" 2>&1 || { echo "$cpu: training failed, see $dir.log" >&2; status=1; continue; }
  if cmp -s "$dir/runs/tiny/world/emulated-instruct-adapter.gguf" "$dir/runs/tiny/world/instruct-adapter.gguf"; then
    echo "$cpu: the world's instruct tuning (152 steps) gives the same adapter bytes ($((SECONDS - start)) s)"
  else status=1; echo "$cpu: the world's instruct tuning gives another adapter"; fi
  rm -f "$dir/runs/tiny/world/emulated-instruct-adapter.gguf"*
  start=$SECONDS
  ( cd "$dir"; for r in "${RECIPES[@]}"; do "${Q[@]}" run "recipes/$r" -t "$t"; done ) >> "$dir.log" 2>&1 \
    || { echo "$cpu: the recipes failed, see $dir.log" >&2; status=1; continue; }
  summary "$dir" runs > "$dir.files"
  compare "$cpu (recipes in $((SECONDS - start)) s) vs $first" "$OUT/$first.files" "$dir.files"
done
grep -h "^round .*held-out accuracy" "$OUT/$first.log" | tail -1 || true
exit $status
