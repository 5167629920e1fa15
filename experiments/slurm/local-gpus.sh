#!/usr/bin/env bash
# A psamp sweep on one machine with several GPUs and no Slurm: one shard per visible GPU,
# each pinned to its GPU with CUDA_VISIBLE_DEVICES, then --merge.
#
#   experiments/slurm/local-gpus.sh CONFIG.json OUT_DIR [psamp sweep options]
#
# GPUs: those in $CUDA_VISIBLE_DEVICES when set (e.g. 0,2,3), else every GPU nvidia-smi
# lists. Shard I's log: OUT_DIR/logs/shard-I.log. After a failure, run the same command
# again: finished points are skipped. The psamp binary: $PSAMP, else psamp on PATH.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 CONFIG.json OUT_DIR [psamp sweep options]" >&2
  exit 2
fi
psamp=${PSAMP:-psamp}
config=$1
out=$2
shift 2
gpus=()
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=, read -ra gpus <<<"$CUDA_VISIBLE_DEVICES"
elif command -v nvidia-smi >/dev/null 2>&1; then
  mapfile -t gpus < <(nvidia-smi --query-gpu=index --format=csv,noheader)
fi
if [ ${#gpus[@]} -eq 0 ]; then
  echo "local-gpus.sh: no GPUs visible (set CUDA_VISIBLE_DEVICES or install the NVIDIA driver)" >&2
  exit 2
fi
n=${#gpus[@]}
mkdir -p "$out/logs" || exit 1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
for i in "${!gpus[@]}"; do
  CUDA_VISIBLE_DEVICES=${gpus[$i]} "$psamp" sweep --config "$config" --out "$out" --shard "$i/$n" "$@" \
    >"$out/logs/shard-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "local-gpus.sh: shard $i/$n (GPU ${gpus[$i]}) failed: see $out/logs/shard-$i.log" >&2
    failed=1
  fi
done
"$psamp" sweep --merge "$out" || failed=1
exit $failed
