#!/bin/sh
# check.sh BUILD [MODEL...] - nmserve over TLS (BUILD/tls/nmserve, BearSSL:
# make TLS=bearssl) judged by clients nobody here wrote, under each model
# named: curl over TLS 1.2 (two requests on one connection, a 3 MB upload
# and a 5 MB streamed download with their CRC checked, the 1 MiB static
# body), the short conformance suite through tls_proxy, openssl s_client (the certificate verified, ALPN http/1.1, TLS 1.2
# only, an AEAD suite), an RSA key beside the EC one, the errors a bad key
# gets, the handshake's bound and the slot pool's refusal. The
# certificates are made here (test/tls/lib.sh), never kept.
B=${1:-build/host}
shift
S=$B/tls/nmserve
[ -x "$S" ] || { echo "tls: $S not built (make TLS=bearssl BUILD=$B/tls $S)"; exit 1; }
[ $# = 0 ] && set -- epoll thread_pool fiber multi_reactor proactor
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rc=0
fail() { echo "tls: $*"; rc=1; }

# BearSSL allocates nothing: its archive calls no allocator.
a=$(${CC:-cc} -print-file-name=libbearssl.a)
[ -f "$a" ] && nm -u "$a" 2>/dev/null | grep -wq 'malloc\|calloc\|realloc\|free' && fail "$a calls an allocator"

# ---- certificates ---------------------------------------------------------
. test/tls/lib.sh
certs
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$dir/p384.key"

# ---- the server -------------------------------------------------------------
# start NAME ARGS...: nmserve under NAME's model, its port in $port, its pid in $pid
start() {
    rm -f "$dir/out"
    mkfifo "$dir/out"
    "$S" --port 0 --max-body 8000000 --model "$@" > "$dir/out" 2> "$dir/err" &
    pid=$!
    read -r line < "$dir/out"
    port=${line#*127.0.0.1:}
    port=${port%% *}
    case $line in *" tls=bearssl") ;; *) fail "$1: first line without tls=bearssl: $line"; port=0 ;; esac
}
stop() { kill -TERM $pid 2> /dev/null; wait $pid; }
stat() { curl -s -m 5 --cacert "$dir/ca.crt" "https://127.0.0.1:$port/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
get() { curl -sS -m 20 --tlsv1.2 --tls-max 1.2 --cacert "$dir/ca.crt" "$@"; }

head -c 3000000 /dev/urandom > "$dir/up.bin"
up_crc=$(python3 -c "import zlib,sys; print('%08x' % zlib.crc32(open(sys.argv[1],'rb').read()))" "$dir/up.bin")
crc_of() { python3 -c "import zlib,sys; d=sys.stdin.buffer.read(); print(len(d), '%08x' % zlib.crc32(d))"; }
stream_want=$(python3 -c "import zlib; d=bytes(i % 251 for i in range(5000000)); print(len(d), '%08x' % zlib.crc32(d))")
big_want=$(python3 -c "import zlib; d=bytes(97 + i % 26 for i in range(1048576)); print(len(d), '%08x' % zlib.crc32(d))")

serve_checks() {   # serve_checks LABEL: the clients against the server started
    m=$1
    u="https://127.0.0.1:$port"
    ka=$(get -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' "$u/" "$u/")
    [ "$ka" = "200 1
200 0" ] || fail "$m: keep-alive: two requests on one connection gave: $ka"
    up=$(get -H 'Expect:' --data-binary @"$dir/up.bin" "$u/upload")
    [ "$up" = "{\"bytes\":3000000,\"crc32\":\"$up_crc\"}" ] || fail "$m: upload: $up (crc32 $up_crc wanted)"
    st=$(get "$u/stream/5000000" | crc_of)
    [ "$st" = "$stream_want" ] || fail "$m: streamed download: $st ($stream_want wanted)"
    bg=$(get "$u/big" | crc_of)
    [ "$bg" = "$big_want" ] || fail "$m: /big: $bg ($big_want wanted)"
    printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -alpn http/1.1 -CAfile "$dir/ca.crt" \
        -verify_return_error -ign_eof > "$dir/sc" 2>&1
    for want in "Verify return code: 0 (ok)" "ALPN protocol: http/1.1" "Protocol  : TLSv1.2" "HTTP/1.1 200 OK" "Hello, World!"; do
        grep -aq "$want" "$dir/sc" || fail "$m: s_client: no \"$want\" in: $(grep -a 'Cipher\|Verify\|error' "$dir/sc" | head -3)"
    done
    grep -aq "Cipher is ECDHE-[A-Z]*-\(AES[0-9]*-GCM\|CHACHA20-POLY1305\)" "$dir/sc" || fail "$m: s_client: not an ECDHE AEAD suite"
    # older versions refused
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 < /dev/null > "$dir/sc11" 2>&1
    grep -aq "Cipher is (NONE)" "$dir/sc11" || fail "$m: TLS 1.1 accepted"
    h=$(stat tls_handshakes)   # (the keep-alive pair, upload, stream, big, s_client, this)
    [ "${h:-0}" -ge 6 ] || fail "$m: /stats: tls_handshakes $h, 6 at least wanted"
    b=$(stat tls_bad)
    [ "${b:-0}" -ge 1 ] || fail "$m: /stats: tls_bad $b after a TLS 1.1 hello"
}

# The short conformance suite through tls_proxy (OpenSSL toward the
# server, plain toward the suite's client: test/tls/proxy.cpp), peer_address
# left out (the server sees the proxy).
suite() {
    [ -x "$B/test/tls_proxy" ] || { fail "$B/test/tls_proxy not built (libssl-dev)"; return; }
    out=$(NM_TLS_CA="$dir/ca.crt" NM_SUITE=short NM_TEST_FILTER="-peer_address" \
          NM_RUN_PREFIX="$B/test/tls_proxy" timeout 300 "$B/test/conformance" "$S" $1 \
          --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" 2>&1)
    r=$?
    said=$(echo "$out" | tail -1)
    [ $r = 0 ] || { echo "$out" | grep -v '^ok \|^tls_proxy: [0-9]'; fail "$1: short suite over TLS: $said"; }
}

t0=$(date +%s)
for m in "$@"; do
    start $m --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
    [ "$port" != 0 ] && serve_checks "$m"
    stop
    suite "$m"
    echo "$m: TLS 1.2 with curl and s_client; the short suite: $said"
done

# The short suite alone on models of the other kinds (NM_TLS_MORE: which).
for m in ${NM_TLS_MORE-select event_loop actor iterative prefork_locked_accept leader_follower coroutine proactor reactor_worker_pool}; do
    suite "$m"
    echo "$m: the short suite over TLS: $said"
done

# An RSA key, on the first model.
start "$1" --tls-cert "$dir/rsa.crt" --tls-key "$dir/rsa.key"
[ "$port" != 0 ] && serve_checks "$1 (RSA)"
grep -aq "Cipher is ECDHE-RSA-" "$dir/sc" || fail "RSA: s_client: not an ECDHE-RSA suite"
stop
echo "$1: an RSA 2048 key"

# Bad keys: one line naming what is wrong, exit 2.
bad() {   # bad WHAT CERT KEY
    "$S" --model "$1" --port 0 --tls-cert "$3" --tls-key "$4" > /dev/null 2> "$dir/err" < /dev/null
    r=$?
    grep -q "$2" "$dir/err" && [ $r = 2 ] || fail "a bad key: exit $r, \"$2\" wanted, said: $(cat "$dir/err")"
}
bad "$1" "not a key" "$dir/ec.crt" "$dir/ec.crt"
bad "$1" "do not match" "$dir/ec.crt" "$dir/rsa.key"
bad "$1" "do not match" "$dir/rsa.crt" "$dir/ec.key"
leaf ec2 ec -pkeyopt ec_paramgen_curve:P-256
bad "$1" "do not match" "$dir/ec.crt" "$dir/ec2.key"
bad "$1" "unsupported curve" "$dir/ec.crt" "$dir/p384.key"
bad "$1" "not a certificate" "$dir/ec.key" "$dir/ec.key"
openssl x509 -in "$dir/ec.crt" -outform DER -out "$dir/ec.der" && openssl pkey -in "$dir/ec.key" -outform DER -out "$dir/ec.kder"
echo "bad keys and certificates: each named"

# DER, a handshake's bound, and the slots: past NM_TLS_CONNS a connection
# is refused and counted; a stalled handshake is cut at --tls-handshake.
start "$1" --tls-cert "$dir/ec.der" --tls-key "$dir/ec.kder" --tls-handshake 1000 --header-timeout 20000
python3 - "$port" <<'PY' || rc=1
import socket, sys, time
port = int(sys.argv[1])
# a ClientHello's first bytes, then nothing: closed at the handshake's
# bound (1 s), not the header timeout's (20 s)
s = socket.create_connection(("127.0.0.1", port))
t0 = time.time()
s.sendall(b"\x16\x03\x01\x00\x80\x01")
s.settimeout(30)
try:
    while s.recv(100):
        pass
except OSError:
    pass
took = time.time() - t0
if not 0.9 <= took <= 5:
    print("tls: a stalled handshake held its connection %.1f s (--tls-handshake 1000)" % took); sys.exit(1)
# 72 connections that only connect: the 65th and later are closed at
# once, unread (NM_TLS_CONNS: 64 in BUILD/tls, the Makefile); the others
# are cut at the bound
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(72)]
time.sleep(0.3)
ended = 0
for c in socks:
    try:
        if c.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"": ended += 1
    except OSError:
        pass
time.sleep(1.5)
for c in socks: c.close()
if ended != 8:
    print("tls: 72 connections at once: %d closed at once, 8 wanted (NM_TLS_CONNS 64)" % ended); sys.exit(1)
PY
sleep 0.3
for k in tls_cut:65 tls_refused:8; do
    v=$(stat ${k%%:*})
    [ "$v" = "${k#*:}" ] || fail "/stats: ${k%%:*} $v, ${k#*:} wanted"
done
stop
echo "$1: DER, a stalled handshake cut, slots past NM_TLS_CONNS refused"
echo "tls: $(($(date +%s) - t0)) s"
exit $rc
