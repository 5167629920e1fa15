#!/usr/bin/env bash
# The GPU check of the CUDA engine, in one call on a lent GPU machine (repo root as cwd, $OUT
# set). Here first:  tests/gpu/fetch-deps.sh   (puts cJSON's .deb files in .gpu-deps/)
# Then the device call:  command "bash tests/gpu/check.sh", carry [".gpu-deps"], timeout_s 540.
#
# What it does, each step logged in full under $OUT (build.log, ctest.log, sanitizer.log,
# bench.log, nvidia-smi.txt, summary.txt: within the 8 files a call brings back):
#   1. nvidia-smi must list a GPU; PSAMP_REQUIRE_GPU=1 turns every "no GPU, skipped" into a
#      failure, so nothing passes silently.
#   2. dependencies: cJSON from .gpu-deps/*.deb unpacked with dpkg -x (CMake's
#      PSAMP_DEPS_ROOT) unless the system has it; OpenBLAS is absent there, so the CPU
#      engine (the reference of the engine test) runs on host/engine/cpu/blas_fallback's plain C GEMM.
#   3. configure a fresh build-gpu-check/ with -DPSAMP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
#      (-DPSAMP_WERROR=OFF: another gcc than CI's may warn; warnings stay in build.log), and
#      build -j16 only the gpu-labelled tests and bench_cuda.
#   4. ctest -L gpu: kernels vs CPU references (every attention variant, the fused KV append,
#      both layer norms, the GEMV), both samplers vs host/engine/sample_row.c, the engine vs the CPU
#      engine on the fixtures with each set of kernel variants (test_gpu_engine.c's VARIANTS:
#      the default, the first version, the previous default, the halves with the epilogue,
#      the GEMMs through tuned cuBLASLt plans, serial and in halves); the Qwen2 / Llama / Phi-3
#      engine vs the CPU engine on their fixtures (test_gpu_engine_decoder.c: prefill, steps,
#      batched steps, forks, Phi-3 longrope across its switch) and their kernels and forward.
#   4b. power sampling from the command line on OPT, cpu vs cuda acceptance; 4c. the same
#      CLI on the Qwen2 / Llama / Phi-3 fixtures: `psamp score --backend cuda` vs cpu per token,
#      and `psamp generate --backend cuda` power sampling end to end.
#   5. bench_cuda: decode-step throughput at 1..4096 slots with the measured roofline, each
#      size timed with each set of kernel variants (bench_cuda.c's roles: the first version,
#      run 2's default, one change at a time to the default, then the cuBLASLt epilogue and
#      the overlapping halves, and "+tune": the GEMMs through tuned cuBLASLt plans, with a
#      "BENCH tune" line per size, and at 1 slot "+fused": PSAMP_GEMM=fused, the layer norms,
#      bias + ReLU and residual adds inside the GEMVs), one layer's attention alone in each kernel, and the
#      step's small kernels alone.
#   5a. bench_cuda --kv fp8 at 1024 and 4096 slots: the fp8 KV cache's step against its own
#      floor (role "default+kv8" in the step table), beside the fp16 cache's default.
#   5b. where ncu is on the PATH: one default-variant decode step at 1024 slots, every kernel
#      node of its graph timed by Nsight Compute (bench_cuda --profile default marks the
#      step with NVTX), summed per kernel by tests/gpu/ncu_step_table.py: where the step's
#      time goes inside the graph, which "alone" timings only estimate. A profiler failure
#      is reported, not counted as a failed check.
#   6. compute-sanitizer: memcheck on the kernel tests and a short engine run (graphs and
#      cuBLAS included, both variant sets), racecheck on the attention and sampling kernels
#      (shared memory);
#      runs that would start past 420 s are skipped, and the table says so.
# Last, a short table: every check with its worst error per dtype, then the benchmark.
# Exit status 0 only when every step passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out/gpu-check}
mkdir -p "$OUT"
BUILD=build-gpu-check
STATUS=()
failed=0
note() { STATUS+=("$(printf '%-34s %s' "$1" "$2")"); }
fail() { note "$1" "FAIL  $2"; failed=1; }
t_start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t_start ))s"; }

# ---- 1. the GPU ------------------------------------------------------------------------
if nvidia-smi -L > "$OUT/nvidia-smi.txt" 2>&1 && grep -q "GPU 0" "$OUT/nvidia-smi.txt"; then
  note "gpu" "ok    $(head -1 "$OUT/nvidia-smi.txt")"
else
  fail "gpu" "nvidia-smi lists no GPU (see nvidia-smi.txt)"
fi
nvidia-smi >> "$OUT/nvidia-smi.txt" 2>&1 || true
export PSAMP_REQUIRE_GPU=1

# ---- 2. dependencies -------------------------------------------------------------------
DEPS_ARGS=()
if ls .gpu-deps/*.deb > /dev/null 2>&1; then
  rm -rf .gpu-deps/root && mkdir -p .gpu-deps/root
  for deb in .gpu-deps/*.deb; do
    if ! dpkg -x "$deb" .gpu-deps/root 2>> "$OUT/build.log"; then
      # no dpkg: a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d) && (cd "$tmp" && ar x "$OLDPWD/$deb" && tar xf data.tar.*) &&
        cp -a "$tmp"/. .gpu-deps/root/ 2>/dev/null; rm -rf "$tmp"
    fi
  done
  DEPS_ARGS+=("-DPSAMP_DEPS_ROOT=$PWD/.gpu-deps/root")
fi

# ---- 3. configure and build ------------------------------------------------------------
rm -rf "$BUILD"
if cmake -S . -B "$BUILD" -DPSAMP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release \
    -DPSAMP_WERROR=OFF "${DEPS_ARGS[@]}" > "$OUT/build.log" 2>&1; then
  GPU_TESTS=$(cd "$BUILD" && ctest -N -L gpu | awk '/Test +#/ {print $3}')
  if cmake --build "$BUILD" -j16 --target psamp_gpu_tests bench_cuda psamp >> "$OUT/build.log" 2>&1; then
    warnings=$(grep -c "warning" "$OUT/build.log")
    note "configure + build ($(elapsed))" "ok    $(echo $GPU_TESTS | wc -w) gpu tests, $warnings warning lines"
  else
    fail "build" "see build.log: $(grep -m1 -E 'error' "$OUT/build.log")"
  fi
else
  fail "configure" "see build.log: $(grep -m1 -E 'Error|error' "$OUT/build.log")"
fi

# ---- 4. the gpu tests ------------------------------------------------------------------
if [ -x "$BUILD/tests/test_gpu_engine" ]; then
  (cd "$BUILD" && ctest -L gpu --output-on-failure --timeout 180 -V) > "$OUT/ctest.log" 2>&1
  rc=$?
  summary=$(grep -E "tests passed|tests failed" "$OUT/ctest.log" | tail -1)
  if grep -qE "\*\*\*Skipped|Not Run" "$OUT/ctest.log"; then
    fail "ctest -L gpu ($(elapsed))" "a test skipped or did not run: $summary"
  elif [ $rc -ne 0 ]; then
    fail "ctest -L gpu ($(elapsed))" "$summary"
  else
    note "ctest -L gpu ($(elapsed))" "ok    $summary"
  fi
fi

# ---- 4b. power sampling through the CLI: the CUDA engine's acceptance rate equals the CPU
# engine's on the same seeds (both draw from one Philox stream per chain) ------------------
if [ -x "$BUILD/psamp" ]; then
  for backend in cpu cuda; do
    timeout 120 "$BUILD/psamp" generate --model tests/fixtures/opt-tiny-pre --prompt "Hello world" \
      --method power --alpha 4 --max-new-tokens 32 --block-size 8 --mcmc-steps 8 --chains 256 \
      --seed 5 --backend $backend --json > "$OUT/power_$backend.json" 2>> "$OUT/ctest.log"
  done
  verdict=$(python3 - "$OUT/power_cpu.json" "$OUT/power_cuda.json" <<'PY'
import json, math, sys
try:
    c, g = (json.load(open(p)) for p in sys.argv[1:3])
except Exception as e:
    print(f"FAIL unreadable output: {e}"); sys.exit()
n = c["chains"] * 4 * 8
se = math.sqrt(2 * c["accept_rate"] * (1 - c["accept_rate"]) / n)
ok = g["backend"] == "cuda" and abs(c["accept_rate"] - g["accept_rate"]) <= 4 * se
print(("ok   " if ok else "FAIL ") + f"accept cpu {c['accept_rate']:.4f} cuda {g['accept_rate']:.4f} (4se {4*se:.4f}); "
      f"mean logp cpu {c['mean_logp']:.3f} cuda {g['mean_logp']:.3f}; cuda {g['tokens_per_second']:.0f} tok/s")
PY
)
  case "$verdict" in
    ok*) note "power sampling cpu vs cuda ($(elapsed))" "$verdict" ;;
    *) fail "power sampling cpu vs cuda ($(elapsed))" "$verdict" ;;
  esac
fi

# ---- 4c. Qwen2 / Llama / Phi-3 through the CLI on the CUDA engine: score vs the CPU engine
# per token (the 16-bit dtype's tolerance of test_gpu_engine_decoder.c), then power sampling ---
if [ -x "$BUILD/psamp" ]; then
  for case in "qwen2-tiny-gqa bf16 0.15" "llama-tiny-mha-f16 fp16 0.03" "phi3-tiny-longrope fp16 0.03"; do
    set -- $case
    text="The quick brown fox jumps over the lazy dog; 12 + 7 = 19. Then the fox ran on and on, far away."
    for backend in cpu cuda; do
      timeout 60 "$BUILD/psamp" score --model "tests/fixtures/$1" --text "$text" --backend $backend --dtype $2 \
        --json > "$OUT/score_$1_$backend.json" 2>> "$OUT/ctest.log"
    done
    timeout 120 "$BUILD/psamp" generate --model "tests/fixtures/$1" --prompt "Solve 12+7." --method power \
      --alpha 4 --max-new-tokens 16 --block-size 4 --mcmc-steps 4 --chains 64 --seed 5 --backend cuda \
      --dtype $2 --json > "$OUT/power_$1_cuda.json" 2>> "$OUT/ctest.log"
    verdict=$(python3 - "$OUT/score_$1_cpu.json" "$OUT/score_$1_cuda.json" "$OUT/power_$1_cuda.json" "$3" <<'PY'
import json, sys
try:
    c, g, p = (json.load(open(f)) for f in sys.argv[1:4])
except Exception as e:
    print(f"FAIL unreadable output: {e}"); sys.exit()
tol = float(sys.argv[4])
worst = max(abs(a - b) for a, b in zip(c["logp"], g["logp"])) if c["tokens"] == g["tokens"] else float("inf")
ok = worst <= tol and p.get("backend") == "cuda" and len(p.get("samples", [])) == 64 and 0 <= p["accept_rate"] <= 1
print(("ok   " if ok else "FAIL ") + f"score max dlogp {worst:.2e} (tol {tol}) over {len(c['logp'])} tokens; "
      f"power sampling on cuda: accept {p.get('accept_rate', -1):.3f}, {p.get('tokens_per_second', 0):.0f} tok/s")
PY
)
    case "$verdict" in
      ok*) note "$1 cli cuda ($(elapsed))" "$verdict" ;;
      *) fail "$1 cli cuda ($(elapsed))" "$verdict" ;;
    esac
  done
fi

# ---- 5. benchmark ----------------------------------------------------------------------
if [ -x "$BUILD/benchmarks/bench_cuda" ]; then
  timeout 120 "$BUILD/benchmarks/bench_cuda" > "$OUT/bench.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    note "bench_cuda ($(elapsed))" "ok"
  else
    fail "bench_cuda ($(elapsed))" "rc $rc: $(tail -1 "$OUT/bench.log")"
  fi
fi

# ---- 5a. the fp8 KV cache's decode step at 1024 and 4096 slots (rows "default+kv8") ----------
if [ -x "$BUILD/benchmarks/bench_cuda" ]; then
  timeout 90 "$BUILD/benchmarks/bench_cuda" --kv fp8 --steps 10 1024 4096 > "$OUT/bench_fp8.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    grep "^BENCH slots=" "$OUT/bench_fp8.log" >> "$OUT/bench.log"
    note "bench_cuda --kv fp8 ($(elapsed))" "ok"
  else
    fail "bench_cuda --kv fp8 ($(elapsed))" "rc $rc: $(tail -1 "$OUT/bench_fp8.log")"
  fi
fi

# ---- 5b. one step's kernels, profiled ---------------------------------------------------
PROFILE_DEADLINE=${PSAMP_PROFILE_DEADLINE:-240} # seconds into the check after which it is skipped
if [ -x "$BUILD/benchmarks/bench_cuda" ] && command -v ncu > /dev/null; then
  if [ $(( $(date +%s) - t_start )) -gt $PROFILE_DEADLINE ]; then
    note "ncu one step" "SKIP  past ${PROFILE_DEADLINE}s of the check's time budget"
  elif timeout 150 ncu --nvtx --nvtx-include "psamp_step/" --graph-profiling node --cache-control none \
      --clock-control none --metrics gpu__time_duration.sum -f -o "$OUT/ncu_step" \
      "$BUILD/benchmarks/bench_cuda" --steps 2 --profile default 1024 > "$OUT/ncu_step.log" 2>&1 &&
    ncu --import "$OUT/ncu_step.ncu-rep" --csv --page raw --print-units base \
      --metrics gpu__time_duration.sum > "$OUT/ncu_step.csv" 2>> "$OUT/ncu_step.log" &&
    python3 tests/gpu/ncu_step_table.py "$OUT/ncu_step.csv" > "$OUT/ncu_step.txt" 2>> "$OUT/ncu_step.log"; then
    note "ncu one step ($(elapsed))" "ok    $(tail -1 "$OUT/ncu_step.txt" | awk '{print $(NF-1), "kernels,", $NF, "us"}')"
  else
    note "ncu one step ($(elapsed))" "WARN  profiler run failed (not a check failure): $(tail -1 "$OUT/ncu_step.log")"
  fi
fi

# ---- 6. compute-sanitizer --------------------------------------------------------------
DEADLINE=${PSAMP_SANITIZER_DEADLINE:-330} # seconds into the check after which sanitizer runs are skipped (said so below)
sanitize() { # tool, command... (all runs append to sanitizer.log)
  local tool=$1
  shift
  if [ $(( $(date +%s) - t_start )) -gt $DEADLINE ]; then
    note "$tool $(basename "$1")" "SKIP  past ${DEADLINE}s of the check's time budget"
    return
  fi
  local log="$OUT/sanitizer.part"
  timeout 90 compute-sanitizer --tool "$tool" --error-exitcode 3 "$@" > "$log" 2>&1
  local rc=$?
  { echo "==== $tool $* (rc $rc)"; cat "$log"; } >> "$OUT/sanitizer.log"
  local errors
  errors=$(grep -m1 -E "ERROR SUMMARY|RACECHECK SUMMARY" "$log")
  rm -f "$log"
  if [ $rc -eq 0 ]; then
    note "$tool $(basename "$1") ($(elapsed))" "ok    $errors"
  else
    fail "$tool $(basename "$1") ($(elapsed))" "rc $rc: ${errors:-see sanitizer.log}"
  fi
}
if [ -x "$BUILD/tests/test_gpu_engine" ] && command -v compute-sanitizer > /dev/null; then
  sanitize memcheck "$BUILD/tests/test_gpu_engine" --quick
  sanitize memcheck "$BUILD/tests/test_gpu_engine_decoder" --model phi3-tiny-longrope
  sanitize memcheck "$BUILD/tests/test_gpu_kernels"
  sanitize memcheck "$BUILD/tests/test_gpu_attention"
  sanitize memcheck "$BUILD/tests/test_gpu_gemv"
  sanitize racecheck "$BUILD/tests/test_gpu_attention" --quick
  sanitize racecheck "$BUILD/tests/test_gpu_sample" --quick
elif ! command -v compute-sanitizer > /dev/null; then
  fail "compute-sanitizer" "not on PATH"
fi

# ---- the table -------------------------------------------------------------------------
{
  echo
  echo "==== psamp GPU check: worst error per check (! = over tolerance) ===="
  if [ -f "$OUT/ctest.log" ]; then
    # ctest -V prefixes each test's lines with "NN: ".
    sed -E 's/^[0-9]+: //' "$OUT/ctest.log" | grep -h "^ROW|" | awk -F'|' '
      { check = $2; dt = $3; n = split(dt, part, "/");
        sub(/ warp\/[0-9]+ /, " warp/1,2,4,8 ", check) # forced warps per row: one line, the worst
        sub(/ append(\+bias)?\/[0-9]+ /, " append/0,1,2,4,8 ", check)
        if (n == 2) { check = check " " part[1]; dt = part[2] }
        key = check " (" $5 ")"
        if (!(key in seen)) { seen[key] = 1; order[++count] = key }
        v = $6 + 0; mark = ($4 == "PASS") ? "" : "!"
        if (!((key, dt) in val) || v > val[key, dt]) val[key, dt] = v
        if (mark == "!") bad[key, dt] = "!"
        tol[key, dt] = $7 }
      END {
        printf "%-60s %10s %10s %10s  %s\n", "check (metric)", "fp32", "fp16", "bf16", "tol";
        for (i = 1; i <= count; i++) {
          k = order[i]; line = sprintf("%-60s", substr(k, 1, 60)); tols = "";
          split("- fp32 fp16 bf16", d, " ");
          for (j = 1; j <= 4; j++)
            if (((k, d[j]) in tol) && index("/" tols "/", "/" tol[k, d[j]] "/") == 0)
              tols = tols (tols == "" ? "" : "/") tol[k, d[j]];
          split("fp32 fp16 bf16", d, " ");
          for (j = 1; j <= 3; j++) {
            c = ((k, d[j]) in val) ? sprintf("%.2e%s", val[k, d[j]], bad[k, d[j]]) : "";
            if (d[j] == "fp32" && !((k, "fp32") in val) && ((k, "-") in val))
              c = sprintf("%.2e%s", val[k, "-"], bad[k, "-"]);
            line = line sprintf(" %10s", c) }
          printf "%s  %s\n", line, tols } }'
    echo
    echo "==== the fp8 KV cache on the shipped trained model (test_gpu_kv_fp8_model) ===="
    sed -E 's/^[0-9]+: //' "$OUT/ctest.log" | sed -n 's/^TABLE //p'
  fi
  echo
  echo "==== bench_cuda ===="
  if [ -f "$OUT/bench.log" ]; then
    grep -E "^bench_cuda:|^measured:" "$OUT/bench.log"
    sed -n '/^ *slots /,$p' "$OUT/bench.log" | grep -v "^BENCH"
    echo
    echo "==== step ms (ratio to floor) per role: run 2's default, each change added, then the off-by-default variants ===="
    awk '/^BENCH slots=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
           n = f["slots"]; if (!(n in seen)) { seen[n] = 1; order[++count] = n }
           r = f["role"]; if (!(r in rseen)) { rseen[r] = 1; roles[++nr] = r }
           step[n, r] = f["step_ms"]; ratio[n, r] = f["ratio"] }
         /^BENCH attention / { for (i = 3; i <= NF; i++) { split($i, kv, "="); g[kv[1]] = kv[2] }
           a_warp[g["slots"]] = g["warp_gbs"]; a_app[g["slots"]] = g["append_gbs"] }
         /^BENCH budget / { for (i = 3; i <= NF; i++) { split($i, kv, "="); h[kv[1]] = kv[2] }
           b_prev[h["slots"]] = h["previous_ms"]; b_def[h["slots"]] = h["default_ms"] }
         END {
           printf "%6s", "slots"; for (j = 1; j <= nr; j++) printf " %14s", roles[j]; printf "\n";
           for (i = 1; i <= count; i++) { n = order[i]; printf "%6s", n;
             for (j = 1; j <= nr; j++) printf " %14s", sprintf("%s (%s)", step[n, roles[j]], ratio[n, roles[j]]);
             printf "\n" }
           printf "\n%6s %18s %22s %24s\n", "slots", "previous->default", "attn GB/s warp->fused", "small kernels alone ms";
           for (i = 1; i <= count; i++) { n = order[i]; p = step[n, "previous"]; d = step[n, "default"];
             printf "%6s %17.2fx %10s->%-11s %11s->%-12s\n", n, (d > 0 ? p / d : 0), a_warp[n], a_app[n], b_prev[n], b_def[n] } }' "$OUT/bench.log"
    echo
    echo "==== +tune: the engine's GEMMs tuned vs untuned (ms), plans, tuning time ===="
    grep "^BENCH tune " "$OUT/bench.log" | sed 's/^BENCH tune //'
  fi
  if [ -f "$OUT/ncu_step.txt" ]; then
    echo
    echo "==== ncu: one default decode step at 1024 slots, kernel time per kernel (graph nodes) ===="
    cat "$OUT/ncu_step.txt"
  fi
  echo
  echo "==== steps ===="
  printf '%s\n' "${STATUS[@]}"
  if [ $failed -eq 0 ]; then echo "GPU CHECK: PASS ($(elapsed))"; else echo "GPU CHECK: FAIL ($(elapsed)) -- logs in \$OUT"; fi
} | tee "$OUT/summary.txt"
exit $failed
