#!/usr/bin/env bash
# Prints the path of the Python virtual environment psamp's Python scripts run in, after
# making it (once) and installing the requirement sets named as arguments, each a file of
# scripts/requirements/ named after the set (plot.txt for "plot"). The environment is .venv/
# at the repository root (git-ignored), or the folder $PSAMP_PYENV names. Usage from a script:
#
#     py="$(scripts/pyenv.sh plot)/bin/python"
#
# A set is installed only when its file changed since the last install (a stamp per set).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
env_dir="${PSAMP_PYENV:-$root/.venv}"
for set_name in "$@"; do
  if [ ! -f "$root/scripts/requirements/$set_name.txt" ]; then
    echo "scripts/pyenv.sh: no requirement set '$set_name' (scripts/requirements/$set_name.txt)" >&2
    exit 2
  fi
done
if [ ! -x "$env_dir/bin/python" ]; then
  python3 -m venv "$env_dir" >&2 || {
    echo "scripts/pyenv.sh: python3 -m venv $env_dir failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
for set_name in "$@"; do
  req="$root/scripts/requirements/$set_name.txt"
  stamp="$env_dir/.psamp-$set_name.stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
    echo "scripts/pyenv.sh: installing the '$set_name' requirements into $env_dir" >&2
    "$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
    cp "$req" "$stamp"
  fi
done
echo "$env_dir"
