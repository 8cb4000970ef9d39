#!/usr/bin/env bash
# Prepares what the GPU machine needs in .gpu/ (ignored by git; carried with `run --carry .gpu`), within the 64 MiB a
# call may carry. That machine has CUDA, Python with torch/transformers/peft, and no .NET, so everything .NET goes as a
# Native AOT binary or a self-contained publish built here.
#
#   bench/gpu/pack.sh        -> .gpu/merlinite (AOT), .gpu/trainer.tar.xz (self-contained, no libtorch), .gpu/PAYLOAD
#   bench/gpu/pack.sh shards -> .gpu/merlinite and .gpu/llama-src.tar.xz (the pinned llama.cpp source, 2.7 MB: the CMake
#                               tree without the other backends' folders, built there by bench/gpu/shards.sh)
#
# The trainer is published with TRAINER_LIBTORCH=external semantics (no CPU libtorch; it loads the machine's CUDA
# PyTorch), and with TorchSharp's unpatched libLibTorchSharp.so: the libstdc++ fix is for Debian 12 only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
G=.gpu
rm -rf "$G" && mkdir -p "$G"
[ -x bin/merlinite ] || ./build.sh
cp bin/merlinite "$G/merlinite"
if [ "${1:-}" = shards ]; then
  [ -d .cache/llama.cpp/ggml ] || { echo "pack.sh: .cache/llama.cpp is missing: run ./build.sh first" >&2; exit 1; }
  tar -C .cache/llama.cpp $(for b in vulkan sycl metal opencl cann musa hip webgpu kompute zdnn; do echo "--exclude=ggml/src/ggml-$b"; done) \
    -cJf "$G/llama-src.tar.xz" CMakeLists.txt cmake ggml src include vendor licenses common
  ( cd "$G" && { echo "packed $(date -u +%FT%TZ) from $(git -C "$ROOT" rev-parse --short HEAD)"; du -b * ; } > PAYLOAD )
  du -sh "$G"; cat "$G/PAYLOAD"; exit 0
fi

T=$(mktemp -d)
dotnet publish src/Merlinite.Trainer/Merlinite.Trainer.csproj -c Release -r linux-x64 --self-contained \
  -p:MerliniteLibTorch=external -o "$T/trainer" -nologo -v:q >/dev/null
cp "$HOME/.nuget/packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so" "$T/trainer/"
rm -f "$T"/trainer/*.pdb "$T"/trainer/createdump "$T"/trainer/libmscordbi.so "$T"/trainer/libmscordaccore.so
tar -C "$T" -cJf "$G/trainer.tar.xz" trainer
rm -rf "$T"

( cd "$G" && { echo "packed $(date -u +%FT%TZ) from $(git -C "$ROOT" rev-parse --short HEAD)"; du -b * ; } > PAYLOAD )
du -sh "$G"; cat "$G/PAYLOAD"
total=$(du -sb "$G" | cut -f1)
[ "$total" -lt $((60 * 1024 * 1024)) ] || { echo "pack.sh: .gpu is $total bytes, over the 60 MiB this leaves for the tree" >&2; exit 1; }
