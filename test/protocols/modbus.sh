#!/bin/sh
# modbus.sh BUILD [MODEL...] - the Modbus demo (demos/modbus.c) under each
# MODEL (default: every model of BUILD/nmserve), judged by
# test/modbus_client (libmodbus and hand-made frames). One line per model,
# then "N passed, M failed, N skipped" (without the client, built with
# libmodbus, the check is one skip: test/counts.sh); the exit status is
# non-zero on a failure.
#
# Environment: NM_RUN_PREFIX runs the target's nmserve under an emulator;
# NM_DRIVER names the host build whose modbus_client drives it (a cross
# build has none of its own). Logs: BUILD/test/logs/modbus_MODEL.*.log
B=${1:-build/host}
[ $# -gt 0 ] && shift
RUN=${NM_RUN_PREFIX:-}
CLIENT=${NM_DRIVER:-$B}/test/modbus_client
LOGS=$B/test/logs
. "$(dirname "$0")/../counts.sh"
if [ ! -x "$CLIENT" ]; then
    nm_skip modbus libmodbus "no $CLIENT (it needs libmodbus: make deps, then make tests on the host)" &&
        { echo "0 passed, 0 failed, 1 skipped"; exit 0; }
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
mkdir -p "$LOGS"
if [ $# -eq 0 ]; then
    set -- $("$B/nmserve" --list 2> /dev/null || $RUN "$B/nmserve" --list)
fi
passed=0
failed=0

# serve MODEL: the client against a server of MODEL; why it failed on
# stdout, nothing when it passed.
serve() {
    out=$LOGS/modbus_$1.server.log
    log=$LOGS/modbus_$1.client.log
    : > "$log"
    $RUN "$B/nmserve" --protocol modbus --model "$1" --port 0 > "$out" 2>&1 &
    pid=$!
    n=0   # up to 30 s to start (an emulated target is slow)
    while [ $n -lt 600 ] && ! grep -q '^listening on' "$out" && kill -0 $pid 2> /dev/null; do
        sleep 0.05
        n=$((n + 1))
    done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) model=.*/\1/p' "$out")
    why=""
    if [ -z "$port" ]; then
        why="did not start: $(head -1 "$out")"
    else
        timeout 60 "$CLIENT" 127.0.0.1 "$port" > "$log" 2>&1 || why="client: $(grep -c '^FAIL' "$log") checks failed"
    fi
    kill -TERM $pid 2> /dev/null
    n=0   # up to 10 s to stop
    while [ $n -lt 200 ] && kill -0 $pid 2> /dev/null; do
        sleep 0.05
        n=$((n + 1))
    done
    if kill -0 $pid 2> /dev/null; then
        kill -KILL $pid 2> /dev/null
        why="${why:+$why; }did not stop within 10 s of SIGTERM"
    fi
    wait $pid
    rc=$?
    [ -n "$port" ] && [ $rc -ne 0 ] && [ $rc -ne 137 ] && why="${why:+$why; }exit $rc after SIGTERM"
    echo "$why"
}

for model in "$@"; do
    why=$(serve "$model")
    if [ -z "$why" ]; then
        echo "ok    modbus $model"
        passed=$((passed + 1))
    else
        echo "FAIL  modbus $model: $why (logs: $LOGS/modbus_$model.*.log)"
        grep '^FAIL' "$LOGS/modbus_$model.client.log" 2> /dev/null | head -8 | sed 's/^/      /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
