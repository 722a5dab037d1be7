#!/usr/bin/env bash
# Installs the Debian packages named as arguments when any is missing (needs root for apt-get).
# Used by `make build`, `make test` and `make demo`, so a fresh Debian 12 machine needs nothing else.
set -euo pipefail
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts may try to start services (nginx); the tests start their own instances.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
