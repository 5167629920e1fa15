#!/usr/bin/env bash
# Installs what psamp needs to build on Debian/Ubuntu, when run as root; otherwise prints
# the exact install line and fails. Usage: scripts/deps.sh [extra-debian-package ...]
set -euo pipefail
need=(build-essential cmake pkg-config libcjson-dev libopenblas-dev python3 "$@")
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "psamp: missing packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
