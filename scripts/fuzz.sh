#!/usr/bin/env bash
# Fuzzes every parser that reads outside input (Fuzz/Targets) with libFuzzer and AddressSanitizer:
# each target runs SECONDS (default 60) from its checked-in seeds (Fuzz/Corpus/<target>, never
# modified: new inputs go to .build/fuzz/corpus). Prints a table; exits 1 if any target crashed,
# leaked or hung. A crash input lands in .build/fuzz/crashes: turn it into a regression test.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
scratch=.build/fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls Fuzz/Corpus)

# The Swift backtracer would take the crash signal from libFuzzer: its reports carry the stack.
export SWIFT_BACKTRACE=enable=no
# Sanitizers go to swiftc as one flag: given `--sanitize=fuzzer --sanitize=address`, SwiftPM passes
# two -sanitize= flags in no fixed order and the driver keeps the last, so half the builds lacked
# ASan or coverage. `--sanitize=fuzzer` stays for SwiftPM itself (it then leaves `main` to libFuzzer).
# ld.gold warns about every ASan helper symbol it cannot export: noise, left out of what is shown.
mkdir -p "$scratch/crashes"
if ! GMTLS_FUZZ=1 swift build --scratch-path "$scratch" --product fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp >"$scratch/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/build.log" >&2
    echo "fuzz.sh: the fuzz build failed" >&2
    exit 1
fi
binary="$scratch/debug/fuzz"

failed=0
printf '%-24s %10s %8s %8s %8s %7s %6s\n' target runs corpus crashes leaks hangs result
for target in "${targets[@]}"; do
    work="$scratch/corpus/$target"
    log="$scratch/$target.log"
    mkdir -p "$work"
    status=0
    options=()
    # Swift keeps a weak reference's side table shifted inside the object's reference count, where
    # LeakSanitizer cannot see it: with connections alive between inputs, every side table of this
    # target's loopback exchanges would be reported as leaked.
    if [ "$target" = http1-exchange ]; then options+=(-detect_leaks=0); fi
    FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "${options[@]}" -artifact_prefix="$scratch/crashes/$target-" "$work" "Fuzz/Corpus/$target" \
        >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    corpus=$(ls "$work" | wc -l)
    leaks=$(grep -c 'ERROR: LeakSanitizer' "$log" || true)
    hangs=$(grep -c 'ERROR: libFuzzer: timeout' "$log" || true)
    crashes=$(grep -c -E 'ERROR: (AddressSanitizer|libFuzzer: deadly signal|libFuzzer: out-of-memory)' "$log" || true)
    result=ok
    if [ "$status" -ne 0 ] || [ "$crashes$leaks$hangs" != 000 ]; then result=FAILED; failed=1; fi
    if grep -q "instrumented for coverage" "$log"; then result=FAILED; failed=1; fi
    printf '%-24s %10s %8s %8s %8s %7s %6s\n' "$target" "${runs:-0}" "$corpus" "$crashes" "$leaks" "$hangs" "$result"
    if [ "$result" = FAILED ]; then grep -m 20 -E 'ERROR|SUMMARY|Fatal error|Test unit written|instrumented for coverage' "$log" | sed 's/^/    /'; fi
done
exit "$failed"
