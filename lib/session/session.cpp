#include "session.h"
#include "transport.h"
#include "../loop/pause.h"
#include "../loop/accept.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int nm_session_flush(nm_conn *c)
{
    while (c->out_count || nm_session_produce(c) > 0) {
        struct iovec iov[NM_OUT_SEGS];
        int n = nm_out_iov(c, iov);
        ssize_t w = c->srv->transport->sendv(c, iov, n);
        if (w < 0) {
            if (errno == EINTR && !nm_stop_requested(c->srv)) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
            c->flags |= NM_CF_DEAD;
            nm_count(c->srv, NM_C_ERRORS);
            return -1;
        }
        nm_out_sent(c, (size_t)w);   /* progress: the write deadline moves */
    }
    return 1;
}

/* ---- responses --------------------------------------------------------- */

/* An answer is built with the proto room's calls (proto/response.h). The
 * session's own: an answer made piece by piece (nm_resp_stream), a body
 * taken by a callback (nm_body_take, below) and the refusal. */

/* How a streaming answer's pieces go (c->produce). */
enum { PR_NONE, PR_LENGTH, PR_TO_CLOSE, PR_FIRST_PIECE, PR_PIECES };

/* The step that makes a streaming answer's next piece is the server's
 * stream_step, set by nm_resp_stream: a firmware that streams nothing
 * links none of it. Set before any connection streams (that thread sets
 * c->produce after it). */
int nm_session_produce(nm_conn *c)
{
    if (!c->produce || c->out_count) return 0;
    return __atomic_load_n(&c->srv->stream_step, __ATOMIC_RELAXED)(c);
}

static int make_piece(nm_conn *c);

static const nm_protocol *proto_of(const nm_conn *c) { return c->srv->proto; }

extern "C" int nm_resp_stream(nm_response *res, long long total, nm_produce_fn fn, void *user)
{
    nm_conn *c = res->conn;
    if (!fn || res->phase > 1 || res->failed || res->body_fn || c->produce) return -1;
    if (nm_stream_take(c)) {   /* the answer undone, headers too: the handler answers again */
        nm_out_rollback(c, res->mark);
        res->phase = 0;
        nm_count(c->srv, NM_C_REFUSED);
        return -1;
    }
    const nm_protocol *p = proto_of(c);
    nm_resp_end_head(res, total < 0 ? (size_t)-1 : (size_t)total);
    if (res->failed || (res->req && res->req->head) || !total) {   /* no body to make */
        nm_stream_give(c);
        return res->failed ? -1 : 0;
    }
    __atomic_store_n(&c->srv->stream_step, &make_piece, __ATOMIC_RELAXED);   /* (the same value from every thread) */
    c->produce = total >= 0 ? PR_LENGTH : !res->keep_alive || !p->piece ? PR_TO_CLOSE : PR_FIRST_PIECE;
    if (c->produce == PR_TO_CLOSE) res->keep_alive = 0;   /* the close ends the body */
    nm_stream *st = nm_stream_of(c);
    st->produce_fn = fn;
    st->produce_user = user;
    st->produce_left = total >= 0 ? (uint64_t)total : 0;
    return 0;
}

/* A streaming answer failed half-way: the head is sent, so only the close
 * can say it. */
static int produce_failed(nm_conn *c, nm_buf *b)
{
    if (b) nm_buf_put(b);
    nm_produce_end(c);
    nm_count(c->srv, NM_C_ERRORS);
    c->flags |= NM_CF_DEAD;
    return -1;
}

static int make_piece(nm_conn *c)
{
    nm_buf *b = nm_buf_get();
    if (!b) return produce_failed(c, 0);
    const nm_protocol *p = proto_of(c);
    nm_stream *st = nm_stream_of(c);
    int framed = c->produce >= PR_FIRST_PIECE;
    size_t at = framed ? NM_PIECE_MAX : 0, room = NM_BUF_SIZE - at;
    if (c->produce == PR_LENGTH && st->produce_left < room) room = (size_t)st->produce_left;
    long n = st->produce_fn(st->produce_user, b->data + at, room);
    if (n < 0 || (size_t)n > room || (!n && c->produce == PR_LENGTH)) return produce_failed(c, b);
    int end = !n;
    if (framed) {   /* the protocol's framing goes just before the piece (the end: alone) */
        char head[NM_PIECE_MAX];
        size_t k = p->piece(head, (size_t)n, c->produce == PR_FIRST_PIECE);
        if (k > at) return produce_failed(c, b);
        at -= k;
        memcpy(b->data + at, head, k);
        n += (long)k;
        c->produce = PR_PIECES;
    }
    if (n) nm_out_take(c, b, (uint32_t)at, (uint32_t)n);   /* the queue was empty: a segment is free */
    else nm_buf_put(b);   /* a body that the close ends */
    if (c->produce == PR_LENGTH) end = !(st->produce_left -= (uint64_t)n);
    if (end) nm_produce_end(c);
    return n ? 1 : 0;
}

/* Queue an answer with `status` and the protocol's short body for it, and
 * close after it. When even that does not fit, the connection is dropped. */
static void answer_and_close(nm_conn *c, const nm_request *req, int status)
{
    nm_response res;
    char body[64];
    size_t n = proto_of(c)->error_body ? proto_of(c)->error_body(status, body, sizeof(body)) : 0;
    nm_resp_begin(&res, c, req, status, 0);
    if (nm_resp_body(&res, body, n)) {
        nm_out_rollback(c, res.mark);
        c->flags |= NM_CF_DEAD;
    }
    c->flags |= NM_CF_CLOSE_AFTER;
}

/* ---- requests ---------------------------------------------------------- */

static void read_phase(nm_conn *c, int phase)
{
    /* The rate is judged from the phase's first byte; a streaming body's
     * steps are one phase (each step restarts only its deadline). */
    if (phase != NM_RP_BODY || c->read_phase != NM_RP_BODY) nm_rate_reset(&c->rate);
    c->read_phase = (uint8_t)phase;
    c->read_since = nm_conn_clock(c);
}

void nm_session_received(nm_conn *c, size_t n)
{
    if (!c->in_len && n && c->read_phase == NM_RP_IDLE) read_phase(c, NM_RP_HEAD);   /* a request begins */
    c->in_len += (uint32_t)n;
    nm_rate_add(&c->rate, nm_conn_clock(c), n, c->srv->cfg.min_rate);
}

/* What nm_session_next cut (c->unit), for nm_session_answer. */
enum { U_REQUEST, U_HEAD_STREAM, U_BODY, U_CHUNK_LINE, U_BODY_END };
/* Where a chunked body is (nm_stream.chunk_state). */
enum { CS_SIZE, CS_DATA, CS_DATA_END, CS_TRAILER };
/* A chunk-size line (with its extensions) or a trailer field longer than
 * this is refused: a client may not make us buffer lines without end. */
enum { CHUNK_LINE_MAX = 1024 };

static void request_base(nm_conn *c, nm_request *req)
{
    req->server = const_cast<nm_server *>(nm_server_face(c->srv));
    req->conn = nm_conn_id_of(c);
    req->fd = c->fd;
    req->state = nm_conn_state(c);
}

/* Refuse a streaming body gone wrong: with its status when no answer has
 * been given yet (the handler took the body), else just close. */
static int refuse_body(nm_conn *c, int status)
{
    nm_count(c->srv, NM_C_ERRORS);
    c->in_len = 0;
    nm_conn_drop_ahead(c);
    int answered = !nm_stream_of(c)->body_fn;
    nm_stream_end(c);
    if (answered) c->flags |= NM_CF_CLOSE_AFTER;
    else answer_and_close(c, 0, status);
    return -1;
}

/* One line of a chunked body: its length with the CRLF, 0 when not all
 * there yet, -1 when bad (bare LF, control bytes, or too long). */
static long chunk_line(const nm_conn *c)
{
    const char *p = c->in->data;
    const char *nl = (const char *)memchr(p, '\n', c->in_len);
    if (!nl) return c->in_len > CHUNK_LINE_MAX ? -1 : 0;
    long n = nl - p + 1;
    if (n > CHUNK_LINE_MAX || n < 2 || p[n - 2] != '\r') return -1;
    for (long i = 0; i < n - 2; i++)
        if (((unsigned char)p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f) return -1;
    return n;
}

/* A body by length whose bytes have all been delivered, its end call
 * still to come (its last piece paused it, or it is about to end). */
static int end_due(const nm_conn *c) { return c->body_mode == NM_BODY_LENGTH && !nm_stream_of(c)->body_left; }

/* The next step of a streaming body: body bytes, or a line of the chunked
 * coding. Like nm_session_next, it only looks; answer takes the step. */
static int next_body_step(nm_conn *c, nm_request *req)
{
    if (nm_paused(c)) {   /* nothing more until the application resumes it */
        c->flags |= NM_CF_HELD;
        return 0;
    }
    c->flags &= (uint8_t)~NM_CF_HELD;
    int end = end_due(c);   /* its last piece paused it */
    if (!c->in_len && !end) return 0;
    request_base(c, req);
    nm_stream *st = nm_stream_of(c);
    nm_request_blank(req, c->in ? c->in->data : "");
    req->body_size = (long long)st->body_seen;
    if (end) {
        c->unit = U_BODY_END;
        req->size = 0;
        return 1;
    }
    if (c->body_mode == NM_BODY_LENGTH || st->chunk_state == CS_DATA) {
        size_t n = c->in_len < st->body_left ? c->in_len : (size_t)st->body_left;
        c->unit = U_BODY;
        req->body.n = n;
        req->size = n;
        return 1;
    }
    if (st->chunk_state == CS_DATA_END) {
        if (c->in_len < 2) return 0;
        if (c->in->data[0] != '\r' || c->in->data[1] != '\n') return refuse_body(c, 400);
        c->unit = U_CHUNK_LINE;
        req->size = 2;
        return 1;
    }
    long n = chunk_line(c);
    if (n <= 0) return n ? refuse_body(c, 400) : 0;
    if (st->chunk_state == CS_SIZE) {   /* hex digits, then ";extension" or the end */
        uint64_t size = 0;
        long i = 0;
        for (; i < n - 2; i++) {
            char ch = c->in->data[i];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            if (d < 0) break;
            if (i >= 15) return refuse_body(c, 400);   /* past any body we take */
            size = size * 16 + (uint64_t)d;
        }
        if (i == 0 || (i < n - 2 && c->in->data[i] != ';' && c->in->data[i] != ' ' && c->in->data[i] != '\t'))
            return refuse_body(c, 400);
        if (st->body_seen + size > c->srv->cfg.max_body) return refuse_body(c, 413);
        st->unit_size = size;
    }
    c->unit = U_CHUNK_LINE;
    req->size = (size_t)n;
    return 1;
}

int nm_session_next(nm_conn *c, nm_request *req)
{
    if (c->body_mode) return next_body_step(c, req);
    if (!c->in_len) return 0;
    request_base(c, req);
    size_t scan = c->in_scan;
    const char *interim;
    int r = nm_proto_cut_body(proto_of(c), c->in->data, c->in_len, &scan, (c->flags & NM_CF_READ_EOF) != 0,
                              c->srv->cfg.max_body, req, &interim);
    c->in_scan = (uint32_t)scan;
    if (r > 0) {
        req->size = (size_t)r;
        c->unit = req->body_streams ? U_HEAD_STREAM : U_REQUEST;
        c->body_interim = interim;
        return 1;
    }
    if (r == 0) {
        if (req->size && c->read_phase == NM_RP_HEAD) read_phase(c, NM_RP_BODY);
        return 0;
    }
    nm_count(c->srv, NM_C_ERRORS);
    c->in_len = 0;
    nm_conn_drop_ahead(c);
    answer_and_close(c, 0, -r);
    return -1;
}

/* An answer is done: count it, or answer 500 and close when it failed. */
static void finish_answer(nm_conn *c, nm_response *res, const nm_request *req, int rc)
{
    if (!rc && !res->failed && res->phase < 2) nm_resp_body(res, 0, 0);
    if (rc || res->failed) {
        nm_produce_end(c);   /* a stream it started goes with it */
        nm_out_rollback(c, res->mark);
        nm_count(c->srv, NM_C_ERRORS);
        answer_and_close(c, req, 500);
    } else {
        nm_count(c->srv, NM_C_REQUESTS);
        if (!res->keep_alive) c->flags |= NM_CF_CLOSE_AFTER;
    }
}

/* ---- a body's bytes read ahead (NM_BODY_READ_BUFS) -------------------- */

#if NM_BODY_READ_BUFS > 1
/* ahead[0] is done with: the others move up. */
static void ahead_shift(nm_conn *c)
{
    nm_stream *st = nm_stream_of(c);
    st->ahead_count--;
    for (unsigned i = 0; i < st->ahead_count && i + 1 < NM_BODY_READ_BUFS - 1; i++) {   /* (the second: for the compiler) */
        st->ahead[i] = st->ahead[i + 1];
        st->ahead_len[i] = st->ahead_len[i + 1];
    }
    st->ahead_off = 0;
    nm_stream_give(c);   /* the last of them: unless a body or an answer streams, the entry goes */
}
#endif

/* c->in has emptied and gone back: the first buffer read ahead becomes it. */
static void ahead_next(nm_conn *c)
{
#if NM_BODY_READ_BUFS > 1
    if (!nm_conn_has_ahead(c)) return;
    nm_stream *st = nm_stream_of(c);
    nm_buf *b = st->ahead[0];
    uint32_t off = st->ahead_off, len = st->ahead_len[0] - off;
    if (off) memmove(b->data, b->data + off, len);
    ahead_shift(c);
    c->in = b;
    c->in_len = len;
#else
    (void)c;
#endif
}

/* Bytes read ahead into c->in's room, where a step needs more than c->in
 * holds (a chunk-size line, or a pipelined head, across two buffers): 1,
 * or -1 when c->in is full (the protocol refused that already). */
static int ahead_fill(nm_conn *c)
{
#if NM_BODY_READ_BUFS > 1
    if (c->in_len >= NM_BUF_SIZE) {
        c->flags |= NM_CF_DEAD;
        return -1;
    }
    nm_stream *st = nm_stream_of(c);
    uint32_t room = NM_BUF_SIZE - c->in_len, left = st->ahead_len[0] - st->ahead_off;
    uint32_t k = room < left ? room : left;
    memcpy(c->in->data + c->in_len, st->ahead[0]->data + st->ahead_off, k);
    st->ahead_off += k;
    if (st->ahead_off == st->ahead_len[0]) {
        nm_buf_put(st->ahead[0]);
        ahead_shift(c);
    }
    nm_session_received(c, k);
#else
    (void)c;
#endif
    return 1;
}

#if NM_BODY_READ_BUFS > 1
/* Buffers beyond c->in for the next receive: while a body streams and has
 * more bytes to come than c->in's room, up to NM_BODY_READ_BUFS - 1. */
static unsigned ahead_wanted(const nm_conn *c, size_t room)
{
    if (!c->body_mode || !c->srv->transport->recvv) return 0;
    unsigned most = NM_BODY_READ_BUFS - 1;
    nm_stream *st = nm_stream_of(c);
    if (c->body_mode != NM_BODY_LENGTH) return most;   /* chunked: its length unknown */
    uint64_t left = st->body_left > c->in_len ? st->body_left - c->in_len : 0;
    if (left <= room) return 0;
    uint64_t bufs = (left - room + NM_BUF_SIZE - 1) / NM_BUF_SIZE;
    return bufs < most ? (unsigned)bufs : most;
}
#endif

/* One receive into c->in's room, and while a body streams into buffers
 * beyond it as well (ahead_wanted, each one the pool has to spare past
 * the answer reserve). *asked: the room offered. Bytes past c->in's room
 * stay in the stream entry's ahead; the buffers left empty go back at once. */
static ssize_t receive(nm_conn *c, size_t room, int flags, size_t *asked)
{
    *asked = room;
    if (c->body_mode) __atomic_fetch_add(&c->srv->counters->body_reads, 1ul, __ATOMIC_RELAXED);
#if NM_BODY_READ_BUFS > 1
    unsigned want = ahead_wanted(c, room), got = 0;
    struct iovec iov[NM_BODY_READ_BUFS];
    iov[0].iov_base = c->in->data + c->in_len;
    iov[0].iov_len = room;
    for (nm_buf *b; got < want && (b = nm_buf_get_spare()) != 0; got++) {
        nm_stream_of(c)->ahead[got] = b;   /* (want: a body streams, with its entry) */
        iov[got + 1].iov_base = b->data;
        iov[got + 1].iov_len = NM_BUF_SIZE;
    }
    if (got) {
        nm_stream *st = nm_stream_of(c);
        ssize_t n = c->srv->transport->recvv(c, iov, (int)got + 1, flags);
        size_t past = n > 0 && (size_t)n > room ? (size_t)n - room : 0;
        unsigned used = 0;
        for (; past; used++) {
            st->ahead_len[used] = past < NM_BUF_SIZE ? (uint32_t)past : NM_BUF_SIZE;
            past -= st->ahead_len[used];
        }
        for (unsigned i = used; i < got; i++) nm_buf_put(st->ahead[i]);
        st->ahead_count = (uint8_t)used;
        st->ahead_off = 0;
        *asked = room + (size_t)got * NM_BUF_SIZE;
        return n;
    }
#endif
    return c->srv->transport->recv(c, c->in->data + c->in_len, room, flags);
}

/* Take n bytes off the input; phase: the read phase that follows. */
static void take_input(nm_conn *c, uint32_t n, int phase)
{
    c->in_len -= n;
    c->in_scan = 0;
    if (c->in_len) memmove(c->in->data, c->in->data + n, c->in_len);
    if (!c->in_len) {   /* nothing buffered: a connection between reads holds no input buffer */
        nm_buf_put(c->in);
        c->in = 0;
        ahead_next(c);   /* unless bytes were read ahead: the next buffer of them */
        if (c->in_len && phase == NM_RP_IDLE) phase = NM_RP_HEAD;
    }
    read_phase(c, phase);
}

/* The body has ended: the handler's body callback answers. */
static void body_end(nm_conn *c, nm_request *req)
{
    nm_stream *st = nm_stream_of(c);
    nm_body_fn fn = st->body_fn;
    void *user = st->body_user;
    int keep = st->body_keep && !nm_stop_requested(c->srv);
    nm_stream_end(c);
    read_phase(c, c->in_len ? NM_RP_HEAD : NM_RP_IDLE);   /* a pipelined request starts now */
    if (!fn) return;   /* answered at the head already; its body dropped */
    nm_response res;
    nm_resp_begin(&res, c, 0, 200, keep);
    int rc = fn(req, 0, 0, &res, user);
    finish_answer(c, &res, 0, rc);
}

/* One step of a streaming body: bytes to the callback, or a chunk line. */
static void body_step(nm_conn *c, nm_request *req)
{
    uint32_t n = (uint32_t)req->size;
    int end = 0;
    nm_stream *st = nm_stream_of(c);
    if (c->unit == U_BODY_END) {
        body_end(c, req);
        return;
    }
    if (c->unit == U_BODY) {
        int rc = st->body_fn ? st->body_fn(req, req->body.p, req->body.n, 0, st->body_user) : 0;
        int paused = rc == NM_BODY_PAUSE && nm_pause_ops_of(c)->ask(c);   /* the piece is taken; the next waits */
        if (rc && rc != NM_BODY_PAUSE) {
            nm_count(c->srv, NM_C_ERRORS);
            nm_stream_end(c);
            take_input(c, n, NM_RP_BODY);
            answer_and_close(c, 0, 500);
            return;
        }
        st->body_seen += n;
        st->body_left -= n;
        if (!st->body_left) {
            if (c->body_mode == NM_BODY_LENGTH) end = !paused;   /* else its end call comes after the resume */
            else st->chunk_state = CS_DATA_END;
        }
    } else if (st->chunk_state == CS_SIZE) {
        st->body_left = st->unit_size;
        st->chunk_state = st->unit_size ? CS_DATA : CS_TRAILER;
    } else if (st->chunk_state == CS_DATA_END) {
        st->chunk_state = CS_SIZE;
    } else {   /* a trailer field, or the empty line that ends the body */
        end = n == 2;
    }
    take_input(c, n, end ? NM_RP_IDLE : NM_RP_BODY);   /* every step is progress: the body deadline restarts */
    if (end) body_end(c, req);
}

void nm_session_answer(nm_conn *c, nm_request *req)
{
    if (c->unit == U_BODY || c->unit == U_CHUNK_LINE || c->unit == U_BODY_END) {
        body_step(c, req);
        nm_out_trim(c);
        return;
    }
    nm_server *s = c->srv;
    nm_response res;
    int keep = req->keep_alive && !nm_stop_requested(s);
    /* A blocking worker that has held its connection for its slice, about
     * to be left with it idle while others wait for one, says so in this
     * answer, then takes the next: where the protocol frames a head that can
     * say it (HTTP's Connection: close); under others the connection is
     * given up once idle (loop/blocking.cpp). Within the slice it stays open. */
    if (keep && (c->flags & NM_CF_BLOCKING) && s->proto->close_head && c->in_len == req->size &&
        !nm_conn_has_ahead(c) && nm_conn_slice_spent(c) && nm_clients_wait(s))
        keep = 0;
    nm_resp_begin(&res, c, req, 200, keep);
    res.may_take = c->unit == U_HEAD_STREAM;
    int rc = s->handler.fn(req, &res, s->handler.user);
    if (!res.body_fn) {
        finish_answer(c, &res, req, rc);
        /* Answered at once: the body is read and dropped, unless the client
         * waits for our word to send it (then, or with no room, we close). */
        if (res.may_take && !(c->flags & NM_CF_CLOSE_AFTER)) {
            if (c->body_interim || nm_stream_begin(c)) c->flags |= NM_CF_CLOSE_AFTER;
            else nm_stream_of(c)->body_fn = 0;
        }
    } else if (rc || nm_stream_begin(c)) {   /* failed, or as many bodies stream as may */
        nm_out_rollback(c, res.mark);
        nm_count(s, rc ? NM_C_ERRORS : NM_C_REFUSED);
        answer_and_close(c, req, rc ? 500 : 503);
    } else {
        nm_out_rollback(c, res.mark);   /* the answer comes at the body's end */
        nm_stream *st = nm_stream_of(c);
        st->body_fn = res.body_fn;
        st->body_user = res.body_user;
        nm_pause_open(c);   /* from now a resume may name it */
        st->body_keep = (uint8_t)res.keep_alive;
        if (c->body_interim) nm_out_write(c, c->body_interim, strlen(c->body_interim));
    }
    if (c->body_mode) {
        c->body_mode = (uint8_t)(req->body_size < 0 ? NM_BODY_CHUNKED : NM_BODY_LENGTH);
        nm_stream *st = nm_stream_of(c);
        st->body_left = req->body_size < 0 ? 0 : (uint64_t)req->body_size;
        st->body_seen = 0;
        st->chunk_state = CS_SIZE;
    }
    take_input(c, (uint32_t)req->size, c->body_mode ? NM_RP_BODY : c->in_len > req->size ? NM_RP_HEAD : NM_RP_IDLE);
    if (end_due(c)) body_end(c, req);
    nm_out_trim(c);   /* its buffer, when the answer wrote none (it comes at the body's end) */
}

extern "C" int nm_body_take(nm_response *res, nm_body_fn fn, void *user)
{
    if (!res->may_take || !fn || res->phase) return -1;
    res->body_fn = fn;
    res->body_user = user;
    nm_pause_enable(res->conn->srv);   /* its callback may pause it */
    return 0;
}

int nm_session_can_answer(const nm_conn *c)
{
    /* Every answer starts with at least NM_OUT_SEGS - 1 free segments. */
    return !(c->flags & (NM_CF_CLOSE_AFTER | NM_CF_BUSY | NM_CF_DEAD)) && c->out_count <= 1 && !c->produce;
}

/* ---- reading ----------------------------------------------------------- */


int nm_session_answer_buffer(nm_conn *c)
{
    if (nm_out_ready(c)) {   /* its driver queues it (NM_ACT_QUEUE): the request waits in its buffer */
        c->queued = NM_Q_WANT;
        return -1;
    }
    if (c->queued == NM_Q_WANT) c->queued = NM_Q_NONE;
    return 0;
}

int nm_session_take_input(nm_conn *c)
{
    if (c->in) return 0;
    c->in = nm_buf_get_spare();
    if (!c->in) return -1;
    c->in_len = c->in_scan = 0;
    return 0;
}

int nm_session_fill(nm_conn *c)
{
    /* A stopping server answers a request that has arrived but waits for no
     * new one: an idle connection takes what is already there, else ends, as
     * the loops drop theirs. So a blocking model does not go back into a recv()
     * that a stop signal handled just before it would not interrupt. */
    if (c->flags & NM_CF_DEAD) return -1;   /* (refused while it waited for a buffer) */
    if (nm_conn_has_ahead(c)) return ahead_fill(c);   /* read already: no system call */
    int recv_flags = !c->in_len && nm_stop_requested(c->srv) ? MSG_DONTWAIT : 0;
    /* The last read emptied a level-triggered socket: a read now would only
     * say EAGAIN, a syscall per request for nothing, as the port reports the
     * next bytes. */
    if ((c->flags & NM_CF_DRAINED) && !recv_flags) {
        c->flags &= (uint8_t)~NM_CF_DRAINED;
        return 0;
    }
    c->flags &= (uint8_t)~NM_CF_DRAINED;
    if (nm_session_take_input(c)) {   /* its driver queues it (NM_ACT_QUEUE): the bytes wait in the kernel */
        c->queued = NM_Q_WANT;
        return 0;
    }
    if (c->in_len >= NM_BUF_SIZE) {   /* the protocol refuses a full buffer first */
        c->flags |= NM_CF_DEAD;
        return -1;
    }
    for (;;) {
        /* A blocking read checks its deadline first: a client trickling bytes
         * never lets a read time out, yet must be cut at the deadline. */
        if ((c->flags & NM_CF_BLOCKING) && !nm_conn_timeout_ms(c)) {
            errno = EAGAIN;
        } else {
            size_t room = NM_BUF_SIZE - c->in_len, asked;
            ssize_t n = receive(c, room, recv_flags, &asked);
            if (n > 0) {
                nm_session_received(c, (size_t)n < room ? (size_t)n : room);   /* the rest is read ahead */
                if ((size_t)n < asked && (c->flags & NM_CF_LEVEL)) c->flags |= NM_CF_DRAINED;
                return 1;
            }
            if (n == 0) {
                c->flags |= NM_CF_READ_EOF;
                return -1;
            }
        }
        if (errno == EINTR && !nm_stop_requested(c->srv)) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (!c->in_len) {
                nm_buf_put(c->in);
                c->in = 0;
            }
            if (recv_flags) c->flags |= NM_CF_READ_EOF;
            return c->flags & NM_CF_READ_EOF ? -1 : 0;   /* a stop */
        }
        if (errno != ECONNRESET) nm_count(c->srv, NM_C_ERRORS);
        c->flags |= NM_CF_DEAD;
        return -1;
    }
}

void nm_session_refuse(nm_conn *c)
{
    nm_refuse(c->srv, c->fd);
    c->flags |= NM_CF_DEAD;
}

/* ---- the state machine ------------------------------------------------- */

/* Something to cut: bytes buffered, or the end call of a body whose last
 * piece paused it. */
static int has_step(const nm_conn *c) { return c->in_len || end_due(c); }

void nm_session_answer_ready(nm_conn *c)
{
    nm_request req;
    while (nm_session_can_answer(c) && has_step(c) && !nm_session_answer_buffer(c) && nm_session_next(c, &req) > 0)
        nm_session_answer(c, &req);
    nm_out_trim(c);
}

/* (inline in run_io, which asks it once or twice a request) */
static inline __attribute__((always_inline)) int next_io(const nm_conn *c)
{
    if ((c->flags & NM_CF_DEAD) || c->read_phase == NM_RP_LINGER) return NM_IO_DONE;
    if (c->out_count || c->produce) return NM_IO_SEND;
    /* Paused; or resumed since the session last found it paused, or with
     * its end call due (its last piece paused it): the driver's park then
     * finds it resumed and drives on. */
    if (c->body_mode && ((c->flags & NM_CF_HELD) || nm_paused(c) || end_due(c)))
        return NM_IO_PARK;   /* (only a streaming body pauses: no atomic read for any other request) */
    if (c->queued == NM_Q_WANT && has_step(c) && !(c->flags & NM_CF_CLOSE_AFTER)) return NM_IO_QUEUE;
    if (c->flags & (NM_CF_CLOSE_AFTER | NM_CF_READ_EOF)) return NM_IO_DONE;
    return NM_IO_RECV;
}

int nm_session_next_io(const nm_conn *c) { return next_io(c); }

static __attribute__((noinline)) int linger_on(nm_conn *c);

int nm_session_linger(nm_conn *c)
{
    /* a request read whole (idle), or a timeout (no close asked): closed
     * now, the usual end, without linger's frame */
    if ((c->flags & (NM_CF_DEAD | NM_CF_READ_EOF)) || nm_stop_requested(c->srv)) return 0;
    if (c->read_phase != NM_RP_LINGER && (!(c->flags & NM_CF_CLOSE_AFTER) || c->read_phase == NM_RP_IDLE)) return 0;
    return linger_on(c);
}

/* Half-closed: what the client still sends is read and dropped, for a
 * while, so that its unread request does not reset the answer away. */
static __attribute__((noinline)) int linger_on(nm_conn *c)
{
    nm_server *s = c->srv;
    if (c->read_phase != NM_RP_LINGER) {
        if (s->transport->close) s->transport->close(c);
        if (shutdown(c->fd, SHUT_WR)) return 0;
        c->read_phase = NM_RP_LINGER;
        c->write_since = c->read_since = nm_conn_clock(c);   /* its start; its last byte */
        c->lingered = 0;
        __atomic_fetch_add(&s->counters->lingered, 1ul, __ATOMIC_RELAXED);
    }
    /* its input goes (and what a proactor's armed receive brought since):
     * a lingering connection holds no buffer */
    if (c->in_len) c->read_since = nm_conn_clock(c);
    c->lingered += c->in_len;
    c->in_len = 0;
    if (c->in) nm_buf_put(c->in);
    c->in = 0;
    nm_conn_drop_ahead(c);
    char b[512];
    for (;;) {
        uint64_t now = nm_conn_clock(c);
        if (now - c->write_since >= NM_LINGER_MS || c->lingered >= (1u << 24)) return 0;
        ssize_t n = recv(c->fd, b, sizeof(b), c->flags & NM_CF_BLOCKING ? 0 : MSG_DONTWAIT);
        if (n > 0) {
            c->lingered += (uint32_t)n;
            c->read_since = now;
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            return 0;
        } else {
            return NM_READ;   /* (a blocking socket's step ran out: its driver looks at the deadline) */
        }
    }
}

/* What run_io says when a whole request waits for a handler that runs on
 * another thread (NM_ACT_HANDOFF). */
enum { WANT_HANDOFF = -1 };

/* Whole requests are answered here; or, for a driver that hands them off
 * (`handoff`), the connection stops at one, its answer's buffer taken, for
 * the thread that runs its handler (WANT_HANDOFF). */
static inline int run_io(nm_conn *c, int handoff)
{
    for (;;) {
        if (!handoff) {
            nm_session_answer_ready(c);
        } else {
            nm_out_trim(c);   /* the buffer taken for an answer before, not handed off (no thread took it) */
            if (!(c->flags & (NM_CF_CLOSE_AFTER | NM_CF_DEAD)) && !c->out_count && !c->produce && has_step(c) &&
                !nm_session_answer_buffer(c)) {
                nm_request req;   /* parsed again where it is answered; here it only says "complete" */
                if (nm_session_next(c, &req) > 0) return WANT_HANDOFF;   /* (its answer's buffer taken) */
                nm_out_trim(c);   /* else more is needed, or a refusal was queued: write it, then close */
            }
        }
        switch (next_io(c)) {
        case NM_IO_DONE: return nm_session_linger(c);
        case NM_IO_PARK: return NM_PARK;
        case NM_IO_QUEUE: return NM_QUEUE;
        case NM_IO_SEND: {
            int r = nm_session_flush(c);
            if (r < 0) return 0;
            if (r == 0) return NM_WRITE;
            continue;   /* drained: answer (or frame) what is still buffered */
        }
        default:
            if (c->flags & NM_CF_BUSY) return NM_READ;
            if (nm_session_fill(c) == 0) return nm_session_read_want(c);
            /* read: answer what arrived; EOF or error: answer what is complete, then end */
        }
    }
}

int nm_session_drive(nm_conn *c) { return run_io(c, 0); }

/* ---- events and actions ------------------------------------------------ */

/* The action for what run_io said (want; 0: finished). A connection that
 * is finished but whose transport still holds bytes of its own (the last
 * answer's tail, under a transport that takes plaintext whole) waits to
 * send them first, unless it ends for good (`final`: a timeout, a stop). */
nm_action nm_session_act(nm_conn *c, int want, int final)
{
    const nm_transport *t = c->srv->transport;
    nm_action a;
    a.io = 0;
    a.deadline = 0;
    if (want == NM_PARK) {
        a.kind = NM_ACT_PARK;
    } else if (want == NM_QUEUE) {
        a.kind = NM_ACT_QUEUE;
    } else {
        int tw = t->wants_write && !(c->flags & NM_CF_DEAD) && t->wants_write(c);
        if (!want && (final || !tw)) {
            if (t->close && c->read_phase != NM_RP_LINGER) t->close(c);   /* (a lingering one said it) */
            a.kind = NM_ACT_CLOSE;
            return a;
        }
        a.kind = NM_ACT_WAIT;
        a.io = (uint8_t)(want | (tw ? NM_WRITE : 0));
        a.deadline = nm_conn_timeout_ms(c);
    }
    return a;
}

/* The events other than NM_ON_READY: once in a connection's life. */
static __attribute__((noinline)) nm_action on_rare(nm_conn *c, int event)
{
    const nm_transport *t = c->srv->transport;
    if (event == NM_ON_START) {
        /* A transport that holds plaintext may have emptied the socket into
         * itself: a short read says nothing of the socket (no NM_CF_DRAINED). */
        if (t->pending) c->flags &= (uint8_t)~NM_CF_LEVEL;
        return nm_session_act(c, t->start && t->start(c) ? 0 : NM_READ, 0);
    }
    if (event == NM_ON_TIMEOUT) nm_conn_count_timeout(c);
    return nm_session_act(c, 0, 1);   /* NM_ON_TIMEOUT, NM_ON_STOP */
}

/* An event, for a driver that answers here (nm_session_on) or one that
 * hands whole requests off (`handoff`: nm_session_handoff). */
static inline nm_action on_event(nm_conn *c, int event, int handoff)
{
    /* NM_ON_READY (and NM_ON_RETURNED; until the proactor moves, the
     * completion events), a request's: kept short. */
    if (event == NM_ON_START || event == NM_ON_TIMEOUT || event == NM_ON_STOP) return on_rare(c, event);
    const nm_transport *t = c->srv->transport;
    if (t->flush && t->flush(c) < 0) {
        c->flags |= NM_CF_DEAD;
        return nm_session_act(c, 0, 1);
    }
    int want = run_io(c, handoff);
    nm_action a;
    if (handoff && want == WANT_HANDOFF) {
        a.kind = NM_ACT_HANDOFF;
        a.io = 0;
        a.deadline = 0;
        return a;
    }
    if ((want == NM_READ || want == NM_WRITE) && !t->wants_write) {   /* the plain socket's */
        a.kind = NM_ACT_WAIT;
        a.io = (uint8_t)want;
        a.deadline = nm_conn_timeout_ms(c);
        return a;
    }
    return nm_session_act(c, want, 0);
}

nm_action nm_session_on(nm_conn *c, int event) { return on_event(c, event, 0); }

/* ---- hand-offs --------------------------------------------------------- */

/* Reached only through nm_session_handoff, which only the models that hand
 * requests off call: a firmware without one links none of it. */

/* A driver that hands off: the events of nm_session_on, NM_ON_RETURNED
 * among them, with NM_ACT_HANDOFF answered for a whole request. */
static nm_action on_handoff(nm_conn *c, int event) { return on_event(c, event, 1); }

/* On the thread a connection was handed to: as nm_session_can_answer, less
 * the NM_CF_BUSY that its lender set. */
static void handle(nm_conn *c)
{
    nm_request req;
    while (has_step(c) && c->out_count <= 1 && !c->produce && !(c->flags & (NM_CF_CLOSE_AFTER | NM_CF_DEAD)) &&
           !nm_session_answer_buffer(c) && nm_session_next(c, &req) > 0)
        nm_session_answer(c, &req);
    nm_out_trim(c);
}

static const nm_drive_ops handoff_ops = { on_handoff, handle };

void nm_session_handoff(nm_server *s) { s->drive = &handoff_ops; }

/* ---- what the rooms below call (loop/server.h) ------------------------- */

static const nm_drive_ops session_ops = { nm_session_on, 0 };

void nm_session_bind(nm_server *s, const nm_protocol *proto)
{
    s->proto = proto;
    s->refusal = proto->refusal;
    s->drive = &session_ops;
    s->transport = s->cfg.transport && &nm_transport_records ? &nm_transport_records : nm_transport_default;
}
