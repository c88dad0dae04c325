/* echo.cpp - the echo protocol: every byte received is one request's body,
 * and the handler's body goes back unframed. It proves the session and the
 * handler API do not depend on HTTP. */
#include "protocol.h"

static int echo_parse(const char *buf, uint32_t len, uint32_t *scan, nm_request *req)
{
    (void)scan;
    if (!len) return 0;
    req->protocol = NM_PROTO_ECHO;
    req->method.p = req->target.p = buf;
    req->method.n = req->target.n = 0;
    req->version_minor = 0;
    req->keep_alive = 1;
    req->head = 0;
    req->header_count = 0;
    req->body.p = buf;
    req->body.n = len;
    return (int)len;
}

static int no_head(nm_response *res) { (void)res; return 0; }
static int no_header(nm_response *res, const char *n, const char *v) { (void)res; (void)n; (void)v; return 0; }
static int no_close(nm_response *res, size_t len) { (void)res; (void)len; return 0; }

const nm_protocol nm_proto_echo = { "echo", echo_parse, no_head, no_header, no_close, 0 };
