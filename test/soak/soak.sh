#!/bin/sh
# soak.sh BUILD [SERVER] - the soak test (BUILD/test/soak) against every
# model of SERVER/nmserve (BUILD's by default; BUILD/small, BUILD/pizero: the
# small builds at their own pools), on the first poller each runs on (and
# the kqueue model of BUILD's emulation build); a last line "N passed, N
# failed". NM_SOAK_SECONDS sets how long the mixed traffic lasts per model.
B=${1:-build/host}
S=${2:-$B}
LOGS=$B/test/logs
mkdir -p "$LOGS"
label="" prefix=""   # (a small build's results named apart)
[ "$S" != "$B" ] && label=" ($(basename "$S") build)" && prefix="$(basename "$S")_"
passed=0
failed=0

soak_one() {   # soak_one NMSERVE MODEL [options]
    log="$LOGS/soak_$prefix$2.log"
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
    if [ $rc -eq 0 ]; then echo "ok    soak $*$label"
    else
        echo "FAIL  soak $*$label (log: $log)"
        grep -E 'FAIL|failed|: ' "$log" | head -8 | sed 's/^/      /'
    fi
}

"$S/nmserve" --list-pollers > "$LOGS/soak-models.txt" || exit 1
while read -r model pollers; do
    set -- $pollers
    if [ "$1" = "-" ]; then NM_SOAK_BLOCKING=1 soak_one "$S/nmserve" "$model"
    else soak_one "$S/nmserve" "$model" --poller "$1"
    fi
done < "$LOGS/soak-models.txt"
[ "$S" = "$B" ] && [ -x "$B/kqemu/nmserve" ] && soak_one "$B/kqemu/nmserve" kqueue
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
