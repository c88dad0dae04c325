#!/bin/sh
# resp.sh BUILD [MODEL...] - the RESP demo (demos/resp.c) under each MODEL
# (default: every model of BUILD/nmserve --list), judged by redis-cli, a
# client nobody here wrote: PING, SET then GET on a new connection (one table
# across connections, threads and processes), INCR, DEL, an unknown command,
# a pipeline through redis-cli --pipe; and by a plain socket (python3, when
# there is one): a command a byte at a time, two commands in one write, and a
# malformed frame answered "-ERR Protocol error" and closed.
# Prints "ok    resp MODEL" or "FAIL  resp MODEL: what" per model and ends
# with "N passed, N failed, N skipped": without redis-cli the whole check is
# one skip, without python3 the raw checks are (test/counts.sh; each fails
# instead when NM_REQUIRE_FEATURES names redis or python3). NM_RUN_PREFIX
# runs a cross build's server under qemu-user; the clients run on the host.
B=${1:-build/host}
[ $# -gt 0 ] && shift
run=${NM_RUN_PREFIX:-}
logs=$B/test/logs
mkdir -p "$logs"
. "$(dirname "$0")/../counts.sh"
if ! command -v redis-cli > /dev/null 2>&1; then
    nm_skip resp redis "redis-cli is not installed (make deps installs redis-tools)" &&
        { echo "0 passed, 0 failed, 1 skipped"; exit 0; }
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
models=$*
[ -n "$models" ] || models=$($run "$B/nmserve" --list)
py=$(command -v python3 || true)
. "$(dirname "$0")/serve.sh"

# The raw checks: python3 resp_raw.py PORT KEY, silent when all hold.
cat > "$logs/resp_raw.py" << 'EOF'
import socket, sys, time
port, key = int(sys.argv[1]), sys.argv[2].encode()

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_exactly(s, n):
    got = b""
    while len(got) < n:
        part = s.recv(n - len(got))
        if not part:
            break
        got += part
    return got

def expect(what, got, want):
    if got != want:
        print("%s: got %r, want %r" % (what, got, want))
        sys.exit(1)

def bulk(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out

try:
    s = conn()
    cmd = bulk(b"SET", key, b"bytewise")
    for i in range(len(cmd)):
        s.sendall(cmd[i:i + 1])
        time.sleep(0.001)
    expect("a SET a byte at a time", read_exactly(s, 5), b"+OK\r\n")
    s.sendall(b"PING\r\n" + bulk(b"GET", key) + b"echo  hi\n")
    want = b"+PONG\r\n$8\r\nbytewise\r\n$2\r\nhi\r\n"
    expect("three commands in one write", read_exactly(s, len(want)), want)
    s.close()
    s = conn()
    s.sendall(b"*x\r\n")
    want = b"-ERR Protocol error\r\n"
    expect("a malformed frame", read_exactly(s, len(want) + 1), want)
    s.close()
    s = conn()
    s.sendall(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$9999999\r\n")
    want = b"+PONG\r\n-ERR Protocol error\r\n"
    expect("a bulk longer than the buffer", read_exactly(s, len(want) + 1), want)
    s.close()
except (OSError, socket.timeout) as e:
    print("raw client: %s" % e)
    sys.exit(1)
EOF

passed=0
failed=0
for m in $models; do
    out=$logs/resp-$m.out
    k="resp:$m:$$"
    serve_start "$out" $run "$B/nmserve" --protocol resp --model "$m" --port 0
    why=
    cli() { timeout 10 redis-cli -p "$port" "$@" 2>&1; }
    check() {   # check WHAT WANT GOT
        [ -n "$why" ] && return
        [ "$3" = "$2" ] || why="$1: got '$3', want '$2'"
    }
    if [ -z "$port" ]; then
        why="did not start: $(head -1 "$out")"
    else
        check "PING" PONG "$(cli ping)"
        check "SET" OK "$(cli set "$k" v1)"
        check "GET on a new connection" v1 "$(cli get "$k")"
        check "CONFIG GET appendonly" "appendonly no" "$(cli config get appendonly | tr '\n' ' ' | sed 's/ $//')"
        check "COMMAND DOCS" "" "$(cli command docs)"
        check "INCR" 1 "$(cli incr "$k:n")"
        check "INCR again" 2 "$(cli incr "$k:n")"
        check "INCR of a word" "ERR value is not an integer or out of range" "$(cli incr "$k" | head -1)"
        check "DEL" 1 "$(cli del "$k")"
        check "GET of a deleted key" "" "$(cli get "$k")"
        r=$(cli nosuchcommand x | head -1)
        case $r in ERR*) ;; *) check "unknown command" "ERR ..." "$r" ;; esac
        # a pipeline: 200 commands in one stream, then the counter they made
        i=0
        : > "$logs/resp-$m.pipe"
        while [ $i -lt 100 ]; do
            printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s:p\r\n$1\r\nx\r\n*2\r\n$4\r\nINCR\r\n$%d\r\n%s:c\r\n' \
                $((${#k} + 2)) "$k" $((${#k} + 2)) "$k"
            i=$((i + 1))
        done > "$logs/resp-$m.pipe"
        r=$(timeout 10 redis-cli -p "$port" --pipe < "$logs/resp-$m.pipe" 2>&1 | tail -1)
        check "redis-cli --pipe" "errors: 0, replies: 200" "$r"
        check "the counter after the pipeline" 100 "$(cli get "$k:c")"
        if [ -n "$py" ] && [ -z "$why" ]; then
            r=$(timeout 20 "$py" "$logs/resp_raw.py" "$port" "$k:raw" 2>&1)
            [ $? -eq 0 ] || why="${r:-raw client timed out}"
        fi
        check "the server still answers" PONG "$(cli ping)"
    fi
    serve_stop || { [ -n "$why" ] || why="did not stop within 5 s of SIGTERM"; }
    if [ -z "$why" ]; then
        echo "ok    resp $m"
        passed=$((passed + 1))
        rm -f "$out" "$logs/resp-$m.pipe"
    else
        echo "FAIL  resp $m: $why"
        failed=$((failed + 1))
    fi
done
rm -f "$logs/resp_raw.py"
skipped=0
if [ -z "$py" ]; then
    if nm_skip "resp, the raw socket checks" python3 "python3 is not installed (make deps)"; then
        skipped=1
    else failed=$((failed + 1))
    fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
