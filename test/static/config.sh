#!/bin/sh
# config.sh - a configuration that cannot work fails to build, with its
# message: the C-compatible checks of lib/nm_config.h (seen by C firmware
# too, so checked from C99 as well) and those of lib/config_check.cpp that
# need the library's types. The defaults build. Every tunable has its
# default in nm_config.h, and each one there is used.
CXX=${CXX:-g++}
CC=${CC:-gcc}
cxx="$CXX -std=c++17 -fno-exceptions -fno-rtti -Wall -Wextra -Werror -Ilib -fsyntax-only"
out=${TMPDIR:-/tmp}/nm-config.$$
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

$cxx lib/config_check.cpp 2> "$out" || { fail "the defaults do not build:"; cat "$out"; }
echo '#include "netmodels.h"' | $CC -std=c99 -Wall -Wextra -Werror -Ilib -fsyntax-only -x c - 2> "$out" ||
    { fail "netmodels.h does not build as C99:"; cat "$out"; }

# Each line: flags | what the failure must say.
while IFS='|' read -r flags message; do
    flags=${flags% }
    message=${message# }
    if $cxx $flags lib/config_check.cpp 2> "$out"; then fail "$flags builds"
    elif ! grep -q -- "$message" "$out"; then fail "$flags fails without saying '$message':"; head -3 "$out"
    else echo "ok   $flags: $message"
    fi
done << 'REFUSED'
-DNM_OUT_SEGS=300 | NM_OUT_SEGS: more segments than nm_conn's
-DNM_OUT_SEGS=1 | NM_OUT_SEGS: at least 2
-DNM_BUF_SIZE=5000000000 | NM_BUF_SIZE: more bytes than the uint32_t
-DNM_BUF_SIZE=16 | NM_BUF_SIZE: smaller than the shortest
-DNM_MAX_FDS=40000 | NM_MAX_FDS: more descriptors than the poll port
-DNM_BUF_COUNT=8 -DNM_BUF_ANSWER_RESERVE=8 | NM_BUF_ANSWER_RESERVE: below NM_BUF_COUNT
-DNM_MAX_HEADERS=0 | NM_MAX_HEADERS: at least 1
-DNM_MAX_LOOPS=0 | NM_MAX_LOOPS: at least 1
-DNM_MAX_THREADS=0 | NM_MAX_THREADS: at least 1
-DNM_ACCEPT_BATCH=0 | NM_ACCEPT_BATCH: at least 1
-DNM_TIMER_TICK_MS=0 | NM_TIMER_TICK_MS: at least 1
-DNM_STOP_POLL_MS=0 | NM_STOP_POLL_MS: at least 1
-DNM_MAX_WORKERS=300 | NM_MAX_WORKERS: at most NM_MAX_CHILDREN
-DNM_PRODUCERS=0 | NM_PRODUCERS: at least 1
-DNM_MAILBOX_DEPTH=512 | NM_MAILBOX_DEPTH: 1 to NM_QUEUE_DEPTH
-DNM_JOB_RING=0 | NM_JOB_RING: 1 to NM_QUEUE_DEPTH
-DNM_STEAL_DEQUE_SIZE=100 | NM_STEAL_DEQUE_SIZE: a power of two
-DNM_FIBER_STACK_SIZE=64 | NM_FIBER_STACK_SIZE: no room above
-DNM_MAX_THREADS=1 | pipeline runs its handle and write stages
-DNM_PRODUCERS=4 -DNM_MAX_THREADS=3 | producer_consumer needs NM_PRODUCERS - 1
-DNM_MAX_LOOPS=1 | actor needs the acceptor's loop
-DNM_MAX_LOOPS=1 -DNM_WITHOUT_actor | producer_consumer runs a loop for each of NM_PRODUCERS
-DNM_CONN_USER_SIZE=12 | NM_CONN_USER_SIZE: 0 or a multiple of 8
-DNM_BODY_READ_BUFS=0 | NM_BODY_READ_BUFS: 1 to 64
REFUSED
# A model left out takes its minimum with it.
$cxx -DNM_MAX_LOOPS=1 -DNM_WITHOUT_actor -DNM_WITHOUT_producer_consumer lib/config_check.cpp 2> "$out" ||
    { fail "NM_MAX_LOOPS=1 without actor and producer_consumer does not build:"; head -3 "$out"; }
# ... and the group of one loop compiles without a warning (no loop 1 to index).
${cxx%-fsyntax-only} -O2 -c -o /dev/null -DNM_MAX_LOOPS=1 -DNM_WITHOUT_actor lib/handoff/loop_group.cpp 2> "$out" ||
    { fail "NM_MAX_LOOPS=1: loop_group.cpp warns:"; head -3 "$out"; }
# The C firmware sees the checks of nm_config.h.
if echo '#include "netmodels.h"' | $CC -std=c99 -DNM_OUT_SEGS=1 -Ilib -fsyntax-only -x c - 2> "$out"; then
    fail "C99 with NM_OUT_SEGS=1 builds"
else
    grep -q "NM_OUT_SEGS: at least 2" "$out" && echo "ok   C99 sees nm_config.h's checks" || fail "C99: no message"
fi

# Every tunable's default is in nm_config.h: no #ifndef NM_... elsewhere;
# but the TLS archive's own capacities, in its header (lib/tls/nm_tls.h),
# which the library (libnetmodels.a) never includes.
find lib ports -name '*.h' -o -name '*.cpp' | grep -v '^lib/nm_config.h$' | grep -v '^lib/tls/nm_tls.h$' | xargs awk '
    /^#ifndef NM_/ { name = $2; next }
    name != "" && $1 == "#define" && $2 == name && name !~ /_H$/ { print FILENAME ": " name }
    { name = "" }' > "$out"
[ -s "$out" ] && { fail "defaults outside lib/nm_config.h:"; cat "$out"; }
# Every macro nm_config.h defines is used somewhere else.
for m in $(sed -n 's/^#define \(NM_[A-Z0-9_]*\).*/\1/p' lib/nm_config.h | sort -u); do
    [ "$m" = NM_CONFIG_H ] && continue
    grep -rqw "$m" lib ports --exclude=nm_config.h || fail "$m is defined in lib/nm_config.h and used nowhere"
done
rm -f "$out"
[ $fails -eq 0 ] && echo "config: impossible configurations fail to build, with their message"
[ $fails -eq 0 ]
