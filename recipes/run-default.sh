#!/usr/bin/env bash
# The main job (./build.sh run): build the tiny world from scratch, then run recipes/tiny.yaml in it and show the report.
# Everything lands in runs/tiny/ (ignored); a rerun reuses what is finished. Threads: MERLINITE_THREADS (default: all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
T="${MERLINITE_THREADS:-0}"
"$M" world tiny --out "$ROOT/runs/tiny/world" -t "$T" --no-lab   # the main job needs no LAB teacher (recipes/lab-tiny.yaml does)
"$M" run "$ROOT/recipes/tiny.yaml" -t "$T"
echo
cat "$ROOT/runs/tiny/run/report.md"
