#!/usr/bin/env bash
# The shipped arithmetic models (weights/psamp-arith-*) under `psamp score` equal transformers:
# per-token and total log p within 1e-4 of tests/fixtures/arith_reference.json (fp32 on the fp16
# weights, weights/make_arith_reference.py), and psamp's tokenizer gives transformers' ids.
source "$(dirname "$0")/cli_lib.sh"
ref="$PSAMP_FIXTURES/arith_reference.json"
python3 - "$ref" >"$tmp/cases" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1]))["models"]:
    for i, s in enumerate(m["sequences"]):
        print(m["name"], i, ",".join(map(str, s["tokens"])))
PY
[ -s "$tmp/cases" ] || { echo "no sequences in $ref" >&2; exit 1; }
while read -r name index ids; do
  model="$PSAMP_SOURCE_DIR/weights/$name"
  expect_ok score --model "$model" --tokens "$ids" --json
  cp "$tmp/out" "$tmp/ids.json"
  text=$(python3 -c 'import json,sys; m=[m for m in json.load(open(sys.argv[1]))["models"] if m["name"]==sys.argv[2]][0]; sys.stdout.write(m["sequences"][int(sys.argv[3])]["text"])' "$ref" "$name" "$index"; printf x)
  expect_ok score --model "$model" --text "${text%x}" --json
  cp "$tmp/out" "$tmp/text.json"
  checks=$((checks + 1))
  python3 - "$ref" "$name" "$index" "$tmp/ids.json" "$tmp/text.json" <<'PY' || fail "$name sequence $index differs from transformers"
import json, sys
ref, name, index, ids_path, text_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
want = [m for m in json.load(open(ref))["models"] if m["name"] == name][0]["sequences"][index]
got, by_text = json.load(open(ids_path)), json.load(open(text_path))
bad = []
if got["tokens"] != want["tokens"]:
    bad.append("tokens differ")
if len(got["logp"]) != len(want["logp"]):
    bad.append(f"{len(got['logp'])} log p values, want {len(want['logp'])}")
else:
    worst = max(abs(a - b) for a, b in zip(got["logp"], want["logp"]))
    if worst > 1e-4:
        bad.append(f"per-token |dlog p| {worst:.2e} > 1e-4")
if abs(got["total"] - want["total"]) > 1e-4:
    bad.append(f"total {got['total']:.6f}, transformers {want['total']:.6f}")
if by_text["tokens"] != want["tokens"][:-1]:
    bad.append(f"--text gives ids {by_text['tokens']}, transformers' tokenizer {want['tokens'][:-1]}")
for b in bad:
    print(f"{name} {want['id']}: {b}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done <"$tmp/cases"
finish
