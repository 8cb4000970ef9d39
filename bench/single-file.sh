#!/usr/bin/env bash
# Issue 30's figures (docs/benchmarks.md, "One file"): the single-file build (llama.cpp for x86-64-v3 linked in) against
# the per-CPU library build (./build.sh --native-cpu), one after the other in one sitting: sizes, sampling and scoring
# speed; then a chat binary of a 7B-shape Q4_K_M: pack time, first start (the model unpacked into the cache), later
# start, disk use, against `merlinite chat` on the same file.
#
#   bench/single-file.sh [WORK] [REFLINK_DIR]
#
# WORK (default /tmp/merlinite-single-file) needs ~13 GB free. REFLINK_DIR, a folder on a filesystem that can share
# blocks (XFS, btrfs), repeats the start-up figures there (the first start is then a reflink, not a copy). The script
# rebuilds bin/ twice (the library build, then the single-file build back); it leaves the single-file build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
W="${1:-/tmp/merlinite-single-file}"
REFLINK="${2:-}"
mkdir -p "$W"
T=2
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "scale=2; ($e - $s)/1" | bc; }
mb() { echo "scale=1; $(du -cb "$@" | tail -1 | cut -f1) / 1000000" | bc; }

echo "== builds"
./build.sh --native-cpu >/dev/null 2>&1
rm -rf "$W/native-bin" && mkdir -p "$W/native-bin"
cp -r bin/merlinite bin/*.so* bin/portable "$W/native-bin/"
./build.sh >/dev/null 2>&1
echo "single file:   bin/merlinite $(mb bin/merlinite) MB"
echo "library build: merlinite $(mb "$W/native-bin/merlinite") MB" \
     "+ this CPU's libraries $(mb "$W"/native-bin/*.so*) MB + the portable build $(mb "$W/native-bin/portable") MB"
ldd bin/merlinite | sed 's/^/  ldd: /'

echo "== sampling and scoring, $T threads, best of 3 (bench sample / bench score)"
for type in f16 q8_0 q4_k_m; do
  m="$W/small-$type.gguf"
  if [ ! -f "$m" ]; then
    if [ "$type" = q4_k_m ]; then
      [ -f "$W/small-f16.gguf" ] ||
        bin/merlinite synth --preset small --seed 1 --type f16 --out "$W/small-f16.gguf" >/dev/null
      bin/merlinite quantize -m "$W/small-f16.gguf" -o "$m" --type q4_k_m >/dev/null 2>&1
    else
      bin/merlinite synth --preset small --seed 1 --type "$type" --out "$m" >/dev/null
    fi
  fi
  for build in bin "$W/native-bin"; do
    name=$([ "$build" = bin ] && echo "single file (x86-64-v3)" || echo "library build (this CPU)")
    # gen tok/s of 8 samples decoded together; scored tok/s of 4 prompts x 8 responses.
    s=$("$build/merlinite" bench sample -m "$m" --n 8 --gen-tokens 64 -t $T --no-single 2>/dev/null |
      awk '$1 == 8 {print $5}')
    c=$("$build/merlinite" bench score -m "$m" --n 8 --prompts 4 -t $T --no-single 2>/dev/null |
      awk '/^shared-prompt/ {print $5}')
    echo "$type  $name | sample gen tok/s: $s | score scored tok/s: $c"
  done
done

echo "== a chat binary of a 7B-shape Q4_K_M"
starts() { # DIR
  local d=$1 model="$W/mistral-7b-q4_k_m.gguf"
  rm -rf "$d/chat7b" "$d/cache" && mkdir -p "$d"
  echo "pack:                  $(secs bin/merlinite pack -m "$model" -o "$d/chat7b") s ($(mb "$d/chat7b") MB)"
  local run=(env -i "MERLINITE_CACHE_DIR=$d/cache" "$d/chat7b" -p hi --max-tokens 1 -t $T)
  echo "first start + 1 token: $(secs "${run[@]}") s (cache: $(mb "$d/cache") MB as du counts it;" \
       "$(df -B1 --output=used "$d" | tail -1) B used on the file system)"
  echo "later start + 1 token: $(secs "${run[@]}") s"
  echo "again:                 $(secs "${run[@]}") s"
}
[ -f "$W/mistral-7b-q4_k_m.gguf" ] || bin/merlinite synth --preset mistral-7b --shape-only --type q4_k_m \
  --out "$W/mistral-7b-q4_k_m.gguf" >/dev/null
# The shape-only file is sparse; a real model's bytes are on disk, so the comparison copies it into a dense file.
[ -f "$W/model-dense.gguf" ] || cp --sparse=never "$W/mistral-7b-q4_k_m.gguf" "$W/model-dense.gguf"
mv -f "$W/model-dense.gguf" "$W/mistral-7b-q4_k_m.gguf"
chat=(bin/merlinite chat "$W/mistral-7b-q4_k_m.gguf" -p hi --max-tokens 1 -t $T)
echo "merlinite chat + 1 token (the same file, no pack): $(secs "${chat[@]}") s, again $(secs "${chat[@]}") s"
echo "-- on $(findmnt -no FSTYPE -T "$W") ($W)"
starts "$W/ext"
if [ -n "$REFLINK" ]; then
  echo "-- on $(findmnt -no FSTYPE -T "$REFLINK") ($REFLINK)"
  starts "$REFLINK"
fi
