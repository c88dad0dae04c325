/* proactor.h - completion-based I/O: submit an operation, be called back
 * with its result once it is done.
 *
 * Two engines behind one interface. io_uring (Linux), set up by raw system
 * calls: the kernel performs the operations and posts completions on a
 * ring. Elsewhere, or when io_uring is missing or refused (ENOSYS, EPERM,
 * seccomp, qemu-user), an emulation over a port: the loop waits for
 * readiness, performs the operation itself, and hands the result over as a
 * completion once the readiness pass is over. Either way the model sees
 * only submissions and completions.
 *
 * A connection has at most one operation in flight (and its armed receive,
 * below). Operations:
 *   ACCEPT  the listener has connections waiting (the model accepts them)
 *   WAIT    the connection is readable (an idle connection holds no buffer).
 *           With a provided buffer ring (io_uring, 5.19+) it is a receive
 *           into a buffer the kernel picks when the bytes arrive: it
 *           completes as RX (below)
 *   RECV    bytes into c->in after in_len; result: bytes, 0 at EOF, -errno
 *   SEND    the head of the output queue; result: bytes sent, or -errno
 *
 * With the provided buffer ring, WAIT is a multishot receive where the
 * kernel has one (6.0): it stays armed from one request to the next, so an
 * idle keep-alive connection costs no submission per request. Its bytes go
 * to the connection's receive queue (nm_proactor_rx_*), in order, whatever
 * the connection is doing then, and its completions come as
 *   RX       the WAIT a connection waited on: result bytes queued, 0 at EOF,
 *            -errno when the receive ended (-ENOBUFS: the ring was empty,
 *            the bytes are still in the kernel)
 *   RX_HELD  the same while the connection was busy (sending, paused,
 *            closing): nothing else in flight of it has ended.
 * While it is armed the connection has a WAIT in the kernel's hands beside
 * its SEND (nm_proactor_armed): it is closed only after the receive's last
 * completion.
 *
 * Where the kernel takes bundles (6.10) the armed receive fills up to
 * NM_BODY_READ_BUFS buffers at once (at most half the ring), as many as the
 * bytes there need: one completion for several consecutive buffers of the
 * ring, each queued in turn, so a large body costs fewer completions. The
 * cap leaves the ring's other buffers to other connections (and the ring
 * only ever holds buffers the pool has beyond the answers' reserve). */
#ifndef NM_PROACTOR_H
#define NM_PROACTOR_H

#include "../loop/loop.h"

enum nm_op { NM_OP_ACCEPT = 0, NM_OP_WAIT = 1, NM_OP_RECV = 2, NM_OP_SEND = 3, NM_OP_NONE = 4,
             NM_OP_CLOSING = 5,   /* (not submitted) closed once its armed receive has ended */
             NM_OP_RX = 6, NM_OP_RX_HELD = 7, NM_OP_RX_MORE = 8 /* (the engine's: RX, still armed) */ };

struct nm_proactor;
typedef void (*nm_completion_fn)(nm_proactor *p, nm_conn *c, int op, int result);

/* The io_uring rings as mapped from the kernel. */
struct nm_uring {
    int fd;
    unsigned sq_entries, cq_entries, inflight, unsubmitted;
    unsigned conn_ops;         /* of inflight, the connections' (the rest: the listener's) */
    int deferred;              /* completions are made only when the loop waits for them */
    int timed_enter;           /* one io_uring_enter submits and waits with a timeout */
    /* Batched waits (timed_enter): after a round that found several
     * completions (NM_URING_BATCH_MIN) the next wait asks for as many, and
     * holds those it has for at most batch_us while fewer are there. With
     * the kernel's own batch wait (min_wait, 6.12) one enter does it: after
     * batch_us it returns with what it has, or at the first completion
     * after. Without it the wait for more ends at batch_us, and a wait that
     * found nothing is followed by one for any completion. */
    unsigned round;            /* completions the last reap found */
    unsigned capped;           /* of them, bundles that filled all their buffers (below) */
    unsigned batch_us;
    int min_wait;
    unsigned long waits, reaped;   /* enters that waited for completions; completions reaped */
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    void *sqes, *cqes;
    void *sq_map, *cq_map, *sqe_map;
    unsigned long sq_len, cq_len, sqe_len;
    /* Registered files (5.19+): a table of `files` slots, slot n holding
     * descriptor n while its connection lives, so an operation names the
     * slot and the kernel takes no reference to the file each time (0: not
     * here; each operation names the descriptor). */
    unsigned files;
    int polled;                /* RECV and SEND are polls (nm_uring_open) */
    /* The provided buffer ring (NM_PROACTOR_BUFS; 0 entries: none here):
     * buffers from the pool the kernel picks from as bytes arrive. `lent`
     * holds each buffer id's buffer, NULL when it is to be lent again
     * (the pool was short): `owed` of them. A buffer's id is its place in
     * the ring, which the kernel takes in order. */
    unsigned pbuf_entries, owed;
    int multishot;             /* WAIT arms a multishot receive (0: the kernel refused it) */
    unsigned bundle;           /* ... that fills up to this many buffers at once (0: one; not here, or refused) */
    unsigned long bundles;     /* its completions that filled more than one buffer */
    void *pbuf_map;
    unsigned long pbuf_len;
#if NM_PROACTOR_BUFS > 0
    nm_buf *lent[NM_PROACTOR_BUFS];
#endif
};

struct nm_completion {
    nm_conn *c;
    int op, result;
};

/* What the driver (engine.cpp) asks of the session above it, handed down
 * by the model: the session's answer to a completion (session.h:
 * nm_session_on_done); and, for a transport of its own between the socket
 * and the session, its receive into c->in or its send of the output queue
 * (io NM_READ or NM_WRITE, with what the transport owes sent first): bytes,
 * 0 at the peer's end, or -errno (-EAGAIN: nothing now); and whether it
 * holds plaintext already taken from the socket. */
struct nm_completion_ops {
    nm_action (*done)(nm_conn *c, int event, long n);
    long (*move)(nm_conn *c, int io);
    int (*pending)(const nm_conn *c);
};

struct nm_proactor {
    nm_loop *loop;
    int uring;                 /* 1: io_uring, 0: emulated */
    int moved;                 /* the bytes go through a transport of its own: the engine only waits */
    const nm_completion_ops *ops;
    nm_uring ring;
    nm_completion_fn complete;
    int accept_pending;
    int cancelling;            /* the listener's wait is being cancelled */
    int ndone;                 /* emulated: completions of this pass */
    /* io_uring with a timed enter waits in the ring alone: the loop's port
     * (the application's descriptors, the loop's wakeup) is watched through
     * a poll of the port's own fd in the ring. */
    uint8_t port_polled, port_ready;
    unsigned long rx_armed;    /* waits for input that an armed receive took: no submission */
    nm_completion done[NM_MAX_EVENTS + 1];
};

/* A connection's receive queue: the buffers its armed receive filled, by
 * their pool index (+1; 0: none), first to last, and where in each the
 * bytes not yet taken are. */
struct nm_rx_link {
    uint16_t next, off, len;
};
struct nm_rx_queue {
    uint16_t first, last, count;
    int16_t end;   /* how the receive ended while its connection was busy: 0 the peer's end, -errno; 1 not */
};

/* Serve s with the engine its configuration chooses (cfg.proactor) on the
 * calling thread until it stops (engine.cpp). moved: a transport of its
 * own moves the bytes (nm_completion_ops). NM_OK or NM_ERR_SYSTEM. */
int nm_proactor_serve(nm_server *s, const nm_completion_ops *ops, int moved);

/* mode: "io_uring", "emulated", or NULL / "auto" (io_uring when it works).
 * moved: RECV and SEND only wait for the socket (nm_uring_open: polled;
 * emulated: not performed). 0, or -1: the loop cannot open, or io_uring was
 * asked for and refused. */
int nm_proactor_open(nm_proactor *p, nm_server *s, const char *mode, nm_completion_fn fn, int moved);
void nm_proactor_close(nm_proactor *p);
/* 0, or -1 when the operation cannot be queued (the caller refuses). */
int nm_proactor_submit(nm_proactor *p, nm_conn *c, int op);
/* Stop waiting for the listener; its ACCEPT completes (result -ECANCELED).
 * Call again until it has: a cancel the ring has no room for is not queued. */
void nm_proactor_cancel_accept(nm_proactor *p);
/* Submit what is queued, wait (bounded by the loop's timers), and deliver
 * the completions. */
void nm_proactor_turn(nm_proactor *p);
/* No operation of a connection or the listener in flight (the port's poll
 * stays: closing the ring ends it). */
int nm_proactor_quiet(const nm_proactor *p);
/* The operation c has in flight (NM_OP_NONE when none). */
int nm_proactor_pending(const nm_conn *c);
/* c's multishot receive is armed (in the kernel's hands). */
int nm_proactor_armed(const nm_conn *c);
/* Mark c closing: nothing is submitted for it any more, and it is closed at
 * its armed receive's last completion (RX_HELD). */
void nm_proactor_closing(nm_conn *c);
/* Cancel c's armed receive (its last completion follows, -ECANCELED). */
void nm_proactor_disarm(nm_proactor *p, nm_conn *c);
/* The receive queue: the first buffer with bytes (NULL: none), where they
 * are; take n of them (a buffer emptied goes back to the pool); unlink the
 * first buffer (its owner takes it); return them all to the pool. */
nm_buf *nm_proactor_rx_first(const nm_conn *c, unsigned *off, unsigned *len);
void nm_proactor_rx_take(nm_conn *c, unsigned n);
void nm_proactor_rx_unlink(nm_conn *c);
void nm_proactor_rx_drop(nm_conn *c);
unsigned nm_proactor_rx_count(const nm_conn *c);
/* How c's armed receive ended while c was busy (RX_HELD: 0 at the peer's
 * end, -errno), kept after its bytes for the session; and taken: 1 when
 * it did not (dropping the queue forgets it). */
void nm_proactor_rx_end(nm_conn *c, int result);
int nm_proactor_rx_ended(nm_conn *c);
void nm_proactor_rx_push(nm_conn *c, nm_buf *b, unsigned len);
/* Which engine `mode` gets here: "io_uring" or "emulated"; NULL when
 * io_uring is asked for and refused. Probes the kernel. */
const char *nm_proactor_probe(const char *mode);

/* Completion entries held beside the connections': the listener's wait,
 * the cancel of it, and the poll of the loop's port. */
enum { NM_URING_LISTENER_OPS = 3 };
/* A batched wait: how many completions it asks for at most, and how long
 * it holds those it has by default (batch_us). */
enum { NM_URING_BATCH_MIN = 3, NM_URING_BATCH = 16, NM_URING_BATCH_US = 100 };
/* After a bundle that filled all its buffers: a wait for bundles of this
 * many buffers in all (uring.cpp, batch_of). */
enum { NM_URING_BATCH_BUFS = 32 };

/* The io_uring engine (completion/uring.cpp): 0 or -errno. polled: RECV
 * and SEND wait for readable and writable only (polls), and WAIT takes no
 * provided buffers: the caller moves the bytes itself (a transport of its
 * own between the socket and the session). */
int nm_uring_open(nm_uring *r, int polled = 0);
void nm_uring_close(nm_uring *r);
/* 0, 1 when a WAIT armed a multishot receive, or -errno. */
int nm_uring_submit(nm_uring *r, nm_conn *c, int op, int listen_fd);
/* Its own completion comes without a connection and with an op other than ACCEPT. */
int nm_uring_cancel_accept(nm_uring *r);
/* Cancel c's armed receive: no completion of its own unless refused. */
void nm_uring_cancel_rx(nm_uring *r, nm_conn *c);
/* Wait for fd (the loop's port) to be readable: a completion without a
 * connection, RECV. 0 or -errno. */
int nm_uring_poll_port(nm_uring *r, int fd);
int nm_uring_flush(nm_uring *r);
/* Submit what is queued and wait up to timeout_ms for a completion, or
 * for a batch of them (above; timeout 0: no batch) (needs timed_enter):
 * 0 or -errno. */
int nm_uring_wait(nm_uring *r, int timeout_ms);
/* Hand every posted completion to fn. */
void nm_uring_reap(nm_uring *r, nm_proactor *p, nm_completion_fn fn);
/* Operations of connections the ring carries at once; connections: one
 * operation in flight each, two with multishot receives (an armed receive
 * beside a send). */
unsigned nm_uring_conn_room(const nm_uring *r);
unsigned nm_uring_conns(const nm_uring *r);
/* Lend the ring the buffers it is owed while the pool has some to spare
 * (above NM_BUF_ANSWER_RESERVE). */
void nm_uring_repay(nm_uring *r);
/* With registered files: put *fd (a connection's descriptor field) in its
 * slot (adopt) or empty the slot, queued before any operation that
 * follows, so in order with them; no completion unless the kernel refused. */
void nm_uring_file(nm_uring *r, const int *fd, int adopt);
/* A connection's descriptor into the engine's table (before its first
 * operation: it starts with none in flight) and out of it (before it
 * closes): the io_uring engine's registered files; nothing for the
 * emulation. */
void nm_proactor_adopt(nm_proactor *p, const nm_conn *c, int adopt);

#endif
