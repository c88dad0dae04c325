#!/bin/sh
# loss.sh NMSERVE [MODEL...] - no transfer lost, none cut by the minimum
# rate, over a link that drops 5 % of its packets: in a network namespace of
# its own (root: unshare -n), loopback with a 1500-byte MTU and an nftables
# rule dropping one TCP packet in twenty. Under each model (default: epoll
# thread_pool iterative prefork_reuseport proactor), clients at once send
# heads in pieces (so a lost segment leaves half a head waiting for its
# retransmission, then the rest at once), echo bodies, upload 256 KiB and
# fetch 1 MiB, each on a connection of its own; every answer is checked
# byte for byte, and /stats must count no connection slow or timed out.
# Exit 0 all well, 1 a failure, 77 when it cannot run here (not root, no
# unshare or nft).
srv=$1
shift
models=${*:-epoll thread_pool iterative prefork_reuseport proactor}
if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null || ! command -v nft > /dev/null ||
    ! command -v python3 > /dev/null; then
    echo "loss: needs root, unshare, nft and python3"
    exit 77
fi
exec timeout 300 unshare -n sh -c '
set -e
ip link set lo mtu 1500 up
nft add table inet loss
nft add chain inet loss out "{ type filter hook output priority 0; }"
nft add rule inet loss out meta l4proto tcp numgen random mod 100 "<" 5 counter drop
set +e
passes=0
fails=0
for m in '"$models"'; do
    python3 - "$0" "$m" << "EOF" && passes=$((passes + 1)) || fails=$((fails + 1))
import json, random, re, socket, subprocess, sys, threading, time, zlib

srv, model = sys.argv[1], sys.argv[2]
p = subprocess.Popen([srv, "--model", model, "--port", "0"], stdout=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+) ", p.stdout.readline()).group(1))
big = bytes(range(256)) * 1024
faults = []

def exchange(pieces):
    c = socket.create_connection(("127.0.0.1", port), timeout=60)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for piece in pieces:
        c.sendall(piece)
        time.sleep(0.02)   # each piece a segment of its own
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b" ")[1] if head else b"", body

def client(seed):
    rnd = random.Random(seed)
    for i in range(8):
        kind = (seed + i) % 4
        try:
            if kind == 0:
                st, body = exchange([b"GET / HTT", b"P/1.1\r\nHost: t\r\n", b"Connection: close\r\n\r\n"])
                ok = st == b"200" and body == b"Hello, World!"
            elif kind == 1:
                text = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
                st, body = exchange([b"POST /echo HTTP/1.1\r\nHost: t\r\n",
                                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(text), text])
                ok = st == b"200" and body == text
            elif kind == 2:
                up = big[:256 * 1024]
                st, body = exchange([b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n" % len(up),
                                     b"Connection: close\r\n\r\n", up])
                ok = st == b"200" and json.loads(body) == {"bytes": len(up), "crc32": "%08x" % zlib.crc32(up)}
            else:
                st, body = exchange([b"GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"])
                ok = st == b"200" and len(body) == 1024 * 1024
        except Exception as e:
            ok, st = False, repr(e)
        if not ok:
            faults.append("kind %d: %s" % (kind, st))

threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
start = time.time()
for t in threads: t.start()
for t in threads: t.join()
_, body = exchange([b"GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"])
st = json.loads(body)
p.terminate()
p.wait()
well = not faults and st["slow"] == 0 and st["timeouts"] == 0
print("%s %s: %d transfers in %.1f s, %d failed; slow %d, timeouts %d %s" % ("ok  " if well else "FAIL", model, 64,
      time.time() - start, len(faults), st["slow"], st["timeouts"], "; ".join(faults[:4])))
if not well:
    print("     its /stats: %s" % json.dumps(st))
sys.exit(0 if well else 1)
EOF
done
nft list chain inet loss out | sed -n "s/.*counter \(packets [0-9]*\).*/  dropped: \1/p"
# after a failure, what the kernel says it reset or aborted (this namespace only)
[ $fails -eq 0 ] || nstat -az 2> /dev/null | grep -E "Abort|Rsts|Resets|Overflow|Drop" | grep -vE "[[:space:]]0[[:space:]]" | sed "s/^/  kernel: /"
echo "$passes passed, $fails failed"
exit $((fails > 0))
' "$srv"
