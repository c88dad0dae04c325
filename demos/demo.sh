#!/bin/sh
# demo.sh BUILD - serve with a few models on loopback, drive each with
# nmbench, and print one table. The default model comes first.
B=${1:-build/host}
SECS=${DEMO_SECONDS:-2}
MODELS=${DEMO_MODELS:-"epoll reactor poll select iterative"}
printf '| model | poller | conns | requests/s | p50 us | p99 us | errors |\n'
printf '|---|---|---|---|---|---|---|\n'
for m in $MODELS; do
    "$B/nmserve" --list | grep -qx "$m" || continue
    fifo=$(mktemp -u); mkfifo "$fifo"
    "$B/nmserve" --model "$m" --port 0 > "$fifo" &
    pid=$!
    read -r line < "$fifo"
    rm -f "$fifo"
    port=${line#*127.0.0.1:}; port=${port%% *}
    poller=${line##*poller=}
    conns=50
    [ "$m" = iterative ] && conns=1   # one client at a time is what it can serve
    out=$("$B/nmbench" -p "$port" -c $conns -d "$SECS" | tail -1)
    kill -TERM $pid; wait $pid
    get() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$poller" $conns "$(get rps)" "$(get p50_us)" \
        "$(get p99_us)" "$(( $(get errors) + $(get bad) ))"
done
