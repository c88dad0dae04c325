#!/bin/sh
# targets.sh - `make check` across targets, ending with what was skipped
# and why, and one line "N passed, N failed, N skipped" over everything
# (test/counts.sh; NM_REQUIRE_FEATURES: test/run.sh).
#
#   targets.sh host BUILD [TARGET...]  the host's checks (test/run.sh), then
#                                      each cross TARGET (a toolchains/*.mk)
#   targets.sh cross BUILD QEMU NM CC  the checks of one cross build (make
#                                      TARGET=x check, or CROSS_COMPILE=...;
#                                      NM_RUN_PREFIX overrides QEMU)
#
# A cross target runs its unit tests under its emulator (qemu-user; musl runs
# natively), and the host's conformance suite and invariants drive its
# nmserve under the emulator over loopback: every model with the short suite
# on its first poller. Its archive is audited with its own nm. A target whose
# compiler or emulator is missing is skipped in one line (one skip), and
# fails the run when it is named in NM_REQUIRE_TARGETS.
#
# Boards: a fragment's QEMU names the CPU of the board the target stands for;
# NM_TARGET_MODELS narrows the models of its run, NM_SMOKE_CPUS adds runs of
# NM_SMOKE_MODELS on other boards' CPUs, NM_REFUSED_CPUS names CPUs the build
# must die on, NM_ARM_ARCH the ARM architecture its code must keep to (see
# test/targets.mk). Each is one more check; a smoke run prints its seconds.
#
# NM_TARGET_JOBS (default 2) cross targets are checked at once (build, run
# and board checks; each in its own build directory), their runs being
# mostly waits on sockets and timers under the emulator. Each target's lines
# are printed whole, in the targets' order, once it is done; 1 checks them
# one after another, their lines shown as they come.
#
# NM_BESIDE (host mode): a command (sh -c) started once the host's checks
# are done, run beside the cross targets, and counted as one check; its
# output is printed whole after theirs (CI runs the sanitizer builds so).
mode=$1
build=$2
shift 2
MAKE=${MAKE:-make}
jobs=${NM_TARGET_JOBS:-2}
case $jobs in
    '' | *[!0-9]* | 0) echo "NM_TARGET_JOBS='$jobs' is not a count of targets at once (1, 2...)"; exit 2 ;;
esac
NM_ALL_MODELS=$($MAKE -s --no-print-directory nm-models)
. test/counts.sh
passed=0
failed=0
skipped=0
failures=""
skip_lists=""   # the runs' lists of skips, and this script's own

# add LOG: add the closing "N passed, N failed, N skipped" of LOG to the
# totals, and its run's list of skips to those said at the end.
add() {
    nm_counts < "$1"
    [ -n "$counts" ] || { p=0; f=1; s=0; }
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    skip_lists="$skip_lists $(dirname "$1")/skips.txt"
}

fail() {   # fail WHAT: one failure outside run.sh (a build, a missing target)
    echo "FAIL  $1"
    failed=$((failed + 1))
    failures="$failures $2"
}

# extra LABEL NAME CMD...: one more check of the whole build, counted as one.
extra() {
    label=$1 name=$2
    shift 2
    log=$HOST_BUILD/test/logs/$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').log
    if "$@" > "$log" 2>&1; then
        printf 'ok    %s\n' "$name"
        passed=$((passed + 1))
    else
        printf 'FAIL  %s (log: %s)\n' "$name" "$log"
        grep -E 'FAIL' "$log" | head -8 | sed 's/^/      /'
        failed=$((failed + 1))
        failures="$failures $label"
    fi
}

required() { case " ${NM_REQUIRE_TARGETS:-} " in *" $1 "*) return 0 ;; esac; return 1; }

# run_sh BUILD LOG: test/run.sh, its lines shown as they come but not its
# closing total (the last line here is the sum); returns its status.
run_sh() {
    { sh test/run.sh "$1" 2>&1; echo $? > "$2.rc"; } | tee "$2" | grep --line-buffered -vE '^[0-9]+ passed, [0-9]+ failed'
    return "$(cat "$2.rc")"
}

# run_target NAME BUILD QEMU NM CC [MODELS] [TLS_SYSROOT]: the cross checks
# of one built target (MODELS: these models' conformance only; empty: every
# model; TLS_SYSROOT: its TLS engines', test/run.sh).
# io_uring, multishot and bundle are required of the host's build only, whatever
# NM_REQUIRE_FEATURES says: qemu-user has no io_uring (io_uring_setup is
# ENOSYS), and a libc without the kernel's io_uring header (musl's
# toolchain) builds the proactor's emulated engine alone.
run_target() {
    mkdir -p "$2/test/logs"
    log=$2/test/logs/run.log
    start=$(date +%s)
    for m in ${6:-}; do
        case " $NM_ALL_MODELS " in
            *" $m "*) ;;
            *) fail "target $1: NM_TARGET_MODELS names no model '$m'; there are: $NM_ALL_MODELS" "$1"; return ;;
        esac
    done
    features=${NM_REQUIRE_FEATURES:-}
    features=$(echo " $features " | sed 's/ io_uring / /g; s/ multishot / /g; s/ bundle / /g')
    NM_RUN_PREFIX=$3 NM_DRIVER=$HOST_BUILD NM_POLLERS=first NM_SUITE=short NM_SKIP_STATIC=1 NM_NM=$4 NM_CC=$5 \
        NM_TARGET_MODELS=${6:-} NM_REQUIRE_FEATURES=$features NM_TLS_SYSROOT=${7:-} run_sh "$2" "$log"
    rc=$?
    add "$log"
    [ $rc -ne 0 ] && failures="$failures $1"
    echo "      $1: $(nm_counts < "$log"; echo "$counts") in $(( $(date +%s) - start )) s${6:+ (models: $6)}"
}

# refused BUILD QEMU CPU: the build runs under QEMU (its board's CPU) and
# dies of SIGILL (status 128 + 4) under CPU, an older core it is not for.
refused() {
    $2 "$1/nmserve" --list > /dev/null || { echo "FAIL: $1/nmserve --list fails under $2"; return 1; }
    echo "ok: $1/nmserve --list runs under $2"
    (ulimit -c 0; exec timeout 60 ${2%% *} -cpu "$3" "$1/nmserve" --list) > /dev/null 2>&1
    rc=$?
    if [ $rc -ne 132 ]; then
        echo "FAIL: $1/nmserve --list under ${2%% *} -cpu $3: status $rc, not 132 (SIGILL)"
        return 1
    fi
    echo "ok: under ${2%% *} -cpu $3 it dies of SIGILL (status $rc)"
}

# arm_arch BUILD ARCH READELF NM OBJDUMP: every object of the library, and
# nmserve as linked (libc included), has ARM architecture tag ARCH and no
# Thumb code (no $t mapping symbol), and the library calls no atomic helper:
# every atomic is an inline ldrex/strex loop.
arm_arch() {
    bad=0 n=0
    for f in $(find "$1/obj/lib" "$1/obj/ports" -name '*.o' | sort) "$1/nmserve"; do
        n=$((n + 1))
        arch=$($3 -A "$f" | sed -n 's/^ *Tag_CPU_arch: //p')
        [ "$arch" = "$2" ] || { echo "FAIL: $f: Tag_CPU_arch '$arch', not $2"; bad=1; }
        thumb=$($3 -sW "$f" | awk '$8 ~ /^\$t/' | wc -l)
        [ "$thumb" -eq 0 ] || { echo "FAIL: $f: Thumb code ($thumb \$t mapping symbols)"; bad=1; }
    done
    calls=$($4 -u "$1/libnetmodels.a" 2> /dev/null | awk '{print $NF}' | grep -E '^__(sync|atomic)_' | sort -u | tr '\n' ' ')
    [ -z "$calls" ] || { echo "FAIL: $1/libnetmodels.a calls atomic helpers: $calls"; bad=1; }
    ops=$($5 -d "$1/libnetmodels.a" | grep -oE '\s(ldrex|strex)[bhd]?(eq|ne)?\s' | tr -d ' \t' | sort | uniq -c | tr -s ' \n' ' ')
    echo "$n files: $2, ARM code only; atomics inline:$ops"
    return $bad
}

# board_checks NAME BUILD: the fragment's checks beyond the target's own run
# (target_info's T_* of NAME).
board_checks() {
    for cpu in $T_SMOKE_CPUS; do
        d=$2/smoke-$cpu
        mkdir -p "$d/test"
        ln -sf ../nmserve "$d/nmserve"
        ln -sf ../../test/unit "$d/test/unit"
        echo "== target $1 on $cpu (${T_QEMU%% *} -cpu $cpu, $d)"
        run_target "$1@$cpu" "$d" "${T_QEMU%% *} -cpu $cpu" "$T_NM" "$T_CC" "$T_SMOKE_MODELS"
    done
    for cpu in $T_REFUSED_CPUS; do
        extra "$1" "target $1 refused by $cpu (SIGILL), run by ${T_QEMU#* -cpu }" refused "$2" "$T_QEMU" "$cpu"
    done
    if [ -n "$T_ARM_ARCH" ]; then
        extra "$1" "target $1: ARM $T_ARM_ARCH code, no Thumb, atomics inline" \
            arm_arch "$2" "$T_ARM_ARCH" "$T_READELF" "$T_NM" "$T_OBJDUMP"
    fi
}

# target_info NAME: the target's compiler, emulator, nm and build directory.
target_info() {
    eval "$($MAKE -s --no-print-directory TARGET="$1" nm-target-info)"
}

# present CMD: the program CMD starts with can be run.
present() { set -- $1; [ -n "$1" ] && command -v "$1" > /dev/null 2>&1; }

cross_target() {
    t=$1
    target_info "$t"
    missing=""
    present "$T_CC" || missing="$T_CC"
    [ -n "$T_QEMU" ] && ! present "$T_QEMU" && missing="$missing $T_QEMU"
    if [ -n "$missing" ]; then
        if required "$t"; then
            fail "target $t: required (NM_REQUIRE_TARGETS) but $missing not installed (make deps)" "$t"
        else
            echo "skip  target $t: $missing not installed (make deps installs it)"
            echo "target $t: $missing not installed (make deps installs it)" >> "$skips_file"
            skipped=$((skipped + 1))
        fi
        return
    fi
    echo "== target $t (${T_QEMU:-native}, $T_BUILD)"
    mkdir -p "$T_BUILD"
    if ! $MAKE --no-print-directory -j2 TARGET="$t" tests > "$T_BUILD/build.log" 2>&1; then
        fail "target $t: build failed (log: $T_BUILD/build.log)" "$t"
        grep -E 'error' "$T_BUILD/build.log" | head -8 | sed 's/^/      /'
        return
    fi
    run_target "$t" "$T_BUILD" "$T_QEMU" "$T_NM" "$T_CC" "$T_MODELS" "$T_TLS_SYSROOT"
    board_checks "$t" "$T_BUILD"
    checked="$checked $t"
}

# cross_job T DIR: cross_target T in the background, its lines in DIR/T.out
# and its tallies in DIR/T.state (written last: the target is done).
cross_job() {
    (
        passed=0 failed=0 skipped=0 failures="" skip_lists="" checked=""
        skips_file=$2/$1.skips
        : > "$skips_file"
        cross_target "$1" > "$2/$1.out" 2>&1
        printf "j_passed=%s j_failed=%s j_skipped=%s j_failures='%s' j_skip_lists='%s' j_checked='%s'\n" \
            "$passed" "$failed" "$skipped" "$failures" "$skip_lists" "$checked" > "$2/$1.st"
        mv "$2/$1.st" "$2/$1.state"
    ) &
    echo $! > "$2/$1.pid"
}

# cross_targets T...: cross_target of each T, NM_TARGET_JOBS at once, each
# printed and added up in order once it is done.
cross_targets() {
    if [ "$jobs" -eq 1 ]; then
        for t in "$@"; do cross_target "$t"; done
        return
    fi
    dir=$HOST_BUILD/test/logs/targets
    rm -rf "$dir"
    mkdir -p "$dir"
    pending="$*" started=""   # started: begun and not yet printed, in order
    while [ -n "$pending$started" ]; do
        running=0
        for t in $started; do [ -f "$dir/$t.state" ] || running=$((running + 1)); done
        while [ "$running" -lt "$jobs" ] && [ -n "$pending" ]; do
            set -- $pending
            cross_job "$1" "$dir"
            started="$started $1" running=$((running + 1))
            shift
            pending="$*"
        done
        set -- $started
        if [ -f "$dir/$1.state" ]; then
            cat "$dir/$1.out"
            . "$dir/$1.state"
            passed=$((passed + j_passed))
            failed=$((failed + j_failed))
            skipped=$((skipped + j_skipped))
            failures="$failures$j_failures"
            skip_lists="$skip_lists$j_skip_lists"
            checked="$checked$j_checked"
            cat "$dir/$1.skips" >> "$skips_file"
            shift
            started="$*"
        elif ! kill -0 "$(cat "$dir/$1.pid")" 2> /dev/null && [ ! -f "$dir/$1.state" ]; then
            # killed before it could write its tallies
            echo "FAIL  target $1: its checks ended without their tallies (lines so far above)" >> "$dir/$1.out"
            echo "j_passed=0 j_failed=1 j_skipped=0 j_failures=' $1' j_skip_lists='' j_checked=''" > "$dir/$1.state"
        else
            sleep 1
        fi
    done
    for p in "$dir"/*.pid; do wait "$(cat "$p")" 2> /dev/null; done
}

if [ "$mode" = cross ]; then
    # One cross build, checked on its own; the drivers come from the host.
    HOST_BUILD=build/host
    $MAKE --no-print-directory -j2 TARGET=host "$HOST_BUILD/test/conformance" "$HOST_BUILD/test/invariants" \
        > /dev/null || exit 1
    mkdir -p "$HOST_BUILD/test/logs"
    skips_file=$HOST_BUILD/test/logs/skips-targets.txt
    : > "$skips_file"
    # The fragment's settings, as make (given TARGET) passed them on.
    eval "$($MAKE -s --no-print-directory nm-target-info)"
    run_target "$(basename "$build")" "$build" "${NM_RUN_PREFIX:-$1}" "$2" "$3" "$T_MODELS" "$T_TLS_SYSROOT"
    [ -z "${NM_RUN_PREFIX:-}" ] && board_checks "$(basename "$build")" "$build"
else
    HOST_BUILD=$build
    echo "== host ($build)"
    log=$build/test/logs/host.log
    mkdir -p "$build/test/logs"
    skips_file=$build/test/logs/skips-targets.txt
    : > "$skips_file"
    run_sh "$build" "$log"
    rc=$?
    add "$log"
    [ $rc -ne 0 ] && failures="$failures host"
    echo "      host: $(nm_counts < "$log"; echo "$counts")"
    extra models "NM_MODELS builds only the models named" sh test/packaging/models_select.sh "$build/nmserve"
    checked=""
    # The drivers of every cross run, built before any of them starts.
    if [ $# -gt 0 ]; then
        $MAKE --no-print-directory -j2 TARGET=host BUILD="$build" "$build/test/conformance" "$build/test/invariants" \
            > /dev/null || exit 1
    fi
    beside_pid=""
    if [ -n "${NM_BESIDE:-}" ]; then
        beside_log=$build/test/logs/beside.log
        sh -c "$NM_BESIDE" > "$beside_log" 2>&1 &
        beside_pid=$!
    fi
    cross_targets "$@"
    if [ -n "$beside_pid" ]; then
        echo "== beside the targets: $NM_BESIDE"
        wait "$beside_pid"
        rc=$?
        cat "$beside_log"
        if [ $rc -eq 0 ]; then
            echo "ok    beside the targets: $NM_BESIDE"
            passed=$((passed + 1))
        else
            echo "FAIL  beside the targets: $NM_BESIDE (status $rc; log: $beside_log)"
            failed=$((failed + 1))
            failures="$failures beside"
        fi
    fi
    case " $checked " in
        *" armhf "*) extra footprint "footprint on armhf (Thumb-2, -Os): library and firmware within their targets" \
                         sh test/size.sh --check armhf ;;
    esac
    for t in ${NM_REQUIRE_TARGETS:-}; do
        [ -f "toolchains/$t.mk" ] || fail "target $t: required but there is no toolchains/$t.mk" "$t"
    done
fi

nm_skips_said $skip_lists "$skips_file"
[ -n "$failures" ] && echo "failed in:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
