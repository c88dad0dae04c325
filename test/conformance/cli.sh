#!/bin/sh
# cli.sh NMSERVE - a wrong option, an unknown model or a port in use prints
# one line on stderr and exits 2.
srv=$1
run=${NM_RUN_PREFIX:-}
fails=0
expect2() {
    what=$1
    shift
    $run "$@" > /dev/null 2> /tmp/nm-cli.$$
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
expect2 "more workers than the build allows" "$srv" --model prefork_shared_accept --workers 100000 --port 0
expect2 "more threads than the build allows" "$srv" --model thread_pool --threads 100000 --port 0
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
rm -f "$fifo" /tmp/nm-cli.$$
[ $fails -eq 0 ]
