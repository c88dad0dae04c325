/* response.cpp - the calls that build an answer into the output queue,
 * framed by the server's protocol (response.h). */
#include "protocol.h"

static const nm_protocol *proto_of(const nm_conn *c) { return c->srv->proto; }

static int resp_open(nm_response *res)
{
    if (res->phase == 0) {
        res->phase = 1;
        const nm_protocol *p = proto_of(res->conn);
        if (p->open_head && p->open_head(res)) res->failed = 1;
    }
    return res->failed ? -1 : 0;
}

extern "C" int nm_resp_status(nm_response *res, int status)
{
    if (res->phase != 0) return -1;
    res->status = status;
    return 0;
}

extern "C" int nm_resp_header(nm_response *res, const char *name, const char *value)
{
    if (res->phase > 1 || resp_open(res)) return -1;
    const nm_protocol *p = proto_of(res->conn);
    if (!p->header) return -1;   /* a protocol without headers: refused, the answer goes on */
    if (p->header(res, name, value)) res->failed = 1;
    return res->failed ? -1 : 0;
}

extern "C" int nm_resp_write(nm_response *res, const void *data, size_t len)
{
    if (res->failed) return -1;
    if (len && nm_out_write(res->conn, data, len)) res->failed = 1;
    return res->failed ? -1 : 0;
}

extern "C" void nm_resp_close(nm_response *res) { res->keep_alive = 0; }
extern "C" int nm_resp_get_status(const nm_response *res) { return res->status; }
extern "C" int nm_resp_get_keep_alive(const nm_response *res) { return res->keep_alive; }
extern "C" const nm_request *nm_resp_get_request(const nm_response *res) { return res->req; }

/* How the body goes after the head: copied, by reference, or not at all
 * (its maker queues it: nm_resp_stream). */
enum { BODY_COPY, BODY_REF, BODY_LATER };

/* Close the head for a body of len bytes, then queue the body. */
static inline int resp_body(nm_response *res, const void *data, size_t len, int how)
{
    if (res->phase > 1 || resp_open(res)) return -1;
    res->phase = 2;
    const nm_protocol *p = proto_of(res->conn);
    if (p->close_head && p->close_head(res, len)) res->failed = 1;
    else if (len && how != BODY_LATER && !(res->req && res->req->head))   /* no request: refused input */
        res->failed = (how == BODY_REF ? nm_out_static(res->conn, data, len)
                                       : nm_out_write(res->conn, data, len)) != 0;
    return res->failed ? -1 : 0;
}

extern "C" int nm_resp_body(nm_response *res, const void *data, size_t len)
{
    return resp_body(res, data, len, BODY_COPY);
}

extern "C" int nm_resp_body_static(nm_response *res, const void *data, size_t len)
{
    return resp_body(res, data, len, BODY_REF);
}

int nm_resp_end_head(nm_response *res, size_t body_len) { return resp_body(res, 0, body_len, BODY_LATER); }
