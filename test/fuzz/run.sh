#!/bin/sh
# run.sh FUZZ_BUILD SECONDS - run each fuzz target for SECONDS from its seed
# corpus (copied: what it finds stays in FUZZ_BUILD, not in the tree), and
# print its executions. Fails on the first crash, leak or sanitizer report.
B=$1
secs=${2:-60}
rc=0
for t in http session; do
    work=$B/corpus-$t
    mkdir -p "$work"
    log=$B/fuzz_$t.log
    ASAN_OPTIONS=detect_leaks=1 "$B/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
        -artifact_prefix="$B/crash-$t-" "$work" "test/fuzz/corpus/$t" > "$log" 2>&1
    r=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ $r -eq 0 ]; then
        echo "ok    fuzz $t: ${execs:-?} executions in ${secs} s, corpus $(ls "$work" | wc -l) inputs"
    else
        echo "FAIL  fuzz $t (log: $log)"
        grep -E 'ERROR|SUMMARY|crash-' "$log" | head -5 | sed 's/^/      /'
        rc=1
    fi
done
exit $rc
