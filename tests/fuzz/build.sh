#!/usr/bin/env bash
# Builds the fuzzers into BUILD_DIR (default build-fuzz): clang with libFuzzer, ASan and
# UBSan (-DPSAMP_FUZZ=ON). The toolchain comes from Debian's clang and libclang-rt-dev,
# installed by scripts/deps.sh when run as root. Exits 77 (what CTest and tests/fuzz/ci.sh
# read as "skipped") when clang or libFuzzer is missing and cannot be installed.
# PSAMP_FUZZ_CC names another clang (default: clang).
# Usage: tests/fuzz/build.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-fuzz}
if ! "$root/scripts/deps.sh" clang libclang-rt-dev; then
  echo "fuzz: clang and libFuzzer are not installed (the line above installs them)" >&2
  exit 77
fi
cc=${PSAMP_FUZZ_CC:-clang}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
  >"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2>"$probe/log"; then
  cat "$probe/log" >&2
  echo "fuzz: $cc cannot link a libFuzzer program (Debian: apt-get install clang libclang-rt-dev)" >&2
  exit 77
fi
CC=$cc cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSAMP_FUZZ=ON >/dev/null
mkdir -p "$build"
if ! cmake --build "$build" -j"$(nproc)" --target psamp_fuzzers >"$build/fuzz-build.log" 2>&1; then
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "fuzz: the build failed (log: $build/fuzz-build.log)" >&2
  exit 1
fi
