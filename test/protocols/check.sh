#!/bin/sh
# check.sh BUILD [MODEL...] - the demo protocols (demos/protocols.h) under
# each MODEL (default: every model of the build), each checked by a client
# nobody here wrote: test/protocols/modbus.sh, test/protocols/resp.sh.
# Ends with "N passed, N failed, N skipped" over both.
B=${1:-build/host}
shift
. test/counts.sh
passed=0
failed=0
skipped=0
for proto in modbus resp; do
    [ -f "test/protocols/$proto.sh" ] || continue
    out=$(sh "test/protocols/$proto.sh" "$B" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    nm_counts << EOF
$out
EOF
    [ -n "$counts" ] || { p=0; f=1; }
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
