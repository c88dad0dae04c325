/* protocol.h - how bytes become requests and answers become bytes.
 *
 * The session state machine is protocol-neutral: it asks the protocol to cut
 * one request out of the input buffer, and the protocol's writers frame what
 * the handler answers. HTTP/1.1 and echo are the two protocols. */
#ifndef NM_PROTOCOL_H
#define NM_PROTOCOL_H

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
};

struct nm_protocol {
    const char *name;
    /* Cut one request from buf[0, len). Returns its length in bytes (> 0),
     * 0 when more bytes are needed, or -status for input to refuse (the
     * connection is answered with that status and closed). *scan keeps how
     * far the previous call looked, so a request arriving a byte at a time
     * is not searched again from the start; reset it to 0 after a request.
     * Returning 0 once the head is complete, it sets req->size to the whole
     * request's length (the session then times the body, not the head). */
    int (*parse)(const char *buf, uint32_t len, uint32_t *scan, nm_request *req);
    int (*open_head)(nm_response *res);
    int (*header)(nm_response *res, const char *name, const char *value);
    int (*close_head)(nm_response *res, size_t body_len);
    /* The bytes sent to a connection refused before any request was read,
     * without a buffer (NULL: just close). */
    const char *refusal;
    /* The body of an error answer the library makes itself (refused input,
     * a failed handler) into out[0, cap); returns its length (0: none;
     * NULL: never a body). */
    size_t (*error_body)(int status, char *out, size_t cap);
};

extern const nm_protocol nm_proto_http;
extern const nm_protocol nm_proto_echo;

/* Decimal digits of v into dst (at least 20 bytes); returns the length. */
unsigned nm_utoa(char *dst, unsigned long long v);

#endif
