#!/usr/bin/env bash
# The reproducible mode across CPUs, shown byte for byte: builds the tiny world (`merlinite world tiny`, reproducible by
# default) and runs recipes/tiny.yaml (reproducible: true) on this CPU, then again on CPUs without AVX-512 emulated by
# QEMU's user mode (qemu-x86_64 -cpu MODEL: the CPUID the libraries see is the emulated one, so llama.cpp, libtorch's
# ATen and MKL and .NET all take that CPU's code paths), and with another thread count; then compares every output.
#
#   bench/reproducible.sh [-o DIR] [--lab] [--threads "1 2"] [CPU ...]
#
# CPU: QEMU models, default EPYC-Milan (AMD Zen 3: AVX2, no AVX-512) and Haswell (Intel, the first x86-64-v3 CPU);
# `none` skips emulation. Emulation is slow (~3 s per trainer step of the 0.9M-parameter world; about an hour per CPU
# for the world and the recipe). --lab adds the LAB teacher and recipes/lab-tiny.yaml (another hour per CPU).
# Outputs are compared file by file: data and models byte for byte, .meta.json records by their digest (they also
# hold absolute paths), manifest.json without its timings and the run's own folder. Needs ./build.sh first and qemu-user (apt-get install
# qemu-user). Exit status 0 when every run equals the first.
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
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) CPUS+=("$1"); shift ;;
  esac
done
[ ${#CPUS[@]} -gt 0 ] || CPUS=(EPYC-Milan Haswell)
[ -x "$M" ] || { echo "bench/reproducible.sh: $M is missing; run ./build.sh" >&2; exit 2; }
mkdir -p "$OUT"

# One run: the world and the recipe(s) in OUT/NAME, the repository's layout (recipes/ beside runs/tiny/world).
run_one() { # name threads qemu-cpu-or-empty
  local name=$1 threads=$2 cpu=$3 dir="$OUT/$1" prefix=() env=()
  rm -rf "$dir"; mkdir -p "$dir/recipes"
  cp "$ROOT/recipes/tiny.yaml" "$ROOT/recipes/lab-tiny.yaml" "$dir/recipes/"
  if [ -n "$cpu" ]; then
    command -v qemu-x86_64 >/dev/null || { echo "bench/reproducible.sh: qemu-x86_64 is missing (apt-get install qemu-user)" >&2; exit 2; }
    # The trainer is a child process: without this it would run on the real CPU. .NET's background GC thread
    # crashed under QEMU now and then (a QEMU limitation, not a result), so the emulated trainer runs without it.
    printf '#!/bin/sh\nDOTNET_gcConcurrent=0 exec qemu-x86_64 -cpu %s "%s" "$@"\n' "$cpu" "$ROOT/bin/trainer/Merlinite.Trainer" > "$dir/trainer.sh"
    chmod +x "$dir/trainer.sh"
    prefix=(qemu-x86_64 -cpu "$cpu")
    env=(MERLINITE_TRAINER="$dir/trainer.sh")
  fi
  local lab=(--no-lab); [ "$LAB" = 1 ] && lab=()
  local start=$SECONDS
  ( cd "$dir"
    env "${env[@]}" "${prefix[@]}" "$M" world tiny -o runs/tiny/world -t "$threads" "${lab[@]}"
    env "${env[@]}" "${prefix[@]}" "$M" run recipes/tiny.yaml -t "$threads"
    if [ "$LAB" = 1 ]; then env "${env[@]}" "${prefix[@]}" "$M" run recipes/lab-tiny.yaml -t "$threads"; fi
  ) > "$dir.log" 2>&1 || { echo "$name: failed, see $dir.log" >&2; tail -5 "$dir.log" | grep -v 'qemu-x86_64: warning' >&2; return 1; }
  echo "$name: done in $((SECONDS - start)) s ($dir.log)"
}

# What a run produced, one line per file: path and a hash of what must be equal.
summary() { # dir
  (cd "$1" && find runs -type f ! -name '*.partial' | sort | while read -r f; do
    case "$f" in
      *.meta.json) printf '%s digest %s\n' "$f" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$f")" ;;
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

names=()
for t in $THREADS; do run_one "native-t$t" "$t" ""; names+=("native-t$t"); done
first_threads=${THREADS%% *}
for cpu in "${CPUS[@]}"; do
  [ "$cpu" = none ] && continue
  run_one "$cpu-t$first_threads" "$first_threads" "$cpu"; names+=("$cpu-t$first_threads")
done

status=0
summary "$OUT/${names[0]}" > "$OUT/${names[0]}.files"
echo "${names[0]}: $(wc -l < "$OUT/${names[0]}.files") files"
for n in "${names[@]:1}"; do
  summary "$OUT/$n" > "$OUT/$n.files"
  if diff -q "$OUT/${names[0]}.files" "$OUT/$n.files" >/dev/null; then
    echo "$n: all $(wc -l < "$OUT/$n.files") files equal ${names[0]}'s"
  else
    status=1
    echo "$n: differs from ${names[0]} in $(diff "$OUT/${names[0]}.files" "$OUT/$n.files" | grep -c '^>') files, the first:"
    diff "$OUT/${names[0]}.files" "$OUT/$n.files" | grep '^>' | head -5
  fi
done
grep -h "held-out accuracy" "$OUT/${names[0]}.log" | tail -1 || true
exit $status
