/* protocol.h - how bytes become requests and answers become bytes.
 *
 * The session state machine is protocol-neutral: it asks the protocol to cut
 * one request out of the input buffer, and the protocol's writers frame what
 * the handler answers. A protocol is the public nm_protocol (netmodels.h);
 * HTTP/1.1 and echo are two made with the public API only. */
#ifndef NM_PROTOCOL_H
#define NM_PROTOCOL_H

#include <stdint.h>
#include "../netmodels.h"
#include "response.h"

/* What a message of a protocol other than HTTP leaves empty: every view at
 * buf, of no bytes; keep-alive; no body to stream. */
void nm_request_blank(nm_request *req, const char *buf);

/* Cut one message from buf[0, len) with p's framing (the public contract
 * of nm_protocol.frame) and the body rules every protocol shares. Returns
 * the message's length (> 0, req filled: head_bytes, body), 0 when more
 * bytes are needed, or -status for input to refuse. *scan is the framing's
 * own position (0 at a message's start). Once the head is complete and only
 * the body is awaited, req->size is the whole message's length (the session
 * then times the body, not the head). eof: the peer has closed its side (a
 * body to the close is complete). */
int nm_proto_cut(const nm_protocol *p, const char *buf, size_t len, size_t *scan, int eof, nm_request *req);
/* The same, with bodies that stream (max_body > 0): a body that does not fit
 * the buffer beside its head, up to max_body bytes, or chunked, makes the
 * head alone the message (its length returned, req->body_streams set,
 * req->body_size the body's length or -1), and *interim the bytes the
 * protocol sends before such a body is read (NULL: none). */
int nm_proto_cut_body(const nm_protocol *p, const char *buf, size_t len, size_t *scan, int eof,
                      unsigned long long max_body, nm_request *req, const char **interim);

/* Decimal digits of v into dst (at least 20 bytes); returns the length. */
unsigned nm_utoa(char *dst, unsigned long long v);

#endif
