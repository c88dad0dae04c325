#!/bin/sh
# servers_end.sh BUILD - a test program that ends without stopping the
# servers it started (a test failed before its stop) takes them with it:
# none is left running to hold a port, a core, or a pipe a run waits on
# (test/client.cpp stops them at exit, and at SIGTERM or SIGINT).
B=${1:-build/host}
mark=nm-servers-end-$$
out=$(NM_SERVERS_END_MARK=$mark timeout 30 "$B/test/leave" "$B/nmserve" epoll) || { echo "FAIL: leave: $out"; exit 1; }
echo "$out"
sleep 1
left=""
for e in /proc/[0-9]*/environ; do
    { tr '\0' '\n' < "$e" | grep -qx "NM_SERVERS_END_MARK=$mark"; } 2> /dev/null && left="$left ${e%/environ}"
done
if [ -n "$left" ]; then
    echo "FAIL: left running after the test program ended:$left"
    for p in $left; do kill -9 "${p#/proc/}" 2> /dev/null; done
    exit 1
fi
echo "ok: no server outlived the test program"
