#!/usr/bin/env bash
# `make demo`: the examples against the local emulator, over real mTLS and HTTP/2.
#  1. tls-handshake: an mTLS handshake with gnutls-serv requiring our client certificate.
#  2. emulator-demo: an app that finds certificate, endpoint and credentials from the environment
#     alone and calls Secret Manager, Cloud Storage and Pub/Sub on the in-process emulator.
#  3. the `emulator` executable; with only its env.sh sourced, the seven API examples (Storage,
#     Pub/Sub, Secret Manager, KMS, Resource Manager, Logging, IAM Credentials) and gmtls.
set -euo pipefail
swift build
bin=$(swift build --show-bin-path)

echo "== 1. mTLS handshake with gnutls-serv"
"$bin/tls-handshake"

echo; echo "== 2. an app against the emulator"
"$bin/emulator-demo"

echo; echo "== 3. the emulator executable, the examples and gmtls, configured by its env.sh alone"
work=$(mktemp -d)
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/emulator" --directory "$work/emulator" > "$work/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  [[ -f "$work/emulator/env.sh" ]] && grep -q "Google API emulator on" "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
[[ -f "$work/emulator/env.sh" ]] || { cat "$work/emulator.out"; exit 1; }
# shellcheck disable=SC1091
source "$work/emulator/env.sh"
export NO_GCE_CHECK=true
for example in storage-example pubsub-example secret-example kms-example projects-example logging-example token-example; do
  echo "\$ $example"
  "$bin/$example"
done
echo
echo "\$ gmtls doctor --service secretmanager"
"$bin/gmtls" doctor --service secretmanager
echo
echo "\$ gmtls request -X PUT https://pubsub.mtls.googleapis.com/v1/projects/$GOOGLE_CLOUD_PROJECT/topics/demo; gmtls request -i .../topics"
"$bin/gmtls" request -X PUT "https://pubsub.mtls.googleapis.com/v1/projects/$GOOGLE_CLOUD_PROJECT/topics/demo"
echo
"$bin/gmtls" request -i "https://pubsub.mtls.googleapis.com/v1/projects/$GOOGLE_CLOUD_PROJECT/topics"
echo
