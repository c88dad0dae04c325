#!/bin/sh
# soak.sh BUILD - the soak test against every model of BUILD/nmserve, on the
# first poller each runs on (and the kqueue model of the emulation build);
# a last line "N passed, N failed". NM_SOAK_SECONDS sets how long the mixed
# traffic lasts per model.
B=${1:-build/host}
LOGS=$B/test/logs
mkdir -p "$LOGS"
passed=0
failed=0

soak_one() {   # soak_one NMSERVE MODEL [options]
    log="$LOGS/soak_$2.log"
    timeout 300 "$B/test/soak" "$@" > "$log" 2>&1
    rc=$?
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    p=${counts%% passed*}
    f=${counts#*, }; f=${f%% failed*}
    [ -z "$counts" ] && p=0 && f=1
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    shift
    if [ $rc -eq 0 ]; then echo "ok    soak $*"
    else
        echo "FAIL  soak $* (log: $log)"
        grep -E 'FAIL|failed|: ' "$log" | head -8 | sed 's/^/      /'
    fi
}

"$B/nmserve" --list-pollers > "$LOGS/soak-models.txt" || exit 1
while read -r model pollers; do
    set -- $pollers
    if [ "$1" = "-" ]; then NM_SOAK_BLOCKING=1 soak_one "$B/nmserve" "$model"
    else soak_one "$B/nmserve" "$model" --poller "$1"
    fi
done < "$LOGS/soak-models.txt"
[ -x "$B/kqemu/nmserve" ] && soak_one "$B/kqemu/nmserve" kqueue
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
