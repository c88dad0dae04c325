"""hostile.py PORT CA SLOTS HANDSHAKE_MS [queued] - hostile input over TLS against a
running nmserve (test/tls/hostile.sh starts it): garbage instead of a
ClientHello, a ClientHello a byte at a time, a record longer than TLS
allows, truncated records, a close without close_notify in the middle of
an answer, a renegotiation asked, the TLS slots held by stalled
handshakers (a good client refused, then served once they are cut), and
1,000 handshakes at once. Each case is judged by what the client sees and
by /stats (the TLS failures by kind, the pools as full after as before).
One line per case; exit 1 if any failed. "queued": a model whose
connections wait in a queue for one of its workers (thread_pool), which
claim the TLS slots, fewer than them: stalled handshakers hold its workers,
not its slots (a case of its own), and a queue past full refuses in plain
HTTP (503, counted in "refused")"""
import json, os, selectors, socket, ssl, subprocess, sys, time

port, ca, slots, hs_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
queued = sys.argv[5:] == ["queued"]
ctx = ssl.create_default_context(cafile=ca)
failed = 0


def fail(what):
    global failed
    failed += 1
    print("FAIL  " + what)


def stats():
    """/stats over TLS (its own handshake counted in it)."""
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="127.0.0.1") as s:
        s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except (ssl.SSLError, OSError):
                break
            if not b:
                break
            data += b
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


KINDS = ("tls_handshakes", "tls_refused", "tls_cut", "tls_alerts", "tls_bad", "tls_aborted")


def counted(before, after):
    """What the TLS counters moved by between two /stats (the second one's
    own handshake left out), only those that moved."""
    d = {k[4:]: after[k] - before[k] for k in KINDS}
    d["handshakes"] -= 1
    return {k: v for k, v in d.items() if v}


def ended(s, within):
    """Whether the server ended s (EOF or a reset) within `within` s, and
    what it sent before: (seconds or None, bytes)."""
    s.settimeout(within)
    t0, got = time.time(), b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except ConnectionResetError:
        pass
    except OSError:
        return None, got
    return time.time() - t0, got


def hello():
    """A ClientHello's bytes, and the TLS object and BIOs that made them."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, out, server_hostname="127.0.0.1")
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read(), o, inc, out


def handshake(s, first=None):
    """A TLS handshake over the plain socket s (the ClientHello sent by
    first(bytes) when given): the TLS object and its BIOs."""
    data, o, inc, out = hello()
    (first or s.sendall)(data)
    while True:
        try:
            o.do_handshake()
            s.sendall(out.read())
            return o, inc, out
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            b = s.recv(65536)
            if not b:
                raise ConnectionError("closed during the handshake")
            inc.write(b)


def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def case(name, want, run):
    """Run one case between two /stats: `run` returns what went wrong (or
    None); the counters must have moved by `want` exactly."""
    before = stats()
    try:
        why = run()
    except Exception as e:   # (a case's own failure, reported as one)
        why = "%s: %s" % (type(e).__name__, e)
    time.sleep(0.2)   # (the server's side of the close counted)
    moved = counted(before, stats())
    if why:
        fail("%s: %s" % (name, why))
    elif moved != want:
        fail("%s: counted %s, %s wanted" % (name, moved, want))
    else:
        print("ok    %s: %s" % (name, moved))


def closed_at_once(s, what):
    took, _ = ended(s, 3)
    s.close()
    return None if took is not None else "%s: not closed within 3 s" % what


def garbage():
    s = conn()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(200))
    return closed_at_once(s, "garbage")


def byte_at_a_time():
    s = conn()
    def slowly(data):
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(0.001)
    o, inc, out = handshake(s, slowly)
    o.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s.sendall(out.read())
    answer = b""
    s.settimeout(5)
    while True:
        b = s.recv(65536)
        if not b:
            break
        inc.write(b)
        try:
            answer += o.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
    s.close()
    return None if answer.startswith(b"HTTP/1.1 200") else "no answer: %r" % answer[:60]


def too_long_hello():
    s = conn()
    s.sendall(b"\x16\x03\x01\x48\x01\x01" + os.urandom(100))   # 18,433 bytes said
    return closed_at_once(s, "a record of 18,433 bytes")


def too_long_record():
    s = conn()
    handshake(s)
    s.sendall(b"\x17\x03\x03\x48\x01" + os.urandom(100))
    return closed_at_once(s, "a record of 18,433 bytes after the handshake")


def truncated_hello():
    s = conn()
    data = hello()[0]
    s.sendall(data[:len(data) // 2])
    s.shutdown(socket.SHUT_WR)
    return closed_at_once(s, "half a ClientHello, then the end")


def truncated_record():
    s = conn()
    o, inc, out = handshake(s)
    o.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    rec = out.read()
    s.sendall(rec[:len(rec) // 2])
    s.shutdown(socket.SHUT_WR)
    return closed_at_once(s, "half a record, then the end")


def no_close_notify():
    s = ctx.wrap_socket(conn(), server_hostname="127.0.0.1")
    s.sendall(b"GET /stream/20000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    got = 0
    while got < 200000:
        got += len(s.recv(65536))
    # a reset, no close_notify, in the middle of 20 MB
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    return None


def renegotiation():
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2", "-CAfile", ca],
                       input=b"R\n", capture_output=True, timeout=20)
    out = p.stdout + p.stderr
    if b"RENEGOTIATING" not in out:
        return "s_client did not ask: %r" % out[-200:]
    # refused: BearSSL says no_renegotiation (a warning), which OpenSSL's
    # client ends with a fatal alert of its own
    if b"no renegotiation" not in out and b"alert" not in out:
        return "renegotiation not refused: %r" % out[-300:]
    return None


def slots_held():
    """Every TLS slot held by a stalled handshaker (a ClientHello's first
    byte): a good client is refused at once, and served once they are cut
    (each within the handshake's bound)."""
    t0 = time.time()
    stalled = [conn() for _ in range(slots)]
    for s in stalled:
        s.sendall(b"\x16")
    time.sleep(0.3)
    good = conn()
    try:
        handshake(good)
        return "a good client served while the %d slots were held" % slots
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    good.close()
    limit = hs_ms / 1000 * 2 + 1
    for s in stalled:
        took, got = ended(s, limit)
        if took is None:
            return "a stalled handshake held its slot past %.1f s" % limit
        # nothing, or an alert of TLS (a record of version 3.x)
        if got and not got.startswith(b"\x15\x03"):
            return "a cut handshake ended with bytes that are not TLS: %r" % got[:16]
        s.close()
    if time.time() - t0 < hs_ms / 1000 * 0.9:
        return "stalled handshakes cut before their bound (%.1f s)" % (time.time() - t0)
    s = conn()
    handshake(s)
    s.close()
    return None


def workers_held():
    """Stalled handshakers, as many as a queued model's workers (4, its
    default): each holds its worker at most the handshake's bound, and a
    good client behind them is served once they are cut."""
    stalled = [conn() for _ in range(4)]
    for s in stalled:
        s.sendall(b"\x16")
    time.sleep(0.3)
    t0 = time.time()
    good = conn()
    good.settimeout(hs_ms / 1000 * 3 + 2)
    handshake(good)
    good.close()
    waited = time.time() - t0
    for s in stalled:
        took, _ = ended(s, 1)
        if took is None:
            return "a stalled handshake held its worker past %.1f s" % (time.time() - t0)
        s.close()
    return None if waited <= hs_ms / 1000 * 2 + 1 else "a good client waited %.1f s" % waited


def thousand():
    """1,000 connections at once, their ClientHellos made beforehand (so
    that the client keeps up): each served, refused (closed unread: a
    reset or the end), or cut at the handshake's bound (an alert, then the
    end), and counted so."""
    tls = [hello() for _ in range(1000)]
    socks = []
    for _ in range(1000):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_WRITE, i)
    sent, heard, results = set(), set(), {}
    deadline = time.time() + 60
    while len(results) < 1000 and time.time() < deadline:
        for key, _ in sel.select(1):
            i, s = key.data, key.fileobj
            data, o, inc, out = tls[i]
            try:
                if i not in sent:
                    s.setblocking(True)
                    s.sendall(data)
                    sent.add(i)
                    sel.modify(s, selectors.EVENT_READ, i)
                    continue
                b = s.recv(65536)
                if not b:
                    raise ConnectionResetError
                if i not in heard and b.startswith(b"HTTP/1.1 503"):
                    raise ConnectionRefusedError   # (a queue's refusal, in plain HTTP)
                heard.add(i)
                inc.write(b)
                try:
                    o.do_handshake()
                    s.sendall(out.read())
                    results[i] = "served"
                except ssl.SSLWantReadError:
                    s.sendall(out.read())
            except ConnectionRefusedError:
                results[i] = "plain"
            except ConnectionResetError:
                results[i] = "cut" if i in heard else "refused"
            except (ssl.SSLError, OSError):
                results[i] = "cut"
            if i in results:
                sel.unregister(s)
                s.close()
    for s in socks:
        s.close()
    got = list(results.values())
    thousand.want = {"handshakes": got.count("served"), "refused": got.count("refused"), "cut": got.count("cut")}
    thousand.plain = got.count("plain")
    if len(got) < 1000 or not got.count("served"):
        return "1,000 at once: %d ended in 60 s, none served: %s" % (len(got), thousand.want)
    return None


def pools(st):
    return {k: st[k] for k in ("free_slots", "free_buffers", "active")}


def all_slots():
    """Every TLS slot taken by a good client at once: none refused."""
    held = []
    for _ in range(slots - 1):   # (the /stats after it takes one)
        s = conn()
        handshake(s)
        held.append(s)
    for s in held:
        s.close()
    return None


start = time.time()
first = stats()
case("garbage instead of a ClientHello", {"bad": 1}, garbage)
case("a ClientHello a byte at a time", {"handshakes": 1}, byte_at_a_time)
case("a ClientHello's record longer than TLS allows", {"bad": 1}, too_long_hello)
case("a record longer than TLS allows", {"handshakes": 1, "bad": 1}, too_long_record)
case("half a ClientHello, then the end", {"aborted": 1}, truncated_hello)
case("half a record, then the end", {"handshakes": 1}, truncated_record)
case("a reset in the middle of an answer", {"handshakes": 1}, no_close_notify)
# (BearSSL's warning ends with the client's fatal alert; wolfSSL takes the
# second ClientHello as a protocol error of its own: counted bad)
case("a renegotiation asked", {"handshakes": 1, "bad" if os.environ.get("NM_TLS_ENGINE") == "wolfssl" else "alerts": 1},
     renegotiation)
if queued:
    print("skip  the TLS slots held by stalled handshakes, or by good clients: workers claim the slots")
    case("the 4 workers held by stalled handshakes", {"cut": 4, "handshakes": 1}, workers_held)
else:
    case("the %d TLS slots held by stalled handshakes" % slots, {"refused": 1, "cut": slots, "handshakes": 1}, slots_held)
before = stats()
t0 = time.time()
why = thousand()
took = time.time() - t0
time.sleep(0.5)
after = stats()
moved = counted(before, after)
queue_refused = after["refused"] - before["refused"]
if why:
    fail(why)
elif moved != {k: v for k, v in thousand.want.items() if v} or queue_refused != thousand.plain:
    fail("1,000 handshakes at once: counted %s and %d refused by the queue, %s and %d wanted" %
         (moved, queue_refused, thousand.want, thousand.plain))
else:
    print("ok    1,000 handshakes at once against %d slots: %s, %d refused by the queue (503), %.1f s" %
          (slots, moved, queue_refused, took))
if not queued:
    case("all %d TLS slots taken again" % slots, {"handshakes": slots - 1}, all_slots)
time.sleep(0.3)
last = stats()
if pools(first) != pools(last):
    fail("the pools: %s before, %s after" % (pools(first), pools(last)))
else:
    print("ok    the pools as full after as before: %s" % pools(last))
print("%.1f s" % (time.time() - start))
sys.exit(1 if failed else 0)
