#!/usr/bin/env bash
# Issue 31's serving figures (docs/benchmarks.md): `merlinite serve` with and without its prompt-prefix cache, against
# llama-server built with the same kernels (bench/build-llama-server.sh --portable: x86-64-v3, like the one-file
# bin/merlinite), one after the other in one sitting, under bench/serve-load.py (64 clients x 4 requests, 64 tokens
# per choice). Needs python3.
#
#   bench/serve-prefix.sh [MODEL.gguf]     (default: the synthesized 54.5M-parameter F16 Mistral, made if missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
M="${1:-/tmp/merlinite-bench/small-f16.gguf}"
[ -f "$M" ] || { mkdir -p "$(dirname "$M")"; bin/merlinite synth --preset small --seed 1 --type f16 --out "$M" >/dev/null; }
SRV=.cache/llama-server-portable/bin
[ -x "$SRV/llama-server" ] || bench/build-llama-server.sh --portable >/dev/null
PORT=18117
load() { python3 bench/serve-load.py --url "http://127.0.0.1:$PORT" --clients 64 --requests 4 --max-tokens 64 --label "$1"; }
wait_up() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
run() { # LABEL COMMAND...
  local label=$1; shift
  "$@" >/tmp/serve-prefix-server.log 2>&1 &
  local pid=$!
  wait_up || { echo "$label: the server did not start"; cat /tmp/serve-prefix-server.log; kill $pid; return 1; }
  load "$label"
  if [ "${label#merlinite}" != "$label" ]; then
    curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^merlinite_prompt_tokens(_cached)?_total' | tr '\n' ' '; echo
  fi
  kill -TERM $pid; wait $pid 2>/dev/null || true
}
run "llama-server (cache_prompt on, F16 KV, flash attention auto)" \
  env LD_LIBRARY_PATH=$SRV $SRV/llama-server -m "$M" --port $PORT -t 2 -np 8 -c 16384
run "merlinite, default system prompt, prompt cache" bin/merlinite serve -m "$M" --port $PORT -t 2 --parallel 8 --ctx 16384
run "merlinite, default system prompt, no prompt cache" \
  bin/merlinite serve -m "$M" --port $PORT -t 2 --parallel 8 --ctx 16384 --prompt-cache false
run "merlinite, --system \"\" (llama-server's prompts), prompt cache" \
  bin/merlinite serve -m "$M" --port $PORT -t 2 --parallel 8 --ctx 16384 --system ""
run "merlinite, --system \"\" --fast-attn, prompt cache" \
  bin/merlinite serve -m "$M" --port $PORT -t 2 --parallel 8 --ctx 16384 --system "" --fast-attn
