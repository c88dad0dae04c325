#!/bin/sh
# cli.sh NMSERVE - a wrong option, an unknown model, a port in use or a count
# past the build's cap prints one line on stderr and exits 2; a count at the
# cap starts.
srv=$1
run=${NM_RUN_PREFIX:-}
fails=0
expect2() {
    what=$1
    shift
    timeout 30 $run "$@" > /dev/null 2> /tmp/nm-cli.$$   # a server that starts instead fails, in time
    rc=$?
    lines=$(wc -l < /tmp/nm-cli.$$)
    if [ $rc -ne 2 ] || [ "$lines" -ne 1 ]; then
        echo "FAIL $what: exit $rc, $lines lines on stderr"
        fails=$((fails + 1))
    else
        echo "ok   $what: $(cat /tmp/nm-cli.$$)"
    fi
}
expect2 "unknown option" "$srv" --bogus
expect2 "unknown model" "$srv" --model nosuch --port 0
expect2 "bad port" "$srv" --model epoll --port 70000
expect2 "missing value" "$srv" --model
expect2 "unknown poller" "$srv" --model reactor --poller nosuch --port 0
expect2 "edge on a level-only port" "$srv" --model poll --edge --port 0
expect2 "more connections than the build allows" "$srv" --model epoll --max-conns 100000 --port 0
grep -q "max-conns" /tmp/nm-cli.$$ || { echo "FAIL --max-conns: the line does not name the option"; fails=$((fails + 1)); }

# at_cap WHAT CMD...: the server starts (its first line) and stops with 0.
at_cap() {
    what=$1
    shift
    out=/tmp/nm-cli-cap.$$
    $run "$@" > "$out" 2>&1 &
    pid=$!
    n=0
    while [ $n -lt 300 ] && ! grep -q '^listening on' "$out" && kill -0 $pid 2> /dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
    if grep -q '^listening on' "$out"; then
        kill -TERM $pid
        wait $pid
        rc=$?
    else
        kill -KILL $pid 2> /dev/null
        wait $pid
        rc=not-started
    fi
    if [ "$rc" = 0 ]; then
        echo "ok   $what"
    else
        echo "FAIL $what: $rc, $(head -1 "$out")"
        fails=$((fails + 1))
    fi
    rm -f "$out"
}

# Every count option of every model: one past the build's cap is a usage
# error, one line naming the option and the cap (the cap is read from it);
# the cap itself starts. Each line: model, option, other options.
"$srv" --list > /tmp/nm-cli-models.$$ 2> /dev/null || $run "$srv" --list > /tmp/nm-cli-models.$$
while read -r model option rest; do
    grep -qx "$model" /tmp/nm-cli-models.$$ || continue
    expect2 "$model $option past its cap" "$srv" --model "$model" $rest "$option" 100000 --port 0
    cap=$(sed -n 's/.*cap of \([0-9][0-9]*\).*/\1/p' /tmp/nm-cli.$$)
    if ! grep -q -- "$option 100000" /tmp/nm-cli.$$ || [ -z "$cap" ]; then
        echo "FAIL $model $option: the line names neither the option nor the cap"
        fails=$((fails + 1))
        continue
    fi
    at_cap "$model $option $cap (the cap) starts" "$srv" --model "$model" $rest "$option" "$cap" --port 0
done << 'COUNTS'
thread_pool --threads
thread_per_conn --threads
leader_follower --threads
producer_consumer --threads
half_sync_half_async --threads
actor --threads
work_stealing --threads
multi_reactor --threads
reactor_conn_thread --threads
multi_reactor_worker_pool --threads --pool 1
multi_reactor_worker_pool --pool --threads 1
reactor_worker_pool --pool
reactor_worker_pool --threads
hybrid --threads --workers 1 --pool 1
hybrid --pool --workers 1 --threads 1
hybrid --workers --threads 1 --pool 1
process_pool_reactors --workers
prefork_shared_accept --workers
prefork_locked_accept --workers
prefork_reuseport --workers
prefork_fd_passing --workers
fork_per_conn --workers
COUNTS
# a port in use: hold one with a first server
fifo=/tmp/nm-cli-fifo.$$
mkfifo "$fifo"
$run "$srv" --model epoll --port 0 > "$fifo" &
pid=$!
read -r line < "$fifo"
port=${line##*:}
port=${port%% *}
expect2 "port in use" "$srv" --model epoll --port "$port"
kill -TERM $pid
wait $pid
rm -f "$fifo" /tmp/nm-cli.$$ /tmp/nm-cli-models.$$
[ $fails -eq 0 ]
