#!/bin/sh
# check.sh BUILD [MODEL...] - the short conformance suite against
# nmserve_record (the record transport, record.h) through record_proxy,
# under each model named (default: every model the build has, on its
# first poller, and epoll edge-triggered and the proactor's emulation
# besides). The proxy holds the server's connections, so the address a
# server sees is the proxy's: peer_address is left out. For a cross build,
# NM_DRIVER names the host build whose conformance and record_proxy drive
# the target's nmserve_record, run under NM_RUN_PREFIX (an emulator).
B=${1:-build/host}
shift
DRV=${NM_DRIVER:-$B}
RUN=${NM_RUN_PREFIX:-}
rc=0
if [ $# = 0 ]; then
    models=$($RUN "$B/test/nmserve_record" --list-pollers | awk '{ print $1 }')
    set -- $models "reactor --poller epoll --edge"
    case " $models " in *" proactor "*) set -- "$@" "proactor --proactor emulated" ;; esac
fi
for m in "$@"; do
    out=$(NM_SUITE=short NM_TEST_FILTER=-peer_address NM_RUN_PREFIX="$DRV/test/record_proxy $RUN" \
          timeout 120 "$DRV/test/conformance" "$B/test/nmserve_record" $m 2>&1)
    r=$?
    echo "$m: $(echo "$out" | tail -1)"
    [ $r = 0 ] || { echo "$out" | grep -v '^ok '; rc=1; }
done
# The transport's close message: a request asking to close is answered and
# its connection ended with the close record (the proxy counts them at exit).
dir=$(mktemp -d)
mkfifo "$dir/out"
"$DRV/test/record_proxy" $RUN "$B/test/nmserve_record" --model "${1%% *}" --port 0 > "$dir/out" 2> "$dir/err" &
pid=$!
read -r line < "$dir/out"
port=${line#*127.0.0.1:}
port=${port%% *}
curl -s -m 5 -o /dev/null -H 'Connection: close' "http://127.0.0.1:$port/"
kill -TERM $pid
wait $pid
said=$(grep 'record_proxy: ' "$dir/err")
echo "close message: $said"
[ "$said" = "record_proxy: 1 ended with the close record, 0 without" ] || rc=1
rm -rf "$dir"
exit $rc
