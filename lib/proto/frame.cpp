/* frame.cpp - what every protocol's framing shares: a message is a head
 * the protocol measures, then a body of one of four kinds. */
#include "protocol.h"

int nm_proto_cut(const nm_protocol *p, const char *buf, size_t len, size_t *scan, int eof, nm_request *req)
{
    /* What a protocol other than HTTP leaves empty. */
    req->protocol = NM_PROTO_OTHER;
    req->method.p = req->target.p = buf;
    req->method.n = req->target.n = 0;
    req->version_minor = 0;
    req->keep_alive = 1;
    req->head = 0;
    req->header_count = 0;
    req->size = 0;
    nm_frame f = { *scan, 0, NM_BODY_NONE, 0, 0 };
    int r = p->frame(buf, len, &f, req);
    *scan = f.scan;
    if (r == NM_FRAME_REFUSE) return -(f.status >= 100 && f.status <= 999 ? f.status : 400);
    if (r != NM_FRAME_MESSAGE) return len >= NM_BUF_SIZE ? -431 : 0;
    if (f.head > len) return -500;   /* a head longer than what it was shown: the framing's fault */
    unsigned long long total = f.head;
    switch (f.body) {
    case NM_BODY_NONE: break;
    case NM_BODY_LENGTH: total += f.body_len; break;
    case NM_BODY_CHUNKED: return -501;   /* no chunked bodies yet */
    case NM_BODY_TO_CLOSE:
        total = eof ? len : (unsigned long long)NM_BUF_SIZE + 1;
        if (!eof && len < NM_BUF_SIZE) return 0;
        break;
    default: return -500;
    }
    if (total > NM_BUF_SIZE) return -413;
    if (total == 0) return -500;   /* an empty message would be answered forever */
    if (total > len) {
        req->size = (size_t)total;   /* the head is complete: the body is awaited */
        return 0;
    }
    req->head_bytes.p = buf;
    req->head_bytes.n = f.head;
    req->body.p = buf + f.head;
    req->body.n = (size_t)(total - f.head);
    return (int)total;
}
