#!/bin/sh
# soak.sh BUILD - the soak test against every model of BUILD/nmserve, on the
# first poller each runs on; a last line "N passed, N failed".
# NM_SOAK_SECONDS sets how long the mixed traffic lasts per model.
B=${1:-build/host}
LOGS=$B/test/logs
mkdir -p "$LOGS"
passed=0
failed=0
"$B/nmserve" --list-pollers > "$LOGS/soak-models.txt" || exit 1
# the kqueue model of the emulation build (Linux) joins the list
[ -x "$B/kqemu/nmserve" ] && echo "kqueue kqueue kqemu" >> "$LOGS/soak-models.txt"
while read -r model pollers build; do
    set -- $pollers
    opts=""
    [ "$1" != "-" ] && opts="--poller $1"
    log="$LOGS/soak_$model.log"
    timeout 300 "$B/test/soak" "$B/${build:+$build/}nmserve" "$model" $opts > "$log" 2>&1
    rc=$?
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    p=${counts%% passed*}
    f=${counts#*, }; f=${f%% failed*}
    [ -z "$counts" ] && p=0 && f=1
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    if [ $rc -eq 0 ]; then echo "ok    soak $model $opts"
    else
        echo "FAIL  soak $model $opts (log: $log)"
        grep -E 'FAIL|failed|: ' "$log" | head -8 | sed 's/^/      /'
    fi
done < "$LOGS/soak-models.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
