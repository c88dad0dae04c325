# lib.sh - what the TLS tests share (sourced by test/tls/check.sh,
# testssl.sh and hostile.sh, with $dir their scratch folder and $S the TLS
# build's nmserve).
#
# The certificates, made at test time by Debian's openssl, never kept: a
# CA, and leaves signed by it for 127.0.0.1 (SAN IP:127.0.0.1 and ::1, a
# CRL distribution point, 398 days: what a public CA may issue).
ossl() { openssl "$@" 2>> "$dir/openssl.log" || { cat "$dir/openssl.log"; exit 1; }; }
leaf() {   # leaf NAME KEYARGS...: NAME.key and NAME.crt, signed by the CA
    name=$1
    shift
    ossl req -newkey "$@" -nodes -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj /CN=127.0.0.1
    ossl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 398 \
        -extfile "$dir/ext" -out "$dir/$name.crt"
}
certs() {   # the CA (ca.crt, ca.key), an EC P-256 leaf (ec.*) and an RSA 2048 one (rsa.*)
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,IP:::1' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
        'crlDistributionPoints=URI:http://127.0.0.1/netmodels-test-ca.crl' > "$dir/ext"
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" \
        -days 398 -subj /CN=netmodels-test-ca
    leaf ec ec -pkeyopt ec_paramgen_curve:P-256
    leaf rsa rsa:2048
}

# The engines $S was built with (make TLS=...): lib/tls's sources whose
# nm_tls_NAME it has.
tls_engines() {
    for f in lib/tls/*.cpp; do
        e=${f##*/}
        e=${e%.cpp}
        nm "$S" 2> /dev/null | grep -q " T nm_tls_$e$" && echo "$e"
    done
}

# tls_start ENGINE MODEL ARGS...: $S under MODEL over ENGINE's TLS (the EC
# certificate), its port in $port (0 when it did not start), its pid in $pid.
tls_start() {
    rm -f "$dir/out"
    mkfifo "$dir/out"
    e=$1
    shift
    "$S" --port 0 --model "$@" --tls-engine "$e" --tls-cert "$dir/ec.crt" --tls-key "$dir/ec.key" \
        > "$dir/out" 2> "$dir/err" &
    pid=$!
    read -r line < "$dir/out"
    port=${line#*127.0.0.1:}
    port=${port%% *}
    case $line in *" tls=$e") ;; *) echo "tls: $1 over $e: first line without tls=$e: $line $(cat "$dir/err")"; port=0 ;; esac
}
# tls_stop: SIGTERM, then its exit, which is 0 (a sanitizer's report ends
# it otherwise), with no undefined behaviour said on its stderr; status 1
# and a line saying how it ended else.
tls_stop() {
    kill -TERM $pid 2> /dev/null
    wait $pid
    st=$?
    [ $st = 0 ] && ! grep -qs 'runtime error: ' "$dir/err" && return 0
    echo "tls: nmserve (pid $pid) exited $st after SIGTERM: $(grep -m1 -s 'runtime error: ' "$dir/err" || tail -2 "$dir/err" 2> /dev/null | tr '\n' ' ')"
    return 1
}

# Under a sanitizer (make check SANITIZE=...), what AddressSanitizer and
# ThreadSanitizer report, from any program these scripts start (nmserve and
# its workers, tls_proxy, the conformance client, the arena's tests), goes
# to files of $dir (san_watch, at the start); san_said, at the end: each
# report's first lines, and status 1 when there is one. (UBSan, in gcc's
# runtime beside ASan, writes to stderr whatever log_path says; the build
# makes it end the program, an exit tls_stop and the suite's stops see.
# Outside a sanitizer build the options are read by no one.)
san_watch() {
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/sanitizer"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/sanitizer"
    export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$dir/sanitizer"
}
san_said() {
    set -- "$dir"/sanitizer.*
    [ -f "$1" ] || return 0
    for f; do
        echo "tls: a sanitizer's report (${f##*/}: $(grep -m1 '^SUMMARY' "$f")):"
        head -40 "$f" | sed 's/^/    /'
    done
    return 1
}
