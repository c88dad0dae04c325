#!/bin/sh
# hostile.sh BUILD [ENGINE...] - hostile input over TLS (test/tls/hostile.py)
# against nmserve (BUILD/tls/nmserve) with each engine named, every engine
# that build has by default, under epoll, thread_pool and fiber
# (NM_TLS_MODELS: others), a handshake bounded at 3 s. Each case a line;
# a case not run on a model (or an engine on it) a skip saying why; then
# "N passed, N failed, N skipped" (test/counts.sh).
B=${1:-build/host}
shift
S=$B/tls/nmserve
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. test/tls/lib.sh
san_watch
[ $# = 0 ] && [ -x "$S" ] && set -- $(tls_engines)
[ $# = 0 ] && { echo "hostile: no engine in $S (make TLS=bearssl BUILD=$B/tls $S)"; exit 1; }
certs
# its TLS slots (NM_TLS_CONNS: lib/tls/nm_tls.h's default unless the build said)
slots=$(sed -n 's/.*-DNM_TLS_CONNS=\([0-9]*\).*/\1/p' "$B/tls/build.flags" 2> /dev/null)
rc=0
: > "$dir/said"
for e in "$@"; do
    for m in ${NM_TLS_MODELS-epoll thread_pool fiber}; do
        tls_start "$e" "$m" --tls-handshake 3000
        [ "$port" = 0 ] && { rc=1; tls_stop; continue; }
        echo "hostile: $e on $m"
        q=""
        [ "$m" = thread_pool ] && q=queued
        NM_TLS_ENGINE=$e timeout 120 python3 test/tls/hostile.py "$port" "$dir/ca.crt" "${slots:-32}" 3000 $q > "$dir/one" 2>&1 || rc=1
        sed "s/^skip  /skip  $e on $m: /" "$dir/one" | tee -a "$dir/said"
        tls_stop || rc=1
    done
done
san_said || rc=1
sed -n 's/^skip  /  skipped: /p' "$dir/said"
f=$(grep -c '^FAIL' "$dir/said")
[ $rc = 0 ] || [ "$f" -gt 0 ] || f=1
echo "$(grep -c '^ok ' "$dir/said") passed, $f failed, $(grep -c '^skip ' "$dir/said") skipped"
exit $rc
