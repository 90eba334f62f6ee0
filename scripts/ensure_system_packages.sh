#!/usr/bin/env bash
# Installs, with apt-get and only when missing, the system programs the test
# suite and benchmarks start for themselves (they never use the machine's own
# services). Each entry: "<command to look for> <debian package>".
set -euo pipefail
needed=(
  "redis-server redis-server"
  "initdb postgresql"
)
missing=()
for entry in "${needed[@]}"; do
  read -r cmd pkg <<<"$entry"
  if ! command -v "$cmd" >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/$cmd" >/dev/null; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing missing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
