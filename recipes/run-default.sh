#!/usr/bin/env bash
# The main job, until YAML recipes land: synthesize the tiny Merlinite-format model and chat with it once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
M="$ROOT/bin/merlinite"
mkdir -p "$ROOT/gguf"
"$M" synth --arch mistral --preset tiny --seed 1 --out "$ROOT/gguf/tiny-mistral.gguf"
"$M" gguf info "$ROOT/gguf/tiny-mistral.gguf" | head -n 20
"$M" chat "$ROOT/gguf/tiny-mistral.gguf" -p "Reverse the list: 3 1 2" --seed 7 --max-tokens 32
