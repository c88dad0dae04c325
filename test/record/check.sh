#!/bin/sh
# check.sh BUILD - the short conformance suite against nmserve_record (the
# record transport, record.h) through record_proxy, under every model whose
# connections are driven through the session's events and actions: by a
# loop, or by a loop that hands requests off to other threads.
# The proxy holds the server's connections, so the address a server sees
# is the proxy's: peer_address is left out.
B=${1:-build/host}
rc=0
for m in epoll select poll reactor event_loop multi_reactor actor "reactor --poller epoll --edge" \
         reactor_worker_pool multi_reactor_worker_pool reactor_thread_per_task half_sync_half_async hybrid \
         process_pool_reactors work_stealing reactor_conn_thread pipeline producer_consumer; do
    out=$(NM_SUITE=short NM_TEST_FILTER=-peer_address NM_RUN_PREFIX="$B/test/record_proxy" \
          timeout 120 "$B/test/conformance" "$B/test/nmserve_record" $m 2>&1)
    r=$?
    echo "$m: $(echo "$out" | tail -1)"
    [ $r = 0 ] || { echo "$out" | grep -v '^ok '; rc=1; }
done
# The transport's close message: a request asking to close is answered and
# its connection ended with the close record (the proxy counts them at exit).
dir=$(mktemp -d)
mkfifo "$dir/out"
"$B/test/record_proxy" "$B/test/nmserve_record" --model epoll --port 0 > "$dir/out" 2> "$dir/err" &
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
