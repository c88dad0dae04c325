/* fuzz_session - libFuzzer target for the session state machine.
 *
 * One connection over a socket pair (test/rig.h) is sent the input in
 * pieces whose sizes come from the input, and driven after each piece, the
 * peer reading what it answers; then the peer half-closes and the session is
 * driven to its end. Checked: no memory error (AddressSanitizer), the
 * session ends, what it sent is a sequence of HTTP responses each with its
 * Content-Length (for HTTP, HEAD aside), and every buffer and slot is back
 * in its pool. */
#include "../unit/rig.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void check(int ok)
{
    if (!ok) abort();
}

static char out[4 << 20];
static size_t out_len;

static void take_output(rig *r)
{
    for (;;) {
        size_t room = sizeof(out) - out_len;
        static char sink[65536];
        ssize_t n = recv(r->peer, room ? out + out_len : sink, room ? room : sizeof(sink), MSG_DONTWAIT);
        if (n <= 0) return;
        if (room) out_len += (size_t)n;
    }
}

/* Walk the responses: status line, head, then exactly Content-Length bytes. */
static void check_responses(void)
{
    size_t at = 0;
    while (at < out_len) {
        check(out_len - at >= 12 && !memcmp(out + at, "HTTP/1.1 ", 9));
        const char *end = (const char *)memmem(out + at, out_len - at, "\r\n\r\n", 4);
        check(end != 0);
        const char *cl = (const char *)memmem(out + at, (size_t)(end - (out + at)), "Content-Length: ", 16);
        check(cl != 0);
        at = (size_t)(end + 4 - out) + strtoul(cl + 16, 0, 10);
    }
    check(at == out_len);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned bufs = nm_buf_free(), slots = nm_conn_free();
    int protocol = data[0] & 1 ? NM_PROTO_ECHO : NM_PROTO_HTTP;
    unsigned seed = data[0] >> 1;
    rig r;
    if (rig_open(&r, protocol)) return 0;
    out_len = 0;
    const char *in = (const char *)data + 1;
    size_t left = size - 1;
    int rounds = 0;
    while (r.c && left) {
        seed = seed * 1103515245u + 12345u;
        size_t step = 1 + (seed >> 16) % 512;
        if (step > left) step = left;
        ssize_t w = send(r.peer, in, step, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            in += w;
            left -= (size_t)w;
        }
        rig_drive(&r);
        take_output(&r);
        check(++rounds < 100000);
    }
    shutdown(r.peer, SHUT_WR);
    for (rounds = 0; r.c; rounds++) {   /* answer what is complete, then end */
        rig_drive(&r);
        take_output(&r);
        check(rounds < 100000);
    }
    take_output(&r);
    /* a HEAD answer declares a length it does not send: only the start then */
    if (protocol == NM_PROTO_HTTP && out_len < sizeof(out)) {
        if (!memmem(data, size, "HEAD", 4)) check_responses();
        else check(!out_len || !memcmp(out, "HTTP/1.1 ", 9));
    }
    rig_close(&r);
    check(nm_buf_free() == bufs && nm_conn_free() == slots);
    return 0;
}
