# Helpers for CLI tests: run psamp and check exit codes, stderr and outputs.
# Usage in a test: source "$(dirname "$0")/cli_lib.sh"; ...; finish
set -u
fails=0
checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_error CODE PATTERN -- ARGS...: psamp exits with CODE, prints one stderr line
# matching PATTERN, and nothing on stdout.
expect_error() {
  local code=$1 pattern=$2
  shift 3
  checks=$((checks + 1))
  "$PSAMP" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "psamp $*: exit $rc, expected $code ($(cat "$tmp/err"))"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "psamp $*: stderr is not one line: $(cat "$tmp/err")"
  grep -q -- "$pattern" "$tmp/err" || fail "psamp $*: stderr lacks '$pattern': $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "psamp $*: wrote to stdout on error"
}

# expect_ok ARGS...: exits 0; stdout is left in $tmp/out.
expect_ok() {
  checks=$((checks + 1))
  "$PSAMP" "$@" >"$tmp/out" 2>"$tmp/err" || fail "psamp $*: exit $? ($(cat "$tmp/err"))"
}

# json_check FILE PYTHON-EXPR: the expression over `d` (the parsed JSON, or for .jsonl the
# list of lines) is true.
json_check() {
  checks=$((checks + 1))
  python3 - "$1" "$2" <<'PY' || fail "json check on $1: $2"
import json, sys
path, expr = sys.argv[1], sys.argv[2]
text = open(path).read()
d = [json.loads(l) for l in text.splitlines()] if path.endswith(".jsonl") else json.loads(text)
sys.exit(0 if eval(expr) else 1)
PY
}

finish() {
  echo "$(basename "$0"): $checks checks, $fails failed"
  [ "$fails" -eq 0 ] && [ "$checks" -gt 0 ]
}
