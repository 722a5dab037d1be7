#!/usr/bin/env bash
# The long checks (`make check-deep`): the whole suite under ThreadSanitizer and under
# AddressSanitizer, every fuzz target for FUZZ_SECONDS, the soak for SOAK_SECONDS (optimised).
# Every stage runs even if an earlier one failed; logs go to .build/check-deep/; the summary table
# at the end counts cases tried, passed, crashes, leaks and races. Exits 1 if any stage failed.
# Expects SOFTHSM2_CONF (the Makefile sets it) for the PKCS#11 tests.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
SOAK_SECONDS="${SOAK_SECONDS:-1800}"
logs=.build/check-deep
mkdir -p "$logs"
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=8
rows=()
failed=0

# row CHECK TRIED PASSED CRASHES LEAKS RACES STATUS
row() {
    local result=ok
    if [ "$7" -ne 0 ]; then result=FAILED; failed=1; fi
    rows+=("$(printf '%-34s %12s %12s %8s %10s %6s  %s' "$1" "$2" "$3" "$4" "$5" "$6" "$result")")
}

# suite NAME SANITIZER LEAKS: builds and runs the tests in their own build tree; counts from the summary.
suite() {
    local log="$logs/$1.log" status=0
    { swift build --build-tests --sanitize="$2" --scratch-path ".build/$2" &&
      swift test --skip-build --sanitize="$2" --scratch-path ".build/$2"; } 2>&1 | tee "$log" || status=$?
    local tried failures crashes races
    tried=$(grep -oE 'Test run with [0-9]+ tests' "$log" | grep -oE '[0-9]+' | tail -1)
    failures=$(grep -cE '^✘ Test .* failed after' "$log")
    crashes=$(grep -cE 'ERROR: AddressSanitizer|Fatal error|Signal [0-9]+:' "$log")
    races=$(grep -c 'WARNING: ThreadSanitizer' "$log")
    [ -n "$tried" ] && [ "$races" -eq 0 ] || status=1
    [ "$2" = thread ] || races=n/a
    row "$1" "${tried:-?}" "$(( ${tried:-0} - failures ))" "$crashes" "$3" "$races" "$status"
}

TSAN_OPTIONS=halt_on_error=1 suite "tests under ThreadSanitizer" thread n/a
# LeakSanitizer off here: the gmtls children exit with their event-loop threads running; leaks
# are looked for by the fuzzers (every input) and the soak (flat RSS).
ASAN_OPTIONS=detect_leaks=0 suite "tests under AddressSanitizer" address "not checked"

fuzz_status=0
scripts/fuzz.sh "$FUZZ_SECONDS" 2>&1 | tee "$logs/fuzz.log" || fuzz_status=$?
while read -r target runs _corpus crashes leaks hangs result; do
    row "fuzz $target (${FUZZ_SECONDS} s)" "$runs" "$([ "$result" = ok ] && echo "$runs" || echo 0)" \
        "$((crashes + hangs))" "$leaks" n/a "$([ "$result" = ok ] && echo 0 || echo 1)"
done < <(grep -E ' (ok|FAILED)$' "$logs/fuzz.log")
[ "$fuzz_status" -eq 0 ] || failed=1

soak_status=0
{ swift build -c release --product soak &&
  "$(swift build -c release --show-bin-path)/soak" --seconds "$SOAK_SECONDS" --concurrency 200; } 2>&1 | tee "$logs/soak.log" || soak_status=$?
calls=$(grep -oE 'publishes [0-9]+, secret reads [0-9]+' "$logs/soak.log" | grep -oE '[0-9]+' | awk '{ sum += $1 } END { print sum }')
lost=$(grep -oE 'lost: [0-9]+, duplicated: [0-9]+' "$logs/soak.log" | grep -oE '[0-9]+' | awk '{ sum += $1 } END { print sum }')
growth=$(grep -q 'grew' "$logs/soak.log" && echo "memory/fd grew" || echo "flat")
row "soak ${SOAK_SECONDS} s, 200 streams, faults" "${calls:-?}" "lost+dup=${lost:-?}" \
    "$(grep -cE 'Fatal error|Signal [0-9]+:' "$logs/soak.log")" "$growth" n/a "$soak_status"

echo
echo "check-deep summary (logs in $logs)"
printf '%-34s %12s %12s %8s %10s %6s  %s\n' check "cases tried" passed crashes leaks races result
printf '%s\n' "${rows[@]}"
exit "$failed"
