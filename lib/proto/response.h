/* response.h - an answer being built: nm_response, which every nm_resp_*
 * call writes through (response.cpp), framed by the server's protocol
 * (its open_head, header, close_head) into the connection's output queue
 * (loop/outq.h). A protocol's head writers call nm_resp_write and the
 * getters; the session begins an answer around the handler, ends, counts
 * or refuses it with these. nm_resp_stream and nm_body_take, which hand a
 * body to the session's streaming, are the session's (session.cpp). */
#ifndef NM_RESPONSE_H
#define NM_RESPONSE_H

#include <stdint.h>
#include "../netmodels.h"
#include "../loop/outq.h"

/* What nm_resp_* write through; lives on the stack for one handler call. */
struct nm_response {
    nm_conn *conn;
    const nm_request *req;
    int status;
    uint8_t phase;       /* 0: nothing written, 1: head open, 2: body written */
    uint8_t failed;      /* out of order, or out of buffer space */
    uint8_t keep_alive;
    nm_out_mark mark;    /* output queue before this response, to roll back to */
    uint8_t may_take;    /* the handler's call for a head whose body streams */
    nm_body_fn body_fn;  /* nm_body_take's */
    void *body_user;
};

/* Start an answer on c to req (NULL: to refused input), nothing written
 * yet. (inline: once a request, beside the handler call) */
static inline void nm_resp_begin(nm_response *res, nm_conn *c, const nm_request *req, int status, int keep)
{
    res->conn = c;
    res->req = req;
    res->status = status;
    res->phase = 0;
    res->failed = 0;
    res->keep_alive = (uint8_t)keep;
    res->mark = nm_out_mark_now(c);
    res->may_take = 0;
    res->body_fn = 0;
    res->body_user = 0;
    if (!c->out_count) c->write_since = nm_conn_clock(c);
}

/* The head, opened if it is not yet, closed for a body of body_len bytes
 * ((size_t)-1: not known) that its maker queues (nm_resp_stream): 0, or
 * -1 (after the body, or res->failed). */
int nm_resp_end_head(nm_response *res, size_t body_len);

#endif
