#!/usr/bin/env bash
# Builds llama.cpp's own CPU benchmark tools (llama-batched-bench, llama-bench) from the exact llama.cpp source the
# project binds: the git bundle that npm `node-llama-cpp@3.22.1` ships (package/llama/gitRelease.bundle, release
# v0.5.0). Their figures are the ceiling our engine is compared with; see bench/README.md.
#
#   bench/build-llama-tools.sh            build what is missing (idempotent: does nothing when both binaries exist)
#   bench/build-llama-tools.sh --force    re-run cmake configure + build even when the binaries exist
#   JOBS=1 bench/build-llama-tools.sh     parallel compile jobs (default 2: the machine has 2 shared cores)
#
# Source: .cache/llama.cpp (what `./build.sh headers` clones; fetched here the same way when missing).
# Build:  .cache/llama-build (ignored via /.cache/; never commit the source or the build).
# Output: .cache/llama-build/bin/llama-batched-bench and .cache/llama-build/bin/llama-bench (static, standalone).
#
# CPU: GGML_NATIVE=ON compiles ggml-cpu with -march=native for this machine (AMD EPYC family 25 model 17 = Zen 4,
# AVX-512 F/BW/DQ/VL/VBMI/VNNI/BF16). The npm prebuilt the project loads (@node-llama-cpp/linux-x64) instead ships
# one libggml-cpu-<variant>.so per CPU family and picks the best at run time; on this machine it picks
# libggml-cpu-zen4.so (checked with `LD_DEBUG=files bin/merlinite chat ...`: every variant is probed, only zen4
# stays loaded; `bin/merlinite info` lists AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1).
#
# CMake options, as they exist in this llama.cpp version (CMakeLists.txt):
#   LLAMA_BUILD_TOOLS=ON + LLAMA_BUILD_COMMON=ON   tools/ is added only when both are on (the tools link `common`)
#   LLAMA_BUILD_APP=OFF                            new "unified binary" option, on by default in a standalone build
#   LLAMA_OPENSSL=OFF                              common would otherwise look for OpenSSL (HTTPS model download)
#   LLAMA_CURL                                     deprecated here ("will be ignored"): not passed
#   LLAMA_BUILD_HTML                               exists only for EMSCRIPTEN builds: not passed
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LLAMA_NPM_VERSION=3.22.1
SRC=.cache/llama.cpp
BUILD=.cache/llama-build
JOBS="${JOBS:-2}"
TARGETS=(llama-batched-bench llama-bench)
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-llama-tools.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'build-llama-tools.sh: %s\n' "$*" >&2; exit 1; }

print_paths() {
  for t in "${TARGETS[@]}"; do echo "$ROOT/$BUILD/bin/$t"; done
}

have_all=1
for t in "${TARGETS[@]}"; do [ -x "$BUILD/bin/$t" ] || have_all=0; done
if [ "$have_all" = 1 ] && [ "$FORCE" = 0 ]; then
  say "llama.cpp tools already built (use --force to rebuild):"
  print_paths
  exit 0
fi

for cmd in git cmake g++ make; do command -v "$cmd" >/dev/null || die "'$cmd' is required"; done

# The pinned source comes from build.sh (node-llama-cpp's llama.cpp bundle into .cache/llama.cpp).
[ -f "$SRC/CMakeLists.txt" ] || ./build.sh headers || die "could not fetch the llama.cpp source bundle"

start=$(date +%s)
say "configuring $BUILD (Release, static, GGML_NATIVE=ON)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_OPENSSL=OFF >"$BUILD.configure.log" 2>&1 || { tail -30 "$BUILD.configure.log" >&2; die "cmake configure failed"; }

say "building ${TARGETS[*]} with -j $JOBS (about 3-4 minutes on 2 cores from scratch)"
cmake --build "$BUILD" --target "${TARGETS[@]}" -j "$JOBS" >"$BUILD.build.log" 2>&1 \
  || { tail -40 "$BUILD.build.log" >&2; die "build failed (full log: $BUILD.build.log)"; }

say "built in $(( $(date +%s) - start )) s:"
print_paths
