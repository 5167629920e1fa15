#!/usr/bin/env bash
# The build targets tests/gpu/check.sh names exist in a CUDA build (a dry run of that build
# here, no GPU needed): a name that is not a target fails the whole GPU check at its build
# step, on the scarce device time. Usage: gpu_check_targets.sh SOURCE_DIR BINARY_DIR
set -u
src=$1 bin=$2
line=$(grep -m1 -- '--target ' "$src/tests/gpu/check.sh") || { echo "FAIL: check.sh has no --target line"; exit 1; }
targets=$(sed -E 's/.*--target (.*) >>.*/\1/' <<<"$line")
[ -n "$targets" ] && [ "$targets" != "$line" ] || { echo "FAIL: cannot read the targets of: $line"; exit 1; }
# shellcheck disable=SC2086 # the targets are words
if ! out=$(cmake --build "$bin" --target $targets -- -n 2>&1); then
  echo "FAIL: check.sh builds '$targets', and that does not resolve here:"
  grep -m3 -iE "no rule|unknown target|error" <<<"$out"
  exit 1
fi
echo "gpu_check_targets.sh: check.sh's targets ($targets) resolve"
