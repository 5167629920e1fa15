#!/usr/bin/env bash
# Builds psamp and runs the whole test suite twice: a Release build (with the CUDA engine
# when nvcc is present; GPU tests report "skipped" without a GPU), then the CPU suite
# under AddressSanitizer + UndefinedBehaviorSanitizer. Last, the fuzzers of tests/fuzz
# (clang + libFuzzer) replay their corpora and fuzz each parser for a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
# The Slurm test's one-node cluster (tests/slurm_sweep.sh, skipped without it): as root only.
if [ "$(id -u)" -eq 0 ]; then scripts/deps.sh slurm-wlm munge; fi
# The figure scripts' environment (matplotlib, pandas: scripts/requirements/plot.txt); without
# it (no network for pip, say) the figure tests report themselves skipped.
scripts/pyenv.sh plot >/dev/null || echo "run-tests.sh: no plot environment: the figure tests will be skipped" >&2
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPSAMP_CUDA=AUTO
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSAMP_CUDA=OFF -DPSAMP_SANITIZE=ON
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")
tests/fuzz/ci.sh build-fuzz
