#!/usr/bin/env bash
# Fails if Package.swift depends on any Swift package: the SDK builds on the toolchain alone.
# Package.resolved.template records the pin set this package promises (empty).
set -euo pipefail
cd "$(dirname "$0")/.."
listed=$(swift package show-dependencies --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["dependencies"]))')
pinned=$(python3 -c 'import json; print(len(json.load(open("Package.resolved.template"))["pins"]))')
if [[ "$listed" != 0 || "$pinned" != 0 ]]; then
  echo "error: the package must not depend on other Swift packages (show-dependencies lists $listed, template pins $pinned)" >&2
  exit 1
fi
if [[ -f Package.resolved ]] && ! python3 -c 'import json,sys; sys.exit(len(json.load(open("Package.resolved")).get("pins", [])))'; then
  echo "error: Package.resolved pins packages; remove the dependency that added them" >&2
  exit 1
fi
echo "dependencies: none besides the Swift toolchain"
