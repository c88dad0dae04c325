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
# slot pool's refusal, an intermediate chain, SNI, the pair replaced while
# serving, two prefork workers' key shares; resumption (BearSSL's session
# IDs, wolfSSL's tickets); client certificates (test/tls/clientcert.sh);
# wolfSSL's arena (test/tls_arena). The certificates are made here
# (test/tls/lib.sh), never kept.
#
# A model named MODEL@ENGINE is served by that engine, not the next in
# turn (the sanitizer builds' own: test/run.sh).
#
# A cross build (NM_RUN_PREFIX, its emulator; NM_DRIVER, the host's build
# whose conformance and tls_proxy drive it): the short suite over TLS
# alone on each model named, the engines of its archive taken in turn.
B=${1:-build/host}
shift
S=$B/tls/nmserve
D=${NM_DRIVER:-$B}
[ -x "$S" ] || { echo "tls: $S not built (make TLS=bearssl,wolfssl BUILD=$B/tls $S)"; exit 1; }
[ $# = 0 ] && set -- epoll thread_pool fiber multi_reactor proactor
first=${1%@*}
models=$#   # (the models checked with curl and s_client; the short suite alone on the others)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rc=0
fail() { echo "tls: $*"; rc=1; }

# BearSSL allocates nothing: its archive calls no allocator.
a=$(${CC:-cc} -print-file-name=libbearssl.a)
[ -f "$a" ] && nm -u "$a" 2>/dev/null | grep -wq 'malloc\|calloc\|realloc\|free' && fail "$a calls an allocator"

# ---- certificates ---------------------------------------------------------
. test/tls/lib.sh
san_watch
certs
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$dir/p384.key"
# an intermediate CA, and a server certificate it signs: the chain the
# server sends is that certificate then the intermediate
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' > "$dir/caext"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/int.key" -out "$dir/int.csr" \
    -subj /CN=netmodels-test-intermediate
ossl x509 -req -in "$dir/int.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 398 \
    -extfile "$dir/caext" -out "$dir/int.crt"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/leaf.key" -out "$dir/leaf.csr" -subj /CN=127.0.0.1
ossl x509 -req -in "$dir/leaf.csr" -CA "$dir/int.crt" -CAkey "$dir/int.key" -CAcreateserial -days 398 \
    -extfile "$dir/ext" -out "$dir/leaf.crt"
cat "$dir/leaf.crt" "$dir/int.crt" > "$dir/chain.crt"

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
stop() { tls_stop || rc=1; }
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
# suite MODEL [SERVER]: over the next engine of the archive's ($engine:
# which), or over SERVER (nmserve with an engine of its own, no choice).
turn=0
suite() {
    [ -x "$D/test/tls_proxy" ] || { fail "$D/test/tls_proxy not built (libssl-dev)"; return; }
    pick="--tls-engine $eng"
    [ -n "$2" ] && pick=""
    out=$(NM_TLS_CA="$dir/ca.crt" NM_TLS_MAX=$([ "$eng" = wolfssl ] && [ -z "$2" ] && echo 1.3) NM_SUITE=short NM_TEST_FILTER="-peer_address" \
          NM_RUN_PREFIX="$D/test/tls_proxy ${NM_RUN_PREFIX:-}" timeout 300 "$D/test/conformance" "${2:-$S}" $1 \
          $pick --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" 2>&1)
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
[ -n "${NM_RUN_PREFIX:-}" ] &&
    engines=$(${NM_NM:-nm} -A "$B/tls/libnetmodels_tls.a" 2> /dev/null | sed -n 's/.* T nm_tls_\(bearssl\|wolfssl\)$/\1/p' | sort -u)
[ -n "${NM_RUN_PREFIX:-}" ] || for e in bearssl wolfssl; do
    "$S" --model epoll --port 0 --tls-engine $e --tls-cert "$dir/ec.key" --tls-key "$dir/ec.key" < /dev/null 2>&1 |
        grep -q "not built in" || engines="$engines $e"
done
[ -n "$engines" ] || { echo "tls: $S has no engine"; exit 1; }
set -- "$@" ${NM_TLS_MORE-select event_loop actor iterative prefork_locked_accept leader_follower coroutine proactor reactor_worker_pool}
turn=0
take_turn() {   # take_turn WORD: its model into $m, its engine or the next in turn into $eng
    m=${1%@*}
    case $1 in *@*) eng=${1##*@}; turn=$((turn + 1)); return ;; esac
    set -- $engines
    shift $((turn % $#))
    eng=$1
    turn=$((turn + 1))
}

t0=$(date +%s)
if [ -n "${NM_RUN_PREFIX:-}" ]; then   # a cross build: the short suite alone, on the models named
    for w in $(echo "$@" | cut -d' ' -f1-$models); do
        take_turn "$w"
        t1=$(date +%s)
        suite "$m"
        echo "$m ($eng, under ${NM_RUN_PREFIX%% *}): the short suite over TLS: $said in $(($(date +%s) - t1)) s"
    done
    san_said || rc=1
    exit $rc
fi
for w in "$@"; do
    take_turn "$w"
    if [ $turn -le $models ]; then
        start $m --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
        [ "$port" != 0 ] && serve_checks "$m"
        stop
    fi
    m=${m%% *}
    suite "$m"
    echo "$m ($eng): $([ $turn -le $models ] && echo "curl and s_client; ")the short suite over TLS: $said"
    served="${served:-} $m:$eng"
done
# wolfSSL on a fiber, when the turns gave the fiber the other engine: the
# fiber's stack (NM_FIBER_STACK_SIZE, 72 KiB in a build with wolfSSL: the
# Makefile) holds what the engine takes (the fiber model refuses a smaller
# one: test/unit's embed_fibers_refuse_a_transport_deeper_than_their_stacks).
case " $engines :$served " in *" wolfssl "*" fiber:bearssl"*)
    eng=wolfssl
    start fiber --tls-cert "$dir/rsa.crt" --tls-key "$dir/rsa.key"
    [ "$port" != 0 ] && serve_checks "fiber (RSA)"
    stop
    suite fiber
    echo "fiber ($eng): curl and s_client with an RSA key; the short suite over TLS: $said"
esac

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

# Client certificates, with each engine (test/tls/clientcert.sh).
. test/tls/clientcert.sh

# With each engine: an intermediate chain, SNI, the pair replaced while
# serving, fresh randomness per worker.
for eng in $engines; do
# An intermediate chain is sent whole (verified against the root alone),
# and the handler reads the server name the client asked for (SNI).
start "$first" --tls-cert "$dir/chain.crt" --tls-key "$dir/leaf.key"
r=$(timeout 5 openssl s_client -connect "127.0.0.1:$port" -showcerts -CAfile "$dir/ca.crt" -verify_return_error < /dev/null 2>&1 |
    grep -a '^ [0-9] s:\|Verify return code' | sed 's/^ *Verify/Verify/' | awk '!seen[$0]++' | tr -s ' ' | tr '\n' ';')
# (said once, indented, with TLS 1.2's session; with TLS 1.3's before it too)
[ "$r" = " 0 s:CN = 127.0.0.1; 1 s:CN = netmodels-test-intermediate;Verify return code: 0 (ok);" ] ||
    fail "$first: an intermediate chain: s_client -showcerts says: $r"
r=$(curl -s -m 5 --cacert "$dir/ca.crt" "https://127.0.0.1:$port/tls/sni")
[ "$r" = "-" ] || fail "$first: SNI: $r to a client that sent none, - wanted"
r=$(curl -s -m 5 -k --resolve "device.example:$port:127.0.0.1" "https://device.example:$port/tls/sni")
[ "$r" = "device.example" ] || fail "$first: SNI: $r, device.example wanted"
stop
echo "$first ($eng): an intermediate chain sent, SNI read by the handler"

# The certificate and key replaced while serving (SIGHUP: nmserve reads its
# files again, nm_tls_replace): a connection begun before gets the old pair
# even with its handshake after, one begun after the new; both answered. A
# replacement that fails leaves the pair as it was; six in a row each find
# a slot (NM_TLS_SERVERS: the replaced pairs go back).
cp "$dir/ec.crt" "$dir/cur.crt"
cp "$dir/ec.key" "$dir/cur.key"
start "$first" --tls-cert "$dir/cur.crt" --tls-key "$dir/cur.key"
python3 - "$port" "$pid" "$dir" $eng <<'PY' || rc=1
import hashlib, os, shutil, signal, socket, ssl, sys, time
port, pid, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def said():
    with open(d + "/err") as f: return f.read().count("\n")
def replace(crt, key, lines):
    for src, dst in ((crt, "cur.crt"), (key, "cur.key")):
        shutil.copy(d + "/" + src, d + "/new")
        os.rename(d + "/new", d + "/" + dst)
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        if said() >= lines: return
        time.sleep(0.05)
def cert_of(sock):
    return hashlib.sha256(sock.getpeercert(True)).hexdigest()
def cert_file(name):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(d + "/" + name).read())).hexdigest()
def get(sock):
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock.recv(4096).startswith(b"HTTP/1.1 200 ")
def fresh(session=None):
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), session=session)
bad = []
first = fresh()
get(first)   # (a TLS 1.3 session's ticket comes after the handshake)
old = first.session
a = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)
replace("rsa.crt", "rsa.key", 1)
b = fresh()
a = ctx.wrap_socket(a)
if cert_of(a) != cert_file("ec.crt"): bad.append("a connection begun before the replacement got the new certificate")
if cert_of(b) != cert_file("rsa.crt"): bad.append("a connection begun after the replacement got the old certificate")
if not (get(a) and get(b)): bad.append("a connection either side of the replacement not answered")
# a session made with the old pair is not resumed with the new; one made
# with the new is
if fresh(old).session_reused: bad.append("a session of the old pair resumed with the new")
if not fresh(b.session).session_reused: bad.append("a session of the new pair not resumed")
replace("ec.crt", "rsa.key", 2)
if cert_of(fresh()) != cert_file("rsa.crt"): bad.append("a failed replacement changed the certificate")
for i in range(6):
    replace(("ec.crt", "rsa.crt")[i % 2], ("ec.key", "rsa.key")[i % 2], 3 + i)
if cert_of(fresh()) != cert_file("rsa.crt"): bad.append("the sixth replacement in a row not served")
err = open(d + "/err").read().splitlines()
want = ["nmserve: tls: certificate and key replaced"] * 8
want[1] = "nmserve: tls: key and certificate do not match"
if len(err) != 8 or not err[1].startswith(want[1]) or err[:1] + err[2:] != want[:1] + want[2:]:
    bad.append("stderr said %r" % err)
for m in bad: print("tls: replacing the certificate (%s): %s" % (sys.argv[4], m))
sys.exit(1 if bad else 0)
PY
stop
echo "$first ($eng): the certificate and key replaced while serving"

# Randomness: every connection's engine is seeded as it opens (BearSSL's
# from getrandom(), wolfSSL's WOLFSSL from the system's), so two prefork
# workers' ECDHE key shares differ (12 connections, which both serve:
# their ServerKeyExchange public keys all differ).
start prefork_locked_accept --workers 2 --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
i=0
while [ $i -lt 12 ]; do
    printf 'GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout 5 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -msg -ign_eof > "$dir/ske.$i" 2>&1
    i=$((i + 1))
done
python3 - "$dir" <<'PY' || rc=1
import re, sys
keys, pids = set(), set()
for i in range(12):
    t = open("%s/ske.%d" % (sys.argv[1], i), "rb").read().decode("latin-1")
    m = re.search(r"ServerKeyExchange\n((?:    [0-9a-f ]+\n)+)", t)
    p = re.search(r"\r\n\r\n(\d+)\n", t)
    if not m or not p:
        print("tls: key shares: connection %d: no ServerKeyExchange or /pid in s_client's output" % i); sys.exit(1)
    b = bytes.fromhex(m.group(1).replace(" ", "").replace("\n", ""))
    keys.add(b[8:8 + b[7]])   # (type, length, curve type and name, then the key's length and bytes)
    pids.add(p.group(1))
if len(pids) < 2: print("tls: key shares: 12 connections all served by one worker"); sys.exit(1)
if len(keys) != 12: print("tls: key shares: %d different of 12 (workers %s)" % (len(keys), sorted(pids))); sys.exit(1)
PY
# Both workers served those 12: the /stats either answers counts them all
# (and itself), the TLS counters being shared as the server's own are.
h=$(stat tls_handshakes)
[ "${h:-0}" -ge 13 ] || fail "prefork_locked_accept: /stats: tls_handshakes $h, 13 wanted (the workers' sum)"
stop
echo "prefork_locked_accept ($eng): two workers' key shares all differ, their handshakes counted together"
done

# BearSSL's resumption
case " $engines " in *" bearssl "*)
eng=bearssl
# Resumption (TLS 1.2 session IDs): s_client -reconnect resumes five times
# and /stats counts them; the cache is fixed (NM_TLS_SESSIONS, 64) and
# gives up the least recently used session: one resumed again after 40
# others is still there 40 later, and gone after 64 more.
sc() { timeout 5 openssl s_client -connect "127.0.0.1:$port" -tls1_2 "$@" < /dev/null 2>&1 | grep -a '^New,\|^Reused,' | cut -d, -f1; }
others() { i=0; while [ $i -lt $1 ]; do sc > /dev/null; i=$((i + 1)); done; }
start "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
r=$(timeout 20 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -reconnect < /dev/null 2>&1 | grep -a '^New,\|^Reused,' | cut -d, -f1 | tr '\n' ' ')
[ "$r" = "New Reused Reused Reused Reused Reused " ] || fail "$first: s_client -reconnect: $r (New, then Reused five times, wanted)"
v=$(stat tls_resumed)
[ "$v" = 5 ] || fail "$first: /stats: tls_resumed $v, 5 wanted"
r=$(sc -sess_out "$dir/sess")
others 40
r="$r $(sc -sess_in "$dir/sess")"
others 40
r="$r $(sc -sess_in "$dir/sess")"
others 64
r="$r $(sc -sess_in "$dir/sess")"
[ "$r" = "New Reused Reused New" ] || fail "$first: a session after 40, 40 and 64 others: $r (New Reused Reused New wanted)"
stop
# The process models' workers share the cache: a session one worker made
# resumes on the other (12 connections, which both take).
start prefork_locked_accept --workers 2 --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
r=$(sc -sess_out "$dir/sess")
i=0
while [ $i -lt 12 ]; do r="$r $(sc -sess_in "$dir/sess")"; i=$((i + 1)); done
[ "$r" = "New$(printf ' Reused%.0s' 1 2 3 4 5 6 7 8 9 10 11 12)" ] || fail "prefork_locked_accept, 2 workers: a session's 12 resumptions: $r"
stop
echo "$first, prefork_locked_accept: TLS 1.2 sessions resumed, from a fixed cache the workers share"
;;
esac

# wolfSSL's resumption: tickets, TLS 1.3 and 1.2, sealed under a key made
# before the fork. A session file with its ticket (which TLS 1.3 sends
# after the handshake: the client asks /pid and reads to the end), resumed
# four times each and counted; a ticket is not resumed by another server
# (a key of its own); on prefork_locked_accept one worker's tickets resume
# on the other (12 connections, which both take).
case " $engines " in *" wolfssl "*)
eng=wolfssl
sct() {   # sct ARGS: "New PID" or "Reused PID"
    printf 'GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout 5 openssl s_client -connect "127.0.0.1:$port" "$@" -ign_eof 2>&1 | tr -d '\r' | sed -n 's/^\(New\|Reused\),.*/\1/p; s/^\([0-9][0-9]*\)$/\1/p' | tr '\n' ' '
}
both_workers() {   # both_workers SCT_OUTPUT: all resumed, some by a worker that did not make the ticket
    made=$2
    shift 2
    other=0
    while [ $# -ge 2 ]; do
        [ "$1" = Reused ] || return 1
        [ "$2" = "$made" ] || other=1
        shift 2
    done
    [ $other = 1 ]
}
start "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
for v in tls1_3 tls1_2; do
    r=$(sct -$v -sess_out "$dir/t$v" | cut -d' ' -f1)
    i=0
    while [ $i -lt 4 ]; do r="$r $(sct -$v -sess_in "$dir/t$v" | cut -d' ' -f1)"; i=$((i + 1)); done
    [ "$r" = "New Reused Reused Reused Reused" ] || fail "$first ($eng): a $v ticket resumed four times: $r"
done
v=$(stat tls_resumed)
[ "$v" = 8 ] || fail "$first ($eng): /stats: tls_resumed $v, 8 wanted"
stop
start "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
r=$(sct -tls1_3 -sess_in "$dir/ttls1_3" | cut -d' ' -f1)
[ "$r" = New ] || fail "$first ($eng): a ticket of another server's key: $r, New wanted"
v=$(stat tls_resumed)
[ "$v" = 0 ] || fail "$first ($eng): /stats: tls_resumed $v after another server's ticket, 0 wanted"
stop
start prefork_locked_accept --workers 2 --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key"
for v in tls1_3 tls1_2; do
    r=$(sct -$v -sess_out "$dir/t$v")
    i=0
    while [ $i -lt 12 ]; do r="$r$(sct -$v -sess_in "$dir/t$v")"; i=$((i + 1)); done
    both_workers $r || fail "prefork_locked_accept ($eng, 2 workers): a $v ticket's 12 resumptions (and the worker): $r"
done
stop
echo "$first, prefork_locked_accept ($eng): TLS 1.3 and 1.2 tickets resumed, on either worker, not by another server"
;;
esac

# The transport API is enough for another engine: OpenSSL behind it over
# memory BIOs (nmserve_openssl: test/tls/openssl_adapter.cpp, built
# against the installed headers alone) passes the short suite too.
for m in ${NM_TLS_OPENSSL-epoll thread_pool proactor}; do
    [ -x "$B/test/nmserve_openssl" ] || { fail "$B/test/nmserve_openssl not built (libssl-dev)"; break; }
    suite "$m" "$B/test/nmserve_openssl"
    echo "$m: the short suite over TLS, OpenSSL behind the transport API: $said"
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
san_said || rc=1
echo "tls: $(($(date +%s) - t0)) s"
exit $rc
