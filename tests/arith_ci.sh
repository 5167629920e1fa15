#!/usr/bin/env bash
# The arithmetic experiment's CI configs (experiments/arith/ci/) reproduce their committed
# numbers (experiments/arith/ci/expected_*.json, made by the same command): the same problems,
# the same correct counts per problem and method, the same tokens decoded and pass@k. Both
# configs run the CPU engine on one thread with seed 1, so the samples are fixed.
source "$(dirname "$0")/cli_lib.sh"
dir="$PSAMP_SOURCE_DIR/experiments/arith/ci"
for part in base rl; do
  expect_ok passk --config "$dir/methods_$part.json" --out "$tmp/$part.json"
  checks=$((checks + 1))
  python3 - "$dir/expected_$part.json" "$tmp/$part.json" <<'PY' || fail "experiments/arith/ci/methods_$part.json no longer gives expected_$part.json"
import json, sys
want, got = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
if [p["id"] for p in got["problems"]] != [p["id"] for p in want["problems"]]:
    bad.append("problems differ")
if got["k"] != want["k"] or got["samples"] != want["samples"]:
    bad.append("k or samples differ")
if [m["label"] for m in got["methods"]] != [m["label"] for m in want["methods"]]:
    bad.append("methods differ")
for g, w in zip(got["methods"], want["methods"]):
    for key in ("correct", "tokens_decoded", "chains_run"):
        if g[key] != w[key]:
            bad.append(f"{w['label']}: {key} {g[key]}, committed {w[key]}")
    if any(abs(a - b) > 1e-9 for a, b in zip(g["pass_at_k"], w["pass_at_k"])):
        bad.append(f"{w['label']}: pass@k {g['pass_at_k']}, committed {w['pass_at_k']}")
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done
finish
