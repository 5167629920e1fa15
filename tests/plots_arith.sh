#!/usr/bin/env bash
# experiments/arith/report.py on the committed CPU results (experiments/arith/results/cpu):
# it writes the table and both figures, and every pass@1 and pass@k_max in the table is the
# number in the JSON it came from (so the table in experiments/README.md, copied from it, can
# be regenerated). Without the plot environment the test is reported as skipped.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
py="${PSAMP_PYENV:-$src/.venv}/bin/python"
if [ ! -x "$py" ] || ! "$py" -c 'import matplotlib' 2>/dev/null; then
  echo "skipped: no plot environment at ${PSAMP_PYENV:-$src/.venv} (make it with scripts/pyenv.sh plot)"
  exit 77
fi
results="$src/experiments/arith/results/cpu"
checks=$((checks + 1))
"$py" "$src/experiments/arith/report.py" "$results" "$tmp/fig" --hardware "test" >"$tmp/report.out" 2>"$tmp/report.err" ||
  fail "report.py: $(cat "$tmp/report.err")"
for f in arith_passk.png arith_passk.svg arith_hyper.png arith_hyper.svg arith_table.md; do
  checks=$((checks + 1))
  [ -s "$tmp/fig/$f" ] || fail "report.py wrote no $f"
done
checks=$((checks + 1))
python3 - "$results" "$tmp/fig/arith_table.md" <<'PY' || fail "the table does not match the JSON"
import json, os, re, sys
results, table = sys.argv[1], open(sys.argv[2]).read()
sections = re.split(r"\n\*\*", table)
for family in ("add", "expr", "mod"):
    section = [s for s in sections if s.startswith(f"{family}**")]
    assert len(section) == 1, family
    rows = {r.split("|")[1].strip(): r for r in section[0].splitlines() if r.startswith("| ") and "---" not in r}
    for part in ("base", "rl"):
        d = json.load(open(os.path.join(results, f"{family}_{part}.json")))
        for m in d["methods"]:
            cells = [c.strip() for c in rows[m["label"]].split("|")[1:-1]]
            assert cells[2].startswith(f"{100 * m['pass_at_k'][0]:.1f} ["), (family, m["label"], cells)
            assert cells[3].startswith(f"{100 * m['pass_at_k'][-1]:.1f} ["), (family, m["label"], cells)
# The paired table: power a=4 - base T=1 at k = 1 is the difference of the two pass@1 values
# (a mean of per-problem differences equals the difference of the means).
paired = [s for s in sections if s.startswith("Paired differences**")]
assert len(paired) == 1, "no paired table"
row = [r for r in paired[0].splitlines() if r.startswith("| power a=4 − base T=1 | 1 |")]
assert len(row) == 1, "no power - base row"
cells = [c.strip() for c in row[0].split("|")[1:-1]]
for family, cell in zip(("add", "expr", "mod"), cells[2:]):
    by = {m["label"]: m for m in json.load(open(os.path.join(results, f"{family}_base.json")))["methods"]}
    want = 100 * (by["power a=4"]["pass_at_k"][0] - by["base T=1"]["pass_at_k"][0])
    lo, hi = (float(v) for v in cell.split("[")[1].rstrip("]").split(","))
    assert cell.startswith(f"{want:+.1f} [") and lo <= want <= hi, (family, cell, want)
PY
finish
