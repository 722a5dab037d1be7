#!/usr/bin/env bash
# Regenerates the typed Google API modules from Google's Discovery documents.
#
#   scripts/generate.sh [name:version ...]     (default: the seven APIs below)
#
# The documents come from the google-api-python-client wheel on PyPI (which ships every
# Discovery document), downloaded with pip into a cache outside the source tree:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/swift-google-mtls/discovery
# Each API is written to Sources/<Module>/ (Client.swift, Models.swift), <Module> being
# Google + the API name in UpperCamelCase (storage -> GoogleStorage).
#
# Environment:
#   GOOGLE_API_PYTHON_CLIENT_VERSION  a version to pin (default: the latest; the cache keeps it)
#   REFRESH_DISCOVERY=1               download the wheel again even when one is cached
#   OUTPUT_ROOT                       where module folders go (default: Sources)
set -euo pipefail

cd "$(dirname "$0")/.."

DEFAULT_APIS=(storage:v1 pubsub:v1 secretmanager:v1 cloudkms:v1 iamcredentials:v1 cloudresourcemanager:v3 logging:v2)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/swift-google-mtls/discovery"
OUTPUT_ROOT="${OUTPUT_ROOT:-Sources}"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
apis=("$@")
[[ ${#apis[@]} -eq 0 ]] && apis=("${DEFAULT_APIS[@]}")

# The wheel, downloaded once (or again with REFRESH_DISCOVERY=1 / a new pinned version).
fetch_wheel() {
    local spec="google-api-python-client${GOOGLE_API_PYTHON_CLIENT_VERSION:+==$GOOGLE_API_PYTHON_CLIENT_VERSION}"
    local pattern="$CACHE/wheels/google_api_python_client-${GOOGLE_API_PYTHON_CLIENT_VERSION:-*}-py*.whl"
    mkdir -p "$CACHE/wheels"
    # shellcheck disable=SC2086
    if [[ "${REFRESH_DISCOVERY:-0}" == 1 ]] || ! ls $pattern >/dev/null 2>&1; then
        echo "fetching $spec into $CACHE/wheels" >&2
        python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$CACHE/wheels" "$spec" >&2
    fi
    # shellcheck disable=SC2086
    ls -t $pattern | head -n 1
}

# The wheel's Discovery documents, unpacked next to it (once per wheel).
unpack_documents() {
    local wheel="$1" target
    target="$CACHE/$(basename "$wheel" .whl)"
    if [[ ! -d "$target" ]]; then
        python3 - "$wheel" "$target.partial" <<'PY'
import sys, zipfile
prefix = "googleapiclient/discovery_cache/documents/"
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            wheel.extract(name, sys.argv[2])
PY
        mv "$target.partial/googleapiclient/discovery_cache/documents" "$target"
        rm -rf "$target.partial"
    fi
    echo "$target"
}

documents="$(unpack_documents "$(fetch_wheel)")"
echo "discovery documents: $documents" >&2

swift build --product GoogleAPIGenerator >&2

new_modules=()
for api in "${apis[@]}"; do
    if [[ "$api" != *:* ]]; then
        echo "error: '$api' is not name:version (e.g. storage:v1)" >&2
        exit 2
    fi
    document="$documents/${api%%:*}.${api#*:}.json"
    if [[ ! -f "$document" ]]; then
        echo "error: no Discovery document for $api (looked for $document)" >&2
        exit 1
    fi
    module="$(swift run --skip-build GoogleAPIGenerator --discovery "$document" --print-module-name)"
    swift run --skip-build GoogleAPIGenerator --discovery "$document" --output "$OUTPUT_ROOT/$module"
    grep -q "name: \"$module\"" Package.swift || new_modules+=("$module")
done

if [[ ${#new_modules[@]} -gt 0 ]]; then
    echo
    echo "Add to Package.swift, under products:"
    for module in "${new_modules[@]}"; do
        echo "        .library(name: \"$module\", targets: [\"$module\"]),"
    done
    echo "and under targets:"
    for module in "${new_modules[@]}"; do
        echo "        .target("
        echo "            name: \"$module\","
        echo "            dependencies: [\"GoogleAPICore\"],"
        [[ "$OUTPUT_ROOT" != Sources ]] && echo "            path: \"$OUTPUT_ROOT/$module\","
        echo "            swiftSettings: [.swiftLanguageMode(.v6)]"
        echo "        ),"
    done
fi
