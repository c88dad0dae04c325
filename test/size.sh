#!/bin/sh
# size.sh [--check] TARGET... - the footprint of the library on each target,
# built with -Os: .text/.data/.bss per object (size(1) Berkeley counts:
# "text" is every read-only section, code and constants), the static RAM of
# each pool, and what a firmware (demos/firmware.c, one event model and HTTP,
# NM_MODELS=$NM_SIZE_MODELS) adds to the same program without the library.
#
# The same firmware is built again with the capacities of a small board
# (NM_SIZE_CONFIG, a user config header: demos/nm_user_config_small.h by
# default), static libc, beside the defaults.
#
# With --check, fail when armhf (Thumb-2) misses its targets: the whole
# library under 64 KiB of text, the firmware adding under 27,000 bytes
# (13,278 bytes at first; 16 KiB was the bound until the loop took the
# application's own fds, timers and posts, the listener IPv6 and Unix
# sockets and the process several servers, then 0.4's check of every
# tunable at nm_run, reservations at start-up, answers that wait for a
# buffer, body reads into several buffers and the minimum rate took it to
# 29,652; 28,547 on 2026-12-07, then 26,663 once what a firmware never
# calls left it (the application's watches, timers and posts behind weak
# references, the fork handlers with the process models, SO_REUSEPORT and
# portless models' branches with the models kept), libgcc's 64-bit
# division went (base/udiv.h), the listener's error words became a table
# and the tunables check's values 32-bit (26,759 with a connection's link
# one job at a time); the per-object lines say where it goes), the
# firmware at the small config under 88 KiB of bss (94,868 bytes until a
# streaming body's state left the slot for a pool of its own; 92,948, then
# 89,684 once the ports left out took their state out of nm_port, the C
# library's table of fork handlers went with the fork handlers, and a
# wheel under 256 connections had 64 slots; 89,724 now), and the firmware
# linking nothing of what it never calls (the checks name each).
MAKE=${MAKE:-make}
check=0
[ "$1" = --check ] && { check=1; shift; }
models=${NM_SIZE_MODELS:-epoll}
config=${NM_SIZE_CONFIG:-demos/nm_user_config_small.h}
if [ ! -f "$config" ]; then
    echo "size: NM_SIZE_CONFIG: no file $config" >&2
    exit 2
fi
LIB_LIMIT=$((64 * 1024))
FW_LIMIT=27000
SMALL_BSS_LIMIT=$((88 * 1024))
OS="-Os"
GC="-Os -ffunction-sections -fdata-sections"
fails=0

# sum_size SIZE FILE...: "text data bss" summed over FILEs.
sum_size() {
    tool=$1
    shift
    $tool "$@" | awk 'NR > 1 {t += $1; d += $2; b += $3} END {printf "%d %d %d\n", t, d, b}'
}

row() { printf '  %-44s %8s %8s %10s\n' "$@"; }

# by_object MAP ADDED: what a firmware links of each object of the
# library and of its own (its link map's input sections kept: code,
# constants, data), largest first, and what the rest of ADDED is.
by_object() {
    awk -v added="$2" -v map="$1" '
    function hex(h,   i, n) {
        n = 0
        h = tolower(substr(h, 3))
        for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        return n
    }
    /^Linker script and memory map/ { on = 1 }
    on && /^ \.[a-zA-Z]/ { sec = $1; obj = ""; if (NF >= 4) { sz = $3; obj = $4 } }
    on && /^                0x[0-9a-f]+ +0x[0-9a-f]+ / && sec != "" { sz = $2; obj = $3 }
    obj ~ /libnetmodels\.a\(|\/demos\/firmware\.o$/ {
        o = obj
        sub(/.*[(\/]/, "", o)
        sub(/\)$/, "", o)
        if (o == "firmware.o") o = "the program (firmware.o: its tunables too)"
        if (sec ~ /^\.text/) code[o] += hex(sz)
        else if (sec ~ /^\.rodata/) ro[o] += hex(sz)
        else if (sec ~ /^\.data/) data[o] += hex(sz)
        seen[o] = 1
        obj = ""
        sec = ""
    }
    END {
        for (o in seen) {
            if (code[o] + ro[o]) print o > (map ".objs")
            printf "%d\t%s\t%d\t%d\t%d\n", code[o] + ro[o], o, code[o], ro[o], data[o]
            sum += code[o] + ro[o]
        }
        printf "0\tthe rest: PLT, symbols, relocations, libgcc\t%d\t\t\n", added - sum
    }' "$1" | sort -t "$(printf '\t')" -k1,1nr -k2 | while IFS="$(printf '\t')" read -r _ o code ro data; do
        row "  $o" "$code" "$ro" "$data"
    done
}

build() {   # build TARGET BUILD [make args...] GOALS: quiet unless it fails
    t=$1 b=$2
    shift 2
    mkdir -p "$b"
    $MAKE --no-print-directory -j2 TARGET="$t" BUILD="$b" "$@" > "$b/size-build.log" 2>&1 ||
        { echo "  build failed: $b/size-build.log"; tail -5 "$b/size-build.log"; return 1; }
}

# tls_ram TARGET LIBBUILD: the static RAM of TLS, each engine the target
# has (Debian's, unpacked by make deps for a cross target: NM_TLS_SYSROOT):
# a connection's share, built at NM_TLS_CONNS 1 and 2 (the difference),
# and without client certificates (NM_TLS_CLIENT_CAS 0), its total at the
# default and at TLS_SMALL_CONNS, what the rest holds.
# TLS_SMALL_CONNS, for a small board: a browser opens up to 6 connections
# to one host; 8 slots serve one user's browser and a script beside it.
TLS_SMALL_CONNS=8
# tls_per ENGINE TAG CPPFLAGS: "text rest per-connection" of ENGINE's
# archive built with CPPFLAGS at NM_TLS_CONNS 1 and 2 (tls_ram's $tgt)
tls_per() {
    for n in 1 2; do
        b=$T_BUILD/size-tls-$1$2-$n
        build "$tgt" "$b" TLS=$1 CXXFLAGS="$OS" EXTRA_CPPFLAGS="-DNM_TLS_CONNS=$n $3" "$b/libnetmodels_tls.a" || return 1
        eval "tls$n=\"$(sum_size "$T_SIZE" "$b/libnetmodels_tls.a")\""
    done
    set -- $tls1
    t1=$1 d1=$2 b1=$3
    set -- $tls2
    echo "$t1 $((d1 + b1 - ($2 + $3 - d1 - b1))) $(($2 + $3 - d1 - b1))"
}
tls_ram() {
    tgt=$1 lb=$2
    hdr=${T_TLS_SYSROOT:-}/usr/include
    [ "$tgt" = host ] || [ -n "$T_TLS_SYSROOT" ] || { echo "  TLS: no engine for $tgt (a fragment's NM_TLS_SYSROOT)"; return; }
    default=$(sed -n 's/^#define NM_TLS_CONNS \([0-9]*\)$/\1/p' lib/tls/nm_tls.h)
    for e in bearssl wolfssl; do
        [ -f "lib/tls/$e.cpp" ] || continue
        h=$hdr/$e.h
        [ $e = wolfssl ] && h=$hdr/wolfssl/ssl.h
        [ -f "$h" ] || { echo "  TLS ($e): $h missing (make deps)"; continue; }
        r=$(tls_per $e "" "") || { echo "$r"; fails=$((fails + 1)); return; }
        r0=$(tls_per $e -noclient -DNM_TLS_CLIENT_CAS=0) || { echo "$r0"; fails=$((fails + 1)); return; }
        set -- $r
        t1=$1 rest=$2 per=$3
        echo "  TLS over $e (libnetmodels_tls.a, -Os; the engine's code is its library's):"
        row "" text "" "data+bss"
        row "a connection (NM_TLS_CONNS 1, then 2)" "" "" "$per"
        row "  without client certificates (CLIENT_CAS 0)" "" "" "${r0##* }"
        row "NM_TLS_CONNS $default connections (nm_tls.h)" "" "" $((default * per))
        row "NM_TLS_CONNS $TLS_SMALL_CONNS connections (a small board)" "" "" $((TLS_SMALL_CONNS * per))
        row "the adapter; certificates (NM_TLS_SERVERS)" "$t1" "" "$rest"
    done
    set -- $(sum_size "$T_SIZE" "$lb/obj/lib/session/records.o")
    row "the record layer (records.o, NM_MAX_FDS slots)" "$1" "" $(($2 + $3))
    echo "  ${config##*/} should take NM_TLS_CONNS $TLS_SMALL_CONNS: a browser opens up to 6 connections"
    echo "  to a host; its other connections are refused TLS and counted (lib/tls/README)."
}

target() {
    t=$1
    eval "$($MAKE -s --no-print-directory TARGET="$t" nm-target-info)"
    set -- $T_CC
    if ! command -v "$1" > /dev/null 2>&1; then
        echo "skip  $t: $1 not installed (make deps)"
        return
    fi
    L=$T_BUILD/size-lib
    build "$t" "$L" CXXFLAGS="$OS" CFLAGS="$OS" "$L/libnetmodels.a" "$L/size-pools" || { fails=$((fails + 1)); return; }
    flags=$(cat "$L/build.flags")
    echo "== $t: ${flags%% *} ... ${flags##*-pthread -Ilib }"
    row "library, -Os, all models" text data bss
    objs=$(find "$L/obj/lib" "$L/obj/ports" -name '*.o' | sort)
    for group in "core:lib/base lib/loop lib/handoff lib/procs lib/fiber lib/completion lib/session lib/pools.o lib/server.o lib/models.o" "protocols:lib/proto" "ports:ports"; do
        name=${group%%:*}
        files=""
        for part in ${group#*:}; do
            files="$files $(echo "$objs" | grep "/obj/$part")"
        done
        set -- $(sum_size "$T_SIZE" $files)
        row "$name" "$1" "$2" "$3"
    done
    for o in $(echo "$objs" | grep /obj/lib/models/); do
        set -- $(sum_size "$T_SIZE" "$o")
        row "model file ${o##*/obj/}" "$1" "$2" "$3"
    done
    set -- $(sum_size "$T_SIZE" $objs)
    lib_text=$1
    row "total" "$1" "$2" "$3"

    echo "  static RAM by pool (NM_* capacities in lib/nm_config.h):"
    if out=$($T_QEMU "$L/size-pools" 2> /dev/null); then
        total=0
        printf '  %-44s %8s %8s %10s\n' "" element count bytes
        echo "$out" | while IFS="$(printf '\t')" read -r bytes elem count name; do
            row "$name" "$elem" "$count" "$bytes"
        done
        total=$(echo "$out" | awk -F'\t' '{s += $1} END {print s}')
        row "total" "" "" "$total"
    else
        echo "  (the pool table needs ${T_QEMU:-the target} to run)"
    fi

    echo "  firmware (demos/firmware.c, NM_MODELS=$models, HTTP), -Os, --gc-sections:"
    row "" text data bss
    for libc in dynamic static; do
        F=$T_BUILD/size-fw-$libc
        static=""
        [ $libc = dynamic ] && static="ARCH_LDFLAGS="
        build "$t" "$F" NM_MODELS="$models" CXXFLAGS="$GC" CFLAGS="$GC" LDFLAGS='-Wl,--gc-sections -Wl,-Map=$@.map' $static \
            "$F/firmware" "$F/size-bare" || { fails=$((fails + 1)); continue; }
        set -- $(sum_size "$T_SIZE" "$F/firmware")
        fw_text=$1 fw_data=$2 fw_bss=$3
        row "$libc libc: firmware" "$1" "$2" "$3"
        set -- $(sum_size "$T_SIZE" "$F/size-bare")
        row "$libc libc: the same without the library" "$1" "$2" "$3"
        row "$libc libc: the library adds" $((fw_text - $1)) $((fw_data - $2)) $((fw_bss - $3))
        [ $libc = dynamic ] && row "  of which, by object (text: code, constants)" code const data
        [ $libc = dynamic ] && fw_adds=$((fw_text - $1)) && by_object "$F/firmware.map" $((fw_text - $1))
    done

    echo "  the same firmware, static libc, at the defaults and at $config:"
    row "" text data bss
    row "defaults (lib/nm_config.h)" "$fw_text" "$fw_data" "$fw_bss"
    F=$T_BUILD/size-fw-$(basename "$config" .h)   # a build per config: firmware.o follows it too
    inc="-include $config"
    small_bss=""
    if build "$t" "$F" NM_MODELS="$models" CXXFLAGS="$GC $inc" CFLAGS="$GC $inc" LDFLAGS="-Wl,--gc-sections" \
        "$F/firmware"; then
        set -- $(sum_size "$T_SIZE" "$F/firmware")
        small_bss=$3
        row "${config##*/}" "$1" "$2" "$3"
    else
        fails=$((fails + 1))
    fi

    [ $check = 1 ] || tls_ram "$t" "$L"

    if [ $check = 1 ] && [ "$t" = armhf ]; then
        if [ "$lib_text" -ge $LIB_LIMIT ]; then
            echo "FAIL  armhf library text $lib_text >= $LIB_LIMIT"; fails=$((fails + 1))
        fi
        if [ "${fw_adds:-$FW_LIMIT}" -ge $FW_LIMIT ]; then
            echo "FAIL  armhf firmware adds ${fw_adds:-?} >= $FW_LIMIT"; fails=$((fails + 1))
        fi
        if [ "${small_bss:-$SMALL_BSS_LIMIT}" -ge $SMALL_BSS_LIMIT ]; then
            echo "FAIL  armhf firmware at $config: bss ${small_bss:-?} >= $SMALL_BSS_LIMIT"; fails=$((fails + 1))
        fi
        # What the firmware never calls links nothing: the ports no model
        # of it runs on, the application's watches, timers and posts; and a
        # pool one model alone draws from is not in a library without it.
        for o in select.o poll.o kqueue.o user_api.o user.o; do
            if grep -qx "$o" "$T_BUILD/size-fw-dynamic/firmware.map.objs"; then
                echo "FAIL  armhf firmware (NM_MODELS=$models) links $o, which it never calls"; fails=$((fails + 1))
            fi
        done
        # Nor what no model of it does: SO_REUSEPORT listeners (server.cpp's kept_flags).
        if grep -q "opens a SO_REUSEPORT listener" "$T_BUILD/size-fw-dynamic/firmware"; then
            echo "FAIL  armhf firmware (NM_MODELS=$models) links the refusal of SO_REUSEPORT listeners, which none of its models opens"
            fails=$((fails + 1))
        fi
        for p in nm_fiber_pool:fiber nm_coroutine_lc:coroutine nm_job_pool:producer_consumer; do
            case " $models " in *" ${p#*:} "*) continue ;; esac
            if $T_NM "$T_BUILD/size-fw-dynamic/obj/lib/pools.o" | grep -q " [BbDd] ${p%%:*}$"; then
                echo "FAIL  armhf library without ${p#*:} (NM_MODELS=$models) has its pool ${p%%:*}"; fails=$((fails + 1))
            fi
        done
        [ $fails = 0 ] && echo "ok    armhf: library text $lib_text < $LIB_LIMIT, firmware adds $fw_adds < $FW_LIMIT," \
            "firmware bss at $config $small_bss < $SMALL_BSS_LIMIT"
    fi
}

for t in "$@"; do target "$t"; done
[ $fails = 0 ]
