# serve.sh - sourced: start an nmserve in the background and stop it, for
# the scripts that judge a protocol with outside clients, and cli.sh.
#
# serve_start OUT CMD...   run CMD (an nmserve) with its output in OUT; wait
#                          up to serve_wait tenths of a second (100; 300
#                          under a sanitizer, NM_SANITIZED: a build several
#                          times slower, beside another) for its "listening
#                          on" line. Sets pid, and port (empty when it did
#                          not start).
# serve_stop               SIGTERM, up to 5 s, then SIGKILL: 0 when it
#                          stopped on SIGTERM, 1 when it had to be killed.
# serve_checks NAME        for a script that counts its own checks: a
#                          scratch folder $tmp (removed at exit), the
#                          tallies passed and failed, and ok WHAT / bad
#                          WHAT to print a check's line and count it.
serve_start() {
    serve_out=$1
    shift
    "$@" > "$serve_out" 2>&1 &
    pid=$!
    serve_n=0
    serve_limit=${serve_wait:-100}
    [ -n "${NM_SANITIZED:-}" ] && serve_limit=$((serve_limit * 3))
    while [ $serve_n -lt "$serve_limit" ] && ! grep -q '^listening on' "$serve_out" && kill -0 $pid 2> /dev/null; do
        sleep 0.1
        serve_n=$((serve_n + 1))
    done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) model=.*/\1/p' "$serve_out")
}

serve_stop() {
    kill -TERM $pid 2> /dev/null
    serve_n=0
    while [ $serve_n -lt 50 ] && kill -0 $pid 2> /dev/null; do
        sleep 0.1
        serve_n=$((serve_n + 1))
    done
    serve_rc=0
    if kill -0 $pid 2> /dev/null; then
        kill -KILL $pid 2> /dev/null
        serve_rc=1
    fi
    wait $pid 2> /dev/null
    return $serve_rc
}

serve_checks() {
    tmp=${TMPDIR:-/tmp}/nm-$1.$$
    mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    passed=0
    failed=0
    ok() { echo "ok    $1"; passed=$((passed + 1)); }
    bad() { echo "FAIL  $1"; failed=$((failed + 1)); }
}
