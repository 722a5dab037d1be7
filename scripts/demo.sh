#!/usr/bin/env bash
# `make demo`: the examples against the local emulator, over real mTLS and HTTP/2.
#  1. tls-handshake: an mTLS handshake with gnutls-serv requiring our client certificate.
#  2. emulator-demo: an app that finds certificate, endpoint and credentials from the environment
#     alone and calls Secret Manager, Cloud Storage and Pub/Sub on the in-process emulator.
#  3. the `emulator` and `gmtls` executables: doctor, then an authenticated request.
set -euo pipefail
swift build
bin=$(swift build --show-bin-path)

echo "== 1. mTLS handshake with gnutls-serv"
"$bin/tls-handshake"

echo; echo "== 2. an app against the emulator"
"$bin/emulator-demo"

echo; echo "== 3. emulator + gmtls"
work=$(mktemp -d)
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/emulator" --directory "$work/emulator" > "$work/emulator.out" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q "Google API emulator on" "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/.*Google API emulator on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/emulator.out")
[[ -n "$port" ]] || { cat "$work/emulator.out"; exit 1; }
export GOOGLE_API_CERTIFICATE_CONFIG="$work/emulator/certificate_config.json"
export GOOGLE_APPLICATION_CREDENTIALS="$work/emulator/service-account.json"
export NO_GCE_CHECK=true
common=(--cacert "$work/emulator/ca.pem" --connect-to "::127.0.0.1:$port")
echo "\$ gmtls doctor --service secretmanager ${common[*]}"
"$bin/gmtls" doctor --service secretmanager "${common[@]}"
echo
echo "\$ gmtls request -X PUT https://pubsub.mtls.googleapis.com/v1/projects/emulator-project/topics/demo; gmtls request -i .../topics"
"$bin/gmtls" request -X PUT "${common[@]}" https://pubsub.mtls.googleapis.com/v1/projects/emulator-project/topics/demo
echo
"$bin/gmtls" request -i "${common[@]}" https://pubsub.mtls.googleapis.com/v1/projects/emulator-project/topics
echo
