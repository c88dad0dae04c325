#!/bin/sh
# run.sh BUILD - everything `make check` runs, one line per check, then what
# was skipped and why, and a last line "N passed, N failed, N skipped"
# (sub-tests of each binary are added up; test/counts.sh).
#
# A skip is never a pass: a test that cannot run here says why, and one
# for want of a feature of the machine names it. NM_REQUIRE_FEATURES lists
# features (words apart by spaces) that must be there: a skip of one of
# them fails the run (each test program fails it too). The features:
#   io_uring    the kernel lets the proactor set up io_uring
#   multishot   io_uring's multishot receive (kernel 6.0), for the buffer ring
#   bundle      io_uring's bundle receive (kernel 6.10): several buffers at once
#   ipv6        an IPv6 address on lo (the listeners on [::1])
#   nofile      a descriptor limit above FD_SETSIZE (select's refusal past it)
#   valgrind    valgrind, for the unit tests under memcheck
#   clang       clang++ building libFuzzer programs (the fuzz targets)
#   libmodbus   test/modbus_client, built with libmodbus (the Modbus demo)
#   redis       redis-cli (the RESP demo)
#   python3     python3 (the RESP demo's raw socket checks)
#   pkg-config  pkg-config (test/packaging/install.sh; else netmodels.pc
#               is read by hand)
#   netns       root, unshare and nft: a namespace whose loopback drops 5 %
#               of packets (test/conformance/loss.sh)
# (cmake has no skip: install.sh fails without it; cross compilers and
# qemu are NM_REQUIRE_TARGETS', test/targets.sh.)
#
# Environment: NM_RUN_PREFIX (e.g. "qemu-arm") runs target binaries under an
# emulator; NM_SUITE=short trims the conformance counts; NM_NM (nm tool).
# For a cross build, NM_DRIVER names the host build whose conformance and
# invariants binaries drive the target's nmserve, and NM_POLLERS=first runs
# each model on its first poller only (a sanitizer's run does).
B=${1:-build/host}
DRV=${NM_DRIVER:-$B}
LOGS=$B/test/logs
mkdir -p "$LOGS"
. test/counts.sh
passed=0
failed=0
skipped=0
failures=""
skips_file=$LOGS/skips.txt
: > "$skips_file"
nm_features_known

# check NAME CMD...: run CMD with its output in a log, and record it.
check() {
    name=$1
    shift
    log="$LOGS/$(echo "$name" | tr ' /' '__').log"
    "$@" > "$log" 2>&1
    nm_record "$name" "$log" $?
}

conformance() {   # conformance SERVER MODEL [options]: under a time bound
    server=$1
    shift
    check "conformance $*" timeout 120 "$DRV/test/conformance" "$server" "$@"
}

RUN=${NM_RUN_PREFIX:-}
# built PATH NAME: PATH, which make tests builds on the host, is there;
# on the host a missing one is NAME skipped (a cross run has fewer builds).
built() {
    [ -x "$1" ] && return 0
    [ -z "$RUN${NM_DRIVER:-}" ] && nm_skip_check "$2" "" "$1 is not built (make tests)"
    return 1
}
check "unit" timeout 120 $RUN "$B/test/unit"
built "$B/kqemu/test/unit" "unit (kqueue emulation)" && check "unit (kqueue emulation)" timeout 120 "$B/kqemu/test/unit"
[ -z "$RUN${NM_DRIVER:-}" ] && built "$B/test/crc_zlib" "demo CRC-32 against zlib" && check "demo CRC-32 against zlib" timeout 60 "$B/test/crc_zlib"
if [ -z "${NM_SKIP_VALGRIND:-}" ] && [ -z "$RUN" ]; then
    if command -v valgrind > /dev/null; then
        # (not the io_uring engine's tests: under valgrind 3.19 its waits
        # never see a completion; they run above, outside it)
        check "unit under valgrind memcheck" timeout 300 valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect "$B/test/unit" -uring_
    else
        nm_skip_check "unit under valgrind memcheck" valgrind "valgrind is not installed (make deps)"
    fi
fi
# (the proactor's capacity tests run on BUILD/small, below; the slowloris
# checks, every model at once for seconds, on the host: under an emulator
# the rate rule's arithmetic is the unit tests', test/unit/unit_rate.cpp)
inv_filter=-proactor_capacity
[ -n "$RUN" ] && inv_filter="$inv_filter -slowloris"
# NM_TARGET_MODELS (below): of the invariants named after a model, only
# those of these models (test/invariants/inv_main.cpp).
[ -x "$DRV/test/invariants" ] && check "model invariants" env NM_TEST_FILTER="$inv_filter" \
    NM_INV_MODELS="${NM_TARGET_MODELS:-}" timeout 600 "$DRV/test/invariants" "$B/nmserve"
# Several servers in one process, and no process outliving its server.
# Under an emulator, one model of each kind (the whole catalogue twice over
# would not fit the run).
if [ -x "$B/test/servers" ]; then
    few=""
    [ -n "$RUN${NM_DRIVER:-}${NM_SANITIZED:-}" ] && few="epoll thread_pool prefork_shared_accept process_pool_reactors fiber"
    check "two servers of every model at once, each stops alone" timeout 400 $RUN "$B/test/servers" same $few
    check "two different models at once" timeout 400 $RUN "$B/test/servers" mixed $few
    check "no child outlives a killed parent" timeout 300 $RUN "$B/test/servers" orphans $few
    check "handle_signals, max_threads, nm_last_error per thread" timeout 60 $RUN "$B/test/servers" options
    check "servers past a shared pool: those that fit start, the others told why" timeout 120 $RUN "$B/test/servers" pools
    check "timers and watches set from threads of the program's" timeout 120 $RUN "$B/test/servers" timers
fi

# Every model: the full suite on its first poller, a short one on the others
# (under a sanitizer, the first poller only: the plain build runs the others,
# and the ports' own tests run sanitized in the unit tests).
[ -n "${NM_SANITIZED:-}" ] && NM_POLLERS=${NM_POLLERS:-first}
"$B/nmserve" --list-pollers > "$LOGS/models.txt" 2>&1 || $RUN "$B/nmserve" --list-pollers > "$LOGS/models.txt"
# NM_TARGET_MODELS (test/targets.mk): these models only.
[ -n "${NM_TARGET_MODELS:-}" ] && awk -v keep=" $NM_TARGET_MODELS " 'index(keep, " " $1 " ")' "$LOGS/models.txt" \
    > "$LOGS/models.sel" && mv "$LOGS/models.sel" "$LOGS/models.txt"
while read -r model pollers; do
    first=1
    for p in $pollers; do
        if [ "$p" = "-" ]; then
            conformance "$B/nmserve" "$model"
        elif [ $first = 1 ]; then
            conformance "$B/nmserve" "$model" --poller "$p"
        else
            NM_SUITE=short conformance "$B/nmserve" "$model" --poller "$p"
        fi
        first=0
        [ "${NM_POLLERS:-}" = first ] && break
    done
done < "$LOGS/models.txt"
if grep -q '^epoll ' "$LOGS/models.txt"; then
    conformance "$B/nmserve" epoll --edge
    NM_SUITE=short conformance "$B/nmserve" reactor --poller epoll --edge
fi
# The models under a transport that holds plaintext of its own and writes
# on its own (a hello first, records owed): test/record. On the host each
# model on the session's events; on a cross target its representative set.
if [ -z "${NM_SANITIZED:-}" ] && built "$B/test/nmserve_record" "models under a record transport"; then
    record_models=""
    [ -n "$RUN${NM_DRIVER:-}" ] && record_models=${NM_TARGET_MODELS:-epoll thread_pool process_pool_reactors prefork_locked_accept fiber}
    NM_DRIVER=$DRV check "models under a record transport" timeout 900 sh test/record/check.sh "$B" $record_models
fi
# A test program that ends without stopping its servers takes them with it.
if [ -z "$RUN${NM_DRIVER:-}${NM_SANITIZED:-}" ] && built "$B/test/leave" "no server outlives its test program"; then
    check "no server outlives its test program" timeout 60 sh test/harness/servers_end.sh "$B"
fi
# TLS (BearSSL, BUILD/tls: make TLS=bearssl) judged by curl and openssl
# s_client on the host (test/tls/check.sh), by testssl.sh; hostile input.
if [ -z "${NM_SANITIZED:-}$RUN${NM_DRIVER:-}" ] && built "$B/tls/nmserve" "TLS with curl and openssl"; then
    check "TLS with curl and openssl" timeout 600 sh test/tls/check.sh "$B"
    check "hostile input over TLS" timeout 300 sh test/tls/hostile.sh "$B"
    if command -v testssl > /dev/null; then check "TLS judged by testssl.sh" timeout 900 sh test/tls/testssl.sh "$B"
    else nm_skip_check "TLS judged by testssl.sh" "" "testssl is not installed (test/deps.sh)"
    fi
fi
# Under a sanitizer, TLS on four models (CI's tier for them): BearSSL on
# epoll, thread_pool and fiber, wolfSSL on epoll, each with check.sh's
# clients and short suite, its engine checks and the OpenSSL adapter on
# epoll; the hostile cases on the same; every sanitizer report fails
# (test/tls/lib.sh). An engine not built in is a skip, said; testssl.sh,
# which judges the protocol and not our memory, is the plain build's.
if [ -n "${NM_SANITIZED:-}" ] && [ -z "$RUN${NM_DRIVER:-}" ] && built "$B/tls/nmserve" "TLS under the sanitizer"; then
    tier=""
    for w in epoll@bearssl thread_pool@bearssl fiber@bearssl epoll@wolfssl; do
        if nm "$B/tls/nmserve" 2> /dev/null | grep -q " T nm_tls_${w#*@}$"; then tier="$tier $w"
        else nm_skip_check "TLS under the sanitizer: ${w%@*} over ${w#*@}" "" "${w#*@} is not built in (test/deps.sh installs its headers)"
        fi
    done
    if [ -n "$tier" ]; then
        check "TLS under the sanitizer:$tier" env NM_TLS_MORE= NM_TLS_OPENSSL=epoll timeout 600 sh test/tls/check.sh "$B" $tier
        for e in bearssl wolfssl; do
            ms=$(echo $(for w in $tier; do [ "${w#*@}" = $e ] && echo "${w%@*}"; done))
            [ -n "$ms" ] && check "hostile input over $e under the sanitizer: $ms" env NM_TLS_MODELS="$ms" \
                timeout 300 sh test/tls/hostile.sh "$B" $e
        done
    fi
    nm_skip_check "TLS judged by testssl.sh" "" "the plain build's: it judges the protocols offered, which a sanitizer does not change"
fi
# A cross build's TLS (NM_TLS_SYSROOT: its fragment's engines, unpacked by
# make deps): the short suite over TLS on epoll and thread_pool under the
# emulator, the archive's engines in turn.
if [ -n "${NM_TLS_SYSROOT:-}" ] && [ -n "$RUN" ]; then
    if [ -x "$B/tls/nmserve" ]; then
        check "TLS: the short suite on epoll and thread_pool under ${RUN%% *}" env NM_DRIVER="$DRV" \
            timeout 300 sh test/tls/check.sh "$B" epoll thread_pool
    else   # (a skip, or a failure for a target NM_REQUIRE_TARGETS names)
        why="$B/tls/nmserve not built: no engines in $NM_TLS_SYSROOT (make deps)"
        case " ${NM_REQUIRE_TARGETS:-} " in
            *" ${B##*/} "*) check "TLS under ${RUN%% *}" sh -c 'echo "FAIL $1 (NM_REQUIRE_TARGETS)"; exit 1' - "$why" ;;
            *) nm_skip_check "TLS under ${RUN%% *}" "" "$why" ;;
        esac
    fi
fi
# Listeners beyond IPv4: on [::1] and on a Unix socket in a scratch
# directory of the logs, and a listener handed in (--listen-fd): on the host
# a model of each way of taking connections (a loop, loops on threads, loops
# in processes, a thread pool, processes sharing accept(), processes each
# with its own SO_REUSEPORT listener, followers taking turns, a fiber, a
# coroutine, completions), on its first poller; a cross target (musl too,
# run natively) a smaller set. (The listener is opened by one function for
# every model; these runs check each way of sharing it.) prefork_reuseport
# needs a port of its own per process: refused on a Unix socket (cli.sh checks).
SOCKS=$(cd "$LOGS" && pwd)/sock
mkdir -p "$SOCKS"
grep -qs ' lo$' /proc/net/if_inet6 && ipv6=1 || ipv6=
[ -n "$ipv6" ] || nm_skip_check "listeners on [::1]" ipv6 "lo has no IPv6 address (/proc/net/if_inet6)"
listeners() {   # listeners MODEL [options]
    m=$1
    shift
    [ -n "$ipv6" ] && NM_SUITE=short conformance "$B/nmserve" "$m" --host ::1 "$@"
    [ "$m" = prefork_reuseport ] || NM_SUITE=short conformance "$B/nmserve" "$m" --host "unix:$SOCKS/$m" "$@"
}
if [ -z "$RUN${NM_DRIVER:-}${NM_SANITIZED:-}" ]; then
    ways=" epoll reactor_worker_pool multi_reactor process_pool_reactors thread_pool prefork_shared_accept"
    ways="$ways prefork_reuseport leader_follower fiber coroutine proactor "
    while read -r model pollers; do
        case "$ways" in *" $model "*) ;; *) continue ;; esac
        set -- $pollers
        if [ "$1" = "-" ]; then listeners "$model"; else listeners "$model" --poller "$1"; fi
    done < "$LOGS/models.txt"
else
    for m in epoll thread_pool prefork_shared_accept fiber; do
        grep -q "^$m " "$LOGS/models.txt" && listeners "$m"
    done
fi
for m in epoll thread_pool prefork_shared_accept fiber process_pool_reactors; do
    grep -q "^$m " "$LOGS/models.txt" || continue
    NM_SUITE=short conformance "$B/nmserve" "$m" --listen-fd 127.0.0.1
done
grep -q '^epoll ' "$LOGS/models.txt" && NM_SUITE=short conformance "$B/nmserve" epoll --listen-fd "unix:$SOCKS/handed"
rm -rf "$SOCKS"
# The demo protocols (Modbus/TCP, RESP), judged by libmodbus and redis-cli:
# every model on the host, one of each kind under an emulator or sanitizer.
if [ -z "$RUN${NM_DRIVER:-}${NM_SANITIZED:-}" ]; then
    check "demo protocols under every model (libmodbus, redis-cli)" timeout 600 sh test/protocols/check.sh "$B"
else
    few=""
    for m in epoll thread_pool prefork_shared_accept fiber; do grep -q "^$m " "$LOGS/models.txt" && few="$few $m"; done
    check "demo protocols under$few (libmodbus, redis-cli)" timeout 300 sh test/protocols/check.sh "$B" $few
fi
# The proactor's emulated engine, forced, on every poller (the loop above
# ran its default engine: io_uring where the kernel allows it).
for p in $(sed -n 's/^proactor //p' "$LOGS/models.txt"); do
    if [ "$p" = "$(sed -n 's/^proactor \([^ ]*\).*/\1/p' "$LOGS/models.txt")" ]; then
        conformance "$B/nmserve" proactor --proactor emulated --poller "$p"
    else
        NM_SUITE=short conformance "$B/nmserve" proactor --proactor emulated --poller "$p"
    fi
done
# The proactor past its capacities (a build with small ones), on each engine.
# (make tests builds these two where the build has the proactor)
has_proactor=; grep -q '^proactor ' "$LOGS/models.txt" && has_proactor=1
[ -n "$has_proactor" ] && built "$B/small/nmserve" "proactor at small capacities" &&
    check "proactor at small capacities" env NM_TEST_FILTER=proactor_capacity \
    timeout 120 "$DRV/test/invariants" "$B/small/nmserve"
# The proactor without a provided buffer ring (the default build has one,
# and its multishot receive where the kernel has them).
if [ -n "$has_proactor" ] && built "$B/noring/nmserve" "proactor without a provided buffer ring"; then
    conformance "$B/noring/nmserve" proactor
    check "proactor without a provided buffer ring" env NM_TEST_FILTER="proactor -proactor_capacity" \
        timeout 300 "$DRV/test/invariants" "$B/noring/nmserve"
fi
if [ -x "$B/kqemu/nmserve" ]; then
    conformance "$B/kqemu/nmserve" kqueue
    NM_SUITE=short conformance "$B/kqemu/nmserve" kqueue --edge
    NM_SUITE=short conformance "$B/kqemu/nmserve" reactor --poller kqueue
    NM_SUITE=short conformance "$B/kqemu/nmserve" leader_follower --poller kqueue
    NM_SUITE=short conformance "$B/kqemu/nmserve" producer_consumer --poller kqueue
fi
# Every other model that any poller can drive, on the emulated kqueue too.
if [ -x "$B/kqemu/nmserve" ]; then
    "$B/kqemu/nmserve" --list-pollers > "$LOGS/kqemu_models.txt" 2>&1
    while read -r model pollers; do
        case " $pollers " in *" kqueue "*) ;; *) continue ;; esac
        case $model in kqueue|reactor|leader_follower|producer_consumer) continue ;; esac   # run above
        NM_SUITE=short conformance "$B/kqemu/nmserve" "$model" --poller kqueue
    done < "$LOGS/kqemu_models.txt"
fi

# Hostile clients against every model on its first poller: a short soak
# (on the host build: a cross target's models are covered by its conformance).
soak() {   # soak NMSERVE MODEL FIRST_POLLER [LABEL]: "-", a blocking model
    if [ "$3" = "-" ]; then check "soak $2$4" env NM_SOAK_BLOCKING=1 NM_SOAK_SECONDS=${NM_SOAK_SECONDS:-1} timeout 180 "$B/test/soak" "$1" "$2"
    else check "soak $2 --poller $3$4" env NM_SOAK_SECONDS=${NM_SOAK_SECONDS:-1} timeout 180 "$B/test/soak" "$1" "$2" --poller "$3"
    fi
}
if [ -x "$B/test/soak" ] && [ -z "$RUN" ] && [ -z "${NM_DRIVER:-}" ]; then
    while read -r model pollers; do
        soak "$B/nmserve" "$model" ${pollers%% *}
    done < "$LOGS/models.txt"
    [ -x "$B/kqemu/nmserve" ] && check "soak kqueue (emulation)" env NM_SOAK_SECONDS=${NM_SOAK_SECONDS:-1} \
        timeout 180 "$B/test/soak" "$B/kqemu/nmserve" kqueue
    # The small builds at their own pools, full again afterwards (the soak
    # reads the slots from /stats): the proactor at 40 slots and 8 buffers
    # (BUILD/small), and a small board's configuration (BUILD/pizero,
    # demos/nm_user_config_small.h: 32 slots, 16 buffers) on an event loop,
    # the proactor, a fiber, a coroutine, lent workers, blocking threads and
    # processes. Not under the sanitizers: the catalogue soak is theirs.
    if [ -z "${NM_SANITIZED:-}" ]; then
        for small in small pizero; do
            [ -x "$B/$small/nmserve" ] || continue
            "$B/$small/nmserve" --list-pollers > "$LOGS/${small}_models.txt" 2>&1
            while read -r model pollers; do
                case " epoll proactor fiber coroutine reactor_worker_pool thread_pool prefork_locked_accept " in
                *" $model "*) soak "$B/$small/nmserve" "$model" ${pollers%% *} " ($small build)" ;;
                esac
            done < "$LOGS/${small}_models.txt"
        done
    fi
fi

check "command line errors exit 2 with one line" sh test/conformance/cli.sh "$B/nmserve"
# POST /echo judged by curl: bodies by length, chunked, cut short (host).
[ -z "$RUN" ] && [ -z "${NM_DRIVER:-}" ] && check "curl: POST /echo returns every body it takes" timeout 300 \
    sh test/conformance/curl.sh "$B/nmserve" epoll thread_pool prefork_shared_accept fiber proactor
# The load client's open load (nmbench --rate: the benchmark's light load).
[ -z "$RUN" ] && [ -z "${NM_DRIVER:-}" ] && check "nmbench --rate sends what is due" timeout 60 \
    sh test/conformance/nmbench.sh "$B"
# Every transfer whole over a link dropping 5 % of packets, none cut slow
# (the plain host build's).
if [ -z "$RUN" ] && [ -z "${NM_DRIVER:-}" ] && [ -z "${NM_SANITIZED:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null && command -v nft > /dev/null; then
        check "no transfer lost at 5 % packet loss" sh test/conformance/loss.sh "$B/nmserve"
    else
        nm_skip_check "no transfer lost at 5 % packet loss" netns "needs root, unshare and nft (make deps)"
    fi
fi
# A few seconds of each fuzz target, when clang can build libFuzzer programs.
fuzz_probe='extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }'
if [ -z "${NM_SKIP_FUZZ:-}" ] && [ -z "$RUN" ]; then
    if command -v clang++ > /dev/null &&
       echo "$fuzz_probe" | clang++ -x c++ -fsanitize=fuzzer,address - -o "$LOGS/fuzz-probe" > /dev/null 2>&1; then
        check "fuzz http parser and session, 3 s each" make --no-print-directory fuzz FUZZ_SECONDS=3
    else
        nm_skip_check "fuzz http parser and session" clang \
            "clang++ cannot build a libFuzzer program (make deps installs clang, libclang-rt-dev)"
    fi
fi
[ -z "$RUN" ] && [ -z "${NM_DRIVER:-}" ] && [ -z "${NM_SKIP_STATIC:-}" ] && check "make install, then build against it" sh test/packaging/install.sh

# tls_audit NM [CC]: the TLS archive against the lists of the engines it holds
tls_audit() {
    tls_lists=$(for e in bearssl wolfssl; do
        ar t "$B/tls/libnetmodels_tls.a" 2> /dev/null | grep -qx "$e.o" && echo "test/static/tls_${e}_allowlist.txt"; done)
    [ -n "$tls_lists" ] && check "symbol audit (TLS archive, its engines' lists)" \
        env NM_AUDIT_ALLOW="$(echo $tls_lists)" sh test/static/audit.sh "$B/tls/libnetmodels_tls.a" "$@"
}
if [ -z "${NM_SKIP_STATIC:-}" ]; then
    check "README's model table matches lib/models/models.def" sh test/static/readme_models.sh
    check "every pool is a line of lib/pools.def" sh test/static/pools_listed.sh
    check "cppcheck lib ports demos" sh test/static/cppcheck.sh
    check "include and call arrows point down (lib/*/README)" sh test/static/layers.sh lib "$B/obj"
    check "layers check catches an include and a call up" sh test/static/layers.sh --selftest "$B/obj"
    check "impossible configurations fail to build" sh test/static/config.sh
    check "README's C examples build and link" sh test/static/readme_examples.sh "$B/libnetmodels.a"
    check "paths in READMEs name files (and a planted one fails)" sh test/static/readme_paths.sh --selftest
    check "nothing in lib/ and ports/ written twice (and a planted copy fails)" sh test/static/duplicates.sh --selftest
    check "symbol audit" sh test/static/audit.sh "$B/libnetmodels.a" "${NM_NM:-nm}"
    check "symbol audit catches heap use" sh test/static/audit_selftest.sh "${NM_NM:-nm}"
    tls_audit "${NM_NM:-nm}"
    check "skips count apart; a required feature's skip fails" sh test/static/skips.sh "$B"
    check "invariants of the models not run are left out" sh test/static/inv_models.sh "$B"
elif [ -n "${NM_NM:-}" ]; then   # a cross build: its own archive, read by its own nm
    check "symbol audit" sh test/static/audit.sh "$B/libnetmodels.a" "$NM_NM" "${NM_CC:-}"
    tls_audit "$NM_NM" "${NM_CC:-}"
fi

nm_skips_said "$skips_file"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
