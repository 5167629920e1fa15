#!/usr/bin/env bash
# One device call: the GPU check (tests/gpu/check.sh), then the power-sampling benchmark,
# the authors'-loop peer comparison and the temperature-sampling comparison against
# transformers' batched generate (benchmarks/gpu_power_bench.sh). The device tool returns at
# most 8 files, so the logs come back as one archive beside the two summaries.
#   device: command "bash tests/gpu/device_run.sh", carry [".gpu-deps"], timeout_s 600
# The last part takes what is left of PSAMP_RUN_BUDGET (540 s from this script's start), so
# the call ends within the device tool's 600 s limit (a call killed there has not yet copied
# the summaries and logs into $OUT).
cd "$(dirname "$0")/../.."
export PSAMP_RUN_T0=$(date +%s) PSAMP_RUN_BUDGET=${PSAMP_RUN_BUDGET:-540}
FINAL=${OUT:-$PWD/out/device}
work=$(mktemp -d)
OUT=$work/check bash tests/gpu/check.sh > "$work/check.txt" 2>&1
check=$?
OUT=$work/bench bash benchmarks/gpu_power_bench.sh > "$work/bench.txt" 2>&1
bench=$?
mkdir -p "$FINAL"
cp "$work/check/summary.txt" "$FINAL/check_summary.txt" 2>/dev/null
cp "$work/bench.txt" "$FINAL/bench_summary.txt"
tar -czf "$FINAL/logs.tar.gz" -C "$work" .
cat "$FINAL/check_summary.txt" "$FINAL/bench_summary.txt"
echo "device run: check rc $check, bench rc $bench"
[ $check -eq 0 ] && [ $bench -eq 0 ]
