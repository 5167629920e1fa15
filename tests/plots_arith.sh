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
# --against: a copy of the run where power a=4 on mod has one correct sample fewer on one
# problem (and RL T=1 one more): only those cells move, by 1/n/problems at pass@1.
mkdir -p "$tmp/other"
cp "$results"/*.json "$tmp/other/"
python3 - "$tmp/other" <<'PY' || fail "could not make the changed copy"
import json, sys
for name, label, delta in (("mod_base.json", "power a=4", -1), ("mod_rl.json", "RL T=1", +1)):
    path = f"{sys.argv[1]}/{name}"
    d = json.load(open(path))
    m = [x for x in d["methods"] if x["label"] == label][0]
    p = [i for i, c in enumerate(m["correct"]) if 1 < c < d["samples"] - 1][0]
    m["correct"][p] += delta
    json.dump(d, open(path, "w"))
PY
checks=$((checks + 1))
"$py" "$src/experiments/arith/report.py" "$results" "$tmp/fig2" --hardware "test" --against "$tmp/other" \
  >"$tmp/report.out" 2>"$tmp/report.err" || fail "report.py --against: $(cat "$tmp/report.err")"
checks=$((checks + 1))
python3 - "$results" "$tmp/fig2/arith_table.md" <<'PY' || fail "the --against table is wrong"
import json, re, sys
results, table = sys.argv[1], open(sys.argv[2]).read()
section = [s for s in re.split(r"\n\*\*", table) if s.startswith("Against ")]
assert len(section) == 1, "no --against table"
rows = {tuple(c.strip() for c in r.split("|")[1:3]): [c.strip() for c in r.split("|")[3:-1]]
        for r in section[0].splitlines() if r.startswith("| ") and "---" not in r and "method" not in r}
n = json.load(open(f"{results}/mod_base.json"))["samples"]
problems = len(json.load(open(f"{results}/mod_base.json"))["problems"])
want = f"{100 / n / problems:+.1f}"
assert rows[("power a=4", "1")][2].startswith(want + " ["), rows[("power a=4", "1")]
assert rows[("RL T=1", "1")][2].startswith(f"{-100 / n / problems:+.1f} ["), rows[("RL T=1", "1")]
for (label, k), cells in rows.items():
    for i, cell in enumerate(cells):
        if (label, i) not in (("power a=4", 2), ("RL T=1", 2)):
            assert cell.startswith("+0.0 [+0.0, +0.0]"), (label, k, i, cell)
assert ("base T=1", str(n)) in rows and len(rows) == 2 * 10, sorted(rows)
PY
# A run of another size is refused.
python3 - "$tmp/other" <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/add_base.json")); d["samples"] += 1; json.dump(d, open(f"{sys.argv[1]}/add_base.json", "w"))
PY
checks=$((checks + 1))
if "$py" "$src/experiments/arith/report.py" "$results" "$tmp/fig3" --hardware "test" --against "$tmp/other" \
  >"$tmp/report.out" 2>"$tmp/report.err"; then fail "report.py --against took a run of another size"; fi
grep -q "not the problems, k and samples" "$tmp/report.err" || fail "--against error: $(cat "$tmp/report.err")"
finish
