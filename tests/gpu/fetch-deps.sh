#!/usr/bin/env bash
# Run HERE (a machine with apt), in the checkout the GPU run sends: downloads the Debian
# packages of cJSON (libcjson1, libcjson-dev) into .gpu-deps/ (git-ignored), which the
# device call carries (carry: [".gpu-deps"]) and tests/gpu/check.sh unpacks there. The GPU
# image has CUDA, CMake and a compiler but neither cJSON nor OpenBLAS, and no package
# access; OpenBLAS is replaced by the plain C GEMM of host/engine/cpu/blas_fallback (PSAMP_BLAS=AUTO).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-deps
cd .gpu-deps
rm -f ./*.deb
# apt-get download writes into the current folder; as root it warns that _apt cannot write
# here, which is harmless.
apt-get download libcjson1 libcjson-dev 2>&1 | grep -v "^W: Download is performed unsandboxed" || true
ls -l ./*.deb
