#!/bin/sh
# cli.sh NMSERVE - a wrong option, an unknown model, a port in use or a count
# past the build's cap prints one line on stderr and exits 2; a count at the
# cap starts.
srv=$1
run=${NM_RUN_PREFIX:-}
. "$(dirname "$0")/../protocols/serve.sh"
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
    serve_wait=300   # under an emulator a model of many processes takes a while
    serve_start "$out" $run "$@"
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

# Listeners: an address that is none, a Unix socket's path that cannot be
# one, a descriptor that is no listener, each one line and exit 2.
socks=/tmp/nm-cli-socks.$$
mkdir -p "$socks"
: > "$socks/file"
expect2 "bad listen address" "$srv" --model epoll --port 0 --host 1.2.3
expect2 "IPv6 address with an open bracket" "$srv" --model epoll --port 0 --host "[::1"
expect2 "unix: with no path" "$srv" --model epoll --host unix:
expect2 "Unix socket in a missing directory" "$srv" --model epoll --host "unix:$socks/none/s"
expect2 "Unix socket path that is a file" "$srv" --model epoll --host "unix:$socks/file"
grep -q "not a socket" /tmp/nm-cli.$$ || { echo "FAIL a file: the line does not say it is not a socket"; fails=$((fails + 1)); }
expect2 "listen fd that is not a socket" "$srv" --model epoll --listen-fd 2
expect2 "listen fd that is not open" "$srv" --model epoll --listen-fd 99
expect2 "listen fd that is negative" "$srv" --model epoll --listen-fd -1
expect2 "queue wait below 0" "$srv" --model epoll --port 0 --queue-wait -5
expect2 "min rate below 0" "$srv" --model epoll --port 0 --min-rate -1
expect2 "min rate not a number" "$srv" --model epoll --port 0 --min-rate 5x
expect2 "yield slice below 0" "$srv" --model thread_pool --port 0 --yield-slice -5
expect2 "yield slice not a number" "$srv" --model thread_pool --port 0 --yield-slice 5x
grep -q "bad number for --yield-slice" /tmp/nm-cli.$$ || { echo "FAIL --yield-slice: not read as a number"; fails=$((fails + 1)); }

# refused NAME WORDS CMD...: exit 2, one line holding each of WORDS (model, kind).
refused() {
    what=$1
    words=$2
    shift 2
    expect2 "$what" "$@"
    for w in $words; do
        grep -q "$w" /tmp/nm-cli.$$ || { echo "FAIL $what: the line does not name '$w'"; fails=$((fails + 1)); }
    done
}
# A SO_REUSEPORT listener per process: no such thing on a Unix socket's path
# or on one listener handed in.
refused "prefork_reuseport on a Unix socket" "prefork_reuseport Unix" \
    "$srv" --model prefork_reuseport --host "unix:$socks/r"
refused "prefork_reuseport on a listener handed in" "prefork_reuseport handed" \
    "$srv" --model prefork_reuseport --listen-fd 2
if "$srv" --list-pollers 2> /dev/null | grep -q '^process_pool_reactors .*poll' ||
   $run "$srv" --list-pollers | grep -q '^process_pool_reactors .*poll'; then
    refused "process_pool_reactors on poll on a Unix socket" "process_pool_reactors poll Unix" \
        "$srv" --model process_pool_reactors --poller poll --host "unix:$socks/r"
    refused "hybrid on poll on a listener handed in" "hybrid poll handed" \
        "$srv" --model hybrid --poller poll --listen-fd 2
fi
[ -e "$socks/r" ] && { echo "FAIL a refused model left its socket file"; fails=$((fails + 1)); }

# A Unix socket a live server holds is refused; one its dead server left is
# taken over, and removed at that server's stop.
$run "$srv" --model epoll --host "unix:$socks/s" > "$fifo" &
pid=$!
read -r line < "$fifo"
refused "Unix socket a live server listens on" "listens" "$srv" --model poll --host "unix:$socks/s"
kill -KILL $pid
wait $pid 2> /dev/null
if [ -S "$socks/s" ]; then
    at_cap "Unix socket its dead server left is taken over" "$srv" --model epoll --host "unix:$socks/s"
    [ -e "$socks/s" ] && { echo "FAIL the Unix socket's file outlived its server"; fails=$((fails + 1)); }
else
    echo "FAIL a killed server's socket file is gone (nothing stale to test)"
    fails=$((fails + 1))
fi
rm -rf "$socks"
rm -f "$fifo" /tmp/nm-cli.$$ /tmp/nm-cli-models.$$
[ $fails -eq 0 ]
