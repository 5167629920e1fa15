#!/usr/bin/env bash
# psamp's front door: --version, --help, no command, an unknown command. Run with
# OPENBLAS_CORETYPE unset (where OpenBLAS misdetects the CPU, psamp runs itself again with
# it set: the arguments must come through and nothing extra be printed) and with a user's
# own value (kept as it is).
source "$(dirname "$0")/cli_lib.sh"

for coretype in unset Prescott; do
  if [ "$coretype" = unset ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE=$coretype; fi
  expect_ok --version
  [ "$(cat "$tmp/out")" = "psamp 0.1.0" ] || fail "--version ($coretype): $(cat "$tmp/out")"
  [ ! -s "$tmp/err" ] || fail "--version ($coretype) wrote to stderr: $(cat "$tmp/err")"
  expect_ok --help
  grep -q "^  generate " "$tmp/out" || fail "--help ($coretype) lists the commands"
  [ ! -s "$tmp/err" ] || fail "--help ($coretype) wrote to stderr: $(cat "$tmp/err")"
  expect_error 2 "unknown command 'nope'" -- nope --seed 1
  checks=$((checks + 1))
  "$PSAMP" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 2 ] && grep -q "^usage: psamp COMMAND" "$tmp/err" && [ ! -s "$tmp/out" ] ||
    fail "no command ($coretype): exit $rc, usage on stderr only"
done
finish
