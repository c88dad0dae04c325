#!/bin/sh
# check.sh BUILD [MODEL...] - the demo protocols (demos/protocols.h) under
# each MODEL (default: every model of the build), each checked by a client
# nobody here wrote: test/protocols/modbus.sh, test/protocols/resp.sh.
# Ends with "N passed, N failed" over both.
B=${1:-build/host}
shift
passed=0
failed=0
for p in modbus resp; do
    [ -f "test/protocols/$p.sh" ] || continue
    out=$(sh "test/protocols/$p.sh" "$B" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    counts=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
    p_=${counts%% passed*}; f_=${counts#*, }; f_=${f_%% failed*}
    [ -n "$counts" ] || { p_=0; f_=1; }
    [ "$rc" -ne 0 ] && [ "$f_" -eq 0 ] && f_=1
    passed=$((passed + p_)); failed=$((failed + f_))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
