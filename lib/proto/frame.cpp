/* frame.cpp - what every protocol's framing shares: a message is a head
 * the protocol measures, then a body of one of four kinds. */
#include "protocol.h"

/* A head whose body streams after it: the head alone is the message now. */
static int stream_head(const char *buf, const nm_frame *f, long long size, nm_request *req, const char **interim)
{
    if (!f->head) return -500;   /* nothing to call the handler with first */
    req->head_bytes.p = buf;
    req->head_bytes.n = f->head;
    req->body.p = buf + f->head;
    req->body.n = 0;
    req->body_streams = 1;
    req->body_size = size;
    *interim = f->interim;
    return (int)f->head;
}

void nm_request_blank(nm_request *req, const char *buf)
{
    req->protocol = NM_PROTO_OTHER;
    req->method.p = req->target.p = req->head_bytes.p = req->body.p = buf;
    req->method.n = req->target.n = req->head_bytes.n = req->body.n = 0;
    req->version_minor = 0;
    req->keep_alive = 1;
    req->head = 0;
    req->header_count = 0;
    req->size = 0;
    req->body_streams = 0;
    req->body_size = 0;
}

int nm_proto_cut(const nm_protocol *p, const char *buf, size_t len, size_t *scan, int eof, nm_request *req)
{
    const char *interim;
    return nm_proto_cut_body(p, buf, len, scan, eof, 0, req, &interim);
}

int nm_proto_cut_body(const nm_protocol *p, const char *buf, size_t len, size_t *scan, int eof,
                      unsigned long long max_body, nm_request *req, const char **interim)
{
    nm_request_blank(req, buf);
    *interim = 0;
    nm_frame f = { *scan, 0, NM_BODY_NONE, 0, 0, 0 };
    int r = p->frame(buf, len, &f, req);
    *scan = f.scan;
    if (r == NM_FRAME_REFUSE) return -(f.status >= 100 && f.status <= 999 ? f.status : 400);
    if (r != NM_FRAME_MESSAGE) return len >= NM_BUF_SIZE ? -431 : 0;
    if (f.head > len) return -500;   /* a head longer than what it was shown: the framing's fault */
    unsigned long long total = f.head;
    switch (f.body) {
    case NM_BODY_NONE: break;
    case NM_BODY_LENGTH:
        total += f.body_len;
        if (total > NM_BUF_SIZE && max_body) {   /* it streams, or it is too large */
            if (f.body_len > max_body) return -413;
            return stream_head(buf, &f, (long long)f.body_len, req, interim);
        }
        break;
    case NM_BODY_CHUNKED:
        if (!max_body) return -501;
        return stream_head(buf, &f, -1, req, interim);
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
