#!/usr/bin/env bash
# Merlinite.Native build entry point (Linux). See README.md.
#
#   ./build.sh            restore (dotnet + npm) and publish the AOT binary to ./bin/merlinite
#   ./build.sh test       build, then run every test project; prints "N passed, N failed, N skipped"
#   ./build.sh run        build if needed, then run the main job (the tiny default recipe)
#   ./build.sh headers    fetch llama.cpp v0.5.0's headers (ignored .cache/llama.cpp; tests compare struct layouts)
#   ./build.sh clean      remove build outputs
#
# llama.cpp: by default bin/merlinite is one file: the pinned llama.cpp, compiled for x86-64-v3 (the reproducible mode's
# build) into static archives in .cache/llama-static, is linked into it with OpenMP and the C++ runtime, so it runs on
# any AVX2 Linux with nothing beside it and `merlinite pack` can make chat binaries of it. Other builds put llama.cpp's
# libraries beside the binary instead:
#   --native-cpu          the CPU backend compiled for this machine (GGML_NATIVE): faster here (docs/benchmarks.md)
#   --prebuilt            the npm prebuilt CPU libraries (generic x86-64 variants, no OpenMP; slower)
#   --cuda                the npm CUDA 13 prebuilt
# Every build also compiles the shared libraries: this CPU's into .cache/llama-native (the test hosts load them) and
# the portable x86-64-v3 build into .cache/llama-portable (bin/portable for the library builds' reproducible mode).
# Without cmake and g++ the build falls back to the npm prebuilt libraries and says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

LLAMA_NPM_VERSION=3.22.1
LIBS=static   # static | native | prebuilt | cuda
ACTION=build
for arg in "$@"; do
  case "$arg" in
    --cuda) LIBS=cuda ;;
    --prebuilt) LIBS=prebuilt ;;
    --native-cpu) LIBS=native ;;
    --static) LIBS=static ;;
    build|test|run|headers|clean) ACTION="$arg" ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Colour only on a terminal: logs (CI, build.log) get plain text.
if [ -t 2 ]; then say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }; else say() { printf '==> %s\n' "$*" >&2; }; fi
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

apt_install() {
  # Installs Debian packages only when a needed command is missing (fresh CI machines).
  local missing=()
  for pair in "$@"; do
    local cmd="${pair%%:*}" pkg="${pair##*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} (apt)"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

check_tools() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (dotnet not on PATH)"
  command -v npm >/dev/null || die "node/npm is required to fetch the pinned llama.cpp libraries"
  # The Native AOT linker needs a C toolchain and zlib; gcc also compiles the struct-layout probe in the tests.
  apt_install gcc:gcc git:git
  [ -e /usr/include/zlib.h ] || apt_install zlib-flate:zlib1g-dev
}

# The llama.cpp shared libraries go to native/lib (ignored) and from there next to the binary; native/lib/.variant
# names which build they are.
native_libs() {
  case "$LIBS" in
    cuda) prebuilt_libs linux-x64-cuda native/cuda ;;
    prebuilt) prebuilt_libs linux-x64 native ;;
    native|static) native_cpu_libs || { say "could not compile llama.cpp here ($NATIVE_FAILURE); using the npm prebuilt instead (slower: docs/benchmarks.md; ./build.sh --prebuilt skips the attempt)"; prebuilt_libs linux-x64 native; } ;;
  esac
}

prebuilt_libs() { # npm-package-suffix folder
  local pkgdir=$1 dir=$2
  local src="$dir/node_modules/@node-llama-cpp/$pkgdir/bins/$pkgdir"
  if [ ! -d "$src" ]; then
    say "npm ci ($dir): @node-llama-cpp/$pkgdir@$LLAMA_NPM_VERSION"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm could not install @node-llama-cpp/$pkgdir"
  fi
  install_libs "$pkgdir" "$src"/*.so
  rm -f native/lib/libllama-common.so   # C++ helpers of node-llama-cpp; we bind the C API only
}

install_libs() { # variant files...
  local variant=$1; shift
  [ -f native/lib/.variant ] && [ "$(cat native/lib/.variant)" = "$variant" ] && return 0
  rm -rf native/lib && mkdir -p native/lib
  cp -L "$@" native/lib/
  echo "$variant" > native/lib/.variant
}

# Configures and builds TARGET of the pinned llama.cpp source in TREE with OPTIONS, then writes STAMP into the tree
# (callers compare it to decide whether to come here). On failure it returns 1 and says why in TREE_FAILURE.
cmake_tree() { # tree options target stamp what
  local tree=$1 options=$2 target=$3 stamp=$4 what=$5
  TREE_FAILURE=""
  headers
  command -v cmake >/dev/null 2>&1 || apt_install cmake:cmake || true
  command -v g++ >/dev/null 2>&1 || apt_install g++:g++ || true
  command -v cmake >/dev/null 2>&1 || { TREE_FAILURE="no cmake"; return 1; }
  command -v g++ >/dev/null 2>&1 || { TREE_FAILURE="no g++"; return 1; }
  say "compiling $what into $tree (llama.cpp v0.5.0 source): once"
  local log; log=$(mktemp)
  rm -f "$tree/.merlinite-stamp"
  # shellcheck disable=SC2086
  if ! { cmake -S .cache/llama.cpp -B "$tree" $options && cmake --build "$tree" --target "$target" -j "$(nproc)"; } \
       >"$log" 2>&1; then
    TREE_FAILURE="the CMake build failed; its last lines: $(tail -3 "$log" | tr '\n' ' ')"; rm -f "$log"; return 1
  fi
  rm -f "$log"
  echo "$stamp" > "$tree/.merlinite-stamp"
}

# The same llama.cpp release (the source bundle npm node-llama-cpp ships) compiled for this CPU. Only ggml's CPU backend
# (libggml-cpu) depends on the instruction set: libllama, libggml and libggml-base are compiled for the x86-64 baseline
# whatever GGML_NATIVE says, so this tree builds just libggml-cpu and takes the rest from the portable build (it builds
# everything only when there is no portable build). bench/build-llama-tools.sh builds llama.cpp's benchmark tools in
# this tree, so they run on the ggml-cpu our binary loads. The stamp holds the options and the CPU: another CPU
# rebuilds.
NATIVE_BUILD=.cache/llama-native
NATIVE_OPTIONS="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF \
-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
-DLLAMA_OPENSSL=OFF -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH=\$ORIGIN"
native_cpu_libs() {
  NATIVE_FAILURE=""
  local target=ggml-cpu; [ -f native/lib-portable/libllama.so ] || target=llama
  local stamp; stamp="$(echo "$NATIVE_OPTIONS"; grep -m1 'model name' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo | md5sum)"
  if [ ! -f "$NATIVE_BUILD/.merlinite-stamp" ] || [ "$(cat "$NATIVE_BUILD/.merlinite-stamp")" != "$stamp" ] \
     || [ ! -f "$NATIVE_BUILD/bin/libggml-cpu.so" ] \
     || { [ $target = llama ] && [ ! -f "$NATIVE_BUILD/bin/libllama.so" ]; }; then
    cmake_tree "$NATIVE_BUILD" "$NATIVE_OPTIONS" $target "$stamp" "llama.cpp's CPU backend for this CPU" \
      || { NATIVE_FAILURE=$TREE_FAILURE; return 1; }
    rm -f native/lib/.variant   # the libraries changed: copy them again
  fi
  # Both the plain names (which the binding opens) and the SONAMEs (which the libraries NEED) must be present. The
  # libraries find each other by RUNPATH $ORIGIN, and OpenMP's runtime travels with them, so bin/ can be copied to a
  # machine without gcc.
  local gomp; gomp=$(gcc -print-file-name=libgomp.so.1 2>/dev/null || true); [ -f "$gomp" ] || gomp=""
  if [ $target = ggml-cpu ]; then
    install_libs native-cpu native/lib-portable/lib{llama,ggml,ggml-base}.so \
      native/lib-portable/lib{llama,ggml,ggml-base}.so.0 \
      "$NATIVE_BUILD"/bin/libggml-cpu.so "$NATIVE_BUILD"/bin/libggml-cpu.so.0 ${gomp:+"$gomp"}
  else
    install_libs native-cpu "$NATIVE_BUILD"/bin/lib*.so "$NATIVE_BUILD"/bin/lib*.so.0 ${gomp:+"$gomp"}
  fi
}

# The portable build: the same release for one fixed ISA level, x86-64-v3 (AVX2, FMA, F16C, BMI2: every x86-64 CPU since
# 2013-2015), instead of this CPU's own. It loads on any such machine and rounds the same on all of them: the
# reproducible mode (--reproducible, the tiny world, the tiny recipes) runs it from bin/portable. The compiler may not
# fuse a*b+c on its own (-ffp-contract=off): whether it does is a choice of the compiler version, not of the source.
# The stamp holds the options and the compiler, not the CPU: the same build serves every machine.
PORTABLE_BUILD=.cache/llama-portable
PORTABLE_OPTIONS="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON \
-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_OPENMP=ON \
-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON \
-DLLAMA_BUILD_COMMON=ON -DLLAMA_OPENSSL=OFF -DCMAKE_C_FLAGS=-ffp-contract=off -DCMAKE_CXX_FLAGS=-ffp-contract=off \
-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH=\$ORIGIN"
portable_libs() {
  local stamp; stamp="$(echo "$PORTABLE_OPTIONS"; g++ --version 2>/dev/null | head -1)"
  if [ ! -f "$PORTABLE_BUILD/.merlinite-stamp" ] || [ "$(cat "$PORTABLE_BUILD/.merlinite-stamp")" != "$stamp" ] \
     || [ ! -f "$PORTABLE_BUILD/bin/libllama.so" ]; then
    if ! cmake_tree "$PORTABLE_BUILD" "$PORTABLE_OPTIONS" llama "$stamp" \
         "llama.cpp for x86-64-v3 (the reproducible mode's build)"; then
      say "the portable llama.cpp build is not available ($TREE_FAILURE): the reproducible mode will not be"
      rm -rf native/lib-portable; return 0
    fi
    rm -rf native/lib-portable
    rm -f native/lib/.variant   # the fast build takes its libllama from here: copy it again
  fi
  [ -f native/lib-portable/libllama.so ] && return 0
  local gomp; gomp=$(gcc -print-file-name=libgomp.so.1 2>/dev/null || true); [ -f "$gomp" ] || gomp=""
  mkdir -p native/lib-portable
  cp -L "$PORTABLE_BUILD"/bin/lib*.so "$PORTABLE_BUILD"/bin/lib*.so.0 ${gomp:+"$gomp"} native/lib-portable/
}

# The single-file build's llama.cpp: the portable build's options (so it computes the same bytes as bin/portable did),
# as static, position-independent archives for the Native AOT linker. Only the libraries: no tools.
STATIC_BUILD=.cache/llama-static
STATIC_OPTIONS="$(echo "$PORTABLE_OPTIONS" | sed -e 's/-DBUILD_SHARED_LIBS=ON/-DBUILD_SHARED_LIBS=OFF/' \
  -e 's/-DLLAMA_BUILD_TOOLS=ON/-DLLAMA_BUILD_TOOLS=OFF/' -e 's/-DLLAMA_BUILD_COMMON=ON/-DLLAMA_BUILD_COMMON=OFF/' \
  -e 's/ -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH=\$ORIGIN//') -DCMAKE_POSITION_INDEPENDENT_CODE=ON"
static_libs() {
  STATIC_FAILURE=""
  local stamp; stamp="$(echo "$STATIC_OPTIONS"; g++ --version 2>/dev/null | head -1)"
  if [ ! -f "$STATIC_BUILD/.merlinite-stamp" ] || [ "$(cat "$STATIC_BUILD/.merlinite-stamp")" != "$stamp" ] \
     || [ ! -f "$STATIC_BUILD/src/libllama.a" ]; then
    cmake_tree "$STATIC_BUILD" "$STATIC_OPTIONS" llama "$stamp" "llama.cpp for x86-64-v3 (linked into bin/merlinite)" \
      || { STATIC_FAILURE=$TREE_FAILURE; return 1; }
  fi
  local gomp; gomp=$(gcc -print-file-name=libgomp.a 2>/dev/null || true)
  [ -f "$gomp" ] || { STATIC_FAILURE="no libgomp.a (OpenMP's static runtime, package libgcc-12-dev)"; return 1; }
  STATIC_PROPS=(-p:MerliniteLlamaStaticDir="$ROOT/$STATIC_BUILD" -p:MerliniteLibGomp="$gomp")
}

headers() {
  [ -f .cache/llama.cpp/include/llama.h ] && return 0
  say "fetching llama.cpp v0.5.0 headers (node-llama-cpp@$LLAMA_NPM_VERSION source bundle) into .cache/"
  mkdir -p .cache
  (cd .cache && npm pack "node-llama-cpp@$LLAMA_NPM_VERSION" --loglevel=error >/dev/null \
    && tar xzf "node-llama-cpp-$LLAMA_NPM_VERSION.tgz" package/llama/gitRelease.bundle \
    && git clone -q package/llama/gitRelease.bundle llama.cpp 2>/dev/null \
    && rm -rf package "node-llama-cpp-$LLAMA_NPM_VERSION.tgz") || die "could not fetch the llama.cpp source bundle"
}

publish() {
  check_tools
  portable_libs
  native_libs
  STATIC_PROPS=()
  if [ "$LIBS" = static ] && ! static_libs; then
    say "could not build the single-file binary ($STATIC_FAILURE); bin/merlinite loads the libraries beside it instead"
  fi
  say "dotnet publish (Native AOT) -> bin/merlinite${STATIC_PROPS[*]:+ (one file: llama.cpp linked in)}"
  local log; log=$(mktemp)
  # The property changes what ILC compiles and links (direct calls or library loads): switching between the two kinds
  # of build starts the native step afresh instead of trusting MSBuild to see that a property changed.
  local kind="${STATIC_PROPS[*]:-libraries}" mark=src/Merlinite.Cli/obj/.merlinite-link-kind
  if [ ! -f "$mark" ] || [ "$(cat "$mark")" != "$kind" ]; then
    rm -rf src/Merlinite.Cli/obj/Release/net10.0/linux-x64/native
  fi
  if ! dotnet publish src/Merlinite.Cli/Merlinite.Cli.csproj -c Release -o bin -nologo -v:q \
      "${STATIC_PROPS[@]:--p:MerliniteLlamaStaticDir=}" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "publish failed"
  fi
  # Zero trim/AOT warnings is a project rule, so a warning fails the build here too.
  if grep -E "warning IL[0-9]{4}" "$log" >&2; then rm -f "$log"; die "AOT/trim warnings (see above)"; fi
  rm -f "$log"
  mkdir -p "$(dirname "$mark")" && echo "$kind" > "$mark"
  rm -f bin/*.so bin/*.so.*
  rm -rf bin/portable
  if [ ${#STATIC_PROPS[@]} -eq 0 ]; then
    cp native/lib/*.so* bin/
    if [ -d native/lib-portable ]; then cp -r native/lib-portable bin/portable; fi
  fi
  rm -f bin/*.pdb bin/*.dbg
  say "built $(du -h bin/merlinite | cut -f1) bin/merlinite"
  publish_trainer
}

# The LoRA trainer is a separate JIT program on TorchSharp (it cannot be AOT-compiled); `merlinite train` runs it from
# bin/trainer. Its build applies the libstdc++ fix where needed (src/Merlinite.Trainer/native).
# Self-contained for linux-x64, so bin/ runs where no .NET runtime is installed; files libtorch and .NET ship but the
# trainer never loads (Python bindings, test and debugger libraries) are left out. TRAINER_LIBTORCH=external builds
# it without libtorch, for machines that bring a CUDA PyTorch (see README "CPU or CUDA").
publish_trainer() {
  say "dotnet publish (trainer sidecar, TorchSharp, self-contained) -> bin/trainer"
  command -v g++ >/dev/null || apt_install g++:g++
  local log; log=$(mktemp)
  rm -rf bin/trainer
  if ! dotnet publish src/Merlinite.Trainer/Merlinite.Trainer.csproj -c Release -r linux-x64 --self-contained \
      -p:MerliniteLibTorch="${TRAINER_LIBTORCH:-bundled}" -o bin/trainer -nologo -v:q >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; die "trainer publish failed"
  fi
  rm -f "$log" bin/trainer/*.pdb bin/trainer/libtorch_python.so bin/trainer/libtorchbind_test.so bin/trainer/libnnapi_backend.so \
    bin/trainer/libaoti_custom_ops.so bin/trainer/libmscordbi.so bin/trainer/libmscordaccore.so bin/trainer/createdump
}

run_tests() {
  publish
  headers
  # The chat page's test drives a real browser through Playwright, which cannot download its own here: Debian's chromium.
  [ -n "${MERLINITE_CHROMIUM:-}" ] || apt_install chromium:chromium
  # The chat REPL's test types into a real terminal; the scale-out test runs a one-node Slurm; the reproducible mode's
  # tests run the binary on CPUs without AVX-512 emulated by QEMU's user mode.
  apt_install tmux:tmux sbatch:slurm-wlm munged:munge qemu-x86_64:qemu-user
  say "dotnet test"
  local log; log=$(mktemp)
  set +e
  dotnet test Merlinite.Native.sln -c Release -nologo 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  # One closing line summed over all test assemblies (the workplace CI reads it).
  awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /Failed$/) f += $(i+1); if ($i ~ /Passed$/) p += $(i+1); if ($i ~ /Skipped$/) s += $(i+1)
      }
    }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s; if (p + f == 0) exit 3 }' "$log" || { rm -f "$log"; die "no tests ran"; }
  rm -f "$log"
  return "$rc"
}

case "$ACTION" in
  clean) rm -rf bin native/lib native/lib-portable artifacts; find src tests -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} + ;;
  headers) headers ;;
  build) publish ;;
  test) run_tests ;;
  run)
    if [ ! -x bin/merlinite ] || [ -n "$(find src -newer bin/merlinite -name '*.cs' -print -quit)" ]; then publish; fi
    exec "$ROOT/recipes/run-default.sh"
    ;;
esac
