#!/usr/bin/env bash
# The CPU peer comparison in one command: psamp against CTranslate2 (MKL) and Hugging Face
# transformers for plain temperature sampling, and against the authors' power-sampling loop,
# on a random full-size OPT-125M, in interleaved pairs; prints the ratio tables.
#
#   benchmarks/cpu_peers/run.sh [compare.py options]
#
# e.g. the full table:  benchmarks/cpu_peers/run.sh --batches 1,2,4,8,64,256 --power-chains 1,16,64
# Defaults (CI-sized, a few minutes on 2 idle cores): batches 1,8; power chains 1,8; 3 rounds;
# the peers' OpenMP threads wait passively (--peer-omp-wait default: their own spinning).
# `benchmarks/cpu_peers/run.sh --help` lists every option (--authors-file, --rounds, --parts, ...).
# Environment: PSAMP (default build/psamp), MODEL (default weights/opt-125m-random, made by
# benchmarks/make_random_opt.py when absent), CT2_MODEL (default MODEL-ct2, converted by
# convert_ct2.py when absent), OUT (default build/cpu_peers: logs, runs.json, table.md).
# Python and the peers come from scripts/pyenv.sh (requirement sets hf and peers).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PSAMP=${PSAMP:-$root/build/psamp}
MODEL=${MODEL:-$root/weights/opt-125m-random}
CT2_MODEL=${CT2_MODEL:-$MODEL-ct2}
OUT=${OUT:-$root/build/cpu_peers}

[ -x "$PSAMP" ] || { echo "cpu_peers/run.sh: $PSAMP not built (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
py="$("$root/scripts/pyenv.sh" hf peers)/bin/python"
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then exec "$py" "$here/compare.py" --help; fi
[ -f "$MODEL/model.safetensors" ] || "$py" "$root/benchmarks/make_random_opt.py" "$MODEL" >&2
[ -f "$CT2_MODEL/model.bin" ] || "$py" "$here/convert_ct2.py" "$MODEL" "$CT2_MODEL" >&2
exec "$py" "$here/compare.py" --psamp "$PSAMP" --model "$MODEL" --ct2-model "$CT2_MODEL" --python "$py" \
  --out-dir "$OUT" "$@"
