#!/usr/bin/env bash
# The memory projection against measured peak RSS, everything on the CPU (issue 29): the rows of
# docs/benchmarks.md "Memory plan vs peak RSS". Shape-only Q4_K_M models (synth --shape-only: zero weights, the real
# tensor table), scored by the AOT bin/merlinite; python3 reads the child's ru_maxrss.
#   bench/memory-plan.sh        # after ./build.sh; the 7B row takes several minutes on 2 cores
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x bin/merlinite ] || { echo "bin/merlinite is missing: run ./build.sh first" >&2; exit 1; }
echo "| model | weights GiB | context | parallel | projected RAM GiB | peak RSS GiB | measured / projected |"
echo "|---|---|---|---|---|---|---|"
MERLINITE_MEMORY_BENCH=1 dotnet test tests/Merlinite.Engine.Tests -c Release --nologo \
  --filter "FullyQualifiedName~PeakMemoryTests" --logger "console;verbosity=detailed" 2>&1 | grep -E '^\s*\| ' | sed 's/^ *//'
