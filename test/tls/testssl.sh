#!/bin/sh
# testssl.sh BUILD [ENGINE...] - testssl.sh (Debian's testssl, 3.0.8)
# judges nmserve over TLS (BUILD/tls/nmserve, epoll) with each engine
# named, every engine that build has by default: protocols, cipher
# categories, forward secrecy, the vulnerabilities and the server's
# defaults (-p -s -f -U -S), the test CA added (test/tls/lib.sh). Any
# finding of severity MEDIUM, HIGH, CRITICAL, WARN or FATAL fails, as does
# a JSON missing, cut or empty (kept: BUILD/tls/testssl-ENGINE.json). The
# engine "nginx" runs the same against nginx (TLS 1.2 and 1.3, ECDHE
# AEAD suites, the same certificate), the reference: OK, INFO and one LOW,
# the CAA record no DNS here can answer.
B=${1:-build/host}
shift
S=$B/tls/nmserve
command -v testssl > /dev/null || { echo "testssl: not installed (test/deps.sh)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. test/tls/lib.sh
[ $# = 0 ] && [ -x "$S" ] && set -- $(tls_engines)
[ $# = 0 ] && { echo "testssl: no engine in $S (make TLS=bearssl BUILD=$B/tls $S)"; exit 1; }
certs
rc=0

nginx_start() {   # nginx_start: the reference server on a free port, $port and $pid
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$dir/nginx"
    cat > "$dir/nginx.conf" <<NGINX
daemon off; worker_processes 1; pid $dir/nginx.pid; error_log $dir/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/b; proxy_temp_path $dir/nginx/p; fastcgi_temp_path $dir/nginx/f;
    uwsgi_temp_path $dir/nginx/u; scgi_temp_path $dir/nginx/s;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $dir/ec.crt;
        ssl_certificate_key $dir/ec.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers on;
        location / { return 200 "Hello, World!\n"; }
    }
}
NGINX
    nginx -p "$dir/nginx" -c "$dir/nginx.conf" > "$dir/err" 2>&1 &
    pid=$!
    for i in 1 2 3 4 5 6 7 8 9 10; do
        curl -s -o /dev/null --cacert "$dir/ca.crt" "https://127.0.0.1:$port/" && return
        sleep 0.3
    done
    echo "testssl: nginx did not start: $(cat "$dir/err")"
    port=0
}

start() {   # start ENGINE: nginx, or nmserve (epoll) over ENGINE
    if [ "$1" = nginx ]; then nginx_start
    else tls_start "$1" epoll
    fi
}

# testssl 3.0.8 asks for a TLS 1.3 ticket with `s_client -sess_out
# </dev/null`: the client sends close_notify as soon as its Finished is
# out, so it keeps a ticket only when the server's (sent after that
# Finished, as OpenSSL's and wolfSSL's servers do) wins the race to its
# first read. Lost, the resumption is "not possible" (a WARN). On a loaded
# machine nginx loses it too (12 to 17 times in 20). That finding alone is
# asked again here the same way with the client's input held open a
# moment, so the ticket is read: resumed ("Reused") passes, anything else
# fails.
ticket_again() {   # ticket_again ENGINE: 1 when the server does not resume by ticket
    start "$1"
    [ "$port" = 0 ] && { tls_stop; return 1; }
    sess=$dir/ticket.pem
    rm -f "$sess"
    for how in "-sess_out $sess" "-sess_in $sess"; do
        sleep 0.5 | openssl s_client -tls1_3 -connect "127.0.0.1:$port" -CAfile "$dir/ca.crt" $how \
            > "$dir/ticket.log" 2>&1
    done
    tls_stop
    if grep -q '^Reused, TLSv1.3' "$dir/ticket.log"; then
        echo "testssl: $1: its ticket probe lost the race; asked again: resumed"
        return 0
    fi
    echo "testssl: $1: no TLS 1.3 resumption by ticket: $(grep -E '^(New|Reused)' "$dir/ticket.log")"
    return 1
}

judge() {   # judge ENGINE: testssl against it; 1 when it fails
    e=$1
    t0=$(date +%s)
    start "$e"
    [ "$port" = 0 ] && { tls_stop; return 1; }
    json=$B/tls/testssl-$e.json
    rm -f "$json"
    # (NO_ENGINE: this openssl has no GOST engine, which testssl would
    # report as a WARN of its own, not of the server's)
    NO_ENGINE=true timeout 400 testssl -p -s -f -U -S --add-ca "$dir/ca.crt" --warnings batch \
        --openssl=/usr/bin/openssl --color 0 --jsonfile "$json" "127.0.0.1:$port" > "$B/tls/testssl-$e.log" 2>&1
    r=$?
    tls_stop
    python3 - "$json" "$e" "$r" <<'PY'
import collections, json, sys
path, engine, status = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    findings = json.load(open(path))
except (OSError, ValueError) as e:
    print("testssl: %s: no JSON, or cut (testssl's exit %s): %s" % (engine, status, e)); sys.exit(1)
if not findings:
    print("testssl: %s: an empty JSON" % engine); sys.exit(1)
bad = racy = 0
for f in findings:
    if f["severity"] not in ("OK", "INFO"):
        print("testssl: %s: %s %s: %s" % (engine, f["severity"], f["id"], f["finding"]))
        if (f["id"], f["finding"]) == ("sessionresumption_ticket", "check failed because of connect problem"):
            racy = 1
        else:
            bad += f["severity"] in ("MEDIUM", "HIGH", "CRITICAL", "WARN", "FATAL")
by = collections.Counter(f["severity"] for f in findings)
print("testssl: %s: %s" % (engine, ", ".join("%d %s" % (n, s) for s, n in sorted(by.items()))))
sys.exit(1 if bad else 3 if racy else 0)
PY
    case $? in
    0) ;;
    3) ticket_again "$e" || rc=1 ;;
    *) rc=1 ;;
    esac
    echo "testssl: $e: $(($(date +%s) - t0)) s"
    return $rc
}

# The engines at once (testssl waits for about half its time), each with a
# folder of its own.
for e in "$@"; do
    mkdir "$dir/$e"
    cp "$dir/ca.crt" "$dir/ec.crt" "$dir/ec.key" "$dir/$e/"
    (dir=$dir/$e; judge "$e" > "$dir/said" 2>&1 || touch "$dir/failed") &
done
wait
for e in "$@"; do
    cat "$dir/$e/said"
    [ -f "$dir/$e/failed" ] && rc=1
done
exit $rc
