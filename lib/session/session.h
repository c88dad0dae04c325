/* session.h - the one session state machine every model drives.
 *
 * Per connection: read into a borrowed buffer, cut requests with the
 * protocol, run the handler, queue the answers (pipelined answers in order),
 * write them with partial writes and EAGAIN, then keep the connection alive
 * (returning its buffers) or close it. Event models drive it non-blocking and
 * wait for the interest it returns; thread models drive it on a blocking
 * socket. Both tell it events and do the action it answers (below);
 * producer_consumer and pipeline also use steps (below). */
#ifndef NM_SESSION_H
#define NM_SESSION_H

#include "../loop/conn.h"
#include "../proto/protocol.h"

struct iovec;

/* ---- events and actions ------------------------------------------------
 *
 * A driver tells the session what happened to a connection (an event) and
 * does what the session answers (one action); the session does no waiting
 * and knows no driver. The loop drivers (lib/loop: select, poll, epoll,
 * kqueue, reactor, event_loop, multi_reactor, actor), the blocking worker
 * (loop/blocking.cpp: the thread and process models), the fiber scheduler,
 * the coroutine, leader_follower and the hand-offs (lib/handoff/lend.h and
 * the models that lend) serve through nm_session_on, the completion engine
 * (lib/completion: the proactor) through nm_session_on_done. On a
 * blocking socket the call that said EAGAIN was the wait: one of its
 * NM_STOP_POLL_MS steps ran out, and the worker, given WAIT, looks at the
 * stop and the deadline and goes on (READY), or ends (STOP, TIMEOUT).
 *
 *   event            the driver saw
 *   NM_ON_START      a new connection, before any byte (the transport's hello)
 *   NM_ON_READY      the port said readable or writable, or the connection was
 *                    resumed, retried or kicked: go as far as the socket allows
 *   NM_ON_RECEIVED   a receive completed into the buffer the session lent
 *   NM_ON_SENT       a send completed
 *   NM_ON_RETURNED   back from a handler run on another thread
 *   NM_ON_TIMEOUT    the action's deadline passed (counted in `timeouts`)
 *   NM_ON_STOP       the server stops: close now
 *
 *   action kind      the driver then
 *   NM_ACT_WAIT      waits for the port to say `io` (NM_READ, NM_WRITE, both)
 *   NM_ACT_SUBMIT    submits a receive and/or a send (`io`): completion drivers
 *   NM_ACT_HANDOFF   runs the handler on another thread
 *   NM_ACT_PARK      watches nothing: the body is paused (loop/pause.h)
 *   NM_ACT_QUEUE     waits in its queue for a buffer or a place (loop.h)
 *   NM_ACT_CLOSE     unregisters the connection and calls nm_conn_close()
 *
 * `deadline`: ms the WAIT (or SUBMIT) may last before NM_ON_TIMEOUT, 0 when
 * it has passed already. A WAIT never asks for readable while the transport
 * holds plaintext it took from the socket, and asks for writable too while
 * the transport has bytes of its own to send (transport.h). An armed
 * multishot receive is the driver's state, not an action.
 *
 * nm_session_on takes START, READY, RETURNED, TIMEOUT, STOP and answers
 * WAIT, HANDOFF, PARK, QUEUE, CLOSE; RECEIVED and SENT, answered with
 * SUBMIT, are the completion drivers' (nm_session_on_done, below). The
 * enums and nm_action are in loop/server.h, for the drivers below to hold.
 *
 * HANDOFF and RETURNED are a server's that hands its requests off
 * (nm_session_handoff): its driver asks through s->drive->on, and gets
 * HANDOFF once a whole request is buffered (its answer's buffer taken).
 * It then lends the connection to another thread, which calls
 * s->drive->handle(c) (loop/server.h) once; given it back, the driver
 * tells the session NM_ON_RETURNED and does what it answers: write the
 * answers and read on, or hand off the next request. */
nm_action nm_session_on(nm_conn *c, int event);
/* s hands its requests off: s->drive answers NM_ACT_HANDOFF. Called by
 * the models that lend, before they serve. */
void nm_session_handoff(nm_server *s);

/* The completion drivers' entry (complete.cpp, linked only by them): an
 * event with its result, answered with SUBMIT (io: NM_WRITE to send what
 * is queued or what the transport owes, else NM_READ: a receive into c->in
 * when the session lent one, a wait for bytes when it did not), PARK,
 * QUEUE or CLOSE.
 *   NM_ON_RECEIVED  n bytes were put into c->in past c->in_len (the buffer
 *                   the session lent, or a buffer the driver handed over as
 *                   c->in); 0: the peer's end; -errno: the receive failed
 *   NM_ON_SENT      n bytes of the output queue went; -errno: it failed
 *   NM_ON_READY     n > 0: the socket is readable and c holds no buffer
 *                   (the session lends one, or says QUEUE); 0: go on
 *                   (resumed, retried, the driver moved bytes itself)
 *   NM_ON_TIMEOUT, NM_ON_STOP as nm_session_on */
nm_action nm_session_on_done(nm_conn *c, int event, long n);
/* For a completion driver that only waits for the socket, under a
 * transport of its own: the transport's receive into c->in (io NM_READ) or
 * send of the output queue after what it owes (NM_WRITE): bytes, 0 at the
 * peer's end (or nothing to send), -errno (-EAGAIN: nothing now); and does
 * the transport hold plaintext already taken from the socket. */
long nm_session_move(nm_conn *c, int io);
int nm_session_pending(const nm_conn *c);
/* The action for what the session wants next (NM_READ, NM_WRITE, NM_PARK,
 * NM_QUEUE, 0: finished); final: a timeout or a stop, closed even while
 * the transport owes bytes. */
nm_action nm_session_act(nm_conn *c, int want, int final);

/* Make as much progress as the socket allows (the steps of NM_ON_READY,
 * without the action: the unit tests drive a connection so). Returns the readiness to wait
 * for (NM_READ or NM_WRITE; NM_PARK: nothing, its body is paused; NM_QUEUE:
 * no buffer is free, it waits in its loop's queue), or 0 when
 * the connection is finished: the caller unregisters it and calls
 * nm_conn_close(). */
int nm_session_drive(nm_conn *c);

/* The steps nm_session_drive is made of. */
/* 1 read, 0 EAGAIN (or the last read emptied a level-triggered socket:
 * wait for the port), -1 EOF or error. 0 also when no buffer is free
 * (c->queued NM_Q_WANT: its driver queues it, NM_ACT_QUEUE). */
int nm_session_fill(nm_conn *c);
/* After nm_session_fill said 0: NM_READ, or NM_QUEUE when no buffer was free. */
static inline int nm_session_read_want(const nm_conn *c) { return c->queued == NM_Q_WANT ? (int)NM_QUEUE : (int)NM_READ; }
int nm_session_next(nm_conn *c, nm_request *req);   /* 1 request, 0 need more, -1 refused */
void nm_session_answer(nm_conn *c, nm_request *req);/* handler, queue answer, consume */
int nm_session_flush(nm_conn *c);                   /* 1 sent all, 0 EAGAIN, -1 error */
/* A streaming answer's next piece (nm_resp_stream) when the queue is empty:
 * 1 queued, 0 none (no stream, the queue not empty, or it ended), -1 it
 * failed (the connection is dead). Flush calls it; a proactor before it
 * asks what to do next. */
int nm_session_produce(nm_conn *c);
int nm_session_can_answer(const nm_conn *c);        /* room to queue another answer */
/* Answer, in order, every whole request buffered that may be answered now. */
void nm_session_answer_ready(nm_conn *c);
/* What the connection needs next from its I/O (once the ready requests are
 * answered): NM_IO_SEND (answers queued), NM_IO_RECV (more bytes),
 * NM_IO_PARK (its body is paused: watch nothing until nm_body_resume,
 * loop/pause.h), NM_IO_QUEUE (a request waits for its answer's buffer:
 * nm_session_answer_buffer), or NM_IO_DONE (finished: close it). Every model's drive
 * asks this; nm_session_drive says NM_PARK for NM_IO_PARK. */
enum { NM_IO_DONE = 0, NM_IO_SEND = 1, NM_IO_RECV = 2, NM_IO_PARK = 3, NM_IO_QUEUE = 4 };
int nm_session_next_io(const nm_conn *c);

/* The connection is finished (NM_IO_DONE): close it now (0), or linger
 * first (NM_READ: wait for readable, until nm_conn_timeout_ms, then call
 * again). It lingers when it closes after its answers with the client's
 * input unread or still to come (a refused or untaken body, bytes after
 * its last request), not after a request read whole, an error, a timeout
 * or a stop: the transport's close message, then shutdown(SHUT_WR), then
 * what the client sends is read and dropped (NM_LINGER_MS in nm_config.h).
 * A close with unread input would be a reset, which can destroy the
 * answers before the client reads them. run_io lingers; a model with
 * loops of its own (the proactor) calls it. */
int nm_session_linger(nm_conn *c);

/* n bytes were read into c->in past c->in_len by the caller (a proactor's
 * completion): counts them and starts the header deadline of a new request. */
void nm_session_received(nm_conn *c, size_t n);
/* Refuse a connection without reading it: the protocol's refusal, counted;
 * it is then dead (NM_CF_DEAD). */
void nm_session_refuse(nm_conn *c);
/* Give c an input buffer (kept if it has one) unless only the reserve for
 * answers (NM_BUF_ANSWER_RESERVE) is left: 0, or -1 without one. A new
 * request may not take what the answers of started ones need. */
int nm_session_take_input(nm_conn *c);

/* Before a request is answered: its answer's first buffer, at the end of
 * the output queue (nm_out_ready), so that no answer fails for want of one
 * while its request holds the input. 0; or -1 when none is free: the
 * connection is marked (c->queued NM_Q_WANT) and waits in its driver's
 * queue (nm_session_next_io says NM_IO_QUEUE, drive NM_QUEUE, the action
 * NM_ACT_QUEUE), its request in its buffer. The session's own loops (drive, frame, the borrower's
 * answer) take it; a model that calls nm_session_answer itself
 * (producer_consumer) takes it first. */
int nm_session_answer_buffer(nm_conn *c);

/* Serve s's connections with this session and `proto`: the protocol, its
 * refusal and the session's entry points (loop/server.h) on the server. */
void nm_session_bind(nm_server *s, const nm_protocol *proto);


#endif
