#!/bin/sh
# profile.sh BUILD [MODEL] [keepalive|close] - where a request's time goes.
#
# Instructions per request: nmserve runs under callgrind; after a warm-up its
# counters are zeroed, nmbench sends a measured run of requests, and the
# instructions executed in user space until the server exits are divided by
# the requests answered (user space only). Syscalls per request: the same
# run with perf counting the kernel's syscall tracepoints. CPU time per
# request: a third run at full speed, the server's user and kernel time
# (its process tree, /proc) over the measured requests.
# Leaves callgrind's output in $OUT for callgrind_annotate.
B=${1:-build/host}
MODEL=${2:-epoll}
MODE=${3:-keepalive}
OUT=${BENCH_OUT:-build/bench}
SECS=${PROFILE_SECONDS:-3}
mkdir -p "$OUT"
flag=""
[ "$MODE" = close ] && flag=--close

# serve TOOL...: start nmserve under TOOL; sets SPID and PORT.
serve() {
    fifo=$OUT/.profile
    rm -f "$fifo"
    mkfifo "$fifo"
    "$@" "$B/nmserve" --model "$MODEL" --port 0 > "$fifo" 2> "$OUT/profile.err" &
    SPID=$!
    read -r line < "$fifo"
    rm -f "$fifo"
    PORT=${line#*127.0.0.1:}
    PORT=${PORT%% *}
}

. "$(dirname "$0")/procs.sh"

# (the line that counts them: nmbench's last line is closed_by_server=N)
requests() { "$B/nmbench" -p "$PORT" -c 50 -d "$1" $flag | tr ' ' '\n' | sed -n 's/^requests=//p' | tail -1; }

# stop: end the server with SIGTERM. Under valgrind a signal waits until the
# server's thread leaves its system call, and the proactor's io_uring wait
# has no timeout while it holds no connection: one more connection ends it.
stop() {
    kill -TERM "$SPID"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.5
        kill -0 "$SPID" 2> /dev/null || break
        "$B/nmbench" -p "$PORT" -c 1 -d 1 > /dev/null 2>&1
    done
    wait "$SPID"
}

# CPU time per request, user and kernel apart, at full speed.
serve
requests 1 > /dev/null
set -- $(cpu_ticks "$SPID")
u0=$1 s0=$2
n=$(requests "$SECS")
set -- $(cpu_ticks "$SPID")
kill -TERM "$SPID"
wait "$SPID"
echo "$MODEL $MODE: $(per_request_us $(($1 - u0 + $2 - s0)) "$n") us of server CPU per request:" \
     "user $(per_request_us $(($1 - u0)) "$n"), kernel $(per_request_us $(($2 - s0)) "$n") ($n requests, /proc)"

command -v valgrind > /dev/null || { echo "profile: valgrind missing"; exit 1; }
serve valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
requests 1 > /dev/null
callgrind_control -z "$SPID" > /dev/null 2>&1
n=$(requests "$SECS")
stop
ir=$(awk '/^(summary|totals):/ { print $2 }' "$OUT/callgrind.out" | tail -1)
echo "$MODEL $MODE: $ir instructions / $n requests = $((ir / n)) instructions per request (callgrind, user space)"

# Syscalls: the kernel's tracepoints counted by perf, at full speed (no
# tracing slowdown, so EAGAIN reads happen as often as they do in a benchmark).
# perf stat and the server run in their own process group: an interrupt to the
# group stops the server cleanly and makes perf print its counts.
events=raw_syscalls:sys_enter
for s in recvfrom sendmsg epoll_wait epoll_ctl accept4 setsockopt close io_uring_enter; do events="$events,syscalls:sys_enter_$s"; done
if perf stat -e raw_syscalls:sys_enter true > /dev/null 2>&1; then
    # io_uring_enter a second time, only the calls that wait for completions
    # (IORING_ENTER_GETEVENTS): the rest only submitted.
    serve setsid perf stat -e "$events" -e syscalls:sys_enter_io_uring_enter --filter 'flags & 1' -o "$OUT/perf.out" --
    n=$(requests "$SECS")
    /bin/kill -INT -- "-$SPID"
    wait "$SPID"
    awk -v n="$n" -v what="$MODEL $MODE" '
        $2 == "raw_syscalls:sys_enter" { printf "%s: %d syscalls / %d requests = %.2f syscalls per request (perf)\n", what, $1, n, $1 / n; next }
        $2 == "syscalls:sys_enter_io_uring_enter" && seen++ { printf " (waiting %.2f, submit only %.2f)", $1 / n, (all - $1) / n; next }
        $2 == "syscalls:sys_enter_io_uring_enter" { all = $1 }
        $2 ~ /^syscalls:sys_enter_/ { sub("syscalls:sys_enter_", "", $2); printf "  %s %.2f", $2, $1 / n }
        END { print "" }' "$OUT/perf.out"
else
    echo "profile: perf cannot count syscalls here"
fi
