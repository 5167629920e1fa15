#!/usr/bin/env bash
# The figure scripts of sweeps and pass@k on real runs: the alpha x block-size heatmap of a
# toy sweep and of a task sweep on the tiny OPT (title naming model, tasks and hardware, the
# cells' values those of results.csv), and the pass@k figure (base curve, bands, distinct
# legend texts, fitted y axis). They need the plot environment (scripts/pyenv.sh plot, at
# $PSAMP_PYENV or .venv); without it the test says so and is reported as skipped.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
py="${PSAMP_PYENV:-$src/.venv}/bin/python"
if [ ! -x "$py" ] || ! "$py" -c 'import matplotlib, pandas' 2>/dev/null; then
  echo "skipped: no plot environment at ${PSAMP_PYENV:-$src/.venv} (make it with scripts/pyenv.sh plot)"
  exit 77
fi

# ---- heatmap of the toy sweep: one panel per world, cells = mean pass@1 over seeds ------
expect_ok sweep --config "$src/experiments/configs/toy-sweep.json" --out "$tmp/toy" --quiet
"$py" "$src/experiments/sweep/plot_heatmap.py" "$tmp/toy" "$tmp/heat" >"$tmp/out" 2>"$tmp/err" || fail "heatmap: $(cat "$tmp/err")"
checks=$((checks + 1))
"$py" - "$tmp/toy/results.csv" "$tmp/heat.svg" <<'PY' || fail "heatmap: title or cells do not match results.csv"
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1]).dropna(subset=["alpha", "block_size"])
svg = open(sys.argv[2]).read()
assert "pass_at_1 over alpha x block size" in svg and "greedy_trap.json" in svg and "eos_world.json" in svg
assert "cores" in svg, "the title names the hardware"
assert "model=greedy_trap.json" in svg and "model=eos_world.json" in svg
cells = df.groupby(["model", "alpha", "block_size"])["pass_at_1"].mean()
assert len(cells) == 12
for v in cells:
    assert f"{v:.3f}" in svg, v
PY
checks=$((checks + 1))
[ -s "$tmp/heat.png" ] || fail "heatmap: no PNG"

# ---- heatmap of a task sweep on the tiny OPT: tasks named in the title ------------------
printf '%s\n' '{"id": "any", "prompt": "Hello", "regex": "."}' '{"id": "digit", "prompt": "1, 2, 3,", "regex": "^[0-9]"}' >"$tmp/tasks.jsonl"
cat >"$tmp/tasks.json" <<JSON
{"model": "$PSAMP_FIXTURES/opt-tiny-pre", "tasks": "tasks.jsonl", "alpha": [2, 4], "block_size": [2, 3],
 "mcmc_steps": 1, "max_new_tokens": 3, "samples_per_task": 3, "backend": "cpu", "threads": 1}
JSON
expect_ok sweep --config "$tmp/tasks.json" --out "$tmp/tasks" --quiet
"$py" "$src/experiments/sweep/plot_heatmap.py" "$tmp/tasks" "$tmp/theat" >"$tmp/out" 2>"$tmp/err" || fail "task heatmap: $(cat "$tmp/err")"
checks=$((checks + 1))
grep -q "model opt-tiny-pre; tasks tasks.jsonl" "$tmp/theat.svg" || fail "task heatmap title lacks model and tasks"
# Bad input: one line, non-zero exit.
"$py" "$src/experiments/sweep/plot_heatmap.py" "$tmp" "$tmp/none" >"$tmp/out" 2>"$tmp/err"
rc=$?
checks=$((checks + 1))
[ $rc -ne 0 ] && grep -q "results.csv does not exist" "$tmp/err" || fail "heatmap of a folder without results: $(cat "$tmp/err")"
"$py" "$src/experiments/sweep/plot_heatmap.py" "$tmp/tasks" "$tmp/none" --value nope >"$tmp/out" 2>"$tmp/err"
rc=$?
checks=$((checks + 1))
[ $rc -ne 0 ] && grep -q "no column 'nope'" "$tmp/err" || fail "heatmap of an unknown column: $(cat "$tmp/err")"

# ---- pass@k figure: the base curve, bands, one legend text per method -------------------
expect_ok passk --model "$src/experiments/toy/greedy_trap.json" --samples 200 --k 1,2,4,16 \
  --methods "temp temp:temperature=0.25 power:alpha=4,block-size=2,mcmc-steps=20 power:alpha=4,block-size=2,mcmc-steps=20,label=again" \
  --out "$tmp/pk.json"
"$py" "$src/experiments/passk/plot_passk.py" "$tmp/pk.json" "$tmp/pk" >"$tmp/out" 2>"$tmp/err" || fail "plot_passk: $(cat "$tmp/err")"
checks=$((checks + 1))
"$py" - "$src/experiments/passk" "$tmp/pk.json" "$tmp/pk.svg" <<'PY' || fail "plot_passk: base curve, legend or y axis"
import json, sys
sys.path.insert(0, sys.argv[1])
import plot_passk
d = json.load(open(sys.argv[2]))
svg = open(sys.argv[3]).read()
texts = plot_passk.legend_texts(d["methods"])
assert len(set(texts)) == len(texts) == 4, texts
assert texts[0].startswith("base: temp T=1") and "temp T=0.25" in texts[1], texts
assert "power a=4 B=2 N=20 q=0.25" in texts[2] and "(again)" in texts[3], texts
for t in texts:
    assert t.replace("&", "&amp;") in svg, t
values = [v for m in d["methods"] for key in ("pass_at_k", "pass_at_k_lo", "pass_at_k_hi") for v in m[key]]
lo, hi = plot_passk.y_limits(values)
assert lo <= min(values) and hi >= max(values) and (lo > 0.0 or min(values) < 0.05), (lo, hi, min(values))
assert plot_passk.y_limits([0.5, 0.6]) == (0.5 - 0.02, 0.6 + 0.02)
assert plot_passk.y_limits([0.0, 1.0])[0] == -0.02 and plot_passk.y_limits([0.0, 1.0])[1] == 1.02
PY
finish
