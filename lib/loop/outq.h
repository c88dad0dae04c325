/* outq.h - a connection's output queue: a ring of NM_OUT_SEGS segments, each
 * a part of a pooled buffer (copied bytes) or a static body (by reference),
 * written out with one sendmsg of them all, and retired as the peer takes
 * bytes. It stands on its own: protocols frame answers into it, the session
 * and the proactor drain it. */
#ifndef NM_OUTQ_H
#define NM_OUTQ_H

#include "conn.h"

struct iovec;

/* Append (copying); 0, or -1 when out of segments or buffers. */
int nm_out_write(nm_conn *c, const void *p, size_t n);
/* Append by reference: p must outlive the connection's answer. */
int nm_out_static(nm_conn *c, const void *p, size_t n);
/* Append a whole pooled buffer's bytes [off, off + len), which the queue
 * then owns: 0, or -1 (out of segments; the caller keeps b). */
int nm_out_take(nm_conn *c, nm_buf *b, uint32_t off, uint32_t len);
/* Where the queue ends now (segments, length of the last): to roll back to. */
struct nm_out_mark { uint8_t count; uint32_t len; };
nm_out_mark nm_out_mark_now(const nm_conn *c);
/* Undo everything queued after the mark (an answer that failed half-way). */
void nm_out_rollback(nm_conn *c, nm_out_mark m);
/* The queued bytes as iovecs (NM_OUT_SEGS of room); returns how many. */
int nm_out_iov(nm_conn *c, struct iovec *iov);
/* n bytes were sent: retire them (buffers go back) and move the write deadline. */
void nm_out_sent(nm_conn *c, size_t n);

#endif
