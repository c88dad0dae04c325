/* complete.cpp - the session's entry for the completion drivers (the
 * proactor): an operation completed, with its result. Its own object, so
 * a firmware without a completion driver links none of it. */
#include "session.h"
#include "transport.h"
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* What a failed receive or send says: counted as an error unless the
 * peer went (reset, broken pipe) or the driver ended it (cancelled). */
static void failed(nm_conn *c, long n)
{
    if (n != -ECONNRESET && n != -EPIPE && n != -ECANCELED && !(c->flags & NM_CF_DEAD)) nm_count(c->srv, NM_C_ERRORS);
    c->flags |= NM_CF_DEAD;
}

static nm_action submit(nm_conn *c, int io)
{
    nm_action a;
    if ((io == NM_READ || io == NM_WRITE) && !c->srv->transport->wants_write) {   /* the plain socket's: a request's */
        a.kind = NM_ACT_SUBMIT;
        a.io = (uint8_t)io;
        a.deadline = nm_conn_timeout_ms(c);
        return a;
    }
    a = nm_session_act(c, io, 0);
    if (a.kind == NM_ACT_WAIT) a.kind = NM_ACT_SUBMIT;
    return a;
}

/* Readable, no buffer lent: one now, unless only the answers' reserve is
 * left (QUEUE: the bytes wait in the kernel) or the server stops (closed:
 * a stop ends idle connections, no refusal for them). */
static nm_action readable(nm_conn *c)
{
    if (!nm_session_take_input(c)) return submit(c, NM_READ);
    if (!nm_stop_requested(c->srv)) return submit(c, NM_QUEUE);
    c->flags |= NM_CF_DEAD;
    return nm_session_act(c, 0, 1);
}

nm_action nm_session_on_done(nm_conn *c, int event, long n)
{
    if (event == NM_ON_TIMEOUT || event == NM_ON_STOP) return nm_session_on(c, event);
    if (event == NM_ON_RECEIVED) {
        if (n > 0) nm_session_received(c, (size_t)n);
        else if (n == 0) c->flags |= NM_CF_READ_EOF;
        else failed(c, n);
        if (!c->in_len && c->in) {   /* an idle connection holds no buffer */
            nm_buf_put(c->in);
            c->in = 0;
        }
    } else if (event == NM_ON_SENT) {
        if (n < 0) failed(c, n);
        else if (c->out_count) nm_out_sent(c, (size_t)n);
    } else if (n > 0 && !c->in && c->read_phase != NM_RP_LINGER && !(c->flags & NM_CF_DEAD)) {
        return readable(c);
    }
    nm_session_answer_ready(c);
    nm_session_produce(c);
    int want;
    switch (nm_session_next_io(c)) {
    case NM_IO_DONE: want = nm_session_linger(c); break;   /* (lingering: what comes is dropped) */
    case NM_IO_SEND: want = NM_WRITE; break;
    case NM_IO_QUEUE: want = NM_QUEUE; break;   /* a request waits for its answer's buffer */
    case NM_IO_PARK: want = NM_PARK; break;
    default:   /* (a full input was refused already; the driver ends idle ones at a stop) */
        want = c->in_len >= NM_BUF_SIZE ? 0 : NM_READ;
    }
    return submit(c, want);
}

/* ---- a transport of its own, for a completion driver that only waits ---- */

long nm_session_move(nm_conn *c, int io)
{
    const nm_transport *t = c->srv->transport;
    ssize_t n;
    if (io & NM_READ) {
        n = t->recv(c, c->in->data + c->in_len, NM_BUF_SIZE - c->in_len, MSG_DONTWAIT);
        return n >= 0 ? (long)n : -(long)errno;
    }
    if (t->wants_write && t->wants_write(c)) {   /* what it owes goes first */
        int r = t->flush(c);
        if (r <= 0) return r ? -(long)(errno ? errno : EPIPE) : -EAGAIN;
    }
    if (!c->out_count) return 0;
    struct iovec iov[NM_OUT_SEGS];
    n = t->sendv(c, iov, nm_out_iov(c, iov));
    return n >= 0 ? (long)n : -(long)errno;
}

int nm_session_pending(const nm_conn *c)
{
    const nm_transport *t = c->srv->transport;
    return t->pending && t->pending(c);
}
