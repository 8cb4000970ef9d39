#!/usr/bin/env bash
# Makes TorchSharp-cpu's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13 (Debian 12: GCC 12).
#
#   fix-libtorchsharp.sh FOLDER     FOLDER holds libLibTorchSharp.so (a build/publish output's native folder)
#
# libLibTorchSharp.so is built with GCC 13 and requires the symbol version GLIBCXX_3.4.32, for one symbol only:
# std::ios_base_library_init(). The loader rejects the library outright when a required version is missing, so:
#   1. the GLIBCXX_3.4.32 requirement in .gnu.version_r is flagged weak (weaken-verneed.py): the loader then accepts
#      the library and resolves the symbol by name;
#   2. a tiny shim library defining std::ios_base_library_init() (glibcxx-shim.cpp) is compiled into FOLDER and added
#      to libLibTorchSharp.so's DT_NEEDED; its RUNPATH starts with $ORIGIN, so the shim is found beside it.
# Idempotent (safe to run after every build), and a no-op where the system libstdc++ already has GLIBCXX_3.4.32.
# Needs python3 and g++; installs patchelf with apt-get when it is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${1:?usage: fix-libtorchsharp.sh FOLDER-WITH-libLibTorchSharp.so}"
LIB="$DIR/libLibTorchSharp.so"
SHIM_NAME=libmerlinite-glibcxx-shim.so
SHIM="$DIR/$SHIM_NAME"
VERSION=GLIBCXX_3.4.32

say() { echo "fix-libtorchsharp: $*" >&2; }

[ -f "$LIB" ] || { say "$LIB not found"; exit 1; }

# The libstdc++ the loader will pick: the first libstdc++.so.6 in the ld.so cache.
system_libstdcxx=$(/sbin/ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
[ -n "$system_libstdcxx" ] || system_libstdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if grep -qa "$VERSION" "$system_libstdcxx"; then
  exit 0  # GCC 13+ runtime: nothing to fix
fi

# The build copies libLibTorchSharp.so from the NuGet cache; never edit the cache through a hard link.
if [ "$(stat -c %h "$LIB")" -gt 1 ]; then
  cp -p "$LIB" "$LIB.unlinked" && mv -f "$LIB.unlinked" "$LIB"
fi

# Step 1: weak version requirement (no-op when already weak).
python3 "$HERE/weaken-verneed.py" "$LIB" "$VERSION" >&2

# Step 2: the shim, rebuilt when missing or older than its source.
if [ ! -f "$SHIM" ] || [ "$HERE/glibcxx-shim.cpp" -nt "$SHIM" ]; then
  g++ -shared -fPIC -O2 -o "$SHIM.tmp" "$HERE/glibcxx-shim.cpp"
  mv -f "$SHIM.tmp" "$SHIM"
fi

if ! command -v patchelf >/dev/null 2>&1; then
  say "installing patchelf (apt-get)"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq patchelf >/dev/null
fi
if ! patchelf --print-needed "$LIB" | grep -qx "$SHIM_NAME"; then
  # Edit a copy and rename it over the original, so a half-written library never exists under its name.
  cp -p "$LIB" "$LIB.patching"
  patchelf --add-needed "$SHIM_NAME" "$LIB.patching"
  mv -f "$LIB.patching" "$LIB"
  say "patched $LIB"
fi
