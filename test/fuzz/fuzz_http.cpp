/* fuzz_http - libFuzzer target for the HTTP request parser.
 *
 * The input is a byte stream that a connection might receive. It is cut into
 * requests the way the session does, each fed in growing prefixes whose
 * sizes come from the input itself, keeping the parser's scan position
 * between calls. Checked: the parser reads only the bytes it is given
 * (AddressSanitizer, exact-size copies), a request it accepts lies within
 * them, and feeding in pieces gives the same answer as feeding at once. */
#include "proto/protocol.h"
#include "nm_config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
    if (!ok) abort();
}

static int within(nm_slice s, const char *buf, uint32_t len)
{
    return s.n == 0 || (s.p >= buf && s.p + s.n <= buf + len);
}

static void check_request(const nm_request *req, const char *buf, uint32_t len, int r)
{
    check(r > 0 && (uint32_t)r <= len);
    check(within(req->method, buf, len) && req->method.n > 0);
    check(within(req->target, buf, len) && req->target.n > 0);
    check(within(req->body, buf, len) && req->body.p + req->body.n == buf + r);
    check(req->header_count >= 0 && req->header_count <= NM_MAX_HEADERS);
    for (int i = 0; i < req->header_count; i++)
        check(within(req->headers[i].name, buf, len) && within(req->headers[i].value, buf, len));
    check(req->version_minor == 0 || req->version_minor == 1);
}

/* Parse buf[0, len) once, from scratch, in a copy of exactly that size. */
static int parse_at_once(const char *buf, uint32_t len)
{
    char *copy = (char *)malloc(len ? len : 1);
    memcpy(copy, buf, len);
    size_t scan = 0;
    nm_request req;
    int r = nm_proto_cut(&nm_proto_http, copy, len, &scan, 0, &req);
    if (r > 0) check_request(&req, copy, len, r);
    free(copy);
    return r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned step_seed = data[0];
    const char *stream = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        uint32_t cap = left < NM_BUF_SIZE ? (uint32_t)left : NM_BUF_SIZE;   /* one input buffer */
        size_t scan = 0, have = 0;
        int r = 0;
        while (r == 0 && have < cap) {
            step_seed = step_seed * 1103515245u + 12345u;
            uint32_t step = 1 + (step_seed >> 16) % 64;
            have = have + step < cap ? have + step : cap;
            char *piece = (char *)malloc(have);
            memcpy(piece, stream, have);
            nm_request req;
            r = nm_proto_cut(&nm_proto_http, piece, have, &scan, 0, &req);
            check(scan <= have);
            if (r > 0) check_request(&req, piece, have, r);
            free(piece);
            check(r == parse_at_once(stream, have));
        }
        if (r <= 0) break;   /* refused (the connection closes) or incomplete at the end */
        stream += r;
        left -= (size_t)r;
    }
    return 0;
}
