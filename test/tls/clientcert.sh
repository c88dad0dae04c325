# clientcert.sh - client certificates (nm_tls_client_ca), sourced by
# test/tls/check.sh with its $dir, $S, $B, $first, $engines and its
# start, stop, stat and fail: under each engine, curl (--cert, --key) and
# openssl s_client with a client certificate the CA signed (its CN and O
# answered by GET /tls/peer), none (served, 204, where one is optional;
# refused where required), one another CA signed, and an expired one
# (both refused, counted by kind in /stats); the CA in PEM and in DER. The
# clock, set through test/tls/clock.c (LD_PRELOAD): before
# NM_TLS_TIME_FLOOR every client certificate is refused (counted), or
# taken with --tls-any-clock; in 2030, the good one has expired.
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$dir/cext"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/cl.key" -out "$dir/cl.csr" \
    -subj "/CN=device-17/O=Example Fleet"
ossl x509 -req -in "$dir/cl.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 -extfile "$dir/cext" \
    -out "$dir/cl.crt"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca2.key" -out "$dir/ca2.crt" -days 30 \
    -subj /CN=another-ca
ossl x509 -req -in "$dir/cl.csr" -CA "$dir/ca2.crt" -CAkey "$dir/ca2.key" -CAcreateserial -days 30 -extfile "$dir/cext" \
    -out "$dir/other.crt"
# expired: a year in 2024 (openssl ca, the only way Debian's openssl sets
# both dates)
: > "$dir/index.txt"
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/ca.srl\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\norganizationName=optional\n' \
    "$dir" "$dir" "$dir" > "$dir/ca.cnf"
ossl ca -batch -config "$dir/ca.cnf" -cert "$dir/ca.crt" -keyfile "$dir/ca.key" -in "$dir/cl.csr" -notext \
    -startdate 20240101000000Z -enddate 20250101000000Z -extfile "$dir/cext" -out "$dir/expired.crt"
openssl x509 -in "$dir/ca.crt" -outform DER -out "$dir/ca.der"
# a second CA, RSA, in the same file: an RSA client key it signs
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/rsaca.key" -out "$dir/rsaca.crt" -days 30 -subj /CN=netmodels-rsa-ca
ossl req -newkey rsa:2048 -nodes -keyout "$dir/rcl.key" -out "$dir/rcl.csr" -subj "/O=Example Meters/CN=meter-3"
ossl x509 -req -in "$dir/rcl.csr" -CA "$dir/rsaca.crt" -CAkey "$dir/rsaca.key" -CAcreateserial -days 30 -extfile "$dir/cext" \
    -out "$dir/rcl.crt"
cat "$dir/ca.crt" "$dir/rsaca.crt" > "$dir/cas.crt"
# an O of 31 letters then 17 of two bytes each (UTF-8), 65 bytes: cut
# short at 64, back to the start of the last one
long=$(printf 'o%.0s' $(seq 31))$(printf 'é%.0s' $(seq 16))
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/long.key" -out "$dir/long.csr" -utf8 \
    -subj "/O=${long}é"
ossl x509 -req -in "$dir/long.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 -extfile "$dir/cext" \
    -out "$dir/long.crt"

# peer [CERT [KEY]]: GET /tls/peer with CERT (and KEY, cl.key by
# default) or none: its body and status on one line, status 000 when the
# handshake failed
peer() {
    curl -s -m 5 --cacert "$dir/ca.crt" ${1:+--cert "$dir/$1" --key "$dir/${2:-cl.key}"} -w '%{http_code}' \
        "https://127.0.0.1:$port/tls/peer" | tr '\n' ' '
}
# peer_stats [CERT]: /stats's client certificate counters, CERT shown
peer_stats() {
    curl -s -m 5 --cacert "$dir/ca.crt" ${1:+--cert "$dir/$1" --key "$dir/cl.key"} "https://127.0.0.1:$port/stats" |
        tr ',}' '\n\n' | sed -n 's/^"tls_\(peers\|peer_[a-z]*\|clock_unset\)":/\1=/p' | tr '\n' ' ' | sed 's/ $//'
}
# clocked SECONDS ARGS...: start ARGS... with CLOCK_REALTIME at SECONDS
clocked() {
    at=$1
    shift
    export NM_TEST_CLOCK=$at LD_PRELOAD="$B/tls/test/tls_clock.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    start "$@"
    unset NM_TEST_CLOCK LD_PRELOAD
}
want() {   # want LABEL GOT WANTED
    [ "$2" = "$3" ] || fail "$eng: client certificates: $1: \"$2\", \"$3\" wanted"
}
good="CN=device-17, O=Example Fleet 200"
[ -f "$B/tls/test/tls_clock.so" ] || fail "$B/tls/test/tls_clock.so not built"
for eng in $engines; do
    # optional (two CAs, EC and RSA): the good ones answered, none served,
    # the others refused
    start "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" --tls-client-ca "$dir/cas.crt"
    want "curl, the CA's" "$(peer cl.crt)" "$good"
    want "curl, the RSA CA's" "$(peer rcl.crt rcl.key)" "CN=meter-3, O=Example Meters 200"
    want "curl, a long O and no CN" "$(peer long.crt long.key)" "O=$long 200"
    want "curl, none" "$(peer)" "204"
    want "curl, another CA's" "$(peer other.crt)" "000"
    want "curl, expired" "$(peer expired.crt)" "000"
    printf 'GET /tls/peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$dir/ca.crt" -cert "$dir/cl.crt" -key "$dir/cl.key" \
        -verify_return_error -ign_eof > "$dir/sc" 2>&1
    grep -aq "^CN=device-17, O=Example Fleet" "$dir/sc" || fail "$eng: client certificates: s_client: no CN and O in: $(tail -3 "$dir/sc")"
    printf 'GET /tls/peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$dir/ca.crt" -cert "$dir/other.crt" -key "$dir/cl.key" \
        -ign_eof > "$dir/sc" 2>&1
    grep -aq "^HTTP/1.1" "$dir/sc" && fail "$eng: client certificates: s_client, another CA's: answered"
    want "/stats" "$(peer_stats)" "peers=4 peer_untrusted=2 peer_expired=1 peer_missing=0 clock_unset=0"
    stop
    # required (the CA in DER): none refused and counted
    start "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" --tls-client-ca "$dir/ca.der" --tls-client-required
    want "required, none" "$(peer)" "000"
    want "required, the CA's" "$(peer cl.crt)" "$good"
    want "required, /stats" "$(peer_stats cl.crt)" "peers=2 peer_untrusted=0 peer_expired=0 peer_missing=1 clock_unset=0"
    stop
    # the clock before NM_TLS_TIME_FLOOR (2025-01-01): refused, counted;
    # none still served
    clocked 1735689600 "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" --tls-client-ca "$dir/ca.crt"
    want "clock unset, the CA's" "$(peer cl.crt)" "000"
    want "clock unset, none" "$(peer)" "204"
    want "clock unset, /stats" "$(peer_stats)" "peers=0 peer_untrusted=0 peer_expired=0 peer_missing=0 clock_unset=1"
    stop
    # ... or taken, dates not judged, with --tls-any-clock (the expired one too)
    clocked 1735689600 "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" --tls-client-ca "$dir/ca.crt" --tls-any-clock
    want "any clock, the CA's" "$(peer cl.crt)" "$good"
    want "any clock, expired" "$(peer expired.crt)" "$good"
    want "any clock, another CA's" "$(peer other.crt)" "000"
    stop
    # the clock in 2030 (1893456000), past the floor: the engine judges
    # the good one's dates against it (--tls-any-clock has no say)
    clocked 1893456000 "$first" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" --tls-client-ca "$dir/ca.crt" --tls-any-clock
    want "2030, the CA's" "$(peer cl.crt)" "000"
    want "2030, /stats" "$(peer_stats)" "peers=0 peer_untrusted=0 peer_expired=1 peer_missing=0 clock_unset=0"
    stop
    # a CA file that holds no certificate: one line, exit 2
    timeout 10 "$S" --model "$first" --port 0 --tls-engine $eng --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" \
        --tls-client-ca "$dir/cl.key" > /dev/null 2> "$dir/err" < /dev/null
    r=$?
    want "a key as the CA: exit $r" "$(cat "$dir/err")" "nmserve: tls: client CA: not a certificate (a PRIVATE KEY)"
    echo "$first ($eng): client certificates verified (CN and O read), optional and required, refusals counted, the clock's floor"
done
