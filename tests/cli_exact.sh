#!/usr/bin/env bash
# psamp exact: the greedy trap's table through the CLI (text and JSON), --max-new-tokens,
# and one-line errors with exit code 1 (bad input) or 2 (bad command line).
set -u
: "${PSAMP:?set PSAMP to the psamp program}"
TOY="${PSAMP_SOURCE_DIR:?}/experiments/toy"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# A JSON number field of the one-line object on stdin.
field() { grep -o "\"$1\":[-0-9.eE+]*" | head -1 | cut -d: -f2; }
# near VALUE EXPECTED TOL -> exit 0 when |VALUE - EXPECTED| <= TOL
near() { awk -v v="$1" -v e="$2" -v t="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(v != "" && d <= t) }'; }

# README table: p^alpha(BGGGGGGG) and temperature-1/alpha P(BGGGGGGG).
for row in "1 0.2793 0.00005 0.2793" "2 0.9935 0.00005 0.3018" "4 0.99999 0.000005 0.1649" "16 1.0000 0.00005 0.0015"; do
  set -- $row
  out=$("$PSAMP" exact --model "$TOY/greedy_trap.json" --alpha "$1" --json) || fail "alpha $1: exit $?"
  pm=$(echo "$out" | field power_correct_mass)
  tm=$(echo "$out" | field temperature_correct_mass)
  near "$pm" "$2" "$3" || fail "alpha $1: power_correct_mass $pm, want $2"
  near "$tm" "$4" 0.00005 || fail "alpha $1: temperature_correct_mass $tm, want $4"
  echo "$out" | grep -q '"top":\[{"text":"BGGGGGGG","prob":' || fail "alpha $1: top[0] is not BGGGGGGG"
  echo "$out" | grep -q '"log_z":' || fail "alpha $1: no log_z"
  [ "$(echo "$out" | grep -o '"text":' | wc -l)" -eq 20 ] || fail "alpha $1: want 10 + 10 top sequences"
done

# The text table names both columns and ranks BGGGGGGG first under p^alpha.
out=$("$PSAMP" exact --model "$TOY/greedy_trap.json" --alpha 2) || fail "text mode exit $?"
echo "$out" | grep -q "^correct-set mass  *0.993541  *0.301792" || fail "text table: $out"
echo "$out" | grep -A1 "under p^alpha" | grep -q " 1  0.993541  BGGGGGGG" || fail "text top list"

# Shorter horizon on the EOS world: 13 complete sequences of at most 3 tokens, none correct.
out=$("$PSAMP" exact --model "$TOY/eos_world.json" --alpha 1 --max-new-tokens 3 --json) || fail "T=3 exit $?"
[ "$(echo "$out" | field n_sequences)" = "13" ] || fail "T=3: n_sequences: $out"
[ "$(echo "$out" | field power_correct_mass)" = "0" ] || fail "T=3: correct mass should be 0"
echo "$out" | grep -q '"top":\[{"text":"ccc","prob":0.2754' || fail "T=3: ccc (cut at 3) tops the list"

# A world without a correct set reports null, not 0.
printf '{"tokens": ["a"], "length": 2, "start": "s", "states": {"s": {"a": [1, "s"]}}}' > "$TMP/plain.json"
out=$("$PSAMP" exact --model "$TMP/plain.json" --alpha 3 --json) || fail "plain world exit $?"
echo "$out" | grep -q '"power_correct_mass":null' || fail "no correct set -> null: $out"

# expect CODE PATTERN ARGS...: exit code CODE, exactly one line on stderr matching PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 2
  "$PSAMP" exact "$@" > "$TMP/out" 2> "$TMP/err"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "exact $*: exit $rc, want $code"
  [ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "exact $*: stderr is not one line: $(cat "$TMP/err")"
  grep -q -- "$pattern" "$TMP/err" || fail "exact $*: stderr '$(cat "$TMP/err")' lacks '$pattern'"
  [ ! -s "$TMP/out" ] || fail "exact $*: wrote to stdout on failure"
}
printf '{"tokens": ["A"], "length": 2, "start": "s", "states": {"s": {"A": [-0.1, null]}}}' > "$TMP/broken.json"
expect 1 "alpha: 0 is not > 0" --model "$TOY/greedy_trap.json" --alpha 0
expect 1 "alpha: -2 is not > 0" --model "$TOY/greedy_trap.json" --alpha -2
expect 1 "model is required" --alpha 2
expect 1 "alpha is required" --model "$TOY/greedy_trap.json"
expect 1 "/nonexistent.json: cannot open" --model /nonexistent.json --alpha 2
expect 1 "broken.json: states.s.A: probability -0.1 is not positive" --model "$TMP/broken.json" --alpha 2
expect 1 "max new tokens 9 is outside \[1, 8\]" --model "$TOY/greedy_trap.json" --alpha 2 --max-new-tokens 9
expect 2 "unknown option '--beta'" --model "$TOY/greedy_trap.json" --beta 2
expect 2 "alpha: expected a number, got 'abc'" --model "$TOY/greedy_trap.json" --alpha abc
expect 2 "model needs a value" --alpha 2 --model
expect 1 "opt-tiny-pre: is a directory, not a file" --model "$PSAMP_FIXTURES/opt-tiny-pre" --alpha 2
# Large alpha: the entropy stays finite and >= 0 (it was -5e-8 at 1e4 and 4.2 at 1e8).
for a in 1e4 1e8 1e300; do
  h=$("$PSAMP" exact --model "$TOY/greedy_trap.json" --alpha $a --json | field power_entropy)
  near "$h" 0 1e-100 || fail "alpha $a: power_entropy $h"
done
"$PSAMP" exact --help | grep -q "max-new-tokens" || fail "--help lists the options"

[ "$failures" -eq 0 ] && echo "cli_exact: all checks passed"
exit $((failures > 0))
