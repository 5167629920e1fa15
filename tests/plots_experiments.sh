#!/usr/bin/env bash
# The figure scripts of h1, h2, h3 and toyexp on real (small) runs, through the plot
# environment that the docs name (scripts/pyenv.sh plot, at $PSAMP_PYENV or .venv): each
# writes its PNG and SVG, and tests/plot_check.py checks titles (clean names), h2's curves
# (both visible) and h3's panels (no lines across methods, error bars, legends clear of
# markers). Without the plot environment the test says so and is reported as skipped.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
py="${PSAMP_PYENV:-$src/.venv}/bin/python"
if [ ! -x "$py" ] || ! "$py" -c 'import matplotlib, pandas' 2>/dev/null; then
  echo "skipped: no plot environment at ${PSAMP_PYENV:-$src/.venv} (make it with scripts/pyenv.sh plot)"
  exit 77
fi
toy="$src/experiments/toy"
plot() { # KIND SCRIPT ARGS...: the script runs, and its figure passes plot_check.py
  checks=$((checks + 1))
  "$py" "$src/tests/plot_check.py" "$@" >"$tmp/plot.out" 2>"$tmp/plot.err" ||
    fail "$1 figure: $(cat "$tmp/plot.err")"
}

# h1 from its config (whose model path is experiments/h1/../toy/greedy_trap.json).
expect_ok h1 --config "$src/experiments/h1/greedy_trap.json" --out "$tmp/h1.json"
plot h1 "$src/experiments/h1/plot_h1.py" "$tmp/h1.json" "$tmp/fig" --name h1
# h2 live on the greedy trap: the escape curves.
expect_ok h2 --model "$toy/greedy_trap.json" --method power --alpha 4 --block-size 2 --mcmc-steps 10 \
  --chains 200 --seed 1 --out "$tmp/h2.json"
plot h2 "$src/experiments/h2/plot_h2.py" "$tmp/h2.json" "$tmp/fig" --name h2
# h3 on the two toy worlds.
expect_ok h3 --worlds "$toy/greedy_trap.json,$toy/eos_world.json" --samples 16 --out "$tmp/h3"
plot h3 "$src/experiments/h3/plot_h3.py" "$tmp/h3"
# toyexp's CI config.
expect_ok toyexp --config "$src/experiments/toyexp/ci.json" --out "$tmp/toyexp.json"
plot toyexp "$src/experiments/toyexp/plot_toyexp.py" "$tmp/toyexp.json" "$tmp/fig"
for f in h1 h2 h3/h3; do
  checks=$((checks + 1))
  { [ -s "$tmp/fig/$f.png" ] || [ -s "$tmp/$f.png" ]; } || fail "no $f.png written"
done
finish
