#!/usr/bin/env bash
# The arithmetic comparison (experiments/arith/PLAN.md), one command per size:
#
#     experiments/arith/run.sh cpu  [OUT_DIR]   # 100 problems per family, n = 16, + hyperparameter axes
#     experiments/arith/run.sh demo [OUT_DIR]   # 10 problems per family, n = 4 (./run-demo.sh)
#     experiments/arith/run.sh gpu  [OUT_DIR]   # 500 problems per family, n = 256, + axes (one GPU)
#
# For each family (add, expr, mod): psamp passk with the base model's methods
# (SIZE/methods_base.json) and the RL checkpoint's (SIZE/methods_rl.json), then the
# hyperparameter axes on mod (SIZE/hyper.json, when the size has them), then report.py:
# OUT_DIR/arith_table.md, OUT_DIR/arith_passk.{png,svg} (and arith_hyper.*). OUT_DIR defaults
# to out/arith-SIZE (git-ignored). A result file already there is kept, so an interrupted run
# goes on where it stopped; PSAMP_HARDWARE overrides the machine named in titles.
#
# PSAMP_KV_CACHE=fp8 runs every passk with --kv-cache fp8 (the CUDA engine's e4m3 KV cache;
# give it its own OUT_DIR) and PSAMP_AGAINST=DIR makes the report subtract DIR's run method by
# method, so the cache's effect on pass@1 is one command:
#
#     experiments/arith/run.sh gpu out/arith-gpu
#     PSAMP_KV_CACHE=fp8 PSAMP_AGAINST=out/arith-gpu experiments/arith/run.sh gpu out/arith-gpu-kv8
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
size=${1:-}
case "$size" in
  cpu | demo | gpu) ;;
  *) echo "usage: experiments/arith/run.sh cpu|demo|gpu [OUT_DIR]" >&2; exit 2 ;;
esac
configs=$root/experiments/arith/$size
out=${2:-$root/out/arith-$size}
psamp=${PSAMP:-$root/build/psamp}  # PSAMP names another binary
[ -x "$psamp" ] || { echo "run.sh: $psamp is not built (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
if [ "$size" = gpu ]; then
  hardware=${PSAMP_HARDWARE:-$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)}
else
  hardware=${PSAMP_HARDWARE:-"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, CPU engine"}
fi
kv=${PSAMP_KV_CACHE:-dtype}
case "$kv" in
  dtype) ;;
  fp8) hardware="$hardware, KV cache fp8" ;;
  *) echo "run.sh: PSAMP_KV_CACHE: unknown cache '$kv' (dtype, fp8)" >&2; exit 2 ;;
esac
against=()
if [ -n "${PSAMP_AGAINST:-}" ]; then
  [ -d "$PSAMP_AGAINST" ] || { echo "run.sh: PSAMP_AGAINST: '$PSAMP_AGAINST' is not a directory" >&2; exit 2; }
  against=(--against "$PSAMP_AGAINST")
fi
mkdir -p "$out"
run() {  # run OUT.json ARGS...: psamp passk unless OUT.json is already there
  local dest=$1
  shift
  if [ -s "$dest" ]; then echo "run.sh: $dest is there, kept"; return; fi
  echo "run.sh: psamp passk $* --out $dest"
  "$psamp" passk "$@" --kv-cache "$kv" --out "$dest"
}
for family in add expr mod; do
  tasks=$root/experiments/tasks/arith_$family.test.jsonl
  run "$out/${family}_base.json" --config "$configs/methods_base.json" --tasks "$tasks"
  run "$out/${family}_rl.json" --config "$configs/methods_rl.json" --tasks "$tasks"
done
if [ -f "$configs/hyper.json" ]; then run "$out/hyper.json" --config "$configs/hyper.json"; fi
py="$("$root/scripts/pyenv.sh" plot)/bin/python"
"$py" "$root/experiments/arith/report.py" "$out" "$out" --hardware "$hardware ($size size)" "${against[@]}"
