#!/usr/bin/env bash
# The fuzz stage of ./run-tests.sh: builds the fuzzers (tests/fuzz/build.sh) and runs their
# CTest tests: every target replays its corpus, then fuzzes for PSAMP_FUZZ_SECONDS (default
# 4). Without clang/libFuzzer the stage reports SKIPPED and fails nothing.
# Usage: tests/fuzz/ci.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-fuzz}
rc=0
"$root/tests/fuzz/build.sh" "$build" || rc=$?
if [ "$rc" -eq 77 ]; then
  echo "fuzz tests: SKIPPED (no clang/libFuzzer toolchain; see above)"
  exit 0
elif [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
if [ -n "${PSAMP_FUZZ_SECONDS:-}" ]; then cmake "$build" -DPSAMP_FUZZ_SECONDS="$PSAMP_FUZZ_SECONDS" >/dev/null; fi
cd "$build" && ctest -L fuzz --output-on-failure -j"$(nproc)"
