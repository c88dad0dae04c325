#!/bin/sh
# check.sh BUILD [MODEL...] - nmserve over TLS (BUILD/tls/nmserve, built
# with the engines at hand: make TLS=bearssl,wolfssl) judged by clients
# nobody here wrote, under each model named, the engines taking turns:
# curl over TLS 1.2 (two requests on one connection, a 3 MB upload and a
# 5 MB streamed download with their CRC checked, the 1 MiB static body),
# the short conformance suite through tls_proxy, openssl s_client (the
# certificate verified, ALPN http/1.1, TLS 1.2, an AEAD suite); with
# wolfSSL the same over TLS 1.3 too. With each engine: an RSA key beside
# the EC one, the errors a bad key gets, the handshake's bound and the
# slot pool's refusal; wolfSSL's arena (test/tls_arena). The certificates
# are made here (a CA, an EC P-256 and an RSA 2048 server certificate, SAN
# IP:127.0.0.1 and ::1, 398 days), never kept.
B=${1:-build/host}
shift
S=$B/tls/nmserve
[ -x "$S" ] || { echo "tls: $S not built (make TLS=bearssl,wolfssl BUILD=$B/tls $S)"; exit 1; }
[ $# = 0 ] && set -- epoll thread_pool fiber multi_reactor proactor
first=$1
models=$#   # (the models checked with curl and s_client; the short suite alone on the others)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rc=0
fail() { echo "tls: $*"; rc=1; }

# BearSSL allocates nothing: its archive calls no allocator.
a=$(${CC:-cc} -print-file-name=libbearssl.a)
[ -f "$a" ] && nm -u "$a" 2>/dev/null | grep -wq 'malloc\|calloc\|realloc\|free' && fail "$a calls an allocator"

# ---- certificates ---------------------------------------------------------
ossl() { openssl "$@" 2>> "$dir/openssl.log" || { cat "$dir/openssl.log"; exit 1; }; }
printf 'subjectAltName=IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$dir/ext"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -days 398 -subj /CN=netmodels-test-ca
leaf() {   # leaf NAME KEYARGS...: NAME.key and NAME.crt, signed by the CA
    name=$1
    shift
    ossl req -newkey "$@" -nodes -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj /CN=127.0.0.1
    ossl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 398 \
        -extfile "$dir/ext" -out "$dir/$name.crt"
}
leaf ec ec -pkeyopt ec_paramgen_curve:P-256
leaf rsa rsa:2048
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$dir/p384.key"

# ---- the server -------------------------------------------------------------
# start NAME ARGS...: nmserve under NAME's model over $eng, its port in
# $port, its pid in $pid
start() {
    rm -f "$dir/out"
    mkfifo "$dir/out"
    "$S" --port 0 --max-body 8000000 --tls-engine $eng --model "$@" > "$dir/out" 2> "$dir/err" &
    pid=$!
    read -r line < "$dir/out"
    port=${line#*127.0.0.1:}
    port=${port%% *}
    case $line in *" tls=$eng") ;; *) fail "$1: first line without tls=$eng: $line $(cat "$dir/err")"; port=0 ;; esac
}
stop() { kill -TERM $pid 2> /dev/null; wait $pid; }
stat() { curl -s -m 5 --cacert "$dir/ca.crt" "https://127.0.0.1:$port/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
get() { curl -sS -m 20 $tls_max --cacert "$dir/ca.crt" "$@"; }

head -c 3000000 /dev/urandom > "$dir/up.bin"
up_crc=$(python3 -c "import zlib,sys; print('%08x' % zlib.crc32(open(sys.argv[1],'rb').read()))" "$dir/up.bin")
crc_of() { python3 -c "import zlib,sys; d=sys.stdin.buffer.read(); print(len(d), '%08x' % zlib.crc32(d))"; }
stream_want=$(python3 -c "import zlib; d=bytes(i % 251 for i in range(5000000)); print(len(d), '%08x' % zlib.crc32(d))")
big_want=$(python3 -c "import zlib; d=bytes(97 + i % 26 for i in range(1048576)); print(len(d), '%08x' % zlib.crc32(d))")

serve_checks() {   # serve_checks LABEL: the clients against the server started
    tls_max="--tlsv1.2 --tls-max 1.2"
    serve_version "$1" 1.2
    if [ $eng = wolfssl ]; then
        tls_max=--tlsv1.3
        serve_version "$1" 1.3
    fi
    m="$1 ($eng)"
    h=$(stat tls_handshakes)   # (the keep-alive pair, upload, stream, big, s_client, this)
    [ "${h:-0}" -ge 6 ] || fail "$m: /stats: tls_handshakes $h, 6 at least wanted"
    b=$(stat tls_bad)
    [ "${b:-0}" -ge 1 ] || fail "$m: /stats: tls_bad $b after a TLS 1.1 hello"
}
serve_version() {   # serve_version LABEL VERSION
    m="$1 ($eng, TLS $2)"
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
        timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls$(echo $2 | tr . _) -alpn http/1.1 -CAfile "$dir/ca.crt" \
        -verify_return_error -ign_eof > "$dir/sc" 2>&1
    for want in "Verify return code: 0 (ok)" "ALPN protocol: http/1.1" "Protocol  : TLSv$2" "HTTP/1.1 200 OK" "Hello, World!"; do
        grep -aq "$want" "$dir/sc" || fail "$m: s_client: no \"$want\" in: $(grep -a 'Cipher\|Verify\|error' "$dir/sc" | head -3)"
    done
    grep -aq "Cipher is \(ECDHE-[A-Z]*-\|TLS_\)\(AES[_0-9]*-*GCM\|CHACHA20.POLY1305\)" "$dir/sc" || fail "$m: s_client: not an ECDHE AEAD suite"
    # older versions refused
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 < /dev/null > "$dir/sc11" 2>&1
    grep -aq "Cipher is (NONE)" "$dir/sc11" || fail "$m: TLS 1.1 accepted"
}

# The short conformance suite through tls_proxy (OpenSSL toward the
# server, plain toward the suite's client: test/tls/proxy.cpp), peer_address
# left out (the server sees the proxy).
suite() {
    [ -x "$B/test/tls_proxy" ] || { fail "$B/test/tls_proxy not built (libssl-dev)"; return; }
    out=$(NM_TLS_CA="$dir/ca.crt" NM_TLS_MAX=$([ $eng = wolfssl ] && echo 1.3) NM_SUITE=short NM_TEST_FILTER="-peer_address" \
          NM_RUN_PREFIX="$B/test/tls_proxy" timeout 300 "$B/test/conformance" "$S" $1 \
          --tls-engine $eng --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" 2>&1)
    r=$?
    said=$(echo "$out" | tail -1)
    [ $r = 0 ] || { echo "$out" | grep -v '^ok \|^tls_proxy: [0-9]'; fail "$1 ($eng): short suite over TLS: $said"; }
}

bad() {   # bad WHAT CERT KEY: with $eng
    timeout 10 "$S" --model "$first" --port 0 --tls-engine $eng --tls-cert "$2" --tls-key "$3" > /dev/null 2> "$dir/err" < /dev/null
    r=$?
    grep -q "$1" "$dir/err" && [ $r = 2 ] || fail "$eng: a bad key: exit $r, \"$1\" wanted, said: $(cat "$dir/err")"
}
# DER, a handshake's bound, and the slots: past NM_TLS_CONNS a connection
# is refused and counted; a stalled handshake is cut at --tls-handshake.
slots() {
start "$first" --tls-cert "$dir/ec.der" --tls-key "$dir/ec.kder" --tls-handshake 1000 --header-timeout 20000
python3 - "$port" <<'PY' || fail "$eng: the handshake's bound or the slots"
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
    [ "$v" = "${k#*:}" ] || fail "$eng: /stats: ${k%%:*} $v, ${k#*:} wanted"
done
stop
}

# The engines built: a bad certificate is named by an engine built in,
# refused as not built by another.
engines=""
for e in bearssl wolfssl; do
    "$S" --model epoll --port 0 --tls-engine $e --tls-cert "$dir/ec.key" --tls-key "$dir/ec.key" < /dev/null 2>&1 |
        grep -q "not built in" || engines="$engines $e"
done
[ -n "$engines" ] || { echo "tls: $S has no engine"; exit 1; }
set -- "$@" ${NM_TLS_MORE-select event_loop actor iterative prefork_locked_accept leader_follower coroutine proactor reactor_worker_pool}
turn=0
take_turn() {   # the next engine, into $eng
    set -- $engines
    shift $((turn % $#))
    eng=$1
    turn=$((turn + 1))
}

t0=$(date +%s)
for m in "$@"; do
    take_turn
    if [ $turn -le $models ]; then
        start $m --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
        [ "$port" != 0 ] && serve_checks "$m"
        stop
    fi
    m=${m%% *}
    suite "$m"
    echo "$m ($eng): $([ $turn -le $models ] && echo "curl and s_client; ")the short suite over TLS: $said"
done

openssl x509 -in "$dir/ec.crt" -outform DER -out "$dir/ec.der" && openssl pkey -in "$dir/ec.key" -outform DER -out "$dir/ec.kder"
leaf ec2 ec -pkeyopt ec_paramgen_curve:P-256
for eng in $engines; do
    # An RSA key, on the first model.
    start "$first" --tls-cert "$dir/rsa.crt" --tls-key "$dir/rsa.key"
    [ "$port" != 0 ] && serve_checks "$first (RSA)"
    grep -aq "Server public key is 2048 bit" "$dir/sc" || fail "$eng: RSA: s_client: not the RSA key"
    stop
    echo "$first ($eng): an RSA 2048 key"

    # Bad keys: one line naming what is wrong, exit 2.
    bad "not a key" "$dir/ec.crt" "$dir/ec.crt"
    bad "do not match" "$dir/ec.crt" "$dir/rsa.key"
    bad "do not match" "$dir/rsa.crt" "$dir/ec.key"
    bad "do not match" "$dir/ec.crt" "$dir/ec2.key"
    bad "unsupported curve" "$dir/ec.crt" "$dir/p384.key"
    bad "not a certificate" "$dir/ec.key" "$dir/ec.key"
    echo "$eng: bad keys and certificates: each named"

    slots
    echo "$first ($eng): DER, a stalled handshake cut, slots past NM_TLS_CONNS refused"
done

# wolfSSL's allocations: the arena's, none of the C library's past start-up.
if [ -x "$B/tls/test/tls_arena_unit" ]; then
    "$B/tls/test/tls_arena_unit" > "$dir/unit" 2>&1 || fail "tls_arena_unit: $(cat "$dir/unit")"
    echo "the arena: $(tail -1 "$dir/unit")"
fi
if [ -x "$B/tls/test/tls_arena" ]; then
    timeout 120 "$B/tls/test/tls_arena" "$dir/ec.crt" "$dir/ec.key" "$dir/ca.crt" > "$dir/arena" 2>&1 || fail "tls_arena: $(cat "$dir/arena")"
    head -1 "$dir/arena"
else
    case $engines in *wolfssl*) fail "$B/tls/test/tls_arena not built" ;; esac
fi
echo "tls: $(($(date +%s) - t0)) s"
exit $rc
